"""Which return counts: empty returns, per-cell merge, blanked answers, conflicts; the
same with and without the history store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from returns import ON_TIME, PERIOD, generated

from mne_workbook.consolidate import consolidate
from mne_workbook.fill import fill_return
from mne_workbook.plan import Plan, load_plan
from mne_workbook.reader import read_return
from mne_workbook.return_rule import choose, order_key
from mne_workbook.store import Store

ROOT = Path(__file__).resolve().parent.parent
JUL, AUG = "value@2026-07-31", "value@2026-08-31"
AS_OF = dt.date(2026, 10, 1)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, dict[str, Path], Path]:
    plan = load_plan(ROOT / "sample_plans" / "demo.yaml")
    d = tmp_path_factory.mktemp("rule")
    return plan, generated(plan, d / "gen"), d


def _kp(setup: Any, name: str, entries: dict[Any, Any], saved: dt.datetime) -> Path:
    _plan, gen, d = setup
    out: Path = d / name
    fill_return(gen["kp"], out, entries, saved)
    return out


def _row(con: Any, ind: str) -> dict[str, Any]:
    return next(r for r in con.rows if r["indicator"] == ind and r["institution"] == "kp")


def test_several_returns_merge_per_cell_and_blanked_answers_are_flagged(setup: Any) -> None:
    plan = setup[0]
    early = _kp(
        setup,
        "kp-first.xlsx",
        {("A2.1.1", "D8", JUL): 5, ("A2.1.1", "", "status"): 3},
        ON_TIME - dt.timedelta(days=3),
    )
    later = _kp(setup, "kp-second.xlsx", {("A2.1.1", "D8", AUG): 7}, ON_TIME)
    subs = [read_return(p, plan, PERIOD) for p in (later, early)]
    con = consolidate(plan, subs, PERIOD, AS_OF)
    row = _row(con, "D8")
    assert (row["value 2026-07"], row["value 2026-08"], row["status"]) == (5, 7, 3)
    assert row["file"] == "kp-first.xlsx, kp-second.xlsx"  # each value keeps its file
    merged = con.used["kp"]
    assert {(v.point, v.file) for v in merged.values if v.indicator == "D8"} == {
        ("2026-07", "kp-first.xlsx"),
        ("2026-08", "kp-second.xlsx"),
    }
    [blanked] = [f for f in con.flags if f.code == "answer-blanked"]
    assert blanked.file == "kp-second.xlsx" and "2 answer(s)" in blanked.message
    assert "A2.1.1 status" in blanked.message and "A2.1.1/D8" in blanked.message
    assert not [f for f in con.flags if f.code == "superseded-return"]


def test_a_newer_answer_wins_cell_by_cell(setup: Any) -> None:
    plan = setup[0]
    old = _kp(setup, "a.xlsx", {("A2.1.1", "D8", JUL): 5}, ON_TIME - dt.timedelta(days=1))
    new = _kp(setup, "b.xlsx", {("A2.1.1", "D8", JUL): 6}, ON_TIME)
    con = consolidate(plan, [read_return(p, plan, PERIOD) for p in (old, new)], PERIOD, AS_OF)
    assert _row(con, "D8")["value 2026-07"] == 6
    [sup] = [f for f in con.flags if f.code == "superseded-return"]
    assert sup.file == "a.xlsx"


@pytest.mark.parametrize("names", [("z.xlsx", "a.xlsx"), ("a.xlsx", "z.xlsx")])
def test_same_saved_time_and_different_values_is_a_conflict_not_a_file_name_order(
    setup: Any, names: tuple[str, str]
) -> None:
    plan = setup[0]
    one = _kp(setup, "c1-" + names[0], {("A2.1.1", "D8", JUL): 5}, ON_TIME)
    two = _kp(setup, "c2-" + names[1], {("A2.1.1", "D8", JUL): 8}, ON_TIME)
    subs = [read_return(p, plan, PERIOD) for p in (one, two)]
    assert order_key(subs[0]) == order_key(subs[1])
    con = consolidate(plan, subs, PERIOD, AS_OF)
    assert _row(con, "D8")["value 2026-07"] is None  # neither value is used
    [conflict] = [f for f in con.flags if f.code == "return-conflict"]
    assert "says 5" in conflict.message and "says 8" in conflict.message
    assert (conflict.activity, conflict.indicator, conflict.field) == (
        "A2.1.1",
        "D8",
        "value 2026-07",
    )


def test_an_empty_return_is_not_received_and_does_not_blank_a_full_one(setup: Any) -> None:
    plan = setup[0]
    blank = _kp(setup, "kp-blank.xlsx", {}, ON_TIME + dt.timedelta(days=1))
    con = consolidate(plan, [read_return(blank, plan, PERIOD)], PERIOD, AS_OF)
    assert {r.institution: r.received for r in con.rates}["kp"] == 0
    assert {f.code for f in con.flags if f.institution == "kp"} >= {
        "empty-return",
        "return-pending",
    }
    full = _kp(setup, "kp-full.xlsx", {("A2.1.1", "D8", JUL): 4}, ON_TIME)
    con = consolidate(plan, [read_return(p, plan, PERIOD) for p in (blank, full)], PERIOD, AS_OF)
    assert _row(con, "D8")["value 2026-07"] == 4
    assert {r.institution: (r.received, r.on_time) for r in con.rates}["kp"] == (1, 1)
    assert any(f.code == "empty-return" and f.file == "kp-blank.xlsx" for f in con.flags)


def test_the_store_chooses_exactly_as_the_files_do(setup: Any, tmp_path: Path) -> None:
    plan = setup[0]
    files = [
        _kp(setup, "s1.xlsx", {("A2.1.1", "D8", JUL): 5}, ON_TIME - dt.timedelta(days=2)),
        _kp(setup, "s2.xlsx", {("A2.1.1", "D8", AUG): 9}, ON_TIME),
        _kp(setup, "s3.xlsx", {}, ON_TIME + dt.timedelta(days=1)),
    ]
    subs = [read_return(p, plan, PERIOD) for p in files]
    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    store.migrate()
    for s in subs:
        store.ingest(s)
    stored = store.submissions(plan.id, PERIOD.label)
    a, b = choose(subs), choose(stored)
    assert {k: v for k, v in a.sources.items()} == {k: v for k, v in b.sources.items()}
    assert sorted((f.code, f.file) for f in a.flags) == sorted((f.code, f.file) for f in b.flags)
    trail = {r.file_name: r.superseded_by for r in store.returns(PERIOD.label)}
    assert trail["s3.xlsx"].startswith("empty") and trail["s1.xlsx"] == ""


def test_status_says_empty_return_not_overdue_or_pending(setup: Any, tmp_path: Path) -> None:
    from mne_workbook.workflows import status_table

    plan = setup[0]
    blank = _kp(setup, "st-blank.xlsx", {}, ON_TIME)
    store = Store(f"sqlite:///{tmp_path / 'st.sqlite'}")
    store.migrate()
    store.ingest(read_return(blank, plan, PERIOD))
    ids = [i.id for i in plan.carriers()]
    for as_of, other in ((AS_OF, "pending"), (dt.date(2026, 11, 1), "OVERDUE")):
        table = status_table(plan, store, PERIOD, as_of)
        states = {i: s[0] for i, _n, s in table.rows}
        assert states["kp"] == "empty return"
        # the others sent nothing: the empty return does not spread
        assert all(states[i] in (other, "-") for i in ids if i != "kp")
    # a full return afterwards is received: the state is no longer "empty return"
    full = _kp(setup, "st-full.xlsx", {("A2.1.1", "D8", JUL): 4}, ON_TIME)
    store.ingest(read_return(full, plan, PERIOD))
    table = status_table(plan, store, PERIOD, AS_OF)
    assert {i: s[0] for i, _n, s in table.rows}["kp"] == "on time"


def test_an_identical_copy_sent_again_late_does_not_make_the_return_late(setup: Any) -> None:
    plan = setup[0]
    answers = {("A2.1.1", "D8", JUL): 6, ("A2.1.1", "", "status"): 3}
    first = _kp(setup, "dup-first.xlsx", answers, ON_TIME)
    again = _kp(setup, "dup-again.xlsx", answers, ON_TIME + dt.timedelta(days=12))  # late
    con = consolidate(plan, [read_return(p, plan, PERIOD) for p in (again, first)], PERIOD, AS_OF)
    assert {r.institution: (r.received, r.on_time) for r in con.rates}["kp"] == (1, 1)
    assert any(f.code == "duplicate-return" for f in con.flags if f.institution == "kp")
    # a different, late correction is still late (its answers are the ones that count)
    fixed = _kp(
        setup, "dup-fixed.xlsx", {**answers, ("A2.1.1", "D8", JUL): 7}, ON_TIME + dt.timedelta(12)
    )
    subs = [read_return(p, plan, PERIOD) for p in (fixed, first)]
    con = consolidate(plan, subs, PERIOD, AS_OF)
    assert {r.institution: (r.received, r.on_time) for r in con.rates}["kp"] == (1, 0)
