"""Turn what a person typed or picked in a cell into a value, in any supported language.

Every parser returns ``(value, error)``: ``value`` is None for a blank cell (blank is
not zero) or an invalid one; ``error`` is a (code, message) pair for an invalid one.
"""

from __future__ import annotations

import re
from functools import cache

from .locales import SUPPORTED, catalog
from .vocab import CODED_VOCABULARIES, Measure

Parsed = tuple[object | None, tuple[str, str] | None]
TEXT_LIMIT = 2000


def is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


@cache
def _labels(vocab: str) -> dict[str, int]:
    """Every language's label of every code, folded to lower case."""
    out: dict[str, int] = {}
    for lang in SUPPORTED:
        for code, label in catalog(lang).data[vocab].items():
            out[str(label).strip().casefold()] = int(code)
    return out


def parse_code(raw: object, vocab: str) -> Parsed:
    """A status / frequency / rating: the bare code, ``3 - label``, or a label alone."""
    if is_blank(raw):
        return None, None
    codes = CODED_VOCABULARIES[vocab]
    if isinstance(raw, bool):
        return None, ("invalid-code", f"{raw!r} is not one of the codes {codes}")
    if isinstance(raw, int | float) and float(raw).is_integer() and int(raw) in codes:
        return int(raw), None
    text = str(raw).strip()
    m = re.match(r"^(\d+)\s*(?:[-–.:)]\s*(.*))?$", text, re.S)
    if m and int(m.group(1)) in codes:
        return int(m.group(1)), None
    label = _labels(vocab).get(text.casefold())
    if label is not None:
        return label, None
    shown = text if len(text) <= 60 else text[:57] + "..."
    return None, ("invalid-code", f"{shown!r} is not one of the {vocab} codes {codes}")


def parse_number(raw: object, *, percent_format: bool = False) -> Parsed:
    """A number. Text may use a decimal comma or point, spaces or apostrophes between
    thousands, and a trailing ``%``; ``1,500`` is refused as ambiguous."""
    if is_blank(raw):
        return None, None
    if isinstance(raw, bool):
        return None, ("invalid-number", f"{raw!r} is not a number")
    if isinstance(raw, int | float):
        value = float(raw) * (100 if percent_format else 1)
        value = round(value, 10)
        return (int(value) if value.is_integer() else value), None
    text = str(raw).strip()
    shown = text if len(text) <= 60 else text[:57] + "..."
    cleaned = re.sub(r"[\s\u00a0']", "", text.removesuffix("%"))
    if not re.fullmatch(r"[+-]?[\d.,]*\d[\d.,]*", cleaned):
        return None, ("invalid-number", f"{shown!r} is not a number")
    commas, points = cleaned.count(","), cleaned.count(".")
    if commas and points:  # the later separator is the decimal one
        dec, thou = (",", ".") if cleaned.rfind(",") > cleaned.rfind(".") else (".", ",")
        if cleaned.count(dec) > 1:
            return None, ("invalid-number", f"{shown!r} is not a number")
        cleaned = cleaned.replace(thou, "").replace(",", ".")
    elif commas == 1 or points == 1:
        sep = "," if commas else "."
        if sep == "," and re.search(r"\d,\d{3}$", cleaned):
            return None, (
                "invalid-number",
                f"{shown!r} is ambiguous: write 1500 for fifteen hundred or 1,5",
            )
        cleaned = cleaned.replace(",", ".")
    elif commas > 1 or points > 1:  # thousands separators only: 1,000,000
        if not re.fullmatch(r"[+-]?\d{1,3}([.,]\d{3})+", cleaned):
            return None, ("invalid-number", f"{shown!r} is not a number")
        cleaned = cleaned.replace(",", "").replace(".", "")
    value = float(cleaned)
    return (int(value) if value.is_integer() else value), None


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
    value = _yes_no().get(str(raw).strip().casefold())
    if value is None:
        return None, ("invalid-yes-no", f"{str(raw)[:60]!r} is not Yes or No")
    return value, None


def parse_text(raw: object) -> Parsed:
    if is_blank(raw):
        return None, None
    text = str(raw) if not isinstance(raw, float) or not raw.is_integer() else str(int(raw))
    if len(text) > TEXT_LIMIT:
        return None, ("text-too-long", f"{len(text)} characters; the limit is {TEXT_LIMIT}")
    return text, None


def parse_value(raw: object, measure: Measure, *, percent_format: bool = False) -> Parsed:
    """An indicator value by its measure, range-checked."""
    if measure == Measure.YES_NO:
        return parse_yes_no(raw)
    if measure == Measure.TEXT:
        return parse_text(raw)
    value, err = parse_number(raw, percent_format=percent_format)
    if err or value is None:
        return value, err
    assert isinstance(value, int | float)
    if value < 0:
        return None, ("out-of-range", f"{value} is negative")
    if measure == Measure.PERCENTAGE and value > 100:
        return None, ("out-of-range", f"{value} is more than 100%")
    return value, None
