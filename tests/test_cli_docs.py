"""The CLI and code references in docs/ cannot drift from the CLI and the catalog."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import cli_docs  # noqa: E402
import codes_docs  # noqa: E402

from mne_workbook.errors import CATALOG  # noqa: E402


def test_docs_cli_md_is_what_help_prints() -> None:
    assert (ROOT / "docs" / "cli.md").read_text("utf-8") == cli_docs.render(), "run `make docs`"


def test_docs_cli_md_shows_the_short_help_option() -> None:
    text = (ROOT / "docs" / "cli.md").read_text("utf-8")
    assert text.count("-h, --help") == text.count("```") // 2  # once per command block


def test_docs_codes_md_is_the_catalog() -> None:
    assert (ROOT / "docs" / "codes.md").read_text("utf-8") == codes_docs.render(), "run `make docs`"


def test_every_code_is_in_codes_md_with_its_hint() -> None:
    text = (ROOT / "docs" / "codes.md").read_text("utf-8")
    for code, c in CATALOG.items():
        assert f"| `{code}` | {c.severity} |" in text
        assert c.hint.replace("|", "\\|") in text


def test_every_code_can_arise_somewhere() -> None:
    """A code no module names is advertised but never shown (plan-version-mismatch was)."""
    unused = [code for code, mods in codes_docs.where_used().items() if not mods]
    assert unused == []
