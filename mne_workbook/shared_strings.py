"""A report workbook whose shared strings are written at once, and always as text.

xlsxwriter writes each of a workbook's distinct texts (about 6,000 in the pack of 1,000
returns) through two regular expression substitutions, two searches and a few calls. A
text with nothing to escape but ``& < >`` (no control character or non-character, no
``_xHHHH_`` look-alike, no white space at either end) is written here directly as
``<si><t>...</t></si>`` with those three escaped, as xlsxwriter writes it; every other
text goes through xlsxwriter's own escapes.

xlsxwriter writes a text that begins with ``<r>`` and ends with ``</r>`` as it is,
taking it for rich text it made itself: a return's comment of that form went into the
pack as markup (another text shown, or a workbook Excel must repair). The report
workbooks write no rich text, so here every text is escaped. ``tests/test_shared_strings.py``
compares the two writers on any texts.
"""

from __future__ import annotations

import re
from typing import Any

import xlsxwriter
from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings
from xlsxwriter.utility import _preserve_whitespace

#: What xlsxwriter escapes as ``_xHHHH_``: a control character or non-character, and an
#: escape look-alike (its ``_`` escaped).
_ESCAPED = re.compile(r"_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_CONTROL = bytes([*range(0x00, 0x09), *range(0x0B, 0x20)])


def _any_escaped(joined: str) -> bool:
    """Whether any text may hold what ``_ESCAPED`` finds (the texts joined: one pass)."""
    if "_x" in joined or "\ufffe" in joined or "\uffff" in joined:
        return True
    # a control character is a byte below 0x20 in UTF-8, never part of another character
    data = joined.encode("utf-8", "surrogatepass")
    return len(data.translate(None, _CONTROL)) != len(data)


#: texts written per batch: the pack of 10,000 returns holds tens of thousands of texts,
#: and joining them all at once held several copies of them in memory for a moment
_BATCH = 2048


class _Strings(SharedStrings):  # type: ignore[misc]
    def _write_sst_strings(self) -> None:
        me: Any = self
        texts: list[str] = me.string_table.string_array
        for at in range(0, len(texts), _BATCH):  # a batch at a time: little memory
            batch = texts[at : at + _BATCH]
            escaped = _ESCAPED.search if _any_escaped("".join(batch)) else None
            out: list[str] = []
            for text in batch:
                if (
                    text[:1].isspace()  # xml:space="preserve" (xlsxwriter's ^\s and \s$)
                    or text[-1:].isspace()
                    or (escaped is not None and escaped(text))
                ):
                    me.fh.write("".join(out))
                    out.clear()
                    me._write_si(text)
                else:
                    out.append(
                        "<si><t>"
                        + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                        + "</t></si>"
                    )
            me.fh.write("".join(out))

    def _write_si(self, string: str) -> None:
        """xlsxwriter's ``<si>`` without its rich text: ``<r>...</r>`` is a text too."""
        me: Any = self
        string = me._escape_control_characters(string)
        attributes = [("xml:space", "preserve")] if _preserve_whitespace(string) else []
        me._xml_si_element(string, attributes)


class _Packager(Packager):  # type: ignore[misc]
    def _write_shared_strings_file(self) -> None:
        me: Any = self
        if not me.workbook.str_table.count:
            return
        sst = _Strings()
        sst.string_table = me.workbook.str_table
        sst._set_xml_writer(me._filename("xl/sharedStrings.xml"))
        sst._assemble_xml_file()


class Workbook(xlsxwriter.Workbook):  # type: ignore[misc]
    """xlsxwriter's workbook, its shared strings written by :class:`_Strings`: at once,
    and never as markup."""

    def _get_packager(self) -> Packager:
        return _Packager()
