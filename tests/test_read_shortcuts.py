"""The reading worker's shortcuts against the paths they stand in for, on real returns
and on property-generated damage to them:

- the gate and the reader share one read and one zip directory (``safety.read_passed``):
  it only ever answers for a file the gate from the disk passes, with the file's bytes;
- a zip member is taken straight from the file's bytes (``xlsx_parse._plain_member``)
  only when that gives exactly what ``zipfile`` gives, and ``zipfile`` answers (or
  raises) otherwise;
- a tag's attributes are remembered by their bytes (``xlsx_parse._attrs``);
- the signature's records read the commonest cell values at once (``layout.grid_records``).
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from returns import KEYS, PERIOD, generated

from mne_workbook import reader, xlsx_parse
from mne_workbook.fill import fill_return, random_entries
from mne_workbook.layout import (
    FIELD_ROW,
    FIRST_DATA_ROW,
    Owner,
    grid_records,
    norm_cell,
    signed_owners,
)
from mne_workbook.plan import Plan, load_plan
from mne_workbook.reader import read_return
from mne_workbook.safety import Limits, inspect_file, read_passed

HERE = Path(__file__).resolve().parent
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def demo() -> Plan:
    return load_plan(HERE.parent / "sample_plans" / "demo.yaml")


@pytest.fixture(scope="module")
def returns(demo: Plan, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("gen")
    out = generated(demo, d)
    for inst in ("kp", "mlsw"):  # and filled (openpyxl saves them; answers in every row)
        entries = random_entries(demo, PERIOD, inst, random.Random(7))
        fill_return(out[inst], d / f"{inst}-filled.xlsx", entries)
        out[f"{inst}-filled"] = d / f"{inst}-filled.xlsx"
    return out


def _small_book() -> bytes:
    """A small zip holding deflated and stored members, one with a UTF-8 name."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>" * 20, zipfile.ZIP_DEFLATED)
        zf.writestr("xl/workbook.xml", "<workbook/>" * 30, zipfile.ZIP_DEFLATED)
        zf.writestr("xl/stored.xml", "<stored/>", zipfile.ZIP_STORED)
        zf.writestr("xl/ünï.xml", "<x/>" * 10, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _damaged(data: bytes, edits: list[tuple[int, int]], cut: int) -> bytes:
    out = bytearray(data)
    for at, byte in edits:
        out[at % len(out)] = byte
    return bytes(out[: max(1, len(out) - cut)])


def _answered(data: bytes) -> list[tuple[str, bytes, bytes]]:
    """Each member the shortcut answers for: (name, what ``zipfile`` reads, what the
    shortcut took from the bytes); ``zipfile`` raising there fails the test."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except Exception:
        return []
    out = []
    with zf:
        for info in zf.infolist():
            got = xlsx_parse._plain_member(zf, info.filename, data)
            if got is not None:
                out.append((info.filename, zf.read(info.filename), got))
    return out


def test_every_member_of_a_return_is_taken_from_its_bytes(returns: dict[str, Path]) -> None:
    for path in returns.values():
        data = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            count = len(zf.infolist())
        answered = _answered(data)
        assert len(answered) == count  # all plain
        for name, via_zipfile, via_bytes in answered:
            assert via_bytes == via_zipfile, name


@SETTINGS
@given(
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=3),
    cut=st.sampled_from([0, 0, 0, 1, 7, 30, 200]),
)
def test_a_damaged_zip_member_reads_as_zipfile_reads_it(
    edits: list[tuple[int, int]], cut: int
) -> None:
    for name, via_zipfile, via_bytes in _answered(_damaged(_small_book(), edits, cut)):
        assert via_bytes == via_zipfile, name


@SETTINGS
@given(
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=3),
    cut=st.sampled_from([0, 0, 0, 1, 22, 300]),
    limit=st.sampled_from([None, 1, 5000]),
)
def test_the_shared_gate_passes_only_what_the_gate_passes(
    returns: dict[str, Path],
    tmp_path: Path,
    edits: list[tuple[int, int]],
    cut: int,
    limit: int | None,
) -> None:
    source = returns["kp"].read_bytes()
    path = tmp_path / "r.xlsx"
    path.write_bytes(_damaged(source, edits, cut))
    limits = Limits() if limit is None else Limits(max_members=limit)
    got = read_passed(path, limits)
    if got is not None:
        data, zf = got
        with zf:
            assert data == path.read_bytes()
            assert zf.namelist() == zipfile.ZipFile(path).namelist()
        assert inspect_file(path, limits) is None
    for name, via_zipfile, via_bytes in _answered(path.read_bytes()):
        assert via_bytes == via_zipfile, name


def test_the_shared_gate_is_used_and_reads_the_same(
    demo: Plan, returns: dict[str, Path], tmp_path: Path
) -> None:
    """A return read through the shared gate reads as through the gate from the disk
    and the bytes the reader reads itself."""
    path = returns["kp"]
    got = read_passed(path, Limits())
    assert got is not None
    got[1].close()
    fast = read_return(path, demo)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("mne_workbook.reader.read_passed", lambda *_: None)
        mp.setattr(xlsx_parse, "FAST_PATH", False)
        slow = read_return(path, demo)
    assert fast == slow


@given(
    st.lists(
        st.sampled_from(
            [
                b' r="B7"',
                b" s='3'",
                b' t="s"',
                b' x:y="&amp;"',
                b' xmlns="u"',
                b' r="C\n1"',
                b"  ",
                b" bad",
                b'="1"',
            ]
        ),
        max_size=5,
    )
)
def test_remembered_attributes_are_the_attributes(parts: list[bytes]) -> None:
    raw = b"".join(parts)
    first = xlsx_parse._attrs(raw)
    assert first == xlsx_parse._read_attrs(raw)
    assert xlsx_parse._attrs(raw) == first


_ATTR_PIECES = st.lists(
    st.sampled_from(
        [
            b" ",
            b' r="',
            b' s="',
            b' t="',
            b" r='",
            b'"',
            b"'",
            b"=",
            b"r",
            b"s",
            b"t",
            b"B",
            b"AAA",
            b"AAAA",
            b"7",
            b"12345678",
            b"inlineStr",
            b"str",
            b"xmlns",
            b"&amp;",
            b"\t",
            b"\n",
            b"\r",
            b"\xc3\xa9",
            b"/",
            b":",
        ]
    ),
    max_size=14,
)


_ATTR_FORMS = st.lists(
    st.sampled_from(
        [
            b' r="B12"',
            b' r="AAA1234567"',
            b' r="b1"',
            b' r="5"',
            b' r="5" ht="15" customHeight="1"',
            b" \t\r\n",
            b' s="3"',
            b' s="12345"',
            b' s="123456"',
            b' t="inlineStr"',
            b' t="s"',
            b" t='s'",
            b' t="e&amp;"',
            b"  ",
        ]
    ),
    max_size=4,
)


@settings(max_examples=600, deadline=None)
@given(_ATTR_PIECES, _ATTR_FORMS, st.booleans())
def test_commonest_cell_attributes_read_as_one_by_one(
    pieces: list[bytes], forms: list[bytes], whole: bool
) -> None:
    """The one-pattern reading of `` r=".." s=".." t=".." `` gives what matching each
    attribute in turn gives (the same dict, in the same order), and only applies to it."""
    raw = b"".join(forms if whole else pieces)  # (random bytes rarely hit the form)
    slow = xlsx_parse._attrs_one_by_one(raw)
    fast = xlsx_parse._read_attrs(raw)
    assert fast == slow
    assert (fast is None) == (slow is None)
    if fast is not None and slow is not None:
        assert list(fast.items()) == list(slow.items())
    if xlsx_parse._CELL_ATTRS.fullmatch(raw) is not None:
        assert slow is not None and set(slow) <= {"r", "s", "t"}


_VALUES = st.one_of(
    st.none(),
    st.text(max_size=6),
    st.sampled_from(["", " ", " a ", "\t", "x"]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-5, 5),
    st.booleans(),
    st.just(dt.datetime(2026, 1, 2, 3, 4)),
)


def _records_as_they_were(
    sheets: list[tuple[str, list[list[object]]]], owner_of: dict[str, Owner], master: bool
) -> list[str]:
    """``layout.grid_records`` before the shortcut: every value through norm_cell."""
    owners = signed_owners(master)
    out: list[str] = []
    for name, grid in sheets:
        fields = [norm_cell(v) for v in (grid[FIELD_ROW] if len(grid) > FIELD_ROW else [])]
        while fields and not fields[-1]:
            fields.pop()
        out.append(f"{name}|fields|" + "|".join(fields))
        data = grid[FIRST_DATA_ROW:]
        while data and all(norm_cell(v) == "" for v in data[-1]):
            data = data[:-1]
        for ci, f in enumerate(fields):
            if owner_of.get(f) not in owners:
                continue
            for i, row in enumerate(data):
                out.append(f"{name}|{i}|{f}|{norm_cell(row[ci] if ci < len(row) else None)}")
    return out


@given(
    grid=st.lists(st.lists(_VALUES, max_size=5), min_size=FIRST_DATA_ROW, max_size=8),
    fields=st.lists(st.sampled_from(["a", "b", " b ", "", "c"]), max_size=5),
    master=st.booleans(),
)
def test_the_signature_records_read_values_as_norm_cell_does(
    grid: list[list[object]], fields: list[str], master: bool
) -> None:
    grid = [list(r) for r in grid]
    grid[FIELD_ROW] = list(fields)
    owner_of = {"a": Owner.KEY, "b": Owner.PLAN, "c": Owner.ONATC}
    sheets: list[tuple[str, list[list[object]]]] = [("SO1", grid)]
    assert grid_records(sheets, owner_of, master) == _records_as_they_were(sheets, owner_of, master)


# ------------------------------------------------------------------ remembered across returns


def _forget() -> None:
    """Everything a reading worker remembers across returns, forgotten: a cold reader."""
    xlsx_parse._FAST.clear()
    xlsx_parse._ONCE.clear()
    xlsx_parse._ATTRS.clear()
    xlsx_parse._PARTS.clear()
    xlsx_parse._INFLATED.clear()
    xlsx_parse._INFLATED_SIZE[0] = 0
    xlsx_parse._FRAMES.clear()
    reader._DIGESTS.clear()
    reader._DIGEST_CELLS[0] = 0
    reader._SIGNED.clear()
    reader._LAYOUTS.clear()


@SETTINGS
@given(
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=3),
    cut=st.sampled_from([0, 0, 0, 1, 7, 30, 200]),
)
def test_a_member_inflated_before_reads_as_zipfile_reads_it(
    edits: list[tuple[int, int]], cut: int
) -> None:
    """A member taken from what was inflated before (its deflated bytes, size and CRC
    seen again) is what ``zipfile`` reads: first, second and third time, for the book and
    for a damaged copy read after it (the intact members remembered, the damaged not)."""
    _forget()
    for data in (_small_book(), _damaged(_small_book(), edits, cut)):
        for _ in range(3):
            for name, via_zipfile, via_bytes in _answered(data):
                assert via_bytes == via_zipfile, name
    assert xlsx_parse._INFLATED  # (the intact book's members were remembered)


_CELL_VALUES = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "x", " x ", "A1", "1"]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-2, 2),
    st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(_CELL_VALUES, min_size=4, max_size=12),
    picks=st.lists(st.lists(st.integers(0, 11), max_size=5), min_size=FIRST_DATA_ROW, max_size=9),
    fields=st.lists(st.sampled_from(["a", "b", " b ", "", "c", "d"]), max_size=5),
    master=st.booleans(),
    edit=st.tuples(st.integers(0, 100), st.integers(0, 100), _CELL_VALUES),
    edited=st.sampled_from(["SO1", "SO2"]),
)
def test_the_remembered_signature_digest_is_the_digest(
    values: list[object],
    picks: list[list[int]],
    fields: list[str],
    master: bool,
    edit: tuple[int, int, object],
    edited: str,
) -> None:
    """The content digest remembered by the cells it reads equals the digest of the
    records, cold, warm (the same cell objects again) and after one cell of either sheet
    is replaced by another object (of the same value or not: the other sheet's cells are
    the same objects as before), and for rows shorter than a column."""
    _forget()
    columns: Any = (object(),)  # (only its identity is used)
    owner_of = {"a": Owner.KEY, "b": Owner.PLAN, "c": Owner.ONATC, "d": Owner.CARRIER}
    pool = [xlsx_parse.Cell(v, "n", 0, xlsx_parse.DEFAULT_STYLES) for v in values]
    grid: list[list[Any]] = [[pool[i % len(pool)] for i in row] for row in picks]
    grid[FIELD_ROW] = [xlsx_parse.Cell(f, "s", 0, xlsx_parse.DEFAULT_STYLES) for f in fields]
    grids = {"SO1": grid, "SO2": [list(r) for r in grid]}
    for _ in range(3):
        got = reader._found_digest(grids, owner_of, master, columns)
        assert got == reader._digest_of(grids, owner_of, master)
    r, c, value = edit
    row = grids[edited][r % len(grid)]
    if row:
        row[c % len(row)] = xlsx_parse.Cell(value, "n", 0, xlsx_parse.DEFAULT_STYLES)
    for _ in range(2):
        got = reader._found_digest(grids, owner_of, master, columns)
        assert got == reader._digest_of(grids, owner_of, master)


def test_a_remembered_digest_is_known_by_every_sheet_not_the_last_alone() -> None:
    """A signed cell of the first sheet edited, the last sheet's cells the very same
    objects: the digest is the edited one, not the one remembered for the first grids
    (else a return tampered on any sheet but the last would verify)."""
    _forget()
    columns: Any = (object(),)
    owner_of = {"a": Owner.KEY, "b": Owner.PLAN}

    def cell(v: object, t: str = "n") -> Any:
        return xlsx_parse.Cell(v, t, 0, xlsx_parse.DEFAULT_STYLES)

    grid = [[cell(1), cell(2)] for _ in range(FIRST_DATA_ROW + 2)]
    grid[FIELD_ROW] = [cell("a", "s"), cell("b", "s")]
    grids = {"SO1": grid, "SO2": [list(r) for r in grid]}
    before = reader._found_digest(grids, owner_of, False, columns)
    grids["SO1"][FIRST_DATA_ROW][1] = cell(99)  # a plan cell of the first sheet
    after = reader._found_digest(grids, owner_of, False, columns)
    assert after == reader._digest_of(grids, owner_of, False) != before


def _retext(data: bytes, pick: int, kind: str) -> bytes:
    """``data`` (a worksheet) with one cell's text or number changed (inline strings)."""
    pattern = rb"<t>([^<]*)</t>" if kind == "text" else rb"<v>([^<]*)</v>"
    spots = list(re.finditer(pattern, data))
    if not spots:
        return data
    m = spots[pick % len(spots)]
    new = b"<t>edited</t>" if kind == "text" else b"<v>12345</v>"
    return data[: m.start()] + new + data[m.end() :]


def _rewritten(src: Path, dst: Path, change: Any) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = change(info.filename, data)
            zout.writestr(info, data)
    return dst


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    who=st.sampled_from(["kp", "mlsw", "master", "kp-filled", "mlsw-filled"]),
    sheet=st.integers(0, 9),
    pick=st.integers(0, 10**4),
    kind=st.sampled_from(["text", "number"]),
)
def test_a_return_reads_the_same_cold_warm_and_after_a_one_place_edit(
    demo: Plan, returns: dict[str, Path], tmp_path: Path, who: str, sheet: int, pick: int, kind: str
) -> None:
    """Read cold (nothing remembered), warm (its rows, cells, shape, signature digest and
    plan cells remembered from reading it before) and, warm, a copy with one text or
    number changed in one sheet (a plan cell tampered with, a key, a field id, an answer
    ...): each Submission is the one a cold reader gives."""
    path = returns[who]
    kw: dict[str, Any] = {"keys": KEYS, "require_signature": True, "master": who == "master"}
    _forget()
    cold = read_return(path, demo, PERIOD, **kw)
    for _ in range(4):  # seen once; seen again (remembered); from memory (twice)
        assert read_return(path, demo, PERIOD, **kw) == cold
    with zipfile.ZipFile(path) as zf:
        parts = sorted(n for n in zf.namelist() if n.startswith("xl/worksheets/"))
    part = parts[sheet % len(parts)]
    edited = _rewritten(
        path,
        tmp_path / f"edited-{who}.xlsx",
        lambda name, data: _retext(data, pick, kind) if name == part else data,
    )
    warm = read_return(edited, demo, PERIOD, **kw)
    _forget()
    assert warm == read_return(edited, demo, PERIOD, **kw)


def test_reading_returns_leaves_no_reference_cycle(demo: Plan, returns: dict[str, Path]) -> None:
    """A reading worker runs without the cyclic garbage collector during a file: what
    reading leaves in a reference cycle (a parser and its handler...) would stay until the
    worker ends. Read cold and warm, accepted returns leave none."""
    import gc

    _forget()
    kw: dict[str, Any] = {"keys": KEYS, "require_signature": True}
    gc.collect()
    gc.disable()
    try:
        for _ in range(4):
            for who, path in returns.items():
                read_return(path, demo, PERIOD, master=who == "master", **kw)
        assert gc.collect() == 0
    finally:
        gc.enable()
