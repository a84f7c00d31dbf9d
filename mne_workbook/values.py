"""Turn what a person typed or picked in a cell into a value, in any supported language.

The rule: a cell means what the person saw in it, or it is flagged. Every parser works
on plain values (what the file stores: number, text, date, bool) and the cell's number
format string, never on a spreadsheet library's objects, so that any reader gives the
same readings.

Every parser returns ``(value, error)``: ``value`` is None for a blank cell (blank is
not zero) or an invalid one; ``error`` is a (code, message) pair for an invalid one.
:func:`read_value` also returns warnings (the value is used, the cell is flagged).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache

from .locales import SUPPORTED, catalog
from .vocab import CODED_VOCABULARIES, Measure

Parsed = tuple[object | None, tuple[str, str] | None]
TEXT_LIMIT = 2000


# --------------------------------------------------------------------------- text


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0c\x0e-\x1f\x7f-\x9f]")


def decode_text(text: str) -> str:
    """Decode ECMA-376 ``_xHHHH_`` escapes (``_x005F_`` is a literal underscore).

    Line breaks (CR LF, CR, vertical tab from Word, U+2028/2029) become ``\\n``; other
    control characters are dropped; tabs stay.
    """
    if "_x" in text or "_X" in text:
        text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
        if _SURROGATE.search(text):  # a pair makes one character; a lone half is dropped
            text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    return _CONTROL.sub("", text)


def is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not decode_text(raw).strip())


def _shown(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


# --------------------------------------------------------------------------- number formats


@dataclass(frozen=True)
class NumberFormat:
    """What a number format does to a number on screen (only what matters for reading)."""

    general: bool = True  # General / text / no format: the number as stored
    percent: int = 0  # each % shows the number times 100
    scale: int = 0  # each trailing comma after the digits shows it divided by 1000
    decimals: int = 0
    date: bool = False  # a date or time format
    exponent: bool = False
    exponent_digits: int = 2  # ``0.0E+0``: 1
    fraction: bool = False
    denominator: int = 0  # a fraction's largest denominator (``?/??``: 99), or its fixed one
    fixed_denominator: bool = False  # ``# ?/4``: always quarters
    literal: str = ""  # a section with no digits at all (shows this text instead)


def _sections(fmt: str) -> list[str]:
    out, cur, quoted, esc = [], "", False, False
    for ch in fmt:
        if esc:
            cur, esc = cur + ch, False
        elif ch == "\\":
            cur, esc = cur + ch, True
        elif ch == '"':
            cur, quoted = cur + ch, not quoted
        elif ch == ";" and not quoted:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


@cache
def number_format(fmt: str | None, sign: int = 1) -> NumberFormat:
    """Interpret an Excel / ECMA-376 number format code for a number of ``sign``."""
    if not fmt or fmt.strip().lower() in ("general", "@", "standard"):
        return NumberFormat()
    secs = _sections(fmt)
    sec = secs[0]
    if sign < 0 and len(secs) > 1:
        sec = secs[1]
    elif sign == 0 and len(secs) > 2:
        sec = secs[2]
    # the text a section shows besides digits: quoted strings and \-escaped characters
    literal = "".join(q or e for q, e in re.findall(r'"([^"]*)"|\\(.)', sec))
    bare = re.sub(r'"[^"]*"|\\.|_.|\*.', "", sec)
    if re.search(r"\[(h+|m+|s+)\]", bare, re.I):  # elapsed time: [h] shows 0.5 as 12
        return NumberFormat(general=False, date=True)
    bare = re.sub(r"\[[^\]]*\]", "", bare)
    if re.fullmatch(r"\s*@?\s*", bare):
        return NumberFormat(literal=literal or "(nothing)") if "@" not in bare else NumberFormat()
    if re.search(r"general", bare, re.I):
        return NumberFormat(percent=bare.count("%"))
    if re.search(r"[ymdhsYMDHS]|AM/PM|A/P", bare):
        return NumberFormat(general=False, date=True)
    digits = re.search(r"[0#?][0#?,.\s]*", bare)  # the first run: 0.00E+00 has 2 decimals
    if digits is None:
        return NumberFormat(general=False, literal=literal or bare.strip() or "(nothing)")
    token = digits.group(0).rstrip()
    mantissa = token
    scale = len(token) - len(token.rstrip(","))
    decimals = len(re.sub(r"[^0#?]", "", mantissa.split(".", 1)[1])) if "." in mantissa else 0
    # a fraction shows the nearest fraction whose denominator has as many digits as the
    # format's placeholders after the slash (``?/?``: 1-9), or a fixed one (``?/4``)
    below = re.search(r"/\s*([1-9]\d*|[0#?]+)", bare)
    exponent = re.search(r"[eE][+-]([0#?]*)", bare)
    fixed = below is not None and below.group(1)[0] not in "0#?"
    denominator = 0
    if below is not None:
        denominator = int(below.group(1)) if fixed else 10 ** len(below.group(1)) - 1
    return NumberFormat(
        general=False,
        percent=bare.count("%"),
        scale=scale,
        decimals=decimals,
        exponent=exponent is not None,
        exponent_digits=len(exponent.group(1)) if exponent else 2,
        fraction=below is not None,
        denominator=denominator,
        fixed_denominator=fixed,
    )


def _clean(x: float) -> int | float:
    x = round(float(x), 10)
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def _scientific(x: float, decimals: int, width: int) -> str:
    """``x`` as a scientific format shows it: ``1.23E+04`` (half away from zero)."""
    d = Decimal(repr(x))
    exp = d.adjusted()
    step = Decimal(1).scaleb(-decimals)
    mantissa = d.scaleb(-exp).quantize(step, rounding=ROUND_HALF_UP)
    if abs(mantissa) >= 10:  # rounded up to the next power of ten: 9.996 shows 1.00E+01
        exp += 1
        mantissa = (mantissa / 10).quantize(step)  # exactly 1 or -1
    return f"{mantissa}E{'-' if exp < 0 else '+'}{abs(exp):0{width}d}"


def _shows(value: float, nf: NumberFormat) -> tuple[float, str | None]:
    """What the format shows for ``value`` (times 100 per %, / 1000 per scale comma),
    and why it differs from the stored number when digits are hidden."""
    shown = value * 100**nf.percent / 1000**nf.scale
    if nf.general:
        return shown, None
    if nf.exponent:
        text = _scientific(shown, nf.decimals, nf.exponent_digits)
        if not math.isclose(float(text), shown, rel_tol=1e-9, abs_tol=1e-12):
            return shown, text
        return shown, None
    if nf.fraction:
        if nf.fixed_denominator:  # ``# ?/4``: the nearest number of quarters
            top = round(Fraction(repr(shown)) * nf.denominator)
            frac, text = Fraction(top, nf.denominator), f"{top}/{nf.denominator}"
        else:  # ``# ??/??``: the nearest fraction with a denominator up to 99
            frac = Fraction(shown).limit_denominator(nf.denominator)
            text = str(frac)
        if not math.isclose(float(frac), shown, rel_tol=1e-9, abs_tol=1e-12):
            return shown, f"about {text}"
        return shown, None
    exact = Decimal(repr(shown))
    rounded = exact.quantize(Decimal(1).scaleb(-nf.decimals), rounding=ROUND_HALF_UP)
    if not math.isclose(float(rounded), shown, rel_tol=1e-9, abs_tol=1e-9):
        return shown, str(rounded)  # what Excel and Calc display (half away from zero)
    return shown, None


_ZERO_DASHES = {"-", "\u2013", "\u2014", "0"}


def _format_problem(
    value: float, fmt: str, nf: NumberFormat, *, percent_ok: bool
) -> tuple[str, str] | None:
    """The number-format-mismatch error when the cell does not show its number."""
    f = _shown(fmt, 40)
    if value == 0 and nf.literal.strip() in _ZERO_DASHES:
        return None  # the accounting style shows zero as a dash
    if nf.literal:
        return (
            "number-format-mismatch",
            f"holds {_clean(value)} but its number format {f!r} shows {nf.literal!r}",
        )
    shown, hidden = _shows(value, nf)
    if nf.percent and not percent_ok:
        return (
            "number-format-mismatch",
            f"holds {_clean(value)} but its % number format {f!r} shows {_clean(shown)} %:"
            f" which did you mean, {_clean(value)} or {_clean(shown)}?",
        )
    if nf.scale:
        return (
            "number-format-mismatch",
            f"holds {_clean(value)} but its number format {f!r} shows it in thousands:"
            f" {_clean(shown) if hidden is None else hidden}",
        )
    if hidden is not None:
        return (
            "number-format-mismatch",
            f"holds {_clean(shown)} but its number format {f!r} shows {hidden}",
        )
    return None


# --------------------------------------------------------------------------- numbers

_SPACES = re.compile(r"[\s\u00a0\u2007\u2009\u202f]+")
_GROUPED = {
    ".": r"[1-9]\d{0,2}(?:\.\d{3})+",
    ",": r"[1-9]\d{0,2}(?:,\d{3})+",
    " ": r"[1-9]\d{0,2}(?: \d{3})+",
    "'": r"[1-9]\d{0,2}(?:'\d{3})+",
}


def number_readings(text: str) -> set[float]:
    """Every number a typed text can mean: a decimal point or comma, and optionally
    thousands groups separated by ``.``, ``,``, a space or an apostrophe (the other
    one of ``.``/``,`` being the decimal separator). Empty: not a number."""
    t = _SPACES.sub(" ", text.strip()).replace("\u2212", "-").replace("\u2019", "'")
    m = re.fullmatch(r"([+-]?)(.*)", t, re.S)
    assert m is not None
    sign, body = m.group(1), m.group(2)
    out: set[float] = set()
    for dec in (".", ","):
        for group in (None, ".", ",", " ", "'"):
            if group == dec:
                continue
            whole = _GROUPED[group] if group else r"\d+"
            pat = rf"({whole})?(?:{re.escape(dec)}(\d*))?"
            g = re.fullmatch(pat, body, re.A)
            if g is None or not (g.group(1) or g.group(2)):
                continue
            digits = (g.group(1) or "0").replace(group or "_", "")
            out.add(float(f"{sign}{digits}.{g.group(2) or '0'}"))
    return out


def parse_number(raw: object, *, number_format_code: str = "", percent_ok: bool = False) -> Parsed:
    """A number, as the person saw it. Text with one ``.`` or ``,`` followed by exactly
    three digits (``1.500``, ``12,500``) can be read two ways: refused as ambiguous. A
    stored number whose number format shows something else is refused
    (``number-format-mismatch``); a % format is the person's meaning only where
    ``percent_ok`` (a percentage indicator)."""
    if is_blank(raw):
        return None, None
    if isinstance(raw, bool):
        return None, ("invalid-number", f"{raw!r} is not a number")
    if isinstance(raw, dt.date | dt.time | dt.timedelta):
        shown = raw.isoformat() if not isinstance(raw, dt.timedelta) else str(raw)
        return None, (
            "number-format-mismatch",
            f"shows the date or time {shown} (the cell has a date format"
            f" {_shown(number_format_code or '?', 40)!r}); a number was expected",
        )
    if isinstance(raw, int | float):
        value = float(raw)
        if not math.isfinite(value):
            return None, ("invalid-number", f"{raw!r} is not a number")
        nf = number_format(number_format_code or None, (value > 0) - (value < 0))
        if nf.date:
            return None, (
                "number-format-mismatch",
                f"holds {_clean(value)} but its date format"
                f" {_shown(number_format_code, 40)!r} shows it as a date",
            )
        problem = _format_problem(value, number_format_code, nf, percent_ok=percent_ok)
        if problem:
            return None, problem
        return _clean(value * 100**nf.percent), None
    text = decode_text(str(raw)).strip()
    shown = _shown(text)
    body = text
    percent = False
    if body.endswith("%"):
        body, percent = body[:-1].rstrip(), True
    readings = number_readings(body)
    if not readings:
        return None, ("invalid-number", f"{shown!r} is not a number")
    if len(readings) > 1:
        a, b = sorted(readings, key=abs)
        return None, (
            "ambiguous-number",
            f"{shown!r} can be read as {_clean(a)} or {_clean(b)}",
        )
    value = readings.pop()
    if percent and not percent_ok:
        return None, (
            "number-format-mismatch",
            f"{shown!r} is a percentage but the indicator counts; which did you mean,"
            f" {_clean(value)} or {_clean(value / 100)}?",
        )
    return _clean(value), None


# --------------------------------------------------------------------------- codes


def _fold(text: str) -> str:
    """Case, spacing, a final full stop and typographic quotes do not change a label."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u02bc", "'")
    return " ".join(text.split()).casefold().rstrip(".").strip()


