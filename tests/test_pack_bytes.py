"""The pack written through its fast paths (rows given whole to the long sheets, heights
counted in lines) is byte for byte the pack of the plain path (``pack_reference``): every
zip member, on consolidations of hostile texts (markup, control characters, texts that
look like formulas, long texts, numbers, dates, blanks), and none of them a formula."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter.core
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from memreturns import AUG, JUL, Q3, SEP, at, problem, refused, ret, small_plan
from pack_reference import reference_path

import mne_workbook.report as report
from mne_workbook.consolidate import Consolidation, consolidate
from mne_workbook.plan import Plan
from mne_workbook.streamed_sheet import StreamedSheet

_CREATED = re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>")


def members(path: Path) -> dict[str, bytes]:
    """Every member of the zip (the workbook's time of writing left out of core.xml)."""
    with zipfile.ZipFile(path) as z:
        got = {n: z.read(n) for n in z.namelist()}
    core = got["docProps/core.xml"]
    assert _CREATED.search(core)  # the times are there, and only they are left out
    got["docProps/core.xml"] = _CREATED.sub(b"", core)
    return got


class _Frozen(dt.datetime):
    """xlsxwriter's clock for core.xml, stopped: two packs written apart compare whole."""

    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> _Frozen:
        return cls(2026, 11, 30, 12, 0, tzinfo=tz)


def both(con: Consolidation, where: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """The pack's members, written the fast way and the reference way: the same bytes,
    and with the clock stopped the same file (zip entries' dates, modes, sizes, order)."""
    fast = members(report.write_consolidated(con, where / "fast.xlsx"))
    with monkeypatch.context() as m:
        reference_path(m)
        plain = members(report.write_consolidated(con, where / "plain.xlsx"))
    assert list(fast) == list(plain)
    for name in plain:
        assert fast[name] == plain[name], name
    with monkeypatch.context() as m:
        m.setattr(xlsxwriter.core, "datetime", _Frozen)
        whole = report.write_consolidated(con, where / "fast-whole.xlsx").read_bytes()
        reference_path(m)
        assert report.write_consolidated(con, where / "plain-whole.xlsx").read_bytes() == whole
    for name, data in fast.items():
        if name.startswith("xl/worksheets/"):
            assert b"<f>" not in data, name  # no text became a formula
    return fast


_HOSTILE = [
    "",
    " ",
    "=SUM(A1:A9)",
    '=HYPERLINK("http://evil.example","click")',
    "+1",
    "-2",
    "@cmd",
    "\tlead",
    "a < b & c > d \"quoted\" 'single'",
    "_x0041_ escaped",
    "ctrl \x00\x01\x07\x0b\x1f end",
    "line\nbreak\r\nand\rreturn",
    "\ufffe\uffff odd",
    "Ünïcödé 中文 emoji 🙂",
    "word " * 800,  # long: more than one row
    "x" * 20000,  # longer than put_row writes itself
    "   leading and trailing   ",
]
texts = st.one_of(
    st.sampled_from(_HOSTILE),
    st.text(max_size=60),
    st.text(alphabet=st.characters(max_codepoint=0x3F), max_size=30),
).filter(lambda t: not (t.startswith("<r>") and t.endswith("</r>")))  # escaped since (see
# test_shared_strings): the plain path wrote such a text as markup
values = st.one_of(
    st.none(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)),
    texts,
)


class Drawn:
    """The texts, values and choices of a consolidation, drawn by hypothesis."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def text(self) -> str:
        return str(self.data.draw(texts))

    def value(self) -> object:
        return self.data.draw(values)

    def integer(self, lo: int, hi: int) -> int:
        return int(self.data.draw(st.integers(lo, hi)))

    def choice(self, options: list[Any]) -> Any:
        return self.data.draw(st.sampled_from(options))


class InTurn(Drawn):
    """Every hostile text and kind of value in turn (a long round, the same every run)."""

    def __init__(self) -> None:
        self.k = 0

    def _next(self) -> int:
        self.k += 1
        return self.k

    def text(self) -> str:
        return _HOSTILE[self._next() % len(_HOSTILE)]

    def value(self) -> object:
        k = self._next()
        return (
            [None, 7, 2.5, -0.0, 1e300, True, dt.date(2026, 8, 1), 10**17 + 1][k % 8]
            if k % 3
            else self.text()
        )

    def integer(self, lo: int, hi: int) -> int:
        return lo + self._next() % (hi - lo + 1)

    def choice(self, options: list[Any]) -> Any:
        return options[self._next() % len(options)]


def _consolidation(plan: Plan, n: int, draw: Drawn) -> Consolidation:
    base = at("2026-10-01")
    subs = []
    for k in range(n):
        inst = ("kp", "mlsw", "mest", "moj")[k % 4]
        name = f"{inst}-{k:03d}-{draw.text()[:40]}.xlsx".replace("/", "_")
        if draw.integer(0, 9) == 0:
            subs.append(refused(name, "not-a-workbook", draw.text(), sender=draw.text()))
            continue
        vals = (
            {("A1.1.1", "I1", end): draw.value() for end in (JUL, AUG, SEP)}
            if inst in ("kp", "mlsw")
            else {}
        )
        acts = {
            code: {
                "status": draw.choice([None, 1, 2, 3, 4]),
                "rating_hy": draw.choice([None, 1, 2, 3]),
                "comment": draw.choice([None, draw.text()]),
            }
            for code in {"kp": ["A1.1.1", "A2.1.3"], "mlsw": ["A1.1.1"]}.get(inst, [])
        }
        probs = [
            problem("fraction-on-count", draw.text(), "SO1", 5, "H")
            for _ in range(draw.integer(0, 2))
        ]
        subs.append(
            ret(
                plan,
                inst,
                name,
                values=vals,
                acts=acts,
                arrived=base + dt.timedelta(days=draw.integer(0, 40), minutes=k),
                problems=probs,
            )
        )
    return consolidate(plan, subs, Q3, dt.date(2026, 11, 1))


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), n=st.integers(0, 90))
def test_the_pack_is_the_same_bytes_as_the_plain_path(
    data: st.DataObject, n: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = _consolidation(small_plan(), n, Drawn(data))
    both(con, tmp_path, monkeypatch)


def test_a_long_round_of_hostile_texts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past several write-outs of the long sheets, every hostile text in every place."""
    con = _consolidation(small_plan(), 240, InTurn())
    assert len(con.flags) > 300 and len(con.submissions) == 240
    by_cell: list[int] = []
    cell_by_cell = StreamedSheet._cell_by_cell

    def spy(ws: StreamedSheet, row: int, *args: Any) -> None:
        by_cell.append(row)
        cell_by_cell(ws, row, *args)

    monkeypatch.setattr(StreamedSheet, "_cell_by_cell", spy)
    got = both(con, tmp_path, monkeypatch)
    sheets = b"".join(v for k, v in got.items() if k.startswith("xl/worksheets/sheet"))
    assert sheets.count(b"<row ") > 600
    assert 0 < len(by_cell) < 100  # both ways: most rows given whole, a few cell by cell
    strings = got["xl/sharedStrings.xml"]
    for text in (b"=SUM(A1:A9)", b"a &lt; b &amp; c &gt; d", b"_x005F_x0041_", b"_x0000_"):
        assert text in strings  # each kind of hostile text reached the pack, as a text
