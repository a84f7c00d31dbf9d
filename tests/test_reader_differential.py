"""The new reading path (expat, :mod:`mne_workbook.xlsx_parse`) against the old one
(openpyxl, kept in ``tests/reference_reader.py``): the same Submission, field by field
(values, problems with their codes, messages and cells, activities, cells, identity,
saved time), on the returns the test suite builds, the hostile corpus and
property-generated cells.

Where they differ the new path is the true one, and each such case is asserted here:

1. an XML part declaring entities (XML bomb, XXE) is ``parse-failed`` in both; the old
   message was openpyxl's generic "Unable to read workbook: could not read strings from
   <path>", the new one says what it is (entities declared: an XML bomb or XXE);
2. a shared string holding ``_x005F_x0041_`` (Excel's escape of a typed ``_x0041_``)
   reads as ``_x0041_``; openpyxl removed every ``x005F_`` and the reader decoded again,
   giving ``A``;
3. an array formula reads as its text; openpyxl gave an object whose text (shown in
   the formula-in-cell message) was its memory address;
4. without a modified (and created) time in the core properties, the saved time is the
   created time (or unknown); openpyxl put in the time of reading.

Also outside this file's reach, by design: a part openpyxl modelled and validated but the
reader never uses (a malformed sheet view, a page setup...) no longer refuses the file;
a workbook received under a name not ending in .xlsx/.xlsm/.xltx/.xltm is read by its
content (the gate judges content) where openpyxl refused the name.
"""

from __future__ import annotations

import datetime as dt
import email
import random
import re
import zipfile
from pathlib import Path
from typing import Any
from unittest import mock
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_reader import open_reference
from returns import KEYS, ON_TIME, PERIOD, edit, generated, row_of

from mne_workbook import reader
from mne_workbook.fill import fill_return, random_entries
from mne_workbook.periods import Period
from mne_workbook.plan import Plan, load_plan
from mne_workbook.reader import Submission, read_return

ROOT = Path(__file__).resolve().parent.parent
NEW = reader._open


def read_with(opener: Any, path: Path, plan: Plan, period: Period | None, **kw: Any) -> Submission:
    with mock.patch.object(reader, "_open", opener):
        return read_return(path, plan, period, **kw)


def differences(old: Submission, new: Submission) -> list[str]:
    return [
        f"{name}:\n  old {getattr(old, name)!r}\n  new {getattr(new, name)!r}"
        for name in old.__dataclass_fields__
        if getattr(old, name) != getattr(new, name)
    ]


def assert_same(path: Path, plan: Plan, period: Period | None = PERIOD, **kw: Any) -> Submission:
    kw.setdefault("keys", KEYS)
    old = read_with(open_reference, path, plan, period, **kw)
    new = read_with(NEW, path, plan, period, **kw)
    diff = differences(old, new)
    assert not diff, f"{path.name}\n" + "\n".join(diff)
    return new


@pytest.fixture(scope="module")
def demo() -> Plan:
    return load_plan(ROOT / "sample_plans" / "demo.yaml")


