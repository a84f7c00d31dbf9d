"""Signing: the HMAC format (written once, read for years), keys, rotation and key files.

The format is checked against an independent computation from its description (HMAC-SHA256
over ``k=v`` pairs joined by U+001F, then U+001D, then the content digest; the digest is
SHA-256 over records each followed by U+001E; a key id is the first 12 hex digits of
SHA-256 over ``mne-key-id:`` + key), and against one signature made by version 0.1.0, so
that returns of earlier rounds keep verifying.
"""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

import pytest

from mne_workbook.errors import SigningKeyError
from mne_workbook.signing import (
    ENV,
    KeyRing,
    content_digest,
    default_key_file,
    key_id,
    load_keys,
    new_key,
    sign,
    verify,
)

FIELDS = [("plan_id", "demo"), ("institution", "kp"), ("period", "2026-Q3")]


def spec_digest(records: list[str]) -> str:
    return hashlib.sha256(b"".join(r.encode("utf-8") + b"\x1e" for r in records)).hexdigest()


def spec_sign(key: bytes, fields: list[tuple[str, str]], digest: str) -> str:
    msg = "\x1f".join(f"{k}={v}" for k, v in fields) + "\x1d" + digest
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).hexdigest()


def test_key_id_is_the_documented_hash() -> None:
    for key in (b"k1", bytes(range(32)), "clé".encode()):
        assert key_id(key) == hashlib.sha256(b"mne-key-id:" + key).hexdigest()[:12]
    assert len(key_id(b"k1")) == 12


def test_content_digest_is_the_documented_hash() -> None:
    for records in ([], ["a"], ["a", "b"], ["ab"], ["SO1|5|value|3", "Qëndrim"]):
        assert content_digest(records) == spec_digest(records)
    assert content_digest(["a", "b"]) != content_digest(["ab"])  # records stay apart


def test_signature_is_the_documented_hmac() -> None:
    digest = spec_digest(["SO1|5|value|3"])
    for key in (b"k1", bytes(range(32))):
        assert sign(key, FIELDS, digest) == spec_sign(key, FIELDS, digest)
    assert sign(b"k1", [], "") == spec_sign(b"k1", [], "")


def test_a_signature_made_by_version_0_1_0_still_verifies() -> None:
    """Made with 0.1.0 (the first release that signed); a changed format breaks returns
    already in the institutions' hands."""
    old = "aa86d78591f54a8a39032db216b09def219dc6550f5df938223d569676ac1fca"
    assert verify(b"k1", [("plan", "p"), ("inst", "kp")], "d" * 8, old)


def test_anything_changed_breaks_the_signature() -> None:
    digest = content_digest(["SO1|5|value|3"])
    good = sign(b"k1", FIELDS, digest)
    assert verify(b"k1", FIELDS, digest, good)
    assert not verify(b"k2", FIELDS, digest, good)  # another key
    other = [("plan_id", "demo"), ("institution", "mlsw"), ("period", "2026-Q3")]
    assert not verify(b"k1", other, digest, good)  # another identity
    assert not verify(b"k1", FIELDS, content_digest(["SO1|5|value|4"]), good)  # other content
    assert not verify(b"k1", FIELDS, digest, good[:-1] + ("0" if good[-1] != "0" else "1"))
    assert not verify(b"k1", FIELDS, digest, "")
    # the separators keep fields apart: a value cannot be moved into the next field
    assert sign(b"k1", [("a", "b=c")], "") != sign(b"k1", [("a", "b"), ("c", "")], "")
    assert sign(b"k1", [("a", "b")], "c") != sign(b"k1", [("a", "bc")], "")


def test_a_key_ring_signs_with_its_first_key_and_knows_the_others() -> None:
    ring = KeyRing((b"new", b"old"))
    assert ring.current == b"new"
    assert ring.by_id(key_id(b"old")) == b"old"
    assert ring.by_id(key_id(b"new")) == b"new"
    assert ring.by_id(key_id(b"unknown")) is None


