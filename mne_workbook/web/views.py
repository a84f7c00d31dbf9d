"""What the desk's pages show, computed by the library: status board, matrix, plan.

Pure functions from the plan and the store to plain dataclasses; the templates only
lay them out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ..consolidate import Consolidation, Flag, consolidate
from ..errors import CATALOG
from ..periods import Period
from ..plan import Plan
from ..quality import quality_checks
from ..report import code_text
from ..store import Store
from .links import links_for
from .tables import rounds_t

STATES = ("on time", "late", "overdue", "refused", "pending")
NEEDS_ACTION = {"late", "overdue", "refused", "flagged"}


def current_period(plan: Plan, today: dt.date) -> Period:
    return Period.containing(plan.reporting.cycle, today)


def known_periods(plan: Plan, store: Store, today: dt.date) -> list[str]:
    """Periods with returns, rounds or links, and the current one, oldest first."""
    labels = set(store.periods(plan.id))
    with store.engine.connect() as conn:
        labels |= {r[0] for r in conn.execute(select(rounds_t.c.period).distinct())}
    labels |= {lk.period for lk in links_for(store.engine)}
    cur = current_period(plan, today)
    if plan.start_year <= cur.year <= plan.end_year:
        labels.add(cur.label)
    return sorted(labels, key=lambda lb: Period.parse(lb).start)


def period_consolidation(plan: Plan, store: Store, label: str, as_of: dt.date) -> Consolidation:
    p = Period.parse(label)
    return consolidate(
        plan, store.submissions(plan.id, label), p, as_of, store.last_reported(plan.id, p.end)
    )


@dataclass(frozen=True)
class Cell:
    period: str
    institution: str
    state: str  # one of STATES, or "-" when the institution carries nothing that period
    flags: int = 0  # flags on the return that counts (errors and warnings)
    file: str = ""

    @property
    def needs_action(self) -> bool:
        return self.state in NEEDS_ACTION or (self.state in ("on time",) and self.flags > 0)


@dataclass
class Board:
    periods: list[str]
    rows: list[tuple[Any, list[Cell]]]  # (institution, cells)
    due: dict[str, dt.date] = field(default_factory=dict)

    def needing_action(self) -> Board:
        keep = [(inst, cells) for inst, cells in self.rows if any(c.needs_action for c in cells)]
        return Board(self.periods, keep, self.due)


def board(plan: Plan, store: Store, periods: list[str], as_of: dt.date) -> Board:
    """Institutions x periods: on time / late / overdue / refused / pending."""
    cons = {lb: period_consolidation(plan, store, lb, as_of) for lb in periods}
    rows = []
    for inst in plan.carriers():
        cells = []
        for lb in periods:
            con = cons[lb]
            rate = next((r for r in con.rates if r.institution == inst.id), None)
            if rate is None:
                cells.append(Cell(lb, inst.id, "-"))
                continue
            n = sum(
                1
                for f in con.flags
                if f.institution == inst.id and f.file and not f.code.startswith("plan-gap")
            )
            if rate.received:
                state = "on time" if rate.on_time else "late"
            else:
                refused = any(s.refused and s.institution == inst.id for s in con.submissions)
                state = (
                    "refused" if refused else "overdue" if con.as_of > con.due_date else "pending"
                )
            cells.append(Cell(lb, inst.id, state, n, rate.file))
        rows.append((inst, cells))
    return Board(periods, rows, {lb: cons[lb].due_date for lb in periods})


@dataclass(frozen=True)
class MatrixCell:
    text: str
    flags: tuple[Flag, ...] = ()

    @property
    def level(self) -> str:
        if not self.flags:
            return ""
        return "error" if any(str(f.severity) == "error" for f in self.flags) else "warning"

    @property
    def tip(self) -> str:
        return "\n".join(
            f"[{f.code}] {f.message}" + (f" ({f.cell})" if f.cell else "") for f in self.flags
        )


@dataclass(frozen=True)
class MatrixRow:
    so: str
    activity: str
    indicator: str
    institution: str
    cells: tuple[MatrixCell, ...]
    codes: tuple[str, ...]


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def matrix(
    con: Consolidation, so: str = "", institution: str = "", code: str = ""
) -> tuple[list[str], list[MatrixRow]]:
    """The consolidated matrix as table rows (SO -> activity -> indicator), flags per cell."""
    index: dict[tuple[str, str, str, str], list[Flag]] = {}
    for fl in con.flags:
        index.setdefault((fl.institution, fl.activity, fl.indicator, fl.field), []).append(fl)
    names = {i.id: i.short_name for i in con.plan.institutions}
    points = con.value_points
    heads = [
        *[f"Value {p}" for p in points],
        "Status",
        "Combined status",
        "Rating HY",
        "Rating Y",
        "Comments",
    ]
    out = []
    for row in con.rows:
        if so and row["so"] != so:
            continue
        inst = row["institution"]
        if institution and inst != institution:
            continue

        def cell(fld: str, text: str, row: dict[str, Any] = row, inst: str = inst) -> MatrixCell:
            ind = row["indicator"] if fld.startswith("value") else ""
            return MatrixCell(text, tuple(index.get((inst, row["activity"], ind, fld), [])))

        cells = [cell(f"value {p}", _text(row[f"value {p}"])) for p in points]
        cells += [
            cell("status", code_text("status", row["status"])),
            MatrixCell(code_text("status", row["combined_status"])),
            cell("rating_hy", code_text("rating", row["rating_hy"])),
            cell("rating_y", code_text("rating", row["rating_y"])),
            cell("comments", _text(row["comment"])),
        ]
        codes = tuple(sorted({f.code for c in cells for f in c.flags}))
        if code and code not in codes:
            continue
        out.append(
            MatrixRow(
                row["so"],
                f"{row['activity']} {row['activity_title']}",
                f"{row['indicator']} {row['indicator_text']}".strip(),
                names.get(inst, inst),
                tuple(cells),
                codes,
            )
        )
    return heads, out


@dataclass(frozen=True)
class PlanView:
    plan: Plan
    warnings: list[Any]
    carries: dict[str, list[str]]  # institution id -> activity codes it carries


def plan_view(plan: Plan) -> PlanView:
    carries: dict[str, list[str]] = {i.id: [] for i in plan.institutions}
    for ref in plan.iter_activities():
        for c in ref.activity.carriers:
            carries.setdefault(c, []).append(ref.activity.code)
    return PlanView(plan, quality_checks(plan), carries)


def code_title(code: str) -> str:
    return CATALOG[code].title if code in CATALOG else code
