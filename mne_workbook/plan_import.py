"""Read a plan workbook back into plan data, every problem located by sheet, row and column.

A plan workbook is untrusted input like any return: it passes the same gate
(:func:`safety.inspect_file`), is parsed in a child process bounded in time and
memory, no formula is evaluated (a formula is reported, its cached value ignored), and
a file that is not a plan workbook is refused with a located message. The data read
goes through the same schema, semantic and quality checks as a YAML plan; a JSON path
in those checks maps back to the sheet, row and column it came from.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .bounded import Bounds, Refused, run_bounded
from .errors import Location, Problem, Report
from .plan_sheets import (
    INSTITUTIONS,
    INSTRUCTIONS_SHEET,
    LEVELS,
    PLAN,
    RESULT_KEY,
    Column,
    Level,
    col_letter,
    columns,
)
from .plan_source import PlanSource, json_path
from .safety import Limits, inspect_file

#: Rows and columns read per sheet; a plan is far smaller.
MAX_ROWS = 20_000
MAX_COLS = 200

JsonPath = tuple[str | int, ...]
#: The only "formulas" read: the constants TRUE and FALSE (nothing is evaluated).
BOOLEAN_FORMULA = re.compile(r"=\s*(TRUE|FALSE)\s*(?:\(\s*\))?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Formula:
    """A cell that holds a formula (never evaluated)."""

    text: str


@dataclass
class Grid:
    """The raw cells of a workbook: sheet name -> rows of values (None for empty)."""

    sheets: dict[str, list[list[Any]]] = field(default_factory=dict)
    truncated: list[str] = field(default_factory=list)


def _cell(cell: Any) -> Any:
    value = getattr(cell, "value", None)
    if getattr(cell, "data_type", None) == "f" or (
        value is not None and type(value).__name__ in ("ArrayFormula", "DataTableFormula")
    ):
        text = str(getattr(value, "text", value))
        constant = BOOLEAN_FORMULA.fullmatch(text)
        if constant:  # LibreOffice saves TRUE/FALSE as =TRUE() / =FALSE(): a constant
            return constant.group(1).upper() == "TRUE"
        return Formula(text)
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    if type(value) is int and "." in str(getattr(cell, "number_format", "") or ""):
        return float(value)  # a whole number shown with decimals: 5.0 in the plan
    return value


def read_grid(path: str) -> Grid:
    """Every cell value of the workbook (read-only, formulas kept as formulas)."""
    import warnings

    import openpyxl

    if not openpyxl.DEFUSEDXML:  # XML bombs and external entities must be refused
        raise RuntimeError("openpyxl is not using defusedxml; refusing to parse")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(
            path, read_only=True, data_only=False, keep_links=False, keep_vba=False
        )
    grid = Grid()
    try:
        for ws in wb.worksheets:
            rows: list[list[Any]] = []
            for n, row in enumerate(ws.iter_rows(max_col=MAX_COLS), 1):
                if n > MAX_ROWS:
                    grid.truncated.append(ws.title)
                    break
                rows.append([_cell(c) for c in row])
            grid.sheets[ws.title] = rows
    finally:
        wb.close()
    return grid


def read_grid_bounded(path: Path, bounds: Bounds) -> Grid | Problem:
    """:func:`read_grid` in a child process bounded by ``bounds``; a Problem when refused."""
    import openpyxl  # noqa: F401  (imported once in the parent; the fork inherits it)

    got = run_bounded(read_grid, str(path), bounds)
    if isinstance(got, Grid):
        return got
    why = got if isinstance(got, Refused) else Refused("parse-failed", "no result")
    return Problem(why.code, why.message, Location(file=str(path)))


# --------------------------------------------------------------------------- source


@dataclass
class WorkbookPlanSource(PlanSource):
    """Plan data read from a workbook, with each JSON path's sheet, row and column."""

    cells: dict[JsonPath, Location] = field(default_factory=dict)
    #: Cells whose problem the reader already reported (sheet, row, column letter).
    reported: set[tuple[str | None, int | None, str | None]] = field(default_factory=set)

    def where(self, path: tuple[str | int, ...] | list[str | int]) -> Location:
        p = tuple(path)
        while True:
            loc = self.cells.get(p)
            if loc is not None:
                return Location(
                    file=loc.file,
                    path=json_path(path),
                    sheet=loc.sheet,
                    row=loc.row,
                    column=loc.column,
                    field=loc.field,
                )
            if not p:
                return Location(file=self.path, path=json_path(path))
            p = p[:-1]

    def where_error(self, err: Any) -> Location | None:
        path = list(err.absolute_path)
        if err.validator == "required":
            match = re.match(r"'([^']+)' is a required property", err.message)
            if match:
                path.append(match.group(1))
        loc = self.where(path)
        cell = (loc.sheet, loc.row, loc.column)
        return None if loc.field and cell in self.reported else loc


