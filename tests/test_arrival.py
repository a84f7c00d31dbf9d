"""Arrival decides: on time, which return counts; the workbook's own clock is evidence only."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from returns import KEYS, LATE, ON_TIME, PERIOD, STAMP, copy, generated

from mne_workbook.arrival import SKEW, Source, check_saved_time, order_key
from mne_workbook.consolidate import consolidate
from mne_workbook.fill import fill_return, random_entries, set_arrived_at, set_saved_at
from mne_workbook.plan import Plan, load_plan
from mne_workbook.reader import read_return
from mne_workbook.store import Store

AS_OF = dt.date(2026, 11, 1)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo() -> Plan:
    return load_plan(ROOT / "sample_plans" / "demo.yaml")


@pytest.fixture(scope="module")
def kp(demo: Plan, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """KP's genuine return and a copy of it with other values (both saved ON_TIME)."""
    gen = generated(demo, tmp_path_factory.mktemp("gen"))
    out = tmp_path_factory.mktemp("kp")
    entries = random_entries(demo, PERIOD, "kp", random.Random(3))
    fill_return(gen["kp"], out / "kp.xlsx", entries, ON_TIME)
    entries[("A2.1.1", "D8", "value@2026-07-31")] = 999
    fill_return(gen["kp"], out / "kp-other.xlsx", entries, ON_TIME)
    return out / "kp.xlsx", out / "kp-other.xlsx"


def _variant(src: Path, dst: Path, saved: dt.datetime | None, arrived: dt.datetime) -> Path:
    copy(src, dst)
    if saved is not None:
        set_saved_at(dst, saved)
    set_arrived_at(dst, arrived)
    return dst


def _read(demo: Plan, *paths: Path) -> list[Any]:
    return [read_return(p, demo, PERIOD, keys=KEYS, require_signature=True) for p in paths]


def _flags(con: Any, code: str) -> list[Any]:
    return [f for f in con.flags if f.code == code]


def test_a_late_return_backdated_to_before_the_due_date_is_late_and_named(
    demo: Plan, kp: tuple[Path, Path], tmp_path: Path
) -> None:
    # saved "on time" by its own clock, but it reached the inbox after the due date
    late = _variant(kp[0], tmp_path / "kp.xlsx", ON_TIME, LATE)
    con = consolidate(demo, _read(demo, late), PERIOD, AS_OF)
    rate = next(r for r in con.rates if r.institution == "kp")
    assert (rate.received, rate.on_time) == (1, 0)
    assert rate.arrival_source == Source.FILE_MTIME
    assert rate.arrived_at.startswith("2026-10-20")
    assert not _flags(con, "implausible-saved-time")  # saved before it arrived: plausible


def test_saved_before_it_was_generated_is_flagged_with_both_times(
    demo: Plan, kp: tuple[Path, Path], tmp_path: Path
) -> None:
    old = _variant(kp[0], tmp_path / "kp-1999.xlsx", dt.datetime(1999, 1, 1), ON_TIME)
    con = consolidate(demo, _read(demo, old), PERIOD, AS_OF)
    [flag] = _flags(con, "implausible-saved-time")
    assert flag.file == "kp-1999.xlsx"
    assert "1999-01-01" in flag.message  # the saved time
    assert "generated (2026-07-01" in flag.message  # the signed generation time
    assert next(r for r in con.rates if r.institution == "kp").on_time == 1  # arrival decides


def test_a_future_dated_copy_cannot_replace_the_genuine_return_unflagged(
    demo: Plan, kp: tuple[Path, Path], tmp_path: Path
) -> None:
    genuine = _variant(kp[0], tmp_path / "kp.xlsx", ON_TIME, ON_TIME)
    copy_2099 = _variant(
        kp[1], tmp_path / "kp-copy.xlsx", dt.datetime(2099, 1, 1), ON_TIME - dt.timedelta(hours=1)
    )
    con = consolidate(demo, _read(demo, copy_2099, genuine), PERIOD, AS_OF)
    assert con.used["kp"].name == "kp.xlsx"  # it arrived last; 2099 decides nothing
    [flag] = _flags(con, "implausible-saved-time")
    assert flag.file == "kp-copy.xlsx" and "in the future" in flag.message
    assert "2099-01-01" in flag.message
    # arriving after the genuine one it wins, but never without a flag naming it
    set_arrived_at(copy_2099, ON_TIME + dt.timedelta(hours=1))
    con = consolidate(demo, _read(demo, copy_2099, genuine), PERIOD, AS_OF)
    assert con.used["kp"].name == "kp-copy.xlsx"
    assert [f.file for f in _flags(con, "implausible-saved-time")] == ["kp-copy.xlsx"]
    assert [f.file for f in _flags(con, "superseded-return")] == ["kp.xlsx"]


