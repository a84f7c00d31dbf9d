"""Text measured with Calibri's widths (the shipped Carlito table)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mne_workbook import font_widths
from mne_workbook.textmetrics import (
    MAX_ROW_PT,
    PAD_X,
    PRINT,
    cell_height,
    column_points,
    count_lines,
    row_height,
    split_to_fit,
    text_width,
    wrap,
)

CARLITO = Path("/usr/share/fonts/truetype/crosextra")


def test_the_shipped_table_is_carlitos() -> None:
    """The table matches the installed Carlito (Debian's fonts-crosextra-carlito)."""
    if not (CARLITO / "Carlito-Regular.ttf").exists():
        if os.environ.get("CI"):
            pytest.fail("fonts-crosextra-carlito is not installed: .ci/run must install it")
        pytest.skip("fonts-crosextra-carlito not installed on this machine")
    pytest.importorskip("fontTools")
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    from carlito_table import widths

    upm, regular = widths(CARLITO / "Carlito-Regular.ttf")
    _, bold = widths(CARLITO / "Carlito-Bold.ttf")
    assert upm == font_widths.UNITS_PER_EM
    assert regular == font_widths.REGULAR and bold == font_widths.BOLD


def test_widths_are_proportional_not_a_character_count() -> None:
    assert text_width("WWWWWWWWWW", 9) > 2.5 * text_width("iiiiiiiiii", 9)
    assert text_width("abc", 18) == pytest.approx(2 * text_width("abc", 9))
    assert text_width("Ab", 9, bold=True) > text_width("Ab", 9)
    # Albanian and Serbian letters are in the table (not the wide fallback)
    assert text_width("ë", 9) == pytest.approx(text_width("e", 9), rel=0.05)
    assert text_width("ž", 9) == pytest.approx(text_width("z", 9), rel=0.05)


words = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzëçšžWM0123456789.,;", min_size=1, max_size=30),
    min_size=1,
    max_size=60,
)


@given(words, st.floats(min_value=6, max_value=60))
def test_wrapped_lines_fit_and_keep_every_character(ws: list[str], width: float) -> None:
    text = " ".join(ws)
    lines = wrap(text, column_points(width) - PAD_X, 9)
    assert all(
        text_width(line, 9) <= column_points(width) - PAD_X or len(line) == 1 for line in lines
    )
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


@given(words)
def test_long_text_is_split_into_rows_that_each_fit_409_pt(ws: list[str]) -> None:
    text = " ".join(ws * 20)
    pieces = split_to_fit(text, 12, 9, spacing=PRINT)
    assert all(cell_height(p, 12, 9, spacing=PRINT) <= MAX_ROW_PT for p in pieces)
    assert "".join(pieces).replace(" ", "").replace("\n", "") == text.replace(" ", "")


def test_row_height_grows_with_the_text_and_stops_at_409_pt() -> None:
    short = row_height([("one line", 30)], 9)
    two = row_height([("word " * 15, 30)], 9)
    assert two > short
    assert row_height([("word " * 5000, 10)], 9) == MAX_ROW_PT


def test_libreoffice_columns_are_wider_than_excels() -> None:
    """LibreOffice sizes a column by Calibri's true digit width (about 6 % wider)."""
    assert column_points(30, printed=True) / column_points(30) == pytest.approx(1.06, abs=0.02)


def _reference_wrap(text: str, width_pt: float, size: float, bold: bool = False) -> list[str]:
    """The first, plain implementation of wrap (every candidate line measured whole):
    the faster one must break every text at exactly the same places."""
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in para.split(" "):
            candidate = f"{line} {word}" if line else word
            if text_width(candidate, size, bold) <= width_pt:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            while text_width(word, size, bold) > width_pt and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and text_width(word[:cut], size, bold) > width_pt:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


@given(
    st.text(
        alphabet=st.sampled_from([*"aW il.,ëç  \n", "\u4e2d", "\U0001f600", "-"]),
        max_size=400,
    ),
    st.floats(min_value=5, max_value=600),
    st.sampled_from([7.0, 10.0, 11.0, 13.5]),
    st.booleans(),
)
def test_wrap_breaks_exactly_where_the_plain_algorithm_does(
    text: str, width: float, size: float, bold: bool
) -> None:
    assert wrap(text, width, size, bold) == _reference_wrap(text, width, size, bold)


