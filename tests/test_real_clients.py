"""Returns re-saved by real spreadsheet applications are read exactly, signatures intact."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from lo import gnumeric_resave, resave_xlsx
from returns import KEYS, ON_TIME, PERIOD, generated

from mne_workbook.fill import fill_return, random_entries
from mne_workbook.plan import Plan, load_plan
from mne_workbook.reader import read_return


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, Path]:
    plan = load_plan(Path(__file__).resolve().parent.parent / "sample_plans" / "demo.yaml")
    d = tmp_path_factory.mktemp("clients")
    gen = generated(plan, d / "gen")
    entries = random_entries(plan, PERIOD, "mlsw", random.Random(11))
    fill_return(gen["mlsw"], d / "mlsw.xlsx", entries, ON_TIME)
    return plan, d / "mlsw.xlsx"


@pytest.mark.parametrize("client", ["libreoffice", "gnumeric"])
def test_a_resaved_return_reads_exactly_and_still_verifies(
    filled: tuple[Plan, Path], tmp_path: Path, client: str
) -> None:
    plan, path = filled
    original = read_return(path, plan, PERIOD, keys=KEYS, require_signature=True)
    assert original.accepted and not original.problems and original.values
    if client == "libreoffice":
        resaved = resave_xlsx(path, tmp_path)
    else:
        resaved = gnumeric_resave(path, tmp_path / "mlsw.xlsx")
    sub = read_return(resaved, plan, PERIOD, keys=KEYS, require_signature=True)
    assert sub.accepted and sub.problems == [], [str(p) for p in sub.problems]
    assert sub.content_key() == original.content_key()
    assert sub.identity == original.identity
