"""Hostile returns: each gets its own code, none stops, slows or corrupts the others.

The corpus is built and read once per session (the ``hostile_run`` fixture): the library's
answer per file and the CLI's report below are two views of that one read."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile import TIMEOUT, Case, HostileRun
from returns import KEYS, PERIOD

from mne_workbook.parallel import Bounds, read_many
from mne_workbook.plan import Plan, load_plan

# A million empty rows carry no data: its point is the time it costs. On a loaded machine it
# runs past TIMEOUT (parse-timeout); on an idle one it may be read in time, and then it must
# read as the honest return it is (no error), never as anything else.
TIME_ONLY = {"million-rows.xlsx"}


@pytest.fixture(scope="module")
def demo() -> Plan:
    return load_plan(Path(__file__).resolve().parent.parent / "sample_plans" / "demo.yaml")


def test_every_hostile_file_gets_its_code_and_inputs_stay_unchanged(
    hostile_run: HostileRun,
) -> None:
    d, cases = hostile_run.folder, hostile_run.cases
    assert len(cases) >= 25
    assert sorted(hostile_run.subs) == sorted(cases)  # every file read, each once
    for name, case in cases.items():
        sub = hostile_run.subs[name]
        codes = {p.code for p in sub.problems}
        if name in TIME_ONLY and not sub.refused:
            assert not [p for p in sub.problems if str(p.severity) == "error"], (name, codes)
            continue
        assert sub.refused is case.refused, (name, codes)
        if case.code:
            assert case.code in codes, (name, codes)
        else:
            assert not [p for p in sub.problems if str(p.severity) == "error"], (name, codes)
        for p in sub.problems:
            assert p.location.file == str(d / name)
    assert hostile_run.after == hostile_run.before


def test_the_memory_bound_refuses_a_file_that_needs_too_much(
    demo: Plan, hostile_corpus: tuple[Path, dict[str, Case]]
) -> None:
    [sub] = read_many(
        [hostile_corpus[0] / "huge-string.xlsx"],
        demo,
        PERIOD,
        keys=KEYS,
        bounds=Bounds(timeout=TIMEOUT, memory_mb=64),
    )
    assert [p.code for p in sub.problems] == ["parse-memory"]


def test_the_cli_consolidates_the_valid_files_of_a_hostile_folder(
    hostile_run: HostileRun,
) -> None:
    r, cases = hostile_run.result, hostile_run.cases
    assert r.exit_code == 1, r.output
    assert "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    data = hostile_run.report
    by_file = {s["File"]: s for s in data["submissions"]}
    for name, case in cases.items():
        status = by_file[name]["Status"]
        if name in TIME_ONLY and status != "refused":
            continue  # read in time: what it holds counts like any return (see TIME_ONLY)
        assert (status == "refused") is case.refused, (name, status)
        if case.refused:
            assert by_file[name]["First problem"].startswith(f"[{case.code}]") or case.code in {
                "plan-cells-tampered"
            }, (name, by_file[name]["First problem"])
    assert by_file["valid.xlsx"]["Status"] == "used"
    mlsw = [
        row for row in data["matrix"] if row["institution"] == "mlsw" and row["indicator"] == "D11"
    ]
    assert mlsw[0]["value 2026-07"] == 3