@cache
def _agrees(vocab: str, code: int, label: str) -> bool:
    """Is ``label`` the label of ``code`` in some catalog language, or its first words?"""
    for lang in SUPPORTED:
        full = _fold(str(catalog(lang).data[vocab][code]))
        if full == label or (
            len(label) >= 3 and full.startswith(label) and not full[len(label)].isalnum()
        ):
            return True
    return False


@cache
def _labels(vocab: str) -> dict[str, frozenset[int]]:
    """Every language's label of every code, folded, to the codes it names."""
    out: dict[str, set[int]] = {}
    for lang in SUPPORTED:
        for code, label in catalog(lang).data[vocab].items():
            out.setdefault(_fold(str(label)), set()).add(int(code))
    return {k: frozenset(v) for k, v in out.items()}


def _label_of(vocab: str, code: int) -> str:
    return str(catalog("en").data[vocab][code])


def parse_code(raw: object, vocab: str, *, number_format_code: str = "") -> Parsed:
    """A status / frequency / rating: a whole code in range, ``3 - label`` whose label
    is that code's in some catalog language, or a label alone. Nothing else is guessed."""
    if is_blank(raw):
        return None, None
    codes = CODED_VOCABULARIES[vocab]
    if isinstance(raw, bool | dt.date | dt.time | dt.timedelta):
        return None, ("invalid-code", f"{str(raw)!r} is not one of the {vocab} codes {codes}")
    if isinstance(raw, int | float):
        number, err = parse_number(raw, number_format_code=number_format_code)
        if err:
            return None, ("invalid-code", f"{vocab}: {err[1]}")
        return _whole_code(number, vocab, str(_clean(float(raw))))
    text = " ".join(decode_text(str(raw)).split())
    shown = _shown(text)
    readings = number_readings(text)
    if readings:
        if len(readings) > 1:
            return None, ("invalid-code", f"{shown!r} is not one of the {vocab} codes {codes}")
        return _whole_code(_clean(readings.pop()), vocab, shown)
    m = re.fullmatch(r"(\d+)\s*(?:[-\u2013\u2014.:)]|\s)\s*(.+)", text, re.A)
    if m:
        code, label = int(m.group(1)), _fold(m.group(2))
        if code not in codes:
            return None, ("invalid-code", f"{shown!r}: {code} is not one of the codes {codes}")
        named = _labels(vocab).get(label, frozenset())
        if _agrees(vocab, code, label):
            return code, None
        if re.fullmatch(r"[\d\s.,/+-]+", label):
            return None, ("invalid-code", f"{shown!r} is not one code (one of {codes})")
        says = (
            f"the label is that of {' or '.join(str(c) for c in sorted(named))}"
            f" ({_label_of(vocab, min(named))})"
            if named
            else "the label is not a label of any code in en/sq/sr"
        )
        return None, (
            "code-label-conflict",
            f"{shown!r}: the code says {code} ({_label_of(vocab, code)}), {says}",
        )
    named = _labels(vocab).get(_fold(text), frozenset())
    if len(named) == 1:
        return next(iter(named)), None
    return None, ("invalid-code", f"{shown!r} is not one of the {vocab} codes {codes}")