def test_saved_after_arrival_is_flagged(demo: Plan, kp: tuple[Path, Path], tmp_path: Path) -> None:
    p = _variant(kp[0], tmp_path / "kp.xlsx", LATE, ON_TIME)
    [sub] = _read(demo, p)
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    sub.arrived_at, sub.arrival_source = ON_TIME.replace(tzinfo=dt.UTC), "mail-received"
    [problem] = check_saved_time(sub, now)
    assert "after it arrived (" in problem.message and "Received" in problem.message
    assert check_saved_time(sub, now) == []  # once only


def test_clock_skew_within_the_tolerance_is_not_flagged(
    demo: Plan, kp: tuple[Path, Path], tmp_path: Path
) -> None:
    p = _variant(kp[0], tmp_path / "kp.xlsx", ON_TIME + SKEW / 2, ON_TIME)
    [sub] = _read(demo, p)
    sub.arrived_at, sub.arrival_source = ON_TIME.replace(tzinfo=dt.UTC), "mail-received"
    assert check_saved_time(sub, dt.datetime(2026, 11, 1, tzinfo=dt.UTC)) == []
    assert ON_TIME.replace(tzinfo=dt.UTC) > STAMP


def test_same_arrival_orders_by_saved_time_and_a_full_tie_is_a_flag(
    demo: Plan, kp: tuple[Path, Path], tmp_path: Path
) -> None:
    a = _variant(kp[0], tmp_path / "a.xlsx", ON_TIME, ON_TIME)
    b = _variant(kp[1], tmp_path / "b.xlsx", ON_TIME + dt.timedelta(minutes=1), ON_TIME)
    con = consolidate(demo, _read(demo, b, a), PERIOD, AS_OF)
    assert con.used["kp"].name == "b.xlsx" and _flags(con, "superseded-return")
    assert not _flags(con, "return-order-tie")
    set_saved_at(b, ON_TIME)  # same arrival and same saved time, different values
    set_arrived_at(b, ON_TIME)
    subs = _read(demo, b, a)
    assert order_key(subs[0]) == order_key(subs[1])
    con = consolidate(demo, subs, PERIOD, AS_OF)
    [tie] = _flags(con, "return-order-tie")
    assert "a.xlsx" in tie.message and "b.xlsx" in tie.message
    # an implausible saved time tells nothing: it cannot break a tie either
    set_saved_at(b, dt.datetime(1999, 1, 1))
    set_arrived_at(b, ON_TIME)
    con = consolidate(demo, _read(demo, b, a), PERIOD, AS_OF)
    assert _flags(con, "return-order-tie") and _flags(con, "implausible-saved-time")


def test_the_store_keeps_the_first_arrival_of_the_same_bytes(
    demo: Plan, kp: tuple[Path, Path], tmp_path: Path
) -> None:
    p = _variant(kp[0], tmp_path / "kp.xlsx", ON_TIME, ON_TIME)
    store = Store(str(tmp_path / "s.sqlite"))
    [sub] = _read(demo, p)
    assert store.ingest(sub).new
    set_arrived_at(p, LATE)  # copied again later: a new file time, the same bytes
    [again] = _read(demo, p)
    assert not store.ingest(again).new
    [stored] = store.submissions(demo.id, PERIOD.label)
    assert stored.arrived_at == ON_TIME.replace(tzinfo=dt.UTC)
    assert stored.arrival_source == Source.FILE_MTIME
    [row] = store.returns()
    assert row.arrived_at == ON_TIME and row.arrival_source == "file-mtime"
    con = consolidate(demo, store.submissions(demo.id, PERIOD.label), PERIOD, AS_OF)
    assert next(r for r in con.rates if r.institution == "kp").on_time == 1
