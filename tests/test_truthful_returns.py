"""Returns edited in LibreOffice Calc the way ministry staff really edit them: typed,
pasted as text, re-formatted, unmerged, noted under the table, saved as another format.
Every value reaching the matrix is what the person saw in the cell, or it is flagged."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from lo import require_soffice
from programs import require_uno
from returns import ON_TIME, PERIOD, col, generated, row_of

from mne_workbook.consolidate import consolidate
from mne_workbook.fill import fill_return, random_entries
from mne_workbook.plan import Plan, load_plan
from mne_workbook.reader import Submission, read_return

ROOT = Path(__file__).resolve().parent.parent
UNO = Path(__file__).resolve().parent / "calc_uno.py"
XLSX, ODS, XLS, CSV = (
    "Calc MS Excel 2007 XML",
    "calc8",
    "MS Excel 97",
    "Text - txt - csv (StarCalc)",
)
NOTE = "Prepared by: A. Berisha / Approved by: the Director"

pytestmark = pytest.mark.needs("soffice")


def _addr(path: Path, sheet: str, act: str, ind: str, field: str) -> str:
    ws = openpyxl.load_workbook(path)[sheet]
    return f"{openpyxl.utils.get_column_letter(col(ws, field))}{row_of(ws, act, ind)}"


def _merged(path: Path, sheet: str, act: str, field: str) -> str:
    ws = openpyxl.load_workbook(path)[sheet]
    r, c = row_of(ws, act), col(ws, field)
    for rng in ws.merged_cells.ranges:
        if rng.min_row == r and rng.min_col == c:
            return str(rng.coord)
    raise AssertionError(f"{act} {field} is not merged")


def _calc(jobs: list[dict[str, Any]], work: Path) -> None:
    """Run every job in one LibreOffice Calc session driven through UNO."""
    require_soffice()
    python = require_uno()
    spec = work / "jobs.json"
    spec.write_text(json.dumps(jobs), "utf-8")
    subprocess.run([python, str(UNO), str(spec)], check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def calc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    plan = load_plan(ROOT / "sample_plans" / "demo.yaml")
    work = tmp_path_factory.mktemp("calc")
    gen = generated(plan, work / "gen")
    kp, mlsw = gen["kp"], gen["mlsw"]

    def at(src: Path, act: str, ind: str, field: str, sheet: str = "SO2") -> str:
        return _addr(src, sheet, act, ind, field)

    ws = openpyxl.load_workbook(kp)["SO2"]
    below = f"D{ws.max_row + 2}"
    kp_ops = [
        {"op": "unprotect", "sheet": "SO2"},
        # pasted as text: 1.500 can be 1.5 or 1500
        {
            "op": "paste_text",
            "sheet": "SO2",
            "cell": at(kp, "A2.1.1", "D8", "value@2026-07-31"),
            "text": "1.500",
        },
        # a count typed as 4, then the % format applied: Calc shows 400 %
        {
            "op": "type",
            "sheet": "SO2",
            "cell": at(kp, "A2.1.1", "D8", "value@2026-08-31"),
            "text": "4",
        },
        {
            "op": "format",
            "sheet": "SO2",
            "cell": at(kp, "A2.1.1", "D8", "value@2026-08-31"),
            "code": "0%",
        },
        # a number given a date format: Calc shows 1900-02-14
        {
            "op": "type",
            "sheet": "SO2",
            "cell": at(kp, "A2.1.1", "D8", "value@2026-09-30"),
            "text": "45",
        },
        {
            "op": "format",
            "sheet": "SO2",
            "cell": at(kp, "A2.1.1", "D8", "value@2026-09-30"),
            "code": "YYYY-MM-DD",
        },
        # half a person
        {
            "op": "type",
            "sheet": "SO2",
            "cell": at(kp, "A2.1.1", "D9", "value@2026-09-30"),
            "text": "2.5",
        },
        # 0.45 in a 0-100 percentage
        {
            "op": "type",
            "sheet": "SO2",
            "cell": at(kp, "A2.1.2", "D10", "value@2026-09-30"),
            "text": "0.45",
        },
        # the code says 4, the label says 3
        {
            "op": "paste_text",
            "sheet": "SO2",
            "cell": at(kp, "A2.1.1", "", "status"),
            "text": "4 - Has started",
        },
        {"op": "type", "sheet": "SO2", "cell": at(kp, "A2.1.2", "", "status"), "text": "3.7"},
        # a line break pasted from Word
        {
            "op": "paste_text",
            "sheet": "SO2",
            "cell": at(kp, "A2.1.1", "", "comments"),
            "text": "first line\x0bsecond line",
        },
        {"op": "type", "sheet": "SO2", "cell": below, "text": NOTE},
    ]
    status = _merged(mlsw, "SO2", "A2.1.1", "status")
    comments = _merged(mlsw, "SO2", "A2.1.1", "comments")
    top, low = status.split(":")
    ctop, clow = comments.split(":")
    mlsw_ops = [
        {"op": "unprotect", "sheet": "SO2"},
        {"op": "unmerge", "sheet": "SO2", "range": status},
        {"op": "unmerge", "sheet": "SO2", "range": comments},
        {"op": "type", "sheet": "SO2", "cell": top, "text": "2"},
        {"op": "type", "sheet": "SO2", "cell": low, "text": "4"},
        {"op": "type", "sheet": "SO2", "cell": clow, "text": "Written in the split cell"},
    ]
    assert ctop  # the top cell of the comments stays blank: the comment is below it
    mest = work / "mest-filled.xlsx"
    fill_return(
        gen["mest"],
        mest,
        random_entries(plan, PERIOD, "mest", random.Random(3)),
        ON_TIME,
    )
    inbox = work / "inbox"
    inbox.mkdir()
    jobs: list[dict[str, Any]] = [
        {"src": str(kp), "ops": kp_ops, "save": [[str(work / "kp.xlsx"), XLSX]]},
        {"src": str(mlsw), "ops": mlsw_ops, "save": [[str(work / "mlsw.xlsx"), XLSX]]},
        {
            "src": str(mest),
            "ops": [],
            "save": [
                [str(inbox / "MEST_2026-Q3.ods"), ODS],
                [str(work / "mest.xls"), XLS],
                [str(work / "mest.csv"), CSV],
            ],
        },
        # opened and saved again without a single answer
        {"src": str(gen["onatc"]), "ops": [], "save": [[str(inbox / "onatc.xlsx"), XLSX]]},
    ]
    _calc(jobs, work)
    return {"plan": plan, "work": work, "inbox": inbox, "gen": gen, "mest": mest}


def _codes(sub: Submission) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in sub.problems:
        out.setdefault(p.code, []).append(p.message)
    return out


def test_typed_pasted_and_reformatted_values_are_read_as_seen_or_flagged(
    calc: dict[str, Any],
) -> None:
    plan: Plan = calc["plan"]
    sub = read_return(calc["work"] / "kp.xlsx", plan, PERIOD)
    assert sub.accepted, [str(p) for p in sub.problems]
    codes = _codes(sub)
    values = {(v.indicator, v.point): v.value for v in sub.values}
    # never a silent wrong value: 1.500, 400 % and a date are flagged and left out
    assert "can be read as 1.5 or 1500" in codes["ambiguous-number"][0]
    mismatch = " ".join(codes["number-format-mismatch"])
    assert "400 %" in mismatch and "date" in mismatch
    assert not [k for k in values if k[0] == "D8"]
    # plausible but odd values are used, with a warning on their cell
    assert values[("D9", "2026-Q3")] == 2.5 and codes["fraction-on-count"]
    assert values[("D10", "2026-Q3")] == 0.45 and codes["percentage-as-fraction"]
    # codes: the code and its label disagree; a fraction is not a code
    assert "the code says 4" in codes["code-label-conflict"][0]
    assert any("3.7" in m for m in codes["invalid-code"])
    assert sub.activities["A2.1.1"].status is None and sub.activities["A2.1.2"].status is None
    # the Word line break is a line break, not _x000B_
    assert sub.activities["A2.1.1"].comment == "first line\nsecond line"
    # the note under the table does not refuse the return; its text is shown
    [note] = codes["note-outside-table"]
    assert NOTE in note


def test_the_note_reaches_the_consolidated_flags(calc: dict[str, Any]) -> None:
    plan: Plan = calc["plan"]
    sub = read_return(calc["work"] / "kp.xlsx", plan, PERIOD)
    con = consolidate(plan, [sub], PERIOD)
    assert any(f.code == "note-outside-table" and NOTE in f.message for f in con.flags)
    # the flagged value cells are marked on the matrix cell they are about
    assert any(
        f.code == "fraction-on-count" and (f.activity, f.indicator) == ("A2.1.1", "D9")
        for f in con.flags
    )


def test_an_unmerged_activity_range_is_read_or_flagged_never_dropped(
    calc: dict[str, Any],
) -> None:
    sub = read_return(calc["work"] / "mlsw.xlsx", calc["plan"], PERIOD)
    assert sub.accepted, [str(p) for p in sub.problems]
    codes = _codes(sub)
    assert "holds 2 in" in codes["activity-cells-differ"][0]
    assert sub.activities["A2.1.1"].status is None
    assert sub.activities["A2.1.1"].comment == "Written in the split cell"
    assert codes["unmerged-range"]


def test_files_saved_in_other_formats_say_what_they_are_and_what_to_do(
    calc: dict[str, Any],
) -> None:
    plan: Plan = calc["plan"]
    work, inbox = calc["work"], calc["inbox"]
    want = {
        inbox / "MEST_2026-Q3.ods": ("opendocument-spreadsheet", "save as Excel 2007-365"),
        work / "mest.xls": ("legacy-xls", "save as Excel 2007-365"),
        work / "mest.csv": ("not-a-workbook", "CSV"),
    }
    for path, (code, words) in want.items():
        sub = read_return(path, plan, PERIOD)
        assert sub.refused
        reason = sub.refusal()
        assert reason is not None and reason.code == code and words in reason.message, path


def test_a_blank_resave_is_not_a_return_and_a_refused_sender_is_not_overdue(
    calc: dict[str, Any], tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from mne_workbook.cli import main

    plan: Plan = calc["plan"]
    inbox = calc["inbox"]
    subs = [read_return(p, plan, PERIOD) for p in sorted(inbox.iterdir())]
    con = consolidate(plan, subs, PERIOD)
    codes = {(f.code, f.institution) for f in con.flags}
    assert ("empty-return", "onatc") in codes
    assert ("return-refused", "mest") in codes and ("return-overdue", "mest") not in codes
    assert ("return-pending", "mest") not in codes
    assert {r.institution: r.received for r in con.rates}["onatc"] == 0
    [refused] = [f for f in con.flags if f.code == "return-refused"]
    assert refused.message.startswith("refused: ") and "MEST_2026-Q3.ods" in refused.message
    r = CliRunner().invoke(
        main,
        [
            "consolidate",
            str(ROOT / "sample_plans" / "demo.yaml"),
            str(inbox),
            "--period",
            PERIOD.label,
            "--out",
            str(tmp_path / "c.xlsx"),
            "--json",
            str(tmp_path / "c.json"),
        ],
    )
    assert r.exit_code == 1, r.output
    data = json.loads((tmp_path / "c.json").read_text("utf-8"))
    files = {s["File"]: s["Status"] for s in data["submissions"]}
    assert files["MEST_2026-Q3.ods"] == "refused" and "onatc.xlsx" in files
