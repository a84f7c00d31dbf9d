"""A merge left half-done must not land: no tracked text file holds conflict markers."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(rb"^(?:<{7}|>{7})(?: |$)|^={7}$", re.M)


def _tracked() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: nothing to check")
    return [ROOT / n for n in out.decode().split("\0") if n]


def test_no_tracked_file_holds_merge_conflict_markers() -> None:
    text_like = {".py", ".md", ".toml", ".yaml", ".yml", ".json", ".txt", ".cfg", ".sh", ".html"}
    hits = []
    for path in _tracked():
        if path.suffix not in text_like and path.name not in {"Makefile"}:
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        for m in MARKER.finditer(data):
            line = data.count(b"\n", 0, m.start()) + 1
            hits.append(f"{path.relative_to(ROOT)}:{line}")
    assert not hits, f"merge conflict markers left in: {hits}"


def test_the_marker_pattern_finds_what_git_writes() -> None:
    sample = b"a\n<<<<<<< HEAD\nx\n=======\ny\n>>>>>>> main\nb\n"
    assert len(MARKER.findall(sample)) == 3
    assert not MARKER.search(b"=========\n<<<<<<<<\nheading\n=======x\n")
