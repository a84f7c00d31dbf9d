"""Returns whose answers wait on disk (``spill``) are chosen, merged and flagged exactly
as returns held in memory, and as the rule did when it looked at every return's answers
at once (``reference_rule``): same returns used, values, flags, notes and sources, in the
same order, on mixes of ties, conflicts, duplicates, blanks, refused and empty files."""

from __future__ import annotations

import copy
import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from memreturns import Q3, at, layout_cells, problem, refused, ret, small_plan
from reference_rule import reference_choose
from returns import KEYS, PERIOD, generated

import mne_workbook.consolidate as consolidate_module
from mne_workbook.consolidate import consolidate
from mne_workbook.fill import fill_return, random_entries
from mne_workbook.parallel import read_many
from mne_workbook.plan import Plan, load_plan
from mne_workbook.reader import Submission
from mne_workbook.report import to_json
from mne_workbook.return_rule import Choice, choose, content_digest
from mne_workbook.spill import Spill
from mne_workbook.workflows import ReadSettings, consolidate_returns

HERE = Path(__file__).resolve().parent
PLAN = small_plan()
AS_OF = dt.date(2026, 11, 1)
TIMES = [None, at("2026-10-01"), at("2026-10-01"), at("2026-10-02"), at("2026-10-03")]
SAVED = [
    None,
    dt.datetime(2026, 9, 30, 8, tzinfo=dt.UTC),
    dt.datetime(2026, 9, 30, 9, tzinfo=dt.UTC),
]
VALUES = [0, 1, 1.0, True, 2, "x"]


def _value_keys(inst: str) -> list[tuple[str, str, dt.date]]:
    return [
        (a, i, dt.date.fromisoformat(f.removeprefix("value@")))
        for (a, i, f) in layout_cells(PLAN, inst, Q3)
        if i and f.startswith("value@")
    ]


def _acts(inst: str) -> list[str]:
    return [r.activity.code for r in PLAN.iter_activities() if inst in r.activity.carriers]


@st.composite
def a_return(draw: Any, k: int) -> Submission:
    inst = draw(st.sampled_from(["kp", "mlsw"]))
    name = f"r{k:02d}.xlsx"
    if draw(st.integers(0, 9)) == 0:
        return refused(name, "not-a-workbook", "text", inst=draw(st.sampled_from(["", inst])))
    if draw(st.integers(0, 7)) == 0:  # nothing answered
        return ret(PLAN, inst, name, arrived=draw(st.sampled_from(TIMES)))
    keys = _value_keys(inst)
    values = {key: draw(st.sampled_from(VALUES)) for key in keys if draw(st.booleans())}
    acts: dict[str, dict[str, Any]] = {}
    for code in _acts(inst):
        got = {
            "status": draw(st.sampled_from([None, 1, 3])),
            "rating_hy": draw(st.sampled_from([None, 1])),
            "comment": draw(st.sampled_from([None, "", "c"])),
        }
        acts[code] = {f: v for f, v in got.items() if v is not None}
    problems = []
    if draw(st.integers(0, 3)) == 0:  # an entry refused at a value cell, or a warning
        cell = layout_cells(PLAN, inst, Q3)[
            (*keys[draw(st.integers(0, len(keys) - 1))][:2], "value@2026-07-31")
        ]
        code = draw(st.sampled_from(["formula-in-cell", "fraction-on-count"]))
        problems.append(problem(code, "=1+1", cell.sheet, cell.row, cell.column))
    return ret(
        PLAN,
        inst,
        name,
        values=values,
        acts=acts,
        arrived=draw(st.sampled_from(TIMES)),
        saved=draw(st.sampled_from(SAVED)),
        problems=problems,
    )


@st.composite
def a_round(draw: Any) -> list[Submission]:
    n = draw(st.integers(1, 9))
    subs = [draw(a_return(k)) for k in range(n)]
    for k in draw(st.lists(st.integers(0, n - 1), max_size=3)):  # identical copies
        twin = copy.deepcopy(subs[k])
        twin.path = f"/inbox/copy{len(subs):02d}.xlsx"
        twin.arrived_at = draw(st.sampled_from(TIMES))
        subs.append(twin)
    return subs


def view(choice: Choice) -> dict[str, Any]:
    """Everything a Choice says, comparable (merged returns are new objects)."""
    return {
        "used": {
            inst: (s.path, repr(s.values), repr(s.activities), s.merged_from, repr(s.problems))
            for inst, s in choice.used.items()
        },
        "flags": choice.flags,
        "notes": list(choice.notes.items()),
        "empty": {inst: [s.path for s in subs] for inst, subs in choice.empty.items()},
        "copies": list(choice.copies.items()),
        "sources": list(choice.sources.items()),
    }


def spilled(subs: list[Submission], spill: Spill) -> list[Submission]:
    return [spill.keep(copy.deepcopy(s)) for s in subs]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a_round())
def test_spilled_and_in_memory_choose_as_the_reference(subs: list[Submission]) -> None:
    want = view(reference_choose(copy.deepcopy(subs)))
    assert view(choose(copy.deepcopy(subs))) == want
    with Spill() as spill:
        kept = spilled(subs, spill)
        assert not any(s.values or s.activities for s in kept if s.accepted)
        got = choose(kept, spill)
        assert view(got) == want
        # the returns that count are the objects listed, with their answers back
        for s in got.used.values():
            if not s.merged_from:
                assert any(s is k for k in kept)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a_round())