@pytest.fixture(scope="module")
def gen(demo: Plan, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return generated(demo, tmp_path_factory.mktemp("gen"))


# --------------------------------------------------------------------------- the suite's returns


def test_generated_and_filled_returns_read_the_same(
    demo: Plan, gen: dict[str, Path], tmp_path: Path
) -> None:
    rng = random.Random(17)
    for inst in ("kp", "mlsw", "mest", "onatc"):
        assert_same(gen[inst], demo, require_signature=True)
        for k in range(3):
            entries = random_entries(demo, PERIOD, inst, rng, blank_share=0.2 * k)
            dst = tmp_path / f"{inst}-{k}.xlsx"
            fill_return(gen[inst], dst, entries, ON_TIME)
            sub = assert_same(dst, demo, require_signature=True)
            assert sub.accepted
    assert_same(gen["master"], demo, master=True)
    assert_same(gen["kp"], demo, Period.parse("2026-Q2"))  # wrong period: refused alike


def test_edited_returns_read_the_same(demo: Plan, gen: dict[str, Path], tmp_path: Path) -> None:
    def unmerge_and_split(wb: Any) -> None:
        ws = wb["SO2"]
        for rng in list(ws.merged_cells.ranges):
            ws.unmerge_cells(str(rng))
        r = row_of(ws, "A2.1.1")
        ws.cell(r, 10).value = "3 - Has started"
        ws.cell(r + 1, 10).value = 2
        ws.cell(r + 1, 18).value = "second part\r\nof a comment"

    def notes_and_dates(wb: Any) -> None:
        ws = wb["SO2"]
        ws.cell(ws.max_row + 2, 4).value = "Prepared by: A. Berisha"
        ws.cell(ws.max_row + 1, 5).value = dt.datetime(2026, 7, 31, 0, 0)
        ws.cell(ws.max_row + 1, 6).value = 12.0
        ws.cell(ws.max_row + 1, 7).value = "=SUM(A1:A2)"
        ws.cell(5, 25).value = "to the right of the table"

    def plan_cell(wb: Any) -> None:
        ws = wb["SO2"]
        ws.cell(row_of(ws, "A2.1.1", "D8"), 7).value = "=1+1"

    def sheets(wb: Any) -> None:
        wb.create_sheet("Notes")["A1"] = "extra"
        wb.remove(wb["_lists"])

    for k, change in enumerate((unmerge_and_split, notes_and_dates, plan_cell, sheets)):
        dst = edit(gen["kp"], tmp_path / f"edit-{k}.xlsx", change)
        assert_same(dst, demo, require_signature=True)
        assert_same(dst, demo)


def test_the_demo_returns_read_the_same(demo: Plan, tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    import make_demo_returns

    make_demo_returns.main(tmp_path / "gen", tmp_path / "returns", tmp_path / "demo.key")
    from mne_workbook.signing import load_keys

    keys = load_keys(tmp_path / "demo.key")
    files = list((tmp_path / "returns").glob("*.xlsx"))
    for eml in (tmp_path / "returns").glob("*.eml"):
        msg = email.message_from_bytes(eml.read_bytes())
        for part in msg.walk():
            name, payload = part.get_filename(), part.get_payload(decode=True)
            if name and isinstance(payload, bytes):
                out = tmp_path / name
                out.write_bytes(payload)
                files.append(out)
    assert len(files) >= 4
    for f in files:
        assert_same(f, demo, keys=keys, require_signature=True)


def test_kosovo_returns_read_the_same(tmp_path: Path) -> None:
    plan = load_plan(ROOT / "sample_plans" / "kosovo-2015-2019.yaml")
    period = Period.parse("2019-Q4")
    gen = generated(plan, tmp_path / "gen", period)
    rng = random.Random(4)
    for inst in sorted(gen)[:4]:
        if inst == "master":
            continue
        dst = tmp_path / f"{inst}.xlsx"
        fill_return(gen[inst], dst, random_entries(plan, period, inst, rng), ON_TIME)
        assert_same(dst, plan, period, require_signature=True)


# --------------------------------------------------------------------------- the hostile corpus


HEAVY = {  # stall or fill memory by design: read in bounded workers by test_hostile only
    "huge-token.xlsx",
    "million-rows.xlsx",
    "huge-string.xlsx",
    "xml-comment-10mb.xlsx",
    "comment-10mb.xlsx",
    "zip-bomb.xlsx",
}
ENTITIES = {"xml-bomb.xlsx", "xxe.xlsx"}


def test_the_hostile_corpus_reads_the_same(demo: Plan, hostile_run: Any) -> None:
    """The session's corpus (conftest.hostile_run), each file read again by both paths."""
    cases = hostile_run.cases
    for name in sorted(cases):
        if name in HEAVY:
            continue
        path = hostile_run.folder / name
        if name in ENTITIES:  # difference 1
            kw: dict[str, Any] = {"keys": KEYS, "require_signature": True}
            old = read_with(open_reference, path, demo, PERIOD, **kw)
            new = read_with(NEW, path, demo, PERIOD, **kw)
            assert [p.code for p in old.problems] == [p.code for p in new.problems]
            assert new.refused and old.refused
            assert "Unable to read workbook" in old.problems[0].message
            assert new.problems[0].message == (
                "the workbook's XML declares entities or a DTD (an XML bomb or XXE):"
                " EntitiesForbidden"
            )
            continue
        sub = assert_same(path, demo, require_signature=True)
        assert sub.refused is cases[name].refused, name


# --------------------------------------------------------------------------- generated cells


def _rezip(src: Path, dst: Path, parts: dict[str, bytes]) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, parts.get(info.filename, zin.read(info.filename)))


FORMATS = [  # number formats the generated cells may carry (built-in ids or custom codes)
    0,
    1,
    2,
    9,
    10,
    11,
    12,
    14,
    18,
    21,
    22,
    46,
    49,
    "yyyy-mm-dd",
    "0.0%",
    "#,##0,",
    '"n/a"',
    "[h]:mm",
    '0;-0;"-"',
    "mm:ss.0",
    "0%",  # a custom id whose code is a built-in one
    'General" (2024)"',
    "[Red]0.00",
    "dd/mm/yyyy hh:mm",
]


@pytest.fixture(scope="module")
def canvas(demo: Plan, gen: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """KP's workbook with extra cell styles (one per format above) and the cells the
    generated XML goes into: a number value, a percentage value, a yes/no value, a
    status, a comment, and a cell below the table (a note)."""
    d = tmp_path_factory.mktemp("canvas")
    src = gen["kp"]
    with zipfile.ZipFile(src) as z:
        styles = z.read("xl/styles.xml").decode()
        workbook = z.read("xl/workbook.xml").decode()
    n_xf = int(re.search(r'<cellXfs count="(\d+)"', styles).group(1))  # type: ignore[union-attr]
    n_fmt = int(re.search(r'<numFmts count="(\d+)"', styles).group(1))  # type: ignore[union-attr]
    numfmts, xfs = "", ""
    for k, f in enumerate(FORMATS):
        fid = f if isinstance(f, int) else 200 + k
        if isinstance(f, str):
            numfmts += f'<numFmt numFmtId="{fid}" formatCode="{escape(f, {chr(34): "&quot;"})}"/>'
        xfs += f'<xf numFmtId="{fid}" fontId="0" fillId="0" borderId="0" applyNumberFormat="1"/>'
    n_custom = sum(isinstance(f, str) for f in FORMATS)
    styles = styles.replace(
        f'<numFmts count="{n_fmt}">', f'<numFmts count="{n_fmt + n_custom}">{numfmts}', 1
    )
    styles = re.sub(
        r'<cellXfs count="\d+">(.*?)</cellXfs>',
        lambda m: f'<cellXfs count="{n_xf + len(FORMATS)}">{m.group(1)}{xfs}</cellXfs>',
        styles,
        count=1,
        flags=re.S,
    )
    base = d / "base.xlsx"
    _rezip(src, base, {"xl/styles.xml": styles.encode()})
    sub = read_with(NEW, base, demo, PERIOD, keys=KEYS)
    assert sub.accepted, sub.problems
    cells = {
        "number": sub.cells[("A2.1.1", "D8", "value@2026-07-31")],
        "percentage": sub.cells[("A2.1.2", "D10", "value@2026-09-30")],
        "yes-no": sub.cells[("A2.3.2", "D15", "value@2026-08-31")],
        "status": sub.cells[("A2.1.1", "", "status")],
        "comment": sub.cells[("A2.1.1", "", "comments")],
    }
    return {
        "dir": d,
        "base": base,
        "styles": n_xf,
        "cells": cells,
        "workbook": workbook,
        "plan": demo,
    }


def _text() -> st.SearchStrategy[str]:
    pieces = st.one_of(
        st.text(
            st.characters(
                blacklist_categories=["Cs"],
                blacklist_characters="\x00\ufffe\uffff",
                max_codepoint=0x2FF,
            ),
            max_size=8,
        ),
        st.sampled_from(
            [
                "_x000D_",
                "_x0041_",
                "_x005F_x0041_",
                "_x005f_",
                "\r",
                "\r\n",
                "=1+1",
                " ",
                "3 - Has started",
                "Po",
                "1.500",
                "12,5",
                "45 %",
                "\u2028",
                "\t",
            ]
        ),
    )
    return st.lists(pieces, max_size=4).map("".join)


def _xml_text(text: str) -> str:
    """Text as XML character data: markup escaped, CR and controls as references
    (XML 1.0 cannot hold most controls at all: those are left out)."""
    out = []
    for ch in text:
        if ch in "&<>":
            out.append(escape(ch))
        elif ch == "\r":
            out.append("&#13;")
        elif ord(ch) < 0x20 and ch not in "\t\n":
            continue
        else:
            out.append(ch)
    return "".join(out)


def _number() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(-5, 10**6).map(str),
        st.floats(-1e6, 1e6, allow_nan=False).map(repr),
        st.sampled_from(["0", "-0", "1E3", "1.5e-7", "45.0", "0.45", "60", "59.5", "1e400"]),
    )


def _string_item(text: str, runs: list[str], phonetic: bool) -> str:
    if runs:
        body = "".join(f"<r><rPr><b/></rPr><t>{_xml_text(r)}</t></r>" for r in runs)
        if text:
            body = f'<t xml:space="preserve">{_xml_text(text)}</t>' + body
    else:
        body = f'<t xml:space="preserve">{_xml_text(text)}</t>'
    if phonetic:
        body += "<rPh sb='0' eb='1'><t>ふ</t></rPh>"
    return body


@st.composite
def cells(draw: Any) -> dict[str, Any]:
    """One cell's XML (without its reference) and, when it is a shared string, the
    string item to add."""
    kind = draw(
        st.sampled_from(
            ["number", "shared", "inline", "str", "bool", "error", "formula", "date", "blank"]
        )
    )
    style = draw(st.none() | st.integers(0, len(FORMATS) - 1))
    item = None
    if kind == "number":
        inner, t = f"<v>{draw(_number())}</v>", None
    elif kind == "shared":
        item = _string_item(draw(_text()), draw(st.lists(_text(), max_size=3)), draw(st.booleans()))
        inner, t = "<v>{sst}</v>", "s"
    elif kind == "inline":
        inner = (
            f"<is>{_string_item(draw(_text()), draw(st.lists(_text(), max_size=2)), False)}</is>"
        )
        t = "inlineStr"
    elif kind == "str":
        inner, t = f"<v>{_xml_text(draw(_text()))}</v>", "str"
    elif kind == "bool":
        inner, t = f"<v>{draw(st.sampled_from(['0', '1']))}</v>", "b"
    elif kind == "error":
        inner, t = f"<v>{draw(st.sampled_from(['#DIV/0!', '#N/A', '#VALUE!', '#REF!']))}</v>", "e"
    elif kind == "formula":
        cached = draw(st.sampled_from(["<v>2</v>", "<v>x</v>", ""]))
        text = draw(st.sampled_from(["1+1", "SUM(A1:A3)", 'HYPERLINK("x")', "", "A1&amp;B1"]))
        shared = draw(st.sampled_from(["", ' t="shared" si="0" ref="A1:A1"']))
        inner = f"<f{shared}>{text}</f>{cached}"
        t = draw(st.sampled_from([None, "str", "e", "b"]))
    elif kind == "date":
        inner = f"<v>{draw(st.sampled_from(['2026-07-31', '2026-07-31T10:30:00', '10:30:00']))}</v>"
        t = "d"
    else:
        inner, t = (
            draw(st.sampled_from(["", "<v></v>", "<v/>"])),
            draw(st.sampled_from([None, "s"])),
        )
    return {"inner": inner, "t": t, "style": style, "item": item}


def _cell_xml(ref: str, cell: dict[str, Any], base_style: int, sst_index: int) -> str:
    attrs = f' r="{ref}"'
    if cell["style"] is not None:
        attrs += f' s="{base_style + cell["style"]}"'
    if cell["t"]:
        attrs += f' t="{cell["t"]}"'
    inner = cell["inner"].replace("{sst}", str(sst_index))
    return f"<c{attrs}>{inner}</c>" if inner else f"<c{attrs}/>"


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    placed=st.dictionaries(
        st.sampled_from(["number", "percentage", "yes-no", "status", "comment", "note"]),
        cells(),
        min_size=1,
        max_size=4,
    ),
    date1904=st.booleans(),
)
def test_generated_cells_read_the_same(
    canvas: dict[str, Any], placed: dict[str, dict[str, Any]], date1904: bool
) -> None:
    base: Path = canvas["base"]
    with zipfile.ZipFile(base) as z:
        sheet = z.read("xl/worksheets/sheet2.xml").decode()
        sst = z.read("xl/sharedStrings.xml").decode()
    n_sst = int(re.search(r'uniqueCount="(\d+)"', sst).group(1))  # type: ignore[union-attr]
    items = []
    for where, cell in placed.items():
        if cell["item"] is not None:
            items.append(f"<si>{cell['item']}</si>")
        index = n_sst + len(items) - 1 if cell["item"] is not None else 0
        if where == "note":
            row = int(re.findall(r'<row r="(\d+)"', sheet)[-1]) + 3
            xml = _cell_xml(f"E{row}", cell, canvas["styles"], index)
            sheet = sheet.replace("</sheetData>", f'<row r="{row}">{xml}</row></sheetData>', 1)
            continue
        ref = canvas["cells"][where]
        a1 = f"{ref.column}{ref.row}"
        xml = _cell_xml(a1, cell, canvas["styles"], index)
        sheet, n = re.subn(rf'<c r="{a1}"[^>]*?(?:/>|>.*?</c>)', xml, sheet, count=1)
        assert n == 1, a1
    sst = sst.replace("</sst>", "".join(items) + "</sst>")
    sst = re.sub(r'uniqueCount="\d+"', f'uniqueCount="{n_sst + len(items)}"', sst, count=1)
    workbook = canvas["workbook"]
    if date1904:
        workbook = re.sub(r"<workbookPr\b", '<workbookPr date1904="1"', workbook, count=1)
    dst = canvas["dir"] / "case.xlsx"
    _rezip(
        base,
        dst,
        {
            "xl/worksheets/sheet2.xml": sheet.encode(),
            "xl/sharedStrings.xml": sst.encode(),
            "xl/workbook.xml": workbook.encode(),
        },
    )
    if any("_x005F_" in (c["item"] or "") for c in placed.values()):
        return  # difference 2: see test_an_escaped_escape_is_decoded_once
    assert_same(dst, canvas["plan"], require_signature=True)


