"""What the consolidated workbook says to the Inter-Ministerial Group (no LibreOffice)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from meeting_case import MISSING, MeetingCase, build

from mne_workbook.report_style import (
    BODY_PT,
    NOT_REPORTED_FILL,
    ONE_LINE,
    STATUS_CHART,
    STATUS_FILL,
)
from mne_workbook.textmetrics import MAX_ROW_PT
from mne_workbook.vocab import Status


@pytest.fixture(scope="session")
def pack(tmp_path_factory: pytest.TempPathFactory) -> MeetingCase:
    return build(tmp_path_factory.mktemp("meeting"))


@pytest.fixture(scope="session")
def wb(pack: MeetingCase) -> Any:
    return openpyxl.load_workbook(pack.consolidated)


def texts(ws: Any) -> list[str]:
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


def test_the_meeting_page_comes_first_and_names_who_did_not_report(
    pack: MeetingCase, wb: Any
) -> None:
    assert wb.sheetnames[:2] == ["Meeting", "Summary"]
    meeting = wb["Meeting"]
    rows = [[c.value for c in row] for row in meeting.iter_rows()]
    for inst in MISSING:
        name = pack.case.plan.institution(inst).name
        row = next(r for r in rows if r[0] == name)
        assert row[1] == "NOT REPORTED" and row[3] == (pack.con.as_of - pack.con.due_date).days
    late = next(r for r in rows if r[0] == "Kosovo Police")
    assert late[3] == 3  # saved three days after the due date
    overdue = [f.activity for f in pack.con.flags if f.code == "activity-overdue"]
    heading = next(r[0] for r in rows if str(r[0]).startswith("Activities overdue"))
    assert heading.endswith(f"({len(overdue)})")
    assert all(any(r[0] == code for r in rows) for code in overdue)


def test_a_missing_carriers_rows_say_not_reported_and_never_completed(
    pack: MeetingCase, wb: Any
) -> None:
    names = {i.id: i.short_name for i in pack.case.plan.institutions}
    missing = {names[i] for i in MISSING}
    seen = 0
    for so in pack.case.plan.strategic_objectives:
        ws = wb[so.code]
        heads = [c.value for c in ws[3]]
        inst, status = heads.index("Institution"), heads.index("Status")
        for row in ws.iter_rows(min_row=4, values_only=True):
            if row[inst] in missing and row[status]:
                assert row[status] == "Not reported"
                seen += 1
    assert seen
    carriers = {a.activity.code: a.activity.carriers for a in pack.case.plan.iter_activities()}
    for row in pack.con.rows:
        if set(carriers[row["activity"]]) & set(MISSING):
            assert row["combined_status"] != Status.COMPLETED


def test_plan_gaps_are_summarised_and_flags_sorted_by_severity_with_names(
    pack: MeetingCase, wb: Any
) -> None:
    gaps = wb["Plan gaps"]
    assert gaps.sheet_state == "hidden"
    kinds = [r for r in gaps.iter_rows(min_row=3, values_only=True) if r[0]]
    by_code = pack.con.flags_by_code()
    assert sorted(r[1] for r in kinds) == sorted(
        n for c, n in by_code.items() if c.startswith("plan-gap-")
    )
    flags = wb["Flags"]
    rows = list(flags.iter_rows(min_row=3, values_only=True))
    assert len(rows) == sum(n for c, n in by_code.items() if not c.startswith("plan-gap-"))
    order = {"error": 0, "warning": 1, "info": 2}
    severities = [order[r[0]] for r in rows]
    assert severities == sorted(severities)
    ids = {i.id for i in pack.case.plan.institutions}
    assert not any(r[2] in ids for r in rows), "institution names, not ids"


def test_every_row_has_a_measured_height_within_excels_limit(wb: Any) -> None:
    for ws in wb.worksheets:
        if not re.fullmatch(r"SO\d", ws.title):
            continue
        for r in range(4, ws.max_row + 1):
            h = ws.row_dimensions[r].height
            assert h is not None and ONE_LINE - 0.01 <= h <= MAX_ROW_PT, (ws.title, r)


def test_headers_keep_plan_and_period_and_dates_are_iso(wb: Any) -> None:
    for ws in wb.worksheets:
        if ws.sheet_state == "hidden":  # never printed: no print setup at all
            assert not ws.print_area and not ws.oddHeader.left.text, ws.title
            continue
        left = ws.oddHeader.left.text or ""
        assert "2019-Q4" in left and "National Strategy" in left, ws.title
        assert re.search(r"Written \d{4}-\d\d-\d\d", ws.oddFooter.left.text or "")
        assert "&D" not in (ws.oddFooter.left.text or "")
        for text in texts(ws):
            assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b", text), (ws.title, text)


def test_body_text_prints_at_7_pt_or_more(wb: Any) -> None:
    for ws in wb.worksheets:
        scale = int(ws.page_setup.scale or 100)
        assert BODY_PT * scale / 100 >= 7.0, ws.title


def test_status_chart_colours_run_from_red_to_green_then_grey(pack: MeetingCase) -> None:
    with zipfile.ZipFile(pack.consolidated) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    status = next(c for c in charts if "Activities by status" in c)
    colours = re.findall(r'<c:spPr><a:solidFill><a:srgbClr val="([0-9A-F]{6})"', status)
    want = [STATUS_CHART[s].lstrip("#") for s in (1, 3, 2, 4)] + ["A6A6A6"]
    assert colours == want
    assert "<c:majorUnit" in status  # whole-number steps on the count axis
    assert "SO1" in status and status.index("SO1") < status.index("SO4")


def test_realistic_comments_are_90_to_250_characters(pack: MeetingCase) -> None:
    lengths = [len(c) for c in pack.case.comments.values()]
    assert lengths and min(lengths) >= 90 and max(lengths) <= 250
    assert {i for i, _ in pack.case.comments} == {
        i.id for i in pack.case.plan.institutions if i.id not in MISSING
    }


def test_the_case_leaves_out_the_two_missing_institutions(pack: MeetingCase) -> None:
    sent = {Path(p).name for p in pack.case.returns.iterdir()}
    carriers = {c for a in pack.case.plan.iter_activities() for c in a.activity.carriers}
    assert len(sent) == len(carriers) - 2 and not any(n.startswith(("MOH", "MFA")) for n in sent)


def test_summary_status_counts_are_coloured_by_status(wb: Any) -> None:
    ws = wb["Summary"]
    head = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Strategic objective")
    labels = [ws.cell(head, c).value for c in range(2, 7)]
    assert labels[-1] == "Not reported" and labels[0].startswith("1 ")  # least advanced first
    want = [STATUS_FILL[s].lstrip("#") for s in (1, 3, 2, 4)] + [NOT_REPORTED_FILL.lstrip("#")]
    for r in range(head + 1, head + 5):
        assert ws.cell(r, 1).value.startswith("SO")
        got = [ws.cell(r, c).fill.fgColor.rgb[-6:] for c in range(2, 7)]
        assert got == want, (r, got)


def test_no_return_is_flagged_with_an_impossible_saved_time(pack: MeetingCase) -> None:
    assert "implausible-saved-time" not in pack.con.flags_by_code()


@pytest.mark.parametrize("points", [1, 2, 3, 4])
def test_matrix_columns_print_at_7_pt_with_up_to_four_value_columns(points: int) -> None:
    from mne_workbook.printing import a3_scale
    from mne_workbook.report import matrix_widths

    assert BODY_PT * a3_scale(matrix_widths(points)) / 100 >= 7.0
