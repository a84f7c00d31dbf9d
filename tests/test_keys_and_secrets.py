"""Keys are created on purpose, checked when loaded; secrets never leave in clear."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from returns import KEYS, ON_TIME, PERIOD

from mne_workbook.childenv import scrubbed_env
from mne_workbook.errors import SigningKeyError, UsageError
from mne_workbook.fill import fill_return
from mne_workbook.generate import generate
from mne_workbook.mail import SmtpSettings, send
from mne_workbook.plan import Plan, load_plan
from mne_workbook.reader import read_return
from mne_workbook.signing import ENV, keys_for_reading, load_keys, new_key

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def no_env_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No $MNE_WORKBOOK_KEY and an empty config folder (the default key file absent)."""
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config" / "mne-workbook" / "signing.key"


def code(exc: pytest.ExceptionInfo[UsageError]) -> str:
    return exc.value.report.problems[0].code


def test_key_new_creates_a_private_key_and_never_replaces_one(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "office.key"
    ring = new_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(ring.current) == 32 and ring.warnings == ()
    with pytest.raises(SigningKeyError) as e:
        new_key(path)
    assert code(e) == "key-file-exists"
    rotated = new_key(path, rotate=True)
    assert rotated.keys[1:] == ring.keys and rotated.current != ring.current
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_key_file_that_does_not_exist_is_an_error_not_a_new_key(
    tmp_path: Path, no_env_key: Path
) -> None:
    typo = tmp_path / "typo.key"
    with pytest.raises(SigningKeyError) as e:
        load_keys(typo, create=True)
    assert code(e) == "key-file-missing" and "key new" in e.value.report.problems[0].message
    assert not typo.exists()


def test_the_default_key_is_created_on_first_generate_and_said_so(no_env_key: Path) -> None:
    ring = load_keys(None, create=True)
    assert ring is not None and ring.created == no_env_key
    again = load_keys(None, create=True)
    assert again is not None and again.created is None and again.keys == ring.keys


def test_no_key_at_all_is_said_as_such(no_env_key: Path) -> None:
    with pytest.raises(SigningKeyError) as e:
        keys_for_reading(None, require_signature=True)
    assert code(e) == "key-not-found"
    assert "no signing key found" in e.value.report.problems[0].message
    assert keys_for_reading(None, require_signature=False).keys == ()  # verifies, flags all


def test_short_keys_are_refused(
    tmp_path: Path, no_env_key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    short = tmp_path / "short.key"
    short.write_text("x\n")
    short.chmod(0o600)
    with pytest.raises(SigningKeyError) as e:
        load_keys(short)
    assert code(e) == "key-too-short"
    monkeypatch.setenv(ENV, "secret")
    with pytest.raises(SigningKeyError):
        load_keys()


def test_a_key_file_that_is_not_text_is_named(tmp_path: Path, no_env_key: Path) -> None:
    path = tmp_path / "k.key"
    path.write_bytes(b"\xff\xfe binary, not hex keys")
    with pytest.raises(SigningKeyError) as e:
        load_keys(path)
    assert code(e) == "key-file-unreadable"


def test_a_key_file_others_can_read_is_warned_about_with_the_fix(
    tmp_path: Path, no_env_key: Path
) -> None:
    path = tmp_path / "k.key"
    new_key(path)
    path.chmod(0o644)
    ring = load_keys(path)
    assert ring is not None
    (w,) = ring.warnings
    assert w.code == "key-file-readable" and f"chmod 600 {path}" in w.message


def test_allow_unsigned_flags_every_unsigned_return_with_or_without_a_key(
    tmp_path: Path, no_env_key: Path
) -> None:
    demo: Plan = load_plan(ROOT / "sample_plans" / "demo.yaml")
    [plain] = generate(demo, PERIOD, tmp_path / "u", institutions=["kp"], master=False)
    [signed] = generate(demo, PERIOD, tmp_path / "s", institutions=["kp"], master=False, keys=KEYS)
    for src in (plain.path, signed.path):
        dst = tmp_path / f"{src.parent.name}.xlsx"
        fill_return(src, dst, {("A2.1.1", "", "status"): 3}, ON_TIME)
        for keys in (keys_for_reading(None, require_signature=False), KEYS):
            sub = read_return(dst, demo, PERIOD, keys=keys, require_signature=False)
            assert sub.accepted
            flagged = [p.code for p in sub.problems if p.code == "unsigned-accepted"]
            verified = keys is KEYS and src == signed.path
            assert flagged == ([] if verified else ["unsigned-accepted"]), (src, keys)


def test_credentials_are_never_sent_in_clear_unless_asked(tmp_path: Path) -> None:
    plain = SmtpSettings("localhost", 25, starttls=False, user="onatc", password="pw")
    with pytest.raises(UsageError) as e:
        send([], plain)
    assert code(e) == "insecure-smtp"
    from dataclasses import replace

    send([], replace(plain, insecure_plain_auth=True), dry_run=True)  # accepted when asked
    send([], SmtpSettings("localhost", 25, starttls=False), dry_run=True)  # no credentials


def test_child_processes_get_no_secrets() -> None:
    env = {
        "PATH": "/usr/bin",
        "HOME": "/home/o",
        "LANG": "sq_AL.UTF-8",
        "LC_ALL": "C.UTF-8",
        ENV: "deadbeef",
        "MNE_SMTP_PASSWORD": "pw",
        "MNE_SMTP_USER": "onatc",
        "AWS_SECRET_ACCESS_KEY": "x",
        "GITHUB_TOKEN": "t",
        "DB_PASSWORD": "p",
        "SOME_RANDOM_VAR": "r",
    }
    assert scrubbed_env(env) == {
        "PATH": "/usr/bin",
        "HOME": "/home/o",
        "LANG": "sq_AL.UTF-8",
        "LC_ALL": "C.UTF-8",
    }


def test_libreoffice_is_started_with_the_scrubbed_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    import subprocess

    from mne_workbook import report

    seen: dict[str, str] = {}

    def fake_run(cmd: list[str], **kw: object) -> None:
        env = kw["env"]
        assert isinstance(env, dict)
        seen.update(env)
        outdir = Path(cmd[cmd.index("--outdir") + 1])
        (outdir / "c.pdf").write_bytes(b"%PDF-1.4 fake")

    monkeypatch.setenv(ENV, "a-signing-key-that-must-not-leak-0123456789")
    monkeypatch.setenv("MNE_SMTP_PASSWORD", "pw")
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/soffice")
    monkeypatch.setattr(subprocess, "run", fake_run)
    src = tmp_path / "c.xlsx"
    src.write_bytes(b"PK")
    pdf = report.to_pdf(src)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert seen and ENV not in seen and "MNE_SMTP_PASSWORD" not in seen
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".mne-tmp")]
