"""The look of the report workbooks (consolidated pack, yearly report): formats and
colours, measured tables and legends, chart axes, and the words for a return's state.

Shared by :mod:`report`, :mod:`meeting` and :mod:`yearly`; it imports none of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xlsxwriter.worksheet import Worksheet

from .arrival import SOURCE_TEXT, Source
from .consolidate import Consolidation
from .locales import catalog
from .shared_strings import Workbook
from .streamed_sheet import StreamedSheet
from .streamed_sheet import put_cell as put_cell
from .textmetrics import PAD_Y, PRINT, Rows, line_height, row_height
from .vocab import Status


def code_text(vocab: str, code: int | None) -> str:
    return catalog("en").entry(vocab, code) if code is not None else ""


BODY_PT = 9
#: The height of a row of one line of body text.
ONE_LINE = line_height(BODY_PT, PRINT) + PAD_Y

#: Statuses from the least to the most advanced, as charts and tables show them.
STATUS_ORDER = [Status.NOT_STARTED, Status.STARTED, Status.IN_CONTINUUM, Status.COMPLETED]
#: Semantic colours: red = not started ... green = completed; grey = not reported.
STATUS_FILL = {1: "#F4CCCC", 3: "#FCE5CD", 2: "#FFF2CC", 4: "#D9EAD3"}
STATUS_CHART = {1: "#CC0000", 3: "#E69138", 2: "#F1C232", 4: "#6AA84F"}
RATING_FILL = {1: "#C6EFCE", 2: "#FFEB9C", 3: "#FFC7CE"}  # as in the institution workbooks
RATING_CHART = {1: "#6AA84F", 2: "#F1C232", 3: "#CC0000"}
NOT_REPORTED_FILL = "#D9D9D9"
NOT_REPORTED_CHART = "#A6A6A6"
FLAG_FILL = {"error": "#D5A6BD", "warning": "#E4DFEC"}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
PLAN_GAP_PREFIX = "plan-gap-"


class Styles:
    """Cell formats of the report workbooks, made once per fill colour."""

    def __init__(self, wb: Any) -> None:
        self.wb = wb
        self._cache: dict[tuple[str | None, bool, str | None], Any] = {}
        self.title = wb.add_format(
            {
                "bold": True,
                "font_size": 14,
                "font_color": "#1F3864",
                "text_wrap": True,
                "valign": "top",
            }
        )
        self.heading = wb.add_format({"bold": True, "font_size": 11, "font_color": "#1F3864"})
        self.label = wb.add_format({"bold": True, "font_size": BODY_PT, "valign": "top"})
        self.text = wb.add_format({"font_size": BODY_PT, "valign": "top", "text_wrap": True})
        self.line = wb.add_format({"font_size": BODY_PT, "valign": "top"})  # one line, may overflow
        self.h = wb.add_format(
            {
                "bold": True,
                "bg_color": "#D9D9D9",
                "border": 1,
                "text_wrap": True,
                "valign": "vcenter",
                "font_size": BODY_PT,
            }
        )

    def cell(self, fill: str | None = None, bold: bool = False, num: str | None = None) -> Any:
        key = (fill, bold, num)
        if key not in self._cache:
            props: dict[str, Any] = {
                "border": 1,
                "border_color": "#A6A6A6",
                "text_wrap": True,
                "valign": "top",
                "font_size": BODY_PT,
            }
            if fill:
                props["bg_color"] = fill
            if bold:
                props["bold"] = True
            if num:
                props["num_format"] = num
            self._cache[key] = self.wb.add_format(props)
        return self._cache[key]


def formats(wb: Any) -> Styles:
    """The cell formats of the consolidated and yearly workbooks."""
    return Styles(wb)


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def measured_height(texts: Sequence[object], widths: Sequence[float], bold: bool = False) -> float:
    """The height a row of body ``texts`` in columns ``widths`` wide needs (wrapped)."""
    return row_height(
        [(t if type(t) is str else cell_text(t), w) for t, w in zip(texts, widths, strict=False)],
        BODY_PT,
        ONE_LINE,
        bold=bold,
        spacing=PRINT,
    )


def body_rows(widths: Sequence[float]) -> Rows:
    """The heights of rows of body text in columns ``widths`` wide (wrapped, measured):
    :func:`measured_height`, faster for the rows of a table."""
    return Rows(widths, BODY_PT, ONE_LINE, spacing=PRINT)


def texts_of(values: Sequence[object]) -> list[str]:
    """The texts cells of ``values`` show (for measuring)."""
    return [v if type(v) is str else cell_text(v) for v in values]


def set_height(
    ws: Worksheet, r: int, texts: Sequence[object], widths: Sequence[float], bold: bool = False
) -> float:
    """Set row ``r`` to the height its wrapped texts need (measured); returns it."""
    h = measured_height(texts, widths, bold)
    ws.set_row(r, h)
    return h


Fill = str | None


def table(
    ws: Worksheet,
    r0: int,
    headers: list[str],
    rows: list[list[Any]],
    f: Styles,
    widths: Sequence[float],
    fills: list[list[Fill]] | None = None,
    c0: int = 0,
) -> int:
    """Write a table at ``r0`` with measured row heights; returns its last row."""
    for c, h in enumerate(headers):
        ws.write_string(r0, c0 + c, h, f.h)
    set_height(ws, r0, list(headers), widths, bold=True)
    measure = body_rows(widths)
    formats: dict[tuple[Fill, bool], Any] = {}  # f.cell(fill, num=...) by fill and number

    def fmt(fill: Fill, number: bool) -> Any:
        got = formats[fill, number] = f.cell(fill, num="0.0" if number else None)
        return got

    for i, row in enumerate(rows, start=1):
        fill_row = fills[i - 1] if fills else []
        cells = []
        for c, v in enumerate(row):
            key = (fill_row[c] if fills else None, isinstance(v, float))
            cells.append((v, formats.get(key) or fmt(*key)))
        put_row(ws, r0 + i, c0, cells, measure.height(texts_of(row)))
    return r0 + len(rows)


def put_row(
    ws: Worksheet, r: int, c0: int, cells: Sequence[tuple[object, Any]], height: float
) -> None:
    """Write a row's ``(value, format)`` cells from column ``c0`` and set its height: given
    whole to a :class:`StreamedSheet`, else cell by cell (:func:`put_cell`)."""
    if isinstance(ws, StreamedSheet):
        ws.put_row(r, c0, cells, height)
        return
    for c, (v, fmt) in enumerate(cells, start=c0):
        put_cell(ws, r, c, v, fmt)
    ws.set_row(r, height)


def title_row(ws: Worksheet, r: int, text: str, widths: Sequence[float], f: Styles) -> None:
    """A title over the printed width, wrapped and as tall as it needs."""
    ws.merge_range(r, 0, r, len(widths) - 1, text, f.title)
    ws.set_row(r, row_height([(text, sum(widths))], 14, bold=True, spacing=PRINT))


def legend(
    ws: Worksheet, r: int, c0: int, items: list[tuple[str, str]], f: Styles, widths: Sequence[float]
) -> float:
    """A row of coloured cells saying what each colour means; returns its height."""
    ws.write_string(r, c0, "Colours:", f.label)
    for k, (text, colour) in enumerate(items, start=1):
        ws.write_string(r, c0 + k, text, f.cell(colour))
    return set_height(ws, r, ["", *(t for t, _ in items)], widths[c0:])


def status_legend() -> list[tuple[str, str]]:
    return [(code_text("status", int(s)), STATUS_FILL[int(s)]) for s in STATUS_ORDER] + [
        ("Not reported", NOT_REPORTED_FILL)
    ]


def rating_legend() -> list[tuple[str, str]]:
    return [(f"Rating {i}", RATING_FILL[i]) for i in (1, 2, 3)]


def flag_legend() -> list[tuple[str, str]]:
    return [("Error flag", FLAG_FILL["error"]), ("Warning flag", FLAG_FILL["warning"])]


def names_of(con: Consolidation, ids: str) -> str:
    """Institution names for an id or a comma-separated list of ids."""
    return names_in(institution_names(con), ids)


def institution_names(con: Consolidation) -> dict[str, str]:
    """The plan's institution names by id (for :func:`names_in`)."""
    return {i.id: i.name for i in con.plan.institutions}


