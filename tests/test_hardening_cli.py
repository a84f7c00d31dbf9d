"""The cases of issue 15, end to end through the CLI: an odd name, a device file or a
broken store never costs a run, never hangs, never prints a traceback."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from returns import ON_TIME, PERIOD, generated

from mne_workbook.cli import main
from mne_workbook.errors import CATALOG
from mne_workbook.fill import fill_return
from mne_workbook.plan import Plan, load_plan

ROOT = Path(__file__).resolve().parent.parent
DEMO = str(ROOT / "sample_plans" / "demo.yaml")
ESC = "\x1b"


def invoke(args: list[str], env: dict[str, Any] | None = None) -> Result:
    r = CliRunner().invoke(main, args, env=env)
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output and "[internal-error]" not in r.output, r.output
    return r


@pytest.fixture(scope="module")
def demo() -> Plan:
    return load_plan(DEMO)


@pytest.fixture(scope="module")
def hostile_inbox(demo: Plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two valid returns (one under a name that is not UTF-8 and holds an escape
    sequence) next to everything an unlucky inbox holds."""
    root = tmp_path_factory.mktemp("h")
    gen = generated(demo, root / "gen")
    inbox = root / "inbox"
    inbox.mkdir()
    fill_return(gen["kp"], inbox / "kp.xlsx", {("A2.1.1", "", "status"): 3}, ON_TIME)
    odd = os.path.join(os.fsencode(inbox), b"MLSW Polic\xeb \x1b[31mred\x1b[0m\n.xlsx")
    fill_return(gen["mlsw"], Path(os.fsdecode(odd)), {("A2.1.1", "", "status"): 2}, ON_TIME)
    os.mkfifo(inbox / "fifo.xlsx")
    (inbox / "zero.xlsx").symlink_to("/dev/zero")
    (inbox / "loop.xlsx").symlink_to(inbox / "loop.xlsx")
    (inbox / "gone.xlsx").symlink_to(inbox / "nowhere.xlsx")
    outside = root / "elsewhere.xlsx"
    outside.write_bytes(b"secret bytes outside the inbox")
    (inbox / "out.xlsx").symlink_to(outside)
    (inbox / "y.xlsx").mkdir()
    (inbox / ".mne-tmp-abc.xlsx").write_bytes(b"half-written by a killed run")
    (inbox / "~$kp.xlsx").write_bytes(b"excel lock")
    (inbox / "inbox.mne.sqlite").write_bytes(b"SQLite format 3\x00")
    return inbox


def test_consolidate_reads_the_valid_files_lists_the_rest_and_never_hangs(
    hostile_inbox: Path, tmp_path: Path
) -> None:
    started = time.monotonic()
    r = invoke(
        [
            "consolidate",
            DEMO,
            str(hostile_inbox),
            "--period",
            PERIOD.label,
            "--as-of",
            "2026-11-01",
            "--out",
            str(tmp_path / "c.xlsx"),
            "--json",
            str(tmp_path / "c.json"),
        ]
    )
    assert time.monotonic() - started < 60
    assert r.exit_code == 1, r.output
    esc = [ln for ln in r.output.splitlines() if ESC in ln]
    assert not esc, esc  # shown, never raw
    for name, code in [
        ("fifo.xlsx", "input-not-regular"),
        ("zero.xlsx", "input-link-outside"),
        ("loop.xlsx", "input-link-broken"),
        ("gone.xlsx", "input-link-broken"),
        ("out.xlsx", "input-link-outside"),
        ("y.xlsx", "input-folder-named-file"),
        (".mne-tmp-abc.xlsx", "input-temp-file"),
        ("~$kp.xlsx", "input-temp-file"),
        ("inbox.mne.sqlite", "input-own-file"),
    ]:
        line = next(ln for ln in r.output.splitlines() if f"{name}: [" in ln)
        assert f"[{code}]" in line, line
    data = json.loads((tmp_path / "c.json").read_text("utf-8"))
    used = {s["Institution"]: s["File"] for s in data["submissions"] if s["Status"] == "used"}
    assert used == {"kp": "kp.xlsx", "mlsw": "MLSW Polic\ufffd \\e[31mred\\e[0m\\n.xlsx"}


