"""What the rule decides from a return's facts alone (its answers may wait on disk):
whether it answered anything, and whether two returns are copies of each other."""

from __future__ import annotations

import copy

from memreturns import JUL, Q3, at, layout_cells, problem, ret, small_plan

from mne_workbook.reader import Submission
from mne_workbook.return_rule import Choice, choose
from mne_workbook.spill import Spill

PLAN = small_plan()


def _choices(*subs: Submission) -> tuple[Choice, Choice]:
    """The choice made in memory and with the answers on disk."""
    in_memory = choose([copy.deepcopy(s) for s in subs])
    with Spill() as spill:
        held = [spill.keep(copy.deepcopy(s)) for s in subs]
        on_disk = choose(held, spill)
        return in_memory, on_disk


def _cell(inst: str) -> tuple[str, int, str]:
    c = layout_cells(PLAN, inst, Q3)[("A1.1.1", "I1", "value@2026-07-31")]
    return c.sheet, c.row, c.column


def test_a_return_with_only_a_warning_at_a_cell_answered_nothing() -> None:
    """Nothing entered, a warning at a cell: an empty return (it does not count); an
    error at a cell means something was entered there (refused): not empty."""
    sheet, row, column = _cell("kp")
    warned = ret(
        PLAN, "kp", "warned.xlsx", arrived=at("2026-10-01"),
        problems=[problem("fraction-on-count", "0.5", sheet, row, column)],
    )  # fmt: skip
    for choice in _choices(warned):
        assert [s.name for s in choice.empty.get("kp", [])] == ["warned.xlsx"]
        assert "kp" not in choice.used
    erred = ret(
        PLAN, "kp", "erred.xlsx", arrived=at("2026-10-01"),
        problems=[problem("formula-in-cell", "=1+1", sheet, row, column)],
    )  # fmt: skip
    for choice in _choices(erred):
        assert "kp" not in choice.empty
        assert choice.used["kp"].name == "erred.xlsx"


def test_returns_that_differ_by_a_fraction_are_not_copies() -> None:
    """1 and 1.5 in the same cell are two returns (the newer counts), not one return and
    its copy; and the same answers twice are a copy, counted once."""
    key = ("A1.1.1", "I1", JUL)
    older = ret(PLAN, "kp", "older.xlsx", values={key: 1}, arrived=at("2026-10-01"))
    newer = ret(PLAN, "kp", "newer.xlsx", values={key: 1.5}, arrived=at("2026-10-02"))
    for choice in _choices(older, newer):
        assert choice.copies == {}
        assert [v.value for v in choice.used["kp"].values] == [1.5]
    again = ret(PLAN, "kp", "again.xlsx", values={key: 1}, arrived=at("2026-10-02"))
    for choice in _choices(older, again):
        assert choice.copies == {"older.xlsx": "again.xlsx"}