def _whole_code(number: object, vocab: str, shown: str) -> Parsed:
    codes = CODED_VOCABULARIES[vocab]
    if isinstance(number, int) and number in codes:
        return number, None
    why = "not a whole code" if isinstance(number, float) else "not in range"
    return None, ("invalid-code", f"{shown!r} is {why}: the {vocab} codes are {codes}")


# --------------------------------------------------------------------------- yes/no, text


@cache
def _yes_no() -> dict[str, bool]:
    out: dict[str, bool] = {"1": True, "0": False, "true": True, "false": False}
    for lang in SUPPORTED:
        yes, no = catalog(lang).yes_no()
        out[yes.casefold()] = True
        out[no.casefold()] = False
    return out


def parse_yes_no(raw: object) -> Parsed:
    if is_blank(raw):
        return None, None
    if isinstance(raw, bool):
        return raw, None
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw), None
    text = decode_text(str(raw)).strip()
    value = _yes_no().get(text.casefold())
    if value is None:
        return None, ("invalid-yes-no", f"{_shown(text)!r} is not Yes or No")
    return value, None


def parse_text(raw: object, *, number_format_code: str = "") -> Parsed:
    """Text as the person saw it: a number in its number format (``0.5`` shown as
    ``50%`` is ``50%``; a format that hides digits is ``number-format-mismatch``), a
    date without a midnight time, a boolean as TRUE/FALSE."""
    if is_blank(raw):
        return None, None
    if isinstance(raw, bool):
        text = "TRUE" if raw else "FALSE"
    elif isinstance(raw, int | float):
        value, err = parse_number(raw, number_format_code=number_format_code, percent_ok=True)
        if err:
            return None, err
        nf = number_format(number_format_code or None, (raw > 0) - (raw < 0))
        text = f"{value}%" if nf.percent else str(value)
    elif isinstance(raw, dt.datetime) and raw.time() == dt.time(0):
        text = raw.date().isoformat()
    elif isinstance(raw, dt.datetime | dt.date | dt.time):
        text = raw.isoformat(sep=" ") if isinstance(raw, dt.datetime) else raw.isoformat()
    else:
        text = decode_text(str(raw))
    if len(text) > TEXT_LIMIT:
        return None, ("text-too-long", f"{len(text)} characters; the limit is {TEXT_LIMIT}")
    return text, None


