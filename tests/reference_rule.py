"""The return rule as it was written before returns could be held on disk (issue 17):
every return's answers in memory, cell by cell over all of them. Kept only as the
reference that :func:`mne_workbook.return_rule.choose` is compared with (it must give
the same choice, flags, notes and sources, in the same order)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from mne_workbook import arrival
from mne_workbook.errors import Severity
from mne_workbook.reader import ActivityReport, CellRef, ReportedValue, Submission
from mne_workbook.return_rule import Choice, RuleFlag, answered, order_key, when


def _error_cells(sub: Submission) -> set[tuple[str | None, int | None, str | None]]:
    return {
        (p.location.sheet, p.location.row, p.location.column)
        for p in sub.problems
        if p.severity == Severity.ERROR and p.location.row
    }


def reference_choose(submissions: Iterable[Submission]) -> Choice:
    """Apply the rule to a period's submissions (refused ones are ignored here)."""
    by_inst: dict[str, list[Submission]] = defaultdict(list)
    for s in submissions:
        if s.accepted and s.institution:
            arrival.complete_arrival(s)  # the inbox file time when nothing better is known
            by_inst[s.institution].append(s)
    out = Choice()
    for inst, subs in by_inst.items():
        full = [s for s in subs if answered(s)]
        for s in subs:
            if s not in full:
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
        distinct: list[Submission] = []
        # each content once, with the newest return that has it (one key per return:
        # comparing every return with every distinct one was quadratic at thousands)
        first_with: dict[tuple[object, ...], Submission] = {}
        for s in sorted(full, key=order_key, reverse=True):
            twin = first_with.setdefault(s.content_key(), s)
            if twin is s:
                distinct.append(s)
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
            only = distinct[0]
            out.used[inst] = only
            _record_sources(out, inst, only)
            continue
        out.used[inst] = _merge(inst, distinct, out)
    return out


def _record_sources(out: Choice, inst: str, sub: Submission) -> None:
    for v in sub.values:
        out.sources[(inst, v.activity, v.indicator, v.point_end)] = v.file or sub.name
    for a in sub.activities.values():
        for fld in ("status", "rating_hy", "rating_y", "comments"):
            attr = "comment" if fld == "comments" else fld
            if getattr(a, attr) is not None:
                out.sources[(inst, a.activity, "", fld)] = a.sources.get(fld, sub.name)


def _merge(inst: str, subs: list[Submission], out: Choice) -> Submission:
    """Per-cell merge of ``subs`` (newest first, distinct contents)."""
    groups: list[list[Submission]] = []  # returns whose order cannot be told
    for s in subs:
        if groups and arrival.tied(groups[-1][0], s):
            groups[-1].append(s)
            out.flags.append(
                RuleFlag(
                    "return-order-tie",
                    f"{s.name} and {groups[-1][0].name} differ, and neither their arrival"
                    f" ({when(s)}) nor a plausible saved time tells which is newer; where"
                    " they give different answers, neither is used (return-conflict)",
                    inst,
                    s.name,
                )
            )
        else:
            groups.append([s])
    # every answered cell: key -> {sub index: (value, cell)}
    cells: dict[tuple[Any, ...], dict[int, tuple[object, CellRef | None]]] = defaultdict(dict)
    for i, s in enumerate(subs):
        for v in s.values:
            cells[("v", v.activity, v.indicator, v.point_end)][i] = (v.value, v.cell)
        for a in s.activities.values():
            for fld in ("status", "rating_hy", "rating_y", "comments"):
                value = getattr(a, "comment" if fld == "comments" else fld)
                if value is not None:
                    cells[("a", a.activity, "", fld)][i] = (value, a.cells.get(fld))
    group_of: dict[int, int] = {}
    n = 0
    for g, members in enumerate(groups):
        for _ in members:
            group_of[n] = g
            n += 1
    errors = [_error_cells(s) for s in subs]
    newest = subs[0]
    merged = replace(
        newest,
        values=[],
        activities={k: ActivityReport(k) for k in newest.activities},
        problems=[],
    )
    used_from: set[int] = set()
    conflicts = 0
    blanked: dict[int, list[str]] = defaultdict(list)
    for key, answers in cells.items():
        first = min(group_of[i] for i in answers)
        chosen = {i: a for i, a in answers.items() if group_of[i] == first}
        ref = next(iter(chosen.values()))[1]
        where = (ref.sheet, ref.row, ref.column) if ref else None
        # a newer return that wrote something unusable in that cell: nothing older counts
        spoiled = [i for i in range(len(subs)) if group_of[i] < first and where in errors[i]]
        kind, act, ind, which = key
        label = f"{act}/{ind} {which}" if kind == "v" else f"{act} {which}"
        if spoiled:
            continue
        # a return tied with the answering ones that wrote something unusable there
        unusable = [
            i
            for i in range(len(subs))
            if group_of[i] == first and i not in chosen and where in errors[i]
        ]
        if len({repr(v) for v, _ in chosen.values()}) > 1 or unusable:
            said = "; ".join(
                [f"{subs[i].name} says {v!r}" for i, (v, _) in chosen.items()]
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
                    which if kind == "v" else None,
                    "" if kind == "v" else str(which),
                )
            )
            conflicts += 1
            continue
        i = min(chosen)
        value, cell = chosen[i]
        used_from.add(i)
        for j in range(len(subs)):
            if group_of[j] < first:
                blanked[j].append(f"{label} ({cell})" if cell else label)
        src = subs[i].name
        out.sources[(inst, act, ind, which)] = src
        if kind == "v":
            assert isinstance(which, dt.date)
            point = next(
                v.point
                for v in subs[i].values
                if (v.activity, v.indicator, v.point_end) == (act, ind, which)
            )
            merged.values.append(
                ReportedValue(act, ind, which, point, value, cell or CellRef("", 0, ""), src)
            )
        else:
            rep = merged.activities.setdefault(act, ActivityReport(act))
            setattr(rep, "comment" if which == "comments" else str(which), value)
            if cell:
                rep.cells[str(which)] = cell
            rep.sources[str(which)] = src
    for j, lost in blanked.items():
        shown = ", ".join(lost[:8]) + (f" and {len(lost) - 8} more" if len(lost) > 8 else "")
        out.flags.append(
            RuleFlag(
                "answer-blanked",
                f"{subs[j].name} ({when(subs[j])}) leaves blank {len(lost)} answer(s) given"
                f" in an older return: {shown}; the older answers are used",
                inst,
                subs[j].name,
            )
        )
    names = [s.name for i, s in enumerate(subs) if i in used_from]
    if used_from <= {0} and not conflicts:  # the newest answers everything: no merge
        for s in subs[1:]:
            _superseded(out, inst, s, newest)
        return newest
    for i, s in enumerate(subs):
        if i in used_from:
            others = [n for n in names if n != s.name]
            out.notes[s.path] = "used" + (f" (merged with {', '.join(others)})" if others else "")
        elif group_of[i] == 0:
            # tied with the newest, not replaced by it: its answers agree or are in conflict
            tied = ", ".join(t.name for t in groups[0] if t is not s)
            out.notes[s.path] = f"not used: its answers agree with or conflict with {tied}"
        else:
            _superseded(out, inst, s, newest)
    merged.merged_from = names
    return merged


def _superseded(out: Choice, inst: str, sub: Submission, newest: Submission) -> None:
    out.notes[sub.path] = f"superseded by {newest.name}"
    out.flags.append(
        RuleFlag(
            "superseded-return",
            f"{sub.name} ({when(sub)}) is replaced by {newest.name} ({when(newest)}):"
            " none of its answers is used",
            inst,
            sub.name,
        )
    )
