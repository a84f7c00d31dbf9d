"""The gate a returned file passes before any parser sees it.

Returns arrive by e-mail and are untrusted. This module reads only the first bytes
and the zip directory: it refuses what is not a plain ``.xlsx`` (old ``.xls``,
encrypted, macro-enabled, renamed CSV or PDF, truncated archives) and archives whose
size or member count passes the limits, each with its own coded message.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import Location, Problem

CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # OLE compound file: .xls or encrypted OOXML
ZIP_MAGIC = b"PK\x03\x04"
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


#: Default seconds reading one file may take (see :mod:`parallel`). Measured
#: (benchmarks/hardening.py, 2 cores at load 7): the slowest honest file we can build,
#: the master of a 10,000-indicator plan (1 MB), reads in 3 s CPU / 5 s wall; a real
#: return in 0.1 s. A stalling file is stopped after 8 s, so it costs under 10 s.
DEFAULT_TIMEOUT = 8.0


@dataclass(frozen=True)
class Limits:
    """Caps for one returned file; the defaults are far above any real return."""

    max_file_bytes: int = 20 * 1024 * 1024
    max_total_uncompressed: int = 200 * 1024 * 1024
    max_member_uncompressed: int = 100 * 1024 * 1024
    max_members: int = 2000


def _refuse(code: str, message: str, path: Path) -> Problem:
    return Problem(code, message, Location(file=str(path)))


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = head.decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes everything
            return False
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return printable >= 0.95 * max(1, len(text))


def inspect_file(path: Path, limits: Limits) -> Problem | None:
    """The reason to refuse ``path`` unread, or None when it may be parsed."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        return _refuse("file-unreadable", f"cannot read the file: {exc.strerror}", path)
    if size == 0:
        return _refuse("file-empty", "the file is empty (0 bytes)", path)
    if size > limits.max_file_bytes:
        return _refuse(
            "file-too-large",
            f"{size:,} bytes; the limit is {limits.max_file_bytes:,}",
            path,
        )
    if head.startswith(CFB_MAGIC):
        with path.open("rb") as fh:
            body = fh.read(min(size, 4 * 1024 * 1024))
        if ENCRYPTION_STREAM in body:
            return _refuse(
                "encrypted-workbook",
                "this file is password-protected; save it without a password and send it again",
                path,
            )
        return _refuse("legacy-xls", "an Excel 97-2003 (.xls) file, not .xlsx", path)
    if not head.startswith(ZIP_MAGIC):
        if head.startswith(b"%PDF"):
            kind = "a PDF document"
        elif head.startswith(b"{\\rtf"):
            kind = "an RTF document"
        elif _looks_like_text(head):
            kind = "a text or CSV file"
        else:
            kind = "not a spreadsheet"
        return _refuse("not-a-workbook", f"the file is {kind} renamed to .xlsx", path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return _refuse("corrupt-archive", f"the archive cannot be opened ({exc})", path)
    return _check_members(infos, limits, path)


def _check_members(infos: list[zipfile.ZipInfo], limits: Limits, path: Path) -> Problem | None:
    if len(infos) > limits.max_members:
        return _refuse(
            "archive-too-large", f"{len(infos)} parts; the limit is {limits.max_members}", path
        )
    total = 0
    names = set()
    for info in infos:
        total += info.file_size
        names.add(info.filename)
        if info.file_size > limits.max_member_uncompressed:
            return _refuse(
                "archive-too-large",
                f"part {info.filename} unpacks to {info.file_size:,} bytes; the limit is"
                f" {limits.max_member_uncompressed:,}",
                path,
            )
    if total > limits.max_total_uncompressed:
        return _refuse(
            "archive-too-large",
            f"unpacks to {total:,} bytes; the limit is {limits.max_total_uncompressed:,}",
            path,
        )
    lowered = {n.lower() for n in names}
    if any(n.endswith("vbaproject.bin") for n in lowered):
        return _refuse("macro-enabled", "the workbook contains a VBA project (macros)", path)
    if "xl/workbook.xml" not in lowered:
        what = "a Word document" if "word/document.xml" in lowered else "a zip archive"
        return _refuse("not-a-workbook", f"the file is {what}, not an Excel workbook", path)
    if any(n.startswith("xl/externallinks/") for n in lowered):
        return _refuse("unsafe-content", "the workbook has links to external workbooks", path)
    if any(n.startswith("xl/embeddings/") for n in lowered):
        return _refuse("unsafe-content", "the workbook has embedded objects", path)
    return None
