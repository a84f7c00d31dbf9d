"""plan diff: what changed between plan versions, and its use when consolidating old returns."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from helpers import activity, indicator, plan, write
from returns import PERIOD, generated

from mne_workbook.cli import main
from mne_workbook.plan import load_plan, plan_from_dict, plan_to_dict
from mne_workbook.plan_diff import diff_plans, name_plan_changes
from mne_workbook.plan_workbook import write_plan_workbook
from mne_workbook.reader import read_return


def _base() -> dict[str, Any]:
    return plan(
        [
            activity("A1.1.1", [indicator("I1"), indicator("I2")]),
            activity("A1.1.2", [indicator("I3")], carriers=["kp", "mlsw"]),
            activity("A1.1.3", [indicator("I4")]),
        ]
    )


def _acts(d: dict[str, Any]) -> list[dict[str, Any]]:
    acts: list[dict[str, Any]] = d["strategic_objectives"][0]["specific_objectives"][0][
        "activities"
    ]
    return acts


def test_diff_names_each_kind_of_change() -> None:
    old = _base()
    new = copy.deepcopy(old)
    acts = _acts(new)
    acts[0]["title"] = "Activity A1.1.1, reworded"  # re-worded
    acts[1]["code"] = "A1.1.9"  # re-coded (same title)
    acts[1]["title"] = "Activity A1.1.2"
    acts[1]["carriers"] = ["kp"]  # carriers changed
    acts[2]["timeline"] = {"start": "2026-01", "end": "2026-12"}  # timeline changed
    ind = acts[0]["expected_results"][0]["indicators"]
    ind[1]["id"] = "I2b"  # re-coded indicator
    ind[0]["text"] = "% of things"  # re-worded indicator
    ind[0]["frequency"] = "yearly"
    acts[2]["expected_results"][0]["indicators"].append(indicator("I5"))  # added
    acts.append(activity("A1.1.4", []))  # added activity
    new["institutions"].pop()  # removed institution (no longer carries anything)
    d = diff_plans(plan_from_dict(old), plan_from_dict(new))
    got = {(c.item, c.kind, c.code, c.old_code) for c in d.changes}
    assert got == {
        ("institution", "removed", "mlsw", None),
        ("activity", "re-worded", "A1.1.1", None),
        ("activity", "re-coded", "A1.1.9", "A1.1.2"),
        ("activity", "carriers", "A1.1.9", None),
        ("activity", "timeline", "A1.1.3", None),
        ("activity", "added", "A1.1.4", None),
        ("indicator", "re-worded", "I1", None),
        ("indicator", "frequency changed", "I1", None),
        ("indicator", "re-coded", "I2b", "I2"),
        ("indicator", "added", "I5", None),
    }
    carriers = next(c for c in d.changes if c.kind == "carriers")
    assert str(carriers) == "activity A1.1.9 carriers: kp, mlsw -> kp"
    assert not diff_plans(plan_from_dict(old), plan_from_dict(old))


def test_cli_diff_reads_yaml_and_workbook_and_prints_json(tmp_path: Path) -> None:
    old = write(tmp_path, _base(), "old.yaml")
    new_data = _base()
    _acts(new_data).pop()
    new_book = write_plan_workbook(plan_from_dict(new_data), tmp_path / "new.xlsx")
    run = CliRunner().invoke
    res = run(main, ["plan", "diff", str(old), str(new_book)])
    assert res.exit_code == 0, res.output
    assert "2 change(s)" in res.output and "activity A1.1.3 removed" in res.output
    assert "indicator I4 removed: # of things (I4)" in res.output
    res = run(main, ["plan", "diff", str(old), str(new_book), "--json"])
    data = json.loads(res.output)
    assert data["counts"] == {"activity removed": 1, "indicator removed": 1}
    assert data["changes"][0] == {
        "kind": "removed",
        "item": "activity",
        "code": "A1.1.3",
        "old": "Activity A1.1.3",
    }


def test_a_return_from_an_older_version_names_what_changed(tmp_path: Path) -> None:
    demo = load_plan(Path(__file__).resolve().parent.parent / "sample_plans" / "demo.yaml")
    gen = generated(demo, tmp_path / "out")
    d = plan_to_dict(demo)
    d["version"] = "1.1"
    act = d["strategic_objectives"][1]["specific_objectives"][0]["activities"][0]  # A2.1.1, KP
    act["expected_results"][0]["indicators"][0]["target"]["value"] = 15
    newer = plan_from_dict(d)
    sub = read_return(gen["kp"], newer, PERIOD)
    assert sub.accepted
    assert name_plan_changes([sub], newer, [demo]) == 1
    note = sub.problems[-1]
    assert note.code == "plan-version-changes"
    assert "since plan version 1.0" in note.message
    assert "indicator D8 target changed: value 12, year 2027 -> value 15, year 2027" in note.message


def test_consolidate_with_older_plan_reports_the_changes(tmp_path: Path) -> None:
    base = _base()
    old_path = write(tmp_path, base, "v1.yaml")
    old = load_plan(old_path)
    gen = generated(old, tmp_path / "out")
    new = copy.deepcopy(base)
    new["version"] = "2"
    _acts(new)[0]["expected_results"][0]["indicators"][0]["unit"] = "cases"
    new_path = write(tmp_path, new, "v2.yaml")
    out = tmp_path / "c.xlsx"
    args = ["consolidate", str(new_path), str(gen["kp"]), "--period", PERIOD.label]
    args += ["--out", str(out), "--json", str(tmp_path / "c.json"), "--allow-unsigned"]
    res = CliRunner().invoke(main, [*args, "--older-plan", str(old_path)])
    assert res.exit_code in (0, 1), res.output
    text = (tmp_path / "c.json").read_text("utf-8")
    assert "plan-version-changes" in text and "indicator I1 unit changed: - -> cases" in text


def test_a_reworded_long_text_is_shown_from_where_it_changes() -> None:
    from mne_workbook.plan_diff import Change

    old = "Awareness, education and information on the overall issue of trafficking in schools"
    new = "Awareness, education and information on trafficking in schools"
    text = str(Change("re-worded", "specific objective", "1.1", old, new))
    assert text == (
        "specific objective 1.1 re-worded: '…and information on the overall issue of trafficking"
        " in schools' -> '…and information on trafficking in schools'"
    )
