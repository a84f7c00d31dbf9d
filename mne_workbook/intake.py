"""Keeping returns in the store: known bytes are skipped before any parser runs.

Each input is hashed in chunks in the parent (a size check first, bounded memory);
files whose bytes the store already holds are reported as they were stored and
never read again, so re-ingesting a whole inbox costs one hash per file. The rest
are read through the one bounded reading path and stored with the exact bytes of
their names. ``ingest --rebuild`` feeds the archive back through the same path.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .discovery import Input, hash_file
from .errors import Problem
from .reader import Submission
from .store import Store

Reader = Callable[[Sequence[Input]], list[Submission]]


@dataclass(frozen=True)
class Ingested:
    """What became of one input."""

    name: str  # shown safely
    sha256: str
    new: bool  # False: the bytes were already stored (then not read again)
    accepted: bool
    refusal: str  # code of the refusal, "" when accepted
    institution: str
    period: str
    problem: Problem | None = None  # why it was refused (new files only)
    submission: Submission | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.name,
            "sha256": self.sha256,
            "new": self.new,
            "accepted": self.accepted,
            "refusal": self.refusal or None,
            "institution": self.institution or None,
            "period": self.period or None,
        }


def ingest_inputs(
    store: Store,
    inputs: Sequence[Input],
    read: Reader,
    *,
    max_archive_bytes: int | None = None,
    ingested_at: dict[Path, dt.datetime] | None = None,
) -> list[Ingested]:
    """Store every input (accepted or refused); ``read`` is the bounded reader."""
    out: list[Ingested | None] = [None] * len(inputs)
    hashed: list[tuple[int, Input, str]] = []
    for i, inp in enumerate(inputs):
        try:
            _size, sha = hash_file(inp.path)
        except OSError as exc:
            p = Problem("input-unreadable", f"cannot read it: {exc.strerror or exc}")
            out[i] = Ingested(inp.shown, "", False, False, p.code, "", "", p)
            continue
        hashed.append((i, inp, sha))
    known = store.known(sha for _, _, sha in hashed)
    todo: list[tuple[int, Input]] = []
    first: dict[str, int] = {}
    for i, inp, sha in hashed:
        if sha in known:
            k = known[sha]
            out[i] = Ingested(inp.shown, sha, False, k.accepted, "", k.institution, k.period, None)
        elif sha in first:  # the same bytes twice in this run: read once
            todo.append((i, inp))
        else:
            first[sha] = i
            todo.append((i, inp))
    subs = read([inp for _, inp in todo]) if todo else []
    for (i, inp), sub in zip(todo, subs, strict=True):
        when = (ingested_at or {}).get(inp.path)
        res = store.ingest(sub, when, raw_name=inp.raw_name, max_archive_bytes=max_archive_bytes)
        why = sub.refusal()
        out[i] = Ingested(
            inp.shown,
            res.sha256,
            res.new,
            sub.accepted,
            why.code if why else "",
            res.institution,
            res.period,
            why,
            sub,
        )
    return [o for o in out if o is not None]


def archived_inputs(store: Store) -> list[Input]:
    """Every file in the store's archive, under the name it was received with."""
    items = []
    for f in store.archived_files():
        side = f.with_suffix(".name")
        try:
            name = os.fsdecode(side.read_bytes()) if side.exists() else f.name
        except OSError:
            name = f.name
        items.append(Input(f, name or f.name))
    return items
