"""Build returned workbooks for tests: generate once, then fill or damage copies."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

from mne_workbook.fill import fill_return, set_arrived_at, set_saved_at
from mne_workbook.generate import generate
from mne_workbook.periods import Period
from mne_workbook.plan import Plan
from mne_workbook.signing import KeyRing

PERIOD = Period.parse("2026-Q3")  # due 2026-10-15; no rating due
STAMP = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
ON_TIME = dt.datetime(2026, 10, 10, 9, 0)
LATE = dt.datetime(2026, 10, 20, 9, 0)


KEYS = KeyRing((bytes.fromhex("6d6e652d776f726b626f6f6b2d746573742d6b65792d6e6f742d736563726574"),))


def generated(plan: Plan, out: Path, period: Period = PERIOD) -> dict[str, Path]:
    """The period's workbooks, signed with the test key (as conftest sets it for the CLI)."""
    return {
        w.institution or "master": w.path
        for w in generate(plan, period, out, generated_at=STAMP, keys=KEYS)
    }


def copy(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    return dst


def edit(src: Path, dst: Path, change: Any, saved_at: dt.datetime | None = ON_TIME) -> Path:
    """Apply ``change(workbook)`` with openpyxl and save to ``dst``."""
    wb = openpyxl.load_workbook(src)
    change(wb)
    wb.save(dst)
    if saved_at is not None:
        set_saved_at(dst, saved_at)
        set_arrived_at(dst, saved_at)  # reached the inbox when it was saved
    return dst


def identity_of(src: Path) -> Callable[[Any], None]:
    """An :func:`edit` change that puts ``src``'s genuine identity (sheet, custom
    properties, defined name) on another workbook: a copied identity."""
    wb = openpyxl.load_workbook(src)
    pairs = list(wb["_identity"].iter_rows(values_only=True))
    props = {x.name: x.value for x in wb.custom_doc_props.props}
    name = wb.defined_names["mne_identity"].attr_text

    def change(target: Any) -> None:
        for row, (k, v) in zip(target["_identity"].iter_rows(), pairs, strict=True):
            row[0].value, row[1].value = k, v
        for prop in target.custom_doc_props.props:
            prop.value = props.get(prop.name, prop.value)
        target.defined_names["mne_identity"].attr_text = name

    return change


def col(ws: Any, field: str) -> int:
    return [c.value for c in ws[3]].index(field) + 1


def row_of(ws: Any, activity: str, indicator: str = "") -> int:
    for r in range(5, ws.max_row + 1):
        if ws.cell(r, 1).value == activity and (
            indicator == "" or (ws.cell(r, 2).value or "") == indicator
        ):
            return r
    raise KeyError((activity, indicator))


__all__ = ["LATE", "ON_TIME", "PERIOD", "copy", "edit", "fill_return", "generated"]
