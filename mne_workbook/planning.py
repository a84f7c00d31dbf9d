"""The planning round trip: ONATC completes the plan in the master workbook, not in YAML.

The master's ONATC fields (baseline, target, frequency, responsible person) are read
with the same checks as any return, compared with the plan, and written as a new plan
version; its new fingerprint lets returns made from the old version be recognized.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import Location, Problem, UsageError, fail
from .plan import Plan, plan_from_dict, plan_to_dict
from .reader import CellRef, Submission, read_return
from .signing import KeyRing
from .values import is_blank, parse_code, parse_number, parse_text, parse_yes_no
from .vocab import Frequency, Measure


@dataclass(frozen=True)
class PlanChange:
    activity: str
    indicator: str
    field: str  # baseline / target / frequency / responsible_person
    old: object
    new: object
    cell: CellRef

    def __str__(self) -> str:
        return f"{self.indicator} {self.field}: {self.old!r} -> {self.new!r} ({self.cell})"


@dataclass
class PlanUpdate:
    submission: Submission
    changes: list[PlanChange]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return self.submission.accepted and not self.problems


def _value(raw: object, measure: Measure) -> tuple[object | None, tuple[str, str] | None]:
    if measure == Measure.YES_NO:
        return parse_yes_no(raw)
    if measure == Measure.TEXT:
        return parse_text(raw)
    return parse_number(raw)


def read_plan_updates(
    master: str | Path, plan: Plan, keys: KeyRing | None = None, require_signature: bool = False
) -> PlanUpdate:
    """What ONATC changed in its master workbook, each change located."""
    sub = read_return(
        master, plan, None, keys=keys, require_signature=require_signature, master=True
    )
    return plan_updates(sub, plan)


def plan_updates(sub: Submission, plan: Plan) -> PlanUpdate:
    """The changes in a master workbook already read (``read_return(..., master=True)``,
    or the bounded reader with ``master=True``)."""
    update = PlanUpdate(sub, [], [])
    if sub.refused:
        return update
    inds = {i.id: i for i in plan.indicators()}
    for (act, ind_id, fld), (raw, cell) in sorted(sub.plan_fields.items()):
        ind = inds[ind_id]
        loc = Location(file=sub.path, sheet=cell.sheet, row=cell.row, column=cell.column)
        new: object
        if fld == "frequency":
            code, err = parse_code(raw, "frequency")
            new = Frequency(code).plan_name if code is not None else None  # type: ignore[arg-type]
            old: object = ind.frequency.plan_name if ind.frequency else None
        elif fld == "responsible_person":
            new, err = (None, None) if is_blank(raw) else (str(raw).strip(), None)
            old = ind.responsible_person
        else:
            new, err = _value(raw, ind.measure)
            part = ind.baseline if fld == "baseline" else ind.target
            old = part.value if part else None
        if err:
            update.problems.append(Problem(err[0], f"{ind_id} {fld}: {err[1]}", loc))
            continue
        if new != old and not (new is None and old is None):
            update.changes.append(PlanChange(act, ind_id, fld, old, new, cell))
    return update


def apply_updates(plan: Plan, changes: list[PlanChange], version: str | None = None) -> Plan:
    """The plan with the changes, as a new version (default: old version + today's date)."""
    data = plan_to_dict(plan)
    by_id: dict[str, dict[str, Any]] = {}
    for so in data["strategic_objectives"]:
        for sp in so.get("specific_objectives", []):
            for act in sp.get("activities", []):
                for res in act.get("expected_results", []):
                    for ind in res.get("indicators", []):
                        by_id[ind["id"]] = ind
    for ch in changes:
        ind = by_id[ch.indicator]
        if ch.field in ("frequency", "responsible_person"):
            if ch.new is None:
                ind.pop(ch.field, None)
            else:
                ind[ch.field] = ch.new
        else:
            part = ind.setdefault(ch.field, {})
            if ch.new is None:
                part.pop("value", None)
            else:
                part["value"] = ch.new
            if not part:
                ind.pop(ch.field)
    data["version"] = version or f"{plan.version}+{dt.date.today().isoformat()}"
    return plan_from_dict(data)


def write_plan(
    plan: Plan, path: str | Path, overwrite: bool = False, by: str = "update-plan"
) -> Path:
    """Write a plan as YAML atomically; refuses to replace a file unless asked."""
    from .atomic import atomic_write

    target = Path(path)
    if target.exists() and not overwrite:
        raise fail(
            UsageError, "output-exists", f"{target} already exists", Location(file=str(target))
        )
    if target.suffix.lower() == ".json":
        text = json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False) + "\n"
    else:
        text = (
            f"# Written by mne-workbook {by}; validate with: mne-workbook validate\n"
            + yaml.safe_dump(plan_to_dict(plan), sort_keys=False, allow_unicode=True, width=100)
        )
    atomic_write(target, lambda tmp: tmp.write_text(text, "utf-8"))
    return target
