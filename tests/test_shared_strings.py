"""The report workbooks' shared strings (``shared_strings``) are the bytes xlsxwriter
writes, for any texts: markup, control characters and non-characters, ``_xHHHH_``
look-alikes, white space at either end, texts that look like rich text."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st
from xlsxwriter.sharedstrings import SharedStrings, SharedStringTable

from mne_workbook.shared_strings import Workbook, _Strings

_PIECES = st.sampled_from(
    [
        *"ab _x0A1F<>&\"'\n\r\t\x00\x01\x1f\x85\xa0\u2028\ufffe\uffff",
        *["<r>", "</r>", "_x0041_", "_x005F_", "_xABCD_", "_x12g4_"],
    ]
)
_TEXTS = st.one_of(st.text(), st.lists(_PIECES, max_size=12).map("".join))


def _written(writer: type[SharedStrings], texts: list[str]) -> str:
    table = SharedStringTable()
    for text in texts:
        table._get_shared_string_index(text)
    table._sort_string_data()
    sst = writer()
    sst.string_table = table
    sst.fh = io.StringIO()
    sst._assemble_xml_file()
    return str(sst.fh.getvalue())


@settings(max_examples=500, deadline=None)
@given(st.lists(_TEXTS, max_size=20))
def test_the_same_xml_as_xlsxwriter(texts: list[str]) -> None:
    assert _written(_Strings, texts) == _written(SharedStrings, texts)


def test_a_workbook_writes_its_strings_through_it(tmp_path: Path) -> None:
    """The whole file is the same; the strings part is written (not left out)."""
    texts = ["plain", " lead", "a&b<c>", "\x07", "_x0041_", "<r>x</r>", "plain"]
    for cls, name in ((Workbook, "fast.xlsx"), (xlsxwriter.Workbook, "plain.xlsx")):
        wb = cls(str(tmp_path / name))
        ws = wb.add_worksheet()
        for r, text in enumerate(texts):
            ws.write_string(r, 0, text)
        wb.close()
    with (
        zipfile.ZipFile(tmp_path / "fast.xlsx") as a,
        zipfile.ZipFile(tmp_path / "plain.xlsx") as b,
    ):
        names = [n for n in a.namelist() if n != "docProps/core.xml"]
        assert "xl/sharedStrings.xml" in names
        assert {n: a.read(n) for n in names} == {n: b.read(n) for n in names}
        assert b"a&amp;b&lt;c&gt;" in a.read("xl/sharedStrings.xml")
