"""Workbooks written by forked workers are the serial run's, byte for byte.

`generate(workers=N)` hands each workbook to one of N forked processes (`forked.run_jobs`).
Every file, every zip part and the manifest must be what one process writes; a failure
in a worker must reach the caller as the same coded error (or OS error) a serial run
raises, with no temporary file left; from a thread (the web desk) it must not fork.
"""

from __future__ import annotations

import datetime as dt
import errno
import multiprocessing
import os
import signal
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest

import mne_workbook.generate as generate_module
from mne_workbook import forked
from mne_workbook.errors import GenerationError, MneError, UsageError, fail
from mne_workbook.generate import generate
from mne_workbook.periods import Period
from mne_workbook.plan import Plan, load_plan
from mne_workbook.signing import KeyRing
from mne_workbook.writer import write_workbook

STAMP = dt.datetime(2026, 7, 1, 9, 30, tzinfo=dt.UTC)
KEYS = KeyRing((b"a test signing key of forty bytes......",))
Q4 = Period.parse("2019-Q4")
SAMPLES = Path(__file__).resolve().parent.parent / "sample_plans"


@pytest.fixture(scope="module")
def kosovo() -> Plan:
    return load_plan(
        Path(__file__).resolve().parent.parent / "sample_plans" / "kosovo-2015-2019.yaml"
    )


class _Frozen(dt.datetime):
    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> Any:
        return STAMP


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """xlsxwriter stamps docProps/core.xml with the time it writes each file: frozen
    (before any fork), so that two runs can be compared byte for byte."""
    import xlsxwriter.core

    monkeypatch.setattr(xlsxwriter.core, "datetime", _Frozen)


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def run(plan: Plan, out: Path, workers: int, **kw: Any) -> list[Any]:
    return generate(plan, Q4, out, keys=KEYS, generated_at=STAMP, workers=workers, **kw)


@pytest.mark.parametrize("password", [None, "sesame"])
def test_two_workers_write_the_serial_files_byte_for_byte(
    kosovo: Plan, tmp_path: Path, password: str | None
) -> None:
    one = run(kosovo, tmp_path / "one", 1, password=password)
    two = run(kosovo, tmp_path / "two", 2, password=password)
    assert [w.to_dict() for w in one] == [w.to_dict() for w in two]  # order, sha256, counts
    names = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "two").iterdir())
    assert len(names) == 15  # 14 workbooks and the manifest
    for name in names:
        a, b = tmp_path / "one" / name, tmp_path / "two" / name
        if name.endswith(".xlsx"):
            assert parts(a) == parts(b), name  # every zip part
        assert a.read_bytes() == b.read_bytes(), name


def test_more_workers_than_workbooks_and_one_institution(kosovo: Plan, tmp_path: Path) -> None:
    inst = kosovo.carriers()[0].id
    one = run(kosovo, tmp_path / "one", 1, institutions=[inst])
    many = run(kosovo, tmp_path / "many", 8, institutions=[inst])
    assert [w.to_dict() for w in one] == [w.to_dict() for w in many]
    assert [w.kind for w in many] == ["institution", "master"]