# --------------------------------------------------------------------------- typed values


VALUES = st.one_of(
    st.none(),
    st.integers(-3, 10**6),
    st.floats(-1e4, 1e6, allow_nan=False, allow_infinity=False),
    _text().map(lambda t: "".join(c for c in t if ord(c) >= 0x20 or c in "\t\n\r")),
    st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
    st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)),
    st.booleans(),
)
PLACES = [
    ("A2.1.1", "D8", "value@2026-07-31"),
    ("A2.1.1", "D8", "value@2026-08-31"),
    ("A2.1.2", "D10", "value@2026-09-30"),
    ("A2.3.2", "D15", "value@2026-08-31"),
    ("A2.1.1", "", "status"),
    ("A2.1.1", "", "comments"),
    ("A2.3.2", "", "comments"),
]


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    entries=st.dictionaries(st.sampled_from(PLACES), VALUES, min_size=1, max_size=5),
    percent=st.booleans(),
    unmerge=st.booleans(),
)
def test_typed_values_written_by_openpyxl_read_the_same(
    canvas: dict[str, Any],
    gen: dict[str, Path],
    entries: dict[tuple[str, str, str], object],
    percent: bool,
    unmerge: bool,
) -> None:
    def change(wb: Any) -> None:
        ws = wb["SO2"]
        if unmerge:
            for rng in list(ws.merged_cells.ranges):
                ws.unmerge_cells(str(rng))
        ids = [c.value for c in ws[3]]
        for (act, ind, field), value in entries.items():
            cell = ws.cell(row_of(ws, act, ind), ids.index(field) + 1)
            cell.value = value
            if percent and isinstance(value, int | float):
                cell.number_format = "0%"
        if unmerge:
            r = row_of(ws, "A2.1.1")
            ws.cell(r + 1, ids.index("status") + 1).value = "2"

    dst = edit(gen["kp"], canvas["dir"] / "typed.xlsx", change)
    assert_same(dst, canvas["plan"], require_signature=True)


