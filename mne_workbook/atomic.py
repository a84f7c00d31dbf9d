"""THE way every output file is written: temp file in the destination folder, fsync, rename.

A reader of the target sees the old file or the new one, never half a file, even when
the process is killed or the disk fills up: the bytes go to a temporary file in the
same folder (so the rename never crosses a filesystem), are flushed to disk, and only
then renamed onto the target. On any error the temporary file is removed. Temporary
files carry :data:`TEMP_PREFIX`, so input discovery recognises one left behind by a
killed run and never reads it as a return.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from .errors import Location, UsageError, fail

T = TypeVar("T")

#: Every temporary file this package creates starts with this (see :func:`is_temp_name`).
TEMP_PREFIX = ".mne-tmp-"
#: Prefixes of temporary files written by earlier versions, recognised all the same.
_OLD_PREFIXES = (".tmp-",)


def is_temp_name(name: str) -> bool:
    """True for the name of a temporary file this package writes (never a return)."""
    return name.startswith((TEMP_PREFIX, *_OLD_PREFIXES))


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@functools.cache
def _default_mode() -> int:
    """The mode ``open()`` would give a new file: 0o666 less the process's umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def temp_path(folder: Path, suffix: str = "") -> Path:
    """A fresh, empty temporary file in ``folder`` named with :data:`TEMP_PREFIX`."""
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=suffix, dir=folder)
    os.close(fd)
    return Path(tmp)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(
    target: str | Path,
    write: Callable[[Path], T],
    *,
    overwrite: bool = True,
    mode: int | None = None,
) -> T:
    """Call ``write(tmp_path)``, flush it to disk, then rename it onto ``target``.

    The file gets ``mode``, by default the one a plain ``open()`` would give (the
    temporary file itself is private, 0o600, so that nobody reads it half-written).

    ``overwrite=False`` refuses (``output-exists``) when ``target`` already exists, and
    the final rename does not replace a file that appeared meanwhile. On any error the
    temporary file is removed and ``target`` is untouched.
    """
    target = Path(target)
    if not overwrite:
        refuse_existing([target])
    tmp = temp_path(target.parent, target.suffix)
    try:
        result = write(tmp)
        os.chmod(tmp, _default_mode() if mode is None else mode)
        _fsync_file(tmp)
        if overwrite:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # fails if target exists: no silent replacement
            except FileExistsError:
                refuse_existing([target])
            except OSError:  # filesystems without hard links
                refuse_existing([target])
                os.replace(tmp, target)
        fsync_dir(target.parent)
        return result
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_copy(source: str | Path, target: str | Path, *, overwrite: bool = True) -> Path:
    """Copy ``source`` onto ``target`` atomically (e.g. a PDF made in another folder)."""

    def copy(tmp: Path) -> None:
        with open(source, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)

    atomic_write(target, copy, overwrite=overwrite)
    return Path(target)


def refuse_existing(targets: Iterable[str | Path]) -> None:
    """Raise ``output-exists`` for the first of ``targets`` that already exists."""
    for t in targets:
        if os.path.lexists(t):
            raise fail(
                UsageError,
                "output-exists",
                f"{t} already exists; pass --overwrite to replace it",
                Location(file=str(t)),
            )
