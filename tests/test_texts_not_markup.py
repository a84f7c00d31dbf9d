"""A plan text shaped like rich text (``<r>...</r>``) is written as that text in every
workbook we make: xlsxwriter writes such a string into ``sharedStrings.xml`` as it is,
taking it for rich text of its own making, so the workbook showed another text (or
needed Excel's repair), and a return made from it failed its own plan-cell check."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from returns import KEYS, PERIOD, generated

from mne_workbook.plan import Plan, load_plan, plan_from_dict, plan_to_dict
from mne_workbook.plan_workbook import import_plan, write_plan_workbook
from mne_workbook.reader import read_return

HERE = Path(__file__).resolve().parent
SHAPED = "<r><t>Another text</t></r>"
FIELDS = ("title", "text", "description", "means_of_verification")


def _shaped_plan() -> Plan:
    """The demo plan with its descriptive texts below the objectives' titles shaped like
    rich text."""
    data = plan_to_dict(load_plan(HERE.parent / "sample_plans" / "demo.yaml"))

    def walk(x: Any, depth: int) -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                if k in FIELDS and isinstance(v, str) and depth > 1:
                    x[k] = SHAPED
                else:
                    walk(v, depth + 1)
        elif isinstance(x, list):
            for v in x:
                walk(v, depth + 1)

    walk(data["strategic_objectives"], 0)
    return plan_from_dict(data)


def _texts(path: Path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    return [
        c.value
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and "Another text" in c.value
    ]


def _no_markup(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        sst = z.read("xl/sharedStrings.xml").decode("utf-8")
    assert "<r><t>Another text" not in sst
    assert "&lt;r&gt;&lt;t&gt;Another text" in sst


@pytest.fixture(scope="module")
def plan() -> Plan:
    return _shaped_plan()


def test_a_generated_return_shows_the_plan_text_and_reads_back_accepted(
    plan: Plan, tmp_path: Path
) -> None:
    made = generated(plan, tmp_path)
    path = next(p for inst, p in made.items() if inst != "master")
    _no_markup(path)
    shown = _texts(path)
    assert SHAPED in shown  # the text alone in its cell, as written
    assert all("<r>" in t for t in shown)  # never the rich text's own words alone
    sub = read_return(str(path), plan, PERIOD, None, KEYS, True)
    assert not sub.refused, [str(p) for p in sub.problems]
    assert not [p for p in sub.problems if p.code == "plan-cell-changed"]


def test_a_plan_workbook_keeps_the_text_through_export_and_import(
    plan: Plan, tmp_path: Path
) -> None:
    book = write_plan_workbook(plan, tmp_path / "plan.xlsx")
    _no_markup(book)
    assert SHAPED in _texts(book)
    report, back = import_plan(book)
    assert report.valid, [str(p) for p in report.errors]
    assert back == plan
