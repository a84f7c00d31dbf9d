"""Tamper evidence: an HMAC over a workbook's identity and the plan content it carries.

Sheet protection only guides honest users. The generator signs each workbook with a
key that ONATC keeps; the reader recomputes the signature and tells apart an
unsigned file, a file signed with an unknown key, a workbook whose identity was
changed to another institution, an identity copied from another file, and plan cells
edited after protection was removed.

Keys: a key file named with ``--key-file`` (which must exist), else the environment
variable ``MNE_WORKBOOK_KEY`` (hex or text; several separated by commas), else the key
file ``$XDG_CONFIG_HOME/mne-workbook/signing.key`` (default ``~/.config/...``). A key
file is created only by :func:`new_key` (``mne-workbook key new``) or, for the default
file, on the first ``generate`` (which says where, and that it must be backed up).
Keys shorter than 32 bytes are refused; a key file others can read is warned about.
Rotation: :func:`new_key` with ``rotate`` puts a new key on the first line and keeps
the old ones below it; workbooks name the id of the key that signed them, so returns
of earlier rounds still verify. Remove an old key once no return signed with it can
still arrive.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Location, Problem, SigningKeyError, fail

ENV = "MNE_WORKBOOK_KEY"
MIN_KEY_BYTES = 32


def default_key_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "mne-workbook" / "signing.key"


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"mne-key-id:" + key).hexdigest()[:12]


@dataclass(frozen=True)
class KeyRing:
    """The signing key (first) and older keys still accepted for verification."""

    keys: tuple[bytes, ...]
    #: where the keys came from (a file, or the environment variable)
    source: str = ""
    #: the key file created by this call (first ``generate``): tell the user to back it up
    created: Path | None = None
    warnings: tuple[Problem, ...] = field(default=())

    @property
    def current(self) -> bytes:
        return self.keys[0]

    def by_id(self, kid: str) -> bytes | None:
        return next((k for k in self.keys if key_id(k) == kid), None)


def _parse_key(text: str) -> bytes:
    text = text.strip()
    try:
        return bytes.fromhex(text) if len(text) >= 32 else text.encode("utf-8")
    except ValueError:
        return text.encode("utf-8")


def _key_error(code: str, message: str, where: str) -> SigningKeyError:
    err = fail(SigningKeyError, code, message, Location(file=where))
    assert isinstance(err, SigningKeyError)
    return err


def _checked(keys: list[bytes], where: str) -> tuple[bytes, ...]:
    for n, k in enumerate(keys, 1):
        if len(k) < MIN_KEY_BYTES:
            raise _key_error(
                "key-too-short",
                f"key {n} is {len(k)} byte(s) long; at least {MIN_KEY_BYTES} are needed",
                where,
            )
    return tuple(keys)


def _read_key_file(path: Path) -> list[bytes]:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _key_error("key-file-unreadable", f"cannot read it: {exc}", str(path)) from None
    lines = (ln.strip() for ln in text.splitlines())
    return [_parse_key(ln) for ln in lines if ln and not ln.startswith("#")]


def _readable_by_others(path: Path) -> Problem | None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return Problem(
            "key-file-readable",
            f"mode {stat.filemode(mode)}: other users can read the signing key;"
            f" run: chmod 600 {path}",
            Location(file=str(path)),
        )
    return None


def load_keys(key_file: Path | None = None, create: bool = False) -> KeyRing | None:
    """The key ring: from ``key_file`` when given (it must exist), else
    ``$MNE_WORKBOOK_KEY`` (keys separated by commas, current first), else the default
    key file (also when the variable is set but blank); None when there is none.
    ``create`` makes the default key file when no key is found anywhere (the ring's
    ``created`` says so). Raises SigningKeyError for
    a missing ``key_file``, an unreadable file or a key shorter than 32 bytes."""
    env = os.environ.get(ENV) or ""
    keys = [_parse_key(k) for k in env.split(",") if k.strip()]
    if keys and key_file is None:  # a blank variable hides no key file
        return KeyRing(_checked(keys, f"${ENV}"), f"${ENV}")
    if key_file is not None and not key_file.exists():
        raise _key_error(
            "key-file-missing",
            f"no key file at {key_file}; create one with"
            f" `mne-workbook key new --key-file {key_file}`",
            str(key_file),
        )
    path = key_file or default_key_file()
    created = None
    if not path.exists():
        if not create:
            return None
        new_key(path)
        created = path
    keys = _read_key_file(path)
    if not keys:
        return None
    warn = _readable_by_others(path)
    return KeyRing(_checked(keys, str(path)), str(path), created, (warn,) if warn else ())


def _no_key(key_file: Path | None) -> str:
    """Where no key was found, source by source (a file may exist and hold only comments)."""
    if key_file is not None:
        return (
            f"no signing key found: the key file {key_file} holds no key, only blank or"
            " comment lines"
        )
    default = default_key_file()
    env = f"${ENV} holds no key" if os.environ.get(ENV) else f"no ${ENV}"
    held = "holds no key" if default.exists() else "does not exist"
    return f"no signing key found: no --key-file, {env}, and the key file {default} {held}"


def keys_for_reading(key_file: Path | None, require_signature: bool) -> KeyRing:
    """The keys that verify returns; when a signature is required and there is no key
    at all, say so (``key-not-found``) instead of refusing every return."""
    ring = load_keys(key_file, create=False)
    if ring is None and require_signature:
        raise _key_error("key-not-found", _no_key(key_file), str(key_file or default_key_file()))
    # With --allow-unsigned and no key, an empty ring still flags every return that
    # cannot be verified (None would mean: do not verify at all).
    return ring if ring is not None else KeyRing((), "no key")


def new_key(path: Path, rotate: bool = False) -> KeyRing:
    """Write a new random key to ``path`` (mode 600). With ``rotate`` an existing file
    keeps its keys below the new one (still accepted for verification); without it an
    existing file is refused (``key-file-exists``)."""
    from .atomic import atomic_write

    old: list[str] = []
    if path.exists():
        if not rotate:
            raise _key_error(
                "key-file-exists",
                f"{path} already holds a key; pass --rotate to put a new key in front",
                str(path),
            )
        old = [ln.strip() for ln in path.read_text("utf-8").splitlines() if ln.strip()]
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = "\n".join([secrets.token_hex(32), *old]) + "\n"

    def write(tmp: Path) -> None:
        os.chmod(tmp, 0o600)
        tmp.write_text(text, "utf-8")

    atomic_write(path, write, overwrite=rotate, mode=0o600)
    ring = load_keys(path)
    assert ring is not None
    return ring


def content_digest(records: Iterable[str]) -> str:
    """Digest of the plan content a workbook shows (see :func:`layout.content_records`)."""
    h = hashlib.sha256()
    items = list(records)
    try:  # the same bytes, encoded at once
        h.update(("\x1e".join(items) + "\x1e" if items else "").encode("utf-8"))
    except UnicodeEncodeError:  # the error as the record by record encoding raised it
        h = hashlib.sha256()
        for r in items:
            h.update(r.encode("utf-8"))
            h.update(b"\x1e")
    return h.hexdigest()


def sign(key: bytes, identity_fields: Iterable[tuple[str, str]], digest: str) -> str:
    msg = "\x1f".join(f"{k}={v}" for k, v in identity_fields) + "\x1d" + digest
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(
    key: bytes, identity_fields: Iterable[tuple[str, str]], digest: str, signature: str
) -> bool:
    return hmac.compare_digest(sign(key, identity_fields, digest), signature)
