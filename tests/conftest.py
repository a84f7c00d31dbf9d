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


TEST_KEY_HEX = "6d6e652d776f726b626f6f6b2d746573742d6b65792d6e6f742d736563726574"


@pytest.fixture(autouse=True)
def _isolated_keys(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Tests sign with a fixed test key and never touch the user's key file."""
    monkeypatch.setenv("MNE_WORKBOOK_KEY", TEST_KEY_HEX)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))


@pytest.fixture
def demo_path() -> Path:
    return SAMPLES / "demo.yaml"


@pytest.fixture
def kosovo_path() -> Path:
    return SAMPLES / "kosovo-2015-2019.yaml"


@pytest.fixture
def demo_data(demo_path: Path) -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(demo_path.read_text("utf-8")))
