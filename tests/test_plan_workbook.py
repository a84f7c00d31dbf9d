"""The plan as a workbook: export -> import gives the same plan; mistakes come back located."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from helpers import activity, indicator, plan, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xlsx_helpers import validations

from mne_workbook.errors import GenerationError, Location, Report
from mne_workbook.plan import check_plan_data, load_plan, plan_from_dict, validate_plan
from mne_workbook.plan_sheets import LEVELS, columns
from mne_workbook.plan_workbook import import_plan, texts, write_plan_workbook

SAMPLES = Path(__file__).resolve().parent.parent / "sample_plans"


def export(tmp_path: Path, data: dict[str, Any], name: str = "plan.xlsx") -> Path:
    return write_plan_workbook(plan_from_dict(data), tmp_path / name)


def header_col(ws: Any, header: str) -> int:
    col: int = next(c.column for c in ws[1] if c.value == header)
    return col


def row_where(ws: Any, header: str, value: Any) -> int:
    col = header_col(ws, header)
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, col).value == value)


def put(ws: Any, row: int, header: str, value: Any) -> None:
    ws.cell(row, header_col(ws, header)).value = value


# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("name", ["demo.yaml", "kosovo-2015-2019.yaml"])
def test_sample_plans_survive_export_and_import_with_their_fingerprint(
    tmp_path: Path, name: str
) -> None:
    original = load_plan(SAMPLES / name)
    book = write_plan_workbook(original, tmp_path / "plan.xlsx")
    report, back = import_plan(book)
    assert report.valid, [str(p) for p in report.errors]
    assert back is not None and back == original
    assert back.fingerprint == original.fingerprint


TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), max_codepoint=0x2FFF) | st.just("\n"),
    min_size=1,
    max_size=12,
)
IDENT = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,6}", fullmatch=True)
NUMBER = st.integers(-(10**9), 10**9) | st.floats(
    -1e9, 1e9, allow_nan=False, allow_infinity=False
).filter(lambda x: float(f"{x:.15g}") == x)
VALUE = NUMBER | st.booleans() | TEXT


def _opt(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def plans(draw: st.DrawFn) -> dict[str, Any]:
    """Valid plan data with every field used now and then (lists longer than the slots)."""
    start = draw(st.integers(2000, 2030))
    end = start + draw(st.integers(0, 5))
    inst_ids = draw(st.lists(IDENT, min_size=1, max_size=4, unique_by=str.casefold))
    institutions = []
    for iid in inst_ids:
        inst: dict[str, Any] = {"id": iid, "name": draw(TEXT)}
        emails = draw(
            st.lists(st.from_regex(r"[a-z]{1,5}@[a-z]{1,5}\.org", fullmatch=True), max_size=3)
        )
        if emails:
            inst["email"] = emails[0] if len(emails) == 1 else emails
        if draw(st.booleans()):
            inst["note"] = draw(TEXT)
        if draw(st.booleans()):
            inst["illustrative"] = True
        institutions.append(inst)
    ind_ids = iter(draw(st.lists(IDENT, min_size=30, max_size=30, unique=True)))

    def year() -> int:
        return draw(st.integers(start, end))

    def maybe(d: dict[str, Any], key: str, strategy: st.SearchStrategy[Any]) -> None:
        value = draw(_opt(strategy))
        if value is not None:
            d[key] = value

    def make_indicator() -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": next(ind_ids),
            "text": draw(TEXT),
            "measure": draw(st.sampled_from(["number", "percentage", "yes-no", "text"])),
        }
        maybe(d, "unit", TEXT)
        if draw(st.booleans()):
            d["cumulative"] = True
        if draw(st.booleans()):
            b: dict[str, Any] = {}
            maybe(b, "value", VALUE)
            maybe(b, "year", st.integers(1990, 2100))
            maybe(b, "note", TEXT)
            if b:
                d["baseline"] = b
        if draw(st.booleans()):
            t: dict[str, Any] = {}
            maybe(t, "value", VALUE)
            maybe(t, "year", st.integers(1990, 2100))
            if t:
                d["target"] = t
        maybe(
            d,
            "frequency",
            st.sampled_from(["monthly", "bi-monthly", "quarterly", "half-year", "yearly"]),
        )
        mov = draw(st.lists(TEXT, max_size=5))
        if mov:
            d["means_of_verification"] = mov
        for key in ("responsible_person", "assumptions", "risks", "note"):
            maybe(d, key, TEXT)
        return d

    sos = []
    for s in range(1, draw(st.integers(1, 2)) + 1):
        sps = []
        for p in range(1, draw(st.integers(0, 2)) + 1):
            acts = []
            for a in range(1, draw(st.integers(0, 2)) + 1):
                act: dict[str, Any] = {"code": f"A{s}.{p}.{a}", "title": draw(TEXT)}
                carriers = draw(st.lists(st.sampled_from(inst_ids), unique=True, max_size=5))
                if carriers:
                    act["carriers"] = carriers
                if draw(st.booleans()):
                    y0, y1 = sorted((year(), year()))
                    act["timeline"] = {
                        "start": dt.date(y0, draw(st.integers(1, 12)), 1).isoformat(),
                        "end": dt.date(y1, 12, draw(st.integers(1, 31))).isoformat(),
                    }
                maybe(act, "inputs", TEXT)
                maybe(act, "note", TEXT)
                results = []
                for _ in range(draw(st.integers(0, 2))):
                    r: dict[str, Any] = {
                        "text": draw(TEXT),
                        "level": draw(st.sampled_from(["input", "output", "outcome", "impact"])),
                    }
                    maybe(r, "note", TEXT)
                    inds = [make_indicator() for _ in range(draw(st.integers(0, 2)))]
                    if inds:
                        r["indicators"] = inds
                    results.append(r)
                if results:
                    act["expected_results"] = results
                acts.append(act)
            sp: dict[str, Any] = {"code": f"{s}.{p}", "title": draw(TEXT)}
            maybe(sp, "note", TEXT)
            if acts:
                sp["activities"] = acts
            sps.append(sp)
        so: dict[str, Any] = {"code": f"SO{s}", "title": draw(TEXT), "specific_objectives": sps}
        maybe(so, "note", TEXT)
        sos.append(so)
    data: dict[str, Any] = {
        "id": draw(IDENT),
        "title": draw(TEXT),
        "version": draw(TEXT),
        "strategy_period": {"start": start, "end": end},
        "languages": draw(st.lists(st.sampled_from(["en", "sq", "sr"]), min_size=1, unique=True)),
        "reporting": {
            "cycle": draw(st.sampled_from(["monthly", "quarterly", "half-year", "yearly"])),
            "grace_days": draw(st.integers(0, 366)),
        },
        "institutions": institutions,
        "strategic_objectives": sos,
    }
    for key in ("vision", "mission", "description"):
        maybe(data, key, TEXT)
    critique = draw(st.lists(TEXT, max_size=5))  # more items than the default columns
    if critique:
        data["critique"] = critique
    maybe(data["reporting"], "send_to", TEXT)
    return data


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_export_then_import_gives_the_same_plan(data: dict[str, Any]) -> None:
    from mne_workbook.plan import PlanSource

    report = Report()
    check_plan_data(PlanSource("generated", data, {}), report)
    assert report.valid, [str(p) for p in report.errors]  # the generator makes valid plans
    original = plan_from_dict(data)
    with tempfile.TemporaryDirectory() as tmp:
        book = write_plan_workbook(original, Path(tmp) / "plan.xlsx")
        report, back = import_plan(book)
    assert report.valid, [str(p) for p in report.errors]
    assert back == original
    assert back is not None and back.fingerprint == original.fingerprint


def test_a_value_a_spreadsheet_cannot_hold_is_refused_not_rounded(tmp_path: Path) -> None:
    data = plan([activity(indicators=[indicator("I1", baseline={"value": 0.1 + 0.2})])])
    with pytest.raises(GenerationError) as exc:
        export(tmp_path, data)
    assert "0.30000000000000004" in str(exc.value) and "baseline.value" in str(exc.value)
    assert not (tmp_path / "plan.xlsx").exists()


# --------------------------------------------------------------------------- the template


def test_template_has_a_sheet_per_level_with_dropdowns_and_advice(tmp_path: Path) -> None:
    book = write_plan_workbook(None, tmp_path / "t.xlsx", lang="sq")
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["Instructions", *(lv.sheet for lv in LEVELS)]
    assert texts("sq")["instructions"][0] in [c.value for c in wb["Instructions"]["B"]]
    for lv in LEVELS:
        assert [c.value for c in wb[lv.sheet][1]] == [c.header for c in columns(lv)]
    ind = wb["Indicators"]
    lists = {
        ind.cell(1, min(c for _, c in cells)).value: (dv.formula1, dv.prompt)
        for dv, cells in validations(ind)
        if dv.type == "list"
    }
    assert lists["frequency"][0].strip('"').split(",") == [
        "monthly",
        "bi-monthly",
        "quarterly",
        "half-year",
        "yearly",
    ]
    assert "Expected results" in lists["expected_result"][0]
    assert "Tremujore" not in lists["frequency"][1]  # the codes, with their Albanian words
    assert "një numër" in lists["measure"][1]
    acts = wb["Activities"]
    carrier_lists = [
        dv.formula1
        for dv, cells in validations(acts)
        if acts.cell(1, min(c for _, c in cells)).value.startswith("carriers.")
    ]
    assert len(carrier_lists) == 4 and all("Institutions" in f for f in carrier_lists)
    advice = ind.cell(1, header_col(ind, "target.value")).comment
    assert advice is not None and texts("sq")["hints"]["indicator-no-target"] in advice.text


def test_every_language_has_the_same_texts() -> None:
    def keys(node: Any, prefix: str = "") -> set[str]:
        if not isinstance(node, dict):
            return set()
        out = set()
        for k, v in node.items():
            out |= {prefix + str(k)} | keys(v, f"{prefix}{k}.")
        return out

    en = keys(texts("en"))
    assert keys(texts("sq")) == en and keys(texts("sr")) == en
    assert all(
        isinstance(line, str) for lang in ("en", "sq", "sr") for line in texts(lang)["instructions"]
    )


def test_a_new_schema_field_flows_into_the_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    from mne_workbook import plan_sheets

    schema = plan_sheets._schema()
    patched = {**schema, "$defs": {**schema["$defs"]}}
    ind = dict(patched["$defs"]["indicator"])
    ind["properties"] = {**ind["properties"], "critique": {"type": "string"}}
    patched["$defs"]["indicator"] = ind
    monkeypatch.setattr(plan_sheets, "_schema", lambda: patched)
    assert "critique" in [c.header for c in columns(plan_sheets.INDICATORS)]


# --------------------------------------------------------------------------- mistakes


def _group_plan() -> dict[str, Any]:
    return plan(
        [
            activity("A1.1.1", [indicator("I1"), indicator("I2")]),
            activity("A1.1.2", [indicator("I3"), indicator("I4")]),
            activity("A1.1.3", [indicator("I5")]),
            activity("A1.1.4", [indicator("I6")]),
        ]
    )


def test_ten_working_group_mistakes_come_back_as_ten_located_messages(tmp_path: Path) -> None:
    book = export(tmp_path, _group_plan())
    wb = openpyxl.load_workbook(book)
    acts, res, ind = wb["Activities"], wb["Expected results"], wb["Indicators"]
    a2, a3, a4 = (row_where(acts, "code", c) for c in ("A1.1.2", "A1.1.3", "A1.1.4"))
    put(acts, a2, "code", "A1.2.2")  # 1 not under its parent 1.1 (its result follows it)
    put(res, row_where(res, "activity", "A1.1.2"), "activity", "A1.2.2")
    put(acts, a3, "carriers.2", "police")  # 2 not in Institutions
    put(acts, a3, "timeline.start", "03/2026")  # 3 a date in the wrong form
    put(acts, a4, "timeline.start", "2027-01")  # 4 ends before it starts
    put(acts, a4, "timeline.end", "2026-06")
    i2, i3, i4, i5 = (row_where(ind, "id", i) for i in ("I2", "I3", "I4", "I5"))
    put(ind, i2, "id", "I1")  # 5 duplicate code
    put(ind, i3, "frequency", "every quarter")  # 6 frequency typed by hand
    put(ind, i4, "note", "=1+1")  # 7 a formula (never evaluated)
    put(ind, i5, "unit", 12.5)  # 8 a number where text is expected
    half = ind.max_row + 1  # 9 a row left half-filled: no measure
    for header, value in (("expected_result", "A1.1.1-R1"), ("id", "I9"), ("text", "# of x")):
        put(ind, half, header, value)
    orphan = res.max_row + 1  # 10 a result under an activity that is not there
    for header, value in (("activity", "A9.9.9"), ("key", "X"), ("text", "R"), ("level", "output")):
        put(res, orphan, header, value)
    wb.save(book)

    report = validate_plan(book)
    got = {(p.code, p.location.sheet, p.location.row, p.location.field) for p in report.errors}
    assert got == {
        ("code-not-under-parent", "Activities", a2, "code"),
        ("unknown-institution", "Activities", a3, "carriers.2"),
        ("schema-violation", "Activities", a3, "timeline.start"),
        ("timeline-reversed", "Activities", a4, "timeline.start"),
        ("duplicate-code", "Indicators", i2, "id"),
        ("schema-violation", "Indicators", i3, "frequency"),
        ("formula-in-cell", "Indicators", i4, "note"),
        ("plan-cell-invalid", "Indicators", i5, "unit"),
        ("schema-violation", "Indicators", half, "measure"),
        ("plan-parent-unknown", "Expected results", orphan, "activity"),
    }
    assert len(report.errors) == 10
    shown = {str(p.location) for p in report.errors}
    assert f'{book}: [Indicators row {i3}, column "frequency"]' in shown
    dup = next(p for p in report.errors if p.code == "duplicate-code")
    assert f"first at Indicators row {row_where(ind, 'id', 'I1')}" in dup.message


def test_quality_warnings_point_at_the_row(tmp_path: Path) -> None:
    data = _group_plan()
    data["strategic_objectives"][0]["specific_objectives"][0]["activities"][1]["expected_results"][
        0
    ]["indicators"][0].pop("frequency")
    book = export(tmp_path, data)
    report = validate_plan(book)
    (w,) = [p for p in report.warnings if p.code == "frequency-unassigned"]
    ws = openpyxl.load_workbook(book)["Indicators"]
    assert (w.location.sheet, w.location.row) == ("Indicators", row_where(ws, "id", "I3"))


def test_a_misspelt_header_and_a_missing_required_column(tmp_path: Path) -> None:
    book = export(tmp_path, _group_plan())
    wb = openpyxl.load_workbook(book)
    ws = wb["Indicators"]
    ws.cell(1, header_col(ws, "measure")).value = "meassure"
    wb.save(book)
    report = validate_plan(book)
    codes = {(p.code, p.location.row) for p in report.errors}
    assert ("plan-column-unknown", 1) in codes and ("plan-column-missing", 1) in codes


def test_dates_typed_into_a_general_cell_are_read_as_that_day(tmp_path: Path) -> None:
    book = export(tmp_path, _group_plan())
    wb = openpyxl.load_workbook(book)
    acts = wb["Activities"]
    row = row_where(acts, "code", "A1.1.1")
    put(acts, row, "timeline.start", dt.datetime(2025, 3, 1))
    put(acts, row, "timeline.end", dt.datetime(2026, 3, 31, 12, 0))  # a time: not a plain day
    put(acts, row, "title", dt.datetime(2026, 1, 1))
    wb.save(book)
    report = validate_plan(book)
    got = {(p.code, p.location.field) for p in report.errors}
    assert got == {("plan-cell-invalid", "timeline.end"), ("plan-cell-invalid", "title")}


# --------------------------------------------------------------------------- untrusted input


def test_what_is_not_a_plan_workbook_is_refused_with_a_reason(
    tmp_path: Path, demo_path: Path
) -> None:
    renamed = tmp_path / "plan.xlsx"
    renamed.write_text("id;title\nx;y\n", "utf-8")
    assert [p.code for p in validate_plan(renamed).errors] == ["not-a-workbook"]
    other = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "SO1"
    wb.save(other)
    (p,) = validate_plan(other).errors
    assert p.code == "not-a-plan-workbook" and "SO1" in p.message
    assert p.location == Location(file=str(other))


def test_a_slow_file_is_refused_by_the_bounded_reader(tmp_path: Path) -> None:
    from mne_workbook.bounded import Bounds

    book = export(tmp_path, _group_plan())
    report, back = import_plan(book, bounds=Bounds(timeout=0.0001))
    assert back is None and [p.code for p in report.errors] == ["parse-timeout"]


def test_commands_that_take_a_plan_take_the_workbook(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from mne_workbook.cli import main

    yaml_path = write(tmp_path, _group_plan())
    book = tmp_path / "plan.xlsx"
    run = CliRunner().invoke
    assert run(main, ["plan", "export", str(yaml_path), "--out", str(book)]).exit_code == 0
    res = run(main, ["validate", str(book)])
    assert res.exit_code == 0 and "valid, 0 error(s)" in res.output
    res = run(main, ["generate", str(book), "--period", "2026-Q1", "--out", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "r" / "KP_2026-Q1.xlsx").exists()
    res = run(main, ["plan", "import", str(book), "--out", str(tmp_path / "back.yaml")])
    assert res.exit_code == 0, res.output
    assert load_plan(tmp_path / "back.yaml") == load_plan(yaml_path)
    again = run(main, ["plan", "import", str(book), "--out", str(tmp_path / "back.yaml")])
    assert again.exit_code == 2 and "already exists" in again.output


def test_extra_rows_on_the_plan_sheet_and_extra_sheets_are_named(tmp_path: Path) -> None:
    book = export(tmp_path, _group_plan())
    wb = openpyxl.load_workbook(book)
    put(wb["Plan"], 3, "title", "A second plan")
    wb.create_sheet("Budget")["A1"] = "EUR"
    wb.save(book)
    report = validate_plan(book)
    got = {(p.code, p.location.sheet, p.location.row) for p in report.problems}
    assert ("plan-rows-ignored", "Plan", 3) in got
    assert ("plan-sheet-unexpected", "Budget", None) in got
    assert [p.code for p in report.errors] == ["plan-rows-ignored"]
