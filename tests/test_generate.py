"""Generated workbooks, checked cell by cell: locks, validations, identity, print setup."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import activity, indicator, plan, write
from xlsx_helpers import (
    FIELD_ROW,
    FIRST_DATA_ROW,
    col_of,
    fields,
    merged_top_left,
    open_wb,
    resolve_list,
    table,
    validations,
)

from mne_workbook.errors import GenerationError, UsageError
from mne_workbook.generate import generate
from mne_workbook.identity import Identity
from mne_workbook.locales import SUPPORTED, catalog
from mne_workbook.periods import Period
from mne_workbook.plan import Plan, load_plan

STAMP = dt.datetime(2026, 7, 1, 8, 30, tzinfo=dt.UTC)
Q2 = ("value@2026-04-30", "value@2026-05-31", "value@2026-06-30")
# The demo plan's indicators and the value cells they get in a 2026-Q2 return, derived by
# hand from their frequencies: monthly = 3 months, bi-monthly = Mar-Apr and May-Jun,
# quarterly and half-year = June, yearly = none (due in Q4).
DUE_Q2 = {
    "D1": Q2,
    "D2": (),
    "D3": (Q2[2],),
    "D4": (Q2[2],),
    "D5": (Q2[0], Q2[2]),
    "D6": (),
    "D7": (Q2[2],),
    "D8": Q2,
    "D9": (Q2[2],),
    "D10": (Q2[2],),
    "D11": Q2,
    "D12": (),
    "D13": Q2,
    "D14": (Q2[2],),
    "D15": (Q2[0], Q2[2]),
}
REPORTING = ("status", "rating_hy", "rating_y", "comments")
ONATC = ("baseline", "target", "frequency", "responsible_person")


@pytest.fixture(scope="module")
def demo() -> Plan:
    return load_plan(Path(__file__).resolve().parent.parent / "sample_plans" / "demo.yaml")


@pytest.fixture(scope="module")
def q2(demo: Plan, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("q2")
    return {
        w.institution or "master": w.path
        for w in generate(demo, Period.parse("2026-Q2"), out, generated_at=STAMP)
    }


@pytest.fixture(scope="module")
def q4(demo: Plan, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("q4")
    return {
        w.institution or "master": w.path
        for w in generate(demo, Period.parse("2026-Q4"), out, generated_at=STAMP)
    }


def expected_inputs(
    ws: Any, master: bool, due: dict[str, tuple[str, ...]], ratings: tuple[str, ...]
) -> set[tuple[int, int]]:
    """Input cells by the rules of issue 3, computed from the sheet's own keys."""
    cells: set[tuple[int, int]] = set()
    for r in range(FIRST_DATA_ROW, ws.max_row + 1):
        ind = ws.cell(r, col_of(ws, "indicator_key")).value
        for f in ("status", "comments", *ratings):
            cells.add((r, col_of(ws, f)))
        for f in due.get(ind or "", ()):
            cells.add((r, col_of(ws, f)))
        if master and ind:
            cells |= {(r, col_of(ws, f)) for f in ONATC}
    return cells


@pytest.mark.parametrize("who", ["onatc", "kp", "mlsw", "mest", "master"])
def test_every_input_cell_is_unlocked_and_every_other_cell_locked(
    q2: dict[str, Path], who: str
) -> None:
    wb = open_wb(q2[who])
    for ws in wb.worksheets:
        unlocked = {
            (c.row, c.column) for row in ws.iter_rows() for c in row if c.protection.locked is False
        }
        if not ws.title.startswith("SO"):
            assert unlocked == set(), ws.title
            continue
        assert unlocked == expected_inputs(ws, who == "master", DUE_Q2, ("rating_hy",)), ws.title