# --------------------------------------------------------------------------- indicator values

_NOT_COUNTED = re.compile(
    r"%|percent|eur|€|\$|usd|lek|din|budget|amount|cost|fund|hour|day|week|month|year|"
    r"minute|km|kg|ton|litre|liter|\brate\b|ratio|average|mean|median|\bper\b|index|score|"
    r"share|proportion|time",
    re.I,
)
# "Number of", "No. of", "Nr.", "Numri i", "Broj", "# of" (no word boundary after a "#")
_COUNT_TEXT = re.compile(r"^\s*(?:(?:number|no|nr|numri|numër|broj)\b|#)", re.I)


def counts_things(measure: Measure, unit: str | None, text: str = "") -> bool:
    """Does the indicator count whole things (persons, cases, activities)? A number
    whose unit is a plural noun that is not money, time, a rate or a measure; without a
    unit, an indicator text that begins with "Number of" (en/sq/sr)."""
    if measure != Measure.NUMBER:
        return False
    if unit and unit.strip():
        return _NOT_COUNTED.search(unit) is None
    return bool(_COUNT_TEXT.search(text)) and _NOT_COUNTED.search(text) is None


@dataclass(frozen=True)
class Reading:
    """What one cell means: the value (None: blank or not used), the error that kept
    it out, and warnings about a value that is used."""

    value: object | None
    error: tuple[str, str] | None = None
    warnings: tuple[tuple[str, str], ...] = ()


