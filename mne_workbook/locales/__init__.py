"""Label catalogs: every fixed text of a workbook, in English, Albanian and Serbian (Latin)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

SUPPORTED = ("en", "sq", "sr")
DEFAULT = "en"


@dataclass(frozen=True)
class Catalog:
    """One language's labels; ``catalog["columns.status"]`` reads nested keys."""

    lang: str
    data: dict[str, Any]
    _found: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __getitem__(self, dotted: str) -> Any:
        if dotted in self._found:  # a workbook asks for the same labels on every sheet
            return self._found[dotted]
        node: Any = self.data
        for part in dotted.split("."):
            node = node[int(part) if isinstance(node, dict) and int_key(node, part) else part]
        self._found[dotted] = node
        return node

    def text(self, dotted: str, **fmt: object) -> str:
        value = self[dotted]
        if not isinstance(value, str):
            raise TypeError(f"{dotted} is not a text")
        return value.format(**fmt) if fmt else value

    def entry(self, vocab: str, code: int) -> str:
        """A dropdown entry: the code first, so reading back never depends on language."""
        return f"{code} - {self.data[vocab][code]}"

    def entries(self, vocab: str) -> list[str]:
        return [self.entry(vocab, code) for code in sorted(self.data[vocab], reverse=False)]

    def yes_no(self) -> list[str]:
        """Yes/No entries, Yes first."""
        return [self.data["yes_no"][1], self.data["yes_no"][0]]


def int_key(node: dict[Any, Any], part: str) -> bool:
    return part.isdigit() and int(part) in node


@cache
def catalog(lang: str = DEFAULT) -> Catalog:
    if lang not in SUPPORTED:
        raise KeyError(f"unsupported language {lang!r}; supported: {', '.join(SUPPORTED)}")
    text = resources.files(__name__).joinpath(f"{lang}.yaml").read_text("utf-8")
    return Catalog(lang, yaml.safe_load(text))
