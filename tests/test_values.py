"""What a typed cell means: numbers, number formats, codes, text escapes.

Properties: every accepted text has exactly one reading and it is the number written;
nothing that two readings fit is accepted."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers import clear_value_caches
from hypothesis import given, settings
from hypothesis import strategies as st

import mne_workbook.values as values
from mne_workbook.locales import SUPPORTED, catalog
from mne_workbook.values import (
    Reading,
    counts_things,
    decode_text,
    number_readings,
    parse_code,
    parse_number,
    parse_text,
    parse_value,
    parse_yes_no,
    read_value,
)
from mne_workbook.vocab import CODED_VOCABULARIES, Measure

FAST = settings(max_examples=300, deadline=None)


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    """Interpret formats and labels afresh in each test: a result cached by an earlier
    test (or, under mutation testing, by the process a mutant's run is forked from)
    would hide a broken rule."""
    clear_value_caches()


def _render(value: int, decimals: str, group: str | None, dec: str) -> str:
    """``value`` (the whole part) and ``decimals`` written with separators."""
    digits = str(value)
    if group:
        parts: list[str] = []
        while digits:
            parts.insert(0, digits[-3:])
            digits = digits[:-3]
        digits = group.join(parts)
    return digits + (dec + decimals if decimals else "")


@FAST
@given(
    whole=st.integers(0, 10**9),
    decimals=st.text("0123456789", max_size=4),
    group=st.sampled_from([None, ".", ",", " ", "'", "\u00a0"]),
    dec=st.sampled_from([".", ","]),
    sign=st.sampled_from(["", "-", "+"]),
)
def test_a_written_number_is_read_as_written_or_refused_as_ambiguous(
    whole: int, decimals: str, group: str | None, dec: str, sign: str
) -> None:
    if group == dec:
        return
    text = sign + _render(whole, decimals, group, dec)
    meant = float(f"{'-' if sign == '-' else ''}{whole}.{decimals or '0'}")
    value, err = parse_number(text)
    if err is None:
        assert value == pytest.approx(meant, rel=1e-12, abs=1e-12), text
        return
    # refused only because a second reading fits: one separator before three digits
    assert err[0] == "ambiguous-number", (text, err)
    assert len(number_readings(text)) == 2


@FAST
@given(st.text("0123456789.,' -+%\u00a0", max_size=14))
def test_any_text_is_read_one_way_or_flagged(text: str) -> None:
    readings = number_readings(text.strip().removesuffix("%"))
    value, err = parse_number(text, percent_ok=True)
    if err is None and value is not None:
        assert isinstance(value, int | float)
        assert len(readings) == 1 and float(value) == pytest.approx(readings.pop())
        # the reading written back with ten decimals (never ambiguous) reads the same
        again = parse_number(f"{float(value):.10f}", percent_ok=True)[0]
        assert again == pytest.approx(value, rel=1e-12, abs=1e-9)
    elif err is not None:
        assert err[0] in ("invalid-number", "ambiguous-number")
        assert (err[0] == "ambiguous-number") == (len(readings) > 1)


@pytest.mark.parametrize(
    ("text", "value", "code"),
    [
        ("1.500", None, "ambiguous-number"),
        ("12,500", None, "ambiguous-number"),
        ("-3.250", None, "ambiguous-number"),
        ("0.500", 0.5, None),
        ("1,5", 1.5, None),
        ("1.500,5", 1500.5, None),
        ("1,000,000", 1000000, None),
        ("1 500", 1500, None),
        ("1'500.25", 1500.25, None),
        ("1 50", None, "invalid-number"),
        ("1,2.5", None, "invalid-number"),
        ("1e3", None, "invalid-number"),
        ("15 persons", None, "invalid-number"),
        ("_x0031__x0032_", 12, None),  # Excel's escapes decoded first
    ],
)
def test_number_texts(text: str, value: object, code: str | None) -> None:
    got, err = parse_number(text)
    assert got == value and (err[0] if err else None) == code


@pytest.mark.parametrize(
    ("raw", "fmt", "measure", "value", "code"),
    [
        (4, "0%", Measure.NUMBER, None, "number-format-mismatch"),  # shows 400 %
        (0.45, "0%", Measure.PERCENTAGE, 45, None),  # typed 45 % in Calc
        (0.455, "0%", Measure.PERCENTAGE, None, "number-format-mismatch"),  # shows 46 %
        (2.5, "0", Measure.NUMBER, None, "number-format-mismatch"),  # shows 3
        (2.5, "0.0", Measure.NUMBER, 2.5, None),
        (1500, "#,##0,", Measure.NUMBER, None, "number-format-mismatch"),  # shows 2
        (45000, "dd/mm/yyyy", Measure.NUMBER, None, "number-format-mismatch"),
        (dt.datetime(2026, 3, 4), "m/d/yyyy", Measure.NUMBER, None, "number-format-mismatch"),
        (7, ";;;", Measure.NUMBER, None, "number-format-mismatch"),  # shows nothing
        (7, '0" persons"', Measure.NUMBER, 7, None),
        (1234.5, "#,##0.00 [$EUR]", Measure.NUMBER, 1234.5, None),
        (12, "General", Measure.NUMBER, 12, None),
        ("45%", "", Measure.NUMBER, None, "number-format-mismatch"),
        ("45 %", "", Measure.PERCENTAGE, 45, None),
        # the accounting style (Excel's comma button; Calc writes it with \-) shows 0 as -
        (0, "[$-409]_-* #,##0_-;\\-* #,##0_-;_-* \\-_-;_-@_-", Measure.NUMBER, 0, None),
        (0, '#,##0;-#,##0;"-"', Measure.NUMBER, 0, None),
        (0, '#,##0;-#,##0;"none"', Measure.NUMBER, None, "number-format-mismatch"),
        (0, "0;-0;;@", Measure.NUMBER, None, "number-format-mismatch"),  # shows nothing
        # a number in a text indicator is the text the person saw
        (0.5, "0%", Measure.TEXT, "50%", None),
        (0.455, "0%", Measure.TEXT, None, "number-format-mismatch"),  # shows 46%
        (2.5, "0", Measure.TEXT, None, "number-format-mismatch"),  # shows 3
        (1500.0, "#,##0", Measure.TEXT, "1500", None),
        (True, "", Measure.TEXT, "TRUE", None),
        (dt.datetime(2026, 7, 15), "dd/mm/yyyy", Measure.TEXT, "2026-07-15", None),
    ],
)
def test_number_formats_that_change_what_was_seen(
    raw: object, fmt: str, measure: Measure, value: object, code: str | None
) -> None:
    r = read_value(raw, measure, number_format_code=fmt)
    assert r.value == value and (r.error[0] if r.error else None) == code, r


def test_plausibility_warnings_keep_the_value() -> None:
    r = read_value("2,5", Measure.NUMBER, counted=True)
    assert r.value == 2.5 and [w[0] for w in r.warnings] == ["fraction-on-count"]
    r = read_value(0.45, Measure.PERCENTAGE)
    assert r.value == 0.45 and [w[0] for w in r.warnings] == ["percentage-as-fraction"]
    assert read_value(0, Measure.PERCENTAGE).warnings == ()  # zero percent is a real answer
    assert read_value(1, Measure.PERCENTAGE).warnings[0][0] == "percentage-as-fraction"
    assert read_value(2.5, Measure.NUMBER, counted=False).warnings == ()


@pytest.mark.parametrize(
    ("unit", "text", "counted"),
    [
        ("persons", "", True),
        ("sessions", "", True),
        ("EUR", "", False),
        ("hours", "", False),
        ("days per case", "", False),
        (None, "No. of victims identified", True),
        (None, "Average time to identify", False),
    ],
)
def test_what_counts_whole_things(unit: str | None, text: str, counted: bool) -> None:
    assert counts_things(Measure.NUMBER, unit, text) is counted


def _labels(vocab: str) -> list[tuple[int, str]]:
    return [
        (int(c), str(label)) for lang in SUPPORTED for c, label in catalog(lang).data[vocab].items()
    ]


@FAST
@given(
    vocab=st.sampled_from(sorted(CODED_VOCABULARIES)),
    data=st.data(),
    sep=st.sampled_from([" - ", " – ", ". ", ": ", ") ", " "]),
)
def test_a_code_with_a_label_is_read_only_when_they_agree(
    vocab: str, data: st.DataObject, sep: str
) -> None:
    code = data.draw(st.sampled_from(CODED_VOCABULARIES[vocab]))
    own, label = data.draw(st.sampled_from(_labels(vocab)))
    value, err = parse_code(f"{code}{sep}{label}", vocab)
    if own == code:
        assert (value, err) == (code, None)
    else:
        assert value is None and err is not None and err[0] == "code-label-conflict"


@FAST
@given(
    raw=st.one_of(
        st.integers(-5, 12),
        st.floats(-5, 12, allow_nan=False),
        st.text("0123456789.,- ", max_size=5),
    )
)
def test_a_number_is_a_code_only_when_whole_and_in_range(raw: object) -> None:
    value, err = parse_code(raw, "status")
    if err is None and value is not None:
        assert isinstance(value, int) and value in CODED_VOCABULARIES["status"]
        assert isinstance(raw, str | int | float)
        readings = number_readings(raw) if isinstance(raw, str) else {float(raw)}
        assert readings == {float(value)}


@pytest.mark.parametrize(
    ("raw", "value", "code"),
    [
        ("4 - Has started", None, "code-label-conflict"),
        ("3 - Has started", 3, None),
        ("3 - Ka filluar", 3, None),
        ("1 - Hasn’t started", 1, None),  # a typographic apostrophe
        ("3 - Experiencing difficulties", None, "code-label-conflict"),  # status has no such
        (3.7, None, "invalid-code"),
        ("3.7", None, "invalid-code"),
        ("1-4", None, "invalid-code"),
        ("9", None, "invalid-code"),
        ("Has started", 3, None),
        ("started", None, "invalid-code"),  # synonyms are not guessed
        (True, None, "invalid-code"),
    ],
)
def test_status_entries(raw: object, value: object, code: str | None) -> None:
    got, err = parse_code(raw, "status")
    assert got == value and (err[0] if err else None) == code, err


def test_a_rating_must_be_whole() -> None:
    assert parse_code(2.5, "rating")[1][0] == "invalid-code"  # type: ignore[index]
    assert parse_code("3 - Experiencing", "rating") == (3, None)  # the label's first words


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("a_x000B_b", "a\nb"),  # a line break pasted from Word
        ("a_x000D__x000A_b", "a\nb"),
        ("a_x000b_b", "a\nb"),  # LibreOffice writes lower case
        ("a_x0007_b", "ab"),  # control characters are dropped
        ("a_x005F_x000B_b", "a_x000B_b"),  # an escaped underscore is text
        ("_xD83D__xDE00_", "\U0001f600"),
        ("tab\tstays", "tab\tstays"),
    ],
)
def test_excel_escapes_are_decoded_before_anything_else(raw: str, want: str) -> None:
    assert decode_text(raw) == want


@FAST
@given(
    st.floats(min_value=0, max_value=1, allow_nan=False).map(lambda x: round(x, 4)),
    st.sampled_from(["0%", "0.0%", "0.00%", "0.000%"]),
)
def test_a_text_indicator_reads_a_percentage_as_shown_or_flags_it(x: float, fmt: str) -> None:
    """What a text cell says is what the % format showed, or the cell is flagged."""
    r = read_value(x, Measure.TEXT, number_format_code=fmt)
    decimals = len(fmt) - 2 - (1 if "." in fmt else 0)
    if r.error:
        assert r.error[0] == "number-format-mismatch"
        assert round(x * 100, decimals) != round(x * 100, 10)  # digits were hidden
    else:
        assert isinstance(r.value, str) and r.value.endswith("%")
        assert float(r.value[:-1]) == pytest.approx(x * 100, abs=1e-9)


# --------------------------------------------------------------------------- what people read


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("1.500", ("ambiguous-number", "'1.500' can be read as 1.5 or 1500")),
        ("-3.250", ("ambiguous-number", "'-3.250' can be read as -3.25 or -3250")),
        ("1e3", ("invalid-number", "'1e3' is not a number")),
        (True, ("invalid-number", "True is not a number")),
        (float("nan"), ("invalid-number", "nan is not a number")),
        (float("inf"), ("invalid-number", "inf is not a number")),
        (
            "45%",
            (
                "number-format-mismatch",
                "'45%' is a percentage but the indicator counts; which did you mean, 45 or 0.45?",
            ),
        ),
        (
            4,  # with the % format applied (below)
            (
                "number-format-mismatch",
                "holds 4 but its % number format '0%' shows 400 %: which did you mean, 4 or 400?",
            ),
        ),
        (
            dt.date(2026, 3, 4),
            (
                "number-format-mismatch",
                "shows the date or time 2026-03-04 (the cell has a date format '?');"
                " a number was expected",
            ),
        ),
        (
            dt.time(9, 30),
            (
                "number-format-mismatch",
                "shows the date or time 09:30:00 (the cell has a date format '?');"
                " a number was expected",
            ),
        ),
        (
            dt.timedelta(hours=30),
            (
                "number-format-mismatch",
                "shows the date or time 1 day, 6:00:00 (the cell has a date format '?');"
                " a number was expected",
            ),
        ),
    ],
)
def test_number_messages(raw: object, want: tuple[str, str]) -> None:
    fmt = "0%" if raw == 4 else ""
    assert parse_number(raw, number_format_code=fmt) == (None, want)


def test_long_texts_and_formats_are_shortened_in_messages() -> None:
    # a typed text: up to 60 characters shown whole, longer ones as 57 and "..."
    for n in (59, 60):
        assert parse_number("x" * n)[1] == ("invalid-number", f"{'x' * n!r} is not a number")
    assert parse_number("x" * 61)[1] == ("invalid-number", f"'{'x' * 57}...' is not a number")
    # a number format: up to 40 characters
    fmt40 = '0" persons and some more words here...."'
    fmt41 = '0" persons and some more words here....."'
    assert (len(fmt40), len(fmt41)) == (40, 41)
    assert parse_number(2.5, number_format_code=fmt40)[1] == (
        "number-format-mismatch",
        f"holds 2.5 but its number format {fmt40!r} shows 3",
    )
    assert parse_number(2.5, number_format_code=fmt41)[1] == (
        "number-format-mismatch",
        f"holds 2.5 but its number format {fmt41[:37] + '...'!r} shows 3",
    )
    date41 = 'dddd", "d" "mmmm" "yyyy" "at" hh:mm:ss AM'
    assert len(date41) == 41
    assert parse_number(45000, number_format_code=date41)[1] == (
        "number-format-mismatch",
        f"holds 45000 but its date format {date41[:37] + '...'!r} shows it as a date",
    )
    assert parse_number(dt.date(2026, 3, 4), number_format_code=date41)[1] == (
        "number-format-mismatch",
        f"shows the date or time 2026-03-04 (the cell has a date format {date41[:37] + '...'!r});"
        " a number was expected",
    )


def test_defaults_read_a_plain_count() -> None:
    """Without a number format a stored number is read as it is; without ``percent_ok``
    a percentage is not a count's meaning."""
    assert parse_number(2.5) == (2.5, None)
    assert parse_number(1500) == (1500, None)
    assert parse_number("45%")[1][0] == "number-format-mismatch"  # type: ignore[index]
    assert parse_number("45%", percent_ok=True) == (45, None)
    assert parse_number(0.45, number_format_code="0%")[1][0] == "number-format-mismatch"  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("\u22125", -5),  # a typographic minus (Word, web pages)
        ("1\u2019500", 1500),  # a typographic apostrophe as the Swiss group separator
        ("1\u00a0500", 1500),  # a no-break space (Calc's French and Albanian groups)
        ("1\u202f500,5", 1500.5),  # a narrow no-break space
        ("  7 ", 7),
        ("+7", 7),
        (",5", 0.5),
        ("5.", 5),
    ],
)
def test_numbers_as_people_paste_them(text: str, value: float) -> None:
    assert parse_number(text) == (value, None)


