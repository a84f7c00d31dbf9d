"""The file gate (safety.inspect_file) on small crafted files: each refusal and each limit
at its boundary. Fast, so that mutation testing can run it for every mutant."""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from mne_workbook.safety import CFB_MAGIC, ENCRYPTION_STREAM, Limits, inspect_file

WORKBOOK = {"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"}


def zipped(path: Path, members: Mapping[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def code(path: Path, limits: Limits | None = None) -> str | None:
    p = inspect_file(path, limits or Limits())
    if p is not None:
        assert p.location.file == str(path)
    return p.code if p else None


def test_a_plain_workbook_passes(tmp_path: Path) -> None:
    assert code(zipped(tmp_path / "ok.xlsx", WORKBOOK)) is None


def test_an_unreadable_path_is_named(tmp_path: Path) -> None:
    p = inspect_file(tmp_path / "gone.xlsx", Limits())
    assert p is not None and p.code == "file-unreadable" and "cannot read" in p.message


def test_an_empty_file(tmp_path: Path) -> None:
    (tmp_path / "e.xlsx").write_bytes(b"")
    p = inspect_file(tmp_path / "e.xlsx", Limits())
    assert p is not None and p.code == "file-empty" and "0 bytes" in p.message


def test_the_size_limit_is_inclusive(tmp_path: Path) -> None:
    path = zipped(tmp_path / "ok.xlsx", WORKBOOK)
    size = path.stat().st_size
    assert code(path, Limits(max_file_bytes=size)) is None
    p = inspect_file(path, Limits(max_file_bytes=size - 1))
    assert p is not None and p.code == "file-too-large"
    assert p.message == f"{size:,} bytes; the limit is {size - 1:,}"
    assert p.location.file == str(path)


def test_an_old_xls_and_an_encrypted_workbook(tmp_path: Path) -> None:
    (tmp_path / "old.xlsx").write_bytes(CFB_MAGIC + bytes(2048))
    assert code(tmp_path / "old.xlsx") == "legacy-xls"
    (tmp_path / "enc.xlsx").write_bytes(CFB_MAGIC + bytes(600) + ENCRYPTION_STREAM + bytes(600))
    p = inspect_file(tmp_path / "enc.xlsx", Limits())
    assert p is not None and p.code == "encrypted-workbook" and "password" in p.message


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\n", b"{\\rtf1\\ansi}", b"activity;value\nA1;3\n", bytes(range(256)) * 4],
)
def test_other_files_renamed_to_xlsx_are_not_workbooks(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "x.xlsx").write_bytes(data)
    assert code(tmp_path / "x.xlsx") == "not-a-workbook"


def test_a_truncated_archive_is_corrupt(tmp_path: Path) -> None:
    whole = zipped(tmp_path / "ok.xlsx", WORKBOOK).read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(whole[: len(whole) // 2])
    assert code(tmp_path / "cut.xlsx") == "corrupt-archive"


def test_member_count_limit_is_inclusive(tmp_path: Path) -> None:
    path = zipped(tmp_path / "m.xlsx", {**WORKBOOK, "xl/a.xml": "<a/>"})
    assert code(path, Limits(max_members=3)) is None
    p = inspect_file(path, Limits(max_members=2))
    assert p is not None and p.code == "archive-too-large" and p.message.startswith("3 parts")


def test_member_and_total_size_limits_are_inclusive(tmp_path: Path) -> None:
    path = zipped(tmp_path / "s.xlsx", {**WORKBOOK, "xl/big.xml": "x" * 1000})
    assert code(path, Limits(max_member_uncompressed=1000)) is None
    p = inspect_file(path, Limits(max_member_uncompressed=999))
    assert p is not None and p.code == "archive-too-large" and "xl/big.xml" in p.message
    total = 1000 + len("<Types/>") + len("<workbook/>")
    assert code(path, Limits(max_total_uncompressed=total)) is None
    p = inspect_file(path, Limits(max_total_uncompressed=total - 1))
    assert p is not None and p.code == "archive-too-large"
    assert p.message.startswith(f"unpacks to {total:,} bytes")


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        ("xl/vbaProject.bin", "macro-enabled"),
        ("xl/externalLinks/externalLink1.xml", "unsafe-content"),
        ("xl/embeddings/oleObject1.bin", "unsafe-content"),
        ("xl/media/image1.png", None),
    ],
)
def test_parts_that_are_refused(tmp_path: Path, member: str, expected: str | None) -> None:
    assert code(zipped(tmp_path / "p.xlsx", {**WORKBOOK, member: "x"})) == expected


def test_zips_that_are_not_workbooks_say_what_they_are(tmp_path: Path) -> None:
    docx = zipped(tmp_path / "d.xlsx", {"word/document.xml": "<w/>"})
    p = inspect_file(docx, Limits())
    assert p is not None and p.code == "not-a-workbook" and "Word document" in p.message
    other = zipped(tmp_path / "z.xlsx", {"readme.txt": "hi"})
    p = inspect_file(other, Limits())
    assert p is not None and p.code == "zip-archive" and "zip archive" in p.message


def test_upper_case_part_names_are_caught(tmp_path: Path) -> None:
    path = zipped(tmp_path / "u.xlsx", {"[Content_Types].xml": "<T/>", "XL/Workbook.xml": "<w/>"})
    assert code(path) is None
    assert code(zipped(tmp_path / "v.xlsx", {**WORKBOOK, "XL/VBAPROJECT.BIN": "x"})) == (
        "macro-enabled"
    )


def refusal(path: Path, limits: Limits | None = None) -> tuple[str, str, str | None]:
    p = inspect_file(path, limits or Limits())
    assert p is not None
    return p.code, p.message, p.location.file


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty (0 bytes)"),
        (
            CFB_MAGIC + ENCRYPTION_STREAM,
            "this file is password-protected; save it without a password and send it again",
        ),
    ],
)
def test_each_refusal_says_what_the_file_is(tmp_path: Path, data: bytes, message: str) -> None:
    """(What a non-workbook file is, and its message: test_gate_kinds.py.)"""
    path = tmp_path / "x.xlsx"
    path.write_bytes(data)
    _, got, where = refusal(path)
    assert (got, where) == (message, str(path))


