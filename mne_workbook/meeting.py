"""The first page of the consolidated pack: what the Inter-Ministerial Group must see.

Institutions that did not report or were refused, late returns, overdue activities
and indicators, ratings 3 ("needs revision") with their comments, and counts of
everything else, in that order. Each list is complete: nothing is cut to fit.
"""

from __future__ import annotations

from typing import Any

from .consolidate import Consolidation
from .errors import CATALOG
from .printing import header, setup
from .report_style import (
    FLAG_FILL,
    NOT_REPORTED_FILL,
    PLAN_GAP_PREFIX,
    RATING_FILL,
    STATUS_FILL,
    Fill,
    Styles,
    arrived_text,
    code_text,
    days_late,
    legend,
    names_of,
    return_state,
    table,
    title_row,
)
from .streamed_sheet import StreamedSheet
from .vocab import Rating

#: The codes this page lists one by one; the others are counted at the end.
LISTED = {
    "return-overdue",
    "return-pending",
    "activity-overdue",
    "indicator-overdue",
}
WIDTHS = [30, 90, 44, 14, 30]


def meeting_sheet(wb: Any, con: Consolidation, f: Styles) -> None:
    ws = wb.add_worksheet("Meeting", worksheet_class=StreamedSheet)  # rows given whole
    for c, w in enumerate(WIDTHS):
        ws.set_column(c, c, w)
    ws.hide_gridlines(2)
    title_row(ws, 0, f"For the meeting: {con.plan.title}", WIDTHS, f)
    ws.write_string(
        1,
        0,
        f"Period {con.period.label} ({con.period.start} to {con.period.end}); returns were"
        f" due {con.due_date}; situation on {con.as_of}.",
        f.line,
    )
    legend(
        ws,
        2,
        0,
        [
            ("Not reported", NOT_REPORTED_FILL),
            ("Refused", FLAG_FILL["error"]),
            ("Late", FLAG_FILL["warning"]),
            (f"Rating {code_text('rating', 3)}", RATING_FILL[3]),
        ],
        f,
        WIDTHS,
    )
    r = 4

    def section(
        title: str,
        heads: list[str],
        rows: list[list[Any]],
        fills: list[list[Fill]] | None = None,
        none: str = "None.",
    ) -> None:
        nonlocal r
        ws.write_string(r, 0, f"{title} ({len(rows)})", f.heading)
        r += 1
        if rows:
            r = table(ws, r, heads, rows, f, WIDTHS, fills) + 2
        else:
            ws.write_string(r, 0, none, f.text)
            r += 2

    # 1. institutions that did not report or were refused
    rows, fills = [], []
    for rate in con.rates:
        if rate.received:
            continue
        state, fill = return_state(con, rate.institution)
        overdue = max(0, (con.as_of - con.due_date).days)
        rows.append([rate.name, state, f"due {con.due_date}", overdue])
        fills.append([fill, fill, None, None])
    section(
        "Institutions that did not report",
        ["Institution", "Return", "Due", "Days overdue"],
        rows,
        fills,
        "Every institution sent a return that could be read.",
    )

    # 2. late returns
    rows = [
        [
            rate.name,
            f"arrived {arrived_text(rate.arrived_at, rate.arrival_source)}",
            f"due {con.due_date}",
            days_late(con, rate.institution),
        ]
        for rate in con.rates
        if rate.received and not rate.on_time
    ]
    section(
        "Late returns",
        ["Institution", "Arrived", "Due", "Days late"],
        rows,
        [[FLAG_FILL["warning"], None, None, None]] * len(rows),
    )

    # 3. overdue activities
    acts = {a.activity.code: a.activity for a in con.plan.iter_activities()}
    combined = {row["activity"]: row["combined_status"] for row in con.rows}
    rows, fills = [], []
    for fl in (x for x in con.flags if x.code == "activity-overdue"):
        act = acts[fl.activity]
        _, end = con.plan.activity_span(act)
        comb = combined.get(fl.activity)
        rows.append(
            [
                fl.activity,
                act.title,
                names_of(con, fl.institution),
                end.isoformat(),
                code_text("status", comb) if comb is not None else "Not reported by every carrier",
            ]
        )
        fills.append([None, None, None, None, STATUS_FILL.get(comb or 0, NOT_REPORTED_FILL)])
    section(
        "Activities overdue (ended, not completed)",
        ["Activity", "Title", "Carriers", "Ended", "Combined status"],
        rows,
        fills,
    )

    # 4. overdue indicators
    texts = {i.id: i.text for i in con.plan.indicators()}
    rows = [
        [
            f"{fl.activity} / {fl.indicator}",
            texts.get(fl.indicator, ""),
            names_of(con, fl.institution),
            fl.field.removeprefix("value "),
        ]
        for fl in con.flags
        if fl.code == "indicator-overdue"
    ]
    section(
        "Indicators overdue (no value)",
        ["Activity / indicator", "Indicator", "Institution", "Period"],
        rows,
    )

    # 5. ratings 3 with their comments
    rows, fills = [], []
    for inst, sub in con.used.items():
        for code, rep in sub.activities.items():
            which = [
                lbl
                for lbl, v in (("HY", rep.rating_hy), ("Y", rep.rating_y))
                if v == Rating.NEEDS_REVISION
            ]
            if which:
                title = acts[code].title if code in acts else ""
                rows.append(
                    [
                        names_of(con, inst),
                        rep.comment or "(no comment)",
                        f"{code} {title}",
                        " and ".join(which),
                    ]
                )
                fills.append([None, None, None, RATING_FILL[3]])
    section(
        f"Rated {code_text('rating', 3)}",
        ["Institution", "Comment", "Activity", "Rating"],
        rows,
        fills,
    )

    # 6. counts of everything else
    rows = []
    gaps = 0
    for code, n in con.flags_by_code().items():
        if code.startswith(PLAN_GAP_PREFIX):
            gaps += n
        elif code not in LISTED:
            rows.append([code, CATALOG[code].title, str(CATALOG[code].severity), n])
    if gaps:
        rows.append(
            [
                "plan gaps",
                "Baselines, targets, frequencies or responsible persons missing in the plan"
                " (sheet Plan gaps)",
                "info",
                gaps,
            ]
        )
    section(
        "Everything else (listed on the Flags sheet)",
        ["Code", "Meaning", "Severity", "Count"],
        rows,
    )
    setup(ws, header(con.plan.title, con.period.label, "Meeting"), WIDTHS, r, as_of=con.as_of)
