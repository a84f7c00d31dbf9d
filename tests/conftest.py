"""Shared fixtures: small plans built in a few lines, and the bundled sample plans."""

from __future__ import annotations

import copy
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_plans"
sys.path.insert(0, str(Path(__file__).resolve().parent))


TEST_KEY_HEX = "6d6e652d776f726b626f6f6b2d746573742d6b65792d6e6f742d736563726574"


def pytest_configure(config: pytest.Config) -> None:
    """Tests sign with a fixed test key and never touch the user's key file. Set for the
    whole session before any fixture runs, so module-scoped fixtures that call the CLI
    see it too."""
    os.environ["MNE_WORKBOOK_KEY"] = TEST_KEY_HEX
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="mne-config-")


@pytest.fixture
def demo_path() -> Path:
    return SAMPLES / "demo.yaml"


@pytest.fixture
def kosovo_path() -> Path:
    return SAMPLES / "kosovo-2015-2019.yaml"


@pytest.fixture
def demo_data(demo_path: Path) -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(demo_path.read_text("utf-8")))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture of a ``needs`` test runs: are its programs installed?"""
    from programs import require

    for mark in item.iter_markers("needs"):
        for program in mark.args:
            require(program)


@pytest.fixture(scope="session")
def hostile_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The hostile corpus (tests/hostile.py), built once per session: folder, cases."""
    from hostile import build

    from mne_workbook.plan import load_plan

    folder = tmp_path_factory.mktemp("hostile-corpus")
    return folder, build(load_plan(SAMPLES / "demo.yaml"), folder)


@pytest.fixture(scope="session")
def hostile_run(
    hostile_corpus: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> Any:
    """The hostile corpus read once per session: one ``consolidate`` run whose bounded
    reading is recorded (a :class:`hostile.HostileRun`)."""
    from hostile import read_once

    folder, cases = hostile_corpus
    return read_once(SAMPLES / "demo.yaml", folder, cases, tmp_path_factory.mktemp("hostile-out"))


from pg_server import fresh_postgres, postgres_url  # noqa: E402, F401  (issue 18)
