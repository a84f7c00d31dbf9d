"""Hold thousands of returns in little memory: their answers wait on disk.

Consolidating a round needs every return's answers only to decide which of them count
(:mod:`return_rule`), and then only the answers of the returns that give a cell first.
A :class:`Spill` keeps each accepted return's values and activity reports in an
unlinked temporary file (gone when it is closed, or when the process ends however it
ends) as it arrives from a reader, and leaves on the Submission everything else (its
identity, times, problems, the map of its cells) plus the rule's :class:`Facts` (a digest
of its content and which cells it answers). The rule reads answers back for a moment,
and puts them back on the returns that count (:meth:`Spill.restore`).

A Submission kept here holds no values and no activity reports until it is restored:
only the consolidation it was read for may look at it (``consolidate(..., held=spill)``),
and only while the spill is open. Memory then grows with the returns by what the
consolidation's own output holds for each (its row of the Submissions sheet, its flags),
not by its answers.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from types import TracebackType

from .reader import Submission
from .return_rule import Answers, Facts, Key, facts_of

#: an accepted return's facts and its answers pickled (:func:`pack`)
Packed = tuple[Facts, bytes]


def pack(sub: Submission) -> Packed:
    """The rule's facts of an accepted return and its answers pickled, taken off it.

    A reading worker packs a return before sending it, so that the parent writes the
    bytes to the spill as they come (:meth:`Spill.keep`) instead of unpickling the
    answers and pickling them again."""
    facts = facts_of(sub)
    data = pickle.dumps((sub.values, sub.activities), pickle.HIGHEST_PROTOCOL)
    sub.values = []
    sub.activities = {}
    return facts, data


class Spill:
    """The answers of the returns of one run, in a temporary file (a ``with`` block)."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        # unlinked at once; closed by close() (the spill is a with block)
        self._file = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115
        self._end = 0
        self._dirty = False
        #: id of a kept Submission -> (it, offset, length, facts); it is held so that
        #: its id stays its own
        self._kept: dict[int, tuple[Submission, int, int, Facts]] = {}
        self._keys: dict[frozenset[Key], frozenset[Key]] = {}  # one set per layout

    def __enter__(self) -> Spill:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()
        self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)

    def keep(self, sub: Submission, packed: Packed | None = None) -> Submission:
        """Move an accepted return's answers to disk (a refused one is left as it is);
        ``packed``: what :func:`pack` took off it already (in a reading worker)."""
        if packed is None:
            if sub.refused:
                return sub
            packed = pack(sub)
        facts, data = packed
        keys = self._keys.setdefault(facts.keys, facts.keys)
        self._file.write(data)
        self._dirty = True
        self._kept[id(sub)] = (sub, self._end, len(data), Facts(facts.digest, keys))
        self._end += len(data)
        return sub

    def _held(self, sub: Submission) -> tuple[Submission, int, int, Facts] | None:
        got = self._kept.get(id(sub))
        return got if got is not None and got[0] is sub else None

    def facts(self, sub: Submission) -> Facts:
        got = self._held(sub)
        return got[3] if got is not None else facts_of(sub)

    def answers_of(self, sub: Submission) -> Answers:
        got = self._held(sub)
        if got is None:
            return sub.values, sub.activities
        if self._dirty:
            self._file.flush()
            self._dirty = False
        _, offset, length, _ = got
        data = os.pread(self._file.fileno(), length, offset)
        if len(data) != length:
            raise OSError(
                f"the answers of {sub.name} could not be read back from {self._file.name}"
            )
        values, activities = pickle.loads(data)
        return values, activities

    def restore(self, sub: Submission) -> Submission:
        if self._held(sub) is not None and not (sub.values or sub.activities):
            sub.values, sub.activities = self.answers_of(sub)
        return sub
