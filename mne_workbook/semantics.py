"""Semantic checks that a JSON Schema cannot express (codes, references, timelines).

They run on the raw data, defensively, so that they report alongside schema
violations: a user sees every problem of a plan file in one run.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from .dates import parse_date
from .errors import Location, Report

if TYPE_CHECKING:
    from .plan import PlanSource

Path = tuple[str | int, ...]
#: The forms a date may take (as the schema's pattern says).
DATE_FORM = re.compile(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?")


def _items(value: Any) -> list[tuple[int, dict[str, Any]]]:
    if not isinstance(value, list):
        return []
    return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)]


def _short(where: Location) -> str:
    """Where the first use is: a line in a plan file, a row in a plan workbook."""
    if where.sheet:
        return f"{where.sheet} row {where.row}"
    return f"line {where.line}"


def check_semantics(src: PlanSource, report: Report) -> None:
    data = src.data
    seen: dict[str, dict[str, Path]] = {"institution": {}, "code": {}, "indicator": {}}

    def unique(kind: str, value: Any, path: Path, label: str) -> None:
        if not isinstance(value, str):
            return
        first = seen[kind].get(value)
        if first is not None:
            where = src.where(first)
            report.add(
                "duplicate-code",
                f"{label} {value!r} is used twice (first at {_short(where)})",
                src.where(path),
            )
        else:
            seen[kind][value] = path

    for i, inst in _items(data.get("institutions")):
        unique("institution", inst.get("id"), ("institutions", i, "id"), "institution id")
    known = set(seen["institution"])
    reporting = data.get("reporting")
    coordinator = reporting.get("coordinator") if isinstance(reporting, dict) else None
    if isinstance(coordinator, str) and coordinator not in known:
        report.add(
            "unknown-institution",
            f"reporting.coordinator names {coordinator!r}, which is not in the plan's"
            f" institutions ({', '.join(sorted(known)) or 'none'})",
            src.where(("reporting", "coordinator")),
        )
    zone = reporting.get("timezone") if isinstance(reporting, dict) else None
    if isinstance(zone, str) and not known_zone(zone):
        report.add(
            "unknown-time-zone",
            f"reporting.timezone {zone!r} is not a time zone this computer knows"
            " (an IANA name such as Europe/Belgrade)",
            src.where(("reporting", "timezone")),
        )

    period = data.get("strategy_period")
    s_year = period.get("start") if isinstance(period, dict) else None
    e_year = period.get("end") if isinstance(period, dict) else None
    years_ok = isinstance(s_year, int) and isinstance(e_year, int)
    if isinstance(s_year, int) and isinstance(e_year, int) and e_year < s_year:
        report.add(
            "strategy-period-reversed",
            f"strategy period ends in {e_year}, before it starts in {s_year}",
            src.where(("strategy_period",)),
        )
        years_ok = False

    for si, so in _items(data.get("strategic_objectives")):
        so_path: Path = ("strategic_objectives", si)
        so_code = so.get("code")
        unique("code", so_code, (*so_path, "code"), "strategic objective code")
        so_num = so_code[2:] if isinstance(so_code, str) and so_code.startswith("SO") else None
        for pi, sp in _items(so.get("specific_objectives")):
            sp_path: Path = (*so_path, "specific_objectives", pi)
            sp_code = sp.get("code")
            unique("code", sp_code, (*sp_path, "code"), "specific objective code")
            if isinstance(sp_code, str) and so_num and sp_code.split(".")[0] != so_num:
                report.add(
                    "code-not-under-parent",
                    f"specific objective {sp_code} is under {so_code}; its code should start"
                    f" with {so_num}.",
                    src.where((*sp_path, "code")),
                )
            for ai, act in _items(sp.get("activities")):
                a_path: Path = (*sp_path, "activities", ai)
                code = act.get("code")
                unique("code", code, (*a_path, "code"), "activity code")
                if (
                    isinstance(code, str)
                    and isinstance(sp_code, str)
                    and not code.startswith(f"A{sp_code}.")
                ):
                    report.add(
                        "code-not-under-parent",
                        f"activity {code} is under specific objective {sp_code}; its code"
                        f" should start with A{sp_code}.",
                        src.where((*a_path, "code")),
                    )
                carriers = act.get("carriers")
                if isinstance(carriers, list):
                    for ci, cid in enumerate(carriers):
                        if isinstance(cid, str) and cid not in known:
                            report.add(
                                "unknown-institution",
                                f"activity {code} names carrier {cid!r}, which is not in the"
                                f" plan's institutions ({', '.join(sorted(known)) or 'none'})",
                                src.where((*a_path, "carriers", ci)),
                            )
                _check_timeline(
                    act, a_path, code, s_year if years_ok else None, e_year, src, report
                )
                for ri, res in _items(act.get("expected_results")):
                    for ii, ind in _items(res.get("indicators")):
                        i_path: Path = (*a_path, "expected_results", ri, "indicators", ii)
                        unique("indicator", ind.get("id"), (*i_path, "id"), "indicator id")


def _check_timeline(
    act: dict[str, Any],
    a_path: Path,
    code: Any,
    s_year: int | None,
    e_year: int | None,
    src: PlanSource,
    report: Report,
) -> None:
    tl = act.get("timeline")
    if not isinstance(tl, dict):
        return
    dates: dict[str, dt.date] = {}
    for key in ("start", "end"):
        if key not in tl or not isinstance(tl[key], int | str):
            continue
        if isinstance(tl[key], str) and not DATE_FORM.fullmatch(tl[key]):
            continue  # the schema reports the form; one message per mistake
        try:
            dates[key] = parse_date(tl[key], end=key == "end")
        except ValueError as exc:
            report.add(
                "invalid-date",
                f"timeline {key} {tl[key]!r} of activity {code} is not a date ({exc})",
                src.where((*a_path, "timeline", key)),
            )
    start, end = dates.get("start"), dates.get("end")
    if start and end and end < start:
        report.add(
            "timeline-reversed",
            f"activity {code} ends {end.isoformat()}, before it starts {start.isoformat()}",
            src.where((*a_path, "timeline")),
        )
    if s_year is not None and e_year is not None:
        lo, hi = dt.date(s_year, 1, 1), dt.date(e_year, 12, 31)
        for key, d in dates.items():
            if not lo <= d <= hi:
                report.add(
                    "timeline-outside-strategy",
                    f"activity {code} timeline {key} {d.isoformat()} is outside the strategy"
                    f" period {s_year}-{e_year}",
                    src.where((*a_path, "timeline", key)),
                )


def known_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone the zoneinfo database has."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True
