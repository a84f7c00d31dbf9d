"""The fast reading of plain worksheets (:func:`xlsx_parse._fast_rows`) against the tree
it stands in for: on property-generated worksheet XML (plain and not: comments, CDATA,
processing instructions, references, line ends, prefixes and namespace tricks, odd
attributes, rich text, formulas, shared strings, rows and cells without numbers), every
sheet reads to the same rows, cell by cell (value, type, number format), or fails with
the same error, on a first reading and on later ones (served from what was remembered)."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mne_workbook import xlsx_parse
from mne_workbook.xlsx_parse import MAIN, Workbook

_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
STYLES = (  # style 0 General, 1 a date, 2 a percentage, 3 elapsed time, 4 a custom date
    f'<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164"'
    ' formatCode="yyyy-mm-dd"/></numFmts><cellXfs count="5"><xf numFmtId="0"/>'
    '<xf numFmtId="14"/><xf numFmtId="9"/><xf numFmtId="46"/><xf numFmtId="164"/>'
    "</cellXfs></styleSheet>"
)
STRINGS = ["plain", "a &amp; b", "line\r\nbreak", "_x0041_ esc", "  padded "]


def _book(sheet: bytes, date1904: bool, tmp: Path, styles: str = STYLES) -> Path:
    """A minimal workbook around one worksheet part (and shared strings)."""
    sst = "".join(f"<si><t>{s}</t></si>" for s in STRINGS)
    parts = {
        "[Content_Types].xml": (
            f'<Types xmlns="{_CT}"><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
        ).encode(),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{_REL}"><workbookPr'
            f' date1904="{int(date1904)}"/><sheets><sheet name="S" sheetId="1"'
            ' r:id="rId1"/></sheets></workbook>'
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            b"</Relationships>"
        ),
        "xl/styles.xml": styles.encode(),
        "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}">{sst}</sst>'.encode(),
        "xl/worksheets/sheet1.xml": sheet,
    }
    path = tmp / "case.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def _read(path: Path, fast: bool, **kw: Any) -> Any:
    """The sheet's rows as plain tuples (value, type, number format), or the error."""
    xlsx_parse.FAST_PATH = fast
    try:
        with Workbook(path) as wb:
            rows = wb.rows("S", **kw)
        return [
            [(repr(c.value), type(c.value), c.data_type, c.number_format) for c in row]
            for row in rows
        ]
    except Exception as exc:  # the same failure, to the word
        return ("error", type(exc).__name__, str(exc))
    finally:
        xlsx_parse.FAST_PATH = True


# --------------------------------------------------------------------------- generated XML


def mostly(plain: list[Any], odd: list[Any], percent: int = 3) -> st.SearchStrategy[Any]:
    """One of ``plain``, or ``percent`` % of the time one of ``odd`` (a sheet has many
    cells: each must be plain for the fast path to read the sheet)."""
    return st.integers(1, 100).flatmap(lambda n: st.sampled_from(odd if n <= percent else plain))


WS = st.sampled_from(["", "", " ", "\n", "\r\n  ", "\t"])
TEXT = st.lists(
    st.sampled_from(
        [
            "1",
            "42",
            "-0",
            "3.5",
            "1E3",
            "45.0",
            "0.25",
            "60",
            "x",
            " ",
            "A B",
            "&amp;",
            "&lt;",
            "&gt;",
            "&quot;",
            "&apos;",
            "&#13;",
            "&#10;",
            "&#x41;",
            "&#x1F600;",
            "\r",
            "\r\n",
            "\n",
            "\t",
            "é",
            "ü",
            "→",
            "_x000D_",
            "=1+1",
            "2026-07-31",
            "10:30:00",
            "#N/A",
            "TRUE",
        ]
    ),
    max_size=4,
).map("".join)
NUMBERS = st.sampled_from(["0", "1", "2", "3", "4", "7", "-1", "2.5", "45000.5", "1e400", "x"])


@st.composite
def attr(draw: Any, name: str, value: str) -> str:
    quote = draw(st.sampled_from(['"', "'"]))
    return f"{draw(st.sampled_from([' ', '  ', chr(10)]))}{name}={quote}{value}{quote}"


