"""THE column model of a strategic-objective sheet, shared by the writer and the reader.

Nothing else knows a column letter or a row number. A sheet is laid out as::

    row 1   band: the strategic objective in full
    row 2   band: institution, period, due date
    row 3   (hidden) field ids: the stable name of each column
    row 4   column headers (the framework's columns, in its order)
    row 5+  one row per indicator (an activity without indicators gets one row)

Columns A and B are hidden keys (activity code, indicator id) so that reading never
depends on text or position; row 3 names every column so that a reader can map
columns by name and detect inserted, deleted or moved columns.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from enum import StrEnum

from .locales import Catalog
from .periods import Period, collection_points
from .plan import Activity, ExpectedResult, Indicator, Plan, SpecificObjective, StrategicObjective
from .vocab import Frequency

LAYOUT_VERSION = "1"

BAND_ROW = 0  # 0-based rows, as xlsxwriter counts
SUBBAND_ROW = 1
FIELD_ROW = 2
HEADER_ROW = 3
FIRST_DATA_ROW = 4

SHEET_IDENTITY = "_identity"
SHEET_LISTS = "_lists"


class Owner(StrEnum):
    """Who may edit a column's cells."""

    KEY = "key"  # hidden row keys: nobody
    PLAN = "plan"  # plan text: nobody (edit the plan file)
    ONATC = "onatc"  # the framework's '(to be completed / defined / assigned by ONATC)'
    CARRIER = "carrier"  # reporting fields, filled by the carrier institution


class Span(StrEnum):
    """How many rows one value of the column covers (cells are merged over the span)."""

    ROW = "row"
    RESULT = "result"
    ACTIVITY = "activity"
    SPECIFIC = "specific"


class Kind(StrEnum):
    KEY = "key"
    TEXT = "text"
    VALUE = "value"
    STATUS = "status"
    FREQUENCY = "frequency"
    RATING_HY = "rating_hy"
    RATING_Y = "rating_y"
    COMMENT = "comment"


@dataclass(frozen=True)
class Column:
    field: str  # stable id, written in the hidden field row
    label_key: str  # locale key of the header
    owner: Owner
    span: Span
    kind: Kind
    width: float
    hidden: bool = False
    point: Period | None = None  # the collection period of a value column


def value_field(point_end: dt.date) -> str:
    return f"value@{point_end.isoformat()}"


def value_points(plan: Plan, period: Period) -> list[Period]:
    """The distinct collection points of the period over the whole plan, by end date.

    The same value columns are used for every workbook of a period so that all
    returns of a period share one layout.
    """
    by_end: dict[dt.date, Period] = {}
    for ind in plan.indicators():
        for p in collection_points(ind.frequency, period):
            by_end.setdefault(p.end, p)
    if not by_end:
        by_end[period.end] = period
    return [by_end[d] for d in sorted(by_end)]


def columns_for(plan: Plan, period: Period) -> tuple[Column, ...]:
    """The columns of every strategic-objective sheet of ``period``."""
    c = Column
    points = value_points(plan, period)
    cols = [
        c("activity_key", "columns.activity", Owner.KEY, Span.ROW, Kind.KEY, 10, hidden=True),
        c("indicator_key", "columns.indicator", Owner.KEY, Span.ROW, Kind.KEY, 10, hidden=True),
        c(
            "specific_objective",
            "columns.specific_objective",
            Owner.PLAN,
            Span.SPECIFIC,
            Kind.TEXT,
            20,
        ),
        c("activity", "columns.activity", Owner.PLAN, Span.ACTIVITY, Kind.TEXT, 30),
        c("expected_result", "columns.expected_result", Owner.PLAN, Span.RESULT, Kind.TEXT, 26),
        c("baseline", "columns.baseline", Owner.ONATC, Span.ROW, Kind.TEXT, 12),
        c("indicator", "columns.indicator", Owner.PLAN, Span.ROW, Kind.TEXT, 32),
        c("target", "columns.target", Owner.ONATC, Span.ROW, Kind.TEXT, 12),
    ]
    for p in points:
        label = "columns.value" if len(points) == 1 else "columns.value_point"
        cols.append(c(value_field(p.end), label, Owner.CARRIER, Span.ROW, Kind.VALUE, 12, point=p))
    cols += [
        c("status", "columns.status", Owner.CARRIER, Span.ACTIVITY, Kind.STATUS, 14),
        c("frequency", "columns.frequency", Owner.ONATC, Span.ROW, Kind.FREQUENCY, 12),
        c(
            "means_of_verification",
            "columns.means_of_verification",
            Owner.PLAN,
            Span.ROW,
            Kind.TEXT,
            22,
        ),
        c("responsible_person", "columns.responsible_person", Owner.ONATC, Span.ROW, Kind.TEXT, 14),
        c("rating_hy", "columns.rating_hy", Owner.CARRIER, Span.ACTIVITY, Kind.RATING_HY, 14),
        c("rating_y", "columns.rating_y", Owner.CARRIER, Span.ACTIVITY, Kind.RATING_Y, 14),
        c("comments", "columns.comments", Owner.CARRIER, Span.ACTIVITY, Kind.COMMENT, 34),
    ]
    return tuple(cols)


