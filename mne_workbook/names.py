"""File names are data: shown safely, stored exactly.

A return's name comes from whoever sent it. On Linux a name is bytes; Python hands
us bytes that are not UTF-8 (an Albanian ``ë`` saved by an old client in cp1250) as
lone surrogates, which no encoder accepts; a name may also hold newlines or terminal
escape sequences. :func:`shown` is the name as text that every writer (terminal,
xlsx, CSV, JSON, SQL) takes: undecodable bytes become U+FFFD and control characters
are spelled out. :func:`raw` is the exact bytes, which the store keeps.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

REPLACEMENT = "\ufffd"
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e"}


def raw(name: str | os.PathLike[str]) -> bytes:
    """The exact bytes of a name as the filesystem holds them."""
    return os.fsencode(name)


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(name: str | os.PathLike[str]) -> str:
    """``name`` as safe text: bad bytes -> U+FFFD, control/format characters escaped."""
    text = os.fsencode(name).decode("utf-8", "replace")
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        # Cc: C0/C1 controls (ESC, newline, CSI); Cf: bidi overrides and the like;
        # Zl/Zp: line and paragraph separators; Cs/Co cannot occur after decoding
        # with "replace" but are escaped anyway.
        out.append(_escape(ch) if cat in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") else ch)
    return "".join(out)


def shown_path(path: str | os.PathLike[str]) -> str:
    """A whole path shown safely (each part through :func:`shown`)."""
    return shown(os.fspath(path))


def name_of(path: str | os.PathLike[str]) -> str:
    """The last part of ``path`` shown safely."""
    return shown(Path(path).name)
