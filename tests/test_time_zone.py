"""The plan's time zone decides when a due date ends, whichever computer runs the command."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from helpers import plan, write
from returns import KEYS, ON_TIME, PERIOD, generated

from mne_workbook.arrival import arrived_by, plan_zone, show
from mne_workbook.consolidate import consolidate
from mne_workbook.fill import fill_return, random_entries, set_arrived_at
from mne_workbook.plan import Plan, load_plan, validate_plan
from mne_workbook.reader import read_return

ROOT = Path(__file__).resolve().parent.parent
#: 22:30 UTC on the due date of 2026-Q3 (30 September + 15 days) is 00:30 the next day
#: in Pristina (CEST, UTC+2): late for ONATC, on time for a server keeping UTC.
NEAR_MIDNIGHT = dt.datetime(2026, 10, 15, 22, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo() -> Plan:
    return load_plan(ROOT / "sample_plans" / "demo.yaml")


@pytest.fixture(scope="module")
def kp_near_midnight(demo: Plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    gen = generated(demo, tmp_path_factory.mktemp("gen"))
    out = tmp_path_factory.mktemp("kp") / "kp.xlsx"
    fill_return(gen["kp"], out, random_entries(demo, PERIOD, "kp", random.Random(5)), ON_TIME)
    set_arrived_at(out, NEAR_MIDNIGHT)
    return out


def _in_zone(demo: Plan, zone: str | None) -> Plan:
    return dataclasses.replace(demo, reporting=dataclasses.replace(demo.reporting, timezone=zone))


@pytest.mark.parametrize(
    ("zone", "on_time", "shown"),
    [
        ("Europe/Belgrade", 0, "2026-10-16T00:30+02:00"),
        ("UTC", 1, "2026-10-15T22:30+00:00"),
        ("America/New_York", 1, "2026-10-15T18:30-04:00"),
    ],
)
def test_the_due_date_ends_at_midnight_in_the_plans_zone(
    demo: Plan, kp_near_midnight: Path, zone: str, on_time: int, shown: str
) -> None:
    p = _in_zone(demo, zone)
    sub = read_return(kp_near_midnight, p, PERIOD, keys=KEYS, require_signature=True)
    con = consolidate(p, [sub], PERIOD, dt.date(2026, 11, 1))
    rate = next(r for r in con.rates if r.institution == "kp")
    assert (rate.received, rate.on_time) == (1, on_time)
    assert rate.arrived_at == shown


def test_the_sample_plans_name_kosovos_zone() -> None:
    for name in ("demo.yaml", "kosovo-2015-2019.yaml"):
        p = load_plan(ROOT / "sample_plans" / name)
        assert p.reporting.timezone == "Europe/Belgrade"
        zone = plan_zone(p)
        assert zone is not None
        assert dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC).astimezone(zone).utcoffset() == (
            dt.timedelta(hours=1)
        )


def test_without_a_zone_the_computers_own_zone_is_used() -> None:
    when = dt.datetime(2026, 10, 15, 22, 30, tzinfo=dt.UTC)
    assert show(when) == when.astimezone().isoformat(timespec="minutes")
    sub: Any = dataclasses.make_dataclass("S", [("arrived_at", dt.datetime)])(when)
    due = when.astimezone().date()
    assert arrived_by(sub, due) is True
    assert arrived_by(sub, due - dt.timedelta(days=1)) is False


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../../etc/passwd", "CET "])
def test_an_unknown_zone_is_an_error_at_its_path(tmp_path: Path, zone: str) -> None:
    report = validate_plan(write(tmp_path, plan(reporting={"timezone": zone})))
    [err] = [p for p in report.errors if p.code == "unknown-time-zone"]
    assert repr(zone) in err.message
    assert err.location.path == "$.reporting.timezone"
    assert err.location.line is not None


def test_a_plan_without_a_zone_is_warned(tmp_path: Path) -> None:
    report = validate_plan(write(tmp_path, plan(reporting={"cycle": "quarterly"})))
    assert report.valid
    [warn] = [p for p in report.warnings if p.code == "plan-time-zone-missing"]
    assert "reporting.timezone is not set" in warn.message
    assert warn.location.path == "$.reporting"


def test_the_store_lists_arrivals_in_the_plans_zone(
    demo: Plan, kp_near_midnight: Path, tmp_path: Path
) -> None:
    from mne_workbook.store import Store

    sub = read_return(kp_near_midnight, demo, PERIOD, keys=KEYS, require_signature=True)
    zone = plan_zone(demo)
    store = Store(str(tmp_path / "s.sqlite"))
    first = store.ingest(sub, zone=zone)
    again = store.known([first.sha256], zone)[first.sha256]
    utc_view = store.known([first.sha256])[first.sha256]
    assert first.new and first.arrived_at == "2026-10-16T00:30+02:00"
    assert again.arrived_at == first.arrived_at
    assert utc_view.arrived_at == show(NEAR_MIDNIGHT)  # no zone given: this computer's
