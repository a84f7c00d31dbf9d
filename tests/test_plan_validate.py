"""Plan loading and validation: located, coded problems, all at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from helpers import activity, indicator, plan, write

from mne_workbook.cli import main
from mne_workbook.errors import CATALOG, PlanError
from mne_workbook.plan import load_plan, plan_from_dict, plan_to_dict, validate_plan


def codes(report: Any) -> list[str]:
    return [p.code for p in report.problems]


def test_ten_planted_errors_are_reported_in_one_run_each_at_its_line(
    tmp_path: Path, demo_data: dict[str, Any]
) -> None:
    d = demo_data
    so1 = d["strategic_objectives"][0]
    acts = so1["specific_objectives"][0]["activities"]
    so2_acts = d["strategic_objectives"][1]["specific_objectives"][0]["activities"]
    del d["title"]  # 1 required key missing
    d["strategic_objectives"][1]["code"] = "S2"  # 2 bad pattern
    acts[0]["expected_results"][0]["indicators"][0]["measure"] = "count"  # 3 not in enum
    acts[1]["expected_results"][0]["indicators"][0]["frequency"] = "weekly"  # 4 not in enum
    acts[1]["carrier"] = ["kp"]  # 5 misspelt key
    so2_acts[1]["code"] = "A2.1.1"  # 6 duplicate code
    so1["specific_objectives"][1]["activities"][1]["code"] = "A1.1.9"  # 7 under 1.2
    so1["specific_objectives"][2]["activities"][0]["carriers"] = ["mest", "police"]  # 8
    so2_acts[0]["timeline"] = {"start": "2026-06", "end": "2026-02"}  # 9 reversed
    d["strategic_objectives"][1]["specific_objectives"][1]["activities"][0]["timeline"] = {
        "start": 2025,
        "end": "2031-12",
    }  # 10 outside strategy
    path = write(tmp_path, d)
    lines = path.read_text("utf-8").splitlines()

    report = validate_plan(path)

    assert len(report.errors) == 10, [str(p) for p in report.errors]
    expected = {
        ("schema-violation", "$"): "id:",
        ("schema-violation", "$.strategic_objectives[1].code"): "S2",
        (
            "schema-violation",
            "$.strategic_objectives[0].specific_objectives[0].activities[0]"
            ".expected_results[0].indicators[0].measure",
        ): "count",
        (
            "schema-violation",
            "$.strategic_objectives[0].specific_objectives[0].activities[1]"
            ".expected_results[0].indicators[0].frequency",
        ): "weekly",
        (
            "schema-violation",
            "$.strategic_objectives[0].specific_objectives[0].activities[1]",
        ): "A1.1.2",
        (
            "duplicate-code",
            "$.strategic_objectives[1].specific_objectives[0].activities[1].code",
        ): "A2.1.1",
        (
            "code-not-under-parent",
            "$.strategic_objectives[0].specific_objectives[1].activities[1].code",
        ): "A1.1.9",
        (
            "unknown-institution",
            "$.strategic_objectives[0].specific_objectives[2].activities[0].carriers[1]",
        ): "police",
        (
            "timeline-reversed",
            "$.strategic_objectives[1].specific_objectives[0].activities[0].timeline",
        ): "timeline",
        (
            "timeline-outside-strategy",
            "$.strategic_objectives[1].specific_objectives[1].activities[0].timeline.end",
        ): "2031",
    }
    got = {(p.code, p.location.path): p for p in report.errors}
    assert set(got) == set(expected)
    for key, text_on_line in expected.items():
        p = got[key]
        assert p.location.file == str(path)
        assert p.location.line is not None
        assert text_on_line in lines[p.location.line - 1], (key, lines[p.location.line - 1])
    # no quality warnings are computed for an invalid plan, and load_plan refuses it whole
    assert not report.warnings
    with pytest.raises(PlanError) as exc:
        load_plan(path)
    assert len(exc.value.report.errors) == 10


def test_number_where_a_code_is_expected_says_to_quote_it(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(plan()).replace("code: '1.1'", "code: 1.1"), "utf-8")
    report = validate_plan(path)
    [err] = report.errors
    assert err.code == "schema-violation"
    assert "write it in quotes: '1.1'" in err.message
    lines = path.read_text("utf-8").splitlines()
    assert err.location.line is not None
    assert lines[err.location.line - 1].strip().endswith("code: 1.1")


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (None, "file-not-found"),
        (b"", "file-empty"),
        (b"  \n\n", "file-empty"),
        (b"id: [unclosed\ntitle: x\n", "syntax-error"),
        (b"- just\n- a list\n", "wrong-top-level"),
        (b"plain text, no mapping", "wrong-top-level"),
        (b"\xff\xfe\x00garbage", "file-not-utf8"),
    ],
)
def test_bad_files_get_a_coded_message_and_no_traceback(
    tmp_path: Path, content: bytes | None, code: str
) -> None:
    path = tmp_path / "plan.yaml"
    if content is not None:
        path.write_bytes(content)
    report = validate_plan(path)
    assert codes(report) == [code]
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert f"[{code}]" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_syntax_error_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("id: x\ntitle: y\nversion: [1\nstrategy_period: {}\n", "utf-8")
    [p] = validate_plan(path).problems
    assert p.code == "syntax-error"
    assert p.location.line in (3, 4)


def test_json_plans_are_read_and_located_too(tmp_path: Path) -> None:
    d = plan()
    d["strategic_objectives"][0]["specific_objectives"][0]["activities"][0]["carriers"] = ["zz"]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(d, indent=2), "utf-8")
    [err] = validate_plan(path).errors
    assert err.code == "unknown-institution"
    assert err.location.line is not None
    assert '"zz"' in path.read_text().splitlines()[err.location.line - 1]


def test_yaml_and_json_of_the_same_content_load_to_equal_plans(tmp_path: Path) -> None:
    d = plan()
    a = load_plan(write(tmp_path, d, "a.yaml"))
    jp = tmp_path / "b.json"
    jp.write_text(json.dumps(d), "utf-8")
    b = load_plan(jp)
    assert a == b
    assert a.fingerprint == b.fingerprint


def test_fingerprint_changes_with_any_content_change(tmp_path: Path) -> None:
    base = load_plan(write(tmp_path, plan()))
    changed = plan(activities=[activity(indicators=[indicator("A1.1.1-1", unit="cases")])])
    assert load_plan(write(tmp_path, changed, "c.yaml")).fingerprint != base.fingerprint


def test_plan_is_immutable_and_round_trips_through_plain_data(demo_path: Path) -> None:
    p = load_plan(demo_path)
    with pytest.raises(AttributeError):
        p.title = "x"  # type: ignore[misc]
    assert plan_from_dict(plan_to_dict(p)) == p


def test_dates_stay_text_and_full_dates_are_accepted(tmp_path: Path) -> None:
    a = activity(timeline={"start": "2025-03-01", "end": "2026-02-28"})
    p = load_plan(write(tmp_path, plan(activities=[a])))
    act = p.strategic_objectives[0].activities[0]
    assert (act.timeline_start.isoformat(), act.timeline_end.isoformat()) == (  # type: ignore[union-attr]
        "2025-03-01",
        "2026-02-28",
    )
    bad = activity(timeline={"start": "2025-13"})
    [err] = validate_plan(write(tmp_path, plan(activities=[bad]), "b.yaml")).errors
    assert err.code == "invalid-date"


def test_duplicate_indicator_ids_across_activities(tmp_path: Path) -> None:
    acts = [activity("A1.1.1", [indicator("X")]), activity("A1.1.2", [indicator("X")])]
    [err] = validate_plan(write(tmp_path, plan(activities=acts))).errors
    assert err.code == "duplicate-code"
    assert "'X'" in err.message and "first at line" in err.message


def test_every_emitted_code_is_in_the_catalog(kosovo_path: Path, demo_path: Path) -> None:
    for path in (kosovo_path, demo_path):
        for p in validate_plan(path).problems:
            assert p.code in CATALOG
            assert p.hint