@pytest.mark.parametrize("text", ["\u0661\u0665", "\uff11\uff15", "\u00b9", "1\n2", "--5", "5-"])
def test_other_digits_and_signs_are_not_guessed(text: str) -> None:
    """Only the digits 0-9 are read (Arabic-Indic or full-width digits are refused,
    which Python's float() would accept)."""
    got, err = parse_number(text)
    assert got is None and err is not None and err[0] == "invalid-number"
    assert number_readings(text) == set()


@pytest.mark.parametrize(
    ("raw", "vocab", "want"),
    [
        (3, "status", (3, None)),
        ("3", "status", (3, None)),
        (" 3 ", "status", (3, None)),
        (3.0, "status", (3, None)),
        ("Has started.", "status", (3, None)),  # a final full stop
        ("HAS  STARTED", "status", (3, None)),
        ("1 - Hasn\u2018t started", "status", (1, None)),  # the quote marks Word makes
        ("1 - Hasn\u02bct started", "status", (1, None)),
        ("1 - Hasn't started.", "status", (1, None)),
        ("Nuk ka filluar", "status", (1, None)),
        ("Završeno", "status", (4, None)),
        ("3) Quarterly", "frequency", (3, None)),
        ("2: Difficulties encountered", "rating", (2, None)),
        (
            "1.000",
            "status",
            (None, ("invalid-code", "'1.000' is not one of the status codes [1, 2, 3, 4]")),
        ),
        (
            "1,000",
            "status",
            (None, ("invalid-code", "'1,000' is not one of the status codes [1, 2, 3, 4]")),
        ),
        (
            "3.7",
            "status",
            (
                None,
                ("invalid-code", "'3.7' is not a whole code: the status codes are [1, 2, 3, 4]"),
            ),
        ),
        (
            3.7,
            "status",
            (
                None,
                ("invalid-code", "'3.7' is not a whole code: the status codes are [1, 2, 3, 4]"),
            ),
        ),
        (
            "9",
            "status",
            (None, ("invalid-code", "'9' is not in range: the status codes are [1, 2, 3, 4]")),
        ),
        (
            9.0,
            "status",
            (None, ("invalid-code", "'9' is not in range: the status codes are [1, 2, 3, 4]")),
        ),
        (
            4,
            "rating",
            (None, ("invalid-code", "'4' is not in range: the rating codes are [1, 2, 3]")),
        ),
        ("1-4", "status", (None, ("invalid-code", "'1-4' is not one code (one of [1, 2, 3, 4])"))),
        (
            "3 - 4",
            "status",
            (None, ("invalid-code", "'3 - 4' is not one code (one of [1, 2, 3, 4])")),
        ),
        (
            "5 - x",
            "status",
            (None, ("invalid-code", "'5 - x': 5 is not one of the codes [1, 2, 3, 4]")),
        ),
        (
            "started",
            "status",
            (None, ("invalid-code", "'started' is not one of the status codes [1, 2, 3, 4]")),
        ),
        (
            True,
            "status",
            (None, ("invalid-code", "'True' is not one of the status codes [1, 2, 3, 4]")),
        ),
        (
            dt.date(2026, 1, 2),
            "status",
            (None, ("invalid-code", "'2026-01-02' is not one of the status codes [1, 2, 3, 4]")),
        ),
        (
            "\u0663 - Has started",
            "status",
            (
                None,
                (
                    "invalid-code",
                    "'\u0663 - Has started' is not one of the status codes [1, 2, 3, 4]",
                ),
            ),
        ),
        (
            "4 - Has started",
            "status",
            (
                None,
                (
                    "code-label-conflict",
                    "'4 - Has started': the code says 4 (It is completed), the label is that"
                    " of 3 (Has started)",
                ),
            ),
        ),
        (
            "3 - Has startd",
            "status",
            (
                None,
                (
                    "code-label-conflict",
                    "'3 - Has startd': the code says 3 (Has started), the label is not a label"
                    " of any code in en/sq/sr",
                ),
            ),
        ),
        (
            "1 - Ka filluar",
            "status",
            (
                None,
                (
                    "code-label-conflict",
                    "'1 - Ka filluar': the code says 1 (Hasn't started), the label is that"
                    " of 3 (Has started)",
                ),
            ),
        ),
    ],
)
def test_code_entries_and_their_messages(raw: object, vocab: str, want: object) -> None:
    assert parse_code(raw, vocab) == want


