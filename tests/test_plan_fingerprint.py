"""The plan fingerprint keeps its value: every workbook stores it and reading compares it.

`Plan.fingerprint` skips the walk that turns -0.0 into 0.0 when the canonical text holds
no "-0.0". The reference below is the walk done every time (the code before that change);
both must agree on every plan: sample plans, a large synthetic one, and plans holding
-0.0, 0.0, -0 and texts that merely read "-0.0".
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from helpers import activity, indicator, plan
from hypothesis import given, settings
from hypothesis import strategies as st

from mne_workbook.plan import Plan, load_plan, plan_from_dict, plan_to_dict

ROOT = Path(__file__).resolve().parent.parent


def _no_negative_zero(value: Any) -> Any:
    if isinstance(value, float) and value == 0:
        return 0.0
    if isinstance(value, dict):
        return {k: _no_negative_zero(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_negative_zero(v) for v in value]
    return value


def reference_fingerprint(p: Plan) -> str:
    data = plan_to_dict(p)
    for inst in data.get("institutions") or ():
        inst.pop("sender_emails", None)
    canonical = json.dumps(_no_negative_zero(data), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def test_sample_plans_keep_their_fingerprints() -> None:
    for name in ("kosovo-2015-2019.yaml", "demo.yaml"):
        p = load_plan(ROOT / "sample_plans" / name)
        assert p.fingerprint == reference_fingerprint(p)


def test_a_larger_plan_keeps_its_fingerprint() -> None:
    acts = [
        activity(
            f"A1.1.{a}",
            indicators=[
                indicator(f"I{a}-{i}", baseline={"value": (a * i) % 7 - 3.5, "year": 2024})
                for i in range(1, 21)
            ],
            timeline={"start": "2025-03", "end": 2026},
            carriers=["kp", "mlsw"][: 1 + a % 2],
        )
        for a in range(1, 31)
    ]
    p = plan_from_dict(plan(activities=acts, critique=["one", "two"]))
    assert len(p.indicators()) == 600
    assert p.fingerprint == reference_fingerprint(p)


VALUES = st.one_of(
    st.sampled_from([0.0, -0.0, 0, 1, -1.5, True, False, "-0.0", "x -0.0 y", "0"]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(10**6), 10**6),
)


@settings(max_examples=150, deadline=None)
@given(
    baseline=VALUES,
    target=VALUES,
    text=st.sampled_from(["plain", "reads -0.0", "-0.0", "ë -0.0 ü"]),
    sender=st.booleans(),
)
def test_fingerprint_equals_the_reference(
    baseline: Any, target: Any, text: str, sender: bool
) -> None:
    ind = indicator("I1", text=text, baseline={"value": baseline}, target={"value": target})
    d = plan(activities=[activity(indicators=[ind, indicator("I2")])], description=text)
    if sender:
        d["institutions"][0]["sender_emails"] = ["a@b.org"]
    p = plan_from_dict(d)
    assert p.fingerprint == reference_fingerprint(p)


def test_negative_zero_and_zero_still_give_one_fingerprint() -> None:
    prints = {
        plan_from_dict(
            plan(activities=[activity(indicators=[indicator(baseline={"value": v})])])
        ).fingerprint
        for v in (0.0, -0.0)
    }
    assert len(prints) == 1
