"""A worksheet whose finished rows wait on disk: long tables in little memory.

xlsxwriter keeps every cell of a sheet in memory until the workbook is closed; a pack of
10,000 returns has a row per return on its Submissions sheet and more on its Flags
sheet, which made its memory grow with the round. xlsxwriter's own ``constant_memory``
mode writes rows out as they are finished, but it writes strings inline and rows
without their ``spans``, so the file would differ. :class:`StreamedSheet` writes out
each finished block of 16 rows with xlsxwriter's own row writer, as the normal mode
writes them at close (shared strings, spans per block of 16 rows), into an unlinked
temporary file, and copies that file into the sheet when the workbook is closed: the
same bytes, with only the last rows in memory. The style index of a cell is given by
xlsxwriter in the order the cells are written at close, across the sheets, so a row
written out early holds a mark in its place, replaced as the file is copied, in order.

Rows must be written in order (a table, top to bottom): writing to a row that was
already written out raises ``ValueError`` rather than losing the cell. Charts cannot
take their data from such a sheet (xlsxwriter reads chart data from the cells held).
This leans on xlsxwriter's private row writer (``_write_rows``, ``_check_dimensions``,
``_write_sheet_data``); ``tests/test_streamed_sheet.py`` compares the bytes with a
normal sheet, so a change in xlsxwriter that breaks it fails there.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Any

from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

BLOCK = 16  # xlsxwriter computes each row's "spans" over a block of 16 rows
_EVERY = 4 * BLOCK  # rows written out at a time
MARK = "\x1f"  # around a style's number in a row written out early (not in XML of text and numbers)


class StreamedSheet(Worksheet):  # type: ignore[misc]
    """An xlsxwriter worksheet (``wb.add_worksheet(name, worksheet_class=StreamedSheet)``)
    that writes its finished rows to disk as it goes."""

    def __init__(self) -> None:
        super().__init__()
        self._out: IO[str] | None = None
        self._written = 0  # rows below this one are on disk
        self._styles: list[Format] = []  # the formats the marks stand for
        self._style_at: dict[int, int] = {}  # id of a format -> its mark

    def _check_dimensions(
        self, row: int, col: int, ignore_row: bool = False, ignore_col: bool = False
    ) -> int:
        if not ignore_row and row < self._written:
            raise ValueError(f"{self.name}: row {row + 1} was already written out")
        got: int = super()._check_dimensions(row, col, ignore_row, ignore_col)
        if not ignore_row and got == 0:
            done = row // BLOCK * BLOCK  # the rows of earlier blocks are finished
            if done - self._written >= _EVERY:
                self._write_out(done)
        return got

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
        self._written = end

    def _mark(self, fmt: Format) -> str:
        k = self._style_at.get(id(fmt))
        if k is None:
            k = self._style_at[id(fmt)] = len(self._styles)
            self._styles.append(fmt)
        return f"{MARK}{k}{MARK}"

    def _unmarked(self, fh: IO[str]) -> Iterator[str]:
        """The rows written out, each mark replaced by its style's index (given now, in
        the order of the cells, as the normal mode gives it)."""
        while data := fh.read(1 << 16):
            while data.count(MARK) % 2:  # a mark cut in two: read to its end
                more = fh.read(1)
                if not more:
                    raise ValueError(f"{self.name}: a style mark is not closed")
                data += more
            parts = data.split(MARK)
            for i in range(1, len(parts), 2):
                parts[i] = str(self._styles[int(parts[i])]._get_xf_index())
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

    def _write_sheet_data(self) -> None:
        if self._out is None:
            super()._write_sheet_data()
            return
        self._xml_start_tag("sheetData")
        self._out.seek(0)
        for text in self._unmarked(self._out):
            self.fh.write(text)
        self._out.close()
        self._out = None
        self._rows(self.fh, self._written, self.dim_rowmax)
        self._xml_end_tag("sheetData")
