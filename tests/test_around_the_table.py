"""Honest returns with notes, hidden rows, filters, comments or an added sheet are read;
an edited plan cell is shown as a word diff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl.comments import Comment
from returns import PERIOD, col, edit, generated, row_of

from mne_workbook.plan import Plan, load_plan
from mne_workbook.reader import read_return, word_diff

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def kp(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, Path]:
    plan = load_plan(ROOT / "sample_plans" / "demo.yaml")
    return plan, generated(plan, tmp_path_factory.mktemp("around") / "gen")["kp"]


def test_notes_hidden_rows_filters_comments_and_sheets_do_not_refuse(
    kp: tuple[Plan, Path], tmp_path: Path
) -> None:
    plan, src = kp

    def change(wb: Any) -> None:
        ws = wb["SO2"]
        r = row_of(ws, "A2.1.1", "D8")
        ws.cell(r, ws.max_column + 3).value = "see the annex for July"  # right of a row
        ws.cell(ws.max_row + 3, 4).value = "Approved by: the Director"  # under the table
        ws.cell(r, col(ws, "value@2026-07-31")).value = 3
        ws.cell(r, col(ws, "value@2026-07-31")).comment = Comment("from the register", "KP")
        ws.row_dimensions[r + 1].hidden = True
        ws.auto_filter.ref = "A4:C9"
        wb.create_sheet("Working notes")["A1"] = "draft figures"

    sub = read_return(edit(src, tmp_path / "kp.xlsx", change), plan, PERIOD)
    assert sub.accepted, [str(p) for p in sub.problems]
    notes = [p.message for p in sub.problems if p.code == "note-outside-table"]
    assert any("see the annex for July" in n for n in notes)
    assert any("Approved by: the Director" in n for n in notes)
    assert [v.value for v in sub.values if v.indicator == "D8"] == [3]
    assert {p.code for p in sub.problems} == {"note-outside-table", "sheet-unexpected"}


def test_an_edited_plan_cell_shows_the_words_that_changed() -> None:
    want = (
        "Number of joint operations against trafficking carried out by the police"
        " together with the labour inspectorate in the regions"
    )
    got = want.replace("labour inspectorate", "tax administration")
    diff = word_diff(want, got)
    assert "[-labour inspectorate-] {+tax administration+}" in diff
    assert "together with the" in diff and "Number of joint" not in diff
    assert word_diff("a  b", "a b").startswith("only spaces")