def test_ratings_open_only_when_due(
    q2: dict[str, Path], q4: dict[str, Path], demo: Plan, tmp_path: Path
) -> None:
    q1 = {w.institution: w.path for w in generate(demo, Period.parse("2026-Q1"), tmp_path)}
    for paths, hy, y in ((q1, False, False), (q2, True, False), (q4, True, True)):
        ws = open_wb(paths["kp"])["SO2"]
        for f, due in (("rating_hy", hy), ("rating_y", y)):
            assert ws.cell(FIRST_DATA_ROW, col_of(ws, f)).protection.locked is (not due)
        cover = [c.value for c in open_wb(paths["kp"])["Cover"]["B"]]
        assert f"HY: {'due' if hy else 'not due'}; Y: {'due' if y else 'not due'}" in cover


def test_a_monthly_indicator_gets_one_value_cell_per_month(q2: dict[str, Path]) -> None:
    ws = open_wb(q2["kp"])["SO2"]
    assert [f for f in fields(ws) if f.startswith("value@")] == list(Q2)
    headers = [ws.cell(FIELD_ROW + 1, col_of(ws, f)).value for f in Q2]
    assert headers == ["Value\n2026-04", "Value\n2026-05", "Value\n2026-06"]


def test_validations_cover_exactly_the_input_cells_and_resolve_to_coded_entries(
    q2: dict[str, Path], q4: dict[str, Path]
) -> None:
    cat = catalog("en")
    expected_lists = {
        "status": cat.entries("status"),
        "rating_hy": cat.entries("rating"),
        "rating_y": cat.entries("rating"),
        "frequency": cat.entries("frequency"),
    }
    for paths in (q2, q4):
        for who, path in paths.items():
            wb = open_wb(path)
            for ws in (w for w in wb.worksheets if w.title.startswith("SO")):
                unlocked = {
                    (c.row, c.column)
                    for row in ws.iter_rows()
                    for c in row
                    if c.protection.locked is False
                }
                covered: set[tuple[int, int]] = set()
                for dv, cells in validations(ws):
                    assert not cells & covered, "two validations on one cell"
                    covered |= cells
                    assert dv.errorStyle in (None, "stop")
                    assert dv.showErrorMessage and dv.showInputMessage and dv.promptTitle
                    field = fields(ws)[min(c for _, c in cells) - 1]
                    if dv.type == "list":
                        entries = resolve_list(wb, dv.formula1)
                        assert not dv.formula1.startswith('"'), "lists come from ranges"
                        if field in expected_lists:
                            assert entries == expected_lists[field]
                            assert [e.split(" - ")[0] for e in entries] == [
                                str(i) for i in range(1, len(entries) + 1)
                            ]
                        else:
                            assert entries == ["Yes", "No"]
                assert covered == unlocked, (who, ws.title)


def test_value_validations_follow_the_indicator_measure(q4: dict[str, Path]) -> None:
    wb = open_wb(q4["master"])
    kinds = {}
    for ws in (w for w in wb.worksheets if w.title.startswith("SO")):
        ind_col = col_of(ws, "indicator_key")
        for dv, cells in validations(ws):
            for r, c in cells:
                if fields(ws)[c - 1].startswith("value@"):
                    ind = ws.cell(r, ind_col).value
                    kinds[ind] = (dv.type, dv.operator, dv.formula1, dv.formula2)
    assert kinds["D1"] == ("decimal", "greaterThanOrEqual", "0", None)  # number
    assert kinds["D2"] == ("decimal", None, "0", "100")  # percentage: "between" is the default
    assert kinds["D4"][0] == "list"  # yes-no
    assert kinds["D6"] == ("textLength", "lessThanOrEqual", "2000", None)  # text


