"""Many returns held small: the pool shares their repeated parts (``compact``) and
nothing that reads them can tell; the consolidation is the same to the last flag."""

from __future__ import annotations

import copy
import datetime as dt
import pickle
import random
from pathlib import Path

import pytest
from returns import KEYS, PERIOD, generated

from mne_workbook.compact import Shared
from mne_workbook.consolidate import consolidate
from mne_workbook.fill import fill_return, random_entries
from mne_workbook.parallel import read_many
from mne_workbook.plan import Plan, load_plan
from mne_workbook.reader import Submission, read_return
from mne_workbook.report import to_json

HERE = Path(__file__).resolve().parent
AS_OF = dt.date(2026, 11, 1)


@pytest.fixture(scope="module")
def demo() -> Plan:
    return load_plan(HERE.parent / "sample_plans" / "demo.yaml")


@pytest.fixture(scope="module")
def returns(demo: Plan, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two returns per institution with different answers (some blank), saved and
    arrived at different times, and a file that is not a workbook."""
    tmp = tmp_path_factory.mktemp("compact")
    made = generated(demo, tmp / "gen")
    rng = random.Random(7)
    files = []
    for k in range(2):
        for inst, path in sorted(made.items()):
            entries = random_entries(demo, PERIOD, inst, rng, blank_share=0.3)
            when = dt.datetime(2026, 10, 5 + k, 9, 0)
            dst = tmp / f"{k}-{inst}.xlsx"
            fill_return(path, dst, entries, saved_at=when, arrived_at=when)
            files.append(dst)
    (tmp / "text.xlsx").write_text("not a workbook")
    return [*files, tmp / "text.xlsx"]


def _alone(files: list[Path], plan: Plan) -> list[Submission]:
    return [read_return(str(f), plan, PERIOD, None, KEYS, True) for f in files]


def test_shared_parts_change_no_field_and_are_held_once(demo: Plan, returns: list[Path]) -> None:
    alone = _alone(returns, demo)
    shared = Shared()
    compact = [shared.submission(copy.deepcopy(s)) for s in alone]
    assert compact == alone  # every field equal, in every return
    assert [pickle.loads(pickle.dumps(s)) for s in compact] == alone
    first, second = compact[0], compact[len(alone) // 2]  # one institution's two returns
    assert first.institution == second.institution and first.values and second.values
    assert first.identity is second.identity  # filled in the same generated workbook
    assert first.cells is second.cells  # the same map of where each input is
    assert first.values[0].cell is second.values[0].cell
    assert first.values[0].activity is second.values[0].activity


def test_numbers_that_compare_equal_are_never_swapped(demo: Plan, returns: list[Path]) -> None:
    """1, 1.0 and True are equal in Python: shared parts never include values."""
    (sub,) = _alone(returns[:1], demo)
    v = sub.values[0]
    subs = [copy.deepcopy(sub) for _ in range(3)]
    for s, value in zip(subs, (1, 1.0, True), strict=True):
        s.values[0] = type(v)(v.activity, v.indicator, v.point_end, v.point, value, v.cell)
    shared = Shared()
    got = [shared.submission(s).values[0].value for s in subs]
    assert [type(x) for x in got] == [int, float, bool]


def test_the_pool_consolidates_exactly_as_one_process_reading_alone(
    demo: Plan, returns: list[Path]
) -> None:
    alone = _alone(returns, demo)
    pooled = read_many(returns, demo, PERIOD, keys=KEYS, require_signature=True, workers=2)
    assert [s.sha256 for s in pooled] == [s.sha256 for s in alone]
    want = to_json(consolidate(demo, alone, PERIOD, AS_OF))
    got = to_json(consolidate(demo, pooled, PERIOD, AS_OF))
    assert got == want
    # the case merges answers across returns and refuses a file: not a trivial round
    assert {"answer-blanked", "not-a-workbook"} <= {f["code"] for f in want["flags"]}
    assert any(s["Status"].startswith("used (merged") for s in want["submissions"])
