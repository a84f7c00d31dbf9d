"""External programs some tests drive, and the one rule for when one is missing.

Mark such a test ``@pytest.mark.needs("soffice", "pdftotext")`` (or a whole module with
``pytestmark``). When a program is missing the test is skipped with a message naming it
and how to install it; in CI (``CI`` set) it fails instead, because `.ci/run` must have
installed it. `tests/test_suite_rules.py` checks that every test using one is marked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import NoReturn

import pytest

#: program -> (executables that provide it, what to install)
PROGRAMS: dict[str, tuple[tuple[str, ...], str]] = {
    "soffice": (("soffice", "libreoffice"), "LibreOffice Calc (apt-get install libreoffice-calc)"),
    "ssconvert": (("ssconvert",), "Gnumeric (apt-get install gnumeric)"),
    "pdftotext": (("pdftotext",), "poppler (apt-get install poppler-utils)"),
    "chromium": (("chromium",), "Chromium (apt-get install chromium), driven by Playwright"),
}


def which(program: str) -> str | None:
    names, _ = PROGRAMS[program]
    return next((p for n in names if (p := shutil.which(n))), None)


def in_ci() -> bool:
    """``CI`` is set (to anything but empty, 0 or false), as CI services do."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def missing(program: str, what: str) -> NoReturn:
    """Skip, or fail in CI, naming what to install."""
    if in_ci():
        pytest.fail(f"{program} is not installed: .ci/run must install {what}")
    pytest.skip(f"{program} not installed on this machine; install {what} to run this test")


def require(program: str) -> str:
    """The program's path; else skip (fail in CI) with a message naming what to install."""
    path = which(program)
    if path:
        return path
    missing(program, PROGRAMS[program][1])


#: The system Python that has LibreOffice's bridge (``calc_uno.py`` runs under it).
SYSTEM_PYTHON = "/usr/bin/python3"


def require_uno() -> str:
    """The system Python, when it can ``import uno``; else skip (fail in CI)."""
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True)
    if probe.returncode != 0:
        missing("python3-uno", "LibreOffice's Python bridge (apt-get install python3-uno)")
    return SYSTEM_PYTHON
