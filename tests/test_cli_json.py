"""`--json` on every reporting command: one object, the keys docs/json.md documents."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from mne_workbook.cli import main

ROOT = Path(__file__).resolve().parent.parent


def documented_keys() -> dict[str, list[str]]:
    """Command -> the top-level keys named (in backticks, before any parenthesis) in
    its entry of docs/json.md."""
    text = (ROOT / "docs" / "json.md").read_text("utf-8")
    out = {}
    for cmd, body in re.findall(
        r"<!-- keys: ([a-z-]+) -->\n- \*\*[a-z-]+\*\*: (.*?)(?=\n<!--|\Z)", text, re.S
    ):
        depth, flat = 0, ""
        for ch in body:
            depth += ch == "("
            if depth == 0:
                flat += ch
            depth -= ch == ")"
        out[cmd] = re.findall(r"`([a-z_]+)`", flat)
    return out


def run_json(*args: str) -> dict[str, object]:
    r = CliRunner().invoke(main, list(args))
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert r.exit_code in (0, 1), r.output
    data = json.loads(r.stdout)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    t = tmp_path_factory.mktemp("json")
    plan = str(ROOT / "sample_plans" / "demo.yaml")
    inbox = t / "inbox"
    inbox.mkdir()
    db = str(t / "s.sqlite")
    out: dict[str, dict[str, object]] = {}
    out["validate"] = run_json("validate", plan, "--json")
    out["generate"] = run_json(
        "generate", plan, "--period", "2026-Q3", "--out", str(t / "r"), "--json"
    )
    master = next((t / "r").glob("MASTER_*.xlsx"))
    out["ingest"] = run_json("ingest", plan, str(inbox), "--db", db, "--json")
    out["status"] = run_json("status", plan, "--db", db, "--json")
    out["report"] = run_json(
        "report", plan, "--db", db, "--year", "2026", "--out", str(t / "y.xlsx"), "--json"
    )
    out["consolidate"] = run_json(
        "consolidate",
        plan,
        str(inbox),
        "--period",
        "2026-Q3",
        "--out",
        str(t / "c.xlsx"),
        "--json",
        "-",
    )
    out["remind"] = run_json(
        "remind",
        plan,
        str(inbox),
        "--period",
        "2026-Q3",
        "--as-of",
        "2026-10-01",
        "--mail",
        str(t / "m"),
        "--json",
    )
    out["update-plan"] = run_json(
        "update-plan", plan, str(master), "--out", str(t / "p2.yaml"), "--json"
    )
    return out


def test_every_reporting_command_is_documented() -> None:
    commands = {
        name
        for name, cmd in main.commands.items()
        if any(p.name in ("as_json", "json_out") for p in cmd.params)
    }
    assert commands == set(documented_keys())


@pytest.mark.parametrize("command", sorted(documented_keys()))
def test_json_keys_match_the_documentation(
    outputs: dict[str, dict[str, object]], command: str
) -> None:
    assert list(outputs[command]) == documented_keys()[command]


def test_validate_json_is_a_list_even_for_one_plan(outputs: dict[str, dict[str, object]]) -> None:
    plans = outputs["validate"]["plans"]
    assert isinstance(plans, list) and len(plans) == 1
