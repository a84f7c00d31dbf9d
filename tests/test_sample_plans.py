"""The bundled sample plans: the framework's whole matrix, and a fully filled demo."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from mne_workbook.plan import load_plan, validate_plan
from mne_workbook.vocab import Frequency, Level, Measure

ROOT = Path(__file__).resolve().parent.parent


def test_schema_shipped_in_the_package_is_the_top_level_one() -> None:
    import jsonschema

    top = (ROOT / "schema" / "plan.schema.json").read_bytes()
    pkg = (ROOT / "mne_workbook" / "schema" / "plan.schema.json").read_bytes()
    assert top == pkg
    jsonschema.Draft202012Validator.check_schema(json.loads(top))


def test_kosovo_plan_holds_the_whole_matrix(kosovo_path: Path) -> None:
    p = load_plan(kosovo_path)
    sos = p.strategic_objectives
    assert [s.code for s in sos] == ["SO1", "SO2", "SO3", "SO4"]
    assert [[sp.code for sp in s.specific_objectives] for s in sos] == [
        ["1.1", "1.2", "1.3", "1.4", "1.5"],
        ["2.1", "2.2", "2.3", "2.4", "2.5"],
        ["3.1", "3.2", "3.3", "3.4", "3.5"],
        ["4.1", "4.2", "4.3", "4.4", "4.5", "4.6"],
    ]
    per_so = [len(s.activities) for s in sos]
    assert per_so == [20, 28, 12, 26]
    # SO 3.3 is kept, empty, with the framework's note
    sp33 = sos[2].specific_objectives[2]
    assert sp33.activities == () and "missing in the current Action Plan" in (sp33.note or "")
    # A1.1.6 keeps the framework's baseline note
    a116 = next(r.activity for r in p.iter_activities() if r.activity.code == "A1.1.6")
    notes = {i.baseline.note for i in a116.indicators if i.baseline}
    assert any("Baseline data is needed" in (n or "") for n in notes)
    # every activity has a carrier that the plan knows, and an illustrative-carriers caveat
    known = {i.id for i in p.institutions}
    assert all(
        r.activity.carriers and set(r.activity.carriers) <= known for r in p.iter_activities()
    )
    assert "ILLUSTRATIVE" in (p.description or "")


def test_kosovo_plan_leaves_onatc_fields_empty_as_the_framework_does(kosovo_path: Path) -> None:
    p = load_plan(kosovo_path)
    for ind in p.indicators():
        assert ind.frequency is None and ind.responsible_person is None
        assert ind.target is None
        assert ind.baseline is None or ind.baseline.value is None


def test_kosovo_plan_is_valid_and_its_gaps_are_the_frameworks(kosovo_path: Path) -> None:
    report = validate_plan(kosovo_path)
    assert report.valid
    n = len(load_plan(kosovo_path).indicators())
    counts = report.counts()
    for code in (
        "indicator-no-target",
        "indicator-no-baseline",
        "frequency-unassigned",
        "responsible-unassigned",
    ):
        assert counts[code] == n
    assert counts["objective-no-activities"] == 1  # SO 3.3
    flagged = {
        p.message.split()[0] for p in report.warnings if p.code == "one-time-activity-multi-year"
    }
    assert {"A1.1.2", "A1.1.3"} <= flagged  # the framework's own examples


def test_demo_plan_is_complete_and_exercises_every_measure_and_frequency(demo_path: Path) -> None:
    report = validate_plan(demo_path)
    assert report.valid and not report.warnings
    p = load_plan(demo_path)
    inds = p.indicators()
    assert {i.measure for i in inds} == set(Measure)
    assert {i.frequency for i in inds} == set(Frequency)
    assert {r.level for ref in p.iter_activities() for r in ref.activity.expected_results} >= {
        Level.OUTPUT,
        Level.OUTCOME,
    }
    assert len(p.strategic_objectives) == 2 and len(p.institutions) == 4
    assert p.start_year <= dt.date.today().year <= p.end_year
    assert any(len(r.activity.carriers) > 1 for r in p.iter_activities())
