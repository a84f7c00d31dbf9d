"""The framework's coded vocabularies (section V.3 of the M&E framework).

Labels in each language live in ``locales/``; this module holds the codes and the
machine names that plan files use.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Status(IntEnum):
    """Status of the activity: 1. Hasn't started ... 4. It is completed."""

    NOT_STARTED = 1
    IN_CONTINUUM = 2
    STARTED = 3
    COMPLETED = 4


class Frequency(IntEnum):
    """Frequency of data collection, as coded in the framework's matrix."""

    MONTHLY = 1
    BI_MONTHLY = 2
    QUARTERLY = 3
    HALF_YEAR = 4
    YEARLY = 5

    @property
    def months(self) -> int:
        return {1: 1, 2: 2, 3: 3, 4: 6, 5: 12}[int(self)]

    @property
    def plan_name(self) -> str:
        """The name used in plan files (``bi-monthly``, ``half-year``...)."""
        return FREQUENCY_NAMES[self]

    @classmethod
    def from_name(cls, name: str) -> Frequency:
        return {v: k for k, v in FREQUENCY_NAMES.items()}[name]


FREQUENCY_NAMES: dict[Frequency, str] = {
    Frequency.MONTHLY: "monthly",
    Frequency.BI_MONTHLY: "bi-monthly",
    Frequency.QUARTERLY: "quarterly",
    Frequency.HALF_YEAR: "half-year",
    Frequency.YEARLY: "yearly",
}


class Rating(IntEnum):
    """Half-year (HY) and yearly (Y) rating of an activity."""

    ON_TRACK = 1
    DIFFICULTIES_HANDLED = 2
    NEEDS_REVISION = 3


class Measure(StrEnum):
    NUMBER = "number"
    PERCENTAGE = "percentage"
    YES_NO = "yes-no"
    TEXT = "text"


class Level(StrEnum):
    """Results chain level of an expected result."""

    INPUT = "input"
    OUTPUT = "output"
    OUTCOME = "outcome"
    IMPACT = "impact"


#: Which vocabulary each coded field draws from (used by locales and the layout).
CODED_VOCABULARIES: dict[str, list[int]] = {
    "status": [int(s) for s in Status],
    "frequency": [int(f) for f in Frequency],
    "rating": [int(r) for r in Rating],
}
