"""Outputs of a consolidation: the print-ready workbook, JSON, CSV, and PDF.

Every string that came from a returned file is written as a string: never as a
formula, hyperlink or number-guess (xlsxwriter's conversions are off and each cell
is written by type). CSV cells that a spreadsheet would run as a formula get a
leading apostrophe, as OWASP recommends.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xlsxwriter.worksheet import Worksheet

from .arrival import SOURCE_TEXT, arrival_of, arrived_by, plan_zone, show
from .consolidate import Consolidation, Flag
from .errors import CATALOG, Location, UsageError, fail
from .printing import a3_scale, header, hide, page_room, plan_breaks, setup
from .report_style import (
    BODY_PT,
    FLAG_FILL,
    LABELS_NO_ZERO,
    NOT_REPORTED_CHART,
    NOT_REPORTED_FILL,
    ONE_LINE,
    PLAN_GAP_PREFIX,
    RATING_CHART,
    RATING_FILL,
    SEVERITY_ORDER,
    STATUS_CHART,
    STATUS_FILL,
    STATUS_ORDER,
    Fill,
    Styles,
    cell_text,
    count_axis,
    flag_legend,
    formats,
    legend,
    namer,
    new_workbook,
    put_cell,
    put_row,
    rating_legend,
    return_state,
    set_height,
    status_legend,
    table,
    title_row,
)

# re-exported: the CLI and the web desk use them
from .report_style import arrived_text as arrived_text
from .report_style import code_text as code_text
from .streamed_sheet import StreamedSheet
from .textmetrics import PRINT, row_height, split_to_fit
from .vocab import Status

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """Neutralise a string a spreadsheet could treat as a formula (CSV injection).

    Besides OWASP's leading ``= + - @``, tab and CR, a trigger after leading white
    space counts too: some importers strip it.
    """
    if isinstance(value, str) and (
        value.startswith(FORMULA_TRIGGERS) or value.lstrip().startswith(FORMULA_TRIGGERS)
    ):
        return "'" + value
    return value


def write_consolidated(con: Consolidation, path: str | Path) -> Path:
    """Write the consolidated workbook atomically; returns its path."""
    from .atomic import atomic_write

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, lambda tmp: _write(con, tmp))
    return target


def _write(con: Consolidation, path: Path) -> None:
    from .meeting import meeting_sheet

    wb = new_workbook(path)
    try:
        f = formats(wb)
        wb.set_properties(
            {
                "title": f"{con.plan.title} - {con.period.label} (consolidated)",
                "author": "mne-workbook",
            }
        )
        meeting_sheet(wb, con, f)
        _summary(wb, con, f)
        for so in con.plan.strategic_objectives:
            _so_matrix(wb, con, so.code, so.title, f)
        _flags_sheet(wb, con, f)
        _submissions_sheet(wb, con, f)
        _plan_gaps_sheet(wb, con, f)
    finally:
        wb.close()


def status_counts(con: Consolidation, so_code: str) -> dict[int | None, int]:
    counts: dict[int | None, int] = dict.fromkeys([*(int(s) for s in Status), None], 0)
    seen = set()
    for row in con.rows:
        if row["so"] == so_code and row["activity"] not in seen:
            seen.add(row["activity"])
            counts[row["combined_status"]] += 1
    return counts


def _summary(wb: Any, con: Consolidation, f: Styles) -> None:
    ws = wb.add_worksheet("Summary")
    widths = [44, 10, 10, 10, 20, 24, 20]
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    title_row(ws, 0, f"Consolidated M&E matrix: {con.plan.title}", widths, f)
    facts = [
        ("Reporting period", f"{con.period.label} ({con.period.start} to {con.period.end})"),
        ("Returns due", con.due_date.isoformat()),
        ("As of", con.as_of.isoformat()),
        ("Plan version", con.plan.version),
    ]
    for i, (k, v) in enumerate(facts, start=2):
        ws.write_string(i, 0, k, f.label)
        ws.write_string(i, 1, v, f.line)
    legend(
        ws,
        6,
        0,
        [
            ("Not reported", NOT_REPORTED_FILL),
            ("Refused", FLAG_FILL["error"]),
            ("Late", FLAG_FILL["warning"]),
        ],
        f,
        widths,
    )
    r = 8
    ws.write_string(r, 0, "Returns received and on time", f.heading)
    rates, fills = [], []
    for x in con.rates:
        state, fill = return_state(con, x.institution)
        rates.append(
            [
                x.name,
                x.expected,
                x.received,
                x.on_time,
                state,
                x.arrived_at[:10],  # the day (ONATC's time); the Submissions sheet has the rest
                x.file,
            ]
        )
        fills.append([fill, None, None, None, fill, None, None])
    o = con.overall
    rates.append(["All institutions", o.expected, o.received, o.on_time, "", "", ""])
    fills.append([None] * 7)
    heads = [
        "Institution",
        "Expected",
        "Received",
        "On time (arrived)",
        "Return",
        "Arrived",
        "File",
    ]
    end = table(ws, r + 1, heads, rates, f, widths, fills)
    ws.write_string(end + 1, 0, "Reporting rate (%)", f.label)
    put_cell(ws, end + 1, 1, round(o.reporting_rate or 0.0, 1), f.cell(num="0.0"))
    ws.write_string(end + 2, 0, "On-time rate (%)", f.label)
    put_cell(ws, end + 2, 1, round(o.on_time_rate or 0.0, 1), f.cell(num="0.0"))

    # status of the activities per strategic objective (combined status)
    r = end + 4
    ws.write_string(r, 0, "Status of the activities (combined over carriers)", f.heading)
    legend(ws, r + 1, 0, status_legend(), f, widths)
    heads = ["Strategic objective"] + [code_text("status", int(s)) for s in STATUS_ORDER]
    heads.append("Not reported")
    rows: list[list[Any]] = []
    fills = []
    for so in con.plan.strategic_objectives:
        counts = status_counts(con, so.code)
        rows.append([so.code, *[counts[int(s)] for s in STATUS_ORDER], counts[None]])
        fills.append([None, *[STATUS_FILL[int(s)] for s in STATUS_ORDER], NOT_REPORTED_FILL])
    status_top = r + 2
    status_end = table(ws, status_top, heads, rows, f, widths, fills)
    status_chart = wb.add_chart({"type": "column", "subtype": "stacked"})
    colours = [STATUS_CHART[int(s)] for s in STATUS_ORDER] + [NOT_REPORTED_CHART]
    for c in range(1, len(heads)):
        status_chart.add_series(
            {
                "name": ["Summary", status_top, c],
                "categories": ["Summary", status_top + 1, 0, status_end, 0],
                "values": ["Summary", status_top + 1, c, status_end, c],
                "fill": {"color": colours[c - 1]},
            }
        )
    status_chart.set_title({"name": "Activities by status"})
    count_axis(status_chart, max((sum(map(int, x[1:])) for x in rows), default=1), "Activities")
    status_chart.set_legend({"position": "right"})
    status_chart.set_size({"width": 560, "height": 320})

    # ratings given in the returns
    r = status_end + 2
    ws.write_string(r, 0, "Ratings given (activities)", f.heading)
    rating_rows: list[list[Any]] = []
    for label, key in (("Half-year (HY)", "rating_hy"), ("Yearly (Y)", "rating_y")):
        counts = {1: 0, 2: 0, 3: 0}
        for sub in con.used.values():
            for rep in sub.activities.values():
                v = getattr(rep, key)
                if v in counts:
                    counts[v] += 1
        rating_rows.append([label, counts[1], counts[2], counts[3]])
    rating_top = r + 1
    rating_end = table(
        ws,
        rating_top,
        ["Rating", *(code_text("rating", i) for i in (1, 2, 3))],
        rating_rows,
        f,
        widths,
        [[None, RATING_FILL[1], RATING_FILL[2], RATING_FILL[3]]] * len(rating_rows),
    )
    rating_chart = wb.add_chart({"type": "column"})
    for c in range(1, 4):
        rating_chart.add_series(
            {
                "name": ["Summary", rating_top, c],
                "categories": ["Summary", rating_top + 1, 0, rating_end, 0],
                "values": ["Summary", rating_top + 1, c, rating_end, c],
                "fill": {"color": RATING_CHART[c]},
                "data_labels": LABELS_NO_ZERO,
            }
        )
    rating_chart.set_title({"name": "Ratings"})
    count_axis(rating_chart, max(int(n) for x in rating_rows for n in x[1:]), "Activities")
    rating_chart.set_legend({"position": "bottom"})
    rating_chart.set_size({"width": 560, "height": 320})

    # flags by code (plan gaps summarised on their own sheet)
    r = rating_end + 2
    ws.write_string(r, 0, "Flags by code (each listed on the Flags sheet)", f.heading)
    by_code = con.flags_by_code()
    flag_rows = [
        [CATALOG[code].title, str(CATALOG[code].severity), n, code]
        for code, n in sorted(
            by_code.items(), key=lambda kv: (SEVERITY_ORDER[str(CATALOG[kv[0]].severity)], kv[0])
        )
        if not code.startswith(PLAN_GAP_PREFIX)
    ]
    gaps = sum(n for code, n in by_code.items() if code.startswith(PLAN_GAP_PREFIX))
    if gaps:
        flag_rows.append(["Plan gaps (summarised on the hidden sheet Plan gaps)", "info", gaps, ""])
    end = table(ws, r + 1, ["Meaning", "Severity", "Count", "Code"], flag_rows, f, widths)
    breaks: list[int] = []
    if con.history is not None:
        end = _history_tables(wb, ws, con.history, end + 2, f, widths, breaks)

    # the charts right of the tables, inside the printed page, one above the other
    chart_col = len(widths) + 1
    ws.set_column(len(widths), len(widths), 2)
    ws.set_column(chart_col, chart_col + 7, 12)
    ws.insert_chart(8, chart_col, status_chart)
    ws.insert_chart(8, chart_col, rating_chart, {"y_offset": 340})
    if breaks:
        ws.set_h_pagebreaks(breaks)
    setup(
        ws,
        header(con.plan.title, con.period.label, "Summary"),
        [*widths, 2, *[12] * 8],
        max(end, 8 + 34),
        as_of=con.as_of,
    )


def _history_tables(
    wb: Any, ws: Worksheet, hist: Any, r: int, f: Styles, widths: Sequence[float], breaks: list[int]
) -> int:
    """Trends over the stored periods and progress against targets (from the store)."""
    ws.write_string(r, 0, "Trends over the periods", f.heading)
    heads = [
        "Period",
        "Received",
        "Expected",
        "On time",
        *[code_text("status", int(s)) for s in STATUS_ORDER],
        "Not reported",
    ]
    rows = [
        [
            t.period,
            t.received,
            t.expected,
            t.on_time,
            *[t.statuses.get(int(s), 0) for s in STATUS_ORDER],
            t.statuses.get(None, 0),
        ]
        for t in hist.trends
    ]
    wide = [*widths, *[14] * (len(heads) - len(widths))]
    top = r + 1
    end = table(ws, top, heads, rows, f, wide)
    if len(rows) >= 2:  # a trend needs two periods
        chart = wb.add_chart({"type": "column", "subtype": "stacked"})
        colours = [STATUS_CHART[int(s)] for s in STATUS_ORDER] + [NOT_REPORTED_CHART]
        for k, c in enumerate(range(4, 4 + len(STATUS_ORDER) + 1)):
            chart.add_series(
                {
                    "name": ["Summary", top, c],
                    "categories": ["Summary", top + 1, 0, end, 0],
                    "values": ["Summary", top + 1, c, end, c],
                    "fill": {"color": colours[k]},
                }
            )
        chart.set_title({"name": "Activities by status over the periods"})
        count_axis(chart, max(sum(map(int, x[4:])) for x in rows), "Activities")
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 900, "height": 300})
        breaks.append(end + 2)
        ws.insert_chart(end + 2, 0, chart)
        end += 17
    r = end + 2
    ws.write_string(
        r, 0, "Progress against targets: (actual - baseline) / (target - baseline)", f.heading
    )
    rows = [
        [
            f"{p.activity} {p.indicator}",
            p.baseline,
            p.target,
            p.actual,
            p.last_period,
            round(100 * p.progress, 1) if p.progress is not None else None,
        ]
        for p in hist.progress
    ]
    return table(
        ws,
        r + 1,
        ["Activity and indicator", "Baseline", "Target", "Actual", "Last reported", "Progress (%)"],
        rows,
        f,
        widths,
    )


def _flag_index(flags: list[Flag]) -> dict[tuple[str, str, str, str], list[Flag]]:
    out: dict[tuple[str, str, str, str], list[Flag]] = {}
    for fl in flags:
        out.setdefault((fl.institution, fl.activity, fl.indicator, fl.field), []).append(fl)
    return out


def _matrix_flags(
    con: Consolidation,
) -> tuple[dict[tuple[str, str, str, str], list[Flag]], dict[str, list[Flag]]]:
    by_cell = _flag_index(con.flags)
    by_activity: dict[str, list[Flag]] = {}
    for fl in con.flags:
        if fl.activity and not fl.field and not fl.code.startswith(PLAN_GAP_PREFIX):
            by_activity.setdefault(fl.activity, []).append(fl)
    return by_cell, by_activity


#: Total column width of a matrix page that prints body text at 7 pt or more on A3.
MATRIX_BUDGET = 240


def matrix_widths(points: int) -> list[float]:
    """Column widths of an SO matrix with ``points`` value columns, within the budget:
    more value columns narrow the comments, then the indicator, result and activity."""
    w: list[float] = [32, 9, 24, 29, 8, 8, 10, *[9] * points, 12, 12, 13, 13, 48, 13]
    comment, indicator, result, activity = len(w) - 2, 3, 2, 0
    floors = ((comment, 30), (indicator, 24), (result, 20), (activity, 26))
    for col, floor in floors:
        excess = sum(w) - MATRIX_BUDGET
        if excess <= 0:
            break
        w[col] = max(floor, w[col] - excess)
    return w


def _so_matrix(wb: Any, con: Consolidation, code: str, title: str, f: Styles) -> None:
    from .consolidate import active

    ws = wb.add_worksheet(code, worksheet_class=StreamedSheet)  # rows given whole
    points = con.value_points
    heads = [
        "Activity",
        "Ends",
        "Expected result",
        "Indicator",
        "Baseline",
        "Target",
        "Institution",
        *[f"Value {p}" for p in points],
        "Status",
        "Combined status",
        "Rating HY",
        "Rating Y",
        "Comments and recommendations",
        "Flags",
    ]
    widths = matrix_widths(len(points))
    col = {h: i for i, h in enumerate(heads)}
    last_col = len(heads) - 1
    scale = a3_scale(widths)
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    band = f"{code}  {title}"
    ws.merge_range(0, 0, 0, last_col, band, f.title)
    title_h = row_height([(band, sum(widths))], 14, bold=True, spacing=PRINT)
    ws.set_row(0, title_h)
    items = [*status_legend(), *rating_legend(), *flag_legend()]
    ws.write_string(1, 0, "Colours:", f.label)
    for k, (text, colour) in enumerate(items):
        ws.write_string(1, 1 + k, text, f.cell(colour))
    legend_h = set_height(ws, 1, ["", *(t for t, _ in items)], widths)
    for c, h in enumerate(heads):
        ws.write_string(2, c, h, f.h)
    head_h = set_height(ws, 2, heads, widths, bold=True)

    by_cell, by_activity = _matrix_flags(con)
    names = {i.id: i.short_name for i in con.plan.institutions}
    acts = {a.activity.code: a.activity for a in con.plan.iter_activities()}
    display: list[list[tuple[object, Any]]] = []
    block_of: list[int] = []
    titles: dict[int, str] = {}
    seen_act: set[str] = set()
    seen_carrier: set[tuple[str, str]] = set()
    seen_result: set[tuple[str, str]] = set()
    seen_ind: set[tuple[str, str]] = set()
    for row in (x for x in con.rows if x["so"] == code):
        act_code, inst, ind = row["activity"], row["institution"], row["indicator"]
        act = acts[act_code]
        is_active = active(con.plan, act, con.period)
        first_act = act_code not in seen_act
        first_carrier = (act_code, inst) not in seen_carrier
        first_result = (act_code, row["expected_result"]) not in seen_result
        first_ind = (act_code, ind) not in seen_ind
        seen_act.add(act_code)
        seen_carrier.add((act_code, inst))
        seen_result.add((act_code, row["expected_result"]))
        seen_ind.add((act_code, ind))
        if first_act:
            block_of.append(len(display))
        titles[len(display)] = f"{act_code} {row['activity_title']}"
        missing = is_active and not row["received"]
        grey = NOT_REPORTED_FILL if missing else None
        row_flags: list[Flag] = []
        for p in points:
            row_flags += by_cell.get((inst, act_code, ind, f"value {p}"), [])
        if first_carrier:
            for fld in ("status", "rating_hy", "rating_y", "comments"):
                row_flags += by_cell.get((inst, act_code, "", fld), [])
        if first_act:
            row_flags += by_activity.get(act_code, [])

        def flag_fill(fld: str, keys: tuple[str, str, str, str]) -> Fill:
            fls = by_cell.get(keys, [])
            if not fls:
                return None
            return FLAG_FILL["error" if any(str(x.severity) == "error" for x in fls) else "warning"]

        _, end = con.plan.activity_span(act)
        cells: list[tuple[object, Any]] = [
            (titles[len(display)] if first_act else "", f.cell(bold=first_act)),
            (end.isoformat() if first_act else "", f.cell()),
            (row["expected_result"] if first_result else "", f.cell()),
            (f"{ind} {row['indicator_text']}".strip() if first_ind else "", f.cell()),
            (row["baseline"] if first_ind else None, f.cell()),
            (row["target"] if first_ind else None, f.cell()),
            (names.get(inst, inst), f.cell(grey)),
        ]
        for p in points:
            fill = flag_fill("value", (inst, act_code, ind, f"value {p}")) or grey
            cells.append((row[f"value {p}"], f.cell(fill if row[f"due {p}"] else None)))
        if first_carrier:
            if missing:
                status: tuple[object, Any] = ("Not reported", f.cell(NOT_REPORTED_FILL, bold=True))
            elif not is_active and row["status"] is None:
                status = ("not due this period", f.cell())
            else:
                st = row["status"]
                status = (
                    code_text("status", st),
                    f.cell(
                        flag_fill("s", (inst, act_code, "", "status")) or STATUS_FILL.get(st or 0)
                    ),
                )
            cells.append(status)
        else:
            cells.append(("", f.cell(grey)))
        if first_act:
            comb = row["combined_status"]
            text = (
                code_text("status", comb)
                if comb is not None
                else ("Not reported" if is_active else "")
            )
            cells.append(
                (
                    text,
                    f.cell(
                        STATUS_FILL.get(comb or 0, NOT_REPORTED_FILL if is_active else None),
                        bold=True,
                    ),
                )
            )
        else:
            cells.append(("", f.cell()))
        for fld in ("rating_hy", "rating_y"):
            v = row[fld] if first_carrier else None
            fill = flag_fill(fld, (inst, act_code, "", fld)) if first_carrier else None
            cells.append((code_text("rating", v), f.cell(fill or RATING_FILL.get(v or 0) or grey)))
        comment = row["comment"] if first_carrier else None
        cfill = flag_fill("c", (inst, act_code, "", "comments")) if first_carrier else None
        cells.append((comment, f.cell(cfill or grey)))
        cells.append((", ".join(sorted({x.code for x in row_flags})), f.cell()))
        # a text taller than a row may be (409 pt) goes on in continuation rows
        pieces = split_to_fit(
            cell_text(comment), widths[col["Comments and recommendations"]], BODY_PT, spacing=PRINT
        )
        if len(pieces) > 1:
            cells[col["Comments and recommendations"]] = (pieces[0], cells[-2][1])
        display.append(cells)
        for k, piece in enumerate(pieces[1:], start=2):
            cont: list[tuple[object, Any]] = [("", f.cell())] * len(heads)
            cont[col["Activity"]] = (f"{act_code} (continued)", f.cell())
            cont[col["Institution"]] = (names.get(inst, inst), f.cell(grey))
            cont[col["Comments and recommendations"]] = (
                f"({k}/{len(pieces)}) {piece}",
                f.cell(cfill),
            )
            titles[len(display)] = titles[len(display) - 1]
            display.append(cont)

    def height(cells: list[tuple[object, Any]]) -> float:
        return row_height(
            [(cell_text(v), widths[c]) for c, (v, _) in enumerate(cells)],
            BODY_PT,
            ONE_LINE,
            spacing=PRINT,
        )

    heights = [height(c) for c in display]
    blocks = [
        (a, (block_of[k + 1] - 1) if k + 1 < len(block_of) else len(display) - 1)
        for k, a in enumerate(block_of)
    ]
    block_starts = set(block_of)

    def continued(i: int) -> float:
        if i in block_starts:
            return heights[i]
        display[i][col["Activity"]] = (f"{titles[i]} (continued)", f.cell(bold=True))
        heights[i] = height(display[i])
        return heights[i]

    room = page_room(scale, title_h + legend_h + head_h)
    breaks = plan_breaks(heights, blocks, room, continued)
    first = 3
    for i, cells in enumerate(display):
        put_row(ws, first + i, 0, cells, heights[i])
    if breaks:
        ws.set_h_pagebreaks([first + b for b in breaks])
    last = first + len(display) - 1
    setup(
        ws,
        header(con.plan.title, con.period.label, code),
        widths,
        max(last, 2),
        repeat=3,
        as_of=con.as_of,
        scale=scale,
    )
    ws.freeze_panes(3, 0)
    ws.autofilter(2, 0, max(last, 2), last_col)


def _flags_sheet(wb: Any, con: Consolidation, f: Styles) -> None:
    ws = wb.add_worksheet("Flags", worksheet_class=StreamedSheet)  # rows on disk
    heads = [
        "Severity",
        "Code",
        "Institution",
        "SO",
        "Activity",
        "Indicator",
        "Message",
        "File",
        "Cell",
    ]
    widths = [9, 20, 30, 6, 9, 9, 70, 26, 11]
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    flags = sorted(
        (fl for fl in con.flags if not fl.code.startswith(PLAN_GAP_PREFIX)),
        key=lambda fl: (
            SEVERITY_ORDER[str(fl.severity)],
            fl.code,
            fl.so,
            fl.activity,
            fl.institution,
        ),
    )
    name = namer(con)
    data = [
        [
            str(fl.severity),
            fl.code,
            name(fl.institution),
            fl.so,
            fl.activity,
            fl.indicator,
            fl.message,
            fl.file,
            fl.cell,
        ]
        for fl in flags
    ]
    fills: list[list[Fill]] = [
        [FLAG_FILL.get(str(fl.severity))] + [None] * (len(heads) - 1) for fl in flags
    ]
    legend(ws, 0, 0, [("error", FLAG_FILL["error"]), ("warning", FLAG_FILL["warning"])], f, widths)
    ws.write_string(
        0, 4, "Sorted by severity; plan gaps are summarised on the sheet Plan gaps.", f.line
    )
    end = table(ws, 1, heads, data, f, widths, fills)
    ws.freeze_panes(2, 0)
    ws.autofilter(1, 0, max(end, 1), len(heads) - 1)
    setup(
        ws,
        header(con.plan.title, con.period.label, "Flags"),
        widths,
        end,
        repeat=2,
        as_of=con.as_of,
    )


PLAN_GAP_HELP = {
    "plan-gap-baseline": "ONATC fills the baselines in the master workbook (or the plan file).",
    "plan-gap-target": "ONATC fills the targets in the master workbook (or the plan file).",
    "plan-gap-frequency": "ONATC sets how often each indicator is collected.",
    "plan-gap-responsible": "ONATC names a responsible person for each indicator.",
}


def _plan_gaps_sheet(wb: Any, con: Consolidation, f: Styles) -> None:
    """One line per kind of plan gap: count and affected indicators (hidden: not printed)."""
    ws = wb.add_worksheet("Plan gaps")
    heads = ["Gap", "Indicators", "Affected indicators", "What to do"]
    widths = [30, 11, 90, 50]
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    codes: dict[str, list[str]] = {}
    for fl in con.flags:
        if fl.code.startswith(PLAN_GAP_PREFIX):
            codes.setdefault(fl.code, []).append(fl.indicator)
    rows = [
        [CATALOG[c].title, len(ids), ", ".join(ids), PLAN_GAP_HELP.get(c, CATALOG[c].title)]
        for c, ids in sorted(codes.items())
    ]
    ws.write_string(0, 0, "Plan gaps in the activities of this period", f.heading)
    table(ws, 1, heads, rows, f, widths)
    hide(ws)  # read on screen, never printed


def _submissions_sheet(wb: Any, con: Consolidation, f: Styles) -> None:
    ws = wb.add_worksheet("Submissions", worksheet_class=StreamedSheet)
    heads = [
        "File",
        "Institution",
        "Period",
        "Arrived at",
        "Arrival from",
        "Saved at",
        "On time",
        "Sender",
        "Status",
        "Problems",
        "First problem",
        "SHA-256",
    ]
    widths = [28, 26, 9, 17, 20, 17, 8, 22, 20, 9, 56, 66]
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    rows = submission_rows(con)
    name = namer(con)
    data = [[name(r[h]) if h == "Institution" else r[h] for h in heads] for r in rows]
    end = table(ws, 0, heads, data, f, widths)
    ws.freeze_panes(1, 0)
    # the SHA-256 is kept for the record but not printed
    setup(
        ws,
        header(con.plan.title, con.period.label, "Submissions"),
        widths[:-1],
        end,
        repeat=1,
        as_of=con.as_of,
    )


def submission_rows(con: Consolidation) -> list[dict[str, Any]]:
    out = []
    zone = plan_zone(con.plan)
    used = {id(s) for s in con.used.values()}
    for s in con.submissions:
        first = s.refusal() or next(
            (p for p in s.problems if str(p.severity) == "error"),
            s.problems[0] if s.problems else None,
        )
        if s.refused:
            state = "refused"
        elif id(s) in used:
            state = "used"
        else:
            state = con.notes.get(s.path, "not used")
        arrived = arrival_of(s)
        on_time = ""
        if arrived is not None and not s.refused:
            on_time = "yes" if arrived_by(s, con.due_date, zone) else "no"
        out.append(
            {
                "File": s.name,
                "SHA-256": s.sha256,
                "Institution": s.institution or "",
                "Period": s.identity.period if s.identity else "",
                "Arrived at": show(arrived.at, zone) if arrived else "",
                "Arrival from": SOURCE_TEXT[arrived.source] if arrived else "",
                "Saved at": show(s.saved_at, zone),
                "On time": on_time,
                "Sender": s.sender,
                "Subject": s.subject,
                "Status": state,
                "Problems": len(s.problems),
                "First problem": f"[{first.code}] {first.message}" if first else "",
            }
        )
    return out


# --------------------------------------------------------------------------- data exports


def _jsonable(v: object) -> object:
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    if isinstance(v, float) and v != v:  # NaN
        return None
    return v


def to_json(con: Consolidation) -> dict[str, Any]:
    o = con.overall
    return {
        "plan": {
            "id": con.plan.id,
            "version": con.plan.version,
            "fingerprint": con.plan.fingerprint,
        },
        "period": con.period.label,
        "due_date": con.due_date.isoformat(),
        "as_of": con.as_of.isoformat(),
        "reporting": {
            "expected": o.expected,
            "received": o.received,
            "on_time": o.on_time,
            "reporting_rate": o.reporting_rate,
            "on_time_rate": o.on_time_rate,
            "institutions": [
                {
                    "institution": r.institution,
                    "name": r.name,
                    "expected": r.expected,
                    "received": r.received,
                    "on_time": r.on_time,
                    "file": r.file,
                    "saved_at": r.saved_at,
                    "arrived_at": r.arrived_at,
                    "arrival_source": r.arrival_source,
                }
                for r in con.rates
            ],
        },
        "flags_by_code": con.flags_by_code(),
        "flags": [fl.to_dict() for fl in con.flags],
        "submissions": submission_rows(con),
        "matrix": [{k: _jsonable(v) for k, v in row.items()} for row in con.rows],
    }


def json_text(con: Consolidation) -> str:
    return json.dumps(to_json(con), indent=2, ensure_ascii=False)


def write_json(con: Consolidation, target: str | Path) -> Path:
    from .atomic import atomic_write

    text = json_text(con)
    p = Path(target)
    p.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(p, lambda tmp: tmp.write_text(text + "\n", "utf-8"))
    return p


def write_csv(con: Consolidation, out_dir: str | Path) -> list[Path]:
    """matrix.csv, flags.csv, submissions.csv and reporting.csv, injection-safe."""
    from .atomic import atomic_write

    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    tables = {
        "matrix.csv": con.rows,
        "flags.csv": [fl.to_dict() for fl in con.flags],
        "submissions.csv": submission_rows(con),
        "reporting.csv": to_json(con)["reporting"]["institutions"],
    }
    written = []
    for name, rows in tables.items():

        def write(tmp: Path, rows: list[dict[str, Any]] = rows) -> None:
            with tmp.open("w", newline="", encoding="utf-8") as fh:
                if not rows:
                    return
                w = csv.DictWriter(fh, fieldnames=list(rows[0]))
                w.writeheader()
                for row in rows:
                    w.writerow({k: csv_safe(_jsonable(v)) for k, v in row.items()})

        atomic_write(d / name, write)
        written.append(d / name)
    return written


def to_pdf(xlsx: str | Path, out_dir: str | Path | None = None) -> Path:
    """Print a workbook to PDF with LibreOffice (raises UsageError when it is missing)."""
    from .atomic import atomic_copy
    from .childenv import scrubbed_env

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    src = Path(xlsx)
    if soffice is None:
        raise fail(
            UsageError, "libreoffice-missing", "no soffice on the PATH", Location(path="--pdf")
        )
    out = Path(out_dir) if out_dir else src.parent
    with tempfile.TemporaryDirectory() as profile, tempfile.TemporaryDirectory() as tmp:
        try:
            subprocess.run(
                [
                    soffice,
                    f"-env:UserInstallation=file://{profile}",
                    "--headless",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    tmp,
                    str(src),
                ],
                check=True,
                capture_output=True,
                timeout=300,
                env=scrubbed_env(),
            )
        except (subprocess.SubprocessError, OSError) as exc:
            raise fail(UsageError, "pdf-failed", str(exc)[:200], Location(file=str(src))) from None
        made = Path(tmp) / f"{src.stem}.pdf"
        if not made.exists():
            raise fail(
                UsageError, "pdf-failed", "LibreOffice wrote no PDF", Location(file=str(src))
            )
        target = out / made.name
        atomic_copy(made, target)  # another filesystem: never a half PDF under its name
    return target
