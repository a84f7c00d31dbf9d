"""Which return counts: the one rule, used by :mod:`consolidate` and :mod:`store`.

- A return with no answer in it is not a return (``empty-return``: not received).
- Identical returns count once (``duplicate-return``).
- Several returns of one institution and period merge **per cell**: for each cell the
  newest return that answered it gives the value, which keeps the file it came from.
- A newer return that leaves blank what an older one answered is flagged
  (``answer-blanked``) with those cells; the older answers stand.
- Returns whose order cannot be told (same order key) and that give different values
  for a cell, or of which one wrote something unusable there, are a conflict
  (``return-conflict``): neither value is used. The order is never decided by file name.

The order of returns is :func:`order_key`, and only it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Protocol, cast

from . import arrival
from .errors import Severity
from .reader import ActivityReport, CellRef, ReportedValue, Submission


def order_key(sub: Submission) -> tuple[dt.datetime, dt.datetime]:
    """The one order of returns (newer sorts higher): :func:`arrival.order_key`, the
    arrival time first, then a plausible saved time."""
    return arrival.order_key(sub)


def answered(sub: Submission) -> bool:
    """Does the return answer anything (a value, a status, a rating, a comment, or an
    entry that was refused at its cell)?"""
    if sub.values:
        return True
    for a in sub.activities.values():
        if any(v is not None for v in (a.status, a.rating_hy, a.rating_y, a.comment)):
            return True
    return any(p.severity == Severity.ERROR and p.location.row for p in sub.problems)


@dataclass(frozen=True)
class RuleFlag:
    """A flag of the rule; :mod:`consolidate` turns it into a matrix flag."""

    code: str
    message: str
    institution: str
    file: str = ""
    cell: str = ""
    activity: str = ""
    indicator: str = ""
    point_end: dt.date | None = None  # a value cell
    field: str = ""  # an activity cell: status, rating_hy, rating_y, comments


@dataclass
class Choice:
    """The returns that count, per institution (merged when several), and why."""

    used: dict[str, Submission] = field(default_factory=dict)
    flags: list[RuleFlag] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)  # path -> what became of the file
    empty: dict[str, list[Submission]] = field(default_factory=dict)  # only empty returns
    #: a copy's file name -> the name of the identical return kept in its place
    copies: dict[str, str] = field(default_factory=dict)
    #: (institution, activity, indicator or "", point end or field) -> file names
    sources: dict[tuple[str, str, str, object], str] = field(default_factory=dict)


def when(sub: Submission) -> str:
    """Arrival (and saved time) of a return, for messages."""
    arrived = arrival.arrival_of(sub)
    text = f"arrived {arrived.describe()}" if arrived else "arrival unknown"
    return text + (f", saved {arrival.show(sub.saved_at)}" if sub.saved_at else "")


def _error_cells(sub: Submission) -> set[tuple[str | None, int | None, str | None]]:
    return {
        (p.location.sheet, p.location.row, p.location.column)
        for p in sub.problems
        if p.severity == Severity.ERROR and p.location.row
    }


#: a cell a return answers: ("v", activity, indicator, point end) or ("a", activity, "", field)
Key = tuple[str, str, str, object]
#: a return's answers: its values and its activity reports
Answers = tuple[list[ReportedValue], dict[str, ActivityReport]]
_FIELDS = ("status", "rating_hy", "rating_y", "comments")


def _answers(
    values: list[ReportedValue], activities: dict[str, ActivityReport]
) -> Iterator[tuple[Key, object, CellRef | None, str]]:
    """Every answer of a return, in its order: cell key, value, cell, period label."""
    for v in values:
        yield ("v", v.activity, v.indicator, v.point_end), v.value, v.cell, v.point
    for a in activities.values():
        for fld in _FIELDS:
            value = getattr(a, "comment" if fld == "comments" else fld)
            if value is not None:
                yield ("a", a.activity, "", fld), value, a.cells.get(fld), ""


@dataclass(frozen=True)
class Facts:
    """What the rule must know of a return before it looks at its answers."""

    digest: bytes  # of its content key: identical returns have the same digest
    keys: frozenset[Key]  # the cells it answers


def _exact(x: object) -> object:
    """``x`` such that values that compare equal read the same (1, True, an IntEnum 1, 1.0)."""
    if x is None or type(x) is str:
        return x
    if isinstance(x, int):
        return int(x)
    if isinstance(x, float) and x.is_integer():
        return int(x)
    return (type(x).__name__, x)


def content_digest(sub: Submission) -> bytes:
    """SHA-256 of :meth:`Submission.content_key`: equal keys give equal digests (the
    values are compared as text there already; codes and ratings are read as numbers)."""
    inst, vals, acts = sub.content_key()
    exact = tuple(tuple(_exact(x) for x in a) for a in acts)  # type: ignore[attr-defined]
    return hashlib.sha256(ascii((inst, vals, exact)).encode("ascii")).digest()


def facts_of(sub: Submission) -> Facts:
    """The rule's facts of a return that holds its answers."""
    keys = frozenset(k for k, _, _, _ in _answers(sub.values, sub.activities))
    return Facts(content_digest(sub), keys)


