"""`mne-workbook validate`: exit codes, JSON report, strict mode, usage errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from helpers import activity, indicator, plan, write

from mne_workbook.cli import main


def test_valid_plan_exits_0_and_prints_a_summary(demo_path: Path) -> None:
    r = CliRunner().invoke(main, ["validate", str(demo_path)])
    assert r.exit_code == 0
    assert "valid, 0 error(s), 0 warning(s)" in r.output


def test_warnings_exit_0_but_1_under_strict(tmp_path: Path) -> None:
    ind = indicator("A1.1.1-1")
    del ind["target"]
    path = write(tmp_path, plan(activities=[activity(indicators=[ind])]))
    assert CliRunner().invoke(main, ["validate", str(path)]).exit_code == 0
    r = CliRunner().invoke(main, ["validate", "--strict", str(path)])
    assert r.exit_code == 1
    assert "indicator-no-target" in r.output


def test_json_report_is_data(tmp_path: Path) -> None:
    d = plan()
    d["strategic_objectives"][0]["specific_objectives"][0]["activities"][0]["carriers"] = ["x"]
    path = write(tmp_path, d)
    r = CliRunner().invoke(main, ["validate", "--json", str(path)])
    assert r.exit_code == 1
    data = json.loads(r.output)
    assert data["valid"] is False
    [report] = data["plans"]  # one shape for one plan or several
    assert report["valid"] is False and report["errors"] == 1
    [p] = report["problems"]
    assert p["code"] == "unknown-institution" and p["severity"] == "error"
    assert p["line"] > 0 and p["path"].endswith(".carriers[0]") and p["hint"]


def test_summary_counts_warnings_per_code(kosovo_path: Path) -> None:
    r = CliRunner().invoke(main, ["validate", str(kosovo_path)])
    assert r.exit_code == 0
    assert "summary by code:" in r.output
    assert "indicator-no-target" in r.output and "--all lists every one" in r.output


def test_usage_error_exits_2() -> None:
    assert CliRunner().invoke(main, ["validate"]).exit_code == 2
    assert CliRunner().invoke(main, ["validate", "--nope", "x"]).exit_code == 2


def test_module_entry_point_runs() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "mne_workbook", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0 and "validate" in r.stdout
