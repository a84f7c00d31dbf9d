"""Reporting periods: parsing, due dates, collection points, rating due dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mne_workbook.errors import UsageError
from mne_workbook.periods import Period, collection_points, parse_reporting_period
from mne_workbook.vocab import Frequency

M, B, Q, H, Y = (
    Frequency.MONTHLY,
    Frequency.BI_MONTHLY,
    Frequency.QUARTERLY,
    Frequency.HALF_YEAR,
    Frequency.YEARLY,
)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-Q2", "2026-04-01", "2026-06-30"),
        ("2026-H1", "2026-01-01", "2026-06-30"),
        ("2026", "2026-01-01", "2026-12-31"),
        ("2024-02", "2024-02-01", "2024-02-29"),
        ("2026-B3", "2026-05-01", "2026-06-30"),
        ("2026-q4", "2026-10-01", "2026-12-31"),
    ],
)
def test_parse(text: str, start: str, end: str) -> None:
    p = Period.parse(text)
    assert (p.start.isoformat(), p.end.isoformat()) == (start, end)
    assert Period.parse(p.label) == p


@pytest.mark.parametrize(
    "text", ["2026-Q5", "2026-Q0", "2026-H3", "2026-13", "26-Q1", "Q2", "2026-B7", ""]
)
def test_invalid_periods(text: str) -> None:
    with pytest.raises(ValueError):
        Period.parse(text)


def test_due_date_is_period_end_plus_grace_days() -> None:
    assert Period.parse("2026-Q2").due_date(15) == dt.date(2026, 7, 15)
    assert Period.parse("2026-Q4").due_date(15) == dt.date(2027, 1, 15)


@pytest.mark.parametrize(
    ("text", "cycle", "code"),
    [
        ("2026-05", Q, "period-wrong-cycle"),
        ("2026-H1", Q, "period-wrong-cycle"),
        ("2031-Q1", Q, "period-outside-strategy"),
        ("2026-Q9", Q, "period-invalid"),
        ("next quarter", Q, "period-invalid"),
    ],
)
def test_reporting_period_is_checked_against_the_plan(
    text: str, cycle: Frequency, code: str
) -> None:
    with pytest.raises(UsageError) as exc:
        parse_reporting_period(text, cycle, 2025, 2027)
    [p] = exc.value.report.problems
    assert p.code == code and p.location.path == "--period"


@pytest.mark.parametrize(
    "text,cycle", [("2026-Q2", Q), ("2026-H1", H), ("2026", Y), ("2026-05", M), ("2026-B2", B)]
)
def test_each_cycle_accepts_its_own_periods(text: str, cycle: Frequency) -> None:
    assert parse_reporting_period(text, cycle, 2025, 2027).kind == cycle


def labels(points: Sequence[Period]) -> list[str]:
    return [p.label for p in points]


def test_collection_points_in_a_quarter() -> None:
    q2 = Period.parse("2026-Q2")
    assert labels(collection_points(M, q2)) == ["2026-04", "2026-05", "2026-06"]
    assert labels(collection_points(B, q2)) == ["2026-B2", "2026-B3"]
    assert labels(collection_points(Q, q2)) == ["2026-Q2"]
    assert labels(collection_points(H, q2)) == ["2026-H1"]
    assert labels(collection_points(Y, q2)) == []
    assert labels(collection_points(None, q2)) == ["2026-Q2"]
    assert labels(collection_points(Y, Period.parse("2026-Q4"))) == ["2026"]


def test_ratings_are_due_at_half_year_and_year_end() -> None:
    due = {
        q: (
            Period.parse(f"2026-Q{q}").half_year_rating_due,
            Period.parse(f"2026-Q{q}").yearly_rating_due,
        )
        for q in range(1, 5)
    }
    assert due == {1: (False, False), 2: (True, False), 3: (False, False), 4: (True, True)}


@given(
    cycle=st.sampled_from(list(Frequency)),
    freq=st.sampled_from(list(Frequency)),
    year=st.integers(2000, 2100),
)
def test_no_data_point_is_dropped_or_asked_twice_over_a_year(
    cycle: Frequency, freq: Frequency, year: int
) -> None:
    periods = [Period(year, i, cycle) for i in range(1, 12 // cycle.months + 1)]
    asked = [p for period in periods for p in collection_points(freq, period)]
    every = [Period(year, i, freq) for i in range(1, 12 // freq.months + 1)]
    assert sorted(asked) == every
    for period in periods:
        for p in collection_points(freq, period):
            assert period.start <= p.end <= period.end
