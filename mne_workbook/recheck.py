"""Re-read stored returns refused for a reason that can go away.

The store keeps the bytes of every return, so a refusal that depended on the
circumstances of the run (the signing key was not at hand, a limit was lower, the
machine was slow) is not final: :func:`recheck` re-reads such returns when the reason
no longer holds (the key is now in the key ring, the file is within the size limit),
or all of them when asked (``ingest --recheck``), and records the new outcome next to
the old one in the audit trail. A return refused for what is in it (a deleted row, a
forged identity) is not re-read unless asked: reading it again gives the same answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .arrival import check_saved_time
from .intake import check_sender
from .plan import Plan
from .reader import Submission
from .signing import KeyRing
from .store import Store, StoredRefusal

#: Refusals that say more about the run than about the file.
RECHECKABLE = frozenset(
    {
        "unknown-signing-key",  # the key was missing or not in the ring
        "unsigned-workbook",  # read again with --allow-unsigned
        "file-too-large",
        "archive-too-large",
        "parse-timeout",
        "parse-memory",
    }
)


@dataclass(frozen=True)
class Rechecked:
    """One stored return read again: what it was, what it is now, and why it was re-read."""

    name: str
    trigger: str  # key-now-known | limit-raised | recheck
    before: str  # the old refusal's code
    accepted: bool
    after: str  # the new refusal's code ("" when accepted)
    institution: str
    period: str

    @property
    def changed(self) -> bool:
        return self.accepted or self.after != self.before


def due_for_recheck(
    refused: Sequence[StoredRefusal], keys: KeyRing | None, max_file_bytes: int, everything: bool
) -> list[tuple[StoredRefusal, str]]:
    """The refused returns to read again, each with why: its reason no longer holds, or
    ``everything`` (then every refusal in :data:`RECHECKABLE`)."""
    out = []
    for r in refused:
        if r.code == "unknown-signing-key" and keys is not None and keys.by_id(r.key_id):
            out.append((r, "key-now-known"))
        elif r.code == "file-too-large" and r.size <= max_file_bytes:
            out.append((r, "limit-raised"))
        elif everything and r.code in RECHECKABLE:
            out.append((r, "recheck"))
    return out


def recheck(
    plan: Plan,
    store: Store,
    keys: KeyRing | None,
    max_file_bytes: int,
    read: Callable[[Sequence[Path]], list[Submission]],
    everything: bool = False,
    now: dt.datetime | None = None,
) -> list[Rechecked]:
    """Re-read the returns :func:`due_for_recheck` names with ``read`` (the bounded
    reader with this run's settings) and record each outcome in the store."""
    todo = due_for_recheck(store.refused_returns(), keys, max_file_bytes, everything)
    if not todo:
        return []
    subs = read([r.archive for r, _ in todo])
    out = []
    for (stored, trigger), sub in zip(todo, subs, strict=True):
        sub.file_name = stored.file_name
        sub.arrived_at, sub.arrival_source = stored.arrived_at, stored.arrival_source
        sub.sender, sub.subject = stored.sender, stored.subject
        if sub.sender:
            check_sender(sub, plan, stored.file_name)
        check_saved_time(sub, now)
        reason = sub.refusal()
        store.reevaluate(stored.id, sub, trigger, now)
        out.append(
            Rechecked(
                stored.file_name,
                trigger,
                stored.code,
                sub.accepted,
                reason.code if reason else "",
                sub.institution or "",
                sub.identity.period if sub.identity else "",
            )
        )
    return out