@dataclass(frozen=True)
class MatrixRow:
    """One row of a strategic-objective sheet."""

    strategic: StrategicObjective
    specific: SpecificObjective
    activity: Activity
    result: ExpectedResult | None
    indicator: Indicator | None

    @property
    def key(self) -> tuple[str, str]:
        """Unique within a sheet: (activity code, indicator id); a result without
        indicators is ``~rN`` (N its position; no id starts with ``~``), an activity
        without results ``""``."""
        if self.indicator is not None:
            return (self.activity.code, self.indicator.id)
        if self.result is not None:
            n = next(
                k for k, r in enumerate(self.activity.expected_results, start=1) if r is self.result
            )
            return (self.activity.code, f"~r{n}")
        return (self.activity.code, "")


def rows_for(so: StrategicObjective, institution: str | None) -> list[MatrixRow]:
    """Rows of ``so`` for one carrier (``None``: every activity, as in the master)."""
    rows: list[MatrixRow] = []
    for sp in so.specific_objectives:
        for act in sp.activities:
            if institution is not None and institution not in act.carriers:
                continue
            if not act.expected_results:
                rows.append(MatrixRow(so, sp, act, None, None))
            for res in act.expected_results:
                if not res.indicators:
                    rows.append(MatrixRow(so, sp, act, res, None))
                for ind in res.indicators:
                    rows.append(MatrixRow(so, sp, act, res, ind))
    return rows


def span_key(row: MatrixRow, span: Span) -> object:
    """Rows with equal span keys share one merged cell in a column of that span."""
    if span == Span.SPECIFIC:
        return (row.specific.code,)
    if span == Span.ACTIVITY:
        return (row.activity.code,)
    if span == Span.RESULT:
        return (row.activity.code, id(row.result))
    return row.key


def spans(rows: list[MatrixRow], span: Span) -> list[tuple[int, int]]:
    """(first, last) row offsets of each run of rows that share a cell in ``span``."""
    keys = [span_key(r, span) for r in rows]  # once per row: this runs for every column
    out: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or keys[i] != keys[start]:
            out.append((start, i - 1))
            start = i
    return out


def span_runs(
    rows: list[MatrixRow], columns: tuple[Column, ...]
) -> dict[Span, list[tuple[int, int]]]:
    """:func:`spans` of ``rows`` for every span the columns use, each computed once."""
    return {span: spans(rows, span) for span in dict.fromkeys(c.span for c in columns)}


def editable(col: Column, *, master: bool, period: Period) -> bool:
    """Whether ``col`` is an input column in a workbook of this kind and period."""
    if col.kind == Kind.RATING_HY and not period.half_year_rating_due:
        return False
    if col.kind == Kind.RATING_Y and not period.yearly_rating_due:
        return False
    if col.owner == Owner.CARRIER:
        return True
    return master and col.owner == Owner.ONATC


def value_due(ind: Indicator | None, col: Column, period: Period) -> bool:
    """Whether indicator ``ind`` has a collection point in value column ``col``."""
    if ind is None or col.point is None:
        return False
    return col.point.end in _point_ends(ind.frequency, period)


@functools.lru_cache(maxsize=64)
def _point_ends(frequency: Frequency | None, period: Period) -> frozenset[dt.date]:
    """The end dates of :func:`periods.collection_points` (asked for every value cell)."""
    return frozenset(p.end for p in collection_points(frequency, period))


def sheet_name(so: StrategicObjective) -> str:
    return so.code


def _cell_text(value: object, cat: Catalog) -> object:
    if isinstance(value, bool):
        return cat.yes_no()[0 if value else 1]
    return value


