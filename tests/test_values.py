"""What a typed cell means: numbers, number formats, codes, text escapes.

Properties: every accepted text has exactly one reading and it is the number written;
nothing that two readings fit is accepted."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mne_workbook.locales import SUPPORTED, catalog
from mne_workbook.values import (
    counts_things,
    decode_text,
    number_readings,
    parse_code,
    parse_number,
    read_value,
)
from mne_workbook.vocab import CODED_VOCABULARIES, Measure

FAST = settings(max_examples=300, deadline=None)


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
