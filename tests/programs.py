"""External programs some tests drive, and the one rule for when one is missing.

Mark such a test ``@pytest.mark.needs("soffice", "pdftotext")`` (or a whole module with
``pytestmark``). When a program is missing the test is skipped with a message naming it
and how to install it; in CI (``CI`` set) it fails instead, because `.ci/run` must have
installed it. `tests/test_suite_rules.py` checks that every test using one is marked.
"""

from __future__ import annotations

import os
import shutil

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


def require(program: str) -> str:
    """The program's path; else skip (fail in CI) with a message naming what to install."""
    path = which(program)
    if path:
        return path
    what = PROGRAMS[program][1]
    if os.environ.get("CI"):
        pytest.fail(f"{program} is not installed: .ci/run must install {what}")
    pytest.skip(f"{program} not installed on this machine; install {what} to run this test")
