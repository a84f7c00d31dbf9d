"""The gate a returned file passes before any parser sees it.

Returns arrive by e-mail and are untrusted. This module reads only the first bytes
and the zip directory: it refuses what is not a plain ``.xlsx`` (old ``.xls``,
encrypted, macro-enabled, renamed CSV or PDF, truncated archives) and archives whose
size or member count passes the limits, each with its own coded message.
"""

from __future__ import annotations

import io
import re
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
        return _refuse(*_ole_kind(body, path), path)
    if not head.startswith(ZIP_MAGIC):
        return _refuse(*classify_other(head, path), path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            mimetype = _mimetype(zf, infos)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return _refuse("corrupt-archive", f"the archive cannot be opened ({exc})", path)
    return _check_members(infos, limits, path, mimetype)


def read_passed(path: Path, limits: Limits) -> tuple[bytes, zipfile.ZipFile] | None:
    """``path``'s bytes and its zip opened from them, when the gate passes it, read and
    parsed once for both the gate and the reader; None when it does not pass or anything
    at all goes differently (the caller then runs :func:`inspect_file` from the disk,
    which gives each refusal and message exactly as before, and reads the bytes itself).

    Only a passing file is answered here: the same zip directory parsed from the same
    bytes in memory gives the same members, and a failure in memory (where a seek error
    differs from the disk's) is never reported from here."""
    zf = None
    try:
        size = path.stat().st_size
        if size == 0 or size > limits.max_file_bytes:
            return None
        data = path.read_bytes()
        if len(data) != size or not data.startswith(ZIP_MAGIC):
            return None  # (a file that changed while read: the gate reads it again)
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
        if _check_members(infos, limits, path, _mimetype(zf, infos)) is not None:
            zf.close()
            return None
        return data, zf
    except Exception:  # the gate from the disk answers (see above)
        if zf is not None:
            zf.close()
        return None


def _named(path: Path) -> str:
    """ ", although it is named .xlsx" when the name pretends to be a workbook."""
    return ", although it is named .xlsx" if path.suffix.lower() == ".xlsx" else ""


def _ole_kind(body: bytes, path: Path) -> tuple[str, str]:
    """An OLE compound file: Excel 97-2003, Word 97-2003 or an Outlook message."""

    def has(stream: str) -> bool:
        return stream.encode("utf-16-le") in body

    if has("WordDocument"):
        return "not-a-workbook", (
            f"a Word 97-2003 document{_named(path)}; send the .xlsx workbook you received"
        )
    if has("__substg1.0_"):
        return "email-file", (
            f"a saved Outlook message (.msg){_named(path)}; save its .xlsx attachment into"
            " the inbox"
        )
    return "legacy-xls", (
        f"an Excel 97-2003 (.xls) workbook{_named(path)}: open it and save as Excel"
        " 2007-365 (.xlsx)"
    )


_IMAGES = (
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
)
_MAIL_HEADERS = re.compile(
    rb"^(?:received|return-path|from|to|subject|date|message-id|mime-version|delivered-to"
    rb"|x-[a-z-]+|dkim-signature|authentication-results|content-type):",
    re.I | re.M,
)


def classify_other(head: bytes, path: Path) -> tuple[str, str]:
    """The code and words for a file that is neither a zip nor an OLE file: what it is,
    judged by its first bytes (never by its name), and what to do."""
    for magic, kind in _IMAGES:
        if head.startswith(magic):
            return "image-file", f"a {kind} picture{_named(path)}; send the .xlsx workbook"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1") or (
        head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    ):
        return "image-file", f"a photo (HEIC/WebP){_named(path)}; send the .xlsx workbook"
    if head.startswith(b"%PDF"):
        return "not-a-workbook", (
            f"a PDF document{_named(path)}: a PDF cannot be read back; send the .xlsx workbook"
        )
    if head.startswith(b"{\\rtf"):
        return "not-a-workbook", f"an RTF document{_named(path)}; send the .xlsx workbook"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    low = text[:512].lower()
    if low.startswith(b"<?xml") or low.startswith(b"<"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
            what = "an Excel 2003 XML spreadsheet"
        elif b"opendocument" in head or b"office:document" in head:
            return "opendocument-spreadsheet", (
                f"a flat OpenDocument file (.fods){_named(path)}: open it and save as Excel"
                " 2007-365 (.xlsx)"
            )
        elif b"<html" in low or b"<!doctype html" in low or b"<table" in low:
            what = "a web page (HTML), perhaps a spreadsheet saved as a web page"
        else:
            what = "an XML file"
        return "not-a-workbook", (
            f"{what}{_named(path)}: open the workbook you received, fill it and save it as"
            " Excel 2007-365 (.xlsx)"
        )
    if _looks_like_text(head):
        if len(_MAIL_HEADERS.findall(head)) >= 2:
            return "email-file", (
                f"a saved e-mail (.eml){_named(path)}; save its .xlsx attachment into the inbox"
            )
        first = text.split(b"\n", 1)[0]
        delim = any(first.count(d) >= 1 for d in (b",", b";", b"\t"))
        what = "a CSV file (values only)" if delim else "a text file"
        return "not-a-workbook", (
            f"{what}{_named(path)}: the data left its workbook; fill the .xlsx workbook you"
            " received and send it back"
        )
    return "not-a-workbook", (
        f"not a spreadsheet (unknown file type){_named(path)}; send the .xlsx workbook you received"
    )


def _mimetype(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> str:
    """The OpenDocument ``mimetype`` member (small, stored first), if any."""
    for info in infos[:3]:
        if info.filename == "mimetype" and info.file_size <= 200:
            return zf.read(info).decode("ascii", "replace").strip()
    return ""


def _check_members(
    infos: list[zipfile.ZipInfo], limits: Limits, path: Path, mimetype: str = ""
) -> Problem | None:
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
        return _refuse(*_zip_kind(mimetype, names, path), path)
    if any(n.startswith("xl/externallinks/") for n in lowered):
        return _refuse("unsafe-content", "the workbook has links to external workbooks", path)
    if any(n.startswith("xl/embeddings/") for n in lowered):
        return _refuse("unsafe-content", "the workbook has embedded objects", path)
    return None


def _zip_kind(mimetype: str, names: set[str], path: Path) -> tuple[str, str]:
    """What a zip that is not an Excel workbook is, and what to do with it."""
    lowered = {n.lower() for n in names}
    if mimetype.startswith("application/vnd.oasis.opendocument.spreadsheet"):
        return "opendocument-spreadsheet", (
            f"an OpenDocument spreadsheet (.ods){_named(path)}: open it and save as Excel"
            " 2007-365 (.xlsx)"
        )
    if mimetype.startswith("application/vnd.oasis.opendocument"):
        return "not-a-workbook", (
            f"an OpenDocument text or presentation{_named(path)}; send the .xlsx workbook"
        )
    if "word/document.xml" in lowered:
        return "not-a-workbook", (
            f"a Word document (.docx){_named(path)}; send the .xlsx workbook you received"
        )
    if any(n.startswith("ppt/") for n in lowered):
        return "not-a-workbook", f"a PowerPoint file{_named(path)}; send the .xlsx workbook"
    inside = sorted(n.rsplit("/", 1)[-1] for n in names if n.lower().endswith(".xlsx"))
    held = f" holding {', '.join(inside[:5])}" if inside else ""
    return "zip-archive", (
        f"a zip archive{held}{_named(path)}: unzip it and put the .xlsx workbook in the inbox"
    )