def read_value(
    raw: object,
    measure: Measure,
    *,
    number_format_code: str = "",
    counted: bool = False,
) -> Reading:
    """An indicator value by its measure, range-checked, with the warnings a reader
    of the matrix needs (a fraction of persons; 0.45 in a 0-100 percentage)."""
    if measure == Measure.YES_NO:
        return Reading(*parse_yes_no(raw))
    if measure == Measure.TEXT:
        return Reading(*parse_text(raw, number_format_code=number_format_code))
    pct = measure == Measure.PERCENTAGE
    value, err = parse_number(raw, number_format_code=number_format_code, percent_ok=pct)
    if err or value is None:
        return Reading(value, err)
    assert isinstance(value, int | float)
    if value < 0:
        return Reading(None, ("out-of-range", f"{value} is negative"))
    if pct and value > 100:
        return Reading(None, ("out-of-range", f"{value} is more than 100%"))
    warnings: list[tuple[str, str]] = []
    if counted and isinstance(value, float):
        warnings.append(("fraction-on-count", f"{value} is not a whole number of what it counts"))
    if pct and 0 < value <= 1:
        warnings.append(
            (
                "percentage-as-fraction",
                f"{value} % read; if {value} was meant as a share, that is {_clean(value * 100)} %",
            )
        )
    return Reading(value, None, tuple(warnings))


def parse_value(raw: object, measure: Measure, *, number_format_code: str = "") -> Parsed:
    """An indicator value by its measure, range-checked (errors only)."""
    r = read_value(raw, measure, number_format_code=number_format_code)
    return r.value, r.error
