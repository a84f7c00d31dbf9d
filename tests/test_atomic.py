"""Outputs are written through one atomic helper: they get the permissions a plain
``open()`` would give (the key file excepted), and nothing is left behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mne_workbook.atomic import atomic_write
from mne_workbook.generate import generate
from mne_workbook.periods import Period
from mne_workbook.plan import load_plan
from mne_workbook.signing import new_key

DEMO = Path(__file__).resolve().parent.parent / "sample_plans" / "demo.yaml"


@pytest.fixture
def umask_027() -> object:
    old = os.umask(0o027)
    from mne_workbook import atomic

    atomic._default_mode.cache_clear()
    yield
    os.umask(old)
    atomic._default_mode.cache_clear()


def test_outputs_get_the_mode_open_would_give_not_the_temp_files(
    tmp_path: Path, umask_027: object
) -> None:
    out = tmp_path / "round"
    out.mkdir()
    keys = new_key(tmp_path / "k.key")
    written = generate(load_plan(DEMO), Period.parse("2026-Q3"), out, keys=keys)
    assert written
    modes = {stat.S_IMODE(w.path.stat().st_mode) for w in written}
    assert modes == {0o640}  # 0o666 less the umask 027; mkstemp alone would give 0o600
    assert stat.S_IMODE((tmp_path / "k.key").stat().st_mode) == 0o600
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_an_explicit_mode_wins_and_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "secret.txt"
    atomic_write(target, lambda tmp: tmp.write_text("x"), mode=0o600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600

    def boom(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        atomic_write(tmp_path / "other.txt", boom)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.txt"]
