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
from ..layout import FIRST_DATA_ROW, Kind, Span, columns_for, rows_for, sheet_name
from ..periods import Period
from ..plan import Plan
from ..quality import quality_checks
from ..reader import CellRef, _iter_inputs, col_letter
from ..report import code_text
from ..store import Store
from ..workflows import status_table
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


def cell_map(plan: Plan, period: Period, institution: str) -> dict[tuple[str, str, str], CellRef]:
    """Where each input of an institution's workbook is, as the reader locates it."""
    columns = columns_for(plan, period)
    out: dict[tuple[str, str, str], CellRef] = {}
    for so in plan.strategic_objectives:
        rows = rows_for(so, institution)
        for ci, col, a, _last, r, is_open in _iter_inputs(columns, rows, period):
            if is_open and (col.kind != Kind.VALUE or r.indicator is not None):
                ind = r.indicator.id if r.indicator and col.span == Span.ROW else ""
                ref = CellRef(sheet_name(so), FIRST_DATA_ROW + a + 1, col_letter(ci))
                out[(r.activity.code, ind, col.field)] = ref
    return out


def period_consolidation(plan: Plan, store: Store, label: str, as_of: dt.date) -> Consolidation:
    """consolidate() over the stored returns of a period. The store keeps values, not
    where they were; the cell map is rebuilt from the layout so flags name their cell."""
    p = Period.parse(label)
    subs = store.submissions(plan.id, label)
    for sub in subs:
        inst = sub.institution
        ident = sub.identity
        if (
            not sub.cells
            and inst
            and sub.accepted
            and ident is not None
            and ident.kind == "institution"
            and ident.plan_fingerprint == plan.fingerprint
        ):
            sub.cells = cell_map(plan, p, inst)
    return consolidate(plan, subs, p, as_of, store.last_reported(plan.id, p.end))


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
    """Institutions x periods: the states of ``mne-workbook status``, with flag counts."""
    states: dict[tuple[str, str], str] = {}
    for lb in periods:
        table = status_table(plan, store, Period.parse(lb), as_of)
        for inst_id, _name, found in table.rows:
            states[(inst_id, lb)] = found[0].lower()
    cons = {lb: period_consolidation(plan, store, lb, as_of) for lb in periods}
    rows: list[tuple[Any, list[Cell]]] = []
    for inst in plan.carriers():
        cells: list[Cell] = []
        for lb in periods:
            con = cons[lb]
            rate = next((r for r in con.rates if r.institution == inst.id), None)
            n = sum(
                1
                for f in con.flags
                if f.institution == inst.id and f.file and not f.code.startswith("plan-gap")
            )
            cells.append(Cell(lb, inst.id, states[(inst.id, lb)], n, rate.file if rate else ""))
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


def _flag_index(con: Consolidation) -> dict[tuple[str, str, str, str], list[Flag]]:
    """Flags by (institution, activity, indicator, matrix field). A problem the reader
    found at a cell (a wrong number, say) is placed through the return's cell map."""
    fields = {
        c.field: (f"value {c.point.label}" if c.point else c.field)
        for c in columns_for(con.plan, con.period)
    }
    counted = {s.name: s for s in con.used.values()}
    reverse = {
        name: {str(ref): key for key, ref in sub.cells.items()} for name, sub in counted.items()
    }
    index: dict[tuple[str, str, str, str], list[Flag]] = {}
    for fl in con.flags:
        key = (fl.institution, fl.activity, fl.indicator, fl.field)
        if not fl.field and fl.cell and fl.file in reverse:
            found = reverse[fl.file].get(fl.cell)
            if found is None:
                continue
            act, ind, fld = found
            key = (fl.institution, act, ind, fields.get(fld, fld))
        index.setdefault(key, []).append(fl)
    return index


def matrix(
    con: Consolidation, so: str = "", institution: str = "", code: str = ""
) -> tuple[list[str], list[MatrixRow]]:
    """The consolidated matrix as table rows (SO -> activity -> indicator), flags per cell."""
    index = _flag_index(con)
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
