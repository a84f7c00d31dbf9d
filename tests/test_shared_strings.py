"""The report workbooks' shared strings (``shared_strings``) are the bytes xlsxwriter
writes, for any texts (markup, control characters and non-characters, ``_xHHHH_``
look-alikes, white space at either end), except that a text shaped like rich text
(``<r>...</r>``) is escaped as text instead of written as markup."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from unittest import mock
from xml.etree import ElementTree

import openpyxl
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st
from xlsxwriter.sharedstrings import SharedStrings, SharedStringTable
from xlsxwriter.utility import _preserve_whitespace

import mne_workbook.shared_strings as shared_strings
from mne_workbook.report_style import new_workbook
from mne_workbook.shared_strings import Workbook, _Strings

_PIECES = st.sampled_from(
    [
        *"ab _x0A1F<>&\"'\n\r\t\x00\x01\x1f\x85\xa0\u2028\ufffe\uffff",
        *["<r>", "</r>", "_x0041_", "_x005F_", "_xABCD_", "_x12g4_"],
    ]
)
_TEXTS = st.one_of(st.text(), st.lists(_PIECES, max_size=12).map("".join))


def _rich_looking(text: str) -> bool:
    return text.startswith("<r>") and text.endswith("</r>")


class _AsText(SharedStrings):  # type: ignore[misc]
    """xlsxwriter's writer, its rich text branch left out (every text escaped)."""

    def _write_si(self, string: str) -> None:
        string = self._escape_control_characters(string)
        attributes = [("xml:space", "preserve")] if _preserve_whitespace(string) else []
        self._xml_si_element(string, attributes)


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
    """The same as xlsxwriter's writer with every text taken as text; and, for texts
    not shaped like rich text, the same as xlsxwriter's own."""
    assert _written(_Strings, texts) == _written(_AsText, texts)
    plain = [t for t in texts if not _rich_looking(t)]
    assert _written(_Strings, plain) == _written(SharedStrings, plain)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXTS, max_size=20), st.integers(1, 6))
def test_written_batch_by_batch_the_same(texts: list[str], batch: int) -> None:
    """Texts go out a batch at a time (the pack of 10,000 returns joined them all at
    once, 20 MB for a moment): any batch size gives the same XML."""
    with mock.patch.object(shared_strings, "_BATCH", batch):
        assert _written(_Strings, texts) == _written(_AsText, texts)


def test_a_workbook_writes_its_strings_through_it(tmp_path: Path) -> None:
    """The whole file is the same; the strings part is written (not left out)."""
    texts = ["plain", " lead", "a&b<c>", "\x07", "_x0041_", "plain"]
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


def test_a_text_shaped_like_rich_text_stays_that_text(tmp_path: Path) -> None:
    """A return's comment ``<r>...</r>`` (xlsxwriter's raw rich text) is shown as typed:
    the strings part is well-formed and every text reads back exactly, where xlsxwriter
    alone wrote markup (another text shown) or broke the part."""
    texts = [
        "<r><t>shown instead</t></r>",
        "<r></t></si><si><t>injected</r>",
        "<r> spaces & <b>bold</b> </r>",
        "after",
    ]
    wb = new_workbook(tmp_path / "pack.xlsx")
    ws = wb.add_worksheet("S")
    for r, text in enumerate(texts):
        ws.write_string(r, 0, text)
    wb.close()
    with zipfile.ZipFile(tmp_path / "pack.xlsx") as z:
        sst = ElementTree.fromstring(z.read("xl/sharedStrings.xml"))  # well-formed
    assert len(sst) == len(texts)
    back = openpyxl.load_workbook(tmp_path / "pack.xlsx")["S"]
    assert [back.cell(r + 1, 1).value for r in range(len(texts))] == texts

    raw = xlsxwriter.Workbook(str(tmp_path / "raw.xlsx"))
    raw.add_worksheet("S").write_string(0, 0, texts[1])
    raw.close()
    with zipfile.ZipFile(tmp_path / "raw.xlsx") as z:
        assert b"<si><t>injected</r></si>" in z.read("xl/sharedStrings.xml")  # the defect