@st.composite
def cell(draw: Any) -> str:
    attrs = []
    ref = draw(mostly([None, "A{r}", "B{r}", "C{r}", "E{r}", "AA{r}"], ["", "a{r}", "1A", "A0"]))
    if ref is not None:
        attrs.append(draw(attr("r", ref)))
    style = draw(mostly([None, "0", "1", "2", "3", "4"], ["", "9", "x"]))
    if style is not None:
        attrs.append(draw(attr("s", style)))
    kind = draw(mostly([None, "n", "s", "str", "b", "e", "d", "inlineStr"], ["z", ""]))
    if kind is not None:
        attrs.append(draw(attr("t", kind)))
    extra = draw(
        mostly(
            ["", ' cm="1"', ' ph="1"'],
            [
                ' xmlns:x="urn:x" x:r="B9"',
                f' xmlns="{MAIN}"',
                ' xmlns="urn:other"',
                ' r2="&amp;"',
            ],
        )
    )
    attrs.append(extra)
    draw(st.randoms()).shuffle(attrs)
    value: str = (
        draw(NUMBERS) if kind in ("s", "n", "b", None) and draw(st.booleans()) else draw(TEXT)
    )
    text_t: str = draw(
        st.sampled_from(["<t>", '<t xml:space="preserve">', "<t xml:space='preserve'>"])
    )
    inner: str | None = draw(
        mostly(
            [
                None,
                "",
                " ",
                "<v>{v}</v>",
                "<v>{v}</v>",
                "<v>{v}</v>",
                "<v/>",
                "<v></v>",
                " <v>{v}</v>\n",
                "<is>{t}{v}</t></is>",
                "<is>{t}{v}</t></is>",
                "<is><t/></is>",
                "<is> {t}{v}</t> </is>",
            ],
            [
                "<is><r><t>{v}</t></r><r><rPr/><t>b</t></r></is>",
                "<is>{t}{v}</t><rPh><t>p</t></rPh></is>",
                "<f>SUM(A1:A2)</f><v>{v}</v>",
                '<f t="shared" si="0">A1+1</f><v>3</v>',
                '<f t="shared" si="0"/><v>4</v>',
                "<v><![CDATA[{v}]]></v>",
                "<v>{v}<!-- c --></v>",
                "<x:v xmlns:x='urn:x'>{v}</x:v>",
                "<v>{v}</v><v>9</v>",
                "text",
                "<extLst/>",
            ],
        )
    )
    body = "".join(attrs)
    if inner is None:
        return f"<c{body}/>"
    return f"<c{body}>" + inner.replace("{t}", text_t).replace("{v}", value) + "</c>"


@st.composite
def row(draw: Any, number: int) -> str:
    attrs = []
    r = draw(mostly([str(number), None], [f"{number}.0", f" {number}", "x", "0"]))
    if r is not None:
        attrs.append(draw(attr("r", r)))
    attrs.append(draw(st.sampled_from(["", ' spans="1:5"', ' ht="15" customHeight="1"'])))
    cells = draw(st.lists(cell(), max_size=5))
    sep = draw(WS)
    body = sep.join(c.replace("{r}", str(number)) for c in cells)
    if not body and draw(st.booleans()):
        return f"<row{''.join(attrs)}/>"
    return f"<row{''.join(attrs)}>{sep}{body}{sep}</row>"


