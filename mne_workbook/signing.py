"""Tamper evidence: an HMAC over a workbook's identity and the plan content it carries.

Sheet protection only guides honest users. The generator signs each workbook with a
key that ONATC keeps; the reader recomputes the signature and tells apart an
unsigned file, a file signed with an unknown key, a workbook whose identity was
changed to another institution, an identity copied from another file, and plan cells
edited after protection was removed.

Keys: a key file named with ``--key-file``, else the environment variable
``MNE_WORKBOOK_KEY`` (hex or text; several separated by commas), else the key file
``$XDG_CONFIG_HOME/mne-workbook/signing.key`` (default ``~/.config/...``), created with
a random key on first use. Rotation: put the new key on the first line of the file and
keep the old ones below it; workbooks name the id of the key that signed them, so
returns of earlier rounds still verify. Remove an old key once no return signed with
it can still arrive.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ENV = "MNE_WORKBOOK_KEY"


def default_key_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "mne-workbook" / "signing.key"


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"mne-key-id:" + key).hexdigest()[:12]


@dataclass(frozen=True)
class KeyRing:
    """The signing key (first) and older keys still accepted for verification."""

    keys: tuple[bytes, ...]

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


def load_keys(key_file: Path | None = None, create: bool = False) -> KeyRing | None:
    """The key ring: from ``key_file`` when given, else ``$MNE_WORKBOOK_KEY`` (keys
    separated by commas, current first), else the default key file; None when none."""
    env = os.environ.get(ENV)
    if env and key_file is None:
        return KeyRing(tuple(_parse_key(k) for k in env.split(",") if k.strip()))
    path = key_file or default_key_file()
    if not path.exists():
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    lines = [
        ln for ln in path.read_text("utf-8").splitlines() if ln.strip() and not ln.startswith("#")
    ]
    return KeyRing(tuple(_parse_key(ln) for ln in lines)) if lines else None


def content_digest(records: Iterable[str]) -> str:
    """Digest of the plan content a workbook shows (see :func:`layout.content_records`)."""
    h = hashlib.sha256()
    for r in records:
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
