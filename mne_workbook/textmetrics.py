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
from collections.abc import Iterable, Sequence
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


#: Words measured before, by font table: the texts of a pack repeat their words (file
#: names, codes, the wording of messages). Words up to 40 characters, at most 50,000.
_KNOWN: dict[int, dict[str, int]] = {id(REGULAR): {}, id(BOLD): {}}
_KNOWN_CHARS = 40
#: The widest character of each table (an unknown one counts as "W").
_WIDEST = {id(t): max(_WIDE, *t.values()) for t in (REGULAR, BOLD)}
_KNOWN_MOST = 50_000


def wrap(text: str, width_pt: float, size: float, bold: bool = False) -> list[str]:
    """``text`` broken into the lines a cell ``width_pt`` wide shows.

    A line's width is kept as integer font units and grown word by word (the width of
    ``line + " " + word`` is exactly the sum of the three), so each word is measured once;
    a paragraph that fits whole is one line, measured at once.
    """
    table = BOLD if bold else REGULAR
    known = _KNOWN[id(table)]
    space = table.get(32, _WIDE)
    lines: list[str] = []
    for para in text.split("\n"):
        # the whole paragraph on one line: what the loop below gives when every word fits
        # (a leading space is dropped there: such a paragraph goes through it)
        if not para.startswith(" ") and _points(_units(para, table), size) <= width_pt:
            lines.append(para)
            continue
        line = ""
        line_units = 0
        for word in para.split(" "):
            word_units = known.get(word)
            if word_units is None:
                word_units = _units(word, table)
                if len(word) <= _KNOWN_CHARS:
                    if len(known) >= _KNOWN_MOST:
                        known.clear()
                    known[word] = word_units
            units = line_units + space + word_units if line else word_units
            if units * size / UNITS_PER_EM * _SAFETY <= width_pt:  # _points(units, size)
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
    return count_lines(text, column_points(width_chars, printed) - PAD_X, size, bold)


def _room(width_pt: float, size: float) -> int | None:
    """The most font units a line ``width_pt`` wide holds (``_points(u) <= width_pt``);
    None when that is no whole number of units (no room, or not a finite width)."""
    key = (width_pt, size)
    if key in _ROOMS:
        return _ROOMS[key]
    room = None
    if 0 <= width_pt < 1e12 and 0 < size < 1e6:
        u = int(width_pt * UNITS_PER_EM / size / _SAFETY)
        while _points(u + 1, size) <= width_pt:
            u += 1
        while u >= 0 and _points(u, size) > width_pt:
            u -= 1
        room = u if u >= 0 else None
    if len(_ROOMS) < 4096:
        _ROOMS[key] = room
    return room


_ROOMS: dict[tuple[float, float], int | None] = {}


def count_lines(text: str, width_pt: float, size: float, bold: bool = False) -> int:
    """``len(wrap(text, width_pt, size, bold))``, without making the lines: the same
    greedy breaks, counted (a line is empty only while it holds empty words), each word
    measured once and remembered."""
    room = _room(width_pt, size)
    if room is None:
        return len(wrap(text, width_pt, size, bold))
    table = BOLD if bold else REGULAR
    if len(text) * _WIDEST[id(table)] <= room and "\n" not in text and text[:1] != " ":
        return 1  # fits whatever its characters: one line
    known = _KNOWN[id(table)]
    space = table.get(32, _WIDE)
    n = 0
    for para in text.split("\n"):
        words = para.split(" ")
        widths = list(map(known.get, words))
        if None in widths:
            for i, word in enumerate(words):
                if widths[i] is None:
                    u = widths[i] = _units(word, table)
                    if len(word) <= _KNOWN_CHARS:
                        if len(known) >= _KNOWN_MOST:
                            known.clear()
                        known[word] = u
        units_of: list[int] = widths  # type: ignore[assignment]
        if not para.startswith(" ") and sum(units_of) + space * (len(words) - 1) <= room:
            n += 1  # the whole paragraph on one line (as in wrap)
            continue
        empty = True  # the line so far is "" (wrap's falsy line)
        line_units = 0
        for word, word_units in zip(words, units_of, strict=True):
            units = word_units if empty else line_units + space + word_units
            if units <= room:
                line_units = units
                empty = empty and not word
                continue
            if not empty:
                n += 1
            if word_units <= room:  # the word begins the next line (wrap: _break_word)
                line_units = word_units
                empty = not word
                continue
            pieces: list[str] = []
            rest, line_units = _break_word(word, word_units, width_pt, size, table, pieces)
            n += len(pieces)
            empty = not rest
        n += 1
    return n


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
    return _height(most, size, minimum, spacing)


def _height(lines: int, size: float, minimum: float, spacing: float) -> float:
    """The height of a row whose tallest cell has ``lines`` lines, at most 409 pt."""
    need = lines * line_height(size, spacing) + PAD_Y if lines else 0.0
    return min(MAX_ROW_PT, max(minimum, need))


#: The lines of texts (up to ``_CACHED_CHARS``) per column, for :class:`Rows`; at most
#: ``_REMEMBERED`` in all, then forgotten together.
_BY_COLUMN: dict[tuple[float, float, bool, bool], dict[str, int]] = {}
_REMEMBERED = 16384
_remembered = 0


class Rows:
    """:func:`row_height` of rows of texts in columns ``widths`` wide: each column
    remembers its texts' lines (a table's rows share their columns, and their texts)."""

    def __init__(
        self,
        widths: Sequence[float],
        size: float,
        minimum: float = 15.0,
        bold: bool = False,
        spacing: float = EXCEL,
    ) -> None:
        self.size, self.minimum, self.bold, self.spacing = size, minimum, bold, spacing
        self.printed = spacing == PRINT
        # each column's memo (forgetting clears them: they stay the column's)
        self.columns = [
            (w, _BY_COLUMN.setdefault((w, size, bold, self.printed), {})) for w in widths
        ]

    def height(self, texts: Iterable[str]) -> float:
        """The height of a row of ``texts``, one per column (zip: the shorter decides)."""
        global _remembered
        most = 0
        for t, (w, memo) in zip(texts, self.columns, strict=False):
            if not t:
                continue
            n = memo.get(t)
            if n is None:
                n = _lines(t, w, self.size, self.bold, self.printed)
                if len(t) <= _CACHED_CHARS:
                    if _remembered >= _REMEMBERED:
                        for m in _BY_COLUMN.values():
                            m.clear()
                        _remembered = 0
                    memo[t] = n
                    _remembered += 1
            if n > most:
                most = n
        return _height(most, self.size, self.minimum, self.spacing)


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