# --------------------------------------------------------------------------- reading


@dataclass
class _Item:
    row: int
    data: dict[str, Any]
    parent: Any
    key: Any
    cells: dict[tuple[str | int, ...], Location]


class _Reader:
    def __init__(self, name: str, grid: Grid, report: Report) -> None:
        self.name = name
        self.grid = grid
        self.report = report
        self.reported: set[tuple[str | None, int | None, str | None]] = set()

    def loc(
        self, sheet: str, row: int, col: int | None = None, header: str | None = None
    ) -> Location:
        return Location(
            file=self.name,
            sheet=sheet,
            row=row,
            column=col_letter(col) if col is not None else None,
            field=header,
        )

    def problem(self, code: str, message: str, loc: Location) -> None:
        self.report.problems.append(Problem(code, message, loc))
        self.reported.add((loc.sheet, loc.row, loc.column))

    def header(self, level: Level, rows: list[list[Any]]) -> list[tuple[int, Column]]:
        """Match row 1 against the level's columns; report unknown and missing ones."""
        heads = [h if isinstance(h, str) else None for h in (rows[0] if rows else [])]
        slots: dict[str, int] = {}
        for h in heads:
            m = re.fullmatch(r"(.+)\.(\d{1,3})", (h or "").strip())
            if m:
                slots[m.group(1)] = max(slots.get(m.group(1), 0), int(m.group(2)))
        cols = columns(level, tuple(sorted(slots.items())))
        by_header = {c.header: c for c in cols}
        out: list[tuple[int, Column]] = []
        seen: set[str] = set()
        raw_row = rows[0] if rows else []
        for i, raw in enumerate(raw_row):
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            text = str(raw).strip()
            col = by_header.get(text)
            if col is None or text in seen:
                known = ", ".join(c.header for c in cols if c.slot in (None, 0))
                why = "appears twice" if col else f"is not a field of this sheet ({known})"
                self.problem(
                    "plan-column-unknown",
                    f"column {text!r} {why}; its cells were not read",
                    self.loc(level.sheet, 1, i, text),
                )
                continue
            seen.add(text)
            out.append((i, col))
        for col in cols:
            if col.required and col.header not in seen:
                self.problem(
                    "plan-column-missing",
                    f"sheet {level.sheet} has no column {col.header!r}",
                    Location(file=self.name, sheet=level.sheet, row=1),
                )
        return out

    def convert(self, value: Any, col: Column, loc: Location) -> Any:
        """A cell's value as plan data; None when empty or refused (then reported)."""
        if value is None or (isinstance(value, str) and value == ""):
            return None
        if isinstance(value, Formula):
            self.problem(
                "formula-in-cell",
                f"the cell holds the formula {value.text[:60]!r}; it was not read",
                loc,
            )
            return None
        kind = col.kind
        if isinstance(value, dt.datetime | dt.date):
            day = value.date() if isinstance(value, dt.datetime) else value
            exact = not isinstance(value, dt.datetime) or value.time() == dt.time()
            if kind == "date" and exact:
                return day.isoformat()
            ask = "type the date as text, YYYY-MM-DD" if kind == "date" else f"it asks for {kind}"
            self.problem(
                "plan-cell-invalid",
                f"the spreadsheet turned this cell into the date {value.isoformat()}; {ask}",
                loc,
            )
            return None
        if kind in ("text", "choice", "parent", "key", "date"):
            if isinstance(value, bool):
                return value  # the schema reports it
            if isinstance(value, int) or (isinstance(value, float) and kind == "date"):
                if isinstance(value, float) and not value.is_integer():
                    return value
                return int(value) if kind == "date" else str(int(value))
            if isinstance(value, float):
                self.problem(
                    "plan-cell-invalid",
                    f"the number {value!r} where text is expected (it may have lost digits or"
                    " zeros); format the cell as text and type it again",
                    loc,
                )
                return None
            return value.strip() if kind != "text" else value
        if kind == "int":
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, str) and value.strip().isdigit():
                return int(value.strip())
            return value
        if kind == "bool":
            if isinstance(value, str) and value.strip().lower() in ("true", "false"):
                return value.strip().lower() == "true"
            return value
        return value

    def items(self, level: Level) -> list[_Item]:
        rows = self.grid.sheets.get(level.sheet) or []
        if level.sheet in self.grid.truncated:
            self.problem(
                "plan-rows-ignored",
                f"sheet {level.sheet} has more than {MAX_ROWS} rows; the rest were not read",
                Location(file=self.name, sheet=level.sheet, row=MAX_ROWS + 1),
            )
        cols = self.header(level, rows)
        out: list[_Item] = []
        for r, row in enumerate(rows[1:], 2):
            cells = {c: row[i] if i < len(row) else None for i, c in cols}
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells.values()):
                continue
            if level is PLAN and out:
                self.problem(
                    "plan-rows-ignored",
                    "the Plan sheet holds one plan, in row 2; this row was not read",
                    self.loc(level.sheet, r),
                )
                continue
            out.append(self.item(level, r, cols, row))
        return out

    def item(self, level: Level, r: int, cols: list[tuple[int, Column]], row: list[Any]) -> _Item:
        data: dict[str, Any] = {}
        where: dict[tuple[str | int, ...], Location] = {}
        lists: dict[tuple[str, ...], list[tuple[Any, Location]]] = {}
        singles: set[tuple[str, ...]] = set()
        parent = key = None
        first_loc: Location | None = None
        for i, col in cols:
            loc = self.loc(level.sheet, r, i, col.header)
            first_loc = first_loc or loc
            value = self.convert(row[i] if i < len(row) else None, col, loc)
            if col.kind == "parent":
                parent, where[("<parent>",)] = value, loc
                continue
            if col.kind == "key":
                key, where[("<key>",)] = value, loc
                continue
            if col.slot is not None:
                lists.setdefault(col.path, [])
                if col.single_if_one:
                    singles.add(col.path)
                if col.slot == 0:
                    where.setdefault(col.path, loc)
                if value is not None:
                    lists[col.path].append((value, loc))
                continue
            if len(col.path) > 1:
                where.setdefault(col.path[:-1], loc)
            where[col.path] = loc
            if value is not None:
                node = data
                for part in col.path[:-1]:
                    node = node.setdefault(part, {})
                node[col.path[-1]] = value
        for path, values in lists.items():
            if not values:
                continue
            node = data
            for part in path[:-1]:
                node = node.setdefault(part, {})
            if path in singles and len(values) == 1:
                node[path[-1]] = values[0][0]
                where[path] = values[0][1]
            else:
                node[path[-1]] = [v for v, _ in values]
                for n, (_, loc) in enumerate(values):
                    where[(*path, n)] = loc
        if level.key and level.key != RESULT_KEY:
            key = data.get(level.key)
        key_loc = where.get((level.key,)) if level.key else None
        where[()] = key_loc or first_loc or self.loc(level.sheet, r)
        return _Item(r, data, parent, key, where)