@pytest.mark.parametrize(
    ("members", "limits", "message"),
    [
        (
            {**WORKBOOK, "xl/vbaProject.bin": "x"},
            None,
            "the workbook contains a VBA project (macros)",
        ),
        (
            {**WORKBOOK, "xl/externalLinks/externalLink1.xml": "x"},
            None,
            "the workbook has links to external workbooks",
        ),
        ({**WORKBOOK, "xl/embeddings/o.bin": "x"}, None, "the workbook has embedded objects"),
        (WORKBOOK, Limits(max_members=1), "2 parts; the limit is 1"),
        (
            WORKBOOK,
            Limits(max_member_uncompressed=5),
            "part [Content_Types].xml unpacks to 8 bytes; the limit is 5",
        ),
        (WORKBOOK, Limits(max_total_uncompressed=18), "unpacks to 19 bytes; the limit is 18"),
    ],
)
def test_each_archive_refusal_says_why_and_where(
    tmp_path: Path, members: dict[str, str], limits: Limits | None, message: str
) -> None:
    path = zipped(tmp_path / "z.xlsx", members)
    _, got, where = refusal(path, limits)
    assert (got, where) == (message, str(path))


def test_a_corrupt_archive_and_an_unreadable_file_are_located(tmp_path: Path) -> None:
    whole = zipped(tmp_path / "ok.xlsx", WORKBOOK).read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(whole[:30])
    code_, message, where = refusal(cut)
    assert code_ == "corrupt-archive" and message.startswith("the archive cannot be opened (")
    assert where == str(cut)
    code_, message, where = refusal(tmp_path / "gone.xlsx")
    assert code_ == "file-unreadable" and where == str(tmp_path / "gone.xlsx")
    assert message == "cannot read the file: No such file or directory"


def test_the_encryption_marker_is_found_beyond_the_first_4096_bytes(tmp_path: Path) -> None:
    path = tmp_path / "enc.xlsx"
    path.write_bytes(CFB_MAGIC + bytes(100_000) + ENCRYPTION_STREAM)
    assert refusal(path)[0] == "encrypted-workbook"


def test_the_kind_is_judged_from_the_first_4096_bytes_only(tmp_path: Path) -> None:
    """A bounded read: what follows the first 4096 bytes (here binary) is never looked at;
    4096 bytes with 95 % printable characters are text."""
    path = tmp_path / "notes.txt"
    path.write_bytes(b"n" * 3892 + b"\x01" * 204 + b"\x01" * 10_000)
    assert refusal(path) == (
        "not-a-workbook",
        "a text file: the data left its workbook; fill the .xlsx workbook you received and"
        " send it back",
        str(path),
    )


def test_at_most_4_mib_of_a_compound_file_is_searched_for_the_encryption_marker(
    tmp_path: Path,
) -> None:
    """A bounded read of an old-format file: a marker that starts at 4 MiB is not seen."""
    mib4 = 4 * 1024 * 1024
    seen = tmp_path / "seen.xls"
    seen.write_bytes(CFB_MAGIC + bytes(mib4 - len(CFB_MAGIC) - len(ENCRYPTION_STREAM)))
    with seen.open("ab") as fh:
        fh.write(ENCRYPTION_STREAM + bytes(100))
    assert refusal(seen)[0] == "encrypted-workbook"
    beyond = tmp_path / "beyond.xls"
    beyond.write_bytes(CFB_MAGIC + bytes(mib4 - len(CFB_MAGIC)) + ENCRYPTION_STREAM)
    assert refusal(beyond)[0] == "legacy-xls"