@st.composite
def sheet(draw: Any) -> bytes:
    numbers = draw(st.lists(st.integers(1, 45), min_size=0, max_size=8))
    rows = [draw(row(n)) for n in numbers]
    sep = draw(WS)
    decl = draw(
        mostly(
            [
                "",
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
                "<?xml version='1.0' encoding='utf-8'?>",
                '<?xml version="1.0"?>',
            ],
            ['<?xml version="1.0" encoding="ISO-8859-1"?>'],
            percent=5,
        )
    )
    root = draw(
        mostly(
            [
                f'<worksheet xmlns="{MAIN}">',
                f'<worksheet xmlns="{MAIN}" xmlns:r="{_REL}">',
                f"<worksheet xmlns = '{MAIN}' mc:Ignorable='x' xmlns:mc='urn:mc'>",
            ],
            [
                f'<x:worksheet xmlns:x="{MAIN}">',
                '<worksheet xmlns="urn:other">',
                f'<worksheet xmlns="{MAIN[:-4]}&#109;ain">',
                f'<worksheet xmlns="{MAIN}" xmlns:m="{MAIN}">',
            ],
            percent=5,
        )
    )
    end = "</x:worksheet>" if root.startswith("<x:") else "</worksheet>"
    before = draw(
        mostly(
            [
                "",
                '<dimension ref="A1:E9"/>',
                '<sheetViews><sheetView workbookViewId="0"/></sheetViews>',
            ],
            [
                "<!-- <row r='1'><c r='A1'><v>5</v></c></row> -->",
                "<?pi x?>",
                f'<sub xmlns="{MAIN}"/>',
            ],
            percent=5,
        )
    )
    after = draw(
        mostly(
            ["", '<pageMargins left="0.7"/>', "<rowBreaks count='0'/>"],
            [
                "<row r='50'><c r='A50'><v>1</v></c></row>",
                f"<m:row xmlns:m='{MAIN}' r='51'><m:c r='A51'><m:v>1</m:v></m:c></m:row>",
                "<!-- end -->",
            ],
            percent=5,
        )
    )
    prefix = "m:" if draw(st.integers(0, 9)) == 0 else ""
    if prefix:
        root = root.replace(">", f" xmlns:m='{MAIN}'>", 1)
        rows = [r.replace("<row", "<m:row").replace("</row>", "</m:row>") for r in rows]
    body = f"<sheetData>{sep}{sep.join(rows)}{sep}</sheetData>"
    wrap = draw(  # an element around the rows declaring another default namespace (or not)
        mostly(
            [""],
            ["urn:x", "urn:\nx", MAIN, "&#104;ttp://x", f"{MAIN}\n"],
            percent=5,
        )
    )
    if wrap:
        body = f'<w xmlns="{wrap}">{body}</w>'
    data = f"{decl}{root}{before}{body}{after}{end}"
    if draw(st.integers(0, 19)) == 0:  # something not well-formed
        cut = draw(st.integers(0, len(data)))
        data = (
            data[:cut] + draw(st.sampled_from(["<", "&", "&bogus;", "</x>", "\x01"])) + data[cut:]
        )
    encoded = data.encode("latin-1" if "ISO-8859-1" in decl else "utf-8", "replace")
    return (b"\xef\xbb\xbf" if draw(st.integers(0, 19)) == 0 else b"") + encoded


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=sheet(),
    date1904=st.booleans(),
    limit=st.sampled_from([{}, {"max_row": 3, "max_col": 2}]),
    edit=st.tuples(
        st.floats(0, 1),
        st.sampled_from(
            [
                *("<", "&", "&bogus;", "</x>", "\x01", "<!-- c -->", "<x:y/>", " xmlns='urn:q'"),
                *(" ", "<c/>", "<row/>", '<c r="B2"><v>7</v></c>', "]]>", "\xff"),
            ]
        ),
    ),
)
def test_generated_sheets_read_as_the_tree_reads_them(
    tmp_path: Path,
    data: bytes,
    date1904: bool,
    limit: dict[str, int],
    edit: tuple[float, str],
) -> None:
    """The same rows or the same error; again from what was remembered; and for the
    same part edited in one place (its other rows remembered, the edit not)."""
    path = _book(data, date1904, tmp_path)
    slow = _read(path, fast=False, **limit)
    for _ in range(3):  # first sighting; seen again, remembered; served from memory
        assert _read(path, fast=True, **limit) == slow
    at = int(edit[0] * len(data))
    edited = _book(data[:at] + edit[1].encode("latin-1") + data[at:], date1904, tmp_path)
    slow = _read(edited, fast=False, **limit)
    assert _read(edited, fast=True, **limit) == slow


_LAZY = {  # the row and cell patterns as first written (attributes: ``[^>]*?``)
    "row": rb"(<row(?=[ \t\r\n/>])([^>]*?)(?:/>|>([^<]*(?:<(?!/row>)[^<]*)*)</row>))"
    rb"|([ \t\r\n]+)",
    "c": rb"(<c(?=[ \t\r\n/>])([^>]*?)(?:/>|>([^<]*(?:<(?!/c>)[^<]*)*)</c>))|([ \t\r\n]+)",
}
_PIECES = [
    *("<", ">", "/", "/>", " ", "\n", "=", '"', "'", "a", "r", "c", "<c", "<c ", "</c>"),
    *("<row", "<row ", "</row>", "<v>", "</v>", 'r="A1"', "<c/>", "<row/>", "//", "x"),
]


