"""Parse a returned .xlsx with the standard library: what the reader needs, no more.

Each part is read from the zip (the gate has bounded every member's size) and parsed
by ElementTree's C parser; a sheet or shared-string part larger than :data:`TREE_LIMIT`
is streamed in 64 KB chunks, its elements cleared as they end. Every chunk passes an
expat guard first that refuses what defusedxml refuses: an entity declaration or an
external reference (XML bombs, XXE). Both can only come before the root element, so no
declaration ever reaches the parser. No cell is ever evaluated (a formula is its text).

What it gives, as openpyxl's read-only mode gave it (the reader's reference until
issue 17): the sheet list (with visibility), core properties (created, modified),
custom properties, global defined names, and each sheet's rows as lists of
:class:`Cell` (value typed by the cell's type and number format, ``data_type`` ``"f"``
for a formula, ``number_format`` the cell's format code). Where openpyxl was wrong, this
module is right, and ``tests/test_reader_differential.py`` names each such case:

- a shared string's ``_xHHHH_`` escapes are left for :func:`values.decode_text` to
  decode, once (openpyxl also dropped every ``x005F_``, decoding ``_x005F_x0041_``,
  an escaped literal ``_x0041_``, twice);
- a missing created or modified time is None (openpyxl put in the time of reading);
- an array or data-table formula reads as its text (openpyxl gave an object whose
  text was its memory address);
- a file is read by what it holds, whatever its name ends with (openpyxl refused
  names not ending in .xlsx/.xlsm/.xltx/.xltm);
- only the attributes the reader uses are checked (openpyxl refused a file over a
  malformed attribute it modelled but we never use).

A shared formula's later cells show the first cell's text moved to them, by openpyxl's
formula translator (imported only then).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Hashable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from xml.etree.ElementTree import Element, XMLParser, XMLPullParser
from xml.etree.ElementTree import ParseError as XmlParseError
from xml.parsers import expat

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_DCTERMS = "http://purl.org/dc/terms/"
_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"

_WORKBOOK_TYPES = (  # in the order openpyxl looked for them
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
)
_SHARED_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
CHUNK = 64 * 1024
T = TypeVar("T")
TREE_LIMIT = 4 * 1024 * 1024  # a part up to this size is parsed whole, a larger one streamed
KEEP_LIMIT = 1024 * 1024  # a sheet up to this size is read once, on opening, and kept
KEEP_TOTAL = 8 * 1024 * 1024  # ... up to this much in all

# the built-in number formats of ECMA-376 Part 1, 18.8.30 (ids without a code are General)
BUILTIN_FORMATS: dict[int, str] = {
    0: "General",
    1: "0",
    2: "0.00",
    3: "#,##0",
    4: "#,##0.00",
    5: '"$"#,##0_);("$"#,##0)',
    6: '"$"#,##0_);[Red]("$"#,##0)',
    7: '"$"#,##0.00_);("$"#,##0.00)',
    8: '"$"#,##0.00_);[Red]("$"#,##0.00)',
    9: "0%",
    10: "0.00%",
    11: "0.00E+00",
    12: "# ?/?",
    13: "# ??/??",
    14: "mm-dd-yy",
    15: "d-mmm-yy",
    16: "d-mmm",
    17: "mmm-yy",
    18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM",
    20: "h:mm",
    21: "h:mm:ss",
    22: "m/d/yy h:mm",
    37: "#,##0_);(#,##0)",
    38: "#,##0_);[Red](#,##0)",
    39: "#,##0.00_);(#,##0.00)",
    40: "#,##0.00_);[Red](#,##0.00)",
    41: '_(* #,##0_);_(* \\(#,##0\\);_(* "-"_);_(@_)',
    42: '_("$"* #,##0_);_("$"* \\(#,##0\\);_("$"* "-"_);_(@_)',
    43: '_(* #,##0.00_);_(* \\(#,##0.00\\);_(* "-"??_);_(@_)',
    44: '_("$"* #,##0.00_)_("$"* \\(#,##0.00\\)_("$"* "-"??_)_(@_)',
    45: "mm:ss",
    46: "[h]:mm:ss",
    47: "mmss.0",
    48: "##0.0E+0",
    49: "@",
}
_BUILTIN_IDS = {code: i for i, code in BUILTIN_FORMATS.items()}
CUSTOM_BASE = 164  # custom format ids start here

WINDOWS_EPOCH = dt.datetime(1899, 12, 30)
MAC_EPOCH = dt.datetime(1904, 1, 1)


class EntitiesForbidden(ValueError):
    """An XML part declares entities (an XML bomb or an external entity)."""


class ExternalReferenceForbidden(ValueError):
    """An XML part refers to something outside the file."""


class ParseError(ValueError):
    """An XML part is not well-formed; the message is expat's, with the part's name."""


# --------------------------------------------------------------------------- cells


class Cell:
    """One stored cell: its typed value, type code and number format (read lazily)."""

    __slots__ = ("_style_id", "_styles", "data_type", "value")

    def __init__(self, value: Any, data_type: str, style_id: Any, styles: Styles) -> None:
        self.value = value
        self.data_type = data_type
        self._style_id = style_id
        self._styles = styles

    @property
    def number_format(self) -> str:
        return self._styles.number_format(self._style_id)

    def __repr__(self) -> str:
        return f"Cell({self.value!r}, {self.data_type!r})"


class EmptyCell:
    """A position between stored cells."""

    __slots__ = ()
    value = None
    data_type = "n"
    number_format = None


EMPTY = EmptyCell()
BLANK = EMPTY  # a stored cell without value or formula reads exactly as a position between


# --------------------------------------------------------------------------- number formats

_LITERAL_OR_LOCALE = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_LETTER = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_ELAPSED = re.compile(r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.I)


def is_date_format(fmt: str | None) -> bool:
    """Does the first section of ``fmt`` show a number as a date or time?"""
    if fmt is None:
        return False
    return _DATE_LETTER.search(_LITERAL_OR_LOCALE.sub("", fmt.split(";")[0])) is not None


def is_elapsed_format(fmt: str | None) -> bool:
    """Does ``fmt`` show elapsed time (``[h]:mm``), a duration rather than a date?"""
    return fmt is not None and _ELAPSED.search(fmt.split(";")[0]) is not None


class Styles:
    """The number format of each cell style (``cellXfs``) and which are dates."""

    def __init__(self, xf_formats: list[int], custom: dict[int, str]) -> None:
        self._ids: list[int] = []  # per style: built-in id, or CUSTOM_BASE + index
        self._custom: list[str] = []
        self.dates: set[int] = set()
        self.elapsed: set[int] = set()
        for idx, fid in enumerate(xf_formats):
            if fid in custom:
                fmt: str | None = custom[fid]
                assert fmt is not None
                if fmt in _BUILTIN_IDS:
                    fid = _BUILTIN_IDS[fmt]
                else:
                    if fmt not in self._custom:
                        self._custom.append(fmt)
                    fid = self._custom.index(fmt) + CUSTOM_BASE
            else:
                fmt = BUILTIN_FORMATS.get(fid)
            if is_date_format(fmt):
                self.dates.add(idx)
            if is_elapsed_format(fmt):
                self.elapsed.add(idx)
            self._ids.append(fid)
        self._cache: dict[Any, str] = {}

    def number_format(self, style_id: Any) -> str:
        got = self._cache.get(style_id)
        if got is None:
            fid = self._ids[style_id]  # IndexError / TypeError: a style that does not exist
            if fid < CUSTOM_BASE:
                got = BUILTIN_FORMATS.get(fid, "General")
            else:
                got = self._custom[fid - CUSTOM_BASE]
            self._cache[style_id] = got
        return got


DEFAULT_STYLES = Styles([0], {})


# --------------------------------------------------------------------------- values


def from_serial(value: float, epoch: dt.datetime, elapsed: bool) -> object:
    """An Excel serial number as a date, a time, a date and time, or a duration.

    Day 60 of the 1900 system is the 29 February 1900 that never was (Lotus's leap
    year bug, kept by Excel): days before it are shifted by one; the 1904 system has no
    such day. A fraction is rounded to the millisecond."""
    if elapsed:
        td = dt.timedelta(days=value)
        if td.microseconds:
            td = dt.timedelta(
                seconds=td.total_seconds() // 1, microseconds=round(td.microseconds, -3)
            )
        return td
    day, fraction = divmod(value, 1)
    diff = dt.timedelta(milliseconds=round(fraction * 86400 * 1000))
    if 0 <= value < 1 and diff.days == 0:
        minutes, seconds = divmod(diff.seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return dt.time(hours, minutes, seconds, diff.microseconds)
    if 0 < value < 60 and epoch == WINDOWS_EPOCH:
        day += 1
    return epoch + dt.timedelta(days=day) + diff


_ISO = re.compile(
    r"(?P<date>(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2}))?T?"
    r"(?P<time>(?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(:(?P<second>\d{2})(?P<fraction>\.\d{1,3})?)?)?Z?"
)
_DURATION = re.compile(r"PT((?P<hours>\d+)H)?((?P<minutes>\d+)M)?((?P<seconds>\d+(\.\d{1,3})?)S)?")


def from_iso(text: str | None) -> object:
    """An ISO 8601 date, time, date-time (a zone is ignored) or PT duration."""
    if not text:
        return None
    m = _ISO.match(text)
    if m and any(m.groups()):
        n = {k: int(m.group(k) or 0) for k in ("year", "month", "day", "hour", "minute", "second")}
        micro = int(float(m.group("fraction")) * 1_000_000) if m.group("fraction") else 0
        if not m.group("date"):
            return dt.time(n["hour"], n["minute"], n["second"], micro)
        if not m.group("time"):
            return dt.date(n["year"], n["month"], n["day"])
        return dt.datetime(
            n["year"], n["month"], n["day"], n["hour"], n["minute"], n["second"], micro
        )
    d = _DURATION.match(text)
    if d and any(d.groups()):
        parts = {k: float(v) for k, v in d.groupdict().items() if v}
        return dt.timedelta(**parts)
    raise ValueError(f"Invalid datetime value {text}")


def _number(text: str) -> int | float:
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


_COLUMNS: dict[str, int] = {}
_REFS: dict[str, int] = {}  # whole references seen before (the returns of a round share them)
_DIGITS = "0123456789"


def column_index(coordinate: str) -> int:
    """The 1-based column of a cell reference such as ``B12`` (ValueError if not one)."""
    got = _REFS.get(coordinate)
    if got is None:
        got = _column_index(coordinate)
        if len(_REFS) >= 100_000:
            _REFS.clear()
        _REFS[coordinate] = got
    return got


def _column_index(coordinate: str) -> int:
    letters = coordinate.rstrip(_DIGITS)
    if len(letters) < len(coordinate):
        got = _COLUMNS.get(letters)  # letters only, seen before: the common case
        if got is not None:
            return got
    idx = 0
    for idx, ch in enumerate(coordinate):  # noqa: B007  (the index after the loop is used)
        if ch.isdigit() and ch.isascii():
            break
    letters, row = coordinate[:idx], coordinate[idx:]
    int(row)
    got = _COLUMNS.get(letters)
    if got is None:
        n = 0
        for ch in letters.upper() if len(letters) <= 3 else "?":
            if not ("A" <= ch <= "Z"):
                n = 0
                break
            n = n * 26 + ord(ch) - 64
        if not 0 < n < 18279:
            raise ValueError(
                f"'{letters}' is not a valid column name. Column names are from A to ZZZ"
            )
        got = _COLUMNS[letters] = n
    return got


# --------------------------------------------------------------------------- expat


class _Stop(Exception):
    """Internal: the guard has seen the root element (no declaration can follow)."""


def _no_entities(*_: Any) -> None:
    raise EntitiesForbidden("the XML declares entities")


def _no_external(*_: Any) -> Any:
    raise ExternalReferenceForbidden("the XML refers to an external entity")


def _stop(*_: Any) -> None:
    raise _Stop


def _refusing(namespace_separator: str | None = None) -> Any:
    """An expat parser that refuses what defusedxml refuses: an entity declaration, an
    external reference."""
    p = expat.ParserCreate(namespace_separator=namespace_separator)
    p.EntityDeclHandler = _no_entities
    p.UnparsedEntityDeclHandler = _no_entities
    p.ExternalEntityRefHandler = _no_external
    return p


def _guard() -> Any:
    """A refusing parser that stops at the root element: declarations come before it."""
    p = _refusing()
    p.StartElementHandler = _stop
    return p


def _chunks(zf: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    """The member ``name`` in chunks, each read by the guard before it is handed on, so
    no declaration reaches a parser (the guard stops once the root element starts)."""
    guard: Any = _guard()
    with zf.open(name) as fh:
        while chunk := fh.read(CHUNK):
            if guard is not None:
                try:
                    guard.Parse(chunk, False)
                except _Stop:
                    guard = None
            yield chunk
    if guard is not None:
        guard.Parse(b"", True)


def _events(zf: zipfile.ZipFile, name: str) -> Iterator[Element]:
    """Each element of the member ``name`` as it ends, streamed in guarded chunks through
    ElementTree's C parser (a part that is not well-formed raises :class:`ParseError`)."""
    pull: XMLPullParser[Any] = XMLPullParser(("end",))
    try:
        for chunk in _chunks(zf, name):
            pull.feed(chunk)
            for event in pull.read_events():
                yield event[1]  # type: ignore[misc]
        pull.close()
        for event in pull.read_events():
            yield event[1]  # type: ignore[misc]
    except (expat.ExpatError, XmlParseError) as exc:
        raise ParseError(f"{exc} (in {name})") from None


