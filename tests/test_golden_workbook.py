"""The XML parts of one small generated workbook, part by part, against tests/golden/.

A change to what the writer produces shows here as a readable XML diff; when it is
deliberate, `make golden` rewrites the parts (review them like code)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from golden import GOLDEN, parts, small_workbook
from xlsx_helpers import md, region


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_workbook(tmp_path_factory.mktemp("golden"))


def _golden() -> dict[str, str]:
    return {
        p.relative_to(GOLDEN).as_posix(): p.read_text("utf-8")
        for p in sorted(GOLDEN.rglob("*"))
        if p.is_file()
    }


def test_the_workbook_has_the_golden_parts(small: Path) -> None:
    assert sorted(parts(small)) == sorted(_golden()), "run `make golden` if deliberate"


@pytest.mark.parametrize("name", sorted(_golden()))
def test_each_part_matches_its_golden_copy(small: Path, name: str) -> None:
    assert parts(small)[name] == _golden()[name], f"{name} changed; `make golden` if deliberate"


def test_the_key_columns_read_as_the_plan_says(small: Path) -> None:
    ws = openpyxl.load_workbook(small)["SO1"]
    assert region(ws, "A5:B6") == md(
        """
        | A1.1.1 | I1 |
        | A1.1.1 | I2 |
        """
    )


def test_region_shows_blank_cells_as_empty() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"], ws["C1"], ws["B2"] = "x", 3, "y"
    assert region(ws, "A1:C2") == "| x | | 3 |\n| | y | |"
    assert md("| x |   | 3 |\n|   | y |   |") == region(ws, "A1:C2")