def test_ingest_keeps_valid_files_with_their_exact_names_and_skips_known_bytes(
    hostile_inbox: Path, tmp_path: Path
) -> None:
    db = tmp_path / "h.sqlite"
    args = ["ingest", DEMO, str(hostile_inbox), "--db", str(db)]
    r = invoke(args)
    assert r.exit_code == 1, r.output  # the unreadable entries are listed
    assert "2 new, 0 already stored" in r.output and ESC not in r.output
    with sqlite3.connect(db) as conn:
        raw = {bytes(x) for (x,) in conn.execute("SELECT file_name_raw FROM returns")}
    assert raw == {b"kp.xlsx", b"MLSW Polic\xeb \x1b[31mred\x1b[0m\n.xlsx"}
    archive = sorted((tmp_path / "mne-archive").rglob("*.xlsx"))
    assert len(archive) == 2  # nothing from outside the inbox was archived
    assert b"secret bytes" not in b"".join(p.read_bytes() for p in archive)
    again = invoke([*args, "--json"])
    files = json.loads(again.stdout)["files"]
    assert [f["new"] for f in files] == [False, False]


def test_a_truncated_store_is_refused_with_the_fix_then_rebuilt(demo: Plan, tmp_path: Path) -> None:
    gen = generated(demo, tmp_path / "gen")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    fill_return(gen["kp"], inbox / "Policia ë.xlsx", {("A2.1.1", "", "status"): 3}, ON_TIME)
    db = tmp_path / "store" / "h.sqlite"
    db.parent.mkdir()
    assert invoke(["ingest", DEMO, str(inbox), "--db", str(db)]).exit_code == 0
    db.write_bytes(b"")
    for cmd in (["status", DEMO, "--db", str(db)], ["ingest", DEMO, str(inbox), "--db", str(db)]):
        r = invoke(cmd)
        assert r.exit_code == 2 and "[store-history-missing]" in r.output, r.output
        assert "--rebuild" in r.output
    assert db.stat().st_size == 0  # nothing was written over the evidence
    r = invoke(["ingest", DEMO, "--rebuild", "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert "Policia ë.xlsx" in r.output and "1 new" in r.output
    status = invoke(["status", DEMO, "--db", str(db), "--as-of", "2026-11-01"])
    assert status.exit_code == 0 and "on time" in status.output


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda db: db.write_bytes(b"garbage, not a database" * 200), "store-corrupt"),
        (lambda db: None, "store-folder-missing"),
    ],
)
def test_store_faults_are_coded_with_exit_2(tmp_path: Path, make: Any, code: str) -> None:
    db = tmp_path / "h.sqlite" if code != "store-folder-missing" else tmp_path / "no" / "h.sqlite"
    make(db)
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "r.xlsx").write_bytes(b"x")
    r = invoke(["ingest", DEMO, str(inbox), "--db", str(db)])
    assert r.exit_code == 2 and f"[{code}]" in r.output and CATALOG[code].hint in r.output


def test_a_key_file_typo_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    typo = tmp_path / "typo.key"
    r = invoke(
        [
            "generate",
            DEMO,
            "--period",
            "2026-Q3",
            "--out",
            str(tmp_path / "o"),
            "--key-file",
            str(typo),
        ]
    )
    assert r.exit_code == 2 and "[key-file-missing]" in r.output
    assert not typo.exists() and not (tmp_path / "o").exists()


def test_no_key_at_all_is_said_once_as_such(tmp_path: Path, hostile_inbox: Path) -> None:
    env = {"MNE_WORKBOOK_KEY": None, "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    r = invoke(
        [
            "consolidate",
            DEMO,
            str(hostile_inbox / "kp.xlsx"),
            "--period",
            PERIOD.label,
            "--out",
            str(tmp_path / "c.xlsx"),
        ],
        env=env,
    )
    assert r.exit_code == 2 and "[key-not-found]" in r.output
    assert r.output.count("key-not-found") == 2  # the message and its fix, not per file


