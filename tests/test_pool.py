"""The bounded worker pool: long-lived workers, each file bounded as if alone; a worker
that stalls, runs out of memory or grows too large is replaced; results are those of a
single process, in input order."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from returns import KEYS, ON_TIME, PERIOD, edit, generated

import mne_workbook.parallel as parallel
from mne_workbook.parallel import Bounds, read_many
from mne_workbook.plan import Plan, load_plan
from mne_workbook.reader import Submission, read_return

HERE = Path(__file__).resolve().parent

_kept: list[bytearray] = []  # memory a fake reading holds on to (in the worker)


def _fake(path: str, *_: Any) -> Submission:
    """Stands in for read_return in the workers (inherited at fork): says which process
    read the file, and behaves as the file's name asks."""
    name = Path(path).name
    if name.startswith("slow"):
        time.sleep(60)
    if name.startswith("hungry"):
        bytearray(512 * 1024 * 1024)  # more than the file's budget: MemoryError
    if name.startswith("nap"):
        time.sleep(0.6)  # under the deadline alone; over it counted from when it was sent
    if name.startswith("die"):
        os._exit(3)  # the worker dies (a crash)
    if name.startswith("grow"):
        _kept.append(bytearray(24 * 1024 * 1024))  # kept: the worker grows
    return Submission(path=path, sender=str(os.getpid()))


@pytest.fixture
def fake_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "read_return", _fake)


@pytest.fixture(scope="module")
def demo() -> Plan:
    return load_plan(HERE.parent / "sample_plans" / "demo.yaml")


def _read(names: list[str], plan: Plan, workers: int, **bounds: Any) -> list[Submission]:
    return read_many(
        [Path("/nowhere") / n for n in names],
        plan,
        PERIOD,
        workers=workers,
        bounds=Bounds(**{"timeout": 20.0, **bounds}),
    )


def _pids(subs: list[Submission]) -> list[str]:
    return [s.sender for s in subs]


@pytest.mark.usefixtures("fake_reader")
def test_workers_are_long_lived_and_answers_come_in_input_order(demo: Plan) -> None:
    names = [f"f{k:02d}.xlsx" for k in range(12)]
    subs = _read(names, demo, workers=2)
    assert [Path(s.path).name for s in subs] == names
    pids = set(_pids(subs))
    assert 1 <= len(pids) <= 2  # two processes read twelve files
    assert str(os.getpid()) not in pids  # and not this one


@pytest.mark.usefixtures("fake_reader")
def test_a_stalled_worker_is_killed_and_replaced_the_rest_are_read(demo: Plan) -> None:
    start = time.monotonic()
    subs = _read(["a.xlsx", "slow.xlsx", "b.xlsx", "c.xlsx"], demo, workers=1, timeout=1.0)
    assert time.monotonic() - start < 15
    assert [p.code for p in subs[1].problems] == ["parse-timeout"] and subs[1].refused
    assert [s.refused for s in subs] == [False, True, False, False]
    assert subs[0].sender != subs[2].sender == subs[3].sender  # a new worker


@pytest.mark.usefixtures("fake_reader")
def test_a_file_that_needs_too_much_memory_is_refused_and_its_worker_replaced(
    demo: Plan,
) -> None:
    subs = _read(["a.xlsx", "hungry.xlsx", "b.xlsx"], demo, workers=1, memory_mb=128)
    assert [p.code for p in subs[1].problems] == ["parse-memory"] and subs[1].refused
    assert not subs[0].refused and not subs[2].refused
    assert subs[0].sender != subs[2].sender


@pytest.mark.usefixtures("fake_reader")
def test_each_file_gets_the_full_memory_budget_and_a_grown_worker_retires(demo: Plan) -> None:
    # every file keeps 24 MB: no file is refused (each gets its own 64 MB on top of what
    # its worker holds), and a worker that has grown by more than 64 MB is replaced
    names = [f"grow{k}.xlsx" for k in range(8)]
    subs = _read(names, demo, workers=1, memory_mb=64)
    assert not any(s.refused for s in subs)
    pids = _pids(subs)
    assert 2 <= len(set(pids)) < len(names)
    assert pids[:3] == [pids[0]] * 3  # grown by 72 MB after the third file: retires


