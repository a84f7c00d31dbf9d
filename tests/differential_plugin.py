"""Read every return the whole test suite reads with both reading paths and compare.

Not part of ``make test`` (it doubles the reading): run the suite with

    MNE_DIFF_LOG=/tmp/diff.log PYTHONPATH=tests .venv/bin/pytest -p differential_plugin

and every file any test hands to the reader is also read by the reference path
(openpyxl, ``reference_reader.py``); each Submission that differs is written to the log
(the run fails at the end if any did), apart from the differences
``test_reader_differential.py`` documents (an entity declaration's message; the saved
time openpyxl made up when the file had none).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import traceback
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

_LOG = Path(os.environ.get("MNE_DIFF_LOG") or tempfile.mkstemp(prefix="mne-diff-")[1])


def _known(old: Any, new: Any) -> None:
    """Make the documented differences equal (see test_reader_differential)."""
    if (
        old.refused
        and new.refused
        and [p.code for p in old.problems] == [p.code for p in new.problems] == ["parse-failed"]
        and "Unable to read workbook" in old.problems[0].message
        and "EntitiesForbidden" in new.problems[0].message
    ):
        old.problems = new.problems
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    made_up = old.saved_at is not None and abs(now - old.saved_at) < dt.timedelta(hours=1)
    if made_up and (new.saved_at is None or new.saved_at <= old.saved_at):
        old.saved_at = new.saved_at


def pytest_configure(config: pytest.Config) -> None:
    from reference_reader import open_reference

    from mne_workbook import reader

    original = reader._read
    new_open = reader._open

    def both(sub: Any, path: Path, *args: Any) -> None:
        twin = reader.Submission(path=sub.path, size=sub.size, sha256=sub.sha256)
        try:
            with mock.patch.object(reader, "_open", new_open):
                original(twin, path, *args)
        except reader._Refuse:
            twin.refused = True
        except MemoryError:  # a memory bound being tested: the worker refuses the file
            raise
        except Exception:
            with _LOG.open("a", errors="backslashreplace") as fh:
                fh.write(f"NEW PATH CRASHED on {path}\n{traceback.format_exc()}\n")
        raised: BaseException | None = None
        try:
            with mock.patch.object(reader, "_open", open_reference):
                original(sub, path, *args)
        except reader._Refuse as exc:
            raised = exc
        old = reader.Submission(**{f: getattr(sub, f) for f in sub.__dataclass_fields__})
        old.refused = old.refused or raised is not None
        old.problems = list(sub.problems)
        _known(old, twin)
        diff = [
            f"  {f}:\n    old {getattr(old, f)!r}\n    new {getattr(twin, f)!r}"
            for f in old.__dataclass_fields__
            if getattr(old, f) != getattr(twin, f)
        ]
        with _LOG.open("a", errors="backslashreplace") as fh:
            fh.write(f"{'DIFF' if diff else 'SAME'} {path}\n" + "".join(d + "\n" for d in diff))
        if raised is not None:
            raise raised

    reader._read = both  # type: ignore[assignment]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The differential test chooses its reading path itself: not run twice over."""
    items[:] = [i for i in items if "test_reader_differential" not in i.nodeid]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    text = _LOG.read_text() if _LOG.exists() else ""
    same = text.count("SAME ")
    bad = text.count("DIFF ") + text.count("NEW PATH CRASHED")
    print(f"\ndifferential: {same} files read the same, {bad} differ (log: {_LOG})")
    if bad:
        session.exitstatus = 1
