"""Write a plan as a workbook (or an empty template) that a working group can fill in.

The sheets and columns come from :mod:`plan_sheets`; this module only puts them on
paper: headers with the framework's advice as comments, dropdowns for every coded
field, input messages, an instructions sheet. Every text is written as text, never as
a formula.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .bounded import Bounds
from .errors import GenerationError, Location, Report, UsageError, fail
from .locales import SUPPORTED
from .plan import Plan, check_plan_data, plan_from_dict, plan_to_dict
from .plan_import import read_plan_workbook
from .plan_sheets import (
    INDICATORS,
    INSTITUTIONS,
    INSTRUCTIONS_SHEET,
    LEVELS,
    PLAN,
    RESULT_KEY,
    RESULTS,
    Column,
    Level,
    col_letter,
    columns,
    list_slots,
)
from .printing import print_setup
from .quality import quality_checks
from .safety import Limits

#: Document property that marks a plan workbook (and the layout it follows).
MARK = "mne_plan_workbook"
PLAN_LAYOUT_VERSION = "1"
#: Number format of a whole number written with a decimal point in the plan (5.0).
DECIMAL_FORMAT = "0.0###"
#: Characters of column width an A3 landscape page holds at a readable scale.
A3_WIDTH = 260
#: Points per line of 11 pt text.
LINE_HEIGHT = 15
#: Rows that carry dropdowns and input messages below the last item.
SPARE_ROWS = 300

#: The framework's quality check whose advice each column's header carries.
HINTS: dict[tuple[str, str], str] = {
    (INDICATORS.sheet, "target.value"): "indicator-no-target",
    (INDICATORS.sheet, "baseline.value"): "indicator-no-baseline",
    (INDICATORS.sheet, "text"): "indicator-not-measurable",
    (INDICATORS.sheet, "frequency"): "frequency-unassigned",
    (INDICATORS.sheet, "responsible_person"): "responsible-unassigned",
    ("Activities", "carriers.1"): "activity-no-carrier",
    ("Activities", "title"): "one-time-activity-multi-year",
    ("Activities", "inputs"): "activity-no-inputs",
    (RESULTS.sheet, "level"): "objective-no-outcome",
}


@cache
def texts(lang: str) -> dict[str, Any]:
    """The plan workbook's texts in ``lang`` (``locales/plan_<lang>.yaml``)."""
    if lang not in SUPPORTED:
        raise KeyError(lang)
    raw = resources.files("mne_workbook.locales").joinpath(f"plan_{lang}.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(raw)
    return data


@dataclass(frozen=True)
class Row:
    """One item of a level, flattened: its parent's key and its own data."""

    parent: str | None
    key: str | None
    data: dict[str, Any]


def level_rows(data: dict[str, Any]) -> dict[str, list[Row]]:
    """Every level's rows, in plan order, from plan data in the schema's shape."""
    out: dict[str, list[Row]] = {lv.sheet: [] for lv in LEVELS}
    out[PLAN.sheet].append(Row(None, None, data))
    for inst in data.get("institutions") or ():
        out[INSTITUTIONS.sheet].append(Row(None, None, inst))

    def walk(level: Level, items: list[dict[str, Any]], parent: str | None) -> None:
        child = next((lv for lv in LEVELS if lv.parent is level), None)
        for n, item in enumerate(items, 1):
            key = f"{parent}-R{n}" if level.key == RESULT_KEY else item.get(level.key or "")
            out[level.sheet].append(Row(parent, key, item))
            if child is not None and child.children:
                walk(child, item.get(child.children) or [], key)

    strategic = next(lv for lv in LEVELS if lv.definition == "strategic_objective")
    walk(strategic, data.get("strategic_objectives") or [], None)
    return out


def cell_value(col: Column, row: Row) -> Any:
    """What ``col`` shows for ``row`` (None for an empty cell)."""
    if col.kind == "parent":
        return row.parent
    if col.kind == "key":
        return row.key
    value: Any = row.data
    for part in col.path:
        value = value.get(part) if isinstance(value, dict) else None
    if col.slot is not None:
        if isinstance(value, list):
            return value[col.slot] if col.slot < len(value) else None
        return value if col.slot == 0 else None
    return value


def line_count(text: str, width: float) -> int:
    """Lines ``text`` takes in a wrapped column ``width`` characters wide (erring high)."""
    per_line = max(1, int(width))
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


def _input_message(col: Column, t: dict[str, Any]) -> str:
    kinds = t["kinds"]
    if col.ref == INSTITUTIONS.sheet:
        text = str(kinds["carriers"])
    elif col.kind == "parent":
        text = f"{kinds['parent']} {col.ref}."
    elif col.kind == "choice":
        labels = t["labels"].get(col.field, {})
        shown = [f"{c} ({labels[c]})" if c in labels else c for c in col.choices]
        text = f"{kinds['choice']} {', '.join(shown)}."
    else:
        text = kinds.get(col.kind, kinds["text"])
    if col.required:
        text = f"{t['required']} {text}"
    return str(text)[:255]


class _Writer:
    def __init__(self, wb: Any, lang: str, slots: tuple[tuple[str, int], ...]) -> None:
        self.wb = wb
        self.t = texts(lang)
        self.slots = slots
        self.head = wb.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
        )
        self.req = wb.add_format(
            {"bold": True, "bg_color": "#FCE4D6", "border": 1, "text_wrap": True, "valign": "top"}
        )
        self.text = wb.add_format({"num_format": "@", "text_wrap": True, "valign": "top"})
        self.plain = wb.add_format({"valign": "top"})
        #: 5.0 is not 5 in a plan's fingerprint: a decimal format says which one it was.
        self.decimal = wb.add_format({"valign": "top", "num_format": DECIMAL_FORMAT})
        self.cols = {lv.sheet: columns(lv, slots) for lv in LEVELS}

    def key_range(self, sheet: str, last: int) -> str:
        level = next(lv for lv in LEVELS if lv.sheet == sheet)
        cols = self.cols[sheet]
        index = next(i for i, c in enumerate(cols) if c.header == level.key)
        letter = col_letter(index)
        return f"='{sheet}'!${letter}$2:${letter}${last}"

    def sheet(self, level: Level, rows: list[Row], last: int) -> None:
        ws = self.wb.add_worksheet(level.sheet)
        cols = self.cols[level.sheet]
        ws.freeze_panes(1, 0)
        ws.set_row(0, 32)
        widths = []
        for c, col in enumerate(cols):
            wide = col.kind in ("text", "value") and col.slot is None
            as_text = col.kind in ("text", "date", "choice", "parent", "key")
            widths.append(max(36 if wide else 12, len(col.header) + 2))
            ws.set_column(c, c, widths[-1], self.text if as_text else None)
            ws.write_string(0, c, col.header, self.req if col.required else self.head)
            code = HINTS.get((level.sheet, col.header))
            note = [self.t["hints"][code]] if code else []
            if col.description:
                note.append(col.description)
            if note:
                ws.write_comment(0, c, "\n".join(note), {"x_scale": 2, "y_scale": 1.5})
            self.validate(ws, c, col, last)
        # as many pages wide as keep it readable on A3
        print_setup(ws, None, pages_wide=-(-sum(widths) // A3_WIDTH), repeat=(0, 0))
        for r, row in enumerate(rows, 1):
            lines = 1
            for c, col in enumerate(cols):
                value = cell_value(col, row)
                self.cell(ws, r, c, col, value)
                if isinstance(value, str):
                    lines = max(lines, line_count(value, widths[c]))
            if lines > 1:  # spreadsheets do not grow rows on their own: no overprint
                ws.set_row(r, LINE_HEIGHT * lines + 3)

    def cell(self, ws: Any, r: int, c: int, col: Column, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool):
            ws.write_boolean(r, c, value, self.plain)
        elif isinstance(value, int | float):
            if float(f"{value:.15g}") != value:  # a spreadsheet keeps 15 significant digits
                raise fail(
                    GenerationError,
                    "generation-limit",
                    f"{col.header} {value!r} has more than 15 significant digits, which a"
                    " spreadsheet does not keep; round it in the plan file",
                    Location(sheet=ws.name, row=r + 1, column=col_letter(c), field=col.header),
                )
            whole_float = isinstance(value, float) and value.is_integer()
            ws.write_number(r, c, value, self.decimal if whole_float else self.plain)
        else:
            ws.write_string(r, c, str(value), self.text)

    def validate(self, ws: Any, c: int, col: Column, last: int) -> None:
        t = self.t
        opts: dict[str, Any] = {
            "input_title": col.header[:32],
            "input_message": _input_message(col, t),
            "ignore_blank": True,
        }
        if col.ref:
            opts |= {"validate": "list", "source": self.key_range(col.ref, last)}
        elif col.kind == "choice":
            opts |= {"validate": "list", "source": list(col.choices)}
        elif col.kind == "bool":
            opts |= {"validate": "list", "source": ["TRUE", "FALSE"]}
        else:
            opts["validate"] = "any"
        if opts["validate"] == "list":
            opts |= {"error_title": t["error_title"][:32], "error_message": t["error_list"]}
        ws.data_validation(1, c, last - 1, c, opts)

    def instructions(self) -> None:
        t = self.t
        ws = self.wb.add_worksheet(INSTRUCTIONS_SHEET)
        print_setup(ws, None, paper=None)
        ws.set_column(0, 0, 24)
        ws.set_column(1, 1, 100, self.wb.add_format({"text_wrap": True, "valign": "top"}))
        title = self.wb.add_format({"bold": True, "font_size": 14})
        ws.write_string(0, 0, t["instructions_title"], title)
        r = 2
        for n, line in enumerate(t["instructions"], 1):
            ws.write_string(r, 0, f"{n}.", self.plain)
            ws.write_string(r, 1, line)
            ws.set_row(r, LINE_HEIGHT * line_count(line, 100) + 3)
            r += 1
        r += 1
        ws.write_string(r, 0, t["sheets_title"], title)
        r += 1
        ws.set_row(r, 20)
        ws.write_string(r, 0, t["sheet_column"], self.head)
        ws.write_string(r, 1, t["holds_column"], self.head)
        for lv in LEVELS:
            r += 1
            ws.write_string(r, 0, lv.sheet, self.plain)
            ws.write_string(r, 1, t["holds"][lv.sheet])
            ws.set_row(r, LINE_HEIGHT * line_count(t["holds"][lv.sheet], 100) + 3)
        ws.activate()


def _template_data() -> dict[str, Any]:
    """The Plan sheet's starting row: the schema's defaults, nothing else."""
    return {"languages": ["en"], "reporting": {"cycle": "quarterly", "grace_days": 15}}


def write_plan_workbook(
    plan: Plan | None, path: str | Path, *, lang: str = "en", overwrite: bool = False
) -> Path:
    """Write ``plan`` (or, for None, an empty template) as a plan workbook at ``path``."""
    from .atomic import atomic_write
    from .shared_strings import Workbook as TextWorkbook

    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise fail(
            UsageError,
            "usage-error",
            f"{target.name}: a plan workbook is an .xlsx file",
            Location(file=str(target)),
        )
    if target.exists() and not overwrite:
        raise fail(
            UsageError, "output-exists", f"{target} already exists", Location(file=str(target))
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    data = plan_to_dict(plan) if plan is not None else _template_data()
    rows = level_rows(data)
    last = max(len(r) for r in rows.values()) + SPARE_ROWS

    def write(tmp: Path) -> None:
        wb = TextWorkbook(  # texts never written as markup (shared_strings)
            str(tmp),
            {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
        )
        try:
            wb.set_custom_property(MARK, PLAN_LAYOUT_VERSION)
            wb.set_properties({"title": plan.title if plan else "M&E plan", "comments": MARK})
            w = _Writer(wb, lang, list_slots(data))
            w.instructions()
            for lv in LEVELS:
                w.sheet(lv, rows[lv.sheet], last)
        finally:
            wb.close()

    atomic_write(target, write)
    return target


def iter_columns(slots: tuple[tuple[str, int], ...] = ()) -> Iterator[tuple[Level, Column]]:
    for lv in LEVELS:
        for col in columns(lv, slots):
            yield lv, col


def import_plan(
    path: str | Path, limits: Limits | None = None, bounds: Bounds | None = None
) -> tuple[Report, Plan | None]:
    """Read a plan workbook and check it as `validate` does: the report, and the plan if valid."""
    report = Report(source=str(path))
    src = read_plan_workbook(path, report, limits, bounds)
    if src is None:
        return report, None
    check_plan_data(src, report)
    if not report.valid:
        return report, None
    plan = plan_from_dict(src.data)
    report.extend(quality_checks(plan, src))
    return report, plan
