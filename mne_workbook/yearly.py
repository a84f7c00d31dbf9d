"""The yearly report: the extent to which objectives and activities were realized."""

from __future__ import annotations

from pathlib import Path

from .atomic import atomic_write
from .history import YearFigures
from .plan import Plan
from .report import code_text, formats, new_workbook, print_setup, table


def write_yearly(fig: YearFigures, plan: Plan, path: str | Path) -> Path:
    """Write the yearly report workbook atomically."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, lambda tmp: _write(fig, plan, tmp))
    return target


def _write(fig: YearFigures, plan: Plan, path: Path) -> None:
    import datetime as dt

    wb = new_workbook(path)
    try:
        f = formats(wb)
        today = dt.date.today()

        ws = wb.add_worksheet("Report")
        ws.set_column(0, 0, 60)
        ws.set_column(1, 6, 13)
        ws.write_string(0, 0, f"Yearly report {fig.year}: {plan.title}", f["title"])
        ws.write_string(
            2, 0, "Activities by specific objective (status at the year's last report)", f["h"]
        )
        heads = ["Specific objective", "Completed", "In progress", "Not started", "Not reported"]
        rows = [
            [name, c["completed"], c["in progress"], c["not started"], c["not reported"]]
            for name, c in fig.activities.items()
        ]
        top = 3
        end = table(ws, top, heads, rows, f)
        chart = wb.add_chart({"type": "bar", "subtype": "stacked"})
        for c in range(1, 5):
            chart.add_series(
                {
                    "name": ["Report", top, c],
                    "categories": ["Report", top + 1, 0, end, 0],
                    "values": ["Report", top + 1, c, end, c],
                    "data_labels": {"value": True},
                }
            )
        chart.set_title({"name": "Activities"})
        chart.set_size({"width": 900, "height": max(300, 22 * len(rows))})
        r = end + 2
        ws.write_string(r, 0, "Indicators on track against their targets", f["h"])
        rows = [
            [so, good, total, round(100 * good / total, 1) if total else None]
            for so, (good, total) in fig.on_track.items()
        ]
        end2 = table(
            ws,
            r + 1,
            ["Strategic objective", "On track", "With a target and a value", "On track (%)"],
            rows,
            f,
        )
        ws.insert_chart(end2 + 2, 0, chart)  # below the tables, inside the printed page
        print_setup(ws, f"Yearly report {fig.year}", 0, 6, end2 + 24, today)

        ws = wb.add_worksheet("Ratings")
        ws.set_column(0, 3, 14)
        ws.set_column(4, 5, 30)
        ws.set_column(6, 6, 70)
        rows = [
            [
                r["period"],
                plan.institution(r["institution"]).short_name,
                r["activity"],
                "",
                code_text("rating", r["rating_hy"]),
                code_text("rating", r["rating_y"]),
                r["comment"],
            ]
            for r in fig.ratings
        ]
        end = table(
            ws,
            0,
            [
                "Period",
                "Institution",
                "Activity",
                "",
                "Rating HY",
                "Rating Y",
                "Comments and recommendations",
            ],
            rows,
            f,
        )
        ws.freeze_panes(1, 0)
        print_setup(ws, f"Ratings {fig.year}", 1, 6, end, today)

        ws = wb.add_worksheet("Reporting")
        ws.set_column(0, 0, 50)
        ws.set_column(1, 5, 14)
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
        end = table(
            ws,
            0,
            [
                "Institution",
                "Expected",
                "Received",
                "On time",
                "Completeness (%)",
                "Timeliness (%)",
            ],
            rows,
            f,
        )
        if rows:
            chart = wb.add_chart({"type": "bar"})
            for c in (4, 5):
                chart.add_series(
                    {
                        "name": ["Reporting", 0, c],
                        "categories": ["Reporting", 1, 0, end, 0],
                        "values": ["Reporting", 1, c, end, c],
                        "data_labels": {"value": True},
                    }
                )
            chart.set_title({"name": "Completeness and timeliness"})
            chart.set_size({"width": 900, "height": max(300, 30 * len(rows))})
            ws.insert_chart(end + 2, 0, chart)
        print_setup(ws, f"Reporting {fig.year}", 1, 5, end + 24, today)

        ws = wb.add_worksheet("Progress")
        ws.set_column(0, 1, 12)
        ws.set_column(2, 2, 60)
        ws.set_column(3, 8, 12)
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
        end = table(
            ws,
            0,
            [
                "Activity",
                "Indicator",
                "Indicator text",
                "Baseline",
                "Target",
                "Actual",
                "Last reported",
                "Progress (%)",
            ],
            rows,
            f,
        )
        ws.freeze_panes(1, 0)
        print_setup(ws, f"Progress {fig.year}", 1, 7, end, today)
    finally:
        wb.close()
