"""Merge the period's submissions into one matrix, with flags and reporting rates."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .arrival import arrival_of, arrived_by, plan_zone, show, today
from .errors import CATALOG, Severity
from .layout import MatrixRow, columns_for, rows_for, value_due
from .periods import Period
from .plan import Activity, Plan, paused_gc
from .quality import GAPS, indicator_gaps
from .reader import CellRef, Submission
from .return_rule import Held, RuleFlag, answered_in, choose
from .vocab import Rating, Status

if TYPE_CHECKING:
    import pandas as pd

#: Order of advancement used for an activity's combined status: the least advanced
#: carrier's status wins. "Has started" (3) is taken as less advanced than "In
#: continuum" (2, an activity carried on without interruption).
ADVANCEMENT = {
    Status.NOT_STARTED: 0,
    Status.STARTED: 1,
    Status.IN_CONTINUUM: 2,
    Status.COMPLETED: 3,
}


@dataclass(frozen=True)
class Flag:
    """A gap, an overdue item or a problem, located in the plan and in the returned file."""

    code: str
    message: str
    institution: str = ""
    so: str = ""
    activity: str = ""
    indicator: str = ""
    file: str = ""
    cell: str = ""
    field: str = ""  # the matrix column the flag is about: "status", "value 2026-04", ...

    @property
    def severity(self) -> Severity:
        return CATALOG[self.code].severity

    def to_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "severity": str(self.severity),
            "institution": self.institution,
            "so": self.so,
            "activity": self.activity,
            "indicator": self.indicator,
            "message": self.message,
            "file": self.file,
            "cell": self.cell,
        }


@dataclass(frozen=True)
class ReportingRate:
    """Completeness and timeliness of one institution, as DHIS2 defines them."""

    institution: str
    name: str
    expected: int
    received: int
    on_time: int
    file: str = ""
    saved_at: str = ""
    arrived_at: str = ""
    arrival_source: str = ""

    @property
    def reporting_rate(self) -> float | None:
        return 100.0 * self.received / self.expected if self.expected else None

    @property
    def on_time_rate(self) -> float | None:
        return 100.0 * self.on_time / self.expected if self.expected else None


@dataclass
class Consolidation:
    plan: Plan
    period: Period
    as_of: dt.date
    due_date: dt.date
    rows: list[dict[str, Any]]
    flags: list[Flag]
    submissions: list[Submission]
    used: dict[str, Submission]
    rates: list[ReportingRate]
    value_points: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)  # file -> superseded/duplicate note
    history: Any = None  # a history.History when built from the store

    @property
    def matrix(self) -> pd.DataFrame:
        """The consolidated matrix: one row per indicator and carrier institution."""
        import pandas as pd

        return pd.DataFrame(self.rows)

    @property
    def overall(self) -> ReportingRate:
        return ReportingRate(
            "",
            "all",
            sum(r.expected for r in self.rates),
            sum(r.received for r in self.rates),
            sum(r.on_time for r in self.rates),
        )

    def flags_by_code(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for f in self.flags:
            counts[f.code] += 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def active(plan: Plan, act: Activity, period: Period) -> bool:
    start, end = plan.activity_span(act)
    return period.overlaps(start, end)


def pick_returns(
    submissions: Iterable[Submission],
) -> tuple[dict[str, Submission], list[Flag], dict[str, str]]:
    """The returns that count per institution, by the one rule of :mod:`return_rule`
    (empty returns left out, several merged per cell), its flags and a note per file."""
    choice = choose(submissions)
    return choice.used, [_flag(f) for f in choice.flags], choice.notes


def _flag(f: RuleFlag, points: dict[dt.date, str] | None = None) -> Flag:
    fld = f.field
    if f.point_end is not None:
        fld = f"value {(points or {}).get(f.point_end, f.point_end.isoformat())}"
    return Flag(f.code, f.message, f.institution, "", f.activity, f.indicator, f.file, f.cell, fld)


def sender_of(sub: Submission, plan: Plan, period: Period) -> str:
    """The institution a refused file came from: the e-mail's sender address when it is
    one of an institution's, else the generated file name (``KP_2026-Q3.xlsx``) it
    keeps, else "". Used only to say whose file was refused, never to read a file."""
    address = sub.sender.strip().lower()
    for inst in plan.institutions:
        if address and address in {a.lower() for a in (*inst.emails, *inst.sender_emails)}:
            return inst.id
    # the whole name: an extension starts with ".", which ends the head like any other
    # non-alphanumeric character, and a short name may itself hold a dot ("K.P.")
    name = sub.name.casefold()
    for inst in plan.institutions:
        for short in {inst.short_name, inst.id}:
            head = f"{short}_{period.label}".casefold()
            if name == head or (name.startswith(head) and not name[len(head)].isalnum()):
                return inst.id
    return ""


def _cell_fields(sub: Submission, value_cols: list[Any]) -> dict[str, tuple[str, str, str]]:
    """A return's input cells ("SO1!H5") -> (activity, indicator, matrix field)."""
    label = {c.field: f"value {c.point.label}" for c in value_cols if c.point}
    return {str(ref): (act, ind, label.get(fld, fld)) for (act, ind, fld), ref in sub.cells.items()}