# --------------------------------------------------------------------------- the differences


def _one_cell(canvas: dict[str, Any], where: str, xml_inner: str, t: str | None, name: str) -> Path:
    """KP's return with one cell's XML replaced (and its shared string appended)."""
    base: Path = canvas["base"]
    with zipfile.ZipFile(base) as z:
        sheet = z.read("xl/worksheets/sheet2.xml").decode()
        sst = z.read("xl/sharedStrings.xml").decode()
    ref = canvas["cells"][where]
    a1 = f"{ref.column}{ref.row}"
    n_sst = int(re.search(r'uniqueCount="(\d+)"', sst).group(1))  # type: ignore[union-attr]
    if t == "s":
        sst = sst.replace("</sst>", f"<si>{xml_inner}</si></sst>")
        xml_inner = f"<v>{n_sst}</v>"
    cell = f'<c r="{a1}"{f" t={chr(34)}{t}{chr(34)}" if t else ""}>{xml_inner}</c>'
    sheet = re.sub(rf'<c r="{a1}"[^>]*?(?:/>|>.*?</c>)', cell, sheet, count=1)
    dst: Path = canvas["dir"] / name
    _rezip(
        base,
        dst,
        {"xl/worksheets/sheet2.xml": sheet.encode(), "xl/sharedStrings.xml": sst.encode()},
    )
    return dst