def _tree(zf: zipfile.ZipFile, name: str) -> Element:
    """A part as an element tree (its root), built by ElementTree's C parser from
    guarded chunks."""
    parser = XMLParser()
    try:
        for chunk in _chunks(zf, name):
            parser.feed(chunk)
        root: Element = parser.close()
        return root
    except (expat.ExpatError, XmlParseError) as exc:
        raise ParseError(f"{exc} (in {name})") from None


def _plain_member(zf: zipfile.ZipFile, name: str, data: bytes) -> bytes | None:
    """What ``zf.read(name)`` gives, taken straight from ``data`` (the bytes ``zf`` was
    opened from) when the member is plain: stored or deflated, not encrypted, its local
    header whole and naming it, its compressed bytes all there, and its content exactly
    its stated size and CRC, the deflate stream ending there. None for anything else:
    ``zf.read`` then gives the content, or its error, exactly as before."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    off, size = info.header_offset, info.compress_size
    if info.flag_bits & 0x61 or info.compress_type not in (0, 8) or off < 0 or size < 0:
        return None  # (encrypted, patched or strongly encrypted; another method)
    head = data[off : off + 30]
    if len(head) != 30 or head[:4] != b"PK\x03\x04":
        return None
    flags, name_len, extra_len = (
        struct.unpack_from("<H", head, 6)[0],
        *struct.unpack_from("<HH", head, 26),
    )
    try:  # the name in the local header, decoded as zipfile decodes it
        local = data[off + 30 : off + 30 + name_len].decode("utf-8" if flags & 0x800 else "cp437")
    except UnicodeDecodeError:
        return None
    if local != info.orig_filename:
        return None
    start = off + 30 + name_len + extra_len
    end = getattr(info, "_end_offset", None)  # (a newer zipfile refuses overlapping members)
    if end is not None and start + size > end:
        return None
    raw = data[start : start + size]
    if len(raw) != size:
        return None
    if info.compress_type == 0:
        out = raw
    else:
        key = (raw, info.file_size, info.CRC)
        known = _INFLATED.get(key)
        if known is not None:
            return known  # (these very deflated bytes, inflated and checked before)
        inflate = zlib.decompressobj(-15)
        try:
            out = inflate.decompress(raw, info.file_size + 1)  # never more than it says + 1
        except zlib.error:
            return None
        if not inflate.eof:
            return None
        if len(out) != info.file_size or zlib.crc32(out) != info.CRC:
            return None
        if len(out) <= _INFLATE_KEPT and _again(raw):
            if _INFLATED_SIZE[0] + len(raw) + len(out) > _MAX_INFLATED:
                _INFLATED.clear()
                _INFLATED_SIZE[0] = 0
            _INFLATED[key] = out
            _INFLATED_SIZE[0] += len(raw) + len(out)
        return out
    if len(out) != info.file_size or zlib.crc32(out) != info.CRC:
        return None
    return out


#: Deflated members seen again (the styles, workbook, cover sheets... of a round's
#: returns), by their deflated bytes, size and CRC -> their inflated bytes, checked:
#: inflating is a function of the deflated bytes, so the same bytes inflate (and pass
#: the same checks against the same size and CRC) exactly as before. Bounded in bytes.
_INFLATED: dict[tuple[bytes, int, int], bytes] = {}
_INFLATED_SIZE = [0]
_MAX_INFLATED = 4 * 1024 * 1024
_INFLATE_KEPT = 256 * 1024  # a larger member is never kept


def _member(zf: zipfile.ZipFile, name: str, data: bytes | None) -> bytes:
    """``zf.read(name)``; with ``data`` (the bytes ``zf`` was opened from) taken from
    them directly when the member is plain (see :func:`_plain_member`)."""
    if data is not None and FAST_PATH:
        got = _plain_member(zf, name, data)
        if got is not None:
            return got
    return zf.read(name)


def _small(zf: zipfile.ZipFile, name: str) -> bool:
    """Is the part small enough to be held as a tree (rather than streamed)?"""
    return zf.getinfo(name).file_size <= TREE_LIMIT


def warm_up() -> None:
    """Run both parsers once (a parent does it before forking its workers)."""
    guard = _guard()
    with contextlib.suppress(_Stop):
        guard.Parse(b"<a/>", True)
    parser = XMLParser()
    parser.feed(b"<a><b/></a>")
    parser.close()
    column_index("A1")


def _tag(ns: str, local: str) -> str:
    return f"{{{ns}}}{local}"


def rels_path(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _bool(text: str | None) -> bool:
    return (text or "").strip().lower() in ("1", "true")


_T, _R = _tag(MAIN, "t"), _tag(MAIN, "r")


def _string(item: Element) -> str:
    """A string item's text (``si`` or ``is``): its text and its runs' texts, not the
    phonetic guides; the ``_xHHHH_`` escapes are left in (values.decode_text)."""
    plain: str | None = None
    runs = []
    for child in item:
        if child.tag == _T:
            plain = child.text
        elif child.tag == _R:
            text = None
            for part in child:
                if part.tag == _T:
                    text = part.text
            if text is not None:
                runs.append(text)
    return (plain or "") + "".join(runs)


_PARTS: dict[tuple[str, str, bytes], Any] = {}


def _part(
    zf: zipfile.ZipFile,
    name: str,
    parse: Callable[[Element, str], T],
    whole: bytes | None = None,
) -> T:
    """``parse(root, name)`` of a small part, remembered by the part's BLAKE2 digest:
    the workbook, relationships, properties and styles of the returns of one round are
    mostly the same bytes. A result is never changed by its users. ``whole``: the bytes
    ``zf`` was opened from (see :func:`_member`)."""
    return _parsed(_member(zf, name, whole), name, parse)  # bounded by the gate's limit


def _parsed(data: bytes, name: str, parse: Callable[[Element, str], T]) -> T:
    """``parse(root, name)`` of the part ``name`` holding ``data`` (see :func:`_part`)."""
    key = (parse.__name__, name, hashlib.blake2b(data, digest_size=20).digest())
    try:
        got: T = _PARTS[key]
        return got
    except KeyError:
        pass
    got = parse(_tree_of(data, name), name)
    if len(_PARTS) >= 512:
        _PARTS.clear()
    _PARTS[key] = got
    return got


def _tree_of(data: bytes, name: str) -> Element:
    """``data`` as an element tree, through the guard first."""
    guard = _guard()
    parser = XMLParser()
    try:
        with contextlib.suppress(_Stop):
            guard.Parse(data, True)
        parser.feed(data)
        root: Element = parser.close()
        return root
    except (expat.ExpatError, XmlParseError) as exc:
        raise ParseError(f"{exc} (in {name})") from None


def _content_types(root: Element, name: str) -> tuple[str, str | None]:
    """The workbook part and the shared strings part (if any), by content type."""
    overrides = [
        (el.get("ContentType", ""), el.get("PartName", ""))
        for el in root.iter(_tag(_CT, "Override"))
    ]
    defaults = {el.get("ContentType", "") for el in root.iter(_tag(_CT, "Default"))}
    workbook = None
    for kind in _WORKBOOK_TYPES:
        workbook = next((p for c, p in overrides if c == kind), None)
        if workbook:
            break
    if not workbook:
        if not defaults & set(_WORKBOOK_TYPES):
            raise OSError("File contains no valid workbook part")
        workbook = "/xl/workbook.xml"
    strings = next((p for c, p in overrides if c == _SHARED_STRINGS), None)
    return workbook[1:], strings[1:] if strings is not None else None


def _workbook(
    root: Element, name: str
) -> tuple[bool, tuple[tuple[str, str], ...], tuple[tuple[str, str, str], ...]]:
    """The 1904 date system or not, the global defined names and the sheets (name,
    state, relationship id)."""
    rid = _tag(_DOC_REL, "id")
    entries = tuple(
        (el.get("name", ""), el.get("state", "visible"), el.get(rid, ""))
        for el in root.iter(_tag(MAIN, "sheet"))
    )
    pr = root.find(_tag(MAIN, "workbookPr"))
    date1904 = pr is not None and _bool(pr.get("date1904"))
    names: dict[str, str] = {}
    for el in root.iter(_tag(MAIN, "definedName")):
        n = el.get("name", "")
        if el.get("localSheetId") is None and n not in (
            "_xlnm.Print_Titles",
            "_xlnm.Print_Area",
            "_xlnm._FilterDatabase",
        ):
            names[n] = el.text or ""
    return date1904, tuple(names.items()), entries


def _rels(root: Element, name: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (target part, type); targets resolved against the part."""
    out: dict[str, tuple[str, str]] = {}
    parent = posixpath.split(posixpath.dirname(name))[0]
    for el in root.iter(_tag(_PKG_REL, "Relationship")):
        target = el.get("Target", "")
        if el.get("TargetMode") != "External":
            if target.startswith("/"):
                target = target[1:]
            else:
                target = posixpath.normpath(posixpath.join(parent, target))
        out[el.get("Id", "")] = (target, el.get("Type", ""))
    return out