@pytest.mark.parametrize("who", ["kp", "mest", "master"])
def test_an_institution_workbook_holds_exactly_its_activities(
    q2: dict[str, Path], demo: Plan, who: str
) -> None:
    wb = open_wb(q2[who])
    want = {
        r.activity.code
        for r in demo.iter_activities()
        if who == "master" or who in r.activity.carriers
    }
    sos = {r.strategic.code for r in demo.iter_activities() if r.activity.code in want}
    got = {
        k for ws in wb.worksheets if ws.title.startswith("SO") for (k,) in table(ws, "activity_key")
    }
    assert got == want
    assert [ws.title for ws in wb.worksheets] == ["Cover", *sorted(sos), "_lists", "_identity"]
    want_inds = {
        i.id
        for r in demo.iter_activities()
        if r.activity.code in want
        for i in r.activity.indicators
    }
    assert {
        k
        for ws in wb.worksheets
        if ws.title.startswith("SO")
        for (k,) in table(ws, "indicator_key")
    } == want_inds


def test_every_sheet_and_the_structure_are_protected(q2: dict[str, Path]) -> None:
    for path in q2.values():
        wb = open_wb(path)
        assert wb.security.lockStructure
        for ws in wb.worksheets:
            p = ws.protection
            assert p.sheet, ws.title
            assert p.formatColumns is False and p.formatRows is False and p.autoFilter is False
        assert [ws.sheet_state for ws in wb.worksheets][-2:] == ["hidden", "hidden"]


def test_identity_is_stored_three_ways(q2: dict[str, Path], demo: Plan) -> None:
    wb = open_wb(q2["mlsw"])
    sheet = {r[0]: r[1] or "" for r in wb["_identity"].iter_rows(values_only=True)}
    ident = Identity.from_mapping(sheet)
    assert (ident.plan_id, ident.plan_fingerprint, ident.institution, ident.period, ident.kind) == (
        demo.id,
        demo.fingerprint,
        "mlsw",
        "2026-Q2",
        "institution",
    )
    assert ident.generated_at == "2026-07-01T08:30:00Z"
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert {k[4:]: v or "" for k, v in props.items() if k.startswith("mne_")} == sheet
    compact = wb.defined_names["mne_identity"].attr_text.strip('"')
    assert Identity.parse_compact(compact) == {
        "plan": demo.id,
        "fp": demo.fingerprint,
        "kind": "institution",
        "inst": "mlsw",
        "period": "2026-Q2",
    }


def test_print_setup(q2: dict[str, Path]) -> None:
    wb = open_wb(q2["mlsw"])
    for ws in (w for w in wb.worksheets if w.title.startswith("SO")):
        ps = ws.page_setup
        assert (ps.orientation, ps.paperSize) == ("landscape", 8)
        # a set scale (not fit-to-width) so that the planned page breaks hold, and the
        # body font large enough to print at 7 pt or more at that scale
        widths = [d.width for d in ws.column_dimensions.values() if not d.hidden]
        assert 10 <= int(ps.scale) <= 100 and widths
        body = ws[FIRST_DATA_ROW][2].font.sz
        assert body * int(ps.scale) / 100 >= 7.0
        assert ws.print_title_rows == "$1:$4"
        last_col = ws.cell(FIELD_ROW, len(fields(ws))).column_letter
        assert ws.print_area == f"'{ws.title}'!$C$1:${last_col}${ws.max_row}"
        assert ws.freeze_panes == "A5"
        assert ws.row_dimensions[FIELD_ROW].hidden
        hidden = {
            c for d in ws.column_dimensions.values() if d.hidden for c in range(d.min, d.max + 1)
        }
        assert hidden == {col_of(ws, "activity_key"), col_of(ws, "indicator_key")} == {1, 2}
        assert "Ministry of Labour and Social Welfare" in ws.oddHeader.left.text
        assert ws.oddHeader.right.text == "2026-Q2"
        assert ws.oddFooter.center.text == "Page &P of &N"
        assert ws.auto_filter.ref is not None
        assert all(c.alignment.wrap_text for c in ws[FIRST_DATA_ROW][2:])


