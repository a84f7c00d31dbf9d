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
