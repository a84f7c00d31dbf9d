"""The institution page's texts and the focal point's reading of each problem code."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from ..errors import CATALOG
from ..locales import SUPPORTED, Catalog


@cache
def texts(lang: str) -> Catalog:
    """The upload page's texts in ``lang`` (en, sq or sr) as a locales Catalog."""
    if lang not in SUPPORTED:
        lang = "en"
    raw = resources.files(f"{__package__}.locales").joinpath(f"{lang}.yaml").read_text("utf-8")
    return Catalog(lang, yaml.safe_load(raw))


def code_text(code: str, lang: str) -> tuple[str, str]:
    """(title, what to do) of a code in ``lang``; English from the catalog when not translated."""
    entry = texts(lang).data.get("codes", {}).get(code) or texts("en").data["codes"].get(code)
    if entry:
        return str(entry["title"]), str(entry["hint"])
    c = CATALOG[code]
    return c.title, c.hint