class Held(Protocol):
    """Where returns' answers are: on them (:data:`IN_MEMORY`), or on disk
    (:class:`mne_workbook.spill.Spill`) with only their facts in memory."""

    def facts(self, sub: Submission) -> Facts: ...

    def answers_of(self, sub: Submission) -> Answers:
        """Its values and activity reports (read back for a moment)."""
        ...

    def restore(self, sub: Submission) -> Submission:
        """``sub`` with its answers on it again (it counts); returned."""
        ...


class _InMemory:
    def facts(self, sub: Submission) -> Facts:
        return facts_of(sub)

    def answers_of(self, sub: Submission) -> Answers:
        return sub.values, sub.activities

    def restore(self, sub: Submission) -> Submission:
        return sub


IN_MEMORY: Held = _InMemory()


def _answered(sub: Submission, facts: Facts) -> bool:
    """:func:`answered`, from the facts (the answers themselves may be on disk)."""
    return bool(facts.keys) or any(
        p.severity == Severity.ERROR and p.location.row for p in sub.problems
    )


def answered_in(sub: Submission, held: Held | None) -> bool:
    """:func:`answered` for a return whose answers ``held`` keeps."""
    return answered(sub) if held is None else _answered(sub, held.facts(sub))


def choose(submissions: Iterable[Submission], held: Held | None = None) -> Choice:
    """Apply the rule to a period's submissions (refused ones are ignored here).

    ``held``: where the returns' answers are (default: on them); only the returns
    that give a cell first are read back, each once."""
    held = held or IN_MEMORY
    by_inst: dict[str, list[Submission]] = defaultdict(list)
    for s in submissions:
        if s.accepted and s.institution:
            arrival.complete_arrival(s)  # the inbox file time when nothing better is known
            by_inst[s.institution].append(s)
    out = Choice()
    for inst, subs in by_inst.items():
        facts = [held.facts(s) for s in subs]
        full = [(s, f) for s, f in zip(subs, facts, strict=True) if _answered(s, f)]
        for s, f in zip(subs, facts, strict=True):
            if not _answered(s, f):
                out.flags.append(
                    RuleFlag(
                        "empty-return",
                        f"{s.name} ({when(s)}) has no answer in it; not counted as received",
                        inst,
                        s.name,
                    )
                )
                out.notes[s.path] = "empty: not counted"
        if not full:
            out.empty[inst] = subs
            continue
        distinct: list[tuple[Submission, Facts]] = []
        # each content once, with the newest return that has it (one digest per return:
        # comparing every return with every distinct one was quadratic at thousands)
        first_with: dict[bytes, Submission] = {}
        for s, f in sorted(full, key=lambda sf: order_key(sf[0]), reverse=True):
            twin = first_with.setdefault(f.digest, s)
            if twin is s:
                distinct.append((s, f))
                continue
            out.flags.append(
                RuleFlag(
                    "duplicate-return",
                    f"{s.name} has the same content as {twin.name}; counted once",
                    inst,
                    s.name,
                )
            )
            out.notes[s.path] = f"duplicate of {twin.name}"
            out.copies[s.name] = twin.name
        if len(distinct) == 1:
            only = held.restore(distinct[0][0])
            out.used[inst] = only
            _record_sources(out, inst, only)
            continue
        out.used[inst] = _merge(inst, distinct, out, held)
    return out


def _record_sources(out: Choice, inst: str, sub: Submission) -> None:
    for v in sub.values:
        out.sources[(inst, v.activity, v.indicator, v.point_end)] = v.file or sub.name
    for a in sub.activities.values():
        for fld in _FIELDS:
            attr = "comment" if fld == "comments" else fld
            if getattr(a, attr) is not None:
                out.sources[(inst, a.activity, "", fld)] = a.sources.get(fld, sub.name)


