"""The store under faults: each ends in a coded StoreError, nothing lost or half-written."""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from mne_workbook import store as store_mod
from mne_workbook.atomic import TEMP_PREFIX
from mne_workbook.discovery import Input
from mne_workbook.errors import Location, Problem, StoreError
from mne_workbook.intake import Inputs
from mne_workbook.reader import Submission
from mne_workbook.store import Store
from mne_workbook.storing import archived_inputs, ingest_inputs


def refused(path: Path) -> Submission:
    """A refused return (enough for the store: bytes, name, a problem)."""
    sub = Submission(path=str(path), refused=True)
    sub.problems.append(Problem("not-a-workbook", "a text file", Location(file=str(path))))
    return sub


@contextmanager
def refusing(items: Any) -> Iterator[Inputs]:
    """A reader that refuses every input (the store is what these tests are about)."""
    subs = [refused(i.path) for i in items]
    for sub, i in zip(subs, items, strict=True):
        sub.file_name = i.shown  # as the bounded reader names them
    yield Inputs(subs)


def files(folder: Path, n: int, tag: str = "") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        p = folder / f"r{i}.xlsx"
        p.write_bytes(f"return {tag}{i}".encode() * 50)
        out.append(p)
    return out


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*") if p.name.startswith(TEMP_PREFIX))


def archived(root: Path) -> list[Path]:
    return sorted((root / "mne-archive").rglob("*.xlsx")) if (root / "mne-archive").exists() else []


def code_of(exc: pytest.ExceptionInfo[StoreError]) -> str:
    return exc.value.report.problems[0].code


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as e:
        Store(str(tmp_path / "no" / "such" / "h.sqlite"))
    assert code_of(e) == "store-folder-missing"
    assert not (tmp_path / "no").exists()


def test_a_read_only_database_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "h.sqlite"
    Store(str(db)).ingest(refused(files(tmp_path / "in", 1)[0]))
    real = sqlite3.connect

    def read_only(database: str, *a: Any, **kw: Any) -> sqlite3.Connection:
        # the database exactly as a read-only file system or permissions serve it
        conn: sqlite3.Connection = real(f"file:{database}?mode=ro", *a, **{**kw, "uri": True})
        return conn

    monkeypatch.setattr(sqlite3.dbapi2, "connect", read_only)
    with pytest.raises(StoreError) as e:
        Store(str(db)).ingest(refused(files(tmp_path / "in2", 1, "b")[0]))
    assert code_of(e) == "store-read-only"
    assert "what to do" not in str(e.value)  # the hint lives in the catalog
    assert e.value.report.problems[0].hint.startswith("Give write permission")


def test_a_full_disk_while_archiving_leaves_no_row_no_file_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "h.sqlite"
    store = Store(str(db))
    (src,) = files(tmp_path / "in", 1)
    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StoreError) as e:
        store.ingest(refused(src))
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert code_of(e) == "store-disk-full"
    assert store.count() == 0 and archived(tmp_path) == [] and leftovers(tmp_path) == []
    assert store.ingest(refused(src)).new  # once there is room, it goes in
    assert store.count() == 1 and len(archived(tmp_path)) == 1


def test_a_full_database_leaves_no_orphan_archive_file(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    store = Store(str(db))
    store.ingest(refused(files(tmp_path / "a", 1, "a")[0]))
    with sqlite3.connect(db) as conn:  # SQLite's own "database or disk is full"
        pages = conn.execute("PRAGMA page_count").fetchone()[0]

    def tiny(dbapi_conn: Any, record: Any) -> None:
        store_mod._sqlite_pragmas(dbapi_conn, record)
        dbapi_conn.execute(f"PRAGMA max_page_count={pages}")

    full = Store(str(db))
    full.engine.dispose()
    from sqlalchemy import event

    event.listen(full.engine, "connect", tiny)
    big = tmp_path / "b" / "big.xlsx"
    big.parent.mkdir()
    sub = refused(big)
    big.write_bytes(b"x")
    sub.problems += [Problem("not-a-workbook", "y" * 4000) for _ in range(50)]
    with pytest.raises(StoreError) as e:
        full.ingest(sub)
    assert code_of(e) == "store-disk-full"
    assert len(archived(tmp_path)) == 1  # only the first file's bytes
    assert leftovers(tmp_path) == []


def test_a_failed_insert_leaves_no_orphan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(str(tmp_path / "h.sqlite"))

    def boom(*a: Any, **kw: Any) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Store, "_insert", boom)
    with pytest.raises(StoreError) as e:
        store.ingest(refused(files(tmp_path / "in", 1)[0]))
    assert code_of(e) == "store-error"
    assert archived(tmp_path) == [] and leftovers(tmp_path) == []