def test_the_workers_really_are_other_processes(
    kosovo: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def spy(*args: Any, **kw: Any) -> Any:
        (tmp_path / f"pid-{os.getpid()}").touch()
        return write_workbook(*args, **kw)

    monkeypatch.setattr(generate_module, "write_workbook", spy)
    run(kosovo, tmp_path / "out", 2)
    pids = [int(p.name[4:]) for p in tmp_path.glob("pid-*")]
    assert len(pids) == 2 and os.getpid() not in pids


def test_from_a_thread_nothing_is_forked(
    kosovo: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fork(*args: Any, **kw: Any) -> Any:
        raise AssertionError("forked from a thread")

    monkeypatch.setattr(multiprocessing, "get_context", no_fork)
    got: list[Any] = []

    def desk() -> None:
        try:
            got.append(run(kosovo, tmp_path / "t", 2))
        except BaseException as exc:
            got.append(exc)

    t = threading.Thread(target=desk)
    t.start()
    t.join()
    assert isinstance(got[0], list), got[0]
    assert [w.to_dict() for w in got[0]] == [
        w.to_dict() for w in run(kosovo, tmp_path / "serial", 1)
    ]


def failing_writer(bad: str, exc: BaseException) -> Any:
    def write(plan: Plan, period: Period, tmp: Path, identity: Any, *a: Any) -> Any:
        if identity.institution == bad:
            raise exc
        return write_workbook(plan, period, tmp, identity, *a)

    return write


@pytest.mark.parametrize("workers", [1, 2])
def test_a_coded_error_in_a_worker_reaches_the_caller_unchanged(
    kosovo: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    bad = kosovo.carriers()[3].id
    err = fail(GenerationError, "generation-limit", "SO1: a title was refused")
    monkeypatch.setattr(generate_module, "write_workbook", failing_writer(bad, err))
    with pytest.raises(GenerationError) as got:
        run(kosovo, tmp_path, workers)
    assert got.value.report.to_dict() == err.report.to_dict()
    assert str(got.value) == str(err)
    left = [p.name for p in tmp_path.iterdir()]
    assert not [n for n in left if n.startswith(".") or "manifest" in n], left


def test_an_os_error_in_a_worker_keeps_its_number_and_file(
    kosovo: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x.xlsx"))
    monkeypatch.setattr(
        generate_module, "write_workbook", failing_writer(kosovo.carriers()[0].id, full)
    )
    with pytest.raises(OSError) as got:
        run(kosovo, tmp_path, 2)
    assert (got.value.errno, got.value.strerror, got.value.filename) == (
        errno.ENOSPC,
        "No space left on device",
        str(tmp_path / "x.xlsx"),
    )


class Unpicklable(Exception):
    def __reduce__(self) -> Any:
        raise TypeError("cannot pickle")


def test_an_error_that_cannot_cross_the_pipe_is_an_internal_error() -> None:
    def job(k: int) -> int:
        if k == 2:
            raise Unpicklable("odd")
        return k * k

    with pytest.raises(MneError) as got:
        forked.run_jobs([0, 1, 2, 3], job, 2)
    [p] = got.value.report.problems
    assert (p.code, p.message) == ("internal-error", "Unpicklable: odd")


def test_the_first_failed_job_is_raised_and_no_job_is_lost() -> None:
    def job(k: int) -> int:
        if k in (5, 3):
            raise fail(UsageError, "usage-error", f"job {k}")
        return k

    with pytest.raises(UsageError) as got:
        forked.run_jobs([5, 4, 3, 2, 1, 0], job, 2)
    assert got.value.report.problems[0].message in ("job 3", "job 5")
    assert forked.run_jobs([3, 1, 2, 0], lambda k: k * 10, 2) == {0: 0, 1: 10, 2: 20, 3: 30}


def test_a_worker_that_dies_is_a_coded_error() -> None:
    def job(k: int) -> int:
        if k == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        return k

    with pytest.raises(GenerationError) as got:
        forked.run_jobs([0, 1, 2], job, 2)
    [p] = got.value.report.problems
    assert p.code == "generation-worker-failed" and "workbook 2 of 3" in p.message


def test_the_cli_writes_with_workers_and_says_so_in_help(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from mne_workbook.cli import main

    sample = Path(__file__).resolve().parent.parent / "sample_plans" / "kosovo-2015-2019.yaml"
    r = CliRunner().invoke(
        main,
        ["generate", str(sample), "--period", "2019-Q4", "--out", str(tmp_path), "--workers", "2"],
    )
    assert r.exit_code == 0, r.output
    assert len(list(tmp_path.glob("*.xlsx"))) == 14
    assert "--workers N" in CliRunner().invoke(main, ["generate", "--help"]).output