@settings(max_examples=1500, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(_PIECES), max_size=30),
    kind=st.sampled_from(["row", "c"]),
    window=st.tuples(st.integers(0, 40), st.integers(0, 400)),
)
def test_the_row_and_cell_patterns_match_as_the_lazy_ones_did(
    pieces: list[str], kind: str, window: tuple[int, int]
) -> None:
    """The unrolled patterns (and their tokens-only forms, and the split of a token into
    attributes and content) find exactly what the lazy patterns found, group by group,
    wherever a search starts and stops."""
    text = "".join(pieces).encode()
    new = xlsx_parse._ROWS if kind == "row" else xlsx_parse._CELLS
    tokens = xlsx_parse._ROW_TOKENS if kind == "row" else xlsx_parse._CELL_TOKENS
    old = re.compile(_LAZY[kind])
    pos, endpos = window[0], window[0] + window[1]
    want = [(m.span(), m.groups()) for m in old.finditer(text, pos, endpos)]
    assert [(m.span(), m.groups()) for m in new.finditer(text, pos, endpos)] == want
    assert tokens.findall(text, pos, endpos) == [text[a:b] for (a, b), _ in want]
    for (a, b), groups in want:
        if groups[0] is not None:  # a row or a cell: its attributes and content
            name, close = (4, 6) if kind == "row" else (2, 4)
            assert xlsx_parse._parts(text[a:b], name, close) == (groups[1], groups[2])


_ROUND_CELLS = [
    '<c r="B{n}"><v>{k}</v></c>',
    '<c r="D{n}" s="1"><v>4500{k}</v></c>',
    '<c r="C{n}" t="inlineStr"><is><t>text {k}</t></is></c>',
    '<c r="C{n}" t="s"><v>{s}</v></c>',
    "<c><v>{k}</v></c>",
    '<c r="A{n}"/>',
    '<c r="E{n}" x:y="{k}"><v>1</v></c>',
    '<c r="B{n}" t="inlineStr"><is><t xml:space="preserve"> {k} </t></is></c>',
    '<c r="AA{n}"><v>&amp;{k}</v></c>',
    "",
]


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=sheet(),
    date1904=st.booleans(),
    place=st.integers(0, 10**6),
    cells=st.lists(st.sampled_from(_ROUND_CELLS), min_size=3, max_size=6),
    prefixed=st.sampled_from(["", "root", "around the rows"]),
)
def test_a_round_of_returns_reads_as_the_tree_reads_each(
    tmp_path: Path, data: bytes, date1904: bool, place: int, cells: list[str], prefixed: str
) -> None:
    """The returns of a round: one part holding another cell at the same place in each
    (the rest remembered: rows, the cells around the new one, from the third return on
    the row's remembered shape, and the part around the rows), read in turn, and each
    with the prefix ``x`` bound on the root, on an element around the rows or nowhere (a
    cell naming it is well-formed only where it is bound), to the rows or the error the
    tree gives."""
    if prefixed == "root":
        data = data.replace(b"<worksheet ", b'<worksheet xmlns:x="urn:x" ', 1)
    elif prefixed:
        data = data.replace(b"<sheetData>", b'<w xmlns:x="urn:x"><sheetData>', 1)
        data = data.replace(b"</sheetData>", b"</sheetData></w>", 1)
    places = [0] + [m.end() for m in re.finditer(rb"</c>|<c[^>]*/>|<row[^>]*[^/]>", data)]
    at = places[place % len(places)]
    for k, text in enumerate(cells):
        number = data[:at].count(b"<row") or 1
        edit = text.format(n=number, k=k, s=k % len(STRINGS)).encode()
        path = _book(data[:at] + edit + data[at:], date1904, tmp_path)
        slow = _read(path, fast=False)
        assert _read(path, fast=True) == slow


# --------------------------------------------------------------------------- it is used


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    taken: list[bool] = []
    real = xlsx_parse._fast_rows

    def spy(*args: Any) -> Any:
        got = real(*args)
        taken.append(got is not None)
        return got

    monkeypatch.setattr(xlsx_parse, "_fast_rows", spy)
    return taken


