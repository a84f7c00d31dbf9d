"""Which return counts, at thousands of returns: each return's content is compared once
(a content key per return), and the duplicates found are those of comparing every
return with every distinct one, as the rule was first written."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from returns import ON_TIME, PERIOD, generated

from mne_workbook.fill import fill_return
from mne_workbook.plan import load_plan
from mne_workbook.reader import Submission, read_return
from mne_workbook.return_rule import answered, choose, order_key

ROOT = Path(__file__).resolve().parent.parent
JUL = "value@2026-07-31"


def _pairwise_copies(subs: list[Submission]) -> dict[str, str]:
    """The duplicates as the first rule found them: every return against every
    distinct one before it, newest first."""
    distinct: list[Submission] = []
    copies: dict[str, str] = {}
    for s in sorted((s for s in subs if answered(s)), key=order_key, reverse=True):
        twin = next((d for d in distinct if d.content_key() == s.content_key()), None)
        if twin is None:
            distinct.append(s)
        else:
            copies[s.name] = twin.name
    return copies


def test_duplicates_are_found_with_one_content_key_per_return(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = load_plan(ROOT / "sample_plans" / "demo.yaml")
    kp = generated(plan, tmp_path / "gen")["kp"]
    files = []
    for k in range(12):  # three contents, each sent four times at different times
        answers: dict[Any, Any] = {("A2.1.1", "D8", JUL): k % 3, ("A2.1.1", "", "status"): 3}
        f = tmp_path / f"r{k:02d}.xlsx"
        fill_return(
            kp, f, answers, ON_TIME + dt.timedelta(hours=k), ON_TIME + dt.timedelta(hours=k)
        )
        files.append(f)
    subs = [read_return(f, plan, PERIOD) for f in files]
    want = _pairwise_copies([dataclasses.replace(s) for s in subs])
    assert len(want) == 9 and len(set(want.values())) == 3

    calls = 0
    real = Submission.content_key

    def counted(self: Submission) -> tuple[object, ...]:
        nonlocal calls
        calls += 1
        return real(self)

    monkeypatch.setattr(Submission, "content_key", counted)
    out = choose(subs)
    assert out.copies == want
    assert calls <= len(subs)  # not once per pair
    assert sum(f.code == "duplicate-return" for f in out.flags) == 9