def combined_status(statuses: Iterable[int | None], carriers: int = 0) -> int | None:
    """The least advanced status of an activity's carriers.

    Never "completed" while a carrier has not reported (a blank status, or fewer
    statuses than ``carriers``): then the combined status is unknown (``None``).
    """
    given = list(statuses)
    reported = [Status(s) for s in given if s is not None]
    if not reported:
        return None
    least = min(reported, key=ADVANCEMENT.__getitem__)
    if least == Status.COMPLETED and len(reported) < max(len(given), carriers):
        return None
    return int(least)


def consolidate(
    plan: Plan,
    submissions: list[Submission],
    period: Period,
    as_of: dt.date | None = None,
    last_reported: dict[tuple[str, str], dt.date] | None = None,
    held: Held | None = None,
) -> Consolidation:
    """The period's matrix over the whole plan, flags, and reporting rates.

    ``last_reported`` (from the store) lets overdue flags say when each indicator was
    last reported. ``held``: where the returns' answers are, when not on them
    (:class:`spill.Spill`); the returns that count get theirs back.
    """
    with paused_gc():  # thousands of returns, flags and rows, none in a cycle
        return _consolidate(plan, submissions, period, as_of, last_reported, held)


def _consolidate(
    plan: Plan,
    submissions: list[Submission],
    period: Period,
    as_of: dt.date | None,
    last_reported: dict[tuple[str, str], dt.date] | None,
    held: Held | None,
) -> Consolidation:
    zone = plan_zone(plan)
    as_of = as_of or today(zone)
    due = period.due_date(plan.reporting.grace_days)
    late = as_of > due
    columns = columns_for(plan, period)
    value_cols = [c for c in columns if c.point is not None]
    points = {c.point.end: c.point.label for c in value_cols if c.point}
    choice = choose(submissions, held)
    used, notes = choice.used, choice.notes
    flags = [_flag(f, points) for f in choice.flags]

    # whose a refused file is (its identity, e-mail sender or generated name), before its
    # problems become flags: they name that institution too
    refused_by_inst: dict[str, list[Submission]] = defaultdict(list)
    for s in submissions:
        if s.refused:
            s.refused_for = s.institution or s.refused_for or sender_of(s, plan, period)
            if s.refused_for:
                refused_by_inst[s.refused_for].append(s)

    # every problem found while reading becomes a flag (unsigned files read with
    # --allow-unsigned and returns of an older plan version included)
    # each on the matrix cell it is about, when it is about an input cell
    # returns of one layout share one cells map (:mod:`compact`): each map is listed once
    listed: dict[int, tuple[object, dict[str, tuple[str, str, str]]]] = {}
    for s in submissions:
        if not s.problems:
            continue
        got = listed.get(id(s.cells))
        if got is None or got[0] is not s.cells:  # (the map is held: its id stays its own)
            got = listed[id(s.cells)] = (s.cells, _cell_fields(s, value_cols))
        at = got[1]
        for p in s.problems:
            cell = (
                f"{p.location.sheet}!{p.location.column}{p.location.row}"
                if p.location.row
                else (p.location.sheet or "")
            )
            on_act, on_ind, on_fld = at.get(cell, ("", "", ""))
            who = s.institution or s.refused_for
            flags.append(Flag(p.code, p.message, who, "", on_act, on_ind, s.name, cell, on_fld))

    expected_insts: list[str] = []
    for ref in plan.iter_activities():
        if active(plan, ref.activity, period):
            for c in ref.activity.carriers:
                if c not in expected_insts:
                    expected_insts.append(c)
    expected_insts = [i.id for i in plan.institutions if i.id in expected_insts]

    for inst in expected_insts:
        if inst in used:
            continue
        extra = ""
        if inst in choice.empty:
            extra = "; only an empty return: " + ", ".join(s.name for s in choice.empty[inst])
        if inst in refused_by_inst:
            sent = []
            for refused in refused_by_inst[inst]:
                reason = refused.refusal()
                what = CATALOG[reason.code].title if reason else "refused"
                sent.append(f"{refused.name} ({what}: {reason.message if reason else ''})")
            flags.append(
                Flag(
                    "return-refused",
                    f"refused: {plan.institution(inst).name} sent {'; '.join(sent)}; due {due}"
                    + (f", {(as_of - due).days} day(s) ago" if late else ""),
                    inst,
                    file=", ".join(r.name for r in refused_by_inst[inst]),
                )
            )
            continue
        if late:
            flags.append(
                Flag(
                    "return-overdue",
                    f"no return from {plan.institution(inst).name}; due {due},"
                    f" {(as_of - due).days} day(s) overdue{extra}",
                    inst,
                )
            )
        else:
            flags.append(
                Flag(
                    "return-pending",
                    f"no return yet from {plan.institution(inst).name}; due {due}{extra}",
                    inst,
                )
            )

    rows: list[dict[str, Any]] = []
    rows_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    status_of: dict[str, list[int | None]] = defaultdict(list)
    for so in plan.strategic_objectives:
        seen: set[str] = set()
        for r in rows_for(so, None):
            act = r.activity
            first = act.code not in seen  # the row that holds status and ratings
            seen.add(act.code)
            is_active = active(plan, act, period)
            for inst in act.carriers or ("",):
                sub = used.get(inst)
                row = _matrix_row(period, r, inst, sub, value_cols, choice.sources)
                rows.append(row)
                rows_of[act.code].append(row)
                if first and sub is not None:
                    status_of[act.code].append(row["status"])
                if sub is not None and is_active:
                    flags += _row_flags(
                        period,
                        r,
                        first,
                        inst,
                        sub,
                        value_cols,
                        late,
                        (as_of - due).days,
                        last_reported,
                    )
    # combined status per activity, and activity-level flags
    for so in plan.strategic_objectives:
        for act in so.activities:
            comb = combined_status(status_of.get(act.code, []), len(act.carriers))
            for row in rows_of[act.code]:
                row["combined_status"] = comb
            _, end = plan.activity_span(act)
            if end < as_of and comb != Status.COMPLETED:
                # An activity without a timeline of its own runs over the strategy period
                # (Plan.activity_span); once that has ended it is overdue like any other.
                state = "not reported by every carrier" if comb is None else f"at status {comb}"
                ended = (
                    f"ended {end.isoformat()}"
                    if act.timeline_end is not None
                    else f"has no timeline of its own; the strategy period ended {end.isoformat()}"
                )
                flags.append(
                    Flag(
                        "activity-overdue",
                        f"{act.code} {ended} and is {state}",
                        ", ".join(act.carriers),
                        so.code,
                        act.code,
                    )
                )
    flags += _plan_gaps(plan, period)

    rates = []
    for inst in expected_insts:
        sub = used.get(inst)
        # on time when a return whose answers count arrived by the due date
        # an identical copy sent again later does not make an on-time return late
        counted = set(sub.merged_from or [sub.name]) if sub is not None else set()
        counted |= {c for c, kept in choice.copies.items() if kept in counted}
        on_time = int(
            any(
                bool(arrived_by(s, due, zone))
                for s in submissions
                if s.accepted
                and s.institution == inst
                and s.name in counted
                and answered_in(s, held)
            )
        )
        arrived = arrival_of(sub) if sub else None
        rates.append(
            ReportingRate(
                inst,
                plan.institution(inst).name,
                1,
                int(sub is not None),
                on_time,
                sub.name if sub else "",
                show(sub.saved_at, zone) if sub else "",
                show(arrived.at, zone) if arrived else "",
                str(arrived.source) if arrived else "",
            )
        )
    return Consolidation(
        plan,
        period,
        as_of,
        due,
        rows,
        flags,
        submissions,
        used,
        rates,
        [c.point.label for c in value_cols if c.point],
        notes,
    )