def test_activity_inputs_are_entered_once_per_activity(q2: dict[str, Path]) -> None:
    ws = open_wb(q2["master"])["SO1"]
    merged = merged_top_left(ws)
    rows = [
        r
        for r in range(FIRST_DATA_ROW, ws.max_row + 1)
        if ws.cell(r, col_of(ws, "activity_key")).value == "A1.2.2"
    ]
    assert len(rows) == 2  # two indicators
    for f in ("activity", "status", "rating_hy", "rating_y", "comments"):
        c = col_of(ws, f)
        assert {merged[(r, c)] for r in rows} == {(rows[0], c)}, f
    assert (rows[0], col_of(ws, "indicator")) not in merged


def test_rating_cells_are_coloured_green_amber_red(q4: dict[str, Path]) -> None:
    ws = open_wb(q4["kp"])["SO2"]
    rules = {
        str(rng.sqref): [r.formula[0] for r in rng.rules if r.type == "expression"]
        for rng in ws.conditional_formatting
    }
    hy = ws.cell(FIELD_ROW, col_of(ws, "rating_hy")).column_letter
    [formulas] = [v for k, v in rules.items() if k.startswith(hy) and v]
    assert formulas == [f'LEFT(TRIM(${hy}5),1)="{n}"' for n in "123"]  # row-relative
    blanks = [
        rng
        for rng in ws.conditional_formatting
        if any(r.type == "containsBlanks" for r in rng.rules)
    ]
    assert blanks, "empty required inputs are highlighted"


def test_plan_text_that_looks_like_a_formula_is_written_as_text(tmp_path: Path) -> None:
    a = activity(
        title='=HYPERLINK("http://x","click")',
        indicators=[indicator("A1.1.1-1", text="+1+1 cases", unit="@risk")],
    )
    p = load_plan(write(tmp_path, plan(activities=[a])))
    [w, *_] = generate(p, Period.parse("2026-Q2"), tmp_path / "out", master=False)
    ws = open_wb(w.path)["SO1"]
    for f in ("activity", "indicator"):
        cell = ws.cell(FIRST_DATA_ROW, col_of(ws, f))
        assert cell.data_type == "s"
    assert ws.cell(FIRST_DATA_ROW, col_of(ws, "activity")).value.startswith("A1.1.1 =HYPERLINK")


@pytest.mark.parametrize("lang", SUPPORTED)
def test_labels_and_dropdowns_come_from_the_language_catalog(
    demo: Plan, tmp_path: Path, lang: str
) -> None:
    cat = catalog(lang)
    [w] = generate(
        demo, Period.parse("2026-Q2"), tmp_path, institutions=["kp"], lang=lang, master=False
    )
    wb = open_wb(w.path)
    ws = wb["SO2"]
    assert ws.cell(FIELD_ROW + 1, col_of(ws, "status")).value == cat.text("columns.status")
    assert wb.worksheets[0].title == cat.text("cover_sheet")
    assert resolve_list(wb, "mne_status") == cat.entries("status")
    assert resolve_list(wb, "mne_yes_no") == cat.yes_no()


def test_catalogs_have_the_same_keys() -> None:
    def shape(d: Any) -> Any:
        if isinstance(d, dict):
            return {k: shape(v) for k, v in d.items()}
        return len(d) if isinstance(d, list) else type(d).__name__

    en = shape(catalog("en").data)
    for lang in SUPPORTED:
        assert shape(catalog(lang).data) == en, lang


def test_limits_hit_by_a_validation_are_errors_not_warnings(tmp_path: Path) -> None:
    import xlsxwriter

    from mne_workbook.writer import _Guard, _validate

    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    ws = wb.add_worksheet()
    with pytest.raises(GenerationError) as exc, _Guard("x.xlsx") as guard:
        _validate(
            ws,
            guard,
            [(0, 0, 0, 0)],
            {"validate": "list", "source": ["a"], "input_message": "m" * 300},
            "test",
        )
    assert exc.value.report.problems[0].code == "generation-limit"
    wb.close()