def test_an_escaped_escape_is_decoded_once(canvas: dict[str, Any]) -> None:
    """Difference 2: Excel stores a typed ``_x0041_`` as ``_x005F_x0041_``."""
    path = _one_cell(canvas, "comment", "<t>see _x005F_x0041_ here</t>", "s", "escape.xlsx")
    old = read_with(open_reference, path, canvas["plan"], PERIOD, keys=KEYS)
    new = read_with(NEW, path, canvas["plan"], PERIOD, keys=KEYS)
    assert old.activities["A2.1.1"].comment == "see A here"
    assert new.activities["A2.1.1"].comment == "see _x0041_ here"
    # an inline string was always decoded once
    inline = _one_cell(
        canvas, "comment", "<is><t>see _x005F_x0041_ here</t></is>", "inlineStr", "inline.xlsx"
    )
    assert assert_same(inline, canvas["plan"]).activities["A2.1.1"].comment == "see _x0041_ here"


def test_an_array_formula_is_shown_as_its_text(canvas: dict[str, Any]) -> None:
    """Difference 3."""
    path = _one_cell(
        canvas, "number", '<f t="array" ref="A1">SUM(B1:B2)</f><v>3</v>', None, "array.xlsx"
    )
    old = read_with(open_reference, path, canvas["plan"], PERIOD, keys=KEYS)
    new = read_with(NEW, path, canvas["plan"], PERIOD, keys=KEYS)
    [p_old], [p_new] = old.problems, new.problems
    assert p_old.code == p_new.code == "formula-in-cell"
    assert p_old.location == p_new.location
    assert "ArrayFormula object at 0x" in p_old.message
    assert p_new.message == "found the formula '=SUM(B1:B2)'"


