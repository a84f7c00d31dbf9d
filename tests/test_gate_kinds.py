"""Every file in an inbox is accounted for: a file that is not a plain .xlsx is refused
with what it is (judged by its bytes, whatever its name) and what to do."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from mne_workbook.safety import Limits, inspect_file
from mne_workbook.workflows import collect_files


def _zip(p: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(p, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


CASES: dict[str, tuple[Callable[[Path], object], str, str]] = {
    "return.zip": (
        lambda p: _zip(p, {"KP_2026-Q3.xlsx": b"PK..."}),
        "zip-archive",
        "holding KP_2026-Q3.xlsx: unzip it",
    ),
    "return.ods": (
        lambda p: _zip(p, {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}),
        "opendocument-spreadsheet",
        "save as Excel 2007-365",
    ),
    "mail.eml": (
        lambda p: p.write_bytes(b"Received: from x\nFrom: a@b\nSubject: KP\n\nhello\n"),
        "email-file",
        "save its .xlsx attachment",
    ),
    "photo.jpg": (lambda p: p.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 64), "image-file", "JPEG"),
    "scan.png": (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64), "image-file", "PNG"),
    "page.xlsx": (
        lambda p: p.write_bytes(b"<html><table><tr><td>1</td></tr></table></html>"),
        "not-a-workbook",
        "web page (HTML), perhaps a spreadsheet saved as a web page, although it is named .xlsx",
    ),
    "notes.docx": (
        lambda p: _zip(p, {"word/document.xml": b"<w/>"}),
        "not-a-workbook",
        "a Word document (.docx)",
    ),
    "data.csv": (lambda p: p.write_text("a;b\n1;2\n", "utf-8"), "not-a-workbook", "CSV"),
    "blob.bin": (lambda p: p.write_bytes(bytes(range(256))), "not-a-workbook", "unknown"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_kind_of_file_is_named_with_what_to_do(name: str, tmp_path: Path) -> None:
    make, code, words = CASES[name]
    path = tmp_path / name
    make(path)
    problem = inspect_file(path, Limits())
    assert problem is not None and problem.code == code and words in problem.message, problem


def test_an_inbox_folder_passes_every_sent_file_to_the_gate(tmp_path: Path) -> None:
    for name in ("KP.xlsx", "MEST.ods", "scan.PDF", "noext", "~$KP.xlsx", ".DS_Store"):
        (tmp_path / name).write_bytes(b"x")
    found = collect_files([tmp_path])
    assert sorted(i.path.name for i in found.inputs) == [
        "KP.xlsx",
        "MEST.ods",
        "noext",
        "scan.PDF",
    ]
    # the folder's bookkeeping is not read, but listed (never skipped silently)
    assert {s.path.name: s.code for s in found.skipped} == {
        "~$KP.xlsx": "input-temp-file",
        ".DS_Store": "input-system-file",
    }


# ------------------------------------------------------------------ the words a person reads
#
# Each kind of file, judged by its bytes, with the exact message the coordinator reads:
# what the file is, whether its name pretends to be a workbook, and what to do. ``{n}`` is
# ", although it is named .xlsx" when the file is named .xlsx (in any case), else nothing.

CFB = bytes.fromhex("D0CF11E0A1B11AE1")
SEND = "; send the .xlsx workbook"
REFILL = ": open the workbook you received, fill it and save it as Excel 2007-365 (.xlsx)"
LEFT = ": the data left its workbook; fill the .xlsx workbook you received and send it back"
SAVE_AS = ": open it and save as Excel 2007-365 (.xlsx)"
UNZIP = ": unzip it and put the .xlsx workbook in the inbox"
ATTACHMENT = "; save its .xlsx attachment into the inbox"


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _ole(*streams: str) -> bytes:
    """A compound file whose directory names ``streams`` (as Office writes them)."""
    return CFB + bytes(504) + b"".join(_utf16(s) + bytes(64 - 2 * len(s)) for s in streams)


BYTES: dict[str, tuple[bytes, str, str]] = {
    # pictures and photos (a scan or a phone photo of the printed form)
    "png": (b"\x89PNG\r\n\x1a\n" + bytes(64), "image-file", "a PNG picture{n}" + SEND),
    "jpeg": (b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(64), "image-file", "a JPEG picture{n}" + SEND),
    "gif": (b"GIF89a" + bytes(64), "image-file", "a GIF picture{n}" + SEND),
    "tiff-le": (b"II*\x00" + bytes(64), "image-file", "a TIFF picture{n}" + SEND),
    "tiff-be": (b"MM\x00*" + bytes(64), "image-file", "a TIFF picture{n}" + SEND),
    "bmp": (b"BM" + bytes(64), "image-file", "a BMP picture{n}" + SEND),
    "heic": (
        b"\x00\x00\x00\x18ftypheic" + bytes(64),
        "image-file",
        "a photo (HEIC/WebP){n}" + SEND,
    ),
    "heix": (
        b"\x00\x00\x00\x18ftypheix" + bytes(64),
        "image-file",
        "a photo (HEIC/WebP){n}" + SEND,
    ),
    "mif1": (
        b"\x00\x00\x00\x1cftypmif1" + bytes(64),
        "image-file",
        "a photo (HEIC/WebP){n}" + SEND,
    ),
    "webp": (
        b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(64),
        "image-file",
        "a photo (HEIC/WebP){n}" + SEND,
    ),
    # a RIFF file that is no photo (a voice message), and "WEBP" without RIFF
    "wav": (
        b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(64),
        "not-a-workbook",
        "not a spreadsheet (unknown file type){n}; send the .xlsx workbook you received",
    ),
    "not-riff": (
        b"\x00\x01\x02\x03\x04\x05\x06\x07WEBP" + bytes(64),
        "not-a-workbook",
        "not a spreadsheet (unknown file type){n}; send the .xlsx workbook you received",
    ),
    # documents
    "pdf": (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        "not-a-workbook",
        "a PDF document{n}: a PDF cannot be read back" + SEND,
    ),
    "rtf": (b"{\\rtf1\\ansi\\deff0 KP}", "not-a-workbook", "an RTF document{n}" + SEND),
    # Office 97-2003 compound files
    "doc": (
        _ole("Root Entry", "WordDocument", "1Table"),
        "not-a-workbook",
        "a Word 97-2003 document{n}; send the .xlsx workbook you received",
    ),
    "msg": (
        _ole("Root Entry", "__substg1.0_0037001F", "__properties_version1.0"),
        "email-file",
        "a saved Outlook message (.msg){n}" + ATTACHMENT,
    ),
    "xls": (
        _ole("Root Entry", "Workbook", "\x05SummaryInformation"),
        "legacy-xls",
        "an Excel 97-2003 (.xls) workbook{n}" + SAVE_AS,
    ),
    # markup
    "excel-2003-xml": (
        b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>',
        "not-a-workbook",
        "an Excel 2003 XML spreadsheet{n}" + REFILL,
    ),
    "fods": (
        b'\xef\xbb\xbf\r\n <?xml version="1.0" encoding="UTF-8"?>\n<office:document'
        b' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        b' office:mimetype="application/vnd.oasis.opendocument.spreadsheet"/>',
        "opendocument-spreadsheet",
        "a flat OpenDocument file (.fods){n}" + SAVE_AS,
    ),
    # either sign is enough: the OpenDocument namespace, or the office:document element
    "fods-other-prefix": (
        b'<o:document xmlns:o="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>',
        "opendocument-spreadsheet",
        "a flat OpenDocument file (.fods){n}" + SAVE_AS,
    ),
    "fods-no-namespace": (
        b'<office:document office:version="1.3"/>',
        "opendocument-spreadsheet",
        "a flat OpenDocument file (.fods){n}" + SAVE_AS,
    ),
    "html": (
        b"<HTML><body><p>KP</p></body></HTML>",
        "not-a-workbook",
        "a web page (HTML), perhaps a spreadsheet saved as a web page{n}" + REFILL,
    ),
    "html5": (
        b"\n\n<!DOCTYPE html>\n<title>KP</title>",
        "not-a-workbook",
        "a web page (HTML), perhaps a spreadsheet saved as a web page{n}" + REFILL,
    ),
    "html-table": (
        b"<Table><tr><td>1</td></tr></Table>",
        "not-a-workbook",
        "a web page (HTML), perhaps a spreadsheet saved as a web page{n}" + REFILL,
    ),
    "xml": (
        b'<?xml version="1.0"?><data><v>3</v></data>',
        "not-a-workbook",
        "an XML file{n}" + REFILL,
    ),
    # text: an e-mail saved as a file, a CSV export, a note
    "eml": (
        b"Received: from mx.rks-gov.net\r\nFrom: kp@rks-gov.net\r\n\r\nthe return is attached",
        "email-file",
        "a saved e-mail (.eml){n}" + ATTACHMENT,
    ),
    "eml-lower-case-headers-later": (
        b"hello\nreturn-path: <kp@rks-gov.net>\nsubject: KP 2026-Q3\n",
        "email-file",
        "a saved e-mail (.eml){n}" + ATTACHMENT,
    ),
    "one-header-is-a-note": (
        b"Subject: KP 2026-Q3 figures\nall done\n",
        "not-a-workbook",
        "a text file{n}" + LEFT,
    ),
    "csv-comma": (
        b"indicator,value\nA1,3\n",
        "not-a-workbook",
        "a CSV file (values only){n}" + LEFT,
    ),
    "csv-semicolon": (b"indicator;value\n", "not-a-workbook", "a CSV file (values only){n}" + LEFT),
    "csv-tab": (
        b"indicator\tvalue\r\nA1\t3\r\n",
        "not-a-workbook",
        "a CSV file (values only){n}" + LEFT,
    ),
    "csv-windows-1252": (
        "Institucioni;Prishtinë;Komuna\n".encode("cp1252"),
        "not-a-workbook",
        "a CSV file (values only){n}" + LEFT,
    ),
    # only the first line decides: a note whose later lines hold commas is a text file
    "note": (
        b"Figures for Q3\nA1 is 3, A2 is 4;\tdone\n",
        "not-a-workbook",
        "a text file{n}" + LEFT,
    ),
    "one-character": (b"3", "not-a-workbook", "a text file{n}" + LEFT),
    # text that merely starts with the letter X before markup is still text
    "x-then-markup": (b"XX<a note that is not markup", "not-a-workbook", "a text file{n}" + LEFT),
    "binary": (
        bytes(range(256)),
        "not-a-workbook",
        "not a spreadsheet (unknown file type){n}; send the .xlsx workbook you received",
    ),
}

NAMED = ", although it is named .xlsx"


@pytest.mark.parametrize("kind", sorted(BYTES))
@pytest.mark.parametrize(
    ("name", "named"), [("KP_2026-Q3.xlsx", NAMED), ("KP_2026-Q3.XLSX", NAMED), ("attachment", "")]
)
def test_what_each_file_is_and_what_to_do(tmp_path: Path, kind: str, name: str, named: str) -> None:
    data, code, message = BYTES[kind]
    path = tmp_path / name
    path.write_bytes(data)
    problem = inspect_file(path, Limits())
    assert problem is not None
    assert (problem.code, problem.message) == (code, message.format(n=named))
    assert problem.location.file == str(path)


def test_a_file_named_like_another_kind_is_judged_by_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(BYTES["png"][0])
    problem = inspect_file(path, Limits())
    assert problem is not None and problem.message == "a PNG picture; send the .xlsx workbook"


@pytest.mark.parametrize(
    ("printable", "message"),
    [
        (95, "a text file" + LEFT),
        (94, "not a spreadsheet (unknown file type); send the .xlsx workbook you received"),
    ],
)
def test_text_is_told_from_binary_at_95_percent_printable(
    tmp_path: Path, printable: int, message: str
) -> None:
    """Of 100 characters, 95 printable ones (line ends count) make a text file."""
    body = (b"ab cd\r\n" * 20)[:printable] + b"\x01" * (100 - printable)
    path = tmp_path / "x.txt"
    path.write_bytes(body)
    problem = inspect_file(path, Limits())
    assert problem is not None and problem.message == message


def test_only_the_first_kilobytes_decide_the_kind(tmp_path: Path) -> None:
    """A mail header or a markup sign beyond the first 4096 bytes is never read."""
    path = tmp_path / "x.txt"
    path.write_bytes(b"notes\n" + b"n" * 4090 + b"\nFrom: a\nSubject: b\n")
    problem = inspect_file(path, Limits())
    assert problem is not None and problem.message == "a text file" + LEFT, problem


# ------------------------------------------------------------------ zips that are not workbooks


def _zip_kind_message(
    tmp_path: Path, members: dict[str, bytes], name: str = "r.xlsx"
) -> tuple[str, str]:
    path = tmp_path / name
    _zip(path, members)
    problem = inspect_file(path, Limits())
    assert problem is not None and problem.location.file == str(path)
    return problem.code, problem.message


ODS = b"application/vnd.oasis.opendocument.spreadsheet"


@pytest.mark.parametrize(("name", "named"), [("r.xlsx", NAMED), ("r.zip", "")])
def test_what_each_zip_is_and_what_to_do(tmp_path: Path, name: str, named: str) -> None:
    cases: list[tuple[dict[str, bytes], tuple[str, str]]] = [
        (
            {"mimetype": ODS, "content.xml": b"<x/>"},
            ("opendocument-spreadsheet", f"an OpenDocument spreadsheet (.ods){named}" + SAVE_AS),
        ),
        (
            {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"},
            ("not-a-workbook", f"an OpenDocument text or presentation{named}" + SEND),
        ),
        (
            {"[Content_Types].xml": b"<T/>", "Word/Document.xml": b"<w/>"},
            (
                "not-a-workbook",
                f"a Word document (.docx){named}; send the .xlsx workbook you received",
            ),
        ),
        (
            {"[Content_Types].xml": b"<T/>", "PPT/presentation.xml": b"<p/>"},
            ("not-a-workbook", f"a PowerPoint file{named}" + SEND),
        ),
        ({"readme.txt": b"hi"}, ("zip-archive", f"a zip archive{named}" + UNZIP)),
        # a folder "ppt" deeper down is no PowerPoint file
        ({"notes/ppt/readme.txt": b"hi"}, ("zip-archive", f"a zip archive{named}" + UNZIP)),
    ]
    for i, (members, expected) in enumerate(cases):
        sub = tmp_path / str(i)
        sub.mkdir()
        assert _zip_kind_message(sub, members, name) == expected, members


def test_a_zip_of_returns_names_the_workbooks_it_holds(tmp_path: Path) -> None:
    members = {
        f"2026/Q3/{n}": b"PK"
        for n in ("MLSW.xlsx", "KP.XLSX", "e.xlsx", "D.xlsx", "C.xlsx", "B.xlsx")
    }
    members["2026/Q3/readme.txt"] = b"hi"
    code, message = _zip_kind_message(tmp_path, members, "returns.zip")
    assert code == "zip-archive"
    # sorted, at most five named, without their folders
    assert message == "a zip archive holding B.xlsx, C.xlsx, D.xlsx, KP.XLSX, MLSW.xlsx" + UNZIP


def test_the_opendocument_mimetype_is_read_only_near_the_start_and_when_small(
    tmp_path: Path,
) -> None:
    """``mimetype`` is stored first in an OpenDocument file; the gate reads it only among
    the first three parts and only up to 200 bytes (a bounded read)."""
    ods = ("opendocument-spreadsheet", "an OpenDocument spreadsheet (.ods)" + SAVE_AS)
    other = ("zip-archive", "a zip archive" + UNZIP)
    cases: list[tuple[dict[str, bytes], tuple[str, str]]] = [
        ({"a": b"", "b": b"", "mimetype": ODS}, ods),
        ({"a": b"", "b": b"", "c": b"", "mimetype": ODS}, other),
        ({"mimetype": ODS.ljust(200)}, ods),
        ({"mimetype": ODS.ljust(201)}, other),
        # stray bytes in the mimetype are no crash
        ({"mimetype": ODS + b"\xff\xfe"}, ods),
    ]
    for i, (members, expected) in enumerate(cases):
        sub = tmp_path / str(i)
        sub.mkdir()
        assert _zip_kind_message(sub, members, "r.zip") == expected, members


def test_markup_signs_are_looked_for_in_the_first_512_bytes(tmp_path: Path) -> None:
    """What kind of markup a file is (web page or other XML) is judged from its start."""
    declaration = b'<?xml version="1.0"?>'
    for pad, what in ((508, "an XML file"), (507, WEB_PAGE)):
        path = tmp_path / f"{pad}.xml"
        path.write_bytes(declaration + b" " * (pad - len(declaration)) + b"<html></html>")
        problem = inspect_file(path, Limits())
        assert problem is not None and problem.message == what + REFILL, pad


WEB_PAGE = "a web page (HTML), perhaps a spreadsheet saved as a web page"
