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


def test_kosovo_plan_states_no_timeline_the_framework_does_not(kosovo_path: Path) -> None:
    # The matrix has no timeline column; section V.1 says only that A1.1.2 and A1.1.3 are
    # "set at a timeline of 2 years", not which years. So no activity carries a timeline.
    p = load_plan(kosovo_path)
    timed = [
        r.activity.code
        for r in p.iter_activities()
        if r.activity.timeline_start or r.activity.timeline_end
    ]
    assert timed == []
    for code in ("A1.1.2", "A1.1.3"):
        act = next(r.activity for r in p.iter_activities() if r.activity.code == code)
        assert "set at a timeline of 2 years" in (act.note or "")


def test_kosovo_plan_explains_every_bracketed_completion(kosovo_path: Path) -> None:
    # Whatever the transcription completed or could not read is in brackets; each such
    # activity (or its result, or its specific objective) says why in a note.
    p = load_plan(kosovo_path)
    unexplained = []
    for r in p.iter_activities():
        a = r.activity
        texts = [a.title] + [x.text for x in a.expected_results]
        texts += [i.text for i in a.indicators]
        notes = [a.note, r.specific.note] + [x.note for x in a.expected_results]
        if any("[" in t for t in texts) and not any(notes):
            unexplained.append(a.code)
    assert unexplained == []
    # the completions the line-by-line check found are marked, not silently made
    acts = {r.activity.code: r.activity for r in p.iter_activities()}
    assert "human [trafficking in] Kosovo and [...]" in acts["A1.2.3"].expected_results[0].text
    assert "Kosovo [Diplomatic] Academy" in acts["A1.2.4"].expected_results[0].text
    assert "proactive [investigations]" in acts["A4.3.2"].expected_results[0].text
    assert "functioning [of] the help line" in acts["A1.1.9"].expected_results[0].text
    assert acts["A4.3.3"].title.startswith("Law enforce[ment] training")
    assert "local leve[l]" in acts["A4.4.4"].title
    assert "se[...]" in acts["A1.2.3"].title
    for code in ("A4.2.1", "A4.2.2", "A4.2.3"):
        assert acts[code].expected_results[0].text == "[Expected result not given in the source]"


def test_kosovo_plan_marks_its_illustrative_carriers(kosovo_path: Path) -> None:
    p = load_plan(kosovo_path)
    # institutions the framework never names are flagged, with a note the cover shows
    flagged = {i.short_name for i in p.institutions if i.illustrative}
    assert flagged == {"MEST", "MOJ", "MOH", "MFA"}
    assert all(i.note for i in p.institutions if i.illustrative)
    assert not any("Judicial Council" in i.name for i in p.institutions)
    # where the matrix names the institutions, they are the carriers (KPI, KCS included)
    acts = {r.activity.code: r.activity for r in p.iter_activities()}
    for code in ("A3.2.3", "A3.5.2"):
        assert set(acts[code].carriers) == {"kp", "kpi", "prosecution", "courts", "kcs"}
    assert "assigned for illustration" in (p.description or "")
    assert "inferred from each activity" not in (p.description or "")


def test_kosovo_plan_carries_the_frameworks_critique(kosovo_path: Path) -> None:
    p = load_plan(kosovo_path)
    text = " ".join(p.critique)
    for phrase in (
        "coordination of actions",  # mission vs objectives
        "outcomes and impact",
        'No "how"',
        "Resources are vaguely defined".lower(),
        "logical framework",
        "quarterly basis",
        "end of each year",
    ):
        assert phrase.lower() in text.lower(), phrase
    # every validate code the critique names exists in the catalog
    import re

    from mne_workbook.errors import CATALOG

    named = set(re.findall(r"validate: ([a-z-]+(?:, [a-z-]+)*)", text))
    codes = {c for group in named for c in group.split(", ")}
    assert codes and codes <= set(CATALOG)


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
    # "resources are also vaguely defined": the matrix states no inputs for any activity
    assert counts["activity-no-inputs"] == len(list(load_plan(kosovo_path).iter_activities()))
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
