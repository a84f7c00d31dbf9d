"""A return made from another plan version: read when its rows still fit, otherwise refused
with `plan-version-mismatch` (what to do: send the current workbook), the structure
problems still listed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from returns import KEYS, PERIOD, generated

from mne_workbook.plan import plan_from_dict, plan_to_dict
from mne_workbook.reader import read_return


def test_a_return_whose_plan_gained_an_indicator_is_a_version_mismatch(
    demo_data: dict[str, Any], tmp_path: Path
) -> None:
    old = plan_from_dict(demo_data)
    newer = plan_to_dict(old)
    newer["version"] = "2.0"
    act = next(
        a
        for so in newer["strategic_objectives"]
        for sp in so["specific_objectives"]
        for a in sp["activities"]
        if "kp" in a.get("carriers", ()) and a["expected_results"][0].get("indicators")
    )
    ind = dict(act["expected_results"][0]["indicators"][0])
    ind["id"] = ind["id"] + "-new"
    act["expected_results"][0]["indicators"].append(ind)
    kp = generated(old, tmp_path)["kp"]
    sub = read_return(kp, plan_from_dict(newer), PERIOD, keys=KEYS, require_signature=True)
    assert sub.refused
    refusal = sub.refusal()
    assert refusal is not None and refusal.code == "plan-version-mismatch"
    assert "2.0" in refusal.message
    assert {"rows-changed"} <= {p.code for p in sub.problems}  # still says where


def test_the_same_change_in_the_current_version_is_not_a_version_mismatch(
    demo_data: dict[str, Any], tmp_path: Path
) -> None:
    plan = plan_from_dict(demo_data)
    kp = generated(plan, tmp_path)["kp"]
    sub = read_return(kp, plan, PERIOD, keys=KEYS, require_signature=True)
    assert "plan-version-mismatch" not in {p.code for p in sub.problems}
