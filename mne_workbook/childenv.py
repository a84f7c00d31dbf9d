"""The environment a child program (LibreOffice) gets: what it needs, no secrets.

A converter started for ``--pdf`` has no business with the signing key or the SMTP
password; a crash report or a macro could leak them. Only variables on an allow list
are passed on (locale, paths, display, temporary folder), and even those are dropped
when their name says they hold a secret.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

ALLOWED = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "LANG",
        "LANGUAGE",
        "TZ",
        "TMPDIR",
        "TEMP",
        "TMP",
        "DISPLAY",
        "WAYLAND_DISPLAY",
        "XDG_RUNTIME_DIR",
        "FONTCONFIG_PATH",
        "FONTCONFIG_FILE",
        "SAL_USE_VCLPLUGIN",
    }
)
_SECRET = re.compile(r"KEY|PASS|SECRET|TOKEN|CRED|AUTH|SMTP", re.IGNORECASE)


def scrubbed_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: ours) reduced to the allow list and ``LC_*``, minus secrets."""
    source = os.environ if env is None else env
    return {
        k: v
        for k, v in source.items()
        if (k in ALLOWED or k.startswith("LC_")) and not _SECRET.search(k)
    }