def test_a_conflict_names_every_code_the_label_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """No label is two codes' today; should a translation make one so, the message
    names both, with the first one's English label."""
    monkeypatch.setattr(values, "_labels", lambda vocab: {"shared": frozenset({3, 1})})
    assert parse_code("2 - Shared", "status") == (
        None,
        (
            "code-label-conflict",
            "'2 - Shared': the code says 2 (In continuum), the label is that of 1 or 3"
            " (Hasn't started)",
        ),
    )


def test_a_code_cell_keeps_its_number_format() -> None:
    assert parse_code(45000, "status", number_format_code="dd/mm/yyyy") == (
        None,
        ("invalid-code", "status: holds 45000 but its date format 'dd/mm/yyyy' shows it as a date"),
    )
    assert parse_code(3, "status", number_format_code="0%") == (
        None,
        (
            "invalid-code",
            "status: holds 3 but its % number format '0%' shows 300 %: which did you mean,"
            " 3 or 300?",
        ),
    )
    assert parse_code(3, "status") == (3, None)  # no format: General


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        (True, (True, None)),
        (False, (False, None)),
        (1, (True, None)),
        (0, (False, None)),
        (1.0, (True, None)),
        (0.0, (False, None)),  # a reader may give a stored 0 as a float
        ("Po", (True, None)),
        ("ne", (False, None)),
        ("TRUE", (True, None)),
        (" yes ", (True, None)),
        ("0", (False, None)),
        (2, (None, ("invalid-yes-no", "'2' is not Yes or No"))),
        (-1, (None, ("invalid-yes-no", "'-1' is not Yes or No"))),
        ("maybe", (None, ("invalid-yes-no", "'maybe' is not Yes or No"))),
        (None, (None, None)),
    ],
)
def test_yes_no(raw: object, want: object) -> None:
    assert parse_yes_no(raw) == want


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        (False, "FALSE"),
        (True, "TRUE"),
        (dt.datetime(2026, 7, 15, 13, 30), "2026-07-15 13:30:00"),
        (dt.datetime(2026, 7, 15), "2026-07-15"),
        (dt.date(2026, 7, 15), "2026-07-15"),
        (dt.time(9, 5), "09:05:00"),
        ("a_x000D_b", "a\nb"),
        ("x" * 2000, "x" * 2000),
    ],
)
def test_text_as_seen(raw: object, want: str) -> None:
    assert parse_text(raw) == (want, None)


