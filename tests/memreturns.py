"""Returns built in memory, without a workbook: for the rules that decide what ONATC sees
(which return counts, flags, rates), so that their tests and mutation runs stay fast.

A return here is what :func:`mne_workbook.reader.read_return` would give for a file that
passed every check: its identity, the answers, the cell each expected input sits in
(``Submission.cells``) and when it arrived. The cell positions are made up but fixed:
sheet = the activity's strategic objective, row 5 onwards in plan order, values in
columns H, I, J (July, August, September), status L, ratings M and N, comments O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from helpers import activity, indicator

from mne_workbook.errors import Location, Problem
from mne_workbook.identity import Identity
from mne_workbook.layout import rows_for
from mne_workbook.periods import Period
from mne_workbook.plan import Plan, plan_from_dict
from mne_workbook.reader import ActivityReport, CellRef, ReportedValue, Submission

Q3 = Period.parse("2026-Q3")  # due 2026-10-15 (15 grace days)
JUL, AUG, SEP = dt.date(2026, 7, 31), dt.date(2026, 8, 31), dt.date(2026, 9, 30)
ACTIVITY_COLUMN = {"status": "L", "rating_hy": "M", "rating_y": "N", "comments": "O"}


def at(day: str, hour: int = 12) -> dt.datetime:
    """An arrival time (UTC, midday: the same local date wherever the tests run)."""
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC)


def small_plan(short_names: dict[str, str] | None = None, **reporting: Any) -> Plan:
    """Two SOs, four institutions.

    - A1.1.1: KP and MLSW; I1 monthly, I2 quarterly (one result: the first row holds status)
    - A1.1.2: KP; its timeline ends 2026-08-31; I3 quarterly
    - A2.1.1: MEST; I4 yearly (nothing due in a quarter but the fourth)
    - A2.1.2: MOJ; ended 2025-12-31 (not active in 2026); I5 without a baseline
    - A2.1.3: KP; I6 monthly without a target
    """
    so1 = [
        activity(
            "A1.1.1",
            [indicator("I1", frequency="monthly"), indicator("I2")],
            carriers=["kp", "mlsw"],
        ),
        activity(
            "A1.1.2",
            [indicator("I3")],
            timeline={"start": "2025-01-01", "end": "2026-08-31"},
        ),
    ]
    i5 = indicator("I5")
    i5.pop("baseline")
    i6 = indicator("I6", frequency="monthly")
    i6.pop("target")
    so2 = [
        activity("A2.1.1", [indicator("I4", frequency="yearly")], carriers=["mest"]),
        activity(
            "A2.1.2",
            [i5],
            carriers=["moj"],
            timeline={"start": "2025-01-01", "end": "2025-12-31"},
        ),
        activity("A2.1.3", [i6]),
    ]
    data: dict[str, Any] = {
        "id": "mem-plan",
        "title": "In-memory plan",
        "version": "1",
        "strategy_period": {"start": 2025, "end": 2027},
        "reporting": {"cycle": "quarterly", "grace_days": 15, **reporting},
        "institutions": [
            {"id": "kp", "name": "Kosovo Police", "short_name": "KP", "email": "thb@kp.example"},
            {
                "id": "mlsw",
                "name": "Ministry of Labour",
                "short_name": "MLSW",
                "email": "social@mlsw.example",
                "sender_emails": ["focal.point@mlsw.example"],
            },
            {"id": "mest", "name": "Ministry of Education", "short_name": "MEST"},
            {"id": "moj", "name": "Ministry of Justice", "short_name": "MOJ"},
        ],
        "strategic_objectives": [
            {
                "code": "SO1",
                "title": "One",
                "specific_objectives": [{"code": "1.1", "title": "S", "activities": so1}],
            },
            {
                "code": "SO2",
                "title": "Two",
                "specific_objectives": [{"code": "2.1", "title": "S", "activities": so2}],
            },
        ],
    }
    for inst in data["institutions"]:
        inst["short_name"] = (short_names or {}).get(inst["id"], inst["short_name"])
    return plan_from_dict(data)


def layout_cells(plan: Plan, inst: str, period: Period) -> dict[tuple[str, str, str], CellRef]:
    """Where each expected input of ``inst`` sits (the made-up but fixed layout above)."""
    cells: dict[tuple[str, str, str], CellRef] = {}
    ends = [p.end for p in _months(period)]
    for so in plan.strategic_objectives:
        for n, r in enumerate(rows_for(so, inst)):
            row = 5 + n
            ind = r.indicator.id if r.indicator else ""
            for end in ends:
                cells[(r.activity.code, ind, f"value@{end.isoformat()}")] = CellRef(
                    so.code, row, "HIJ"[(end.month - 1) % 3]
                )
            for fld, column in ACTIVITY_COLUMN.items():
                cells.setdefault((r.activity.code, "", fld), CellRef(so.code, row, column))
    return cells


def _months(period: Period) -> list[Period]:
    from mne_workbook.periods import collection_points
    from mne_workbook.vocab import Frequency

    return list(collection_points(Frequency.MONTHLY, period))


def ret(
    plan: Plan,
    inst: str,
    name: str = "",
    *,
    values: Mapping[tuple[str, str, dt.date], object] | None = None,
    acts: dict[str, dict[str, Any]] | None = None,
    arrived: dt.datetime | None = None,
    saved: dt.datetime | None = None,
    period: Period = Q3,
    problems: list[Problem] | None = None,
    source: str = "mail-received",
) -> Submission:
    """``inst``'s return: ``values`` {(activity, indicator, point end): value}, ``acts``
    {activity: {"status": 3, "rating_hy": 1, "comment": "..."}}; every activity the
    institution carries has its report (blank unless given), as the reader gives it."""
    cells = layout_cells(plan, inst, period)
    sub = Submission(
        path=f"/inbox/{name or inst + '.xlsx'}",
        identity=Identity(
            plan.id,
            plan.version,
            plan.fingerprint,
            "institution",
            inst,
            period.label,
            "en",
            "test",
            "2026-07-01T00:00:00Z",
        ),
        saved_at=saved,
        arrived_at=arrived,
        arrival_source=source if arrived else "",
        problems=list(problems or []),
        cells=cells,
    )
    for (act, ind, end), value in (values or {}).items():
        ref = cells[(act, ind, f"value@{end.isoformat()}")]
        sub.values.append(ReportedValue(act, ind, end, end.strftime("%Y-%m"), value, ref))
    for item in plan.iter_activities():
        a = item.activity
        if inst in a.carriers:
            rep = ActivityReport(a.code)
            for fld in ACTIVITY_COLUMN:
                rep.cells[fld] = cells[(a.code, "", fld)]
            for key, value in (acts or {}).get(a.code, {}).items():
                setattr(rep, key, value)
            sub.activities[a.code] = rep
    return sub


def refused(name: str, code: str, message: str, inst: str = "", sender: str = "") -> Submission:
    """A file the gate or the reader refused (``inst``: the identity it still carried)."""
    identity = (
        Identity("mem-plan", "1", "", "institution", inst, "2026-Q3", "en", "test", "")
        if inst
        else None
    )
    return Submission(
        path=f"/inbox/{name}",
        identity=identity,
        refused=True,
        sender=sender,
        problems=[Problem(code, message, Location(file=name))],
    )


def problem(code: str, message: str, sheet: str, row: int | None, column: str | None) -> Problem:
    return Problem(code, message, Location(sheet=sheet, row=row, column=column))


__all__ = [
    "AUG",
    "JUL",
    "Q3",
    "SEP",
    "at",
    "layout_cells",
    "problem",
    "refused",
    "ret",
    "small_plan",
]
