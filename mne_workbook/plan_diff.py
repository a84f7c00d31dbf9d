"""What changed between two versions of a plan, item by item.

Activities are matched by code and indicators by id; an item whose code changed but
whose wording did not is "re-coded", one whose wording changed under the same code
"re-worded". Carriers and timelines of activities, and the other fields of indicators,
are compared for the items found in both versions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import Location, Problem
from .plan import Activity, Indicator, Plan

#: Indicator fields compared besides the wording (label -> attribute).
INDICATOR_FIELDS = (
    "measure",
    "unit",
    "cumulative",
    "baseline",
    "target",
    "frequency",
    "means_of_verification",
    "responsible_person",
)


@dataclass(frozen=True)
class Change:
    """One difference: ``kind`` is added, removed, re-worded, re-coded, moved, carriers,
    timeline or changed; ``item`` says what it is about."""

    kind: str
    item: str  # institution | strategic objective | specific objective | activity | indicator
    code: str  # the code in the new version (the old one for a removed item)
    old: str | None = None
    new: str | None = None
    old_code: str | None = None

    def __str__(self) -> str:
        code = f"{self.old_code} -> {self.code}" if self.old_code else self.code
        if self.kind in ("added", "removed"):
            text = self.new if self.kind == "added" else self.old
            return f"{self.item} {code} {self.kind}: {_short(text)}"
        if self.kind == "re-coded":
            return f"{self.item} {code} re-coded"
        if self.kind == "re-worded":
            old, new = _from_difference(self.old or "", self.new or "")
            return f"{self.item} {code} re-worded: {_short(old)!r} -> {_short(new)!r}"
        return f"{self.item} {code} {self.kind}: {self.old or '-'} -> {self.new or '-'}"


def _from_difference(a: str, b: str, context: int = 20) -> tuple[str, str]:
    """Both texts from a little before where they first differ ('…' marks a cut)."""
    a, b = " ".join(a.split()), " ".join(b.split())
    same = 0
    while same < min(len(a), len(b)) and a[same] == b[same]:
        same += 1
    start = max(0, same - context)
    if start == 0:
        return a, b
    return "…" + a[start:], "…" + b[start:]


def _short(text: str | None, n: int = 70) -> str:
    text = " ".join((text or "").split())
    text = "".join(ch if ch.isprintable() else "?" for ch in text)  # terminal-safe
    return text if len(text) <= n else text[: n - 1] + "…"


@dataclass
class PlanDiff:
    """The changes from ``old`` to ``new`` (empty when the content is the same)."""

    old_version: str
    new_version: str
    old_fingerprint: str
    new_fingerprint: str
    changes: list[Change] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changes)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for ch in self.changes:
            key = f"{ch.item} {ch.kind}"
            out[key] = out.get(key, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": {"version": self.old_version, "fingerprint": self.old_fingerprint},
            "new": {"version": self.new_version, "fingerprint": self.new_fingerprint},
            "counts": self.counts(),
            "changes": [
                {k: v for k, v in asdict(c).items() if v is not None} for c in self.changes
            ],
        }

    def about(self, codes: Iterable[str]) -> list[Change]:
        """The changes that concern the given activity codes and their indicators."""
        wanted = set(codes)
        return [c for c in self.changes if c.code in wanted or (c.old_code or "") in wanted]


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _keyed(
    item: str,
    old: dict[str, tuple[str, Any]],
    new: dict[str, tuple[str, Any]],
) -> tuple[list[Change], list[tuple[str, str]]]:
    """Added / removed / re-coded / re-worded for items keyed by code: (code -> (text, obj)).

    Returns the changes and the (old code, new code) pairs found in both versions.
    """
    changes: list[Change] = []
    gone = [c for c in old if c not in new]
    came = [c for c in new if c not in old]
    pairs = [(c, c) for c in new if c in old]
    for code in list(came):
        match = next((g for g in gone if _same(old[g][0], new[code][0])), None)
        if match is not None:
            gone.remove(match)
            came.remove(code)
            pairs.append((match, code))
            changes.append(Change("re-coded", item, code, old_code=match))
    for code in gone:
        changes.append(Change("removed", item, code, old=old[code][0]))
    for code in came:
        changes.append(Change("added", item, code, new=new[code][0]))
    for o, n in pairs:
        if o == n and not _same(old[o][0], new[n][0]):
            changes.append(Change("re-worded", item, n, old=old[o][0], new=new[n][0]))
    return changes, pairs


def _span(a: Activity) -> str:
    start = a.timeline_start.isoformat() if a.timeline_start else "plan start"
    end = a.timeline_end.isoformat() if a.timeline_end else "plan end"
    return f"{start} to {end}"


def _field_text(ind: Indicator, name: str) -> str | None:
    value = getattr(ind, name)
    if value is None or value == ():
        return None
    if name == "frequency":
        return str(value.plan_name)
    if name in ("baseline", "target"):
        return ", ".join(f"{k} {v}" for k, v in vars(value).items() if v is not None) or None
    if isinstance(value, tuple):
        return "; ".join(map(str, value))
    return str(value)


def diff_plans(old: Plan, new: Plan) -> PlanDiff:
    """Every change from ``old`` to ``new``, in plan order."""
    out = PlanDiff(old.version, new.version, old.fingerprint, new.fingerprint)
    inst, _ = _keyed(
        "institution",
        {i.id: (i.name, i) for i in old.institutions},
        {i.id: (i.name, i) for i in new.institutions},
    )
    out.changes += inst
    so, _ = _keyed(
        "strategic objective",
        {s.code: (s.title, s) for s in old.strategic_objectives},
        {s.code: (s.title, s) for s in new.strategic_objectives},
    )
    out.changes += so
    sp, _ = _keyed(
        "specific objective",
        {r.specific.code: (r.specific.title, r.specific) for r in old.iter_activities()},
        {r.specific.code: (r.specific.title, r.specific) for r in new.iter_activities()},
    )
    out.changes += sp
    old_acts = {r.activity.code: (r.activity.title, r.activity) for r in old.iter_activities()}
    new_acts = {r.activity.code: (r.activity.title, r.activity) for r in new.iter_activities()}
    acts, pairs = _keyed("activity", old_acts, new_acts)
    out.changes += acts
    for o, n in pairs:
        a, b = old_acts[o][1], new_acts[n][1]
        if a.carriers != b.carriers:
            out.changes.append(
                Change("carriers", "activity", n, ", ".join(a.carriers), ", ".join(b.carriers))
            )
        if (a.timeline_start, a.timeline_end) != (b.timeline_start, b.timeline_end):
            out.changes.append(Change("timeline", "activity", n, _span(a), _span(b)))
    out.changes += _indicators(old, new, dict(pairs))
    return out


def _indicators(old: Plan, new: Plan, recoded: dict[str, str]) -> list[Change]:
    def table(plan: Plan) -> dict[str, tuple[str, tuple[str, Indicator]]]:
        return {
            i.id: (i.text, (r.activity.code, i))
            for r in plan.iter_activities()
            for i in r.activity.indicators
        }

    a, b = table(old), table(new)
    changes, pairs = _keyed("indicator", a, b)
    for o, n in pairs:
        (act_a, ia), (act_b, ib) = a[o][1], b[n][1]
        if recoded.get(act_a, act_a) != act_b:  # under another activity, not a re-coded one
            changes.append(Change("moved", "indicator", n, act_a, act_b))
        for name in INDICATOR_FIELDS:
            va, vb = _field_text(ia, name), _field_text(ib, name)
            if va != vb:
                changes.append(Change(f"{name} changed", "indicator", n, va, vb))
    return changes


def name_plan_changes(subs: Sequence[Any], plan: Plan, versions: Sequence[Plan]) -> int:
    """Add to each return made from one of ``versions`` what changed since (for its activities).

    Returns how many returns got such a note. A return whose plan version is not among
    ``versions`` keeps only the reader's ``older-plan-version`` warning.
    """
    by_fp = {v.fingerprint: v for v in versions}
    noted = 0
    for sub in subs:
        ident = getattr(sub, "identity", None)
        if ident is None or ident.plan_fingerprint == plan.fingerprint:
            continue
        old = by_fp.get(ident.plan_fingerprint)
        if old is None or getattr(sub, "refused", False):
            continue
        diff = diff_plans(old, plan)
        inst = ident.institution
        codes = [
            r.activity.code
            for p in (old, plan)
            for r in p.iter_activities()
            if not inst or inst in r.activity.carriers
        ]
        indicator_ids = [
            i.id
            for p in (old, plan)
            for r in p.iter_activities()
            if not inst or inst in r.activity.carriers
            for i in r.activity.indicators
        ]
        mine = diff.about([*codes, *indicator_ids])
        text = "; ".join(str(c) for c in mine[:8]) or "nothing in this institution's activities"
        more = f" (and {len(mine) - 8} more)" if len(mine) > 8 else ""
        sub.problems.append(
            Problem(
                "plan-version-changes",
                f"since plan version {old.version} ({old.fingerprint}), in the activities of this"
                f" return: {text}{more}",
                Location(file=sub.path),
            )
        )
        noted += 1
    return noted
