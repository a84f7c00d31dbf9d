"""Input discovery: every entry handed to us is read or listed with a reason, never a hang."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mne_workbook.atomic import TEMP_PREFIX, atomic_write, temp_path
from mne_workbook.discovery import Input, Skipped, discover, hash_file, open_regular
from mne_workbook.names import shown


def codes(d: object) -> dict[str, str]:
    return {s.path.name: s.code for s in d.skipped}  # type: ignore[attr-defined]


def test_every_kind_of_entry_is_read_or_listed_and_nothing_hangs(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    (inbox / "a.xlsx").write_bytes(b"PK\x03\x04 honest")
    (inbox / "notes.txt").write_text("any extension goes to the gate")
    (inbox / "sub" / "b.xlsx").write_bytes(b"PK\x03\x04 nested")
    os.mkfifo(inbox / "fifo.xlsx")
    (inbox / "dir.xlsx").mkdir()
    (inbox / "dir.xlsx" / "inner.xlsx").write_bytes(b"inner")
    (inbox / "zero.xlsx").symlink_to("/dev/zero")
    (inbox / "dangling.xlsx").symlink_to(inbox / "nowhere.xlsx")
    (inbox / "loop.xlsx").symlink_to(inbox / "loop.xlsx")
    outside = tmp_path / "secret.xlsx"
    outside.write_bytes(b"outside")
    (inbox / "out.xlsx").symlink_to(outside)
    (inbox / "inside-link.xlsx").symlink_to(inbox / "a.xlsx")
    (inbox / "sublink").symlink_to(inbox / "sub")
    (inbox / "~$a.xlsx").write_bytes(b"lock")
    (inbox / f"{TEMP_PREFIX}abc.xlsx").write_bytes(b"half")
    (inbox / "plan.mne.sqlite").write_bytes(b"SQLite format 3\x00")
    (inbox / "mne-archive").mkdir()
    (inbox / "mne-archive" / "x.xlsx").write_bytes(b"archived")
    (inbox / ".DS_Store").write_bytes(b"\x00")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(inbox / "sock.xlsx"))
    try:
        started = time.monotonic()
        d = discover([inbox])
        assert time.monotonic() - started < 5  # a FIFO is never opened for reading
    finally:
        sock.close()
    read = sorted(str(i.path.relative_to(inbox)) for i in d.inputs)
    assert read == ["a.xlsx", "dir.xlsx/inner.xlsx", "notes.txt", "sub/b.xlsx"]
    assert codes(d) == {
        "fifo.xlsx": "input-not-regular",
        "sock.xlsx": "input-not-regular",
        "zero.xlsx": "input-link-outside",
        "dangling.xlsx": "input-link-broken",
        "loop.xlsx": "input-link-broken",
        "out.xlsx": "input-link-outside",
        "inside-link.xlsx": "input-duplicate",
        "sublink": "input-link-folder",
        "dir.xlsx": "input-folder-named-file",
        "~$a.xlsx": "input-temp-file",
        f"{TEMP_PREFIX}abc.xlsx": "input-temp-file",
        "plan.mne.sqlite": "input-own-file",
        "mne-archive": "input-own-file",
        ".DS_Store": "input-system-file",
    }
    assert d.has_errors
    for s in d.skipped:
        assert s.problem().hint  # each says what to do


def test_a_device_named_on_the_command_line_is_listed_not_read(tmp_path: Path) -> None:
    d = discover([Path("/dev/zero"), Path("/dev/null")])
    assert d.inputs == []
    assert [s.code for s in d.skipped] == ["input-not-regular", "input-not-regular"]


def test_an_explicit_link_to_a_file_is_read_under_its_own_name(tmp_path: Path) -> None:
    real = tmp_path / "real.xlsx"
    real.write_bytes(b"x")
    link = tmp_path / "given.xlsx"
    link.symlink_to(real)
    d = discover([link])
    assert d.inputs == [Input(real, "given.xlsx")]


def test_an_unreadable_file_is_listed_even_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "locked.xlsx"
    f.write_bytes(b"x")
    real_open = os.open

    def deny(path: object, flags: int, *a: object) -> int:
        if str(path).endswith("locked.xlsx"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *a)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", deny)
    d = discover([tmp_path])
    assert codes(d) == {"locked.xlsx": "input-unreadable"}
    assert "Permission denied" in d.skipped[0].reason


def test_excluded_files_are_our_own(tmp_path: Path) -> None:
    (tmp_path / "store.db").write_bytes(b"db")
    (tmp_path / "r.xlsx").write_bytes(b"r")
    d = discover([tmp_path], exclude=[tmp_path / "store.db"])
    assert [i.path.name for i in d.inputs] == ["r.xlsx"]
    assert codes(d) == {"store.db": "input-own-file"}
    assert not d.has_errors


def test_a_file_with_an_undecodable_name_is_read_and_shown_safely(tmp_path: Path) -> None:
    raw_name = b"Raporti_Polic\xebs\x1b[31m\n.xlsx"  # cp1250 e-umlaut, an escape, a newline
    path = os.path.join(os.fsencode(tmp_path), raw_name)
    with open(path, "wb") as fh:
        fh.write(b"x")
    d = discover([tmp_path])
    (inp,) = d.inputs
    assert inp.raw_name == raw_name
    assert inp.shown == "Raporti_Polic\ufffds\\e[31m\\n.xlsx"
    inp.shown.encode("utf-8")  # any writer takes it


@given(st.binary(min_size=1, max_size=40))
def test_shown_names_are_always_printable_text(name: bytes) -> None:
    import unicodedata

    text = shown(os.fsdecode(name))
    text.encode("utf-8")
    assert not [ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp")]
    assert "\ufffd" in text or os.fsencode(os.fsdecode(name)).decode("utf-8", "strict")


def test_open_regular_refuses_what_is_not_a_file(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "p")
    with pytest.raises(OSError, match="FIFO"):
        open_regular(tmp_path / "p")
    link = tmp_path / "l"
    link.symlink_to(tmp_path / "p")
    with pytest.raises(OSError):
        open_regular(link)


def test_hash_file_streams(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"a" * 3_000_000)
    import hashlib

    assert hash_file(f) == (3_000_000, hashlib.sha256(b"a" * 3_000_000).hexdigest())


def test_expanders_turn_one_file_into_several_inputs(tmp_path: Path) -> None:
    from mne_workbook import discovery

    mail = tmp_path / "m.eml"
    mail.write_text("e-mail")

    def expand(p: Path) -> list[Input | Skipped]:
        return [Input(p.with_name("att1.xlsx"), "att1.xlsx", p), Skipped(p, "input-temp-file", "x")]

    discovery.register_expander([".EML"], expand)
    try:
        d = discover([tmp_path])
    finally:
        discovery.EXPANDERS.pop(".eml")
    assert [(i.name, i.origin) for i in d.inputs] == [("att1.xlsx", mail)]
    assert [s.code for s in d.skipped] == ["input-temp-file"]


# -- atomic writes -----------------------------------------------------------------------


def test_atomic_write_leaves_nothing_on_failure_and_never_overwrites_unasked(
    tmp_path: Path,
) -> None:
    from mne_workbook.errors import UsageError

    target = tmp_path / "out.xlsx"
    target.write_text("old")

    def boom(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        atomic_write(target, boom)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]
    with pytest.raises(UsageError, match="--overwrite"):
        atomic_write(target, lambda t: t.write_text("new"), overwrite=False)
    atomic_write(target, lambda t: t.write_text("new"))
    assert target.read_text() == "new"
    fresh = tmp_path / "fresh.txt"
    atomic_write(fresh, lambda t: t.write_text("x"), overwrite=False)
    assert fresh.read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.txt", "out.xlsx"]


def test_temp_files_are_recognised_by_discovery(tmp_path: Path) -> None:
    t = temp_path(tmp_path, ".xlsx")
    d = discover([tmp_path])
    assert d.inputs == [] and [s.code for s in d.skipped] == ["input-temp-file"]
    assert t.name.startswith(TEMP_PREFIX)
