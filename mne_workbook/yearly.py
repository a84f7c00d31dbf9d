"""The yearly report: the extent to which objectives and activities were realized."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from .arrival import plan_zone
from .arrival import today as local_today
from .atomic import atomic_write
from .history import YearFigures
from .plan import Plan
from .printing import header, setup
from .report_style import (
    NOT_REPORTED_CHART,
    NOT_REPORTED_FILL,
    RATING_FILL,
    STATUS_CHART,
    STATUS_FILL,
    Fill,
    Styles,
    code_text,
    count_axis,
    formats,
    legend,
    new_workbook,
    table,
    title_row,
)
from .vocab import Status

#: The yearly report's status groups, least advanced first, with their colours.
GROUPS = [
    ("not started", STATUS_FILL[Status.NOT_STARTED], STATUS_CHART[Status.NOT_STARTED]),
    ("in progress", STATUS_FILL[Status.IN_CONTINUUM], STATUS_CHART[Status.IN_CONTINUUM]),
    ("completed", STATUS_FILL[Status.COMPLETED], STATUS_CHART[Status.COMPLETED]),
    ("not reported", NOT_REPORTED_FILL, NOT_REPORTED_CHART),
]
CHART_ROWS = 18  # rows of 15 pt a 320 px chart covers


def write_yearly(fig: YearFigures, plan: Plan, path: str | Path) -> Path:
    """Write the yearly report workbook atomically."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, lambda tmp: _write(fig, plan, tmp))
    return target


def _write(fig: YearFigures, plan: Plan, path: Path) -> None:
    wb = new_workbook(path)
    try:
        f = formats(wb)
        today = local_today(plan_zone(plan))
        _report_sheet(wb, fig, plan, f, today)
        _ratings_sheet(wb, fig, plan, f, today)
        _reporting_sheet(wb, fig, plan, f, today)
        _progress_sheet(wb, fig, plan, f, today)
    finally:
        wb.close()


def _title(plan: Plan, fig: YearFigures, what: str) -> str:
    return header(plan.title, f"year {fig.year}", what)


def _report_sheet(wb: Any, fig: YearFigures, plan: Plan, f: Styles, today: dt.date) -> None:
    ws = wb.add_worksheet("Report")
    widths = [60, 13, 13, 13, 13]
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    title_row(ws, 0, f"Yearly report {fig.year}: {plan.title}", widths, f)
    legend(ws, 1, 0, [(g.capitalize(), fill) for g, fill, _ in GROUPS], f, widths)
    ws.write_string(
        3, 0, "Activities by specific objective (status at the year's last report)", f.heading
    )
    heads = ["Specific objective", *(g.capitalize() for g, _, _ in GROUPS)]
    rows: list[list[Any]] = [
        [name, *(c[g] for g, _, _ in GROUPS)] for name, c in fig.activities.items()
    ]
    fills: list[list[Fill]] = [[None, *(fill for _, fill, _ in GROUPS)]] * len(rows)
    top = 4
    end = table(ws, top, heads, rows, f, widths, fills)
    r = end + 2
    ws.write_string(r, 0, "Indicators on track against their targets", f.heading)
    rows2 = [
        [so, good, total, round(100 * good / total, 1) if total else None]
        for so, (good, total) in fig.on_track.items()
    ]
    end2 = table(
        ws,
        r + 1,
        ["Strategic objective", "On track", "With a target and a value", "On track (%)"],
        rows2,
        f,
        widths,
    )
    if rows:
        chart = wb.add_chart({"type": "column", "subtype": "stacked"})
        for c, (_g, _fill, colour) in enumerate(GROUPS, start=1):
            chart.add_series(
                {
                    "name": ["Report", top, c],
                    "categories": ["Report", top + 1, 0, end, 0],
                    "values": ["Report", top + 1, c, end, c],
                    "fill": {"color": colour},
                }
            )
        chart.set_title({"name": "Activities by specific objective"})
        count_axis(chart, max(sum(map(int, x[1:])) for x in rows), "Activities")
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 900, "height": 320})
        chart_row = end2 + 2
        ws.insert_chart(chart_row, 0, chart)  # below the tables, inside the printed page
        ws.set_h_pagebreaks([chart_row])
        end2 = chart_row + CHART_ROWS
    setup(ws, _title(plan, fig, "Report"), widths, end2, as_of=today)