def _sheets(path: Path) -> Iterator[str]:
    with Workbook(path) as wb:
        yield from wb.sheetnames


def test_the_returns_we_write_and_openpyxl_rewrites_take_the_fast_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A generated return (xlsxwriter) and one filled by openpyxl are read by the fast
    path, sheet by sheet, to the same rows as the tree."""
    import openpyxl
    from returns import generated

    from mne_workbook.plan import load_plan

    plan = load_plan(Path(__file__).resolve().parent.parent / "sample_plans" / "demo.yaml")
    src = next(iter(generated(plan, tmp_path / "gen").values()))
    wb = openpyxl.load_workbook(src)
    wb.save(tmp_path / "filled.xlsx")
    taken = _spy(monkeypatch)
    for path in (src, tmp_path / "filled.xlsx"):
        for name in _sheets(path):
            xlsx_parse.FAST_PATH = False
            with Workbook(path) as book:
                slow = [
                    [(c.value, c.data_type, c.number_format) for c in r] for r in book.rows(name)
                ]
            xlsx_parse.FAST_PATH = True
            for _ in range(2):
                with Workbook(path) as book:
                    fast = [
                        [(c.value, c.data_type, c.number_format) for c in r]
                        for r in book.rows(name)
                    ]
                assert fast == slow, (path.name, name)
    assert taken and all(taken), taken


def test_a_remembered_cell_is_read_again_under_other_styles(tmp_path: Path) -> None:
    """The same cell bytes under a date style and under General, and under either date
    system, read as each workbook says (what is remembered is kept per styles and date
    system)."""
    sheet = (
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" s="1"><v>45000</v>'
        "</c></row></sheetData></worksheet>"
    ).encode()
    general = STYLES.replace('numFmtId="14"', 'numFmtId="0"')
    got = [
        _read(_book(sheet, date1904, tmp_path, styles), fast=True)[0][0][0]
        for date1904, styles in ((False, STYLES), (True, STYLES), (False, general))
    ]
    assert got == [repr(dt.datetime(2023, 3, 15)), repr(dt.datetime(2027, 3, 16)), "45000"]


# --------------------------------------------------------------------------- bounded memory


def _sheet_of(values: list[int]) -> bytes:
    cells = "".join(
        f'<row r="{r}"><c r="A{r}"><v>{v}</v></c><c r="B{r}" t="s"><v>0</v></c></row>'
        for r, v in enumerate(values, 1)
    )
    return f'<worksheet xmlns="{MAIN}"><sheetData>{cells}</sheetData></worksheet>'.encode()


def _remembered() -> int:
    return sum(map(len, xlsx_parse._FAST.values()))


def test_only_what_is_seen_again_is_remembered(tmp_path: Path) -> None:
    """A round's entries are new in every return: a row read once is not kept, a row
    read again is (and then read from memory, to the same cells)."""
    xlsx_parse._FAST.clear()
    xlsx_parse._ONCE.clear()
    path = _book(_sheet_of([7, 8, 9]), False, tmp_path)
    slow = _read(path, fast=False)
    assert _read(path, fast=True) == slow
    assert _remembered() == 0  # seen once: nothing kept
    assert _read(path, fast=True) == slow
    kept = _remembered()
    assert kept > 0
    assert _read(path, fast=True) == slow  # from memory: nothing new
    assert _remembered() == kept


def test_what_a_worker_remembers_is_bounded_however_many_returns_it_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thousands of returns with rows of their own: what is remembered (entries under
    every key together, and the texts seen once) never passes its bounds by more than
    one sheet's rows."""
    monkeypatch.setattr(xlsx_parse, "_MAX_REMEMBERED", 60)
    monkeypatch.setattr(xlsx_parse, "_MAX_ONCE", 80)
    xlsx_parse._FAST.clear()
    xlsx_parse._ONCE.clear()
    per_sheet = 3 * 4  # rows, their attributes and their two cells
    most = 0
    for k in range(40):
        values = [k % 5, 100 + k, 200 + k % 3]  # some rows come back, some never do
        path = _book(_sheet_of(values), False, tmp_path)
        for _ in range(2):
            assert _read(path, fast=True) == _read(path, fast=False)
        most = max(most, _remembered())
        assert len(xlsx_parse._ONCE) <= 80
    assert 0 < most <= 60 + per_sheet