def test_refuses_to_overwrite_and_leaves_no_temporary_files(demo: Plan, tmp_path: Path) -> None:
    first = generate(demo, Period.parse("2026-Q2"), tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(UsageError) as exc:
        generate(demo, Period.parse("2026-Q2"), tmp_path)
    assert exc.value.report.problems[0].code == "output-exists"
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]
    again = generate(demo, Period.parse("2026-Q2"), tmp_path, overwrite=True)
    assert [w.path for w in again] == [w.path for w in first]


def test_manifest_lists_every_file_with_its_hash(demo: Plan, tmp_path: Path) -> None:
    import hashlib

    written = generate(demo, Period.parse("2026-Q2"), tmp_path, generated_at=STAMP)
    m = json.loads((tmp_path / "manifest_2026-Q2.json").read_text("utf-8"))
    assert (m["plan_fingerprint"], m["period"], m["due_date"]) == (
        demo.fingerprint,
        "2026-Q2",
        "2026-07-15",
    )
    assert [f["path"] for f in m["files"]] == [w.path.name for w in written]
    for f in m["files"]:
        assert f["sha256"] == hashlib.sha256((tmp_path / f["path"]).read_bytes()).hexdigest()
    assert [w.path.name for w in written] == [
        "ONATC_2026-Q2.xlsx",
        "KP_2026-Q2.xlsx",
        "MLSW_2026-Q2.xlsx",
        "MEST_2026-Q2.xlsx",
        "MASTER_demo-ath-2025-2027_2026-Q2.xlsx",
    ]


def test_unknown_institution_is_a_usage_error(demo: Plan, tmp_path: Path) -> None:
    with pytest.raises(UsageError) as exc:
        generate(demo, Period.parse("2026-Q2"), tmp_path, institutions=["police"])
    assert exc.value.report.problems[0].code == "unknown-institution"


def test_same_inputs_give_the_same_cells(demo: Plan, tmp_path: Path) -> None:
    a = generate(demo, Period.parse("2026-Q2"), tmp_path / "a", generated_at=STAMP)
    b = generate(demo, Period.parse("2026-Q2"), tmp_path / "b", generated_at=STAMP)
    for wa, wb_ in zip(a, b, strict=True):
        ta = [table(ws) for ws in open_wb(wa.path).worksheets if ws.title.startswith("SO")]
        tb = [table(ws) for ws in open_wb(wb_.path).worksheets if ws.title.startswith("SO")]
        assert ta == tb


def test_baseline_and_target_years_show_in_the_number_format_not_the_value(
    q2: dict[str, Path],
) -> None:
    ws = open_wb(q2["kp"])["SO2"]
    r = next(
        r
        for r in range(FIRST_DATA_ROW, ws.max_row + 1)
        if ws.cell(r, col_of(ws, "indicator_key")).value == "D8"
    )
    base, target = ws.cell(r, col_of(ws, "baseline")), ws.cell(r, col_of(ws, "target"))
    assert (base.value, base.number_format) == (6, 'General" (2024)"')
    assert (target.value, target.number_format) == (12, 'General" (2027)"')


def test_cover_says_when_an_institution_is_illustrative(tmp_path: Path) -> None:
    d = plan(activities=[activity(carriers=["kp", "mlsw"])])
    d["institutions"][1] |= {"illustrative": True, "note": "Not named in the framework."}
    written = generate(load_plan(write(tmp_path, d)), Period.parse("2026-Q2"), tmp_path / "out")
    paths = {w.institution or "master": w.path for w in written}
    cat = catalog("en")

    def cover(who: str) -> dict[Any, Any]:
        ws = open_wb(paths[who])["Cover"]
        return {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}

    note = cover("mlsw")[cat.text("institution_note")]
    assert note == cat.text("institution_illustrative") + " Not named in the framework."
    assert cat.text("institution_note") not in cover("kp")
    assert cat.text("institution_note") not in cover("master")