def test_a_temp_file_left_by_a_killed_ingest_is_removed_by_the_next(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "h.sqlite"))
    (tmp_path / "mne-archive").mkdir()
    stale = tmp_path / "mne-archive" / f"{TEMP_PREFIX}killed.xlsx"
    stale.write_bytes(b"half")
    store.ingest(refused(files(tmp_path / "in", 1)[0]))
    assert not stale.exists()


def test_a_corrupt_database_is_named(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    db.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError) as e:
        Store(str(db))
    assert code_of(e) == "store-corrupt"
    assert "--rebuild" in e.value.report.problems[0].hint


def test_a_locked_database_is_named(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    Store(str(db))
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError) as e:
            Store(str(db), lock_timeout=0.2).count()
        assert code_of(e) == "store-locked"
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_truncated_database_next_to_its_archive_is_refused_then_rebuilt(
    tmp_path: Path,
) -> None:
    db = tmp_path / "h.sqlite"
    store = Store(str(db))
    inputs = [Input(p, f"Raporti {i} ë.xlsx") for i, p in enumerate(files(tmp_path / "in", 3))]
    rows = ingest_inputs(store, inputs, refusing)
    assert [r.new for r in rows] == [True, True, True]
    store.engine.dispose()
    db.write_bytes(b"")  # truncated to 0 bytes
    with pytest.raises(StoreError) as e:
        Store(str(db))
    assert code_of(e) == "store-history-missing"
    assert "3 return file(s)" in e.value.report.problems[0].message
    db.unlink()  # missing altogether: the same
    with pytest.raises(StoreError):
        Store(str(db))
    rebuilt = Store(str(db), rebuild=True)
    inputs, sides = archived_inputs(rebuilt)
    again = ingest_inputs(rebuilt, inputs, refusing, provenance=sides)
    assert sorted(r.name for r in again) == [f"Raporti {i} ë.xlsx" for i in range(3)]
    assert rebuilt.count() == 3
    assert Store(str(db)).count() == 3  # and it opens normally again


def test_known_bytes_are_not_read_again(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "h.sqlite"))
    inputs = [Input(p) for p in files(tmp_path / "in", 4)]
    reads: list[int] = []

    def read(items: Any) -> Any:
        reads.append(len(items))
        return refusing(items)

    ingest_inputs(store, inputs[:2], read)
    rows = ingest_inputs(store, inputs, read)
    assert reads == [2, 2]
    assert [r.new for r in rows] == [False, False, True, True]


def test_the_exact_bytes_of_a_name_are_kept(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "h.sqlite"))
    raw_name = b"Polic\xeb\x1b[2J.xlsx"
    folder = tmp_path / "in"
    folder.mkdir()
    path = Path(os.fsdecode(os.path.join(os.fsencode(folder), raw_name)))
    path.write_bytes(b"bytes")
    (row,) = ingest_inputs(store, [Input(path, path.name)], refusing)
    assert row.name == "Polic\ufffd\\e[2J.xlsx"
    with sqlite3.connect(tmp_path / "h.sqlite") as conn:
        shown, kept = conn.execute("SELECT file_name, file_name_raw FROM returns").fetchone()
    assert shown == row.name and kept == raw_name


def test_a_file_too_large_is_recorded_without_copying_its_bytes(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "h.sqlite"))
    big = tmp_path / "big.xlsx"
    with big.open("wb") as fh:  # sparse: 60 MB that take no room
        fh.truncate(60 * 1024 * 1024)
    res = store.ingest(refused(big), max_archive_bytes=20 * 1024 * 1024)
    assert res.new and archived(tmp_path) == []
    assert store.returns()[0].archive == ""


def test_an_older_store_is_migrated_to_keep_raw_names(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    Store(str(db)).engine.dispose()
    with sqlite3.connect(db) as conn:  # back to version 1: no raw names
        conn.executescript(
            "ALTER TABLE returns DROP COLUMN file_name_raw; UPDATE schema_info SET version = 1;"
        )
    store = Store(str(db))
    assert store.version() == store_mod.SCHEMA_VERSION
    assert store.ingest(refused(files(tmp_path / "in", 1)[0])).new
