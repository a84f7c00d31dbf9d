"""Workbook structure protection, which xlsxwriter does not write.

The ``<workbookProtection lockStructure="1"/>`` element is added to ``xl/workbook.xml``
of a finished file. It only guides honest users (Excel refuses to add, delete, rename
or unhide sheets); LibreOffice drops it on save, and the reader never relies on it.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from .atomic import temp_path


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


def protection_element(password: str | None) -> str:
    attrs = 'lockStructure="1"'
    if password:
        attrs += f' workbookPassword="{legacy_password_hash(password)}"'
    return f"<workbookProtection {attrs}/>"


def lock_structure(path: Path, password: str | None = None) -> None:
    """Rewrite ``path`` in place with workbook structure protection."""
    element = protection_element(password).encode("ascii")
    tmp = str(temp_path(path.parent, ".xlsx"))
    try:
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w") as dst:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename == "xl/workbook.xml":
                    data = _insert(data, element)
                dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _insert(xml: bytes, element: bytes) -> bytes:
    """Place the element where the schema wants it: right before <bookViews>."""
    if b"<workbookProtection" in xml:
        return xml
    marker = b"<bookViews>"
    if marker not in xml:
        raise ValueError("xl/workbook.xml has no <bookViews>")
    return xml.replace(marker, element + marker, 1)
