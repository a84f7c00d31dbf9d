"""Property: random plan -> generate -> fill -> read -> consolidate gives back the values;
random invalid values are each reported at their own cell."""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from returns import KEYS

from mne_workbook.consolidate import consolidate
from mne_workbook.errors import Severity
from mne_workbook.fill import fill_return, random_entries
from mne_workbook.generate import generate
from mne_workbook.layout import FIELD_ROW
from mne_workbook.periods import Period
from mne_workbook.plan import Plan, plan_from_dict
from mne_workbook.reader import read_return

INSTS = ["a", "b", "c"]
MEASURES = ["number", "percentage", "yes-no", "text"]
FREQS = [None, "monthly", "bi-monthly", "quarterly", "half-year", "yearly"]


@st.composite
def plans(draw: Any) -> Plan:
    n_ind = 0
    sos = []
    for s in range(1, draw(st.integers(1, 2)) + 1):
        sps = []
        for p in range(1, draw(st.integers(1, 2)) + 1):
            acts = []
            for a in range(1, draw(st.integers(1, 3)) + 1):
                results = []
                for _ in range(draw(st.integers(0, 2))):
                    inds = []
                    for _ in range(draw(st.integers(0, 3))):
                        n_ind += 1
                        ind: dict[str, Any] = {
                            "id": f"I{n_ind}",
                            "text": f"# of x {n_ind}",
                            "measure": draw(st.sampled_from(MEASURES)),
                        }
                        freq = draw(st.sampled_from(FREQS))
                        if freq:
                            ind["frequency"] = freq
                        inds.append(ind)
                    results.append({"text": "r", "level": "output", "indicators": inds})
                carriers = draw(
                    st.lists(st.sampled_from(INSTS), min_size=1, max_size=3, unique=True)
                )
                acts.append(
                    {
                        "code": f"A{s}.{p}.{a}",
                        "title": f"act {s}.{p}.{a}",
                        "carriers": carriers,
                        "expected_results": results,
                    }
                )
            sps.append({"code": f"{s}.{p}", "title": "sp", "activities": acts})
        sos.append({"code": f"SO{s}", "title": f"so {s}", "specific_objectives": sps})
    return plan_from_dict(
        {
            "id": "prop",
            "title": "Property plan",
            "version": "1",
            "strategy_period": {"start": 2025, "end": 2027},
            "institutions": [
                {"id": i, "name": f"Institution {i}", "short_name": i.upper()} for i in INSTS
            ],
            "strategic_objectives": sos,
        }
    )


def _expected(entries: dict[tuple[str, str, str], object]) -> dict[tuple[str, ...], object]:
    out: dict[tuple[str, ...], object] = {}
    for (a, i, f), v in entries.items():
        if f.startswith("value@"):
            v = {"Yes": True, "No": False}.get(v, v) if isinstance(v, str) else v
        elif f in ("status", "rating_hy", "rating_y"):
            v = int(str(v).split(" - ")[0])
        out[(a, i, f)] = v
    return out


def _read_back(sub: Any) -> dict[tuple[str, ...], object]:
    out: dict[tuple[str, ...], object] = {}
    for v in sub.values:
        out[(v.activity, v.indicator, f"value@{v.point_end.isoformat()}")] = v.value
    for a in sub.activities.values():
        for f in ("status", "rating_hy", "rating_y"):
            if getattr(a, f) is not None:
                out[(a.activity, "", f)] = getattr(a, f)
        if a.comment is not None:
            out[(a.activity, "", "comments")] = a.comment
    return out


COMMON = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@COMMON
@given(plan=plans(), quarter=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_values_filled_are_the_values_read(plan: Plan, quarter: int, seed: int) -> None:
    period = Period(2026, quarter, plan.reporting.cycle)
    with tempfile.TemporaryDirectory() as d:
        written = generate(plan, period, Path(d) / "gen", master=False, keys=KEYS)
        rng = random.Random(seed)
        subs = []
        filled = {}
        for w in written:
            entries = random_entries(plan, period, w.institution, rng, blank_share=0.2)
            dst = Path(d) / f"{w.institution}.xlsx"
            fill_return(w.path, dst, entries, dt.datetime(2026, 1, 1))
            sub = read_return(dst, plan, period, keys=KEYS, require_signature=True)
            # random values may be plausibility-warned (0.4 %), never refused or dropped
            plausible = {"percentage-as-fraction", "fraction-on-count"}
            unexpected = [p for p in sub.problems if p.code not in plausible]
            assert sub.accepted and unexpected == [], [str(p) for p in unexpected]
            assert _read_back(sub) == _expected(entries)
            subs.append(sub)
            filled[w.institution] = _expected(entries)
        con = consolidate(plan, subs, period, dt.date(2026, 1, 1))
        for row in con.rows:
            got = filled.get(row["institution"], {})
            for label in con.value_points:
                key = next(
                    (
                        k
                        for k in got
                        if k[0] == row["activity"]
                        and k[1] == row["indicator"]
                        and k[2].startswith("value@")
                        and k[2][6:13] == _ym(label, period)
                    ),
                    None,
                )
                value = row[f"value {label}"]
                assert value == (got[key] if key else None), (row, label)


def _ym(label: str, period: Period) -> str:
    """Year-month of a value column's label (2026-07, or the period end for 2026-Q3)."""
    try:
        return Period.parse(label).end.isoformat()[:7]
    except ValueError:
        return period.end.isoformat()[:7]


INVALID = {
    "number": ("abc", "invalid-number"),
    "percentage": (150, "out-of-range"),
    "yes-no": ("perhaps", "invalid-yes-no"),
    "status": ("9 - unknown", "invalid-code"),
}


@COMMON
@given(plan=plans(), seed=st.integers(0, 2**16))
def test_each_invalid_value_is_reported_at_its_cell(plan: Plan, seed: int) -> None:
    import openpyxl

    period = Period(2026, 2, plan.reporting.cycle)
    with tempfile.TemporaryDirectory() as d:
        [w, *_] = generate(plan, period, Path(d) / "gen", master=False, keys=KEYS)
        rng = random.Random(seed)
        entries = random_entries(plan, period, w.institution, rng)
        measures = {i.id: str(i.measure) for i in plan.indicators()}
        planted: dict[tuple[str, str, str], str] = {}
        for key in list(entries):
            a, i, f = key
            kind = (
                "status" if f == "status" else measures.get(i) if f.startswith("value@") else None
            )
            if kind in INVALID and rng.random() < 0.4:
                entries[key], planted[key] = INVALID[kind]
        dst = Path(d) / "bad.xlsx"
        fill_return(w.path, dst, entries)
        sub = read_return(dst, plan, period, keys=KEYS, require_signature=True)
        wb = openpyxl.load_workbook(dst)
        want = set()
        for (a, i, f), code in planted.items():
            for ws in (s for s in wb.worksheets if s.title.startswith("SO")):
                fields = [c.value for c in ws[FIELD_ROW + 1]]
                for r in range(5, ws.max_row + 1):
                    if ws.cell(r, 1).value == a and (
                        (ws.cell(r, 2).value or "") == i
                        or (i == "" and ws.cell(r - 1, 1).value != a)
                    ):
                        c = ws.cell(r, fields.index(f) + 1)
                        want.add((code, ws.title, r, c.column_letter))
                        break
        # only errors: a valid random percentage of 0 < v <= 1 rightly gets a warning
        got = {
            (p.code, p.location.sheet, p.location.row, p.location.column)
            for p in sub.problems
            if p.severity == Severity.ERROR
        }
        assert got == want
