"""Memory across periods: trends, progress against targets, the yearly figures.

Built from the store (:mod:`store`); progress is computed as LogAlto and UNICEF's PRP
compute it: ``(actual - baseline) / (target - baseline)``. For a cumulative indicator
the actual is the sum of every value reported so far (all carriers, all periods); for
a latest-value indicator it is the last reported value (summed over carriers for
numbers, averaged for percentages).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .arrival import arrived_by, plan_zone
from .consolidate import Consolidation, active, combined_status, consolidate, pick_returns
from .periods import Period
from .plan import Indicator, Plan
from .store import Store
from .vocab import Measure, Status


@dataclass(frozen=True)
class PeriodTrend:
    period: str
    statuses: dict[int | None, int]  # combined status -> number of activities
    ratings_hy: dict[int, int]
    ratings_y: dict[int, int]
    received: int
    expected: int
    on_time: int


@dataclass(frozen=True)
class Progress:
    activity: str
    indicator: str
    text: str
    measure: str
    baseline: float | None
    target: float | None
    actual: float | None
    last_period: str
    progress: float | None  # share of the way from baseline to target


@dataclass
class History:
    last_reported: dict[tuple[str, str], dt.date] = field(default_factory=dict)
    trends: list[PeriodTrend] = field(default_factory=list)
    progress: list[Progress] = field(default_factory=list)


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def progress_of(
    ind: Indicator, values: list[tuple[dt.date, str, object]]
) -> tuple[float | None, str]:
    """(actual, last period label) from ``(point_end, institution, value)`` triples."""
    nums = [(end, inst, _num(v)) for end, inst, v in values if _num(v) is not None]
    if not nums:
        return None, ""
    last_end = max(end for end, _, _ in nums)
    label = last_end.isoformat()[:7]
    if ind.cumulative:
        return sum(v for _, _, v in nums if v is not None), label
    latest = [v for end, _, v in nums if end == last_end and v is not None]
    if ind.measure == Measure.PERCENTAGE:
        return sum(latest) / len(latest), label
    return sum(latest), label


def build_history(store: Store, plan: Plan, until: Period, as_of: dt.date | None = None) -> History:
    """Trends for every stored period up to ``until``, and progress as of ``until``."""
    hist = History(last_reported=store.last_reported(plan.id, until.end))
    labels = [p for p in store.periods(plan.id) if Period.parse(p) <= until]
    if until.label not in labels:
        labels.append(until.label)
    values: dict[str, list[tuple[dt.date, str, object]]] = defaultdict(list)
    for label in sorted(labels, key=Period.parse):
        period = Period.parse(label)
        if period.kind != plan.reporting.cycle:
            continue
        subs = store.submissions(plan.id, label)
        con = consolidate(plan, subs, period, as_of or period.due_date(plan.reporting.grace_days))
        hist.trends.append(trend_of(con))
        for inst, sub in con.used.items():
            for v in sub.values:
                values[v.indicator].append((v.point_end, inst, v.value))
    for ref in plan.iter_activities():
        for ind in ref.activity.indicators:
            actual, last = progress_of(ind, values.get(ind.id, []))
            base = _num(ind.baseline.value) if ind.baseline else None
            target = _num(ind.target.value) if ind.target else None
            prog = None
            if actual is not None and base is not None and target is not None and target != base:
                prog = (actual - base) / (target - base)
            hist.progress.append(
                Progress(
                    ref.activity.code,
                    ind.id,
                    ind.text,
                    str(ind.measure),
                    base,
                    target,
                    actual,
                    last,
                    prog,
                )
            )
    return hist


def trend_of(con: Consolidation) -> PeriodTrend:
    statuses: dict[int | None, int] = {int(s): 0 for s in Status}
    statuses[None] = 0
    seen: set[str] = set()
    for row in con.rows:
        if row["activity"] not in seen:
            seen.add(row["activity"])
            statuses[row["combined_status"]] = statuses.get(row["combined_status"], 0) + 1
    hy = {1: 0, 2: 0, 3: 0}
    y = {1: 0, 2: 0, 3: 0}
    for sub in con.used.values():
        for rep in sub.activities.values():
            if rep.rating_hy in hy:
                hy[rep.rating_hy] += 1
            if rep.rating_y in y:
                y[rep.rating_y] += 1
    o = con.overall
    return PeriodTrend(con.period.label, statuses, hy, y, o.received, o.expected, o.on_time)


@dataclass(frozen=True)
class YearFigures:
    """What the yearly report shows."""

    year: int
    activities: dict[str, dict[str, int]]  # specific objective -> completed / in progress / ...
    on_track: dict[str, tuple[int, int]]  # strategic objective -> (on track, with a target)
    ratings: list[dict[str, Any]]  # activity, institution, period, HY, Y, comment
    reporting: list[dict[str, Any]]  # institution, expected, received, on time
    progress: list[Progress]


def year_figures(store: Store, plan: Plan, year: int) -> YearFigures:
    """The yearly report's figures from the store: the year's periods of the plan's cycle."""
    cycle = plan.reporting.cycle
    periods = [Period(year, i, cycle) for i in range(1, 12 // cycle.months + 1)]
    last_status: dict[str, int | None] = {}
    ratings: list[dict[str, Any]] = []
    reporting: dict[str, dict[str, Any]] = {}
    for period in periods:
        subs = store.submissions(plan.id, period.label)
        used, _, _ = pick_returns(subs)
        statuses: dict[str, list[int | None]] = defaultdict(list)
        for ref in plan.iter_activities():
            if not active(plan, ref.activity, period):
                continue
            for inst in ref.activity.carriers:
                r = reporting.setdefault(
                    inst,
                    {
                        "institution": inst,
                        "name": plan.institution(inst).name,
                        "expected": 0,
                        "received": 0,
                        "on_time": 0,
                    },
                )
                key = (inst, period.label)
                if key in r.setdefault("_seen", set()):
                    continue
                r["_seen"].add(key)
                r["expected"] += 1
                sub = used.get(inst)
                if sub is not None:
                    r["received"] += 1
                    if arrived_by(sub, period.due_date(plan.reporting.grace_days), plan_zone(plan)):
                        r["on_time"] += 1
        for inst, sub in used.items():
            for code, rep in sub.activities.items():
                statuses[code].append(rep.status)
                if rep.rating_hy is not None or rep.rating_y is not None:
                    ratings.append(
                        {
                            "period": period.label,
                            "institution": inst,
                            "activity": code,
                            "rating_hy": rep.rating_hy,
                            "rating_y": rep.rating_y,
                            "comment": rep.comment or "",
                        }
                    )
        for code, sts in statuses.items():
            comb = combined_status(sts)
            if comb is not None:
                last_status[code] = comb
    activities: dict[str, dict[str, int]] = {}
    for so in plan.strategic_objectives:
        for sp in so.specific_objectives:
            counts = {"completed": 0, "in progress": 0, "not started": 0, "not reported": 0}
            for act in sp.activities:
                s = last_status.get(act.code)
                if s == Status.COMPLETED:
                    counts["completed"] += 1
                elif s in (Status.STARTED, Status.IN_CONTINUUM):
                    counts["in progress"] += 1
                elif s == Status.NOT_STARTED:
                    counts["not started"] += 1
                else:
                    counts["not reported"] += 1
            activities[f"{sp.code} {sp.title}"] = counts
    hist = build_history(store, plan, periods[-1], dt.date(year, 12, 31))
    on_track: dict[str, tuple[int, int]] = {}
    for so in plan.strategic_objectives:
        codes = {a.code for a in so.activities}
        rows = [p for p in hist.progress if p.activity in codes and p.progress is not None]
        ind_by_id = {i.id: i for a in so.activities for i in a.indicators}
        good = 0
        for p in rows:
            ind = ind_by_id[p.indicator]
            expected = _expected_share(ind, year)
            if p.progress is not None and p.progress >= expected:
                good += 1
        on_track[so.code] = (good, len(rows))
    for r in reporting.values():
        r.pop("_seen", None)
    return YearFigures(year, activities, on_track, ratings, list(reporting.values()), hist.progress)


def _expected_share(ind: Indicator, year: int) -> float:
    """How far from baseline to target an indicator should be by the end of ``year``."""
    b = ind.baseline.year if ind.baseline and ind.baseline.year else None
    t = ind.target.year if ind.target and ind.target.year else None
    if b is None or t is None or t <= b:
        return 1.0
    return max(0.0, min(1.0, (year - b) / (t - b)))
