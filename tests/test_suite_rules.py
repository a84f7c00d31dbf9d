"""Rules about the test suite itself: every message code is tested, every test that drives
an external program is marked so that it skips (or fails in CI) when the program is missing."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from programs import PROGRAMS

from mne_workbook.errors import CATALOG

TESTS = Path(__file__).resolve().parent

#: Codes that no test names, each with the reason it is accepted. Empty today; a new code
#: goes here only with a comment saying why it cannot be tested.
UNTESTED_CODES: dict[str, str] = {}

#: helper (function or string) -> the program it drives
PROGRAM_USES = {
    "resave_xlsx": "soffice",
    "convert": "soffice",
    "require_soffice": "soffice",
    "to_pdf": "soffice",
    "gnumeric_resave": "ssconvert",
    "require_ssconvert": "ssconvert",
    "require_uno": "soffice",
    "pdftotext": "pdftotext",
}
HELPER_MODULES = {"lo.py", "programs.py", "conftest.py", "legibility.py"}
#: Tests that name a program helper but drive no real program, and why.
NO_PROGRAM_NEEDED = {
    "test_pdf_without_libreoffice_says_so": "PATH holds no soffice on purpose",
    "test_a_libreoffice_that_writes_no_pdf_is_a_failure": "a fake soffice script on PATH",
    "test_libreoffice_is_started_with_the_scrubbed_environment": "subprocess.run is faked",
}


def _test_sources() -> dict[str, str]:
    return {p.name: p.read_text("utf-8") for p in sorted(TESTS.glob("*.py"))}


def test_every_catalog_code_is_named_by_a_test_or_allowlisted() -> None:
    text = "\n".join(src for name, src in _test_sources().items() if name != "test_suite_rules.py")
    untested = [
        code
        for code in CATALOG
        if code not in UNTESTED_CODES
        and not re.search(r"[\"'\[]" + re.escape(code) + r"[\"'\]]", text)
    ]
    assert untested == [], "name each in a test that makes it arise, or allowlist it with why"
    assert set(UNTESTED_CODES) <= set(CATALOG), "allowlisted codes that no longer exist"


def _needs(node: ast.AST) -> set[str]:
    """Programs named in ``needs(...)`` marks anywhere inside ``node``."""
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "needs":
            out |= {
                a.value for a in n.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
            }
    return out


def _uses(fn: ast.AST) -> set[str]:
    used = set()
    for n in ast.walk(fn):
        name = (
            n.id
            if isinstance(n, ast.Name)
            else n.attr
            if isinstance(n, ast.Attribute)
            else n.value
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
            else None
        )
        if name in PROGRAM_USES:
            used.add(PROGRAM_USES[name])
    return used


def unmarked_uses(source: str) -> list[str]:
    """Functions of a test module that drive a program their marks do not name."""
    tree = ast.parse(source)
    module_marks = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets
        ):
            module_marks |= _needs(stmt.value)
    bad = []
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef):
            marks = module_marks | set().union(*(_needs(d) for d in fn.decorator_list))
            missing = _uses(fn) - marks
            if missing and fn.name not in NO_PROGRAM_NEEDED:
                bad.append(f"{fn.name}: {', '.join(sorted(missing))}")
    return bad


@pytest.mark.parametrize(
    "module",
    [n for n in sorted(_test_sources()) if n not in HELPER_MODULES and n != "test_suite_rules.py"],
)
def test_tests_that_drive_a_program_are_marked(module: str) -> None:
    assert unmarked_uses(_test_sources()[module]) == [], (
        'mark them @pytest.mark.needs("soffice" | "ssconvert" | "pdftotext")'
    )


def test_the_mark_checker_sees_a_missing_mark() -> None:
    src = "def test_x(tmp_path):\n    resave_xlsx(tmp_path / 'a', tmp_path)\n"
    assert unmarked_uses(src) == ["test_x: soffice"]
    marked = "@pytest.mark.needs('soffice')\n" + src
    assert unmarked_uses(marked) == []


def test_every_program_a_test_may_need_is_known() -> None:
    assert set(PROGRAM_USES.values()) <= set(PROGRAMS)


def test_the_bare_suite_hides_every_program_a_test_may_need() -> None:
    """scripts/bare_suite.sh proves the suite runs without LibreOffice, Gnumeric and
    poppler: it must hide every executable programs.py knows for them."""
    script = (TESTS.parent / "scripts" / "bare_suite.sh").read_text("utf-8")
    hidden = {
        name
        for group in re.findall(r'^(?:SOFFICE|GNUMERIC|POPPLER)="([^"]*)"', script, re.M)
        for name in group.split()
    }
    for program, (names, _) in PROGRAMS.items():
        if program != "chromium":  # the browser tests are not part of that promise
            assert set(names) <= hidden, program