def test_a_missing_saved_time_is_not_the_time_of_reading(
    canvas: dict[str, Any], tmp_path: Path
) -> None:
    """Difference 4."""
    with zipfile.ZipFile(canvas["base"]) as z:
        core = z.read("docProps/core.xml").decode()
    no_modified = re.sub(r"<dcterms:modified[^>]*>[^<]*</dcterms:modified>", "", core)
    neither = re.sub(r"<dcterms:created[^>]*>[^<]*</dcterms:created>", "", no_modified)
    for k, text in enumerate((no_modified, neither)):
        path = tmp_path / f"core-{k}.xlsx"
        _rezip(canvas["base"], path, {"docProps/core.xml": text.encode()})
        before = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=1)
        old = read_with(open_reference, path, canvas["plan"], PERIOD, keys=KEYS)
        new = read_with(NEW, path, canvas["plan"], PERIOD, keys=KEYS)
        assert old.saved_at is not None and old.saved_at >= before  # "now"
        created = re.search(r"<dcterms:created[^>]*>([^<]*)</", text)
        assert new.saved_at == (
            dt.datetime.fromisoformat(created.group(1).rstrip("Z")) if created else None
        )
        assert k == 1 or created is not None
        old.saved_at = new.saved_at
        assert not differences(old, new)
