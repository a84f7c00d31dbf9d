"""The framework's quality checks on a plan (its section V.1 critique), as warnings."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from .errors import Location, Problem
from .vocab import Level, Measure

if TYPE_CHECKING:  # types only: plan.py imports this module to validate
    from .plan import Indicator, Plan, PlanSource

#: A quantity in an indicator's wording: '#', '%', 'number of', 'No.', 'No of', 'rate'.
MEASURABLE = re.compile(r"[#%]|\bnumber\b|\bno\.|\bno\s+(?:and|of)\b|\brate\b|\bshare\b", re.I)
#: Wording of a one-time event (publication, launch, signing, drafting an action plan).
ONE_TIME = re.compile(r"\b(?:publication|publishing|launch(?:ing)?|signing|drafting)\b", re.I)


#: The plan gaps of an indicator (what the framework leaves "to be completed by ONATC"):
#: gap -> (the plan's quality warning, the consolidation's flag). One rule for both.
GAPS: dict[str, tuple[str, str]] = {
    "target": ("indicator-no-target", "plan-gap-target"),
    "baseline": ("indicator-no-baseline", "plan-gap-baseline"),
    "frequency": ("frequency-unassigned", "plan-gap-frequency"),
    "responsible": ("responsible-unassigned", "plan-gap-responsible"),
}


def indicator_gaps(ind: Indicator) -> list[str]:
    """Which of :data:`GAPS` an indicator has, in that order."""
    missing = {
        "target": ind.target is None or ind.target.value is None,
        "baseline": ind.baseline is None or ind.baseline.value is None,
        "frequency": ind.frequency is None,
        "responsible": not ind.responsible_person,
    }
    return [gap for gap in GAPS if missing[gap]]


def quality_checks(plan: Plan, src: PlanSource | None = None) -> list[Problem]:
    """Warnings for the gaps the framework names; located in ``src`` when given."""
    return list(_checks(plan, src))


def _checks(plan: Plan, src: PlanSource | None) -> Iterator[Problem]:
    def at(*path: str | int) -> Location:
        return src.where(path) if src else Location()

    if not plan.reporting.timezone:
        here = dt.datetime.now(dt.UTC).astimezone()
        yield Problem(
            "plan-time-zone-missing",
            "reporting.timezone is not set: due dates end at midnight in the zone of the"
            f" computer running the command (here {here.tzname()}, UTC{here:%z})",
            at("reporting"),
        )
    for si, so in enumerate(plan.strategic_objectives):
        so_path = ("strategic_objectives", si)
        levels = {r.level for a in so.activities for r in a.expected_results}
        if levels and not levels & {Level.OUTCOME, Level.IMPACT}:
            yield Problem(
                "objective-no-outcome",
                f"{so.code}: its {len(so.activities)} activities' expected results are all at"
                f" {'/'.join(sorted(str(lv) for lv in levels))} level",
                at(*so_path),
            )
        for pi, sp in enumerate(so.specific_objectives):
            sp_path = (*so_path, "specific_objectives", pi)
            if not sp.activities:
                yield Problem(
                    "objective-no-activities",
                    f"specific objective {sp.code} has no activities",
                    at(*sp_path),
                )
            for ai, act in enumerate(sp.activities):
                a_path = (*sp_path, "activities", ai)
                if not act.carriers:
                    yield Problem(
                        "activity-no-carrier", f"{act.code} names no carrier", at(*a_path)
                    )
                if not act.indicators:
                    yield Problem(
                        "activity-no-indicators", f"{act.code} has no indicators", at(*a_path)
                    )
                if not (act.inputs or "").strip():
                    yield Problem(
                        "activity-no-inputs",
                        f"{act.code} states no inputs (human, material or financial resources)",
                        at(*a_path),
                    )
                start, end = plan.activity_span(act)
                if ONE_TIME.search(act.title) and end.year > start.year:
                    own = act.timeline_start is not None or act.timeline_end is not None
                    span = f"{start.year}-{end.year}" + ("" if own else " (the strategy period)")
                    yield Problem(
                        "one-time-activity-multi-year",
                        f"{act.code} reads as a one-time event but runs {span}",
                        at(*a_path, "title"),
                    )
                for ri, res in enumerate(act.expected_results):
                    for ii, ind in enumerate(res.indicators):
                        i_path = (*a_path, "expected_results", ri, "indicators", ii)
                        yield from _indicator_checks(ind, act.code, at, i_path)


def _indicator_checks(
    ind: Indicator, code: str, at: Callable[..., Location], i_path: tuple[str | int, ...]
) -> Iterator[Problem]:
    label = f"{code} indicator {ind.id}"
    gaps = indicator_gaps(ind)
    for gap in ("target", "baseline"):
        if gap in gaps:
            yield Problem(GAPS[gap][0], f"{label} has no {gap}", at(*i_path))
    if ind.measure != Measure.YES_NO and not MEASURABLE.search(ind.text):
        yield Problem(
            "indicator-not-measurable",
            f"{label} ({ind.text!r}) names no quantity",
            at(*i_path, "text"),
        )
    if "frequency" in gaps:
        yield Problem(GAPS["frequency"][0], f"{label} has no frequency", at(*i_path))
    if "responsible" in gaps:
        yield Problem(GAPS["responsible"][0], f"{label} has no responsible person", at(*i_path))
