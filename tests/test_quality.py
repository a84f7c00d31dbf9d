"""The framework's quality checks: each gap it names is a warning with a stable code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import activity, indicator, plan, write

from mne_workbook.plan import validate_plan


def warnings_of(tmp_path: Path, data: dict[str, Any]) -> list[tuple[str, str]]:
    report = validate_plan(write(tmp_path, data))
    assert report.valid, [str(p) for p in report.errors]
    return [(p.code, p.message) for p in report.warnings]


def test_a_fully_specified_plan_has_no_warnings(tmp_path: Path) -> None:
    assert warnings_of(tmp_path, plan()) == []


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"target": None}, "indicator-no-target"),
        ({"target": {"year": 2026}}, "indicator-no-target"),
        ({"baseline": None}, "indicator-no-baseline"),
        ({"baseline": {"note": "to be completed"}}, "indicator-no-baseline"),
        ({"frequency": None}, "frequency-unassigned"),
        ({"responsible_person": None}, "responsible-unassigned"),
        ({"text": "Relevant data distributed on a timely basis"}, "indicator-not-measurable"),
    ],
)
def test_indicator_gaps(tmp_path: Path, change: dict[str, Any], code: str) -> None:
    ind = indicator("A1.1.1-1")
    for k, v in change.items():
        if v is None:
            del ind[k]
        else:
            ind[k] = v
    [(got, msg)] = warnings_of(tmp_path, plan(activities=[activity(indicators=[ind])]))
    assert got == code
    assert "A1.1.1-1" in msg


@pytest.mark.parametrize(
    "text", ["# of cases", "% of victims", "Number of shelters", "No. of staff", "No and type of x"]
)
def test_measurable_wordings_pass(tmp_path: Path, text: str) -> None:
    ind = indicator("A1.1.1-1", text=text)
    assert warnings_of(tmp_path, plan(activities=[activity(indicators=[ind])])) == []


def test_yes_no_indicators_need_no_quantity_in_their_wording(tmp_path: Path) -> None:
    ind = indicator("A1.1.1-1", text="Action Plan developed", measure="yes-no")
    assert warnings_of(tmp_path, plan(activities=[activity(indicators=[ind])])) == []


def test_objective_whose_results_stay_at_output_level(tmp_path: Path) -> None:
    [(code, msg)] = warnings_of(tmp_path, plan(activities=[activity(level="output")]))
    assert code == "objective-no-outcome"
    assert msg.startswith("SO1")


def test_activity_without_carrier_and_without_indicators(tmp_path: Path) -> None:
    a1 = activity("A1.1.1", carriers=[])
    a2 = activity("A1.1.2", expected_results=[])
    got = warnings_of(tmp_path, plan(activities=[a1, a2, activity("A1.1.3")]))
    assert [c for c, _ in got] == ["activity-no-carrier", "activity-no-indicators"]


def test_specific_objective_without_activities(tmp_path: Path) -> None:
    d = plan()
    d["strategic_objectives"][0]["specific_objectives"].append({"code": "1.2", "title": "Empty"})
    assert warnings_of(tmp_path, d) == [
        ("objective-no-activities", "specific objective 1.2 has no activities")
    ]


@pytest.mark.parametrize(
    ("title", "timeline", "warned"),
    [
        ("Publication of a research", {"start": 2025, "end": 2026}, True),
        ("Launching of a situation analysis", None, True),  # no timeline: whole strategy
        ("Drafting the action plan", {"start": "2025-02", "end": "2025-11"}, False),
        ("Signing of agreements", {"start": 2026, "end": 2026}, False),
        ("Training of police officers", {"start": 2025, "end": 2027}, False),
    ],
)
def test_one_time_activity_on_multi_year_timeline(
    tmp_path: Path, title: str, timeline: dict[str, Any] | None, warned: bool
) -> None:
    extra: dict[str, Any] = {"timeline": timeline} if timeline else {}
    a = activity(title=title, **extra)
    got = [c for c, _ in warnings_of(tmp_path, plan(activities=[a]))]
    assert got == (["one-time-activity-multi-year"] if warned else [])


def test_warnings_are_located_by_json_path_and_line(tmp_path: Path) -> None:
    ind = indicator("A1.1.1-1")
    del ind["target"]
    path = write(tmp_path, plan(activities=[activity(indicators=[ind])]))
    [w] = validate_plan(path).warnings
    assert w.location.path == (
        "$.strategic_objectives[0].specific_objectives[0].activities[0]"
        ".expected_results[0].indicators[0]"
    )
    assert "id: A1.1.1-1" in path.read_text("utf-8").splitlines()[w.location.line - 1]  # type: ignore[operator]


@pytest.mark.parametrize("inputs", [None, "", "   "])
def test_activity_without_stated_inputs(tmp_path: Path, inputs: str | None) -> None:
    a = activity()
    if inputs is None:
        del a["inputs"]
    else:
        a["inputs"] = inputs
    [(code, msg)] = warnings_of(tmp_path, plan(activities=[a]))
    assert code == "activity-no-inputs"
    assert msg.startswith("A1.1.1 ")


def test_one_time_warning_says_when_the_span_is_the_strategy_period(tmp_path: Path) -> None:
    own = activity("A1.1.1", title="Publication of a study", timeline={"start": 2025, "end": 2026})
    none = activity("A1.1.2", title="Publication of a study")
    msgs = [m for c, m in warnings_of(tmp_path, plan(activities=[own, none]))]
    assert msgs == [
        "A1.1.1 reads as a one-time event but runs 2025-2026",
        "A1.1.2 reads as a one-time event but runs 2025-2027 (the strategy period)",
    ]