def test_remembered_heights_equal_measured_ones() -> None:
    """The cache of line counts answers what measuring again answers, for short texts
    (cached) and long ones (measured every time)."""
    from mne_workbook import textmetrics

    short = "Implementation of the activity continued as planned with partners; " * 3
    long = short * 20
    for text in (short, long, short):
        for width, size in ((30.0, 10.0), (12.5, 7.0)):
            want = len(_reference_wrap(text, column_points(width) - PAD_X, size))
            assert textmetrics.lines_needed(text, width, size) == want
    assert textmetrics._lines_cached.cache_info().hits >= 1


def test_no_width_is_negative() -> None:
    """A longer start of a word is never narrower: the premise of breaking a long word by
    bisection (``textmetrics._break_word``)."""
    from mne_workbook import textmetrics

    for table in (font_widths.REGULAR, font_widths.BOLD):
        assert min(table.values()) >= 0
    assert textmetrics._WIDE >= 0


@given(
    st.lists(
        st.tuples(
            st.one_of(
                st.just(""),
                st.text(alphabet=st.sampled_from([*"aW il.\n", "\u4e2d"]), max_size=300),
            ),
            st.floats(min_value=1, max_value=120),
        ),
        max_size=8,
    ),
    st.sampled_from([7.0, 9.0, 14.0]),
    st.sampled_from([15.0, 12.6]),
    st.booleans(),
    st.sampled_from([PRINT, 1.2207]),
)
def test_row_height_is_its_tallest_cell(
    cells: list[tuple[str, float]], size: float, minimum: float, bold: bool, spacing: float
) -> None:
    """Counting lines per cell and measuring the most gives the height of the tallest
    cell measured one by one (``cell_height``), to the bit."""
    need = max((cell_height(t, w, size, bold, spacing) for t, w in cells if t), default=0.0)
    want = min(MAX_ROW_PT, max(minimum, need))
    assert row_height(cells, size, minimum, bold, spacing) == want


def test_a_word_of_twenty_thousand_characters_wraps() -> None:
    """Broken into lines that each fit, keeping every character (this took minutes when
    each line measured every start of the rest of the word)."""
    word = "W" * 10_000 + "i" * 10_000
    width = column_points(30) - PAD_X
    lines = wrap(word, width, 9.0)
    assert "".join(lines) == word
    assert all(text_width(line, 9.0) <= width for line in lines)
    assert len(lines) > 100


@settings(max_examples=600, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from([*"aW il.  \n", "\u4e2d", "-"]),
        max_size=300,
    ),
    st.one_of(st.floats(min_value=-10, max_value=600), st.sampled_from([0.0, 4.5, 5.0])),
    st.sampled_from([7.0, 9.0, 11.0, 13.5]),
    st.booleans(),
)
def test_lines_counted_are_the_lines_wrapped(
    text: str, width: float, size: float, bold: bool
) -> None:
    """``count_lines`` (what row heights use) counts exactly the lines ``wrap`` makes:
    leading, doubled and trailing spaces, empty paragraphs, words wider than the line,
    no room at all."""
    assert count_lines(text, width, size, bold) == len(wrap(text, width, size, bold))
    assert len(wrap(text, width, size, bold)) == len(_reference_wrap(text, width, size, bold))


@given(
    st.lists(
        st.lists(
            st.one_of(
                st.just(""),
                st.sampled_from(["Kosovo Police", "value-missing", "SO1", "A1.1.1"]),
                st.text(alphabet=st.sampled_from([*"aW il.\n ", "\u4e2d"]), max_size=200),
            ),
            max_size=6,
        ),
        max_size=12,
    ),
    st.lists(st.floats(min_value=0.5, max_value=90), min_size=1, max_size=6),
    st.booleans(),
)
def test_rows_remember_what_row_height_measures(
    rows: list[list[str]], widths: list[float], bold: bool
) -> None:
    """``Rows`` (a table's rows, their texts' lines remembered per column) gives each
    row the height ``row_height`` gives it, including texts seen before in another
    column or table."""
    from mne_workbook.textmetrics import Rows

    measure = Rows(widths, 9.0, 12.6, bold=bold, spacing=PRINT)
    again = Rows(list(reversed(widths)), 9.0, 12.6, bold=bold, spacing=PRINT)
    for texts in rows:
        want = row_height(list(zip(texts, widths, strict=False)), 9.0, 12.6, bold, PRINT)
        assert measure.height(texts) == want
        back = list(reversed(widths))
        assert again.height(texts) == row_height(
            list(zip(texts, back, strict=False)), 9.0, 12.6, bold, PRINT
        )