def test_key_new_then_generate_signs_and_consolidate_verifies(demo: Plan, tmp_path: Path) -> None:
    key = tmp_path / "office.key"
    r = invoke(["key", "new", "--key-file", str(key)])
    assert r.exit_code == 0 and "back this file up" in r.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert invoke(["key", "new", "--key-file", str(key)]).exit_code == 2  # never replaced
    out = tmp_path / "round"
    r = invoke(["generate", DEMO, "--period", "2026-Q3", "--out", str(out), "--key-file", str(key)])
    assert r.exit_code == 0, r.output
    r = invoke(["key", "new", "--key-file", str(key), "--rotate"])
    assert r.exit_code == 0 and "1 older key(s) kept" in r.output
    inbox = tmp_path / "in"
    inbox.mkdir()
    fill_return(out / "KP_2026-Q3.xlsx", inbox / "kp.xlsx", {("A2.1.1", "", "status"): 3}, ON_TIME)
    r = invoke(
        [
            "consolidate",
            DEMO,
            str(inbox),
            "--period",
            "2026-Q3",
            "--key-file",
            str(key),
            "--as-of",
            "2026-10-01",
            "--out",
            str(tmp_path / "c.xlsx"),
        ]
    )
    assert r.exit_code == 0, r.output  # signed with the old key: still verifies


def test_remind_never_overwrites_without_overwrite(demo: Plan, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    args = ["remind", DEMO, str(inbox), "--period", "2026-Q3", "--as-of", "2026-11-01"]
    args += ["--mail", str(tmp_path / "mail")]
    assert invoke(args).exit_code == 0
    drafts = sorted((tmp_path / "mail").rglob("*.*"))
    before = {p: p.stat().st_mtime_ns for p in drafts}
    r = invoke(args)
    assert r.exit_code == 2 and "[output-exists]" in r.output
    assert {p: p.stat().st_mtime_ns for p in drafts} == before
    assert invoke([*args, "--overwrite"]).exit_code == 0


def test_credentials_in_clear_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    env = {"MNE_SMTP_USER": "onatc", "MNE_SMTP_PASSWORD": "pw"}
    args = ["generate", DEMO, "--period", "2026-Q3", "--out", str(tmp_path / "o")]
    args += ["--mail", str(tmp_path / "m"), "--smtp", "localhost:2525", "--no-starttls"]
    r = invoke(args, env=env)
    assert r.exit_code == 2 and "[insecure-smtp]" in r.output
    assert not (tmp_path / "o").exists()
    r = invoke([*args, "--insecure-plain-auth", "--dry-run"], env=env)
    assert r.exit_code == 0, r.output


def test_update_plan_reads_the_master_through_the_bounded_path(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "MASTER.xlsx")
    r = invoke(["update-plan", DEMO, str(tmp_path / "MASTER.xlsx"), "--out", str(tmp_path / "p")])
    assert r.exit_code == 1 and "[input-not-regular]" in r.output
    assert "--timeout" in invoke(["update-plan", "--help"]).output


def test_allow_unsigned_without_any_key_flags_every_return(
    hostile_inbox: Path, tmp_path: Path
) -> None:
    env = {"MNE_WORKBOOK_KEY": None, "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    r = invoke(
        [
            "consolidate",
            DEMO,
            str(hostile_inbox / "kp.xlsx"),
            "--period",
            PERIOD.label,
            "--allow-unsigned",
            "--as-of",
            "2026-11-01",
            "--out",
            str(tmp_path / "c.xlsx"),
            "--json",
            str(tmp_path / "c.json"),
        ],
        env=env,
    )
    assert r.exit_code == 0, r.output
    flags = json.loads((tmp_path / "c.json").read_text("utf-8"))["flags"]
    unverified = [f for f in flags if f["code"] == "unsigned-accepted"]
    assert [f["institution"] for f in unverified] == ["kp"]
    assert "no signing key was found" in unverified[0]["message"]
