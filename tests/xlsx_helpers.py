"""Read generated workbooks back as small tables, so that tests show a sheet as data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

FIELD_ROW, HEADER_ROW, FIRST_DATA_ROW = 3, 4, 5  # 1-based, as openpyxl counts


def open_wb(path: Path) -> Any:
    return openpyxl.load_workbook(path)


def fields(ws: Worksheet) -> list[str]:
    return [c.value for c in ws[FIELD_ROW] if c.value is not None]


def col_of(ws: Worksheet, field: str) -> int:
    """1-based column of a field, found by its id in the hidden field row."""
    return fields(ws).index(field) + 1


def table(ws: Worksheet, *names: str) -> list[tuple[Any, ...]]:
    """The data rows as tuples of the named fields (all fields when none are named)."""
    names = names or tuple(fields(ws))
    cols = [col_of(ws, n) for n in names]
    return [tuple(ws.cell(r, c).value for c in cols) for r in range(FIRST_DATA_ROW, ws.max_row + 1)]


def data_cells(ws: Worksheet) -> list[tuple[int, int]]:
    return [
        (r, c) for r in range(FIRST_DATA_ROW, ws.max_row + 1) for c in range(1, len(fields(ws)) + 1)
    ]


def cells_of(sqref: Any) -> set[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    for rng in str(sqref).split():
        c1, r1, c2, r2 = range_boundaries(rng)
        out |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
    return out


def validations(ws: Worksheet) -> list[tuple[Any, set[tuple[int, int]]]]:
    return [(dv, cells_of(dv.sqref)) for dv in ws.data_validations.dataValidation]


def resolve_list(wb: Any, formula: str) -> list[str]:
    """The entries a list validation offers: follow a defined name to its cells."""
    name = formula.lstrip("=")
    ref = wb.defined_names[name].attr_text if name in wb.defined_names else name
    sheet, rng = ref.rsplit("!", 1)
    ws = wb[sheet.strip("'")]
    c1, r1, c2, r2 = range_boundaries(rng.replace("$", ""))
    return [ws.cell(r, c).value for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def merged_top_left(ws: Worksheet) -> dict[tuple[int, int], tuple[int, int]]:
    """Map every cell of a merged range to the range's top-left cell."""
    out = {}
    for m in ws.merged_cells.ranges:
        for r in range(m.min_row, m.max_row + 1):
            for c in range(m.min_col, m.max_col + 1):
                out[(r, c)] = (m.min_row, m.min_col)
    return out


def region(ws: Worksheet, ref: str) -> str:
    """A sheet region as a small text table, one ``| a | b |`` line per row (blank cells
    empty), so that a test can state what a reader sees in a few lines (as pyxform's
    tests state a form)."""
    c1, r1, c2, r2 = range_boundaries(ref)
    lines = []
    for r in range(r1, r2 + 1):
        cells = ["" if (v := ws.cell(r, c).value) is None else str(v) for c in range(c1, c2 + 1)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(line.replace("|  |", "| |") for line in lines)


def md(text: str) -> str:
    """A table written in a test (indented, with optional alignment padding) in the form
    :func:`region` prints."""
    rows = []
    for line in text.strip().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(row.replace("|  |", "| |") for row in rows)
