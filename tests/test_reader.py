"""Reading one returned file: identity, structure, values, refusals; inputs never change."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from helpers import write
from returns import ON_TIME, PERIOD, col, copy, edit, fill_return, generated, row_of

from mne_workbook.periods import Period
from mne_workbook.plan import Plan, load_plan, plan_from_dict, plan_to_dict
from mne_workbook.reader import read_return

V = {m: f"value@2026-{m:02d}-{d}" for m, d in ((7, 31), (8, 31), (9, 30))}


@pytest.fixture(scope="module")
def demo() -> Plan:
    return load_plan(Path(__file__).resolve().parent.parent / "sample_plans" / "demo.yaml")


@pytest.fixture(scope="module")
def gen(demo: Plan, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return generated(demo, tmp_path_factory.mktemp("gen"))


def codes(sub: Any) -> list[str]:
    return [p.code for p in sub.problems]


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_values_are_read_by_measure_and_language(
    demo: Plan, gen: dict[str, Path], tmp_path: Path
) -> None:
    entries = {
        ("A2.1.1", "D8", V[7]): 4,
        ("A2.1.1", "D8", V[8]): "5,5",  # decimal comma
        ("A2.1.1", "D9", V[9]): 12,
        ("A2.1.1", "", "status"): "Ka filluar",  # Albanian label, no code
        ("A2.1.2", "D10", V[9]): 55,
        ("A2.1.2", "", "status"): 4,  # bare code
        ("A2.3.2", "D15", V[8]): "Da",  # Serbian yes
        ("A2.3.2", "", "status"): "2 - In continuum",
        ("A2.3.2", "", "comments"): '=HYPERLINK("x")',  # text typed, written as a formula
    }
    dst = tmp_path / "kp.xlsx"
    fill_return(gen["kp"], dst, entries, ON_TIME)
    sub = read_return(dst, demo, PERIOD)
    assert sub.accepted and sub.institution == "kp"
    values = {(v.indicator, v.point): v.value for v in sub.values}
    assert values == {
        ("D8", "2026-07"): 4,
        ("D8", "2026-08"): 5.5,
        ("D9", "2026-Q3"): 12,
        ("D10", "2026-Q3"): 55,
        ("D15", "2026-B4"): True,
    }
    assert {a: r.status for a, r in sub.activities.items()} == {
        "A2.1.1": 3,
        "A2.1.2": 4,
        "A2.3.2": 2,
    }
    [p] = sub.problems  # openpyxl stores a text beginning with '=' as a formula
    assert p.code == "formula-in-cell" and p.location.sheet == "SO2"
    assert sub.activities["A2.3.2"].comment is None
    assert sub.saved_at is not None and sub.saved_at.date() == ON_TIME.date()


def test_blank_is_not_zero(demo: Plan, gen: dict[str, Path], tmp_path: Path) -> None:
    dst = tmp_path / "kp.xlsx"
    fill_return(gen["kp"], dst, {("A2.1.1", "D8", V[7]): 0}, ON_TIME)
    sub = read_return(dst, demo, PERIOD)
    assert [(v.indicator, v.point, v.value) for v in sub.values] == [("D8", "2026-07", 0)]


@pytest.mark.parametrize(
    ("field", "raw", "code"),
    [
        ("status", "started", "invalid-code"),
        ("status", 7, "invalid-code"),
        ("D8", "n/a", "invalid-number"),
        ("D8", -3, "out-of-range"),
        ("D10", 140, "out-of-range"),
        ("D15", "maybe", "invalid-yes-no"),
        ("comments", "x" * 2001, "text-too-long"),
    ],
)
def test_invalid_values_are_errors_at_their_cell(
    demo: Plan, gen: dict[str, Path], tmp_path: Path, field: str, raw: object, code: str
) -> None:
    where = {
        "status": ("A2.1.1", "", "status"),
        "comments": ("A2.1.1", "", "comments"),
        "D8": ("A2.1.1", "D8", V[7]),
        "D10": ("A2.1.2", "D10", V[9]),
        "D15": ("A2.3.2", "D15", V[8]),
    }[field]
    dst = tmp_path / "kp.xlsx"
    fill_return(gen["kp"], dst, {where: raw}, ON_TIME)
    sub = read_return(dst, demo, PERIOD)
    assert sub.accepted
    [p] = sub.problems
    wb = openpyxl.load_workbook(dst)
    ws = wb["SO2"]
    r = row_of(ws, where[0], where[1])
    assert (p.code, p.location.sheet, p.location.row) == (code, "SO2", r)
    assert p.location.column == ws.cell(r, col(ws, where[2])).column_letter
    assert not sub.values and all(a.status is None for a in sub.activities.values())


def test_a_value_in_a_cell_that_is_not_due_is_refused_at_its_cell(
    demo: Plan, gen: dict[str, Path], tmp_path: Path
) -> None:
    # D9 is quarterly: only the September cell is open; protection removed, July filled
    def change(wb: Any) -> None:
        ws = wb["SO2"]
        ws.cell(row_of(ws, "A2.1.1", "D9"), col(ws, V[7])).value = 5

    sub = read_return(edit(gen["kp"], tmp_path / "kp.xlsx", change), demo, PERIOD)
    assert codes(sub) == ["value-in-locked-cell"] and not sub.values


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda wb: wb["SO2"].insert_rows(6), "rows-changed"),
        (lambda wb: wb["SO2"].delete_rows(6), "rows-changed"),
        (lambda wb: wb["SO2"].insert_cols(5), "columns-changed"),
        (lambda wb: setattr(wb["SO2"], "title", "Objective 2"), "sheet-missing"),
        (lambda wb: wb.remove(wb["SO2"]), "sheet-missing"),
    ],
)
def test_structure_changes_refuse_the_file(
    demo: Plan, gen: dict[str, Path], tmp_path: Path, change: Any, code: str
) -> None:
    sub = read_return(edit(gen["kp"], tmp_path / "kp.xlsx", change), demo, PERIOD)
    assert sub.refused and code in codes(sub)


def test_swapped_rows_are_named(demo: Plan, gen: dict[str, Path], tmp_path: Path) -> None:
    def swap(wb: Any) -> None:
        ws = wb["SO2"]
        a, b = row_of(ws, "A2.3.1", "D13"), row_of(ws, "A2.3.2", "D15")
        for c in (1, 2):
            ws.cell(a, c).value, ws.cell(b, c).value = ws.cell(b, c).value, ws.cell(a, c).value

    sub = read_return(edit(gen["onatc"], tmp_path / "o.xlsx", swap), demo, PERIOD)
    assert sub.refused
    moved = [p for p in sub.problems if p.code == "rows-changed"]
    assert moved and all(p.location.sheet == "SO2" and p.location.row for p in moved)
    assert any("moved" in p.message for p in moved)


def test_an_edited_plan_cell_is_named_with_what_was_expected(
    demo: Plan, gen: dict[str, Path], tmp_path: Path
) -> None:
    def change(wb: Any) -> None:
        ws = wb["SO2"]
        ws.cell(row_of(ws, "A2.1.1", "D8"), col(ws, "target")).value = 99

    sub = read_return(edit(gen["kp"], tmp_path / "kp.xlsx", change), demo, PERIOD)
    assert sub.refused
    [p] = sub.problems
    assert p.code == "plan-cell-changed" and "expected '12', found '99'" in p.message


def test_a_copy_pasted_into_a_new_workbook_has_no_identity(
    demo: Plan, gen: dict[str, Path], tmp_path: Path
) -> None:
    src = openpyxl.load_workbook(gen["kp"])["SO2"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "SO2"
    for row in src.iter_rows(values_only=True):
        ws.append(row)
    wb.save(tmp_path / "pasted.xlsx")
    sub = read_return(tmp_path / "pasted.xlsx", demo, PERIOD)
    assert sub.refused and codes(sub) == ["identity-missing"]


def test_identity_checks(demo: Plan, gen: dict[str, Path], tmp_path: Path) -> None:
    other_period = read_return(gen["kp"], demo, Period.parse("2026-Q2"))
    assert codes(other_period) == ["wrong-period"]
    assert "2026-Q3, not 2026-Q2" in other_period.problems[0].message
    master = read_return(gen["master"], demo, PERIOD)
    assert codes(master) == ["master-not-a-return"]
    d = plan_to_dict(demo)
    d["id"] = "another-plan"
    assert codes(read_return(gen["kp"], plan_from_dict(d), PERIOD)) == ["wrong-plan"]
    d = plan_to_dict(demo)
    d["institutions"] = [i for i in d["institutions"] if i["id"] != "kp"]
    for so in d["strategic_objectives"]:
        for sp in so["specific_objectives"]:
            for a in sp["activities"]:
                a["carriers"] = [c for c in a["carriers"] if c != "kp"] or ["onatc"]
    assert codes(read_return(gen["kp"], plan_from_dict(d), PERIOD)) == ["unknown-institution-file"]


def test_forged_identity_sheet_is_caught_by_the_other_records(
    demo: Plan, gen: dict[str, Path], tmp_path: Path
) -> None:
    def forge(wb: Any) -> None:
        ws = wb["_identity"]
        for r in ws.iter_rows():
            if r[0].value == "institution":
                r[1].value = "mlsw"

    sub = read_return(edit(gen["kp"], tmp_path / "kp.xlsx", forge), demo, PERIOD)
    assert codes(sub) == ["identity-conflict"]


def test_older_plan_version(demo: Plan, gen: dict[str, Path], tmp_path: Path) -> None:
    d = plan_to_dict(demo)
    d["version"] = "1.1"
    ind = d["strategic_objectives"][1]["specific_objectives"][0]["activities"][0][
        "expected_results"
    ][0]["indicators"][0]
    ind["target"]["value"] = 15  # D8, a KP indicator: a change of text only
    newer = plan_from_dict(d)
    sub = read_return(gen["kp"], newer, PERIOD)
    assert sub.accepted
    [p] = sub.problems
    assert p.code == "older-plan-version" and "version 1.0" in p.message
    assert "target of A2.1.1/D8" in p.message
    # a new indicator for KP changes what the file must hold: refused
    d["strategic_objectives"][1]["specific_objectives"][0]["activities"][0]["expected_results"][0][
        "indicators"
    ].append(dict(ind, id="D99"))
    sub = read_return(gen["kp"], plan_from_dict(d), PERIOD)
    assert sub.refused and "rows-changed" in codes(sub)


def _csv(p: Path) -> None:
    p.write_text("activity,value\nA1,3\n", "utf-8")


def _pdf(p: Path) -> None:
    p.write_bytes(b"%PDF-1.4\n% fake\n")


def _xls(p: Path) -> None:
    p.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600)


def _encrypted(p: Path) -> None:
    p.write_bytes(
        bytes.fromhex("D0CF11E0A1B11AE1")
        + b"\0" * 100
        + "EncryptionInfo".encode("utf-16-le")
        + b"\0" * 100
    )


def _empty(p: Path) -> None:
    p.write_bytes(b"")


def _docx(p: Path) -> None:
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("word/document.xml", "<w/>")


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (_csv, "not-a-workbook"),
        (_pdf, "not-a-workbook"),
        (_xls, "legacy-xls"),
        (_encrypted, "encrypted-workbook"),
        (_empty, "file-empty"),
        (_docx, "not-a-workbook"),
    ],
)
def test_files_that_are_not_plain_xlsx_are_refused_unread(
    demo: Plan, tmp_path: Path, make: Any, code: str
) -> None:
    p = tmp_path / "return.xlsx"
    make(p)
    before = digest(p)
    sub = read_return(p, demo, PERIOD)
    assert sub.refused and codes(sub) == [code]
    assert digest(p) == before


def test_truncated_macro_and_oversized_files(
    demo: Plan, gen: dict[str, Path], tmp_path: Path
) -> None:
    from mne_workbook.safety import Limits

    data = gen["kp"].read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(data[: len(data) // 2])
    assert codes(read_return(cut, demo, PERIOD)) == ["corrupt-archive"]
    macro = tmp_path / "macro.xlsx"
    with zipfile.ZipFile(gen["kp"]) as src, zipfile.ZipFile(macro, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr("xl/vbaProject.bin", b"\0" * 64)
    assert codes(read_return(macro, demo, PERIOD)) == ["macro-enabled"]
    small = Limits(max_file_bytes=1000)
    assert codes(read_return(gen["kp"], demo, PERIOD, small)) == ["file-too-large"]
    tight = Limits(max_total_uncompressed=10_000)
    assert codes(read_return(gen["kp"], demo, PERIOD, tight)) == ["archive-too-large"]


def test_reading_never_changes_the_input(demo: Plan, gen: dict[str, Path], tmp_path: Path) -> None:
    p = copy(gen["kp"], tmp_path / "kp.xlsx")
    before, mtime = digest(p), p.stat().st_mtime_ns
    read_return(p, demo, PERIOD)
    assert (digest(p), p.stat().st_mtime_ns) == (before, mtime)


def test_plan_file_used_by_tests_helper_is_valid(tmp_path: Path) -> None:
    from helpers import plan

    assert load_plan(write(tmp_path, plan())).id == "t-plan"