def test_text_over_the_limit_is_refused() -> None:
    assert parse_text("x" * 2001) == (None, ("text-too-long", "2001 characters; the limit is 2000"))


@pytest.mark.parametrize(
    ("raw", "measure", "value", "error", "warnings"),
    [
        (None, Measure.NUMBER, None, None, ()),
        ("  ", Measure.PERCENTAGE, None, None, ()),
        (100, Measure.PERCENTAGE, 100, None, ()),
        (100.5, Measure.PERCENTAGE, None, ("out-of-range", "100.5 is more than 100%"), ()),
        (-1, Measure.NUMBER, None, ("out-of-range", "-1 is negative"), ()),
        ("-0,5", Measure.PERCENTAGE, None, ("out-of-range", "-0.5 is negative"), ()),
        (1.5, Measure.PERCENTAGE, 1.5, None, ()),
        (
            0.45,
            Measure.PERCENTAGE,
            0.45,
            None,
            (
                (
                    "percentage-as-fraction",
                    "0.45 % read; if 0.45 was meant as a share, that is 45 %",
                ),
            ),
        ),
        (
            1,
            Measure.PERCENTAGE,
            1,
            None,
            (("percentage-as-fraction", "1 % read; if 1 was meant as a share, that is 100 %"),),
        ),
        ("x", Measure.NUMBER, None, ("invalid-number", "'x' is not a number"), ()),
        ("Po", Measure.YES_NO, True, None, ()),
    ],
)
def test_read_value(
    raw: object, measure: Measure, value: object, error: object, warnings: object
) -> None:
    assert read_value(raw, measure) == Reading(value, error, warnings)  # type: ignore[arg-type]


