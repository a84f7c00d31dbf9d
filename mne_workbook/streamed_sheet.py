"""A worksheet whose finished rows wait on disk: long tables in little memory, written fast.

xlsxwriter keeps every cell of a sheet in memory until the workbook is closed; a pack of
10,000 returns has a row per return on its Submissions sheet and more on its Flags
sheet, which made its memory grow with the round. xlsxwriter's own ``constant_memory``
mode writes rows out as they are finished, but it writes strings inline and rows
without their ``spans``, so the file would differ. :class:`StreamedSheet` writes out
each finished block of 16 rows as the normal mode writes them at close (shared strings,
spans per block of 16 rows), into an unlinked temporary file, and copies that file into
the sheet when the workbook is closed: the same bytes, with only the last rows in memory.
The style index of a cell is given by xlsxwriter in the order the cells are written at
close, across the sheets, so a row written out early holds a mark in its place, replaced
as the file is copied, in order.

Whole rows of a table are best given at once with :meth:`StreamedSheet.put_row`: their
cells' XML is made there, in the form xlsxwriter writes (``<c r=.. s=.. t="s"><v>..``, the
string's number from the workbook's shared string table, taken in the order of the
cells as ``write_string`` takes it), about ten times cheaper than a write per cell and
xlsxwriter's writer at close. A row holding anything else than plain texts, finite
numbers and blanks, each with a format, is written cell by cell exactly as before.

Rows must be written in order (a table, top to bottom): writing to a row that was
already written out, or given whole, raises ``ValueError`` rather than losing the cell.
Charts cannot take their data from such a sheet (xlsxwriter reads chart data from the
cells held). This leans on xlsxwriter's private row writer (``_write_row``,
``_write_cell``, ``_check_dimensions``, ``_write_sheet_data``, the cell tuples of
``table``); ``tests/test_streamed_sheet.py`` and ``tests/test_pack_bytes.py`` compare
the bytes with a normal sheet, so a change in xlsxwriter that breaks it fails there.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from typing import IO, Any

from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

BLOCK = 16  # xlsxwriter computes each row's "spans" over a block of 16 rows
_EVERY = 4 * BLOCK  # rows written out at a time
MARK = "\x1f"  # around a style's number in a row written out early (not in XML of text and numbers)
#: The longest text written by :meth:`StreamedSheet.put_row` itself: a longer one may
#: need xlsxwriter's cut at 32,767 UTF-16 units, so its row goes cell by cell.
_PLAIN_TEXT = 16383
#: Numbers written by :meth:`StreamedSheet.put_row` itself (NaN, infinities and ints
#: beyond a float go cell by cell: xlsxwriter refuses or converts them).
_FINITE = 1e308


def put_cell(ws: Worksheet, r: int, c: int, value: object, fmt: Any = None) -> None:
    """Write ``value`` by its type: never a formula (a bool as Yes/No, a blank as blank)."""
    if value is None or value == "":
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(r, c, "Yes" if value else "No", fmt)
    elif isinstance(value, int | float):
        ws.write_number(r, c, value, fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


class StreamedSheet(Worksheet):  # type: ignore[misc]
    """An xlsxwriter worksheet (``wb.add_worksheet(name, worksheet_class=StreamedSheet)``)
    that writes its finished rows to disk as it goes."""

    def __init__(self) -> None:
        super().__init__()
        self._out: IO[str] | None = None
        self._written = 0  # rows below this one are on disk
        self._styles: list[Format] = []  # the formats the marks stand for
        self._style_at: dict[Format, str] = {}  # a format (by identity) -> its mark
        self._ready: dict[int, tuple[int, int, str]] = {}  # row -> first, last column, cells
        self._cols: list[str] = []  # column letters
        self._tags: dict[tuple[Any, ...], str] = {}  # the end of a row's start tag

    def _check_dimensions(
        self, row: int, col: int, ignore_row: bool = False, ignore_col: bool = False
    ) -> int:
        if not ignore_row and (row < self._written or row in self._ready):
            raise ValueError(f"{self.name}: row {row + 1} was already written out")
        got: int = super()._check_dimensions(row, col, ignore_row, ignore_col)
        if not ignore_row and got == 0:
            self._maybe_write_out(row)
        return got

    def _maybe_write_out(self, row: int) -> None:
        done = row // BLOCK * BLOCK  # the rows of earlier blocks are finished
        if done - self._written >= _EVERY:
            self._write_out(done)

    def put_row(
        self, row: int, col: int, cells: Sequence[tuple[object, Any]], height: float | None
    ) -> None:
        """Write ``cells`` (value, format) from column ``col`` of row ``row`` and set the
        row's height: as ``put_cell`` per cell and ``set_row`` would, the row then complete."""
        n = len(cells)
        if (
            not 0 <= row < self.xls_rowmax
            or col < 0
            or col + n > self.xls_colmax
            or row < self._written
            or row in self._ready
            or self.table.get(row)
        ):
            self._cell_by_cell(row, col, cells, height)  # refuses a row written out
            return
        cols = self._cols
        while len(cols) < col + n:
            cols.append(xl_col_to_name(len(cols)))
        r = str(row + 1)
        style_at = self._style_at
        # the texts' numbers, taken as SharedStringTable._get_shared_string_index takes
        # them; undone if the row goes cell by cell after all
        table = self.str_table
        known = table.string_table
        added: list[str] = []
        texts = 0  # the row's text cells (the table's count grows by them at the end)
        parts: list[str] = []
        first = last = -1
        c = col - 1
        for v, fmt in cells:
            c += 1
            if v is None or v == "":
                if fmt is None:
                    continue  # no cell, as write_blank without format
                s = style_at.get(fmt) or self._mark(fmt)
                parts.append(f'<c r="{cols[c]}{r}" s="{s}"/>')
            else:
                if fmt is None:  # a cell without format takes the row's or column's
                    self._undo(added)
                    self._cell_by_cell(row, col, cells, height)
                    return
                t = type(v)
                if t is str:
                    text: str = v  # type: ignore[assignment]
                elif t is bool:
                    text = "Yes" if v else "No"
                elif (t is int or t is float) and -_FINITE < v < _FINITE:  # type: ignore[operator]
                    s = style_at.get(fmt) or self._mark(fmt)
                    parts.append(f'<c r="{cols[c]}{r}" s="{s}"><v>{v:.16G}</v></c>')
                    if first < 0:
                        first = c
                    last = c
                    continue
                elif isinstance(v, int | float):  # NaN, infinite, huge, an enum, numpy
                    self._undo(added)
                    self._cell_by_cell(row, col, cells, height)
                    return
                else:
                    text = str(v)
                if len(text) > _PLAIN_TEXT:
                    self._undo(added)
                    self._cell_by_cell(row, col, cells, height)
                    return
                k = known.get(text)
                if k is None:
                    k = known[text] = table.unique_count
                    table.unique_count += 1
                    added.append(text)
                texts += 1
                s = style_at.get(fmt) or self._mark(fmt)
                parts.append(f'<c r="{cols[c]}{r}" s="{s}" t="s"><v>{k}</v></c>')
            if first < 0:
                first = c
            last = c
        if first < 0:
            self._cell_by_cell(row, col, cells, height)
            return
        table.count += texts
        self._maybe_write_out(row)
        Worksheet._check_dimensions(self, row, first)
        Worksheet._check_dimensions(self, row, last)
        if height is not None:
            self.set_row(row, height)
        self._ready[row] = (first, last, "".join(parts))

    def _undo(self, added: list[str]) -> None:
        """Give back the numbers a row took for its new texts (``added``, in order)."""
        table = self.str_table
        for text in added:
            del table.string_table[text]
        table.unique_count -= len(added)

    def _cell_by_cell(
        self, row: int, col: int, cells: Sequence[tuple[object, Any]], height: float | None
    ) -> None:
        for c, (v, fmt) in enumerate(cells, start=col):
            put_cell(self, row, c, v, fmt)
        if height is not None:
            self.set_row(row, height)

    def _write_out(self, end: int) -> None:
        """Write rows ``[written, end)`` out, as ``_write_rows`` writes them at close."""
        if self.dim_rowmin is None:
            return
        if self._out is None:
            self._out = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        real = Format._get_xf_index
        mark = self._mark
        # the style's index is given when the file is copied (a function: not bound)
        Format._get_xf_index = lambda fmt: mark(fmt)
        try:
            self._rows(self._out, max(self._written, self.dim_rowmin), end - 1)
        finally:
            Format._get_xf_index = real
        for r in range(self._written, end):
            self.table.pop(r, None)
            self._ready.pop(r, None)
        self._written = end

    def _mark(self, fmt: Format) -> str:
        k = self._style_at.get(fmt)
        if k is None:
            k = self._style_at[fmt] = f"{MARK}{len(self._styles)}{MARK}"
            self._styles.append(fmt)
        return k

    def _unmarked(self, fh: IO[str]) -> Iterator[str]:
        """The rows written out, each mark replaced by its style's index (given now, in
        the order of the cells, as the normal mode gives it)."""
        given: dict[str, str] = {}
        styles = self._styles
        while data := fh.read(1 << 16):
            while data.count(MARK) % 2:  # a mark cut in two: read to its end
                more = fh.read(1)
                if not more:
                    raise ValueError(f"{self.name}: a style mark is not closed")
                data += more
            parts = data.split(MARK)
            marks = parts[1::2]
            for k in marks:
                if k not in given:  # the first cell of this style: its index is given now
                    given[k] = str(styles[int(k)]._get_xf_index())
            parts[1::2] = map(given.__getitem__, marks)
            yield "".join(parts)

    def _rows(self, fh: IO[str], first: int, last: int) -> None:
        if first > last:
            return
        me: Any = self  # xlsxwriter's own attributes (it has no type hints)
        keep = (me.fh, me.dim_rowmin, me.dim_rowmax)
        me.fh, me.dim_rowmin, me.dim_rowmax = fh, first, last
        try:
            me._write_rows()
        finally:
            me.fh, me.dim_rowmin, me.dim_rowmax = keep

    def _calculate_spans(self) -> None:
        """xlsxwriter's spans (first:last column with a cell, per block of 16 rows), the
        rows given whole included."""
        spans: dict[int, str] = {}
        lo: int | None = None
        hi = 0
        last = self.dim_rowmax
        table, ready, comments = self.table, self._ready, self.comments
        for row in range(self.dim_rowmin, last + 1):
            cols: list[int] = []
            if row in ready:
                a, b, _ = ready[row]
                cols += (a, b)
            if row in table:
                cols += table[row]
            if row in comments:
                cols += comments[row]
            if cols:
                a, b = min(cols), max(cols)
                lo, hi = (a, b) if lo is None else (min(lo, a), max(hi, b))
            if ((row + 1) % BLOCK == 0 or row == last) and lo is not None:
                spans[row // BLOCK] = f"{lo + 1}:{hi + 1}"
                lo = None
        self.row_spans = spans

    def _write_rows(self) -> None:
        """xlsxwriter's ``_write_rows``, writing the rows given whole from their XML."""
        self._calculate_spans()
        me: Any = self
        spans = self.row_spans
        table, ready, comments, info = self.table, self._ready, self.comments, self.row_info
        fh = me.fh
        for row in range(self.dim_rowmin, self.dim_rowmax + 1):
            cells = table.get(row)
            given = ready.get(row)
            if given is None and not cells and row not in info and row not in comments:
                continue
            span = spans.get(row // BLOCK)
            if given is not None:
                tag = self._row_tag(row, span, info.get(row))
                if tag is None:
                    me._write_row(row, span, info.get(row))
                else:
                    fh.write(tag)
                fh.write(given[2])
                fh.write("</row>")
            elif cells:
                me._write_row(row, span, info.get(row))
                for col in sorted(cells):
                    me._write_cell(row, col, cells[col])
                fh.write("</row>")
            else:
                me._write_empty_row(row, span, info.get(row))

    def _row_tag(self, row: int, span: str | None, info: Any) -> str | None:
        """``_write_row``'s start tag of a row of at most a height (None for any other)."""
        me: Any = self
        if me.excel_version != 2007 or (
            info is not None
            and (info.row_format is not None or info.hidden or info.level or info.collapsed)
        ):
            return None
        height = me.default_row_height if info is None or info.height is None else info.height
        key = (span, height, me.default_row_height, me.original_row_height)
        rest = self._tags.get(key)
        if rest is None:
            rest = f' spans="{span}"' if span else ""
            if height != me.original_row_height or height != me.default_row_height:
                rest += f' ht="{height * 0.75:.16g}" customHeight="1"'
            rest = self._tags[key] = rest + ">"
        return f'<row r="{row + 1}"{rest}'

    def _write_sheet_data(self) -> None:
        if self._out is None and not self._ready:
            super()._write_sheet_data()
            return
        if self.dim_rowmax is not None:
            self._write_out(self.dim_rowmax + 1)  # the last rows too, marked
        self._xml_start_tag("sheetData")
        assert self._out is not None
        self._out.seek(0)
        for text in self._unmarked(self._out):
            self.fh.write(text)
        self._out.close()
        self._out = None
        self._xml_end_tag("sheetData")
