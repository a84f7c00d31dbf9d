"""The coordinating office comes from the plan (reporting.coordinator), never a literal id."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from mne_workbook.locales import catalog
from mne_workbook.mail import round_body
from mne_workbook.periods import Period
from mne_workbook.plan import load_plan, validate_plan


def _plan(tmp_path: Path, data: dict[str, Any]) -> Path:
    p = tmp_path / "plan.yaml"
    p.write_text(yaml.safe_dump(data), "utf-8")
    return p


def test_the_coordinator_s_address_is_the_sender_when_send_to_is_missing(
    demo_data: dict[str, Any], tmp_path: Path
) -> None:
    data = copy.deepcopy(demo_data)
    del data["reporting"]["send_to"]
    data["institutions"].append(
        {"id": "office", "name": "Coordination Office", "short_name": "CO", "email": "co@x.example"}
    )
    data["reporting"]["coordinator"] = "office"
    plan = load_plan(_plan(tmp_path, data))
    inst = plan.institutions[0]
    body = round_body(plan, Period.parse("2026-Q3"), inst, catalog("en"))
    assert "co@x.example" in body
    onatc = next(i for i in plan.institutions if i.id == "onatc")
    assert not any(e in body for e in onatc.emails)  # the literal id "onatc" means nothing


def test_without_a_coordinator_no_institution_is_guessed(
    demo_data: dict[str, Any], tmp_path: Path
) -> None:
    data = copy.deepcopy(demo_data)
    del data["reporting"]["send_to"]
    data["reporting"].pop("coordinator", None)
    plan = load_plan(_plan(tmp_path, data))
    body = round_body(plan, Period.parse("2026-Q3"), plan.institutions[1], catalog("en"))
    assert "coordinator@localhost" in body
    assert not any(e in body for i in plan.institutions for e in i.emails)


def test_an_unknown_coordinator_is_a_located_error(
    demo_data: dict[str, Any], tmp_path: Path
) -> None:
    data = copy.deepcopy(demo_data)
    data["reporting"]["coordinator"] = "nobody"
    report = validate_plan(_plan(tmp_path, data))
    [p] = report.errors
    assert p.code == "unknown-institution" and p.location.path == "$.reporting.coordinator"
    assert "'nobody'" in p.message


def test_the_coordinator_survives_a_plan_update_round_trip(
    demo_data: dict[str, Any], tmp_path: Path
) -> None:
    from mne_workbook.planning import write_plan

    plan = load_plan(_plan(tmp_path, demo_data))
    assert plan.reporting.coordinator == "onatc"
    again = load_plan(write_plan(plan, tmp_path / "again.yaml"))
    assert again.reporting.coordinator == "onatc"