# --------------------------------------------------------------------------- where keys come from


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path


def test_the_default_key_file_is_under_xdg_config_home(no_env: Path) -> None:
    assert default_key_file() == no_env / "config" / "mne-workbook" / "signing.key"


def test_the_default_key_file_falls_back_to_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("HOME", "/home/someone")
    assert default_key_file() == Path("/home/someone/.config/mne-workbook/signing.key")


def test_no_key_anywhere_means_no_ring_and_no_file(no_env: Path) -> None:
    assert load_keys() is None
    assert not default_key_file().exists()


def test_the_first_use_creates_a_private_random_key_file(no_env: Path) -> None:
    ring = load_keys(create=True)
    path = default_key_file()
    assert ring is not None and path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    [line] = path.read_text("utf-8").splitlines()
    assert ring.keys == (bytes.fromhex(line),) and len(ring.current) == 32
    assert ring.created == path  # generate says so: back it up
    again = load_keys()
    assert again is not None and again.keys == ring.keys and again.created is None
    other = no_env / "elsewhere" / "k.key"
    with pytest.raises(SigningKeyError):  # a named file that does not exist: never made
        load_keys(other, create=True)
    assert new_key(other).keys != ring.keys  # `key new` gives a file its own random key


def test_a_key_file_is_created_in_an_existing_folder(no_env: Path) -> None:
    folder = default_key_file().parent
    folder.mkdir(parents=True)
    (folder / "other.txt").write_text("kept", "utf-8")
    assert load_keys(create=True) is not None
    assert (folder / "other.txt").read_text("utf-8") == "kept"


def test_a_key_file_holds_current_and_older_keys_and_comments(no_env: Path) -> None:
    path = no_env / "ring.key"
    new, old = "11" * 32, "an old passphrase kept as text (32+ bytes)"
    path.write_text(f"# rotated 2026-07\n{new}\n\n{old}\n", "utf-8")
    ring = load_keys(path)
    assert ring is not None
    assert ring.keys == (bytes.fromhex(new), old.encode("utf-8"))


def test_an_empty_key_file_is_no_ring(no_env: Path) -> None:
    path = no_env / "empty.key"
    path.write_text("# nothing yet\n\n", "utf-8")
    assert load_keys(path) is None


def test_the_environment_holds_several_keys_current_first(
    no_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text_key = "a text key of thirty-two bytes or more"
    monkeypatch.setenv(ENV, f"{'22' * 32}, {text_key} ,")
    ring = load_keys(create=True)
    assert ring is not None
    assert ring.keys == (bytes.fromhex("22" * 32), text_key.encode())
    assert not default_key_file().exists()  # the environment wins; no file is made


def test_a_named_key_file_wins_over_the_environment(
    no_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "33" * 32)
    path = no_env / "named.key"
    path.write_text("44" * 32 + "\n", "utf-8")
    ring = load_keys(path)
    assert ring is not None and ring.keys == (bytes.fromhex("44" * 32),)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("ab" * 16, bytes.fromhex("ab" * 16)),  # 32 hex digits: hex
        ("ab" * 15, ("ab" * 15).encode()),  # fewer than 32 characters: text
        ("zz" * 16, ("zz" * 16).encode()),  # long but not hex: text
        ("  " + "cd" * 16 + "  ", bytes.fromhex("cd" * 16)),  # surrounding blanks ignored
    ],
)
def test_keys_are_hex_when_long_hex_else_text(
    no_env: Path, monkeypatch: pytest.MonkeyPatch, text: str, key: bytes
) -> None:
    from mne_workbook.signing import _parse_key

    assert _parse_key(text) == key
    monkeypatch.setenv(ENV, text)
    if len(key) < 32:
        with pytest.raises(SigningKeyError):  # loading refuses keys under 32 bytes
            load_keys()
    else:
        ring = load_keys()
        assert ring is not None and ring.keys == (key,)