# --------------------------------------------------------------------------- core properties

_DC = "http://purl.org/dc/terms/"
_TIMES = [
    "2020-01-10T00:00:00Z",
    "2020-01-10T00:00:01Z",
    "2019-12-31T23:59:59.5",
    "2020-01-10",
    "12:30",
    "2020-13-45T99:99:99Z",
    "1-2",
    "",
    " 2020-01-10T00:00:00Z ",
    "x2020-01-10T00:00:00Z",
    "a&gt;2020-01-10T00:00:00Z",
]


@st.composite
def core_part(draw: Any) -> str:
    """A core properties part with ``{0}``, ``{1}``... where its times go."""
    prefix = draw(st.sampled_from(["dcterms:", "d:", ""]))
    decl = f'xmlns:{prefix[:-1]}="{_DC}"' if prefix else f'xmlns="{_DC}"'
    elements: list[str] = []
    for name in draw(
        st.lists(
            st.sampled_from(["created", "modified", "created", "modified", "other"]),
            min_size=1,
            max_size=4,
        )
    ):
        slot = "{" + str(len(elements)) + "}"
        elements.append(
            draw(
                st.sampled_from(
                    [
                        f"<{prefix}{name}>{slot}</{prefix}{name}>",
                        f'<{prefix}{name} xsi:type="dcterms:W3CDTF">{slot}</{prefix}{name}>',
                        f"<{prefix}{name}>{slot}<!-- {slot} --></{prefix}{name}>",
                        f"<{prefix}{name} at='{slot}'/>",
                    ]
                )
            )
        )
    xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    body = "".join(elements)
    text = f'<cp:coreProperties xmlns:cp="urn:cp" {decl} {xsi}>{body}</cp:coreProperties>'
    return text


def _core_of(data: bytes) -> Any:
    """The times as the tree reads them, or the error."""
    try:
        return xlsx_parse._core(xlsx_parse._tree_of(data, "docProps/core.xml"), "c")
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))


@settings(max_examples=400, deadline=None)
@given(
    part=core_part(),
    rounds=st.lists(
        st.lists(mostly(_TIMES[:3], _TIMES[3:], percent=30), min_size=4, max_size=4),
        min_size=3,
    ),
)
def test_core_times_read_as_the_tree_reads_them(part: str, rounds: list[list[str]]) -> None:
    """The created and modified times of a round's core properties (the same part with
    other times in each return: learnt on the second, then read from the part's form)
    are the tree's, or its error."""
    import io

    template = part
    xlsx_parse._CORE_FORMS.clear()
    for times in rounds:
        data = template.format(*times).encode()
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("docProps/core.xml", data)
        whole = buf.getvalue()
        with zipfile.ZipFile(io.BytesIO(whole)) as zf:
            try:
                got: Any = xlsx_parse._core_times(zf, whole)
            except Exception as exc:
                got = ("error", type(exc).__name__, str(exc))
        assert got == _core_of(data), data


def _opened(path: Path) -> Any:
    """Whether the workbook opens (its sheets' beginnings read), or the error."""
    try:
        with Workbook(path) as wb:
            return wb.sheetnames
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=sheet(),
    edit=st.tuples(
        st.floats(0, 1),
        st.sampled_from(["<", "&", "&bogus;", "</x>", "\x01", "<x:y/>", " ", '"', "<!-- -->"]),
    ),
)
def test_a_sheet_beginning_seen_before_opens_as_it_did(
    tmp_path: Path, data: bytes, edit: tuple[float, str]
) -> None:
    """Opening reads each sheet up to its dimension; a beginning read before (up to
    ``<sheetData``) is not read again: the part, and a copy edited in one place, open
    (or fail) warm as they do cold."""
    at = int(edit[0] * len(data))
    edited = data[:at] + edit[1].encode("latin-1") + data[at:]
    results = []
    for warm in (False, True):
        xlsx_parse._HEADS.clear()
        xlsx_parse._ONCE.clear()
        if warm:
            for _ in range(3):
                _opened(_book(data, False, tmp_path))
        results.append(_opened(_book(edited, False, tmp_path)))
    assert results[0] == results[1]
