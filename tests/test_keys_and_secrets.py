"""Keys are created on purpose, checked when loaded; secrets never leave in clear."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from returns import KEYS, ON_TIME, PERIOD

from mne_workbook.childenv import scrubbed_env
from mne_workbook.errors import Severity, SigningKeyError, UsageError
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


# ------------------------------------------------------------ what a person reads about keys


HEX = "ab" * 32  # a proper 32-byte key, as `key new` writes it


def problem(e: pytest.ExceptionInfo[SigningKeyError]) -> tuple[str, str, str | None]:
    p = e.value.report.problems[0]
    return p.code, p.message, p.location.file


def private(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    path.chmod(0o600)
    return path


@pytest.mark.parametrize(
    ("lines", "n", "length"),
    [(["tiny"], 1, 4), ([HEX, "short"], 2, 5), ([HEX, HEX, "x" * 31], 3, 31)],
)
def test_a_short_key_is_named_by_its_place_and_length(
    tmp_path: Path,
    no_env_key: Path,
    monkeypatch: pytest.MonkeyPatch,
    lines: list[str],
    n: int,
    length: int,
) -> None:
    message = f"key {n} is {length} byte(s) long; at least 32 are needed"
    path = private(tmp_path / "k.key", "\n".join(lines) + "\n")
    with pytest.raises(SigningKeyError) as e:
        load_keys(path)
    assert problem(e) == ("key-too-short", message, str(path))
    monkeypatch.setenv(ENV, ",".join(lines))
    with pytest.raises(SigningKeyError) as e:
        load_keys()
    assert problem(e) == ("key-too-short", message, f"${ENV}")


def test_a_key_of_exactly_32_bytes_is_enough(tmp_path: Path, no_env_key: Path) -> None:
    ring = load_keys(private(tmp_path / "k.key", "k" * 32 + "\n"))
    assert ring is not None and ring.keys == (b"k" * 32,)


def test_a_missing_key_file_says_how_to_create_it(tmp_path: Path, no_env_key: Path) -> None:
    path = tmp_path / "typo.key"
    with pytest.raises(SigningKeyError) as e:
        keys_for_reading(path, require_signature=False)
    assert problem(e) == (
        "key-file-missing",
        f"no key file at {path}; create one with `mne-workbook key new --key-file {path}`",
        str(path),
    )


def test_an_unreadable_key_file_is_located_with_the_reason(
    tmp_path: Path, no_env_key: Path
) -> None:
    path = tmp_path / "k.key"
    path.write_bytes(b"\xff\xfe binary")
    with pytest.raises(SigningKeyError) as e:
        load_keys(path)
    code_, message, where = problem(e)
    assert (code_, where) == ("key-file-unreadable", str(path))
    assert message.startswith("cannot read it: 'utf-8' codec can't decode byte 0xff")
    folder = tmp_path / "a-folder.key"
    folder.mkdir()
    with pytest.raises(SigningKeyError) as e:
        load_keys(folder)
    assert problem(e) == (
        "key-file-unreadable",
        f"cannot read it: [Errno 21] Is a directory: '{folder}'",
        str(folder),
    )


def test_an_existing_key_file_is_never_replaced_and_says_how_to_rotate(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    before = new_key(path)
    with pytest.raises(SigningKeyError) as e:
        new_key(path)
    assert problem(e) == (
        "key-file-exists",
        f"{path} already holds a key; pass --rotate to put a new key in front",
        str(path),
    )
    assert load_keys(path) == before


def test_a_key_created_meanwhile_by_another_run_is_not_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two `key new` at once: the second finds the first's file when it renames, and
    refuses instead of silently replacing the key that may already sign workbooks."""
    import secrets

    path = tmp_path / "k.key"
    theirs = "cd" * 32
    real = secrets.token_hex

    def racing(n: int | None = None) -> str:
        private(path, theirs + "\n")  # the other run's key lands now
        return real(n)

    monkeypatch.setattr(secrets, "token_hex", racing)
    with pytest.raises(UsageError) as e:
        new_key(path)
    assert code(e) == "output-exists"
    assert path.read_text("utf-8") == theirs + "\n"
    assert [p.name for p in tmp_path.iterdir()] == ["k.key"]  # no temporary file left


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o602, 0o610, 0o601, 0o700, 0o600])
def test_a_key_file_others_can_reach_is_warned_about_with_its_mode_and_the_fix(
    tmp_path: Path, no_env_key: Path, mode: int
) -> None:
    path = private(tmp_path / "k.key", HEX + "\n")
    path.chmod(mode)
    for ring in (load_keys(path), keys_for_reading(path, require_signature=True)):
        assert ring is not None and ring.keys == (bytes.fromhex(HEX),)
        if mode & 0o077:
            (w,) = ring.warnings
            assert (w.code, w.severity, w.location.file) == (
                "key-file-readable",
                Severity.WARNING,
                str(path),
            )
            assert w.message == (
                f"mode {stat.filemode(stat.S_IFREG | mode)}: other users can read the signing"
                f" key; run: chmod 600 {path}"
            )
        else:
            assert ring.warnings == ()