def names_in(names: dict[str, str], ids: str) -> str:
    """Institution names for an id or a comma-separated list of ids."""
    return ", ".join(names.get(x.strip(), x.strip()) for x in ids.split(",") if x.strip())


def new_workbook(path: Path) -> Any:
    """An xlsxwriter workbook that never turns a string into a formula, link or number."""
    return Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )


def chart_axis_step(largest: float) -> int:
    """A whole-number major unit giving at most 8 gridlines."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if largest / step <= 8:
            return step
    return int(largest // 8) + 1


LABELS_NO_ZERO = {"value": True, "num_format": "0;-0;;"}


def count_axis(chart: Any, largest: float, title: str) -> None:
    chart.set_y_axis(
        {
            "min": 0,
            "major_unit": chart_axis_step(largest),
            "num_format": "0",
            "name": title,
            "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
        }
    )


def return_state(con: Consolidation, inst: str) -> tuple[str, Fill]:
    """What became of an institution's return, in words, and its colour."""
    sub = con.used.get(inst)
    if sub is None:
        refused = [s for s in con.submissions if s.refused and s.institution == inst]
        if refused:
            why = refused[0].refusal()
            return f"REFUSED ({why.code if why else 'refused'})", FLAG_FILL["error"]
        return "NOT REPORTED", NOT_REPORTED_FILL
    rate = next(r for r in con.rates if r.institution == inst)
    if not rate.on_time:
        return f"late ({days_late(con, inst)} day(s))", FLAG_FILL["warning"]
    return "received on time", None


def days_late(con: Consolidation, inst: str) -> int:
    """Days between the due date and the return's arrival (or today, when none arrived)."""
    rate = next(r for r in con.rates if r.institution == inst)
    if not rate.arrived_at:
        return (con.as_of - con.due_date).days
    return (dt.date.fromisoformat(rate.arrived_at[:10]) - con.due_date).days


def arrived_text(at: str, source: str) -> str:
    """An arrival time with where it came from, for a table cell."""
    return f"{at} ({SOURCE_TEXT[Source(source)]})" if at else ""
