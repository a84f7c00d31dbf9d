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

from sqlalchemy import insert

from ..arrival import Arrival, Source, plan_zone, set_arrival
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

#: Arrival sources an uploaded saved e-mail brings; they beat the upload time.
MAIL_SOURCES = {str(Source.MAIL_RECEIVED), str(Source.MSG_DELIVERY), str(Source.MAIL_DATE)}


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
    counted_arrival: str = ""  # the arrival the store keeps (the first, for bytes seen before)
    notes: list[str] = field(default_factory=list)  # e-mail parts not read, and why

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
    server_clock = Arrival(arrived.replace(tzinfo=dt.UTC), Source.WEB_UPLOAD)
    try:
        paths, names = [], {}
        for i, f in enumerate(files):
            target = batch / disk_name(i, f.name)
            target.write_bytes(f.data)
            paths.append(target)
            names[str(target)] = Path(f.name.replace("\\", "/")).name[:255] or "upload"
        period = Period.parse(link.period) if link else None
        out = []
        with reading.reading(paths, plan, period) as got:
            for sub in got.submissions:
                alias: dict[str, str] = {}
                if sub.path in names:  # a workbook uploaded as it is (not an e-mail's)
                    alias[Path(sub.path).name] = names[sub.path]
                    sub.file_name = names[sub.path]
                else:  # an e-mail's attachment: "<e-mail>!<attachment>", e-mail as uploaded
                    mail, bang, rest = sub.name.partition("!")
                    original = names.get(str(batch / mail))
                    if bang and original:
                        alias[mail] = original
                        sub.file_name = f"{original}!{rest}"
                if sub.arrival_source not in MAIL_SOURCES:
                    set_arrival(sub, server_clock)  # the e-mail's own arrival is better
                if link is not None:
                    wrong = _wrong_link(sub, link)
                    if wrong is not None:
                        sub.problems.append(wrong)
                        sub.refused = True
                if not Path(sub.path).is_file():  # nothing to keep (an empty mailbox)
                    continue
                res = store.ingest(sub, now=arrived, zone=plan_zone(plan))
                channel = "link" if link else "desk"
                _record_arrival(store, res.sha256, sub, arrived, channel, actor, res.new)
                out.append(
                    Outcome(
                        sub.name,
                        sub.accepted,
                        res.new,
                        res.institution,
                        res.period,
                        arrived,
                        [
                            *(_relocated(p, sub.name, alias) for p in sub.problems),
                            *return_flags(plan, sub),
                        ],
                        res.arrived_at,
                    )
                )
            skipped = list(got.skipped)
        if skipped:
            out.append(
                Outcome("(e-mail parts not read)", False, False, "", "", arrived, [], "", skipped)
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


def _relocated(p: Problem, name: str, alias: dict[str, str] | None = None) -> Problem:
    """The problem with the received name instead of the inbox path (also in its text)."""
    loc = p.location
    message = p.message
    for disk, original in (alias or {}).items():
        message = message.replace(disk, original)
    return Problem(
        p.code,
        message,
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