def _core(root: Element, name: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The created and modified times (a zone is ignored)."""
    out: list[dt.datetime | None] = []
    for attr in ("created", "modified"):
        el = root.find(_tag(_DCTERMS, attr))
        out.append(_core_time(el.text if el is not None else None, el is not None))
    return out[0], out[1]


def _core_time(text: str | None, present: bool = True) -> dt.datetime | None:
    """A created or modified time from its element's text (None: no element)."""
    when = from_iso((text or "").strip() or None) if present else None
    if when is not None and not isinstance(when, dt.datetime):
        raise ValueError("Value must be ISO datetime format")
    return when


_CORE = "docProps/core.xml"
#: an element's whole text made of the characters of a time (and nothing else)
_TIME_RUN = re.compile(rb">([0-9T:.Z+-]{1,64})(?=<)")
#: core properties parts seen again, by their bytes with each such text left out (a NUL,
#: which no well-formed part holds, in its place) -> the number of such texts, and where
#: the created and modified times come from: the index of such a text, or (the time,)
#: itself (fixed by the rest). A part with as many such texts and the same rest holds no
#: NUL of its own.
_CORE_FORMS: dict[bytes, tuple[Any, ...]] = {}


def _core_times(zf: zipfile.ZipFile, whole: bytes | None) -> tuple[Any, Any]:
    """``_part(zf, "docProps/core.xml", _core, whole)``: the created and modified times.

    The returns of a round differ in their core properties by their times alone (when
    each was saved), so each such part would be parsed anew. A part whose bytes, outside
    the texts made only of a time's characters, are those of a part read before is that
    part with other such texts: still well-formed (they are plain characters), its
    elements the same, each time in the element it was in. Its times are then read from
    its own texts as :func:`_core` reads them (raising as it raises)."""
    data = _member(zf, _CORE, whole)
    runs: list[bytes] = []

    def left_out(m: re.Match[bytes]) -> bytes:
        runs.append(m.group(1))
        return b">\x00"

    form_key = _TIME_RUN.sub(left_out, data)
    form = _CORE_FORMS.get(form_key)
    if form is not None and form[0] == len(runs):  # (so no NUL of its own: see above)
        created, modified = (
            _core_time(runs[r].decode("ascii")) if type(r) is int else r[0] for r in form[1:]
        )
        return created, modified
    got = _parsed(data, _CORE, _core)  # (as before; raises as before)
    if 0 < len(runs) <= 16 and len(data) <= 64 * 1024 and _again(form_key):
        learnt = _core_form(form_key, len(runs), got)
        if learnt is not None:
            if len(_CORE_FORMS) >= 64:
                _CORE_FORMS.clear()
            _CORE_FORMS[form_key] = learnt
    return got


def _core_form(form_key: bytes, n: int, got: tuple[Any, Any]) -> tuple[Any, ...] | None:
    """Where a core properties part's times come from (see :func:`_core_times`), learnt
    by reading the part with a distinct text in each place (``got``: its times as read);
    None when a time's element holds such a text within a longer one."""
    probes = [f"1900-01-01T00:{k // 60:02d}:{k % 60:02d}" for k in range(n)]
    pieces = form_key.split(b">\x00")
    probe = pieces[0] + b"".join(
        b">" + t.encode("ascii") + piece for t, piece in zip(probes, pieces[1:], strict=True)
    )
    root = _tree_of(probe, _CORE)
    form: list[Any] = []
    for attr, when in zip(("created", "modified"), got, strict=True):
        el = root.find(_tag(_DCTERMS, attr))
        text = el.text if el is not None else None
        if text in probes:
            form.append(probes.index(text))
        elif text is not None and any(t in text for t in probes):
            return None  # (a time's text within a longer text: not remembered)
        else:
            form.append((when,))
    return n, form[0], form[1]


def _custom(root: Element, name: str) -> tuple[tuple[str, object], ...]:
    """The custom properties of known types, as (name, typed value)."""
    vt = "{" + _VT + "}"
    out = []
    for prop in root.findall(_tag(_CUSTOM, "property")):
        kind, text = None, None
        for child in prop:
            if child.tag.startswith(vt):
                kind, text = child.tag[len(vt) :], child.text
        if kind not in _PROP_TYPES:
            continue
        typed = _PROP_TYPES[kind](text or "")
        if prop.get("linkTarget") is not None:
            typed = prop.get("linkTarget")
        out.append((str(prop.get("name")), typed))
    return tuple(out)


def _styles(root: Element, name: str) -> Styles | None:
    """The number formats of the cell styles (None: the part defines no cell style)."""
    custom = {
        int(el.attrib["numFmtId"]): el.get("formatCode", "")
        for el in root.findall(f"{_tag(MAIN, 'numFmts')}/{_tag(MAIN, 'numFmt')}")
    }
    formats = [
        int(el.get("numFmtId", "0"))
        for el in root.findall(f"{_tag(MAIN, 'cellXfs')}/{_tag(MAIN, 'xf')}")
    ]
    return Styles(formats, custom) if formats else None


# --------------------------------------------------------------------------- the workbook


#: Sheet beginnings (the bytes before the first ``<sheetData``) seen again, whose parse
#: by :meth:`Workbook._head` stopped at a dimension's end within them: expat reads a
#: part in order and stops there, so a part beginning with the same bytes stops there
#: again, having found the same (nothing wrong). Bounded: 512, each _HEAD_LIMIT long.
_HEADS: set[bytes] = set()
_HEAD_LIMIT = 16 * 1024


class Sheet:
    """A sheet of the workbook: its name, visibility and zip member."""

    __slots__ = ("chart", "name", "part", "state")

    def __init__(self, name: str, state: str, part: str, chart: bool) -> None:
        self.name, self.state, self.part, self.chart = name, state, part, chart


class Workbook:
    """The parts of one .xlsx the reader needs, parsed on opening except the sheets'
    rows, which :meth:`rows` parses when asked."""

    def __init__(
        self, path: str | Path, data: bytes | None = None, zf: zipfile.ZipFile | None = None
    ) -> None:
        """``data``: the file's bytes when the caller has read them already; ``zf``: the
        zip opened from exactly those bytes (``ZipFile(BytesIO(data))``), to be closed
        with the workbook."""
        self.path = str(path)
        if zf is None:
            zf = zipfile.ZipFile(path if data is None else io.BytesIO(data))
        self._zf = zf
        self._data = data
        try:
            self._load()
        except BaseException:
            self._zf.close()
            raise

    def close(self) -> None:
        self._zf.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- opening: the same parts in the same order as the reference reader

    def _load(self) -> None:
        zf, whole = self._zf, self._data
        self._members = set(zf.namelist())
        workbook_part, strings_part = _part(zf, "[Content_Types].xml", _content_types, whole)
        self.strings: list[str] = []
        if strings_part is not None:
            self.strings = self._shared_strings(strings_part)
        self.date1904, names, entries = _part(zf, workbook_part, _workbook, whole)
        self.defined_names: dict[str, str] = dict(names)  # global names -> their text
        self.created: dt.datetime | None = None
        self.modified: dt.datetime | None = None
        if _CORE in self._members:
            self.created, self.modified = _core_times(zf, whole)
        self.custom: list[tuple[str, object]] = []
        if "docProps/custom.xml" in self._members:
            self.custom = list(_part(zf, "docProps/custom.xml", _custom, whole))
        self.styles = DEFAULT_STYLES
        if "xl/styles.xml" in self._members:
            self.styles = _part(zf, "xl/styles.xml", _styles, whole) or DEFAULT_STYLES
        self.sheets: list[Sheet] = []
        self._bytes: dict[str, bytes] = {}  # small sheets' parts, read once (see _keep)
        self._kept = 0
        rels = _part(zf, rels_path(workbook_part), _rels, whole) if entries else {}
        for name, state, rid in entries:
            if not rid:
                continue
            target, kind = rels[rid]
            if target not in self._members:
                continue
            sheet = Sheet(name, state, target, "chartsheet" in kind)
            if not sheet.chart:
                self._head(target)
            self.sheets.append(sheet)

    @property
    def sheetnames(self) -> list[str]:
        return [s.name for s in self.sheets]

    def _shared_strings(self, part: str) -> list[str]:
        si = _tag(MAIN, "si")
        if _small(self._zf, part):
            return [_string(el) for el in _tree(self._zf, part).iter(si)]
        out: list[str] = []
        for el in _events(self._zf, part):
            if el.tag == si:
                out.append(_string(el))
                el.clear()
        return out

    def _head(self, part: str) -> None:
        """Parse a sheet up to its dimension (as the reference read every sheet's size
        on opening): a part whose beginning is not well-formed refuses the file."""
        ends = {MAIN + " dimension", MAIN + " sheetData"}
        p2 = _refusing(" ")

        def end(tag: str) -> None:  # (refers to no parser: no reference cycle)
            if tag in ends:
                raise _Stop

        p2.EndElementHandler = end
        data = self._keep(part)
        at = data.find(b"<sheetData") if data is not None else -1
        before = data[:at] if data is not None and at > 0 else b""
        if before and before in _HEADS:
            return  # (see _HEADS)
        try:
            if data is None:
                with self._zf.open(part) as fh:
                    while chunk := fh.read(4096):
                        p2.Parse(chunk, False)
            else:  # the same chunks, from the bytes kept for rows()
                for at in range(0, len(data), 4096):
                    p2.Parse(data[at : at + 4096], False)
            p2.Parse(b"", True)
        except _Stop:  # (where it stopped: within the dimension's tag, or just after it)
            stop = p2.CurrentByteIndex
            if before and stop < len(before) <= _HEAD_LIMIT and _again(before):
                if len(_HEADS) >= 512:
                    _HEADS.clear()
                _HEADS.add(before)
            return
        except expat.ExpatError as exc:
            raise ParseError(f"{exc} (in {part})") from None

    def _keep(self, part: str) -> bytes | None:
        """A small sheet's bytes, read whole once and kept for :meth:`rows` (None: read
        it in chunks as it is needed, as a large one is, or one that cannot be read
        whole, whose error comes when and as it came before)."""
        size = self._zf.getinfo(part).file_size
        if size > KEEP_LIMIT or self._kept + size > KEEP_TOTAL:
            return None
        try:
            data = _member(self._zf, part, self._data)
        except MemoryError:
            raise
        except Exception:
            return None
        self._bytes[part] = data
        self._kept += len(data)
        return data

    # ---- the rows of a sheet

    def sheet(self, name: str) -> Sheet:
        for s in self.sheets:
            if s.name == name and not s.chart:
                return s
        for s in self.sheets:
            if s.name == name:
                return s
        raise KeyError(f"Worksheet {name} does not exist.")

    def rows(
        self, name: str, max_row: int | None = None, max_col: int | None = None
    ) -> list[list[Any]]:
        """The rows of sheet ``name`` from row 1: each a list of cells (:data:`EMPTY`
        between stored ones) as long as its last stored cell (or ``max_col``); a row
        without cells is empty. With ``max_row``, the first ``max_row`` rows at most."""
        sheet = self.sheet(name)
        if sheet.chart:
            raise AttributeError("'Chartsheet' object has no attribute 'iter_rows'")
        return _read_rows(self, sheet.part, max_row, max_col)


_PROP_TYPES: dict[str, Callable[[str], object]] = {
    "lpwstr": lambda s: s or None,
    "i4": int,
    "r8": float,
    "bool": _bool,
    "filetime": from_iso,
}

_ROW, _V, _F, _IS = (_tag(MAIN, x) for x in ("row", "v", "f", "is"))


def _read_rows(
    book: Workbook, part: str, max_row: int | None, max_col: int | None
) -> list[list[Any]]:
    """One pass over a worksheet: its rows as :meth:`Workbook.rows` gives them. A small
    part in the plain form every writer uses is read by :func:`_fast_rows`; anything
    else (and any failure there, so that the error is the tree's) by the tree."""
    zf = book._zf
    if not _small(zf, part):
        return _tree_rows(book, _events(zf, part), max_row, max_col)
    if FAST_PATH:
        try:
            data = book._bytes.get(part)
            got = _fast_rows(book, zf.read(part) if data is None else data, max_row, max_col)
        except MemoryError:
            raise
        except Exception:  # the tree gives the error (or its reading) exactly as before
            got = None
        if got is not None:
            return got
    return _tree_rows(book, _tree(zf, part).iter(_ROW), max_row, max_col)


def _row_number(r: str | None, row_no: int) -> int:
    """A row's number: its ``r`` attribute, or the one after the previous row."""
    if r is None:
        return row_no + 1
    try:
        return int(r)
    except ValueError:
        f = float(r)
        if not f.is_integer():
            raise ValueError(f"{r} is not a valid row number") from None
        return int(f)


def _typed(
    value: str, data_type: str, style: Any, book: Workbook, strings: list[str]
) -> tuple[Any, str]:
    """A stored value's text, typed by the cell's type and style: (value, type)."""
    if data_type == "n":
        number = _number(value)
        if style in book.styles.dates:
            epoch = MAC_EPOCH if book.date1904 else WINDOWS_EPOCH
            try:
                return from_serial(number, epoch, style in book.styles.elapsed), "d"
            except (OverflowError, ValueError):
                return "#VALUE!", "e"
        return number, data_type
    if data_type == "s":
        return strings[int(value)], data_type
    if data_type == "b":
        return bool(int(value)), data_type
    if data_type == "str":
        return value, "s"
    if data_type == "d":
        return from_iso(value), data_type
    return value, data_type


def _add_row(
    out: list[list[Any]], row: list[Any], row_no: int, col: int, max_col: int | None
) -> None:
    """Place a read row in ``out`` (rows not stored before it are empty; a row number
    going back is skipped), cut or padded to its width."""
    while len(out) + 1 < row_no:  # rows not stored
        out.append([])
    if len(out) + 1 != row_no:
        return  # a row number going back: skipped
    if not row and not max_col:
        out.append([])
        return
    width = max_col or col  # as long as its last stored cell
    if len(row) > width:
        del row[width:]
    elif len(row) < width:
        row.extend([EMPTY] * (width - len(row)))
    out.append(row)


def _tree_rows(
    book: Workbook, elements: Iterable[Element], max_row: int | None, max_col: int | None
) -> list[list[Any]]:
    """The rows of a worksheet from its elements (a tree's rows, or streamed)."""
    strings = book.strings
    styles = book.styles
    shared: dict[str | None, tuple[str, str | None]] = {}
    out: list[list[Any]] = []
    row_no = 0
    refs = _REFS
    for el in elements:
        if el.tag != _ROW:
            continue
        row_no = _row_number(el.get("r"), row_no)
        col = 0
        row: list[Any] = []  # cells placed by column; cut to the last one's column below
        for c in el:
            a = c.attrib
            ref = a.get("r")
            if ref:
                col = refs.get(ref) or column_index(ref)
            else:
                col += 1
            children = len(c)
            if not children:  # no value, no formula: blank whatever its type and style
                if col > len(row):
                    row.extend([EMPTY] * (col - len(row)))
                row[col - 1] = BLANK
                continue
            data_type = a.get("t", "n")
            style: Any = a.get("s", 0)
            if style:
                style = int(style)
            value: Any = None
            fe: Element | None = None
            first = c[0]
            if children == 1 and first.tag == _V:  # the common case: one value, no formula
                if data_type != "inlineStr":
                    value = first.text or ""  # what findtext gives
            elif children == 1 and first.tag == _IS:  # text in the cell, no formula
                if data_type != "inlineStr":
                    value = None  # what findtext gives without a v
            else:
                if data_type != "inlineStr":
                    value = c.findtext(_V, None)
                fe = c.find(_F)
            if fe is not None:
                data_type = "f"
                value = _formula(fe, ref, shared)
            elif value:
                value, data_type = _typed(value, data_type, style, book, strings)
            elif data_type == "inlineStr":
                value = None
                child = c.find(_IS)
                if child is not None:
                    data_type = "s"
                    value = _string(child)
            else:
                value = None
            if col > len(row):
                row.extend([EMPTY] * (col - len(row)))
            row[col - 1] = Cell(value, data_type, style, styles)
        el.clear()
        if max_row is not None and row_no > max_row:
            break
        _add_row(out, row, row_no, col, max_col)
    return out


# --------------------------------------------------------------------------- the fast path

#: read plain worksheets with :func:`_fast_rows` (tests turn it off to compare)
FAST_PATH = True


def _rx(pattern: bytes) -> re.Pattern[bytes]:
    """A bytes pattern in which ``~`` stands for one XML white-space character."""
    return re.compile(pattern.replace(b"~", rb"[ \t\r\n]"))


_DECL = _rx(rb"<\?xml(~[^?>]*)\?>")
_UTF8 = _rx(rb"encoding~*=~*([\"'])(?i:utf-8)\1")
_ROOT = _rx(rb"~*<[^ \t\r\n/>]+((?:~+[^ \t\r\n=/>]+~*=~*(?:\"[^\"]*\"|'[^']*'))*)~*/?>")
_NS_DECL = _rx(rb"~xmlns(:[^ \t\r\n=/>]+)?~*=~*(?:\"([^\"]*)\"|'([^']*)')")  # prefix, name
_MAIN_BYTES = MAIN.encode()
_MAIN_NS = _rx(rb"~xmlns~*=~*([\"'])" + re.escape(MAIN.encode()) + rb"\1")
_ROW_TAG = _rx(rb"<row[ \t\r\n/>]")
#: a tag's attributes: the shortest run before ``/>`` or ``>`` (``[^>]*?``), unrolled: a
#: run without ``>`` that ends before the first ``>``, or before the ``/`` just before it
_TAG_ATTRS = rb"([^>/]*(?:/(?!>)[^>/]*)*)"
_ROWS = _rx(  # 1: a row, 2: its attributes, 3: its cells; 4: white space
    rb"(<row(?=[ \t\r\n/>])" + _TAG_ATTRS + rb"(?:/>|>([^<]*(?:<(?!/row>)[^<]*)*)</row>))|(~+)"
)
_CELLS = _rx(  # 1: a cell, 2: its attributes, 3: what it holds; 4: white space
    rb"(<c(?=[ \t\r\n/>])" + _TAG_ATTRS + rb"(?:/>|>([^<]*(?:<(?!/c>)[^<]*)*)</c>))|(~+)"
)


def _tokens_of(groups: re.Pattern[bytes]) -> re.Pattern[bytes]:
    """``groups`` with none of its groups capturing: the same matches, found without
    copying each group's bytes."""
    return re.compile(re.sub(rb"\((?!\?)", b"(?:", groups.pattern))


def _parts(token: bytes, name: int, close: int) -> tuple[bytes, bytes | None]:
    """A row or cell token's attributes and content (None for an empty-element tag), as
    the groups of _ROWS or _CELLS give them: ``<row`` or ``<c`` (``name`` bytes long),
    the attributes (no ``>`` in them, the shortest run before ``/>`` or ``>``), then
    ``/>``, ending the token, or ``>``, the content and the end tag (``close`` long)."""
    end = token.index(b">")
    if token[end - 1] == 47:  # "/>": the shortest run of attributes stops before the "/"
        return token[name : end - 1], None
    return token[name:end], token[end + 1 : len(token) - close]


_ROW_TOKENS = _tokens_of(_ROWS)  # a row or white space, as _ROWS matches them
_CELL_TOKENS = _tokens_of(_CELLS)
_ATTR = _rx(rb"~+([^ \t\r\n=/>\"']+)~*=~*(?:\"([^\"]*)\"|'([^']*)')")
_INNER = _rx(
    rb"~*(?:<v>([^<]*)</v>|(<v/>)"  # 1: a value; 2: an empty one
    rb"|<is>~*<t(?: xml:space=(?:\"preserve\"|'preserve'))?"
    rb"(?:>([^<]*)</t>|(/>))~*</is>)~*"  # 3: inline text; 4: an empty one
)
_UNPLAIN = re.compile(rb"[&\t\r\n]")  # an attribute value the parser would change
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_FAST: dict[Any, dict[bytes, Any]] = {}  # see _seen


def _deref(m: re.Match[str]) -> str:
    ref = m.group(1)
    if ref[0] != "#":
        return _NAMED[ref]
    return chr(int(ref[2:], 16) if ref[1] == "x" else int(ref[1:]))


def _chars(raw: bytes) -> str:
    """Character data as the XML parser gives it: line ends normalised, then the
    references (the only ones a well-formed part without a DTD can hold) replaced."""
    if not (b"&" in raw or b"\r" in raw):
        return raw.decode("utf-8")  # (the commonest: nothing to replace)
    text = raw.decode("utf-8")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in text:
        text = _ENTITY.sub(_deref, text)
    return text


#: :func:`_attrs`' answers by the tag's bytes (the same cell and row attributes come
#: back in every return of a round; a result is only read, never changed), bounded.
_ATTRS: dict[bytes, dict[str, str] | None] = {}
_MAX_ATTRS = 4096


def _attrs(raw: bytes) -> dict[str, str] | None:
    """:func:`_read_attrs`, remembered by the bytes it reads."""
    try:
        return _ATTRS[raw]
    except KeyError:
        pass
    got = _read_attrs(raw)
    if len(_ATTRS) >= _MAX_ATTRS:
        _ATTRS.clear()
    _ATTRS[raw] = got
    return got


#: The commonest cell and row attributes, as writers put them: `` r="B5" s="3" t="s"``
#: (a row's `` r="5"``), each optional, in that order, one space before each, double
#: quotes, white space after the last; their values hold no reference, tab or line break
#: (what :func:`_read_attrs` reads the same, at once)
_CELL_ATTRS = re.compile(
    rb'(?: r="([A-Z]{0,3}[0-9]{1,7})")?(?: s="([0-9]{1,5})")?(?: t="([a-zA-Z]{1,9})")?'
    rb"[ \t\r\n]*"
)


def _read_attrs(raw: bytes) -> dict[str, str] | None:
    """A start tag's attributes, or None when one needs what :func:`_fast_rows` leaves
    to the tree: a namespace declaration, a reference or a line break in a value."""
    plain = _CELL_ATTRS.fullmatch(raw)
    if plain is not None:  # (the commonest form, read by the loop below the same way)
        r, s, t = plain.groups()
        got = {} if r is None else {"r": r.decode("ascii")}
        if s is not None:
            got["s"] = s.decode("ascii")
        if t is not None:
            got["t"] = t.decode("ascii")
        return got
    return _attrs_one_by_one(raw)


def _attrs_one_by_one(raw: bytes) -> dict[str, str] | None:
    """:func:`_read_attrs`, each attribute matched in turn (any form)."""
    out: dict[str, str] = {}
    pos, end = 0, len(raw)
    while pos < end:
        m = _ATTR.match(raw, pos)
        if m is None:
            return None if raw[pos:].strip(b" \t\r\n") else out
        name, value = m.group(1), m.group(2) if m.group(2) is not None else m.group(3)
        if name.startswith(b"xmlns") or _UNPLAIN.search(value):
            return None
        out[name.decode("utf-8")] = value.decode("utf-8")
        pos = m.end()
    return out


def _plain(data: bytes) -> tuple[int, int] | None:
    """Where the rows of a worksheet are (the text between ``<sheetData>`` and
    ``</sheetData>``), if the part is plain enough for :func:`_fast_rows`: UTF-8, no
    DTD, comment, CDATA or processing instruction (so every ``<`` starts a tag), one
    default namespace, the spreadsheet one, declared on the root, no prefix bound to it,
    and every row element inside that text."""
    if b"!" in data and b"<!" in data:  # (a single byte is found much faster)
        return None
    pos = 0
    decl = _DECL.match(data)
    if decl is not None:
        if b"encoding" in decl.group(1) and not _UTF8.search(decl.group(1)):
            return None
        pos = decl.end()
    if data.count(b"?") != 2 * (decl is not None) and data.count(b"<?") != (decl is not None):
        return None
    root = _ROOT.match(data, pos)
    if root is None or not _MAIN_NS.search(root.group(1)):
        return None
    defaults, at = 0, data.find(b"xmlns")
    while at >= 0:  # the root's declaration is the only default one; no prefix is bound
        decl_ns = _NS_DECL.match(data, at - 1)  # to the spreadsheet namespace
        if decl_ns is not None:
            prefix, value = decl_ns.group(1), decl_ns.group(2) or decl_ns.group(3) or b""
            if prefix is None:
                defaults += 1
            elif b"&" in value or value == _MAIN_BYTES:
                return None
        at = data.find(b"xmlns", at + 5)
    if defaults != 1:
        return None
    start = data.find(b"<sheetData>")
    end = data.find(b"</sheetData>", start)
    if start < 0 or end < 0 or data.find(b"<sheetData", start + 1) >= 0:
        return None
    start += len(b"<sheetData>")
    if _ROW_TAG.search(data, 0, start) or _ROW_TAG.search(data, end):
        return None
    return start, end


#: Bounds of what a process remembers: entries in all, and texts seen once.
_MAX_REMEMBERED = 20_000
_MAX_ONCE = 30_000
#: The hashes of row and cell texts seen once. Only a text seen again is remembered, so
#: that a round's entries (new in every return) do not fill a worker's memory; a hash
#: collision only makes a text remembered one sighting early.
_ONCE: set[int] = set()


def _again(raw: Hashable) -> bool:
    """Has ``raw`` been seen before (and is so worth remembering)? Marks it seen."""
    h = hash(raw)
    if h in _ONCE:
        return True
    if len(_ONCE) >= _MAX_ONCE:
        _ONCE.clear()
    _ONCE.add(h)
    return False


def _seen(*keys: Any) -> list[dict[Any, Any]]:
    """What is remembered under each of ``keys`` (bounded: all is forgotten past a limit
    on the entries under every key together, or on the keys)."""
    if len(_FAST) + len(keys) > 512 or sum(map(len, _FAST.values())) >= _MAX_REMEMBERED:
        _FAST.clear()
    return [_FAST.setdefault(key, {}) for key in keys]


#: The beginnings and ends (around the rows) of parts found well-formed, seen again:
#: -> the root's start and end tags that stand in for them (see :func:`_frame`), or
#: () where they cannot. Bounded: 128 of them, each at most _FRAME_LIMIT bytes.
_FRAMES: dict[tuple[bytes, bytes], tuple[bytes, ...]] = {}
_FRAME_LIMIT = 16 * 1024
_ROOT_NAME = re.compile(rb"<([^ \t\r\n/>]+)")


def _frame(head: bytes) -> tuple[bytes, ...]:
    """What stands in for a plain part's beginning (``head``, up to ``<sheetData>``)
    and end around its rows, once both were found well-formed in a part: its root's
    start tag and the root's end tag, when the root's start tag declares every
    namespace the beginning declares (so the rows are in the scope of the root's
    namespaces and of no other). The rows of a part are then well-formed there exactly
    when they are between those two tags: an element's content stays well-formed with
    other well-formed elements (none declaring a namespace) in place of its own, and the
    rest of the part was well-formed around rows before. () when it does not apply."""
    decl = _DECL.match(head)
    root = _ROOT.match(head, decl.end() if decl is not None else 0)
    if root is None:
        return ()
    tag = root.group(0).lstrip(b" \t\r\n")
    name = _ROOT_NAME.match(tag)
    if tag.endswith(b"/>") or name is None or head.count(b"xmlns") != tag.count(b"xmlns"):
        return ()
    return tag, b"</" + name.group(1) + b">"


def _fast_rows(
    book: Workbook, data: bytes, max_row: int | None, max_col: int | None
) -> list[list[Any]] | None:
    """The rows of a small worksheet in the form every writer uses (rows of cells, each
    with one value or one plain inline text), or None: the tree reads it.

    The part is checked well-formed by expat as the tree would be (namespaces included),
    so the tokens only have to be recognised, never judged. What expat parses is the
    part without what it has already found well-formed there: the rows remembered behind
    the same beginning (``data`` up to ``<sheetData>``: the same namespaces in scope),
    and in the other rows the remembered cells (only a cell without a colon is
    remembered, and only once it was found well-formed). A row element that was
    well-formed behind that beginning is well-formed there again; a cell element without
    a colon names no prefix, so whether it is well-formed does not depend on the
    namespaces in scope (a plain part has no DTD, so neither does an entity reference),
    and one that was well-formed in a plain part, inside a row (which declares no
    namespace: such a row goes to the tree), is well-formed in any. An element's content
    stays well-formed without one of its elements or the white space between them; so
    the part is well-formed exactly when what is left is. A cell's reading depends only
    on its bytes, the styles and the date system (a shared string's also on the strings,
    looked up each time), so cells and whole rows seen again are remembered across the
    returns of a round (:func:`_again`)."""
    where = _plain(data)
    if where is None:
        return None
    start, end = where
    tokens = _ROW_TOKENS.findall(data, start, end)
    if sum(map(len, tokens)) != end - start:
        return None  # something else: the tree reads it
    head = data[:start]
    rows_seen, cells_seen, row_attrs, shapes = _seen(
        (book.styles, book.date1904, head),
        (book.styles, book.date1904),
        "row attributes",
        (book.styles, book.date1904, "shapes"),
    )
    found: list[Any] = list(map(rows_seen.get, tokens))
    new: dict[int, tuple[bytes, list[bytes], list[Any]]] = {}
    parts = [head]
    for k, raw in enumerate(tokens):  # the tokens cover the rows without a gap, in order
        if found[k] is None and raw[0] == 60:  # a row not remembered ("<"; else white space)
            attrs, inner = _parts(raw, 4, 6)
            cells = _CELL_TOKENS.findall(inner) if inner else []
            if inner and sum(map(len, cells)) != len(inner):
                return None
            known = list(map(cells_seen.get, cells))
            new[k] = (attrs, cells, known)
            if inner is None:
                parts.append(raw)  # <row .../>
            else:
                parts.append(raw[: 5 + len(attrs)])  # <row ...>
                parts += [c for c, g in zip(cells, known, strict=True) if g is None]
                parts.append(b"</row>")
    tail = data[end:]
    frame = _FRAMES.get((head, tail))
    parser = expat.ParserCreate(namespace_separator="}")
    if frame:  # (see _frame)
        parts[0] = frame[0]
        parts.append(frame[1])
        parser.Parse(b"".join(parts), True)  # raises if not well-formed
    else:
        parts.append(tail)
        parser.Parse(b"".join(parts), True)  # raises if not well-formed
        if frame is None and len(head) + len(tail) <= _FRAME_LIMIT and _again((head, tail)):
            if len(_FRAMES) >= 128:
                _FRAMES.clear()
            _FRAMES[head, tail] = _frame(head)
    styles, strings = book.styles, book.strings
    out: list[list[Any]] = []
    row_no = 0
    for k, raw in enumerate(tokens):
        got = found[k]
        if got is None:
            if raw[0] != 60:
                continue  # white space between rows
            got = _fast_row(*new[k], book, cells_seen, row_attrs, shapes)
            if got is None:
                return None
            if _again(raw):
                rows_seen[raw] = got
        number, cells, col, shared = got
        row = list(cells)
        for at, text, data_type, style in shared:  # each read, as the tree reads them
            value, data_type = _typed(text, data_type, style, book, strings)
            if at >= 0:
                row[at] = Cell(value, data_type, style, styles)
        row_no = row_no + 1 if number is None else number
        if max_row is not None and row_no > max_row:
            break
        _add_row(out, row, row_no, col, max_col)
    return out


def _fast_row(
    attrs_raw: bytes,
    tokens: list[bytes],
    found: list[Any],
    book: Workbook,
    seen: dict[bytes, Any],
    row_attrs: dict[bytes, Any],
    shapes: dict[Any, Any],
) -> tuple[int | None, list[Any], int, tuple[tuple[int, str, str, Any], ...]] | None:
    """A row from its attributes, its cells' tokens (covering its content without a gap)
    and what is remembered of each: (its number, None when it has none;
    its cells placed by column; the last one's column; its shared strings in order, each
    (position, or -1 when a later cell took its place, index text, type, style), read
    from each file's own strings), or None when the tree must read it. Its remembered
    cells are placed as they were in a row with the same ones (see :func:`_shape`)."""
    number = row_attrs.get(attrs_raw, False)
    if number is False:
        attrs = _attrs(attrs_raw)
        if attrs is None:
            return None
        r = attrs.get("r")
        number = None if r is None else _row_number(r, 0)
        if _again(attrs_raw):
            row_attrs[attrs_raw] = number
    key = tuple(found)
    filled = list(found)  # each cell's reading; None: white space
    for k, raw in enumerate(tokens):
        if filled[k] is None and raw[0] == 60:  # a cell not remembered ("<")
            cell_attrs, content = _parts(raw, 2, 4)
            got = _fast_cell(cell_attrs, content or b"", book)
            if got is None:
                return None
            if b":" not in raw and _again(raw):  # (see _fast_rows)
                seen[raw] = got
            filled[k] = got
    shape: Any = shapes.get(key)
    if shape is None:
        shape = _shape(found)
        if any(found) and _again(key):  # (a row of new cells only: nothing to remember)
            shapes[key] = shape
    if shape:
        got = _by_shape(shape, filled)
        if got is not None:
            return number, got[0], got[1], ()
    row: list[Any] = []
    col = 0
    strings: list[list[Any]] = []  # [position or -1 once replaced, index text, type, style]
    placed: dict[int, list[Any]] = {}
    refs = _REFS
    for got in filled:
        if got is None:
            continue  # white space between cells
        ref, cell = got[0], got[1]
        if ref:
            col = refs.get(ref) or column_index(ref)
        else:
            col += 1
        if col > len(row):
            row.extend([EMPTY] * (col - len(row)))
        if placed:
            replaced = placed.pop(col - 1, None)
            if replaced is not None:
                replaced[0] = -1  # a later cell in the same place: still read, not placed
        if cell is None:  # a shared string: the strings differ from file to file
            placed[col - 1] = [col - 1, got[4], got[2], got[3]]
            strings.append(placed[col - 1])
            cell = EMPTY
        row[col - 1] = cell
    return number, row, col, tuple((p, text, t, style) for p, text, t, style in strings)


_BEYOND = 1 << 30  # past any column


def _shape(found: list[Any]) -> tuple[list[Any], tuple[tuple[int, int, int], ...]] | bool:
    """How a row's remembered cells (``found``; None: a cell read anew, or white space)
    are placed when each names its column and the columns go up: those cells placed
    (:data:`EMPTY` between them, up to the last), and for each other token its index and
    the columns it must lie strictly between. False when a remembered cell has no
    reference, holds a shared string or does not go up: the row is placed cell by cell."""
    dense: list[Any] = []
    slots: list[tuple[int, int, int]] = []
    pending: list[int] = []
    lo = 0
    refs = _REFS
    for k, got in enumerate(found):
        if got is None:
            pending.append(k)
            continue
        ref, cell = got[0], got[1]
        if not ref or cell is None:
            return False
        col = refs.get(ref) or column_index(ref)
        if col <= lo:
            return False
        slots += [(j, lo, col) for j in pending]
        pending = []
        dense.extend([EMPTY] * (col - 1 - lo))
        dense.append(cell)
        lo = col
    slots += [(j, lo, _BEYOND) for j in pending]
    return dense, tuple(slots)


def _by_shape(
    shape: tuple[list[Any], tuple[tuple[int, int, int], ...]], filled: list[Any]
) -> tuple[list[Any], int] | None:
    """The row's cells placed and its last column, by ``shape``: the remembered cells
    where they were, each cell read anew in its column when it names one that lies where
    the shape leaves room, the columns still going up; None otherwise (the row is then
    placed cell by cell). With every cell naming its column and the columns going up,
    no cell takes another's place and the last cell's column is the highest, so this is
    the row cell by cell placement gives."""
    dense, slots = shape
    row = list(dense)
    last = 0
    refs = _REFS
    for k, lo, hi in slots:
        got = filled[k]
        if got is None:
            continue  # white space
        ref, cell = got[0], got[1]
        if not ref or cell is None:
            return None
        col = refs.get(ref) or column_index(ref)
        if not (max(lo, last) < col < hi):
            return None
        if col > len(row):
            row.extend([EMPTY] * (col - len(row)))
        row[col - 1] = cell
        last = col
    return row, max(len(dense), last)


def _fast_cell(attrs_raw: bytes, inner: bytes, book: Workbook) -> tuple[Any, ...] | None:
    """A cell from its tokens: (reference, Cell) or, for a shared string, (reference,
    None, type, style, its index text); None when the tree must read it."""
    attrs = _attrs(attrs_raw)
    if attrs is None:
        return None
    ref = attrs.get("r")
    if not inner.strip(b" \t\r\n"):
        return ref, BLANK  # no value, no formula: blank whatever its type and style
    if inner[:3] == b"<v>" and inner[-4:] == b"</v>" and b"<" not in inner[3:-4]:
        groups: tuple[bytes | None, ...] = (inner[3:-4], None, None, None)  # (as _INNER's)
    else:
        m = _INNER.fullmatch(inner)
        if m is None:
            return None  # a formula, rich text, several children...: the tree reads it
        groups = m.groups()
    data_type = attrs.get("t", "n")
    style: Any = attrs.get("s", 0)
    if style:
        style = int(style)
    value: Any = None
    if data_type != "inlineStr" and (groups[0] is not None or groups[1] is not None):
        value = _chars(groups[0]) if groups[0] is not None else ""  # one value
    if value:
        if data_type == "s":
            return ref, None, data_type, style, value
        value, data_type = _typed(value, data_type, style, book, book.strings)
    elif data_type == "inlineStr" and (groups[2] is not None or groups[3] is not None):
        data_type = "s"
        value = _chars(groups[2]) if groups[2] is not None else ""
    else:
        value = None
    return ref, Cell(value, data_type, style, book.styles)


def _formula(fe: Element, ref: str | None, shared: dict[str | None, tuple[str, str | None]]) -> str:
    """A formula cell's value: its text (never evaluated); a shared formula's later
    cells get the first cell's text with its relative references moved."""
    value = "=" + (fe.text or "")
    if fe.get("t") == "shared":
        si = fe.get("si")
        if si in shared:
            base, origin = shared[si]
            return translate(base, origin, ref)
        if value != "=":
            shared[si] = (value, ref)
    return value


def translate(formula: str, origin: str | None, ref: str | None) -> str:
    """A shared formula's text in the cell ``ref`` (its relative references moved)."""
    from openpyxl.formula.translate import Translator  # rare: only shared formulas

    return str(Translator(formula, origin).translate_formula(ref))
