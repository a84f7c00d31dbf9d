"""A written workbook is freed at once; generation pauses the collector and restores it.

xlsxwriter leaves every closed workbook in a reference cycle (each worksheet keeps its
workbook's bound ``add_format``); `writer._release` breaks it, so that reference counting
frees the workbook, and `generate` can pause the cyclic collector without piling up
garbage. If xlsxwriter renames that attribute, the first test fails (nothing else would:
generation would merely be slower and hold more memory).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from mne_workbook.generate import generate
from mne_workbook.periods import Period
from mne_workbook.plan import Plan, load_plan

SAMPLES = Path(__file__).resolve().parent.parent / "sample_plans"


@pytest.fixture(scope="module")
def kosovo() -> Plan:
    return load_plan(SAMPLES / "kosovo-2015-2019.yaml")


@pytest.fixture
def saved_garbage() -> Iterator[list[object]]:
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was:
            gc.enable()


def test_a_written_round_leaves_no_workbook_to_the_collector(
    kosovo: Plan, tmp_path: Path, saved_garbage: list[object]
) -> None:
    made = generate(kosovo, Period.parse("2019-Q4"), tmp_path)
    assert len(made) == 14
    gc.collect()
    left = [o for o in saved_garbage if type(o).__module__.startswith("xlsxwriter")]
    assert left == [], f"{len(left)} xlsxwriter objects in reference cycles, e.g. {left[:3]}"
    assert len(saved_garbage) < 200  # a few of json's encoder closures (the manifest)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_it_was(kosovo: Plan, tmp_path: Path, enabled: bool) -> None:
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        generate(kosovo, Period.parse("2019-Q4"), tmp_path / str(enabled), institutions=["kp"])
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
