"""The pack as it was written before its fast paths: the reference its bytes are compared
with (``test_pack_bytes``).

xlsxwriter's own workbook (its shared strings writer), every sheet a plain worksheet,
every cell written one by one by its type
(``write_blank``/``write_string``/``write_number``), every row height measured cell by
cell (``cell_height``): the code of ``report_style`` and ``textmetrics`` before rows were
given whole to a :class:`~mne_workbook.streamed_sheet.StreamedSheet` and heights counted
in lines. :func:`reference_path` puts it in place of the fast code for one test.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

import mne_workbook.meeting as meeting
import mne_workbook.report as report
import mne_workbook.report_style as report_style
from mne_workbook.report_style import BODY_PT, ONE_LINE, Fill, Styles, cell_text
from mne_workbook.textmetrics import EXCEL, MAX_ROW_PT, PRINT, cell_height


def plain_workbook(path: Path) -> Any:
    """xlsxwriter's own workbook (its own shared strings writer)."""
    return xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )


def put_cell(ws: Worksheet, r: int, c: int, value: object, fmt: Any = None) -> None:
    if value is None or value == "":
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(r, c, "Yes" if value else "No", fmt)
    elif isinstance(value, int | float):
        ws.write_number(r, c, value, fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


def row_height(
    cells: Iterable[tuple[str, float]],
    size: float,
    minimum: float = 15.0,
    bold: bool = False,
    spacing: float = EXCEL,
) -> float:
    need = max((cell_height(t, w, size, bold, spacing) for t, w in cells if t), default=0.0)
    return min(MAX_ROW_PT, max(minimum, need))


def set_height(
    ws: Worksheet, r: int, texts: Sequence[object], widths: Sequence[float], bold: bool = False
) -> float:
    h = row_height(
        [(cell_text(t), w) for t, w in zip(texts, widths, strict=False)],
        BODY_PT,
        ONE_LINE,
        bold=bold,
        spacing=PRINT,
    )
    ws.set_row(r, h)
    return h


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
    for c, h in enumerate(headers):
        ws.write_string(r0, c0 + c, h, f.h)
    set_height(ws, r0, list(headers), widths, bold=True)
    for i, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            fill = fills[i - 1][c] if fills else None
            num = "0.0" if isinstance(v, float) else None
            put_cell(ws, r0 + i, c0 + c, v, f.cell(fill, num=num))
        set_height(ws, r0 + i, row, widths)
    return r0 + len(rows)


def put_row(
    ws: Worksheet, r: int, c0: int, cells: Sequence[tuple[object, Any]], height: float
) -> None:
    """A row of an SO matrix as it was written: cell by cell, then its height."""
    for c, (v, fmt) in enumerate(cells, start=c0):
        put_cell(ws, r, c, v, fmt)
    ws.set_row(r, height)


def reference_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Write packs the old way until the test ends."""
    for module in (report, report_style, meeting):
        for name, old in (
            ("StreamedSheet", Worksheet),
            ("new_workbook", plain_workbook),
            ("table", table),
            ("put_cell", put_cell),
            ("put_row", put_row),
            ("set_height", set_height),
            ("row_height", row_height),
        ):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, old)