def _ratings_sheet(wb: Any, fig: YearFigures, plan: Plan, f: Styles, today: dt.date) -> None:
    ws = wb.add_worksheet("Ratings")
    widths = [10, 30, 36, 16, 16, 70]
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    titles = {a.activity.code: a.activity.title for a in plan.iter_activities()}
    names = {i.id: i.name for i in plan.institutions}
    rows, fills = [], []
    for r in fig.ratings:
        rows.append(
            [
                r["period"],
                names.get(r["institution"], r["institution"]),
                f"{r['activity']} {titles.get(r['activity'], '')}".strip(),
                code_text("rating", r["rating_hy"]),
                code_text("rating", r["rating_y"]),
                r["comment"],
            ]
        )
        fills.append(
            [
                None,
                None,
                None,
                RATING_FILL.get(r["rating_hy"] or 0),
                RATING_FILL.get(r["rating_y"] or 0),
                None,
            ]
        )
    legend(
        ws,
        0,
        0,
        [(f"Rating {code_text('rating', i)}", RATING_FILL[i]) for i in (1, 2, 3)],
        f,
        widths,
    )
    heads = [
        "Period",
        "Institution",
        "Activity",
        "Rating HY",
        "Rating Y",
        "Comments and recommendations",
    ]
    end = table(ws, 1, heads, rows, f, widths, fills)
    ws.freeze_panes(2, 0)
    setup(ws, _title(plan, fig, "Ratings"), widths, end, repeat=2, as_of=today)


def _reporting_sheet(wb: Any, fig: YearFigures, plan: Plan, f: Styles, today: dt.date) -> None:
    ws = wb.add_worksheet("Reporting")
    widths = [50, 12, 12, 12, 16, 16]
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    rows = [
        [
            r["name"],
            r["expected"],
            r["received"],
            r["on_time"],
            round(100 * r["received"] / r["expected"], 1) if r["expected"] else None,
            round(100 * r["on_time"] / r["expected"], 1) if r["expected"] else None,
        ]
        for r in fig.reporting
    ]
    heads = ["Institution", "Expected", "Received", "On time", "Completeness (%)", "Timeliness (%)"]
    end = table(ws, 0, heads, rows, f, widths)
    if rows:
        chart = wb.add_chart({"type": "bar"})
        for c, colour in ((4, "#4472C4"), (5, "#A5A5A5")):
            chart.add_series(
                {
                    "name": ["Reporting", 0, c],
                    "categories": ["Reporting", 1, 0, end, 0],
                    "values": ["Reporting", 1, c, end, c],
                    "fill": {"color": colour},
                }
            )
        chart.set_title({"name": "Completeness and timeliness (%)"})
        chart.set_x_axis({"min": 0, "max": 100, "major_unit": 20, "num_format": "0"})
        chart.set_y_axis({"reverse": True})  # the first institution on top, as in the table
        chart.set_legend({"position": "bottom"})
        height = max(300, 30 * len(rows))
        chart.set_size({"width": 900, "height": height})
        ws.insert_chart(end + 2, 0, chart)
        ws.set_h_pagebreaks([end + 2])
        end += 2 + height // 20 + 1
    setup(ws, _title(plan, fig, "Reporting"), widths, end, repeat=1, as_of=today)


def _progress_sheet(wb: Any, fig: YearFigures, plan: Plan, f: Styles, today: dt.date) -> None:
    ws = wb.add_worksheet("Progress")
    widths = [10, 11, 60, 12, 12, 12, 14, 13]
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    rows = [
        [
            p.activity,
            p.indicator,
            p.text,
            p.baseline,
            p.target,
            p.actual,
            p.last_period,
            round(100 * p.progress, 1) if p.progress is not None else None,
        ]
        for p in fig.progress
    ]
    heads = [
        "Activity",
        "Indicator",
        "Indicator text",
        "Baseline",
        "Target",
        "Actual",
        "Last reported",
        "Progress (%)",
    ]
    end = table(ws, 0, heads, rows, f, widths)
    ws.freeze_panes(1, 0)
    setup(ws, _title(plan, fig, "Progress"), widths, end, repeat=1, as_of=today)
