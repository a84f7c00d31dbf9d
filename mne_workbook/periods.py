"""Reporting periods, due dates, and which indicator values and ratings are due when."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import cache, cached_property

from .errors import Location, UsageError, fail
from .vocab import Frequency

_FORMS: dict[Frequency, str] = {
    Frequency.MONTHLY: "YYYY-MM (e.g. 2026-05)",
    Frequency.BI_MONTHLY: "YYYY-Bn, n = 1..6 (e.g. 2026-B3 for May-June)",
    Frequency.QUARTERLY: "YYYY-Qn, n = 1..4 (e.g. 2026-Q2)",
    Frequency.HALF_YEAR: "YYYY-Hn, n = 1..2 (e.g. 2026-H1)",
    Frequency.YEARLY: "YYYY (e.g. 2026)",
}
_PATTERN = re.compile(r"^(\d{4})(?:-(?:(Q|H|B)(\d{1,2})|(\d{2})))?$", re.I)


@dataclass(frozen=True, order=True)
class Period:
    """A calendar period of one of the five frequencies (months, bi-months, ... years)."""

    year: int
    index: int  # 1-based position of the period in its year
    kind: Frequency

    @cached_property
    def start(self) -> dt.date:
        month = (self.index - 1) * self.kind.months + 1
        return dt.date(self.year, month, 1)

    @cached_property
    def end(self) -> dt.date:
        month = self.index * self.kind.months
        return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])

    @property
    def label(self) -> str:
        k = self.kind
        if k == Frequency.YEARLY:
            return f"{self.year}"
        if k == Frequency.MONTHLY:
            return f"{self.year}-{self.index:02d}"
        letter = {Frequency.BI_MONTHLY: "B", Frequency.QUARTERLY: "Q", Frequency.HALF_YEAR: "H"}
        return f"{self.year}-{letter[k]}{self.index}"

    def __str__(self) -> str:
        return self.label

    def due_date(self, grace_days: int) -> dt.date:
        return self.end + dt.timedelta(days=grace_days)

    @property
    def half_year_rating_due(self) -> bool:
        """HY ratings are due in the last period of each half-year."""
        return self.end.month in (6, 12)

    @property
    def yearly_rating_due(self) -> bool:
        """Y ratings are due in the last period of the year."""
        return self.end.month == 12

    def overlaps(self, start: dt.date, end: dt.date) -> bool:
        return self.start <= end and start <= self.end

    @classmethod
    def containing(cls, kind: Frequency, day: dt.date) -> Period:
        return cls(day.year, (day.month - 1) // kind.months + 1, kind)

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``2026-Q2``, ``2026-H1``, ``2026-B3``, ``2026-05`` or ``2026``."""
        m = _PATTERN.match(text.strip())
        if not m:
            raise ValueError(f"{text!r} is not a period")
        year = int(m.group(1))
        if m.group(2):
            letter, n = m.group(2).upper(), int(m.group(3))
            kind = {"Q": Frequency.QUARTERLY, "H": Frequency.HALF_YEAR, "B": Frequency.BI_MONTHLY}
            freq = kind[letter]
            if not 1 <= n <= 12 // freq.months:
                raise ValueError(f"{text!r}: {letter}{n} does not exist")
            return cls(year, n, freq)
        if m.group(4):
            n = int(m.group(4))
            if not 1 <= n <= 12:
                raise ValueError(f"{text!r}: month {n} does not exist")
            return cls(year, n, Frequency.MONTHLY)
        return cls(year, 1, Frequency.YEARLY)


def parse_reporting_period(text: str, cycle: Frequency, start_year: int, end_year: int) -> Period:
    """Parse a period given by a user and check it against the plan's cycle and strategy."""
    loc = Location(path="--period")
    try:
        period = Period.parse(text)
    except ValueError as exc:
        raise fail(
            UsageError, "period-invalid", f"{exc}; this plan reports {_FORMS[cycle]}", loc
        ) from None
    if period.kind != cycle:
        raise fail(
            UsageError,
            "period-wrong-cycle",
            f"{text} is a {period.kind.plan_name} period, but the plan's reporting cycle is"
            f" {cycle.plan_name}: write {_FORMS[cycle]}",
            loc,
        )
    if not start_year <= period.year <= end_year:
        raise fail(
            UsageError,
            "period-outside-strategy",
            f"{text} is outside the strategy period {start_year}-{end_year}",
            loc,
        )
    return period


@cache
def collection_points(frequency: Frequency | None, period: Period) -> tuple[Period, ...]:
    """The collection periods of an indicator whose values fall due in ``period``.

    An indicator collected more often than the reporting cycle has one point per
    collection period ending inside the reporting period (monthly in a quarter: three);
    one collected less often has a point only in the period where its collection period
    ends (half-year in Q2 and Q4). An indicator without a frequency is asked for once.
    """
    if frequency is None:
        return (period,)
    points: list[Period] = []
    day = period.start
    while day <= period.end:
        p = Period.containing(frequency, day)
        if period.start <= p.end <= period.end and p not in points:
            points.append(p)
        # step to the first day of the next month
        day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return tuple(points)