def plan_year(col: Column, r: MatrixRow) -> int | None:
    """The year of a baseline or target cell (shown by its number format, not its value)."""
    ind = r.indicator
    if ind is None:
        return None
    if col.field == "baseline" and ind.baseline and ind.baseline.value is not None:
        return ind.baseline.year
    if col.field == "target" and ind.target and ind.target.value is not None:
        return ind.target.year
    return None


def plan_cell(col: Column, r: MatrixRow, cat: Catalog) -> tuple[object, str | None]:
    """What the plan puts in a cell, and an optional note (baseline/target year).

    The writer writes it; the reader compares locked cells against it.
    """
    ind, act = r.indicator, r.activity
    f = col.field
    if f == "activity_key":
        return act.code, None
    if f == "indicator_key":
        return r.key[1], None
    if f == "specific_objective":
        return f"{r.specific.code} {r.specific.title}", None
    if f == "activity":
        return f"{act.code} {act.title}", None
    if f == "expected_result":
        return (r.result.text if r.result else ""), None
    if ind is None:
        return "", None
    if f == "indicator":
        return ind.text + (f" ({ind.unit})" if ind.unit else ""), None
    if f == "baseline" and ind.baseline:
        b = ind.baseline
        return _cell_text(b.value, cat) if b.value is not None else "", b.note or None
    if f == "target" and ind.target:
        t = ind.target
        return _cell_text(t.value, cat) if t.value is not None else "", None
    if f == "frequency":
        return (cat.entry("frequency", int(ind.frequency)) if ind.frequency else ""), None
    if f == "means_of_verification":
        return "\n".join(ind.means_of_verification), None
    if f == "responsible_person":
        return ind.responsible_person or "", None
    return "", None


def norm_cell(value: object) -> str:
    """A cell's content as text, the same whether written by us or re-saved by a client."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def signed_owners(master: bool) -> frozenset[Owner]:
    """Columns whose content the signature covers (the master's ONATC fields are editable)."""
    return frozenset({Owner.KEY, Owner.PLAN} | (set() if master else {Owner.ONATC}))


def content_records(
    plan: Plan,
    period: Period,
    institution: str | None,
    cat: Catalog,
    columns: tuple[Column, ...] | None = None,
    memo: dict[tuple[str, int, int, int], str] | None = None,
) -> list[str]:
    """The plan content a workbook shows, as records for its signature digest.

    ``memo`` (one per plan, period and language) keeps each cell's text for the next
    workbook of the round: the master and the institutions show the same plan cells."""
    columns = columns or columns_for(plan, period)
    memo = {} if memo is None else memo
    owners = signed_owners(institution is None)
    out: list[str] = []
    for so in plan.strategic_objectives:
        rows = rows_for(so, institution)
        if not rows and institution is not None:
            continue
        name = sheet_name(so)
        out.append(f"{name}|fields|" + "|".join(c.field for c in columns))
        tops_of = {span: {a for a, _ in runs} for span, runs in span_runs(rows, columns).items()}
        for col in columns:
            if col.owner not in owners:
                continue
            tops = tops_of[col.span]
            for i, r in enumerate(rows):
                if i in tops:
                    key = (col.field, id(r.activity), id(r.result), id(r.indicator))
                    text = memo.get(key)
                    if text is None:
                        text = memo[key] = norm_cell(plan_cell(col, r, cat)[0])
                else:
                    text = ""
                out.append(f"{name}|{i}|{col.field}|{text}")
    return out


def grid_records(
    sheets: list[tuple[str, list[list[object]]]], owner_of: dict[str, Owner], master: bool
) -> list[str]:
    """The same records as :func:`content_records`, read from a file's cell values."""
    owners = signed_owners(master)
    out: list[str] = []
    for name, grid in sheets:
        fields = [norm_cell(v) for v in (grid[FIELD_ROW] if len(grid) > FIELD_ROW else [])]
        while fields and not fields[-1]:
            fields.pop()
        out.append(f"{name}|fields|" + "|".join(fields))
        data = grid[FIRST_DATA_ROW:]
        while data and all(norm_cell(v) == "" for v in data[-1]):
            data = data[:-1]
        for ci, f in enumerate(fields):
            if owner_of.get(f) not in owners:
                continue
            for i, row in enumerate(data):
                v = row[ci] if ci < len(row) else None
                # norm_cell(v), answered at once for the commonest values: a str is its
                # own str(), None is ""
                text = v.strip() if type(v) is str else "" if v is None else norm_cell(v)
                out.append(f"{name}|{i}|{f}|{text}")
    return out