def test_the_keys_that_verify_come_from_the_named_file_the_environment_or_the_default_file(
    tmp_path: Path, no_env_key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    named = private(tmp_path / "named.key", "11" * 32 + "\n" + "22" * 32 + "\n")
    ring = keys_for_reading(named, require_signature=True)
    assert (ring.keys, ring.source) == (
        (bytes.fromhex("11" * 32), bytes.fromhex("22" * 32)),
        str(named),
    )
    no_env_key.parent.mkdir(parents=True)
    private(no_env_key, "33" * 32 + "\n")
    ring = keys_for_reading(None, require_signature=True)
    assert (ring.keys, ring.source) == ((bytes.fromhex("33" * 32),), str(no_env_key))
    monkeypatch.setenv(ENV, "44" * 32)
    ring = keys_for_reading(None, require_signature=False)
    assert (ring.keys, ring.source) == ((bytes.fromhex("44" * 32),), f"${ENV}")
    ring = keys_for_reading(named, require_signature=False)  # the named file wins
    assert ring.source == str(named)


def test_a_blank_environment_variable_hides_no_key_file(
    no_env_key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_env_key.parent.mkdir(parents=True)
    private(no_env_key, "33" * 32 + "\n")
    monkeypatch.setenv(ENV, " , ")
    ring = keys_for_reading(None, require_signature=True)
    assert (ring.keys, ring.source) == ((bytes.fromhex("33" * 32),), str(no_env_key))


def test_without_a_key_reading_unsigned_returns_gets_an_empty_ring(no_env_key: Path) -> None:
    ring = keys_for_reading(None, require_signature=False)
    assert (ring.keys, ring.source, ring.created, ring.warnings) == ((), "no key", None, ())
    assert not no_env_key.exists()  # reading never creates a key


def test_no_key_says_which_source_was_looked_at(
    tmp_path: Path, no_env_key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(key_file: Path | None) -> tuple[str, str, str | None]:
        with pytest.raises(SigningKeyError) as e:
            keys_for_reading(key_file, require_signature=True)
        return problem(e)

    head = "no signing key found: no --key-file"
    assert refused(None) == (
        "key-not-found",
        f"{head}, no ${ENV}, and the key file {no_env_key} does not exist",
        str(no_env_key),
    )
    monkeypatch.setenv(ENV, ",")
    no_env_key.parent.mkdir(parents=True)
    private(no_env_key, "# keys of the ONATC office\n\n")
    assert refused(None) == (
        "key-not-found",
        f"{head}, ${ENV} holds no key, and the key file {no_env_key} holds no key",
        str(no_env_key),
    )
    named = private(tmp_path / "named.key", "# nothing yet\n")
    assert refused(named) == (
        "key-not-found",
        f"no signing key found: the key file {named} holds no key, only blank or comment lines",
        str(named),
    )


def test_an_indented_comment_is_a_comment_not_a_signing_key(
    tmp_path: Path, no_env_key: Path
) -> None:
    path = private(
        tmp_path / "k.key",
        "   # ONATC signing keys, rotated every year by the coordinator\n\t#old below\n"
        f"  {HEX}  \n",
    )
    ring = load_keys(path)
    assert ring is not None and ring.keys == (bytes.fromhex(HEX),)


def test_key_new_writes_one_hex_key_per_line_and_rotation_keeps_the_old_lines(
    tmp_path: Path,
) -> None:
    path = tmp_path / "k.key"
    first = new_key(path)
    text = path.read_text("utf-8")
    assert text == first.current.hex() + "\n" and len(first.current.hex()) == 64
    assert first.source == str(path) and first.created is None
    private(path, text + "# from 2025\n" + "ef" * 32 + "\n")
    second = new_key(path, rotate=True)
    assert (
        path.read_text("utf-8")
        == "\n".join([second.current.hex(), first.current.hex(), "# from 2025", "ef" * 32]) + "\n"
    )
    assert second.keys == (second.current, first.current, bytes.fromhex("ef" * 32))


def test_a_new_key_folder_is_private_and_the_key_is_never_readable_by_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folder `key new` creates is 700; the key file is 600 from its first byte on."""
    folder = tmp_path / "config" / "mne-workbook"
    seen: list[int] = []
    real = Path.write_text

    def watched(self: Path, data: str, *args: object, **kw: object) -> int:
        if self.parent == folder:
            seen.append(stat.S_IMODE(self.stat().st_mode))
        return real(self, data, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", watched)
    new_key(folder / "signing.key")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert seen == [0o600]  # while the key is written
    assert stat.S_IMODE((folder / "signing.key").stat().st_mode) == 0o600