def _matrix_row(
    period: Period,
    r: MatrixRow,
    inst: str,
    sub: Submission | None,
    value_cols: list[Any],
    sources: dict[tuple[str, str, str, object], str] | None = None,
) -> dict[str, Any]:
    ind = r.indicator
    rep = sub.activities.get(r.activity.code) if sub else None
    row: dict[str, Any] = {
        "so": r.strategic.code,
        "specific_objective": r.specific.code,
        "activity": r.activity.code,
        "activity_title": r.activity.title,
        "expected_result": r.result.text if r.result else "",
        "indicator": ind.id if ind else "",
        "indicator_text": ind.text if ind else "",
        "measure": str(ind.measure) if ind else "",
        "baseline": ind.baseline.value if ind and ind.baseline else None,
        "target": ind.target.value if ind and ind.target else None,
        "frequency": ind.frequency.plan_name if ind and ind.frequency else "",
        "institution": inst,
        "received": sub is not None,
    }
    values = {(v.indicator, v.point_end): v.value for v in sub.values} if sub and ind else {}
    for c in value_cols:
        due = value_due(ind, c, period)
        row[f"value {c.point.label}"] = values.get((ind.id, c.point.end)) if ind else None
        row[f"due {c.point.label}"] = due
    row.update(
        {
            "status": rep.status if rep else None,
            "combined_status": None,
            "rating_hy": rep.rating_hy if rep else None,
            "rating_y": rep.rating_y if rep else None,
            "comment": rep.comment if rep else None,
            "file": sub.name if sub else "",
        }
    )
    if sub is not None and sub.merged_from and sources is not None:
        act, ind_id = r.activity.code, ind.id if ind else ""
        keys = [(inst, act, ind_id, c.point.end) for c in value_cols if c.point] + [
            (inst, act, "", f) for f in ("status", "rating_hy", "rating_y", "comments")
        ]
        files = sorted({sources[k] for k in keys if k in sources})
        row["file"] = ", ".join(files) or sub.name
    return row