def _merge(
    inst: str, distinct: list[tuple[Submission, Facts]], out: Choice, held: Held
) -> Submission:
    """Per-cell merge of ``distinct`` (newest first, distinct contents).

    Each cell is given by the newest group of returns (returns whose order cannot be
    told) that answers it: only the answers of a group that gives some cell first are
    read; of the others the facts (which cells they answer) tell enough."""
    subs = [s for s, _ in distinct]
    groups: list[list[int]] = []  # returns whose order cannot be told
    for i, s in enumerate(subs):
        if groups and arrival.tied(subs[groups[-1][0]], s):
            groups[-1].append(i)
            out.flags.append(
                RuleFlag(
                    "return-order-tie",
                    f"{s.name} and {subs[groups[-1][0]].name} differ, and neither their arrival"
                    f" ({when(s)}) nor a plausible saved time tells which is newer; where"
                    " they give different answers, neither is used (return-conflict)",
                    inst,
                    s.name,
                )
            )
        else:
            groups.append([i])
    group_of = [g for g, members in enumerate(groups) for _ in members]
    newest = held.restore(subs[0])
    # every cell, in the order the returns (newest first) answer it, with the answers
    # of the group that answers it first: {sub index: (value, cell, period label)}
    cells: dict[Key, dict[int, tuple[object, CellRef | None, str]]] = {}
    seen: set[Key] = set()
    for members in groups:
        new = set().union(*(distinct[i][1].keys for i in members)) - seen
        if not new:
            continue  # nothing that a newer return did not answer
        for i in members:
            if not distinct[i][1].keys & new:
                continue
            got = (newest.values, newest.activities) if i == 0 else held.answers_of(subs[i])
            for key, value, cell, point in _answers(*got):
                if key in new:
                    answers = cells.setdefault(key, {})
                    had = answers.get(i)  # a value's label comes from its first entry
                    answers[i] = (value, cell, had[2] if had else point)
        seen |= new
    errors = [_error_cells(s) for s in subs]
    start = [members[0] for members in groups]  # the first index of each group
    merged = replace(
        newest,
        values=[],
        activities={k: ActivityReport(k) for k in newest.activities},
        problems=[],
    )
    used_from: set[int] = set()
    conflicts = 0
    blanked: dict[int, tuple[int, list[str]]] = {}  # answers it leaves blank: count, first 8
    for key, chosen in cells.items():
        first = group_of[next(iter(chosen))]
        ref = next(iter(chosen.values()))[1]
        where = (ref.sheet, ref.row, ref.column) if ref else None
        # a newer return that wrote something unusable in that cell: nothing older counts
        if any(where in errors[i] for i in range(start[first])):
            continue
        kind, act, ind, which = key
        label = f"{act}/{ind} {which}" if kind == "v" else f"{act} {which}"
        # a return tied with the answering ones that wrote something unusable there
        unusable = [i for i in groups[first] if i not in chosen and where in errors[i]]
        if len({repr(v) for v, _, _ in chosen.values()}) > 1 or unusable:
            said = "; ".join(
                [f"{subs[i].name} says {v!r}" for i, (v, _, _) in chosen.items()]
                + [f"{subs[i].name} has an entry there that could not be used" for i in unusable]
            )
            out.flags.append(
                RuleFlag(
                    "return-conflict",
                    f"{label}: {said}; which is newer cannot be told ({when(subs[min(chosen)])});"
                    " no value used",
                    inst,
                    ", ".join(subs[i].name for i in [*chosen, *unusable]),
                    str(ref or ""),
                    act,
                    ind,
                    cast(dt.date, which) if kind == "v" else None,
                    "" if kind == "v" else str(which),
                )
            )
            conflicts += 1
            continue
        i = min(chosen)
        value, cell, point = chosen[i]
        used_from.add(i)
        lost = f"{label} ({cell})" if cell else label
        for j in range(start[first]):  # each newer return left this cell blank
            count, shown = blanked.get(j, (0, []))
            if count < 8:
                shown.append(lost)
            blanked[j] = (count + 1, shown)
        src = subs[i].name
        out.sources[(inst, act, ind, which)] = src
        if kind == "v":
            assert isinstance(which, dt.date)
            merged.values.append(
                ReportedValue(act, ind, which, point, value, cell or CellRef("", 0, ""), src)
            )
        else:
            rep = merged.activities.setdefault(act, ActivityReport(act))
            setattr(rep, "comment" if which == "comments" else str(which), value)
            if cell:
                rep.cells[str(which)] = cell
            rep.sources[str(which)] = src
    for j, (count, shown) in blanked.items():
        more = f" and {count - 8} more" if count > 8 else ""
        out.flags.append(
            RuleFlag(
                "answer-blanked",
                f"{subs[j].name} ({when(subs[j])}) leaves blank {count} answer(s) given"
                f" in an older return: {', '.join(shown)}{more}; the older answers are used",
                inst,
                subs[j].name,
            )
        )
    names = [s.name for i, s in enumerate(subs) if i in used_from]
    newest_said = f"{newest.name} ({when(newest)})"  # in each superseded return's flag
    if used_from <= {0} and not conflicts:  # the newest answers everything: no merge
        for s in subs[1:]:
            _superseded(out, inst, s, newest.name, newest_said)
        return newest
    for i, s in enumerate(subs):
        if i in used_from:
            others = [n for n in names if n != s.name]
            out.notes[s.path] = "used" + (f" (merged with {', '.join(others)})" if others else "")
        elif group_of[i] == 0:
            # tied with the newest, not replaced by it: its answers agree or are in conflict
            tied = ", ".join(subs[t].name for t in groups[0] if t != i)
            out.notes[s.path] = f"not used: its answers agree with or conflict with {tied}"
        else:
            _superseded(out, inst, s, newest.name, newest_said)
    merged.merged_from = names
    return merged


def _superseded(out: Choice, inst: str, sub: Submission, newest: str, said: str) -> None:
    """``sub`` replaced by the return named ``newest`` (``said``: its name and arrival)."""
    out.notes[sub.path] = f"superseded by {newest}"
    out.flags.append(
        RuleFlag(
            "superseded-return",
            f"{sub.name} ({when(sub)}) is replaced by {said}: none of its answers is used",
            inst,
            sub.name,
        )
    )
