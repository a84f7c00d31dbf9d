"""Workbook structure protection, which xlsxwriter has no call for.

:class:`ProtectedWorkbook` writes ``<workbookProtection lockStructure="1"/>`` into
``xl/workbook.xml`` as xlsxwriter assembles it, right before ``<bookViews>`` where the
schema wants it (no second pass over the finished file). It only guides honest users
(Excel refuses to add, delete, rename or unhide sheets); LibreOffice drops it on save,
and the reader never relies on it.
"""

from __future__ import annotations

from typing import Any

from .shared_strings import Workbook  # texts never written as markup


def legacy_password_hash(password: str) -> str:
    """The 16-bit password verifier of ECMA-376 Part 1, 18.2.29 (as 4 hex digits).

    Characters are folded in from the last to the first: the running value is rotated
    left by one bit within 15 bits and XOR-ed with the character code; finally the
    length and the constant 0xCE4B are XOR-ed in.
    """
    value = 0
    for ch in reversed(password):
        value = ((value << 1) & 0x7FFF) | (value >> 14 & 1)
        value ^= ord(ch)
    value = ((value << 1) & 0x7FFF) | (value >> 14 & 1)
    value ^= len(password) ^ 0xCE4B
    return f"{value:04X}"


def protection_attributes(password: str | None) -> list[tuple[str, str]]:
    """The attributes of ``<workbookProtection>``: structure locked, and the password's
    verifier when there is one."""
    attrs = [("lockStructure", "1")]
    if password:
        attrs.append(("workbookPassword", legacy_password_hash(password)))
    return attrs


class ProtectedWorkbook(Workbook):
    """An xlsxwriter Workbook whose structure is protected (``password`` optional), its
    texts written as texts (:mod:`shared_strings`: a plan text shaped like ``<r>...</r>``
    is not taken for rich text)."""

    def __init__(self, filename: str, options: dict[str, Any], password: str | None) -> None:
        super().__init__(filename, options)
        self._structure_protection = protection_attributes(password)

    def _write_book_views(self) -> None:
        self._xml_empty_tag("workbookProtection", self._structure_protection)
        super()._write_book_views()
