"""Keep many read returns small: equal immutable parts are held once.

A round of thousands of returns is consolidated from every return's values, answers
and cell locations (which return counts is decided per cell, over all of them), so
they are all held at once. Most of what a return holds repeats from return to return:
the activity and indicator codes, the collection periods, the cell references, the
identity of the workbook it was filled in, the map of where each input is. Each
Submission arriving from a worker is rebuilt here with those parts shared; every field
keeps an equal value, so nothing that reads it can tell the difference.

What is shared is never changed after reading: cell references, codes, dates and
identities are immutable, and the ``cells`` maps of Submissions are only read
(a merged return builds its own).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from .identity import Identity
from .reader import ActivityReport, CellRef, ReportedValue, Submission

T = TypeVar("T")


class Shared:
    """One table of shared parts for the returns of one run."""

    def __init__(self) -> None:
        # one table per type: values of different types that compare equal (1, 1.0,
        # True) must never stand in for each other
        self._text: dict[str, str] = {}
        self._date: dict[dt.date, dt.date] = {}
        #: a cell reference by its fields (a tuple hashes and compares without calling
        #: the dataclass's Python ``__hash__``/``__eq__``; equal exactly when they are)
        self._cell: dict[tuple[Any, ...], CellRef] = {}
        self._identity: dict[Identity, Identity] = {}
        #: a cells map by its items in order, each reference by its fields
        self._cells: dict[tuple[Any, ...], dict[tuple[str, str, str], CellRef]] = {}

    def _one(self, table: dict[T, T], x: T) -> T:
        return table.setdefault(x, x)

    def text(self, s: str) -> str:
        return self._text.setdefault(s, s) if type(s) is str else s

    def cell(self, ref: CellRef) -> CellRef:
        if type(ref) is not CellRef:
            return ref
        key = (ref.sheet, ref.row, ref.column)
        got = self._cell.get(key)
        if got is None:
            got = self._cell[key] = CellRef(self.text(ref.sheet), ref.row, self.text(ref.column))
        return got

    def submission(self, sub: Submission) -> Submission:
        """``sub`` with its repeated parts shared (changed in place, and returned)."""
        text, cell = self.text, self.cell
        if sub.identity is not None:
            sub.identity = self._one(self._identity, sub.identity)
        date = self._date.setdefault
        sub.values = [
            ReportedValue(
                text(v.activity),
                text(v.indicator),
                date(v.point_end, v.point_end),
                text(v.point),
                v.value,
                cell(v.cell),
                text(v.file),
            )
            if type(v) is ReportedValue
            else v
            for v in sub.values
        ]
        sub.activities = {text(k): self._activity(a) for k, a in sub.activities.items()}
        if sub.cells:
            sub.cells = self._cells_map(sub.cells)
        return sub

    def _cells_map(
        self, cells: dict[tuple[str, str, str], CellRef]
    ) -> dict[tuple[str, str, str], CellRef]:
        """The one shared map equal to ``cells``, item for item and in the same order."""
        key = tuple(
            (k, r.sheet, r.row, r.column) if type(r) is CellRef else (k, r)
            for k, r in cells.items()
        )
        got = self._cells.get(key)
        if got is None:
            text, cell = self.text, self.cell
            got = {(text(a), text(i), text(f)): cell(r) for (a, i, f), r in cells.items()}
            self._cells[key] = got
        return got

    def _activity(self, a: ActivityReport) -> ActivityReport:
        text = self.text
        a.activity = text(a.activity)
        a.cells = {text(k): self.cell(r) for k, r in a.cells.items()}
        a.sources = {text(k): text(v) for k, v in a.sources.items()}
        return a
