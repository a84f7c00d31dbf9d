"""A plan workbook survives LibreOffice Calc: dropdowns kept, content read back the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from lo import resave_xlsx
from xlsx_helpers import validations

from mne_workbook.plan import load_plan
from mne_workbook.plan_sheets import LEVELS
from mne_workbook.plan_workbook import import_plan, write_plan_workbook

pytestmark = pytest.mark.needs("soffice")

SAMPLES = Path(__file__).resolve().parent.parent / "sample_plans"


def dropdowns(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """(sheet, header) -> (list source, input message) of every list validation."""
    wb = openpyxl.load_workbook(path)
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for lv in LEVELS:
        ws = wb[lv.sheet]
        for dv, cells in validations(ws):
            if dv.type != "list":
                continue
            for col in {c for _, c in cells}:
                source = str(dv.formula1).replace("$", "").replace("'", "").replace('"', "")
                out[(lv.sheet, str(ws.cell(1, col).value))] = (source, str(dv.prompt))
    return out


def test_libreoffice_resave_of_the_template_keeps_its_dropdowns(tmp_path: Path) -> None:
    book = write_plan_workbook(None, tmp_path / "template.xlsx")
    before = dropdowns(book)
    assert ("Activities", "carriers.1") in before and ("Indicators", "frequency") in before
    after = dropdowns(resave_xlsx(book, tmp_path / "lo"))
    assert after.keys() == before.keys()
    for key, (source, prompt) in before.items():
        got_source, got_prompt = after[key]
        assert got_prompt == prompt, key
        # LibreOffice writes a list of entries or a range in its own spelling
        assert got_source.replace(" ", "") == source.replace(" ", ""), key


def test_a_plan_exported_and_resaved_in_libreoffice_imports_unchanged(tmp_path: Path) -> None:
    original = load_plan(SAMPLES / "demo.yaml")
    book = write_plan_workbook(original, tmp_path / "plan.xlsx")
    resaved = resave_xlsx(book, tmp_path / "lo")
    report, back = import_plan(resaved)
    problems: list[Any] = [str(p) for p in report.errors]
    assert report.valid, problems
    assert back == original and back is not None
    assert back.fingerprint == original.fingerprint


def test_a_new_user_builds_a_plan_from_the_template_and_generates_a_round(
    tmp_path: Path,
) -> None:
    """Fill the template as a user types (text, numbers, TRUE), save in LibreOffice, import,
    generate: the README's walk-through."""
    from click.testing import CliRunner

    from mne_workbook.cli import main

    run = CliRunner().invoke
    book = tmp_path / "plan.xlsx"
    assert run(main, ["plan", "template", "--out", str(book)]).exit_code == 0
    wb = openpyxl.load_workbook(book)
    rows: dict[str, dict[str, Any]] = {
        "Plan": {
            "id": "small",
            "title": "Small plan",
            "version": "1",
            "strategy_period.start": 2026,
            "strategy_period.end": 2027,
            "reporting.timezone": "Europe/Belgrade",
        },
        "Institutions": {"id": "kp", "name": "Kosovo Police", "short_name": "KP"},
        "Strategic objectives": {"code": "SO1", "title": "Prevention"},
        "Specific objectives": {"strategic_objective": "SO1", "code": "1.1", "title": "Awareness"},
        "Activities": {
            "specific_objective": "1.1",
            "code": "A1.1.1",
            "title": "Sessions in schools",
            "carriers.1": "kp",
            "timeline.start": "2026-01",
            "timeline.end": "2027-06",
            "inputs": "Two trainers",
        },
        "Expected results": {
            "activity": "A1.1.1",
            "key": "R1",
            "text": "Pupils aware",
            "level": "outcome",
        },
        "Indicators": {
            "expected_result": "R1",
            "id": "S1",
            "text": "# of sessions held",
            "measure": "number",
            "cumulative": True,
            "baseline.value": 0,
            "baseline.year": 2025,
            "target.value": 40,
            "target.year": 2027,
            "frequency": "quarterly",
            "responsible_person": "Senior Official",
        },
    }
    for sheet, values in rows.items():
        ws = wb[sheet]
        heads = {c.value: c.column for c in ws[1]}
        for header, value in values.items():
            ws.cell(2, heads[header]).value = value
    wb.save(book)
    saved = resave_xlsx(book, tmp_path / "lo")
    res = run(main, ["plan", "import", str(saved), "--out", str(tmp_path / "small.yaml")])
    assert res.exit_code == 0, res.output
    assert "valid, 0 error(s), 0 warning(s)" in res.output
    plan = load_plan(tmp_path / "small.yaml")
    (ind,) = plan.indicators()
    assert ind.cumulative is True and ind.target is not None and ind.target.value == 40
    act = plan.strategic_objectives[0].activities[0]
    assert str(act.timeline_end) == "2027-06-30"  # YYYY-MM as an end: the month's last day
    res = run(
        main, ["generate", str(saved), "--period", "2026-Q2", "--out", str(tmp_path / "round")]
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "round" / "KP_2026-Q2.xlsx").exists()
