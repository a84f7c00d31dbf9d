"""Keeping returns in the store: known bytes are skipped before any parser runs.

Each input is hashed in chunks in the parent (bounded memory); files whose bytes the
store already holds are reported as they were stored and never read again, so
re-ingesting a whole inbox costs one hash per file. The rest are read through the one
bounded reading path (:func:`intake.read_inputs`: workbooks, and saved e-mails'
attachments) and stored with the exact bytes of their names. ``ingest --rebuild``
feeds the archive back through the same path.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .discovery import Input, hash_file
from .errors import Problem
from .reader import Submission
from .store import Store

if TYPE_CHECKING:
    from .intake import Inputs

#: Inputs read and stored at a time: the returns read are held until stored, so an ingest
#: of 10,000 files holds no more than this many (each batch still uses every worker).
BATCH = 500

#: reads some inputs inside a ``with`` block (extracted attachments live until it ends)
Reader = Callable[[Sequence[Input]], AbstractContextManager["Inputs"]]


@dataclass(frozen=True)
class Ingested:
    """What became of one input (or one attachment of a saved e-mail)."""

    name: str  # shown safely
    sha256: str
    new: bool  # False: the bytes were already stored (then not read again)
    accepted: bool
    refusal: str  # code of the refusal, "" when accepted
    institution: str
    period: str
    arrived_at: str = ""  # the stored arrival (the first one, for bytes already stored)
    arrival_source: str = ""
    kept: bool = True  # False: nothing to keep (an empty .mbox folder)
    problem: Problem | None = None  # why it was refused (new files only)
    submission: Submission | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.name,
            "sha256": self.sha256 or None,
            "new": self.new,
            "accepted": self.accepted,
            "refusal": self.refusal or None,
            "institution": self.institution or None,
            "period": self.period or None,
            "arrived_at": self.arrived_at or None,
            "arrival_source": self.arrival_source or None,
        }


def ingest_inputs(
    store: Store,
    inputs: Sequence[Input],
    read: Reader,
    *,
    max_archive_bytes: int | None = None,
    skipped: list[str] | None = None,
    provenance: dict[str, dict[str, Any]] | None = None,
    prepare: Callable[[list[Submission]], object] | None = None,
    keep_submissions: bool = False,
    zone: dt.tzinfo | None = None,
) -> list[Ingested]:
    """Store every input (accepted or refused); ``read`` is the bounded reader.
    E-mail parts that were not read are appended to ``skipped``. ``provenance`` (path ->
    archive sidecar) restores arrival, sender and first ingest when rebuilding;
    ``prepare`` sees the new submissions before they are stored. Inputs are read and
    stored :data:`BATCH` at a time; each row keeps its Submission only with
    ``keep_submissions`` (otherwise memory would grow with every file). Arrival times
    are shown in ``zone`` (the plan's; None: this computer's)."""
    out: list[Ingested] = []
    hashed: list[tuple[Input, str]] = []
    for inp in inputs:
        if inp.path.is_dir():  # an X.mbox folder: read as one mailbox, never "known"
            hashed.append((inp, ""))
            continue
        try:
            _size, sha = hash_file(inp.path)
        except OSError as exc:
            p = Problem("input-unreadable", f"cannot read it: {exc.strerror or exc}")
            out.append(Ingested(inp.shown, "", False, False, p.code, "", "", problem=p))
            continue
        hashed.append((inp, sha))
    known = store.known((sha for _, sha in hashed if sha), zone)
    todo: list[Input] = []
    for inp, sha in hashed:
        k = known.get(sha) if sha else None
        if k is None:
            todo.append(inp)
            continue
        out.append(
            Ingested(
                inp.shown,
                sha,
                False,
                k.accepted,
                "",
                k.institution,
                k.period,
                k.arrived_at,
                k.arrival_source,
            )
        )
    if not todo:
        return out
    raw = {str(i.path): i.raw_name for i in todo}
    keep = keep_submissions
    deferred: list[Submission] = []  # e-mails that could not be opened: stored last, as before
    for start in range(0, len(todo), BATCH):
        with read(todo[start : start + BATCH]) as got:
            if skipped is not None:
                skipped += got.skipped
            if prepare is not None:
                prepare(got.submissions)
            cut = len(got.submissions) - got.mail_refusals
            deferred += got.submissions[cut:]
            for sub in got.submissions[:cut]:
                out.append(_store(store, sub, raw, provenance, max_archive_bytes, keep, zone))
    for sub in deferred:
        out.append(_store(store, sub, raw, provenance, max_archive_bytes, keep, zone))
    return out


def _store(
    store: Store,
    sub: Submission,
    raw: dict[str, bytes],
    provenance: dict[str, dict[str, Any]] | None,
    max_archive_bytes: int | None,
    keep: bool,
    zone: dt.tzinfo | None = None,
) -> Ingested:
    why = sub.refusal()
    code = why.code if why else ""
    if not Path(sub.path).is_file():  # an empty .mbox folder: listed, not kept
        return Ingested(sub.name, "", False, False, code, "", "", kept=False)
    when = _restore(sub, (provenance or {}).get(sub.path))
    res = store.ingest(
        sub, when, raw_name=raw.get(sub.path), max_archive_bytes=max_archive_bytes, zone=zone
    )
    return Ingested(
        res.name,
        res.sha256,
        res.new,
        sub.accepted,
        code,
        res.institution,
        res.period,
        res.arrived_at,
        res.arrival_source,
        True,
        why,
        sub if keep else None,
    )


def _restore(sub: Submission, side: dict[str, Any] | None) -> dt.datetime | None:
    """Put back what the archive's sidecar kept; the first ingest time (or None)."""
    if not side:
        return None
    from .arrival import check_saved_time

    if side.get("arrived_at"):
        sub.arrived_at = dt.datetime.fromisoformat(side["arrived_at"])
        sub.arrival_source = side.get("arrival_source") or ""
        # the saved-time check ran against the archive file's time: run it again
        sub.problems = [p for p in sub.problems if p.code != "implausible-saved-time"]
        check_saved_time(sub)
    sub.sender = side.get("sender") or sub.sender
    sub.subject = side.get("subject") or sub.subject
    at = side.get("ingested_at")
    return dt.datetime.fromisoformat(at) if at else None


def archived_inputs(store: Store) -> tuple[list[Input], dict[str, dict[str, Any]]]:
    """Every file in the store's archive under the name it was received with, and what
    its sidecar kept (arrival, sender, first ingest), by path."""
    items = []
    sides: dict[str, dict[str, Any]] = {}
    for f in store.archived_files():
        side: dict[str, Any] = {}
        with suppress(OSError, ValueError):
            side = json.loads(f.with_suffix(".json").read_text("utf-8"))
        try:
            name = os.fsdecode(bytes.fromhex(side.get("name_hex") or "")) or f.name
        except ValueError:
            name = f.name
        items.append(Input(f, name))
        sides[str(f)] = side
    return items, sides