def test_results_are_those_of_one_process_reading_the_files_one_by_one(
    demo: Plan, tmp_path: Path
) -> None:
    made = generated(demo, tmp_path / "gen")
    files = []
    for k, (inst, path) in enumerate(sorted(made.items())):
        files.append(edit(path, tmp_path / f"{k}-{inst}.xlsx", lambda wb: None, ON_TIME))
    files.append(tmp_path / "missing.xlsx")
    (tmp_path / "text.xlsx").write_text("not a workbook")
    files.append(tmp_path / "text.xlsx")
    alone = [read_return(str(f), demo, PERIOD, None, KEYS, True) for f in files]
    for workers in (1, 2):
        pooled = read_many(files, demo, PERIOD, keys=KEYS, require_signature=True, workers=workers)
        assert [Path(s.path).name for s in pooled] == [s.file_name for s in pooled]
        assert [replace(s, file_name="") for s in pooled] == alone
    assert any(s.accepted for s in alone) and any(s.refused for s in alone)


@pytest.mark.usefixtures("fake_reader")
def test_a_files_deadline_counts_from_when_its_worker_begins_it(demo: Plan) -> None:
    # two files are in flight per worker: the second waits behind the first, and its
    # clock starts when the first's answer arrives, not when it was sent
    names = [f"nap{k}.xlsx" for k in range(4)]
    subs = _read(names, demo, workers=1, timeout=1.0)
    assert not any(s.refused for s in subs)
    assert len(set(_pids(subs))) == 1


@pytest.mark.usefixtures("fake_reader")
def test_a_dead_worker_refuses_only_its_file_and_the_one_queued_behind_it_is_read(
    demo: Plan,
) -> None:
    subs = _read(["a.xlsx", "die.xlsx", "b.xlsx", "c.xlsx"], demo, workers=1)
    assert [s.refused for s in subs] == [False, True, False, False]
    assert [p.code for p in subs[1].problems] == ["parse-memory"]
    assert subs[0].sender != subs[2].sender == subs[3].sender  # a new worker read them


def _rounds(
    plan: Plan, tmp_path: Path, rounds: int
) -> tuple[list[tuple[str, Path]], list[Path], list[Submission]]:
    """Every workbook of ``plan`` returned ``rounds`` times (the same layouts again):
    the workbooks made, the returns, and each read alone."""
    made = sorted(generated(plan, tmp_path / "gen").items())
    files = [
        edit(path, tmp_path / f"{k}-{n}-{inst}.xlsx", lambda wb: None, ON_TIME)
        for n in range(rounds)
        for k, (inst, path) in enumerate(made)
    ]
    return made, files, [read_return(str(f), plan, PERIOD, None, KEYS, True) for f in files]


def test_a_cells_map_sent_once_per_layout_comes_back_on_every_return_of_it(
    demo: Plan, tmp_path: Path
) -> None:
    # a worker sends the map of where each input is once per layout and leaves it out
    # of the returns after it (the parent puts it back): every return holds its own
    # layout's map, equal to reading it alone, and returns of one layout share one map
    made, files, alone = _rounds(demo, tmp_path, 3)
    assert len({tuple(s.cells) for s in alone}) == len(made) > 1  # maps differ by layout
    for workers in (1, 2):
        pooled = read_many(files, demo, PERIOD, keys=KEYS, require_signature=True, workers=workers)
        assert [s.cells for s in pooled] == [s.cells for s in alone]
        assert [replace(s, file_name="") for s in pooled] == alone
        by_layout: dict[tuple[Any, ...], dict[Any, Any]] = {}
        held = [s for s in pooled if s.cells]  # a refused return holds none
        assert len(held) > len(made)
        for s in held:
            assert by_layout.setdefault(tuple(s.cells), s.cells) is s.cells


def test_a_worker_past_its_bound_of_maps_sends_them_whole(
    demo: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "_MAX_MAPS", 1)  # one map remembered; the others whole
    _, files, alone = _rounds(demo, tmp_path, 2)
    pooled = read_many(files, demo, PERIOD, keys=KEYS, require_signature=True, workers=1)
    assert [replace(s, file_name="") for s in pooled] == alone


def test_the_address_space_read_again_follows_the_process() -> None:
    from mne_workbook.bounded import AddressSpace, vm_bytes

    space = AddressSpace()
    try:
        before = space.now()
        assert abs(before - vm_bytes()) < 8 * 1024 * 1024  # the same reading, near in time
        held = bytearray(64 * 1024 * 1024)  # the process grows: a fresh reading says so
        assert space.now() - before >= 60 * 1024 * 1024
        del held
    finally:
        space.close()
    assert space.now() == 0  # closed: unknown, as vm_bytes says it
