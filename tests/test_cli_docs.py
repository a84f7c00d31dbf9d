"""The CLI reference in docs/ cannot drift from the CLI."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from cli_docs import render  # noqa: E402


def test_docs_cli_md_matches_the_commands_help() -> None:
    assert (ROOT / "docs" / "cli.md").read_text("utf-8") == render(), "run `make docs`"
