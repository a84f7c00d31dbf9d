"""OWASP CSV-injection payloads in every free-text field never become formulas anywhere."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
from itertools import cycle
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from returns import KEYS, ON_TIME, col, edit, generated, row_of

from mne_workbook.consolidate import consolidate
from mne_workbook.periods import Period
from mne_workbook.plan import load_plan
from mne_workbook.reader import read_return
from mne_workbook.report import to_json, to_pdf, write_consolidated, write_csv

PAYLOADS = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example","click")',
    '=DDE("cmd";"/C calc";"A0")',
]
Q4 = Period.parse("2026-Q4")  # the yearly text indicator D6 is due


def norm(text: str) -> str:
    """XML turns a carriage return into a line feed: the one change a payload may see."""
    return text.replace("\r", "\n")


SEEN = {norm(p) for p in PAYLOADS}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    plan = load_plan(Path(__file__).resolve().parent.parent / "sample_plans" / "demo.yaml")
    d = tmp_path_factory.mktemp("inject")
    gen = generated(plan, d / "gen", Q4)
    payload = cycle(PAYLOADS)
    planted: list[str] = []
    paths = []
    for inst in ("onatc", "kp", "mlsw", "mest"):

        def plant(wb: Any, inst: str = inst) -> None:
            for ws in wb.worksheets:
                if not ws.title.startswith("SO"):
                    continue
                acts = {ws.cell(r, 1).value for r in range(5, ws.max_row + 1)} - {None}
                targets = [(row_of(ws, a), col(ws, "comments")) for a in sorted(acts)]
                if inst == "mest" and ws.title == "SO1":  # the text-measure value, D6
                    targets.append((row_of(ws, "A1.2.2", "D6"), col(ws, "value@2026-12-31")))
                for r, c in targets:
                    text = next(payload)
                    cell = ws.cell(r, c)
                    cell.value, cell.data_type = text, "s"  # pasted as text
                    planted.append(text)

        paths.append(edit(gen[inst], d / f"{inst}.xlsx", plant, ON_TIME))
    subs = [read_return(p, plan, Q4, keys=KEYS, require_signature=True) for p in paths]
    con = consolidate(plan, subs, Q4, dt.date(2027, 1, 2))
    xlsx = write_consolidated(con, d / "out" / "consolidated.xlsx")
    write_csv(con, d / "out" / "csv")
    return {
        "plan": plan,
        "subs": subs,
        "con": con,
        "planted": planted,
        "xlsx": xlsx,
        "csv": d / "out" / "csv",
        "dir": d,
    }


def test_every_field_got_a_payload_and_was_read_as_text(outputs: dict[str, Any]) -> None:
    assert len(outputs["planted"]) >= 15 and set(outputs["planted"]) == set(PAYLOADS)
    assert all(s.accepted and not s.problems for s in outputs["subs"])
    read = [a.comment for s in outputs["subs"] for a in s.activities.values() if a.comment]
    read += [v.value for s in outputs["subs"] for v in s.values if isinstance(v.value, str)]
    assert sorted(read) == sorted(norm(p) for p in outputs["planted"])


def test_the_consolidated_workbook_holds_them_as_text_only(outputs: dict[str, Any]) -> None:
    wb = openpyxl.load_workbook(outputs["xlsx"])
    found = []
    for ws in wb.worksheets:
        assert not ws._hyperlinks
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if c.value in SEEN:
                    assert c.data_type == "s"
                    found.append(c.value)
    assert set(found) == SEEN  # every payload, as text (a comment shows on each indicator row)


def test_csv_neutralises_them_and_json_keeps_them_as_data(outputs: dict[str, Any]) -> None:
    rows = list(csv.DictReader((outputs["csv"] / "matrix.csv").open(encoding="utf-8", newline="")))
    cells = {v for r in rows for v in r.values() if v}
    for p in SEEN:
        assert "'" + p in cells and p not in cells, p
    data = json.loads(json.dumps(to_json(outputs["con"])))
    texts = {v for r in data["matrix"] for v in r.values() if isinstance(v, str)}
    assert texts & SEEN == SEEN


@pytest.mark.needs("soffice", "pdftotext")
def test_the_pdf_prints_them_literally(outputs: dict[str, Any]) -> None:
    pdf = to_pdf(outputs["xlsx"])
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "=cmd|' /C calc'!A0" in text and "@SUM(1,1)" in text and "=1+1" in text


def test_a_formula_typed_into_a_cell_is_refused_at_its_cell(tmp_path: Path) -> None:
    plan = load_plan(Path(__file__).resolve().parent.parent / "sample_plans" / "demo.yaml")
    gen = generated(plan, tmp_path / "gen", Q4)

    def typed(wb: Any) -> None:
        ws = wb["SO2"]
        ws.cell(row_of(ws, "A2.1.1"), col(ws, "comments")).value = "=1+1"  # a real formula

    sub = read_return(
        edit(gen["kp"], tmp_path / "kp.xlsx", typed), plan, Q4, keys=KEYS, require_signature=True
    )
    [p] = sub.problems
    assert p.code == "formula-in-cell" and sub.activities["A2.1.1"].comment is None
