"""How tall a wrapped cell prints: text measured with Calibri's real advance widths.

Every workbook we write uses Calibri (xlsxwriter's default); Excel prints it, and
LibreOffice substitutes the metric-compatible Carlito. The widths come from
:mod:`font_widths`, a table generated from Carlito's TrueType files with fontTools
(``scripts/carlito_table.py``), so that generating a workbook needs no font on the
machine. Text is wrapped the way a spreadsheet wraps it: at spaces, a word longer
than the line broken where it no longer fits, explicit line breaks kept.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from itertools import accumulate, repeat

from .font_widths import BOLD, LINE, REGULAR, UNITS_PER_EM

#: Excel's limit on a row's height, in points.
MAX_ROW_PT = 409.0
#: Cell padding the spreadsheet keeps: left + right (points) and top + bottom.
PAD_X = 4.5
PAD_Y = 3.0
#: Width of the widest digit of Calibri 11 (the unit of column widths), in pixels.
_DIGIT_PX = 7
#: Unknown characters (CJK, emoji...) are taken as wide as "W", the widest Latin letter.
_WIDE = REGULAR[ord("W")]
#: Measured widths are stretched by this much: rounding in the renderers, kerning off.
_SAFETY = 1.02


#: Width of the widest digit of Calibri 11 in points, as LibreOffice measures it.
_DIGIT_PT = REGULAR[ord("0")] * 11 / UNITS_PER_EM


def column_points(width_chars: float, printed: bool = False) -> float:
    """A column of ``width_chars`` (Excel's unit) in points.

    Excel draws it ``width * 7 + 5`` pixels wide; LibreOffice, which prints the PDFs,
    takes the stored width (in digits, padding included) times the digit width of
    Calibri 11 at its true size, about 6 % wider (``printed``).
    """
    px = int(width_chars * _DIGIT_PX + 5) if width_chars > 1 else int(width_chars * 12)
    if printed:
        return px / _DIGIT_PX * _DIGIT_PT
    return px * 0.75


def _units(text: str, table: dict[int, int]) -> int:
    """Advance width of ``text`` in font units (an exact integer: sums of parts add up)."""
    return sum(map(table.get, map(ord, text), repeat(_WIDE)))


def _points(units: int, size: float) -> float:
    return units * size / UNITS_PER_EM * _SAFETY


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width of one line of ``text`` in points at ``size`` points."""
    return _points(_units(text, BOLD if bold else REGULAR), size)


#: Line pitch in ems. Excel spaces wrapped lines by the font's win ascent + descent
#: (1.22 em for Calibri); LibreOffice by its typographic ascent + descent (1.0 em,
#: measured 1.014 em in its PDFs). Workbooks filled in Excel use EXCEL; the report
#: workbooks, printed to PDF with LibreOffice, use PRINT (Excel then clips the last
#: lines of a tall cell on screen: it never prints them over the next row).
EXCEL = LINE / UNITS_PER_EM
PRINT = 1.05


def line_height(size: float, spacing: float = EXCEL) -> float:
    """Height of one line of text at ``size`` points."""
    return size * spacing


def wrap(text: str, width_pt: float, size: float, bold: bool = False) -> list[str]:
    """``text`` broken into the lines a cell ``width_pt`` wide shows.

    A line's width is kept as integer font units and grown word by word (the width of
    ``line + " " + word`` is exactly the sum of the three), so each word is measured once.
    """
    table = BOLD if bold else REGULAR
    space = table.get(32, _WIDE)
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        line_units = 0
        for word in para.split(" "):
            word_units = _units(word, table)
            units = line_units + space + word_units if line else word_units
            if _points(units, size) <= width_pt:
                line = f"{line} {word}" if line else word
                line_units = units
                continue
            if line:
                lines.append(line)
            line, line_units = _break_word(word, word_units, width_pt, size, table, lines)
        lines.append(line)
    return lines


def _break_word(
    word: str, units: int, width_pt: float, size: float, table: dict[int, int], lines: list[str]
) -> tuple[str, int]:
    """Break a word wider than the line where it no longer fits: each piece the longest
    start of the rest that fits (at least one character), appended to ``lines``; returns
    the last piece and its width in units.

    Widths are never negative, so a longer start is never narrower and the longest that
    fits is found by bisection over the running sums (a word of 20,000 characters must
    not take the time of 20,000 measurements of each line).
    """
    if _points(units, size) <= width_pt or len(word) <= 1:
        return word, units
    ends = list(accumulate(map(table.get, map(ord, word), repeat(_WIDE)), initial=0))
    start, n = 0, len(word)
    while n - start > 1 and _points(ends[n] - ends[start], size) > width_pt:
        lo, hi = 1, n - start - 1  # the piece is lo characters long
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if _points(ends[start + mid] - ends[start], size) <= width_pt:
                lo = mid
            else:
                hi = mid - 1
        lines.append(word[start : start + lo])
        start += lo
    return word[start:], ends[n] - ends[start]


#: Texts up to this long are remembered: plan texts recur in every workbook of a round
#: (and the comment room in every comment cell); the cache holds at most 8192 of them.
_CACHED_CHARS = 1000


def lines_needed(
    text: str, width_chars: float, size: float, bold: bool = False, printed: bool = False
) -> int:
    """Lines ``text`` takes in a wrapped cell of a column ``width_chars`` wide."""
    if not text:
        return 0
    if len(text) <= _CACHED_CHARS:
        return _lines_cached(text, width_chars, size, bold, printed)
    return _lines(text, width_chars, size, bold, printed)


def _lines(text: str, width_chars: float, size: float, bold: bool, printed: bool) -> int:
    return len(wrap(text, column_points(width_chars, printed) - PAD_X, size, bold))


_lines_cached = functools.lru_cache(maxsize=8192)(_lines)


def cell_height(
    text: str, width_chars: float, size: float, bold: bool = False, spacing: float = EXCEL
) -> float:
    """The row height (points) that shows all of ``text`` in a wrapped cell, uncapped."""
    n = lines_needed(text, width_chars, size, bold, spacing == PRINT)
    return n * line_height(size, spacing) + PAD_Y if n else 0.0


def row_height(
    cells: Iterable[tuple[str, float]],
    size: float,
    minimum: float = 15.0,
    bold: bool = False,
    spacing: float = EXCEL,
) -> float:
    """The height of a row holding ``(text, column width)`` cells, at most 409 pt.

    The tallest cell is the one of most lines (``cell_height`` grows with them), so the
    lines are counted per cell and the height computed once.
    """
    printed = spacing == PRINT
    most = 0
    for t, w in cells:
        if t:
            n = (
                _lines_cached(t, w, size, bold, printed)
                if len(t) <= _CACHED_CHARS
                else _lines(t, w, size, bold, printed)
            )
            if n > most:
                most = n
    need = most * line_height(size, spacing) + PAD_Y if most else 0.0
    return min(MAX_ROW_PT, max(minimum, need))


def split_to_fit(
    text: str, width_chars: float, size: float, max_pt: float = MAX_ROW_PT, spacing: float = EXCEL
) -> list[str]:
    """``text`` cut at line ends into pieces that each fit a row of at most ``max_pt``.

    For a text longer than one row can show: the rest is written in continuation rows.
    """
    per_row = max(1, int((max_pt - PAD_Y) // line_height(size, spacing)))
    lines = wrap(text, column_points(width_chars, spacing == PRINT) - PAD_X, size)
    if len(lines) <= per_row:
        return [text]
    pieces = []
    for i in range(0, len(lines), per_row):
        pieces.append("\n".join(lines[i : i + per_row]))
    return pieces
