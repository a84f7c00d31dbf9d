"""Write one reporting workbook (xlsxwriter): cover, one sheet per strategic objective,
hidden lists and identity; locked plan cells, validated inputs, print-ready pages."""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from .errors import GenerationError, fail
from .identity import PREFIX, Identity
from .layout import (
    BAND_ROW,
    FIELD_ROW,
    FIRST_DATA_ROW,
    HEADER_ROW,
    SHEET_IDENTITY,
    SHEET_LISTS,
    SUBBAND_ROW,
    Column,
    Kind,
    MatrixRow,
    Owner,
    Span,
    columns_for,
    editable,
    plan_cell,
    plan_year,
    rows_for,
    sheet_name,
    span_runs,
    value_due,
)
from .locales import Catalog
from .periods import Period
from .plan import Institution, Plan
from .printing import (
    RETURN,
    a3_scale,
    hf,
    hf_line,
    hide,
    page_room,
    plan_breaks,
    print_setup,
)
from .textmetrics import MAX_ROW_PT, PAD_Y, cell_height, line_height, row_height, split_to_fit
from .values import TEXT_LIMIT  # characters accepted in free-text inputs
from .vocab import Measure
from .workbook_protection import ProtectedWorkbook

#: Named ranges on the hidden lists sheet that the dropdowns draw from.
LIST_NAMES = {
    "status": "mne_status",
    "frequency": "mne_frequency",
    "rating": "mne_rating",
    "yes_no": "mne_yes_no",
}

COLOURS = {
    "band": "#1F3864",
    "subband": "#D9E1F2",
    "header": "#D9D9D9",
    "input": "#FFF2CC",
    "na": "#BFBFBF",
    "shade": "#F2F6FC",
    "empty": "#FCE4D6",
    "green": "#C6EFCE",
    "amber": "#FFEB9C",
    "red": "#FFC7CE",
}


#: Cells are written by type (see ``_write``): a string is never turned into a formula,
#: link or number. The parts are assembled in memory, not in temporary files (the
#: largest, a 10,000-indicator master's sheets, are a few MB; about 40 % less time).
WORKBOOK_OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "in_memory": True,
}


def new_workbook(path: Path, password: str | None) -> Workbook:
    """The xlsxwriter workbook every generated file is written with (structure locked)."""
    wb = ProtectedWorkbook(str(path), WORKBOOK_OPTIONS, password)
    wb.worksheet_class = _Worksheet
    return wb


#: Formulas as xlsxwriter prepared them, by (formula, its two flags): see _Worksheet.
_PREPARED: dict[tuple[str, bool, bool], str] = {}


class _Worksheet(Worksheet):  # type: ignore[misc]  # xlsxwriter is untyped
    """xlsxwriter's worksheet, remembering how each formula was prepared.

    Before writing a conditional format's formula, xlsxwriter runs about 150 regular
    expressions over it (prefixing newer Excel functions). A 10,000-indicator round
    writes 6,474 such formulas, 144 of them distinct: remembering the result (a pure
    function of the formula and two flags) saves a tenth of the generation time. The
    formulas are our own (never a received text); the memo is bounded.
    """

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        key = (formula, expand_future_functions, self.use_future_functions)
        got = _PREPARED.get(key)
        if got is None:
            got = super()._prepare_formula(formula, expand_future_functions)
            if len(_PREPARED) >= 4096:
                _PREPARED.clear()
            _PREPARED[key] = got
        return got


@dataclass
class SheetStats:
    """What was written, for the manifest and for tests."""

    activities: set[str] = field(default_factory=set)
    indicators: set[str] = field(default_factory=set)
    sheets: list[str] = field(default_factory=list)


#: The smallest font size printed on paper (A3), and the SO sheets' usual size.
MIN_PRINTED_PT = 7.0
BODY_PT = 10.0


def body_size(scale: int) -> float:
    """The SO sheets' font size: 10 pt, or more when their many columns print small."""
    return max(BODY_PT, math.ceil(2 * MIN_PRINTED_PT * 100 / scale) / 2)


