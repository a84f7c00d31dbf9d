"""What a number format shows, and whether the cell is read: LibreOffice's own displays.

The rule (``values.parse_number``): a stored number is read only when its cell shows that
number; when the format hides digits, scales it, turns it into a date or shows a text,
the cell is flagged ``number-format-mismatch`` and the message says what the person saw.

Where the ``shows`` column came from: LibreOffice 7.4.7.2 Calc, computed once. An .xlsx
holding each value in each format (written by openpyxl, ``cell.number_format = fmt``) was
converted with ``soffice --headless --convert-to 'csv:Text - txt - csv (StarCalc):44,34,76,1,,
0,false,true,true'`` (the 9th option: save cell contents as shown). The values' reading
follows from the display and the ECMA-376 number-format rules (sections ``pos;neg;zero;text``,
``%`` x100, a trailing ``,`` /1000, ``?/?`` the nearest fraction with a one-digit denominator,
``?/4`` quarters, quoted and ``\\``-escaped text is literal, half away from zero).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from helpers import clear_value_caches
from hypothesis import given, settings
from hypothesis import strategies as st

from mne_workbook.values import parse_number, parse_text, read_value
from mne_workbook.vocab import Measure


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    """Interpret formats and labels afresh in each test: a result cached by an earlier
    test (or, under mutation testing, by the process a mutant's run is forked from)
    would hide a broken rule."""
    clear_value_caches()


ACCOUNTING = '_-* #,##0_-;-* #,##0_-;_-* "-"_-;_-@_-'  # Excel's comma style

# (format, stored value, what LibreOffice shows, the value read or None when flagged)
SHOWN: list[tuple[str, float, str, float | None]] = [
    # digits hidden by rounding (half away from zero, as shown)
    ("0", 2.5, "3", None),
    ("0", 1500, "1500", 1500),
    ("0", 2.0000000001, "2", 2.0000000001),  # below the tenth decimal: noise, read
    ("0.0", 2.25, "2.3", None),
    ("0.0", 0.0625, "0.1", None),
    ("0.00", 0.455, "0.46", None),
    ("0.00", 2.25, "2.25", 2.25),
    ("0.000", 1.0005, "1.001", None),
    ("0.0", 0.15, "0.2", None),  # 0.15 is 0.1499999... in binary; shown as typed, half up
    ("0.00", 1.005, "1.01", None),
    ("0.00", 8.345, "8.35", None),
    ("#,##0", 12345, "12,345", 12345),
    ("#,##0.00", 1234.5678, "1,234.57", None),
    ('0" persons"', 1500, "1500 persons", 1500),
    ('0.0 "km"', 2.25, "2.3 km", None),
    ("#,##0.00 [$EUR]", 1234.5678, "1,234.57 EUR", None),
    ("#,##0.00 [$EUR]", 1234.5, "1,234.50 EUR", 1234.5),
    ("General", 0.455, "0.455", 0.455),
    ("@", 2.5, "2.5", 2.5),
    # a trailing comma shows thousands: never the number typed
    ("#,##0,", 1500, "2", None),
    ("#,##0,", 1234.5678, "1", None),
    ("0.0,", 1500, "1.5", None),
    ('#,##0.0,"k"', 12345, "12.3k", None),
    ("#,##0,,", 1234.5678, "0", None),
    # a quoted or escaped % is text, not a percent format
    ('0"%"', 45, "45%", 45),
    ("0\\%", 1500, "1500%", 1500),
    ('0.0"%"', 0.45, "0.5%", None),
    # scientific
    ("0.00E+00", 12345, "1.23E+04", None),
    ("0.00E+00", 12000, "1.20E+04", 12000),
    ("0.00E+00", 0.012345, "1.23E-02", None),
    ("0.00E+00", 0.0625, "6.25E-02", 0.0625),
    ("0.0E+0", 2.25, "2.3E+0", None),
    ("0.0E+0", 12345, "1.2E+4", None),
    ("0.00E+00", -2.5, "-2.50E+00", -2.5),
    ("0.00E+00", 9.996, "1.00E+01", None),
    ("0.00E+00", 99.96, "1.00E+02", None),
    ("0.00E+00", -0.0009996, "-1.00E-03", None),
    ("0.00E+00", 1.2345, "1.23E+00", None),
    # fractions: the nearest with a one-, two-digit or fixed denominator
    ("# ?/?", 2.5, "2 1/2", 2.5),
    ("# ?/?", 0.45, " 4/9", None),
    ("# ?/?", 0.0625, " 1/9", None),
    ("?/?", 0.45, "4/9", None),
    ("?/?", 2.5, "5/2", 2.5),
    ("# ??/??", 0.45, "  9/20", 0.45),
    ("# ??/??", 0.455, "  5/11", None),
    ("# ??/??", 0.01, "  1/99", None),
    ("# ??/??", 0.0625, "  1/16", 0.0625),
    ("# ?/4", 2.25, "2 1/4", 2.25),
    ("# ?/4", 0.3, " 1/4", None),
    # sections: positive;negative;zero;text
    ('0;-0;"zero"', 0, "zero", None),
    ('0;-0;"zero"', 1500, "1500", 1500),
    ('0.00;-0.00;"zero"', 0.45, "0.45", 0.45),
    ('0.00;-0.00;"zero"', 1.5, "1.50", 1.5),
    ('"a;b"0', 1500, "a;b1500", 1500),  # a quoted ; does not start a section
    ('"x"\\;0', 1500, "x;1500", 1500),  # nor does an escaped one
    (";;;", 7, "", None),
    ("0;;", 0, "", None),
    ("0;-0;;@", 0, "", None),
    ('0;-0;"n"\\/"a"', 0, "n/a", None),  # two literal pieces, shown together
    ("0;[Red]", -3, "", None),  # a section of a colour alone shows nothing
    ("0;@", -3, "-3", -3),  # a text section for negatives: shown as General
    ('"x"@', 1500, "1500", 1500),  # one text section: numbers shown as General
    ("[Red]General", 2.5, "2.5", 2.5),
    ("#,##0_);(#,##0)", 0, "0 ", 0),  # two sections: zero takes the first
    ("#,##0;-#,##0;-", 0, "-", 0),  # an unquoted dash for zero
    ("GENERAL", 2.5, "2.5", 2.5),
    (ACCOUNTING, 0, " - ", 0),
    (ACCOUNTING, 1500, " 1,500 ", 1500),
    ("#,##0_);(#,##0)", 1500, "1,500 ", 1500),
    # dates and times
    ("dd/mm/yyyy", 1500, "08/02/1904", None),
    ("DD/MM/YYYY", 45000, "15/03/2023", None),  # the letters in either case
    ("[h]:mm", 0.5, "12:00", None),
    ("mm:ss", 0.45, "48:00", None),
]


@pytest.mark.parametrize(("fmt", "value", "shows", "read"), SHOWN)
def test_a_number_is_read_only_when_its_cell_shows_it(
    fmt: str, value: float, shows: str, read: float | None
) -> None:
    got, err = parse_number(value, number_format_code=fmt)
    if read is not None:
        assert (got, err) == (read, None)
        return
    assert got is None and err is not None and err[0] == "number-format-mismatch", err
    assert _seen(shows) in err[1], (_seen(shows), err)


def _seen(shows: str) -> str:
    """The number in LibreOffice's display as the message writes it: without group
    commas, unit text or padding; a display without digits as the format's text."""
    if not any(c.isdigit() for c in shows):
        return repr(shows or "(nothing)")
    if shows.count("/") == 2 or ":" in shows:  # a date or a time: the message says so
        return "shows it as a date"
    shows = shows.replace(",", "").strip()
    for unit in (" km", "k", "%", " EUR"):
        shows = shows.removesuffix(unit)
    return shows.split(" ")[-1]  # a fraction's part: 2 1/2 -> 1/2


@pytest.mark.parametrize(
    ("fmt", "value", "message"),
    [
        ("0", 2.5, "holds 2.5 but its number format '0' shows 3"),
        ("0.0", 2.25, "holds 2.25 but its number format '0.0' shows 2.3"),
        ("0.00", 0.455, "holds 0.455 but its number format '0.00' shows 0.46"),
        ("#,##0,", 1500, "holds 1500 but its number format '#,##0,' shows it in thousands: 2"),
        ("0.0,", 1500, "holds 1500 but its number format '0.0,' shows it in thousands: 1.5"),
        (
            '#,##0, "k"',  # Calc shows "2 k": the comma before a space still scales
            1500,
            "holds 1500 but its number format '#,##0, \"k\"' shows it in thousands: 2",
        ),
        ("0;-", -3, "holds -3 but its number format '0;-' shows '-'"),  # Calc shows "-"
        ("0.00E+00", 12345, "holds 12345 but its number format '0.00E+00' shows 1.23E+04"),
        ("0.00E+00", 0.012345, "holds 0.012345 but its number format '0.00E+00' shows 1.23E-02"),
        ("# ?/?", 0.45, "holds 0.45 but its number format '# ?/?' shows about 4/9"),
        ("# ??/??", 0.455, "holds 0.455 but its number format '# ??/??' shows about 5/11"),
        ("# ??/??", 0.01, "holds 0.01 but its number format '# ??/??' shows about 1/99"),
        ("# ?/4", 0.3, "holds 0.3 but its number format '# ?/4' shows about 1/4"),
        ('0;-0;"zero"', 0, "holds 0 but its number format '0;-0;\"zero\"' shows 'zero'"),
        (";;;", 7, "holds 7 but its number format ';;;' shows '(nothing)'"),
        ("0;;", 0, "holds 0 but its number format '0;;' shows '(nothing)'"),
        ("dd/mm/yyyy", 1500, "holds 1500 but its date format 'dd/mm/yyyy' shows it as a date"),
        # elapsed time alone: LibreOffice shows 0.5 as 12 ([h]) and 43200 ([ss]); the
        # message said "shows '(nothing)'" before the elapsed check came first
        ("[h]", 0.5, "holds 0.5 but its date format '[h]' shows it as a date"),
        ("[H]", 0.5, "holds 0.5 but its date format '[H]' shows it as a date"),
        ("[ss]", 0.5, "holds 0.5 but its date format '[ss]' shows it as a date"),
        # negatives (a baseline may be negative): the second section shows them
        ('0;"neg"', -3, "holds -3 but its number format '0;\"neg\"' shows 'neg'"),
        (
            '0.0;"neg;ative"',
            -2.5,
            "holds -2.5 but its number format '0.0;\"neg;ative\"' shows 'neg;ative'",
        ),
        ('0\\;0;"minus"', -3, "holds -3 but its number format '0\\\\;0;\"minus\"' shows 'minus'"),
        ("0;;", -3, "holds -3 but its number format '0;;' shows '(nothing)'"),
    ],
)
def test_the_message_says_what_the_cell_shows(fmt: str, value: float, message: str) -> None:
    assert parse_number(value, number_format_code=fmt) == (
        None,
        ("number-format-mismatch", message),
    )


def test_a_lower_case_exponent_is_scientific_too() -> None:
    # Calc shows 12345 in 0.00e+00 as 1.23e+04 (the message writes E)
    assert parse_number(12345, number_format_code="0.00e+00") == (
        None,
        ("number-format-mismatch", "holds 12345 but its number format '0.00e+00' shows 1.23E+04"),
    )
    assert parse_number(12000, number_format_code="0.00e+00") == (12000, None)


def test_a_negative_number_in_its_own_section_is_read() -> None:
    # LibreOffice shows -2.5 in 0.00;-0.00;"zero" as -2.50, and -1500 in #,##0_);(#,##0) as (1,500)
    assert parse_number(-2.5, number_format_code='0.00;-0.00;"zero"') == (-2.5, None)
    assert parse_number(-1500, number_format_code="#,##0_);(#,##0)") == (-1500, None)
    # an indicator value cannot be negative, whatever its format shows
    assert read_value(-2.5, Measure.NUMBER, number_format_code="0.00;[Red]-0.00").error == (
        "out-of-range",
        "-2.5 is negative",
    )


def test_digits_below_the_tenth_decimal_are_noise() -> None:
    """Readings keep ten decimals; below that a stored number is float noise, never a
    hidden digit (LibreOffice shows 1e-11 in ``0`` as 0, and it is read as 0)."""
    assert parse_number(1e-11, number_format_code="0") == (0, None)
    # a pasted calculation's float noise: 0.1 + 0.2 - 0.3 is 5.55e-17, which LibreOffice
    # shows as 0 in these formats (same conversion as above)
    noise = 0.1 + 0.2 - 0.3
    for fmt in ("0", "0.00", "# ?/?"):
        assert parse_number(noise, number_format_code=fmt) == (0, None), fmt
    assert parse_number(0.07 * 100) == (7, None)
    assert parse_number(0.455, number_format_code="0.0%", percent_ok=True) == (45.5, None)


@pytest.mark.parametrize(
    ("fmt", "raw", "text"),
    [
        # what LibreOffice shows (same conversion as above)
        ("0%;-0.0;0", 0.5, "50%"),
        ("0%;-0.0;0", -0.5, "-0.5"),
        ("0%;-0.0;0", 0, "0"),
        ("0%;-0%;0", 0.5, "50%"),
        ("0%;-0%;0", 0, "0"),
        ("0%;-0%;0", -0.5, "-50%"),
        ("0.0%", 0.45, "45%"),  # shown 45.0%: the number, not its trailing zero
        ("General", 5, "5"),
        ("", 2.5, "2.5"),
    ],
)
def test_a_number_in_a_text_indicator_is_the_text_the_person_saw(
    fmt: str, raw: float, text: str
) -> None:
    assert parse_text(raw, number_format_code=fmt) == (text, None)
    assert read_value(raw, Measure.TEXT, number_format_code=fmt).value == text


def test_no_format_is_general() -> None:
    assert parse_number(2.5) == (2.5, None)
    assert parse_number(1234.5678) == (1234.5678, None)
    assert parse_text(5) == ("5", None)
    assert parse_text(0.125) == ("0.125", None)


@settings(max_examples=200, deadline=None)
@given(
    hundredths=st.integers(0, 10**6),
    decimals=st.integers(0, 3),
)
def test_a_fixed_decimal_format_reads_exactly_the_numbers_it_shows_in_full(
    hundredths: int, decimals: int
) -> None:
    """``0.00``-style formats: a number with no more decimals than the format shows is
    read as typed; one with more is flagged, and the message shows it rounded half up."""
    value = hundredths / 100
    fmt = "0." + "0" * decimals if decimals else "0"
    got, err = parse_number(value, number_format_code=fmt)
    if round(value * 10**decimals, 6).is_integer():
        assert (got, err) == (value if value % 1 else int(value), None)
    else:
        assert got is None and err is not None
        shown = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
        assert err[1].endswith(f"shows {shown}")


def test_a_date_cell_is_not_a_number() -> None:
    assert parse_number(dt.datetime(2026, 3, 4), number_format_code="m/d/yyyy") == (
        None,
        (
            "number-format-mismatch",
            "shows the date or time 2026-03-04T00:00:00 (the cell has a date format"
            " 'm/d/yyyy'); a number was expected",
        ),
    )
