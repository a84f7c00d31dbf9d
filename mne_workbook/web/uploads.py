"""Receive uploaded returns: bounded reading in child processes, the store, arrival times.

The same path as ``mne-workbook ingest``: every file is read with the CLI's
:class:`mne_workbook.workflows.ReadSettings` (the gate, then the reader in a child
process with a time and memory bound), then kept in the store, accepted or refused. The
arrival time is the server's clock when the upload was received; it is recorded in
``web_arrivals`` beside the store's own ingestion time.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import insert, select

from ..consolidate import consolidate
from ..errors import Location, Problem, Severity
from ..periods import Period
from ..plan import Plan
from ..reader import Submission
from ..store import Store
from ..workflows import ReadSettings
from .accounts import utcnow
from .links import Link
from .tables import arrivals_t


@dataclass(frozen=True)
class Received:
    """One uploaded file as it arrived: the name the browser gave and its bytes."""

    name: str
    data: bytes


@dataclass
class Outcome:
    """What became of one uploaded file."""

    name: str
    accepted: bool
    new: bool
    institution: str
    period: str
    arrived_at: dt.datetime
    problems: list[Problem] = field(default_factory=list)

    @property
    def refusal(self) -> Problem | None:
        if self.accepted:
            return None
        return next((p for p in reversed(self.problems) if p.severity == Severity.ERROR), None)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != Severity.ERROR]


def disk_name(index: int, name: str) -> str:
    """A safe file name for an uploaded file: no path, no odd characters, its extension kept."""
    base = Path(name.replace("\\", "/")).name or "upload"
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    clean = re.sub(r"[^A-Za-z0-9_-]", "_", stem)[:80] or "upload"
    ext = re.sub(r"[^A-Za-z0-9]", "", ext)[:8].lower()
    return f"{index:03d}-{clean}" + (f".{ext}" if ext else "")


def _wrong_link(sub: Submission, link: Link) -> Problem | None:
    ident = sub.identity
    if ident is None or sub.refused:
        return None
    if ident.institution != link.institution or ident.period != link.period:
        return Problem(
            "link-wrong-return",
            f"this link is for {link.institution} {link.period}; the workbook is for"
            f" {ident.institution or 'ONATC (master)'} {ident.period}",
            Location(file=sub.name),
        )
    return None


def receive(
    files: Sequence[Received],
    store: Store,
    plan: Plan,
    inbox: Path,
    reading: ReadSettings,
    *,
    link: Link | None = None,
    actor: str = "-",
) -> list[Outcome]:
    """Read, check and store uploaded files; one Outcome per file, in order.

    With ``link``, each return must be that link's institution and period; another is
    refused (``link-wrong-return``) and kept as refused.
    """
    arrived = utcnow()
    batch = inbox / f"{arrived:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
    batch.mkdir(parents=True, exist_ok=False)
    try:
        paths = []
        for i, f in enumerate(files):
            target = batch / disk_name(i, f.name)
            target.write_bytes(f.data)
            paths.append(target)
        period = Period.parse(link.period) if link else None
        subs = reading.read(paths, plan, period)
        out = []
        for f, sub in zip(files, subs, strict=True):
            sub.file_name = Path(f.name.replace("\\", "/")).name[:255] or "upload"
            if link is not None:
                wrong = _wrong_link(sub, link)
                if wrong is not None:
                    sub.problems.append(wrong)
                    sub.refused = True
            res = store.ingest(sub, now=arrived)
            _record_arrival(
                store, res.sha256, sub, arrived, "link" if link else "desk", actor, res.new
            )
            out.append(
                Outcome(
                    sub.name,
                    sub.accepted,
                    res.new,
                    res.institution,
                    res.period,
                    arrived,
                    [
                        *(_relocated(p, sub.name) for p in sub.problems),
                        *return_flags(plan, sub),
                    ],
                )
            )
        return out
    finally:
        shutil.rmtree(batch, ignore_errors=True)


def return_flags(plan: Plan, sub: Submission, as_of: dt.date | None = None) -> list[Problem]:
    """What consolidation flags in this one return (missing status, value, rating...), located."""
    if sub.refused or sub.identity is None or not sub.identity.institution:
        return []
    try:
        period = Period.parse(sub.identity.period)
    except ValueError:
        return []
    con = consolidate(plan, [sub], period, as_of)
    out = []
    for f in con.flags:
        if f.file != sub.name or any(
            p.code == f.code and p.message == f.message for p in sub.problems
        ):
            continue
        sheet, _, ref = f.cell.partition("!")
        col = "".join(c for c in ref if c.isalpha()) or None
        row = int("".join(c for c in ref if c.isdigit()) or 0) or None
        out.append(
            Problem(
                f.code, f.message, Location(file=sub.name, sheet=sheet or None, row=row, column=col)
            )
        )
    return out


def _relocated(p: Problem, name: str) -> Problem:
    """The problem with the received name instead of the inbox path."""
    loc = p.location
    return Problem(
        p.code,
        p.message,
        Location(file=name, sheet=loc.sheet, row=loc.row, column=loc.column, path=loc.path),
        p.severity,
    )


def _record_arrival(
    store: Store,
    sha: str,
    sub: Submission,
    at: dt.datetime,
    channel: str,
    actor: str,
    new: bool,
) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            insert(arrivals_t).values(
                sha256=sha,
                file_name=sub.name,
                arrived_at=at,
                channel=channel,
                actor=actor[:128],
                accepted=sub.accepted,
                new=new,
            )
        )


def first_arrivals(store: Store) -> dict[str, dt.datetime]:
    """sha256 -> when those bytes first arrived through the desk or a link."""
    out: dict[str, dt.datetime] = {}
    with store.engine.connect() as conn:
        for sha, at in conn.execute(select(arrivals_t.c.sha256, arrivals_t.c.arrived_at)):
            if sha not in out or at < out[sha]:
                out[sha] = at
    return out