COVER_PT = 11  # the cover's (Calibri's default size)
#: The room kept in a comment input: a comment of this many characters shows in full
#: (ministries write 90-250; the input accepts up to TEXT_LIMIT and scrolls beyond).
COMMENT_ROOM = 320
#: Text of average letter widths, to size the room of an empty input.
_SAMPLE = "Implementation of the activity continued as planned with partners; "
_ROOM = (_SAMPLE * (COMMENT_ROOM // len(_SAMPLE) + 1))[:COMMENT_ROOM]


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


class _Formats:
    def with_year(self, fmt: Any, year: int, text: bool) -> Any:
        """``fmt`` showing "(year)" after the value; the value itself is unchanged.

        Cheaper than a cell comment per baseline and target, and it prints.
        """
        key = (id(fmt), year, text)
        if key not in self._years:
            number = f'@" ({year})"' if text else f'General" ({year})"'
            self._years[key] = self.wb.add_format({**self._props[id(fmt)], "num_format": number})
        return self._years[key]

    def __init__(self, wb: Workbook, body_pt: float = 10.0) -> None:
        self.body_pt = body_pt
        base: dict[str, Any] = {
            "text_wrap": True,
            "valign": "top",
            "border": 1,
            "border_color": "#A6A6A6",
            "font_size": body_pt,
        }
        self.wb = wb
        props = [
            base,
            {**base, "bg_color": COLOURS["shade"]},
            {**base, "locked": False, "bg_color": COLOURS["input"]},
        ]
        self.locked = [wb.add_format(props[0]), wb.add_format(props[1])]
        self.input = wb.add_format(props[2])
        self._props = {id(f): p for f, p in zip([*self.locked, self.input], props, strict=True)}
        self._years: dict[tuple[int, int, bool], Any] = {}
        self.na = wb.add_format({**base, "bg_color": COLOURS["na"]})
        self.key = wb.add_format({"font_size": 8, "font_color": "#808080"})
        self.band = wb.add_format(
            {
                "bold": True,
                "font_size": 12,
                "font_color": "white",
                "bg_color": COLOURS["band"],
                "text_wrap": True,
                "valign": "vcenter",
            }
        )
        self.subband = wb.add_format(
            {"font_size": 10, "bg_color": COLOURS["subband"], "valign": "vcenter"}
        )
        self.header = wb.add_format(
            {
                "bold": True,
                "text_wrap": True,
                "valign": "vcenter",
                "align": "center",
                "border": 1,
                "font_size": body_pt,
                "bg_color": COLOURS["header"],
            }
        )
        self.title = wb.add_format({"bold": True, "font_size": 16, "font_color": COLOURS["band"]})
        self.label = wb.add_format({"bold": True, "valign": "top", "text_wrap": True})
        self.text = wb.add_format({"valign": "top", "text_wrap": True})
        self.heading = wb.add_format({"bold": True, "font_size": 12, "font_color": COLOURS["band"]})
        self.cover_swatch = {
            "empty": wb.add_format({**base, "font_size": 11, "bg_color": COLOURS["empty"]}),
            "input": wb.add_format({**base, "font_size": 11, "bg_color": COLOURS["input"]}),
            "na": wb.add_format({**base, "font_size": 11, "bg_color": COLOURS["na"]}),
            "plan": wb.add_format({**base, "font_size": 11}),
            "ratings": wb.add_format({**base, "font_size": 11, "bg_color": COLOURS["green"]}),
        }
        self.cf = {
            k: wb.add_format({"bg_color": COLOURS[k]}) for k in ("green", "amber", "red", "empty")
        }


class _Guard:
    """Turn every xlsxwriter warning, or refused call, into a GenerationError.

    xlsxwriter only warns, and drops the rule, when a validation breaks a format limit.
    """

    def __init__(self, where: str) -> None:
        self.where = where

    def check(self, result: int | None, what: str) -> None:
        if result not in (None, 0):
            raise fail(GenerationError, "generation-limit", f"{self.where}: {what} was refused")

    def __enter__(self) -> _Guard:
        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("error")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._ctx.__exit__(exc_type, exc, tb)
        if exc_type is not None and issubclass(exc_type, Warning):
            raise fail(GenerationError, "generation-limit", f"{self.where}: {exc}") from exc


def write_workbook(
    plan: Plan,
    period: Period,
    path: Path,
    identity: Identity,
    cat: Catalog,
    institution: Institution | None,
    password: str | None = None,
    columns: tuple[Column, ...] | None = None,
) -> SheetStats:
    """Write one workbook to ``path`` (not atomically: the caller renames)."""
    stats = SheetStats()
    master = institution is None
    wb = new_workbook(path, password)
    try:
        with _Guard(str(path.name)) as guard:
            columns = columns or columns_for(plan, period)
            scale = a3_scale([c.width for c in columns if not c.hidden], margins=RETURN)
            fmt = _Formats(wb, body_size(scale))
            _properties(wb, plan, identity, cat, institution)
            cover = wb.add_worksheet(_short(cat.text("cover_sheet"), 31))
            so_written = []
            for so in plan.strategic_objectives:
                rows = rows_for(so, institution.id if institution else None)
                if not rows and not master:
                    continue
                ws = wb.add_worksheet(sheet_name(so))
                _so_sheet(
                    ws,
                    fmt,
                    guard,
                    plan,
                    period,
                    so.code,
                    so.title,
                    rows,
                    columns,
                    cat,
                    institution,
                    master,
                    identity,
                    password,
                )
                so_written.append(so)
                stats.sheets.append(ws.get_name())
                for r in rows:
                    stats.activities.add(r.activity.code)
                    if r.indicator:
                        stats.indicators.add(r.indicator.id)
            _cover(cover, fmt, plan, period, cat, institution, identity, so_written, password)
            _lists_sheet(wb, cat, guard, password)
            _identity_sheet(wb, identity, guard, password)
            cover.activate()
    finally:
        wb.close()
        _release(wb)
    return stats


def _release(wb: Workbook) -> None:
    """Break the reference cycle xlsxwriter leaves in a closed workbook, so that it is
    freed at once, by reference counting.

    Each worksheet keeps its workbook's bound ``add_format``: workbook -> worksheets ->
    workbook. Left to the cyclic collector, every closed workbook (the master of a
    10,000-indicator plan holds 800,000 objects) waits for full collections, which walk
    it (and the loaded plan) again and again: a quarter of the generation time. Only
    attributes of a closed workbook are dropped; nothing is written after ``close``.
    """
    for ws in wb.worksheets():
        vars(ws).pop("workbook_add_format", None)


def _properties(
    wb: Workbook, plan: Plan, identity: Identity, cat: Catalog, institution: Institution | None
) -> None:
    who = institution.name if institution else cat.text("master_institution")
    wb.set_properties(
        {
            "title": f"{plan.title} - {identity.period}",
            "subject": who,
            "author": "mne-workbook",
            "company": plan.id,
            "comments": f"{cat.text('cover_title')}: {who}, {identity.period}",
        }
    )
    for key, value in identity.pairs():
        wb.set_custom_property(PREFIX + key, value, "text")
    wb.define_name(PREFIX + "identity", f'="{identity.compact()}"')


def _protect(ws: Worksheet, password: str | None) -> None:
    ws.protect(
        password or "",
        {
            "format_columns": True,
            "format_rows": True,
            "autofilter": True,
            "select_locked_cells": True,
            "select_unlocked_cells": True,
        },
    )


def _write(ws: Worksheet, row: int, col: int, value: object, cell_format: Any) -> None:
    """Write a value by its Python type; a string is always a string, never a formula."""
    if value is None or value == "":
        ws.write_blank(row, col, None, cell_format)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        ws.write_number(row, col, value, cell_format)
    else:
        ws.write_string(row, col, str(value), cell_format)


def _so_sheet(
    ws: Worksheet,
    fmt: _Formats,
    guard: _Guard,
    plan: Plan,
    period: Period,
    so_code: str,
    so_title: str,
    rows: list[MatrixRow],
    columns: tuple[Column, ...],
    cat: Catalog,
    institution: Institution | None,
    master: bool,
    identity: Identity,
    password: str | None,
) -> None:
    first_vis = next(i for i, c in enumerate(columns) if not c.hidden)
    last_col = len(columns) - 1
    last_row = FIRST_DATA_ROW + max(len(rows), 1) - 1

    for i, c in enumerate(columns):
        ws.set_column(i, i, c.width, None, {"hidden": c.hidden})

    # bands, field ids, headers
    ws.set_row(BAND_ROW, 36)
    ws.merge_range(BAND_ROW, first_vis, BAND_ROW, last_col, "", fmt.band)
    ws.write_string(BAND_ROW, first_vis, f"{so_code}  {so_title}", fmt.band)
    who = institution.name if institution else cat.text("master_institution")
    due = period.due_date(plan.reporting.grace_days).isoformat()
    ws.merge_range(SUBBAND_ROW, first_vis, SUBBAND_ROW, last_col, "", fmt.subband)
    ws.write_string(
        SUBBAND_ROW,
        first_vis,
        f"{who} | {cat.text('band_period', period=period.label, due=due)}",
        fmt.subband,
    )
    ws.set_row(FIELD_ROW, None, None, {"hidden": True})
    labels = []
    for i, c in enumerate(columns):
        ws.write_string(FIELD_ROW, i, c.field, fmt.key)
        label = cat.text(c.label_key)
        if c.point is not None:
            label = f"{label}\n{c.point.label}"
        ws.write_string(HEADER_ROW, i, label, fmt.header)
        if not c.hidden:
            labels.append((label, c.width))
    header_h = row_height(labels, fmt.body_pt, 30.0, bold=True)
    ws.set_row(HEADER_ROW, header_h)

    # data
    runs = span_runs(rows, columns)  # each span's runs once, not once per column
    activity_spans = runs[columns[3].span]  # activity span: banding by activity
    shade_of = {}
    for n, (a, b) in enumerate(activity_spans):
        for k in range(a, b + 1):
            shade_of[k] = n % 2
    one_line = max(15.0, line_height(fmt.body_pt) + PAD_Y)
    height: dict[int, float] = defaultdict(lambda: one_line)
    inputs: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
    value_inputs: dict[tuple[int, Measure], list[tuple[int, int, int, int]]] = defaultdict(list)
    size = fmt.body_pt
    for ci, col in enumerate(columns):
        # what is the same for every cell of the column, decided once
        is_input = editable(col, master=master, period=period)
        kind, width = col.kind, col.width
        is_key, is_value = kind == Kind.KEY, kind == Kind.VALUE
        is_rating = kind in (Kind.RATING_HY, Kind.RATING_Y)
        dated = col.field in ("baseline", "target")  # plan_year is None elsewhere
        any_row_input = is_input and (col.owner == Owner.CARRIER or col.span != Span.ROW)
        room = cell_height(_ROOM, width, size) if kind == Kind.COMMENT and is_input else 0.0
        for a, b in runs[col.span]:
            r = rows[a]
            r1, r2 = FIRST_DATA_ROW + a, FIRST_DATA_ROW + b
            if is_key:
                _write(ws, r1, ci, plan_cell(col, r, cat)[0], fmt.key)
                continue
            if is_value:
                is_due = value_due(r.indicator, col, period)
                cell_fmt = fmt.input if is_due else fmt.na
                if is_due and r.indicator is not None:
                    value_inputs[(ci, r.indicator.measure)].append((r1, ci, r2, ci))
                content: object = ""
                note = None
            else:
                content, note = plan_cell(col, r, cat)
                if not is_input:
                    cell_fmt = fmt.na if is_rating else fmt.locked[shade_of[a]]
                elif any_row_input or r.indicator is not None:
                    cell_fmt = fmt.input
                    inputs[ci].append((r1, ci, r2, ci))
                else:
                    cell_fmt = fmt.locked[shade_of[a]]  # ONATC field of a row with no indicator
            if dated:
                year = plan_year(col, r)
                if year is not None and id(cell_fmt) in fmt._props:
                    cell_fmt = fmt.with_year(cell_fmt, year, isinstance(content, str))
            if r2 > r1:
                ws.merge_range(r1, ci, r2, ci, "", cell_fmt)
            _write(ws, r1, ci, content, cell_fmt)
            need = 0.0
            if content and isinstance(content, str):
                need = cell_height(content, width, size)
            if room > need:
                need = room
            if need:
                per_row = need / (r2 - r1 + 1)
                for rr in range(r1, r2 + 1):
                    if per_row > height[rr]:
                        height[rr] = per_row
            if note:
                ws.write_comment(r1, ci, note, {"x_scale": 1.5})
    for rr, h in height.items():
        ws.set_row(rr, min(MAX_ROW_PT, h))
    # page breaks between activities, so that an activity's merged cells are not
    # split across pages when the activity fits on one
    header_pt = 36.0 + 15.0 + header_h
    heights = [min(MAX_ROW_PT, height[FIRST_DATA_ROW + i]) for i in range(len(rows))]
    scale = a3_scale([c.width for c in columns if not c.hidden], margins=RETURN)  # see body_size
    breaks = plan_breaks(heights, activity_spans, page_room(scale, header_pt, RETURN))
    if breaks:
        ws.set_h_pagebreaks([FIRST_DATA_ROW + b for b in breaks])
    if not rows:
        ws.write_string(FIRST_DATA_ROW, first_vis, "-", fmt.locked[0])

    _validations(ws, guard, columns, inputs, value_inputs, cat)
    _conditional_formats(ws, fmt, columns, inputs, value_inputs, period, last_row)

    # view, print and protection
    ws.freeze_panes(FIRST_DATA_ROW, 0)
    ws.autofilter(HEADER_ROW, first_vis, last_row, last_col)
    said_header, said_footer = print_setup(
        ws,
        (BAND_ROW, first_vis, last_row, last_col),
        scale=scale,
        repeat=(BAND_ROW, HEADER_ROW),
        header=hf_line("&B" + hf(_short(who, 60)), hf(_short(plan.title, 80)), hf(period.label)),
        footer=hf_line(hf(so_code), cat.text("page_of"), hf(identity.period)),
        margins=RETURN,
        centred=True,
    )
    guard.check(said_header, "header")
    guard.check(said_footer, "footer")
    _protect(ws, password)


def _multi(ranges: list[tuple[int, int, int, int]]) -> str:
    out = []
    for r1, c1, r2, c2 in ranges:
        a = xl_rowcol_to_cell(r1, c1)
        out.append(a if (r1, c1) == (r2, c2) else f"{a}:{xl_rowcol_to_cell(r2, c2)}")
    return " ".join(out)


def _validate(
    ws: Worksheet,
    guard: _Guard,
    ranges: list[tuple[int, int, int, int]],
    options: dict[str, Any],
    what: str,
) -> None:
    if not ranges:
        return
    r1, c1, r2, c2 = ranges[0]
    opts = dict(options)
    if len(ranges) > 1:
        opts["multi_range"] = _multi(ranges)
    guard.check(ws.data_validation(r1, c1, r2, c2, opts), what)


def _validations(
    ws: Worksheet,
    guard: _Guard,
    columns: tuple[Column, ...],
    inputs: dict[int, list[tuple[int, int, int, int]]],
    value_inputs: dict[tuple[int, Measure], list[tuple[int, int, int, int]]],
    cat: Catalog,
) -> None:
    h = "help."
    stop: dict[str, Any] = {"error_type": "stop", "error_title": cat.text(h + "error_title")}

    def lst(name: str, title: str, msg: str) -> dict[str, Any]:
        return {
            "validate": "list",
            "source": f"={LIST_NAMES[name]}",
            "input_title": cat.text(h + title),
            "input_message": cat.text(h + msg),
            **stop,
            "error_message": cat.text(h + "error_list"),
        }

    def length(title: str, msg: str) -> dict[str, Any]:
        return {
            "validate": "length",
            "criteria": "<=",
            "value": TEXT_LIMIT,
            "input_title": cat.text(h + title),
            "input_message": cat.text(h + msg),
            **stop,
            "error_message": cat.text(h + "error_text"),
        }

    for ci, ranges in inputs.items():
        kind = columns[ci].kind
        opts: dict[str, Any]
        if kind == Kind.STATUS:
            opts = lst("status", "status_title", "status")
        elif kind in (Kind.RATING_HY, Kind.RATING_Y):
            opts = lst("rating", "rating_title", "rating")
        elif kind == Kind.FREQUENCY:
            opts = lst("frequency", "frequency_title", "frequency")
        elif kind == Kind.COMMENT:
            opts = length("comments_title", "comments")
        else:  # ONATC text fields of the master workbook
            opts = length("onatc_title", "onatc")
        _validate(ws, guard, ranges, opts, f"validation of {columns[ci].field}")
    for (ci, measure), ranges in value_inputs.items():
        base: dict[str, Any] = {"input_title": cat.text(h + "value_title"), **stop}
        if measure == Measure.NUMBER:
            opts = {
                **base,
                "validate": "decimal",
                "criteria": ">=",
                "value": 0,
                "input_message": cat.text(h + "value_number"),
                "error_message": cat.text(h + "error_number"),
            }
        elif measure == Measure.PERCENTAGE:
            opts = {
                **base,
                "validate": "decimal",
                "criteria": "between",
                "minimum": 0,
                "maximum": 100,
                "input_message": cat.text(h + "value_percentage"),
                "error_message": cat.text(h + "error_percentage"),
            }
        elif measure == Measure.YES_NO:
            opts = {
                **base,
                "validate": "list",
                "source": f"={LIST_NAMES['yes_no']}",
                "input_message": cat.text(h + "value_yes_no"),
                "error_message": cat.text(h + "error_list"),
            }
        else:
            opts = {**length("value_title", "value_text")}
        _validate(ws, guard, ranges, opts, f"validation of {columns[ci].field} ({measure})")


def _conditional_formats(
    ws: Worksheet,
    fmt: _Formats,
    columns: tuple[Column, ...],
    inputs: dict[int, list[tuple[int, int, int, int]]],
    value_inputs: dict[tuple[int, Measure], list[tuple[int, int, int, int]]],
    period: Period,
    last_row: int,
) -> None:
    for ci, ranges in inputs.items():
        kind = columns[ci].kind
        if kind in (Kind.RATING_HY, Kind.RATING_Y):
            top = xl_rowcol_to_cell(FIRST_DATA_ROW, ci, col_abs=True)
            for code, colour in (("1", "green"), ("2", "amber"), ("3", "red")):
                ws.conditional_format(
                    FIRST_DATA_ROW,
                    ci,
                    last_row,
                    ci,
                    {
                        "type": "formula",
                        "criteria": f'=LEFT(TRIM({top}),1)="{code}"',
                        "format": fmt.cf[colour],
                    },
                )
        if kind in (Kind.STATUS, Kind.RATING_HY, Kind.RATING_Y):
            _blank_cf(ws, fmt, ranges)
    for (_ci, _m), ranges in value_inputs.items():
        _blank_cf(ws, fmt, ranges)


def _blank_cf(ws: Worksheet, fmt: _Formats, ranges: list[tuple[int, int, int, int]]) -> None:
    if not ranges:
        return
    r1, c1, r2, c2 = ranges[0]
    opts: dict[str, Any] = {"type": "blanks", "format": fmt.cf["empty"]}
    if len(ranges) > 1:
        opts["multi_range"] = _multi(ranges)
    ws.conditional_format(r1, c1, r2, c2, opts)


def _lists_sheet(wb: Workbook, cat: Catalog, guard: _Guard, password: str | None) -> None:
    ws = wb.add_worksheet(SHEET_LISTS)
    lists = {
        "status": cat.entries("status"),
        "frequency": cat.entries("frequency"),
        "rating": cat.entries("rating"),
        "yes_no": cat.yes_no(),
    }
    for ci, (name, entries) in enumerate(lists.items()):
        ws.write_string(0, ci, name)
        for ri, e in enumerate(entries, start=1):
            ws.write_string(ri, ci, e)
        col = xl_col_to_name(ci, col_abs=True)
        guard.check(
            wb.define_name(LIST_NAMES[name], f"='{SHEET_LISTS}'!{col}$2:{col}${len(entries) + 1}"),
            f"name {LIST_NAMES[name]}",
        )
        ws.set_column(ci, ci, 40)
    hide(ws)
    _protect(ws, password)


def _identity_sheet(wb: Workbook, identity: Identity, guard: _Guard, password: str | None) -> None:
    ws = wb.add_worksheet(SHEET_IDENTITY)
    pairs = identity.pairs()
    for ri, (k, v) in enumerate(pairs):
        ws.write_string(ri, 0, k)
        ws.write_string(ri, 1, v)
    ws.set_column(0, 1, 30)
    hide(ws)
    _protect(ws, password)


def due_in_words(day: dt.date, cat: Catalog) -> str:
    """``Wednesday 15 January 2020`` in the workbook's language."""
    weekday = cat["weekdays"][day.weekday()]
    month = cat["months"][day.month - 1]
    return cat.text("date_words", weekday=weekday, day=day.day, month=month, year=day.year)


def _institution_note(institution: Institution | None, cat: Catalog) -> list[tuple[str, str]]:
    """The cover's note on an institution: illustrative carrier role, the plan's own note."""
    if institution is None:
        return []
    parts = [cat.text("institution_illustrative")] if institution.illustrative else []
    parts += [institution.note] if institution.note else []
    return [("institution_note", " ".join(parts))] if parts else []


def _cover(
    ws: Worksheet,
    fmt: _Formats,
    plan: Plan,
    period: Period,
    cat: Catalog,
    institution: Institution | None,
    identity: Identity,
    sos: list[Any],
    password: str | None,
) -> None:
    """The first sheet, for the official who fills the workbook in: what, by when, to
    whom, what the colours mean. The technical identity is on the hidden sheet."""
    widths = (30.0, 100.0)
    ws.set_column(0, 0, widths[0])
    ws.set_column(1, 1, widths[1])
    ws.hide_gridlines(2)
    master = institution is None
    ws.write_string(0, 0, cat.text("master_title" if master else "cover_title"), fmt.title)
    ws.set_row(0, 24)
    hy = cat.text("due_yes" if period.half_year_rating_due else "due_no")
    y = cat.text("due_yes" if period.yearly_rating_due else "due_no")
    due = period.due_date(plan.reporting.grace_days)
    reply = cat.text("reply_to_email")
    facts = [
        ("plan", plan.title),
        ("mission", plan.mission or ""),
        ("institution", institution.name if institution else cat.text("master_institution")),
        *_institution_note(institution, cat),
        (
            "period",
            f"{period.label} ("
            + cat.text("period_dates", start=period.start.isoformat(), end=period.end.isoformat())
            + ")",
        ),
        ("due_date", f"{due_in_words(due, cat)} ({due.isoformat()})"),
        ("ratings_due", f"{cat.text('rating_hy_short')}: {hy}; {cat.text('rating_y_short')}: {y}"),
        ("send_to", plan.reporting.send_to or reply),
        ("contact", plan.reporting.contact or reply),
    ]

    def line(row: int, label: str, value: str, value_fmt: Any = None) -> None:
        ws.write_string(row, 0, label, fmt.label)
        ws.write_string(row, 1, value, value_fmt or fmt.text)
        ws.set_row(row, row_height([(label, widths[0]), (value, widths[1])], COVER_PT, bold=False))

    row = 2
    for key, value in facts:
        line(row, cat.text(key), value)
        row += 1
    row += 1
    ws.write_string(row, 0, cat.text("colours_title"), fmt.heading)
    row += 1
    swatches = [
        ("colour_empty", fmt.cover_swatch["empty"]),
        ("colour_filled", fmt.cover_swatch["input"]),
        ("colour_na", fmt.cover_swatch["na"]),
        ("colour_plan", fmt.cover_swatch["plan"]),
        ("colour_ratings", fmt.cover_swatch["ratings"]),
    ]
    for key, swatch in swatches:
        ws.write_string(row, 0, cat.text(key + "_name"), swatch)
        ws.write_string(row, 1, cat.text(key), fmt.text)
        ws.set_row(row, row_height([(cat.text(key), widths[1])], COVER_PT))
        row += 1
    row += 1
    ws.write_string(row, 0, cat.text("instructions_title"), fmt.heading)
    row += 1
    lines = list(cat["instructions"]) + (list(cat["master_instructions"]) if master else [])
    for n, text in enumerate(lines, start=1):
        line(row, f"{n}.", text)
        row += 1
    row += 1
    ws.write_string(row, 0, cat.text("legend"), fmt.heading)
    row += 1
    for key, vocab in (
        ("legend_status", "status"),
        ("legend_frequency", "frequency"),
        ("legend_rating", "rating"),
    ):
        line(row, cat.text(key), "\n".join(cat.entries(vocab)))
        row += 1
    row += 1
    ws.write_string(row, 0, cat.text("your_activities"), fmt.heading)
    row += 1
    for so in sos:
        acts = [a for a in so.activities if institution is None or institution.id in a.carriers]
        text = "\n".join(f"{a.code} {a.title}" for a in acts)
        pieces = split_to_fit(text, widths[1], COVER_PT) if text else [""]
        for k, piece in enumerate(pieces):
            line(row, so.code if k == 0 else "", piece)
            row += 1
    print_setup(ws, (0, 0, row, 1), pages_wide=1)
    _protect(ws, password)