def _row_flags(
    period: Period,
    r: MatrixRow,
    first_of_activity: bool,
    inst: str,
    sub: Submission,
    value_cols: list[Any],
    late: bool,
    days_late: int = 0,
    last_reported: dict[tuple[str, str], dt.date] | None = None,
) -> list[Flag]:
    flags: list[Flag] = []
    act, ind, so = r.activity, r.indicator, r.strategic.code
    rep = sub.activities.get(act.code)

    def where(key: tuple[str, str, str]) -> str:
        ref: CellRef | None = sub.cells.get(key)
        return str(ref) if ref else ""

    if first_of_activity and rep is not None:
        if rep.status is None:
            flags.append(
                Flag(
                    "status-missing",
                    f"{act.code}: no status",
                    inst,
                    so,
                    act.code,
                    file=sub.name,
                    cell=where((act.code, "", "status")),
                    field="status",
                )
            )
        for fld, due, value in (
            ("rating_hy", period.half_year_rating_due, rep.rating_hy),
            ("rating_y", period.yearly_rating_due, rep.rating_y),
        ):
            label = "half-year" if fld == "rating_hy" else "yearly"
            if due and value is None:
                flags.append(
                    Flag(
                        "rating-missing",
                        f"{act.code}: no {label} rating",
                        inst,
                        so,
                        act.code,
                        file=sub.name,
                        cell=where((act.code, "", fld)),
                        field=fld,
                    )
                )
            if value in (Rating.DIFFICULTIES_HANDLED, Rating.NEEDS_REVISION) and not rep.comment:
                flags.append(
                    Flag(
                        "rating-without-comment",
                        f"{act.code}: {label} rating {value} has no comment",
                        inst,
                        so,
                        act.code,
                        file=sub.name,
                        cell=where((act.code, "", "comments")),
                        field="comments",
                    )
                )
    if ind is not None:
        got = {v.point_end for v in sub.values if v.indicator == ind.id}
        for c in value_cols:
            if value_due(ind, c, period) and c.point.end not in got:
                code = "indicator-overdue" if late else "value-missing"
                msg = f"{act.code}/{ind.id}: no value for {c.point.label}"
                if late:
                    msg += f"; {days_late} day(s) overdue"
                if last_reported is not None:
                    last = last_reported.get((act.code, ind.id))
                    msg += f"; last reported {last.isoformat() if last else 'never'}"
                flags.append(
                    Flag(
                        code,
                        msg,
                        inst,
                        so,
                        act.code,
                        ind.id,
                        sub.name,
                        where((act.code, ind.id, c.field)),
                        f"value {c.point.label}",
                    )
                )
    return flags


def _plan_gaps(plan: Plan, period: Period) -> list[Flag]:
    flags = []
    for ref in plan.iter_activities():
        if not active(plan, ref.activity, period):
            continue
        for ind in ref.activity.indicators:
            base = (ref.strategic.code, ref.activity.code, ind.id)
            for gap in indicator_gaps(ind):  # the same rule as validate's warnings
                code = GAPS[gap][1]
                flags.append(Flag(code, f"{ind.id}: {CATALOG[code].title}", "", *base))
    return flags
