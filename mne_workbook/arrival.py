"""When a return arrived, and what its own clock is worth.

The workbook's last-saved time (``docProps/core.xml``) is written by the sender's
computer and signed by nothing, so it decides nothing. A return's arrival time is, in
this order: the e-mail's arrival (the top-most ``Received:`` header, added by ONATC's
own mail server; ``Date:`` only when there is none, and then it says so); the time the
history store first saw the bytes (recorded at the first ingest from the best of the
other sources); the file's modification time in ONATC's inbox. "On time" means arrived
by the end of the due date in ONATC's time zone (the plan's ``reporting.timezone``; without
it, the zone of the computer running the command). The saved time is kept as evidence:
:func:`check_saved_time` flags it when it is before the signed generation time, after
the arrival, or in the future.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .errors import Location, Problem

if TYPE_CHECKING:
    from .plan import Plan
    from .reader import Submission

#: Clocks disagree a little (the sender's PC, ONATC's mail server, ONATC's PC); a saved
#: time off by less than this is not called implausible.
SKEW = dt.timedelta(minutes=10)


class Source(StrEnum):
    """Where an arrival time came from, best first."""

    MAIL_RECEIVED = "mail-received"  # top-most Received: header (ONATC's mail server)
    MSG_DELIVERY = "msg-delivery"  # Outlook's delivery time in a .msg without headers
    MAIL_DATE = "mail-date"  # the sender's Date: header: no Received: header at all
    WEB_UPLOAD = "web-upload"  # the web desk's clock when the upload arrived (issue 18)
    STORE = "store-first-seen"  # the history store's first sight of the bytes
    FILE_MTIME = "file-mtime"  # modification time of the file in ONATC's inbox


SOURCE_TEXT = {
    Source.MAIL_RECEIVED: "e-mail Received: header",
    Source.MSG_DELIVERY: "Outlook delivery time",
    Source.MAIL_DATE: "e-mail Date: header (sender's clock; no Received: header)",
    Source.WEB_UPLOAD: "uploaded to the web desk (server clock)",
    Source.STORE: "first seen by the store",
    Source.FILE_MTIME: "file time in the inbox",
}


@dataclass(frozen=True)
class Arrival:
    at: dt.datetime  # timezone-aware
    source: Source

    def describe(self) -> str:
        return f"{show(self.at)} ({SOURCE_TEXT[self.source]})"


def utc(when: dt.datetime) -> dt.datetime:
    """An aware UTC datetime; a naive one is taken as UTC (as xlsx and the store keep them)."""
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def plan_zone(plan: Plan | None) -> dt.tzinfo | None:
    """ONATC's time zone from the plan; None means the zone of this computer."""
    name = plan.reporting.timezone if plan is not None else None
    return ZoneInfo(name) if name else None


def today(zone: dt.tzinfo | None = None) -> dt.date:
    """Today's date in ``zone`` (None: this computer's zone)."""
    return dt.datetime.now(dt.UTC).astimezone(zone).date()


def show(when: dt.datetime | None, zone: dt.tzinfo | None = None) -> str:
    """A time as people read it: in ONATC's zone, to the minute, with its offset."""
    if when is None:
        return ""
    return utc(when).astimezone(zone).isoformat(timespec="minutes")


def file_arrival(path: str | Path, now: dt.datetime | None = None) -> Arrival:
    """The inbox file's modification time (never later than now)."""
    now = utc(now or dt.datetime.now(dt.UTC))
    mtime = dt.datetime.fromtimestamp(os.stat(path).st_mtime, dt.UTC)
    return Arrival(min(mtime, now), Source.FILE_MTIME)


def arrival_of(sub: Submission) -> Arrival | None:
    if sub.arrived_at is None:
        return None
    return Arrival(utc(sub.arrived_at), Source(sub.arrival_source or Source.FILE_MTIME))


def arrived_by(sub: Submission, due: dt.date, zone: dt.tzinfo | None = None) -> bool | None:
    """True when the return arrived by the end of ``due`` in ``zone``; None if unknown."""
    if sub.arrived_at is None:
        return None
    return utc(sub.arrived_at).astimezone(zone).date() <= due


def _saved_evidence(sub: Submission) -> dt.datetime | None:
    """The saved time when it is plausible; an implausible one tells nothing."""
    if sub.saved_at is None or any(p.code == "implausible-saved-time" for p in sub.problems):
        return None
    return utc(sub.saved_at)


def order_key(sub: Submission) -> tuple[dt.datetime, dt.datetime]:
    """How returns of one institution and period are ordered: arrival, then saved time."""
    low = dt.datetime.min.replace(tzinfo=dt.UTC)
    arrived = utc(sub.arrived_at) if sub.arrived_at else low
    return (arrived, _saved_evidence(sub) or low)


def tied(a: Submission, b: Submission) -> bool:
    """Neither arrival nor a plausible saved time tells ``a`` and ``b`` apart."""
    (arr_a, saved_a), (arr_b, saved_b) = order_key(a), order_key(b)
    low = dt.datetime.min.replace(tzinfo=dt.UTC)
    return arr_a == arr_b and (saved_a == saved_b or low in (saved_a, saved_b))


def check_saved_time(sub: Submission, now: dt.datetime | None = None) -> list[Problem]:
    """``implausible-saved-time`` problems for ``sub`` (also appended to its problems)."""
    if (
        sub.saved_at is None
        or sub.refused
        or any(p.code == "implausible-saved-time" for p in sub.problems)
    ):
        return []
    saved = utc(sub.saved_at)
    now = utc(now or dt.datetime.now(dt.UTC))
    reasons = []
    generated = _generated_at(sub)
    if generated is not None and saved < generated - SKEW:
        reasons.append(f"before the workbook was generated ({show(generated)}, signed)")
    arrival = arrival_of(sub)
    if arrival is not None and saved > arrival.at + SKEW:
        reasons.append(f"after it arrived ({arrival.describe()})")
    if saved > now + SKEW:
        reasons.append(f"in the future (now {show(now)})")
    if not reasons:
        return []
    problem = Problem(
        "implausible-saved-time",
        f"{sub.name}: its own last-saved time {show(saved)} is "
        + " and ".join(reasons)
        + "; the saved time was not used",
        Location(file=sub.name),
    )
    sub.problems.append(problem)
    return [problem]


def _generated_at(sub: Submission) -> dt.datetime | None:
    if sub.identity is None or not sub.identity.generated_at:
        return None
    try:
        return utc(dt.datetime.fromisoformat(sub.identity.generated_at.replace("Z", "+00:00")))
    except ValueError:
        return None


def complete_arrival(sub: Submission, now: dt.datetime | None = None) -> None:
    """Give ``sub`` the inbox file's time when nothing better is known, and check its
    saved time (idempotent)."""
    if sub.arrived_at is None and Path(sub.path).exists():
        set_arrival(sub, file_arrival(sub.path, now))
    check_saved_time(sub, now)


def set_arrival(sub: Submission, arrival: Arrival) -> None:
    sub.arrived_at = arrival.at
    sub.arrival_source = str(arrival.source)


__all__ = [
    "SKEW",
    "Arrival",
    "Source",
    "arrival_of",
    "arrived_by",
    "check_saved_time",
    "complete_arrival",
    "file_arrival",
    "order_key",
    "set_arrival",
    "show",
    "tied",
    "utc",
]