def test_fraction_on_count_message() -> None:
    assert read_value(2.5, Measure.NUMBER, counted=True).warnings == (
        ("fraction-on-count", "2.5 is not a whole number of what it counts"),
    )
    assert read_value(3, Measure.NUMBER, counted=True).warnings == ()
    assert read_value("3,0", Measure.NUMBER, counted=True).warnings == ()


@pytest.mark.parametrize(
    ("measure", "unit", "text", "counted"),
    [
        (Measure.PERCENTAGE, "persons", "Number of persons", False),
        (Measure.TEXT, None, "Number of persons", False),
        (Measure.NUMBER, None, "Victims identified", False),  # no count word
        (Measure.NUMBER, None, "Number of days per case", False),
        (Measure.NUMBER, None, "Numri i viktimave", True),
        (Measure.NUMBER, None, "Broj žrtava", True),
        (Measure.NUMBER, "  ", "# of sessions held", True),  # was missed: no \b after #
        (Measure.NUMBER, None, "#victims", True),
        (Measure.NUMBER, None, "Nr. of cases", True),
        (Measure.NUMBER, None, "Notes on cases", False),
        (Measure.NUMBER, None, "Numbered cases", False),
        (Measure.NUMBER, None, "", False),
    ],
)
def test_what_counts_whole_things_by_measure_and_text(
    measure: Measure, unit: str | None, text: str, counted: bool
) -> None:
    assert counts_things(measure, unit, text) is counted
    if measure is Measure.NUMBER and not unit:
        assert counts_things(measure, unit) is False  # no unit, no text: not a count


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("a\rb", "a\nb"),  # an old Mac line end
        ("a\u2028b\u2029c", "a\nb\nc"),  # Unicode line and paragraph separators
        ("a_xD800_b", "ab"),  # a lone surrogate half is dropped
        ("a_xDE00__xD83D_b", "ab"),  # halves in the wrong order: both dropped
        ("_X0031_", "_X0031_"),  # not an escape: the x is lower case in ECMA-376
    ],
)
def test_more_escapes_and_line_breaks(raw: str, want: str) -> None:
    assert decode_text(raw) == want


@pytest.mark.parametrize(
    ("raw", "measure", "fmt", "want"),
    [
        ("2,5", Measure.NUMBER, "", (2.5, None)),  # warnings are not its business
        (2.5, Measure.NUMBER, "", (2.5, None)),
        (0.45, Measure.PERCENTAGE, "0%", (45, None)),
        (4, Measure.NUMBER, "0%", (None, "number-format-mismatch")),
        ("Jo", Measure.YES_NO, "", (False, None)),
    ],
)
def test_parse_value_is_read_value_without_warnings(
    raw: object, measure: Measure, fmt: str, want: tuple[object, str | None]
) -> None:
    value, err = parse_value(raw, measure, number_format_code=fmt)
    assert (value, err[0] if err else None) == want
    if not fmt:
        assert parse_value(raw, measure)[0] == want[0]  # no format: General
