"""The identity a generated workbook carries: which plan, version, institution and period.

It is stored redundantly (a hidden sheet, custom document properties and a defined
name) because spreadsheet applications drop different things on re-save: LibreOffice,
for one, turns "veryHidden" sheets into "hidden" and drops workbook structure
protection, so nothing depends on either.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .layout import LAYOUT_VERSION

#: Prefix of custom document properties and defined names.
PREFIX = "mne_"
KIND_INSTITUTION = "institution"
KIND_MASTER = "master"


@dataclass(frozen=True)
class Identity:
    plan_id: str
    plan_version: str
    plan_fingerprint: str
    kind: str  # "institution" or "master"
    institution: str  # institution id; "" for the master workbook
    period: str
    language: str
    generator_version: str
    generated_at: str  # ISO 8601, UTC
    layout_version: str = LAYOUT_VERSION
    key_id: str = ""  # id of the key that signed the workbook ("" when unsigned)
    signature: str = ""  # HMAC over the other fields and the plan content shown

    def pairs(self) -> list[tuple[str, str]]:
        return [(f.name, str(getattr(self, f.name))) for f in fields(self)]  # all str

    def signed_pairs(self) -> list[tuple[str, str]]:
        """The fields the signature covers: all but the signature itself."""
        return [(k, v) for k, v in self.pairs() if k != "signature"]

    @classmethod
    def from_mapping(cls, data: dict[str, str]) -> Identity:
        names = [f.name for f in fields(cls)]
        optional = {"layout_version", "key_id", "signature"}
        missing = [n for n in names if n not in data and n not in optional]
        if missing:
            raise KeyError(", ".join(missing))
        return cls(**{n: str(data[n]) for n in names if n in data})

    def compact(self) -> str:
        """A short form for a defined name (Excel caps a name's formula at 255 chars)."""
        return ";".join(
            f"{k}={v}"
            for k, v in (
                ("plan", self.plan_id),
                ("fp", self.plan_fingerprint),
                ("kind", self.kind),
                ("inst", self.institution),
                ("period", self.period),
            )
        )

    @staticmethod
    def parse_compact(text: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for part in text.split(";"):
            key, _, value = part.partition("=")
            out[key] = value
        return out
