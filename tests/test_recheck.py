"""A return refused only for a reason that goes away is accepted later, with both outcomes kept."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

from click.testing import CliRunner
from mails import message, write_eml
from returns import ON_TIME, PERIOD, generated

from mne_workbook.cli import main
from mne_workbook.fill import fill_return, random_entries
from mne_workbook.plan import load_plan
from mne_workbook.recheck import due_for_recheck
from mne_workbook.signing import KeyRing
from mne_workbook.store import SCHEMA_VERSION, Store, StoredRefusal

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "sample_plans" / "demo.yaml"
ARRIVED = dt.datetime(2026, 10, 12, 8, 30, tzinfo=dt.UTC)


def run(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, list(args))
    assert "Traceback" not in r.output, r.output
    return r.exit_code, r.output


def test_a_return_refused_without_the_key_is_accepted_once_the_key_is_given(
    tmp_path: Path,
) -> None:
    plan = load_plan(PLAN)
    gen = generated(plan, tmp_path / "gen")  # signed with the test key (conftest's)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    filled = tmp_path / "kp.xlsx"
    fill_return(gen["kp"], filled, random_entries(plan, PERIOD, "kp", random.Random(1)), ON_TIME)
    mail = message("thb.unit@kp.example", "KP", {"kp.xlsx": filled.read_bytes()}, ARRIVED)
    write_eml(mail, inbox / "kp.eml")
    other = tmp_path / "other.key"
    other.write_text("ab" * 32 + "\n", "utf-8")
    db = str(tmp_path / "s.sqlite")

    code, out = run("ingest", str(PLAN), str(inbox), "--db", db, "--key-file", str(other))
    assert code == 1 and "refused [unknown-signing-key]" in out
    # the next ingest has the key (from the environment): the stored return is read again
    code, out = run("ingest", str(PLAN), str(inbox), "--db", db, "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["rechecked"] == [
        {
            "file": "kp.eml!kp.xlsx",
            "trigger": "key-now-known",
            "before": "unknown-signing-key",
            "accepted": True,
            "refusal": None,
            "institution": "kp",
            "period": "2026-Q3",
        }
    ]
    assert [(f["new"], f["accepted"]) for f in data["files"]] == [(False, True)]
    store = Store(db)
    [row] = store.returns()
    assert row.accepted and row.arrival_source == "mail-received"
    trail = store.evaluations(row.id)
    assert [(e.trigger, e.accepted, e.code) for e in trail] == [
        ("ingest", False, "unknown-signing-key"),
        ("key-now-known", True, ""),
    ]
    [sub] = store.submissions(plan.id, PERIOD.label)
    assert sub.accepted and sub.values and sub.arrived_at == ARRIVED
    assert not [p for p in sub.problems if p.severity == "error"]
    # nothing left to read again; --recheck says so, without files
    code, out = run("ingest", str(PLAN), "--db", db, "--recheck")
    assert code == 0 and "no stored return is refused for a reason that can go away" in out
    assert len(store.evaluations(row.id)) == 2


def test_recheck_reads_again_what_was_refused_for_time_or_a_missing_flag(tmp_path: Path) -> None:
    plan = load_plan(PLAN)
    gen = generated(plan, tmp_path / "gen")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    fill_return(
        gen["mlsw"],
        inbox / "mlsw.xlsx",
        random_entries(plan, PERIOD, "mlsw", random.Random(2)),
        ON_TIME,
    )
    nokey = tmp_path / "none.key"
    nokey.write_text("cd" * 32 + "\n", "utf-8")
    db = str(tmp_path / "s.sqlite")
    code, _ = run("ingest", str(PLAN), str(inbox), "--db", db, "--key-file", str(nokey))
    assert code == 1
    # the key file still lacks the key: nothing is read again unless asked, and then it
    # stays refused, and the trail says it was tried
    code, out = run("ingest", str(PLAN), "--db", db, "--key-file", str(nokey))
    assert code == 2 and "--recheck" in out  # no files and no --recheck: a usage error
    code, out = run("ingest", str(PLAN), "--db", db, "--key-file", str(nokey), "--recheck")
    assert code == 1
    assert "mlsw.xlsx: refused [unknown-signing-key] -> refused [unknown-signing-key]" in out
    store = Store(db)
    [row] = store.returns()
    assert [e.trigger for e in store.evaluations(row.id)] == ["ingest", "recheck"]


def _stored(code: str, size: int = 1000, key_id: str = "") -> StoredRefusal:
    return StoredRefusal(
        1, "x.xlsx", Path("x.xlsx"), code, size, key_id, ARRIVED, "file-mtime", "", ""
    )


def test_which_refusals_are_read_again_and_why() -> None:
    from mne_workbook.signing import key_id

    ring = KeyRing((b"k" * 32,))
    known, unknown = key_id(b"k" * 32), "feedbeef"
    stored = [
        _stored("unknown-signing-key", key_id=known),
        _stored("unknown-signing-key", key_id=unknown),
        _stored("file-too-large", size=500),
        _stored("file-too-large", size=5000),
        _stored("parse-timeout"),
        _stored("rows-changed"),  # what is in the file: reading again says the same
    ]
    assert [(r.code, r.size, why) for r, why in due_for_recheck(stored, ring, 1000, False)] == [
        ("unknown-signing-key", 1000, "key-now-known"),
        ("file-too-large", 500, "limit-raised"),
    ]
    assert [why for _, why in due_for_recheck(stored, ring, 1000, True)] == [
        "key-now-known",
        "recheck",
        "limit-raised",
        "recheck",
        "recheck",
    ]
    assert due_for_recheck(stored[:2], None, 1000, False) == []


def test_a_schema_1_store_is_migrated_with_first_sight_as_arrival(tmp_path: Path) -> None:
    import sqlite3

    plan = load_plan(PLAN)
    gen = generated(plan, tmp_path / "gen")
    filled = tmp_path / "kp.xlsx"
    fill_return(gen["kp"], filled, random_entries(plan, PERIOD, "kp", random.Random(3)), ON_TIME)
    db = tmp_path / "s.sqlite"
    store = Store(str(db))
    from mne_workbook.reader import read_return

    store.ingest(read_return(filled, plan, PERIOD), now=dt.datetime(2026, 10, 13, 7, 0))
    store.engine.dispose()
    with sqlite3.connect(db) as conn:  # make it the store an earlier version left
        conn.execute("DROP TABLE evaluations")
        for col in ("arrived_at", "arrival_source", "sender", "subject"):
            conn.execute(f"ALTER TABLE returns DROP COLUMN {col}")
        conn.execute("UPDATE schema_info SET version = 1")
    migrated = Store(str(db))
    assert migrated.version() == SCHEMA_VERSION  # 2 (arrival), then 3 (raw names)
    [row] = migrated.returns()
    assert row.arrived_at == dt.datetime(2026, 10, 13, 7, 0)  # when the store first saw it
    assert row.arrival_source == "store-first-seen"
    assert [(e.trigger, e.accepted) for e in migrated.evaluations(row.id)] == [("ingest", True)]
    [sub] = migrated.submissions(plan.id, PERIOD.label)
    assert sub.arrived_at == dt.datetime(2026, 10, 13, 7, 0, tzinfo=dt.UTC)