def test_spilled_consolidation_is_the_in_memory_one(
    subs: list[Submission],
) -> None:
    want = to_json(consolidate(PLAN, copy.deepcopy(subs), Q3, AS_OF))
    with Spill() as spill:
        assert to_json(consolidate(PLAN, spilled(subs, spill), Q3, AS_OF, held=spill)) == want


def test_the_reference_gives_the_same_consolidation(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(3)
    for _ in range(30):
        subs = _round(rng)
        want = to_json(consolidate(PLAN, copy.deepcopy(subs), Q3, AS_OF))
        with monkeypatch.context() as m:
            m.setattr(consolidate_module, "choose", lambda s, held=None: reference_choose(s))
            assert to_json(consolidate(PLAN, copy.deepcopy(subs), Q3, AS_OF)) == want


def _round(rng: random.Random) -> list[Submission]:
    """A seeded round: four returns of KP (two tied with different answers, one copy,
    one older), an empty one and a refused file."""
    keys = _value_keys("kp")
    subs = []
    for k, when in enumerate([at("2026-10-03"), at("2026-10-03"), at("2026-10-01"), None]):
        values = {key: rng.choice(VALUES) for key in keys if rng.random() < 0.7}
        subs.append(ret(PLAN, "kp", f"k{k}.xlsx", values=values, arrived=when))
    twin = copy.deepcopy(subs[2])
    twin.path = "/inbox/copy.xlsx"
    subs += [twin, ret(PLAN, "mlsw", "blank.xlsx"), refused("t.xlsx", "not-a-workbook", "t")]
    return subs


def test_digest_is_equal_for_equal_content_keys() -> None:
    a = ret(PLAN, "kp", "a.xlsx", acts={"A1.1.1": {"status": 1}})
    b = ret(PLAN, "kp", "b.xlsx", acts={"A1.1.1": {"status": True}})
    c = ret(PLAN, "kp", "c.xlsx", acts={"A1.1.1": {"status": 1.0}})
    d = ret(PLAN, "kp", "d.xlsx", acts={"A1.1.1": {"status": 2}})
    assert a.content_key() == b.content_key() == c.content_key() != d.content_key()
    assert content_digest(a) == content_digest(b) == content_digest(c) != content_digest(d)
    e = ret(PLAN, "kp", "e.xlsx", values={_value_keys("kp")[0]: 1})
    f = ret(PLAN, "kp", "f.xlsx", values={_value_keys("kp")[0]: 1.0})
    assert e.content_key() != f.content_key() and content_digest(e) != content_digest(f)


# ----------------------------------------------------------- through the pool and the CLI path


@pytest.fixture(scope="module")
def demo() -> Plan:
    return load_plan(HERE.parent / "sample_plans" / "demo.yaml")


@pytest.fixture(scope="module")
def files(demo: Plan, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Per institution: three returns with different answers (some blank), two of them
    arrived at the same time (a tie), one sent twice; and a file that is not a workbook."""
    tmp = tmp_path_factory.mktemp("spilled")
    made = generated(demo, tmp / "gen")
    rng = random.Random(11)
    out = []
    for inst, path in sorted(made.items()):
        if inst == "master":
            continue
        for k, day in enumerate((5, 7, 7)):
            entries = random_entries(demo, PERIOD, inst, rng, blank_share=0.4)
            when = dt.datetime(2026, 10, day, 9, 0)
            dst = tmp / f"{k}-{inst}.xlsx"
            fill_return(path, dst, entries, saved_at=when, arrived_at=when)
            out.append(dst)
        again = tmp / f"again-{inst}.xlsx"
        again.write_bytes(out[-3].read_bytes())
        out.append(again)
    (tmp / "text.xlsx").write_text("not a workbook")
    return [*out, tmp / "text.xlsx"]


def test_pool_with_spill_consolidates_as_in_memory(demo: Plan, files: list[Path]) -> None:
    subs = read_many(files, demo, PERIOD, keys=KEYS, require_signature=True, workers=2)
    want = to_json(consolidate(demo, subs, PERIOD, AS_OF))
    codes = {f["code"] for f in want["flags"]}
    assert {"duplicate-return", "return-order-tie"} <= codes and "text.xlsx" in str(want)
    with Spill() as spill:
        kept = read_many(
            files, demo, PERIOD, keys=KEYS, require_signature=True, workers=2, spill=spill
        )
        assert len(spill) == sum(s.accepted for s in kept) > 0
        assert not any(s.values for s in kept if s.accepted)
        con = consolidate(demo, kept, PERIOD, AS_OF, held=spill)
        assert to_json(con) == want
        assert all(s.values for s in con.used.values())


def test_consolidate_returns_is_unchanged_by_the_spill(
    demo: Plan, files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI's path (a spill) against the same reading with every return in memory."""
    monkeypatch.setattr(ReadSettings, "keys", lambda self: KEYS)
    reading = ReadSettings(workers=2)
    with reading.reading(files, demo, PERIOD) as got:
        want = to_json(consolidate(demo, got.submissions, PERIOD, AS_OF))
    run = consolidate_returns(demo, PERIOD, files, reading, as_of=AS_OF)
    assert to_json(run.consolidation) == want
    assert len(run.read) == len(files) and len(run.refused) == 1
