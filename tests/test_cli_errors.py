"""The CLI's one error boundary: every command, bad arguments and bad environments.

Each case asserts a coded message (``[code]``) with what to do, the exit code, no
traceback (CliRunner swallows exceptions, so ``r.exception`` is checked, not only the
text) and, where the case is about validation order, that nothing was written.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mne_workbook.cli import main
from mne_workbook.errors import CATALOG

ROOT = Path(__file__).resolve().parent.parent
DEMO = str(ROOT / "sample_plans" / "demo.yaml")


def invoke(args: list[str], env: dict[str, str] | None = None) -> Result:
    r = CliRunner().invoke(main, args, env=env)
    # Only SystemExit may leave the boundary; anything else would be a traceback.
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output
    assert "[internal-error]" not in r.output, r.output
    return r


def assert_coded(r: Result, code: str, exit_code: int = 2) -> None:
    assert r.exit_code == exit_code, r.output
    assert f"[{code}]" in r.output, r.output
    assert CATALOG[code].hint in r.output, r.output  # says what to do


def _file(tmp: Path) -> Path:
    f = tmp / "a-file.txt"
    f.write_text("x")
    return f


# (name, args builder, expected code, exit code, paths that must not exist afterwards)
Case = tuple[str, Callable[[Path], list[str]], str, int, Callable[[Path], list[Path]]]
NONE: Callable[[Path], list[Path]] = lambda t: []  # noqa: E731

CASES: list[Case] = [
    # options click rejects, on every command: coded, exit 2
    *[
        (f"{cmd}-unknown-option", lambda t, c=cmd: [c, "--no-such-option"], "usage-error", 2, NONE)
        for cmd in (
            "validate",
            "generate",
            "consolidate",
            "remind",
            "ingest",
            "status",
            "report",
            "update-plan",
        )
    ],
    ("no-command", lambda t: ["no-such-command"], "usage-error", 2, NONE),
    ("validate-nothing", lambda t: ["validate"], "usage-error", 2, NONE),
    # the plan argument
    *[
        (f"{cmd}-no-plan", lambda t, c=cmd: [c], "usage-error", 2, NONE)
        for cmd in ("generate", "status", "report")
    ],
    (
        "generate-missing-plan",
        lambda t: ["generate", str(t / "nope.yaml"), "--period", "2026-Q3", "--out", str(t / "o")],
        "file-not-found",
        1,
        lambda t: [t / "o"],
    ),
    (
        "generate-two-plans",
        lambda t: ["generate", DEMO, DEMO, "--period", "2026-Q3", "--out", str(t / "o")],
        "usage-error",
        2,
        lambda t: [t / "o"],
    ),
    # generate: option checks happen before anything is written
    (
        "generate-bad-period",
        lambda t: ["generate", DEMO, "--period", "2026-Q9", "--out", str(t / "o")],
        "period-invalid",
        2,
        lambda t: [t / "o"],
    ),
    (
        "generate-smtp-not-host-port",
        lambda t: [
            "generate",
            DEMO,
            "--period",
            "2026-Q3",
            "--out",
            str(t / "o"),
            "--mail",
            str(t / "m"),
            "--smtp",
            "nohostport",
        ],
        "usage-error",
        2,
        lambda t: [t / "o", t / "m"],
    ),
    (
        "generate-smtp-without-mail",
        lambda t: [
            "generate",
            DEMO,
            "--period",
            "2026-Q3",
            "--out",
            str(t / "o"),
            "--smtp",
            "mail.example.org:587",
        ],
        "usage-error",
        2,
        lambda t: [t / "o"],
    ),
    (
        "generate-password-env-unset",
        lambda t: [
            "generate",
            DEMO,
            "--period",
            "2026-Q3",
            "--out",
            str(t / "o"),
            "--password-env",
            "MNE_TEST_NO_SUCH_VARIABLE",
        ],
        "password-env-missing",
        2,
        lambda t: [t / "o"],
    ),
    (
        "generate-out-under-a-file",
        lambda t: ["generate", DEMO, "--period", "2026-Q3", "--out", str(_file(t) / "o")],
        "file-system-error",
        2,
        NONE,
    ),
    # consolidate
    (
        "consolidate-nothing-to-read",
        lambda t: ["consolidate", DEMO, "--period", "2026-Q3", "--out", str(t / "c.xlsx")],
        "usage-error",
        2,
        lambda t: [t / "c.xlsx"],
    ),
    (
        "consolidate-missing-input",
        lambda t: [
            "consolidate",
            DEMO,
            str(t / "inbox"),
            "--period",
            "2026-Q3",
            "--out",
            str(t / "c.xlsx"),
        ],
        "file-not-found",
        2,
        lambda t: [t / "c.xlsx"],
    ),
    (
        "consolidate-bad-as-of",
        lambda t: [
            "consolidate",
            DEMO,
            str(t),
            "--period",
            "2026-Q3",
            "--out",
            str(t / "c.xlsx"),
            "--as-of",
            "28.11.2026",
        ],
        "usage-error",
        2,
        lambda t: [t / "c.xlsx"],
    ),
    (
        "consolidate-out-unwritable",
        lambda t: [
            "consolidate",
            DEMO,
            str(t),
            "--period",
            "2026-Q3",
            "--out",
            str(_file(t) / "c.xlsx"),
        ],
        "file-system-error",
        2,
        NONE,
    ),
    (
        "consolidate-db-in-missing-folder",
        lambda t: [
            "consolidate",
            DEMO,
            "--db",
            str(t / "no" / "dir" / "x.sqlite"),
            "--period",
            "2026-Q3",
            "--out",
            str(t / "c.xlsx"),
        ],
        "store-not-found",
        2,
        lambda t: [t / "c.xlsx", t / "no"],
    ),
    # remind
    (
        "remind-smtp-not-host-port",
        lambda t: [
            "remind",
            DEMO,
            str(t),
            "--period",
            "2026-Q3",
            "--mail",
            str(t / "m"),
            "--smtp",
            "nohostport",
        ],
        "usage-error",
        2,
        lambda t: [t / "m"],
    ),
    (
        "remind-no-inputs",
        lambda t: ["remind", DEMO, "--period", "2026-Q3", "--mail", str(t / "m")],
        "usage-error",
        2,
        lambda t: [t / "m"],
    ),
    # the store
    (
        "status-db-in-missing-folder",
        lambda t: ["status", DEMO, "--db", str(t / "no" / "dir" / "x.sqlite")],
        "store-not-found",
        2,
        lambda t: [t / "no"],
    ),
    (
        "status-no-store-next-to-plan",
        lambda t: ["status", str(shutil.copy(DEMO, t / "plan.yaml"))],
        "store-not-found",
        2,
        lambda t: [t / "plan.mne.sqlite"],
    ),
    (
        "report-no-store",
        lambda t: [
            "report",
            "--plan",
            str(shutil.copy(DEMO, t / "plan.yaml")),
            "--year",
            "2026",
            "--out",
            str(t / "y.xlsx"),
        ],
        "store-not-found",
        2,
        lambda t: [t / "plan.mne.sqlite", t / "y.xlsx"],
    ),
    (
        "report-year-outside-strategy",
        lambda t: ["report", DEMO, "--year", "1999", "--out", str(t / "y.xlsx")],
        "period-outside-strategy",
        2,
        lambda t: [t / "y.xlsx"],
    ),
    (
        "ingest-db-in-missing-folder",
        lambda t: ["ingest", DEMO, str(t), "--db", str(t / "no" / "dir" / "x.sqlite")],
        "store-folder-missing",
        2,
        NONE,
    ),
    (
        "ingest-db-unknown-driver",
        lambda t: ["ingest", DEMO, str(t), "--db", "nosuchdb+nodriver://u@h/db"],
        "store-error",
        2,
        NONE,
    ),
    # update-plan
    (
        "update-plan-two-masters",
        lambda t: ["update-plan", DEMO, str(_file(t)), str(_file(t)), "--out", str(t / "p.yaml")],
        "usage-error",
        2,
        lambda t: [t / "p.yaml"],
    ),
    (
        "update-plan-missing-master",
        lambda t: ["update-plan", str(t / "m.xlsx"), "--plan", DEMO, "--out", str(t / "p.yaml")],
        "file-not-found",
        2,
        lambda t: [t / "p.yaml"],
    ),
]


@pytest.mark.parametrize(
    ("name", "args", "code", "exit_code", "absent"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_arguments_give_a_coded_message(
    tmp_path: Path,
    name: str,
    args: Callable[[Path], list[str]],
    code: str,
    exit_code: int,
    absent: Callable[[Path], list[Path]],
) -> None:
    r = invoke(args(tmp_path))
    assert_coded(r, code, exit_code)
    for p in absent(tmp_path):
        assert not p.exists(), f"{name}: {p} was written although the command was refused"


def test_a_refused_send_is_coded_and_the_drafts_stay(tmp_path: Path) -> None:
    """A mail server that refuses the connection: coded, the drafts are kept."""
    r = invoke(
        [
            "generate",
            DEMO,
            "--period",
            "2026-Q3",
            "--out",
            str(tmp_path / "o"),
            "--mail",
            str(tmp_path / "m"),
            "--smtp",
            "127.0.0.1:9",
            "--no-starttls",
        ]
    )
    assert_coded(r, "mail-send-failed")
    assert list((tmp_path / "m").glob("*.eml"))


def test_the_installed_entry_point_prints_no_traceback(tmp_path: Path) -> None:
    """The real process (not CliRunner): coded message on stderr, exit 2."""
    proc = subprocess.run(
        [sys.executable, "-m", "mne_workbook", "status", DEMO, "--db", str(tmp_path / "n" / "x")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "[store-not-found]" in proc.stderr and "Traceback" not in proc.stderr


def test_both_plan_conventions_work(tmp_path: Path) -> None:
    """PLAN first, or --plan PLAN: the same command."""
    a = invoke(["generate", DEMO, "--period", "2026-Q3", "--out", str(tmp_path / "a")])
    b = invoke(["generate", "--plan", DEMO, "--period", "2026-Q3", "--out", str(tmp_path / "b")])
    assert a.exit_code == b.exit_code == 0
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(
        p.name for p in (tmp_path / "b").iterdir()
    )