def assemble(name: str, grid: Grid, report: Report) -> WorkbookPlanSource | None:
    """Build plan data from the grid; None when the workbook is not a plan workbook."""
    missing = [lv.sheet for lv in LEVELS if lv.sheet not in grid.sheets]
    if missing:
        present = ", ".join(grid.sheets) or "none"
        what = (
            "this is not a plan workbook"
            if len(missing) == len(LEVELS)
            else f"sheet(s) {', '.join(missing)} missing"
        )
        report.add(
            "not-a-plan-workbook",
            f"{what} (its sheets: {present}); nothing was read",
            Location(file=name),
        )
        return None
    known = {lv.sheet for lv in LEVELS} | {INSTRUCTIONS_SHEET}
    for extra in [s for s in grid.sheets if s not in known]:
        report.add(
            "plan-sheet-unexpected",
            f"sheet {extra!r} is not part of a plan workbook; it was not read",
            Location(file=name, sheet=extra),
        )
    reader = _Reader(name, grid, report)
    by_level = {lv.sheet: reader.items(lv) for lv in LEVELS}
    cells: dict[JsonPath, Location] = {}

    def place(item: _Item, path: JsonPath) -> None:
        for sub, loc in item.cells.items():
            if sub and isinstance(sub[0], str) and sub[0].startswith("<"):
                continue
            cells[(*path, *sub)] = loc

    plan_items = by_level[PLAN.sheet]
    data: dict[str, Any] = dict(plan_items[0].data) if plan_items else {}
    if plan_items:
        place(plan_items[0], ())
    else:
        cells[()] = Location(file=name, sheet=PLAN.sheet, row=2)
    data["institutions"] = []
    cells[("institutions",)] = Location(file=name, sheet=INSTITUTIONS.sheet, row=1)
    for n, item in enumerate(by_level[INSTITUTIONS.sheet]):
        data["institutions"].append(item.data)
        place(item, ("institutions", n))
    data["strategic_objectives"] = []
    parents: dict[Any, tuple[dict[str, Any], JsonPath]] = {(): (data, ())}
    unread: set[Any] = set()
    for level in LEVELS[2:]:
        if level.parent is PLAN and level.children:
            cells[(level.children,)] = Location(file=name, sheet=level.sheet, row=1)
        found: dict[Any, tuple[dict[str, Any], JsonPath]] = {}
        top = level.parent is PLAN
        dropped: set[Any] = set()
        for item in by_level[level.sheet]:
            if top:
                owner: tuple[dict[str, Any], JsonPath] | None = parents[()]
            else:
                owner = parents.get(item.parent) if item.parent is not None else None
                if owner is None and item.parent in unread:
                    dropped.add(item.key)  # its parent's row is reported, not read
                    continue
                if owner is None:
                    dropped.add(item.key)
                    assert level.parent is not None
                    ploc = item.cells.get(("<parent>",)) or item.cells[()]
                    said = (
                        f"names {level.parent_column} {item.parent!r}, which is not in sheet"
                        f" {level.parent.sheet}"
                        if item.parent is not None
                        else f"names no {level.parent_column}"
                    )
                    report.add(
                        "plan-parent-unknown",
                        f"this row {said}; it and the rows under it were not read",
                        ploc,
                    )
                    continue
            assert owner is not None
            node, ppath = owner
            siblings = node.setdefault(level.children or "", [])
            path: JsonPath = (*ppath, level.children or "", len(siblings))
            if level.definition == "strategic_objective":
                item.data.setdefault("specific_objectives", [])
            siblings.append(item.data)
            place(item, path)
            if level.key == RESULT_KEY and item.key is not None and item.key in found:
                report.add(
                    "duplicate-code",
                    f"expected result key {item.key!r} is used twice (first in row"
                    f" {_row_of(cells, found[item.key][1])})",
                    item.cells.get(("<key>",)) or item.cells[()],
                )
            elif item.key is not None and item.key not in found:
                found[item.key] = (item.data, path)
        parents = found
        unread = {k for k in dropped if k is not None and k not in found}
    return WorkbookPlanSource(name, data, {}, cells, reader.reported)


def _row_of(cells: dict[JsonPath, Location], path: JsonPath) -> int | None:
    loc = cells.get(path)
    return loc.row if loc else None


def read_plan_workbook(
    path: str | Path,
    report: Report,
    limits: Limits | None = None,
    bounds: Bounds | None = None,
) -> WorkbookPlanSource | None:
    """Read a plan workbook through the gate and a bounded child; problems go into ``report``."""
    p = Path(path)
    name = str(path)
    if not p.exists():
        report.add("file-not-found", f"no such file: {name}", Location(file=name))
        return None
    refusal = inspect_file(p, limits or Limits())
    if refusal is not None:
        report.problems.append(refusal)
        return None
    got = read_grid_bounded(p, bounds or Bounds())
    if isinstance(got, Problem):
        report.problems.append(got)
        return None
    return assemble(name, got, report)
