"""Shared fixtures: small plans built in a few lines, and the bundled sample plans."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_plans"
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def demo_path() -> Path:
    return SAMPLES / "demo.yaml"


@pytest.fixture
def kosovo_path() -> Path:
    return SAMPLES / "kosovo-2015-2019.yaml"


@pytest.fixture
def demo_data(demo_path: Path) -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(demo_path.read_text("utf-8")))
