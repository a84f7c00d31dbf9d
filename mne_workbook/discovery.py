"""Which files a command reads: every entry under the given files and folders, accounted for.

One walk for ``consolidate``, ``ingest``, ``remind`` and ``update-plan``. Each entry
is looked at with ``lstat`` before anything opens it: regular files become
:class:`Input` (whatever their extension: the gate in :mod:`safety` says what a file
is); everything else is a :class:`Skipped` with a catalog code and a reason, never a
silent skip and never a hang (a FIFO is not opened, a device is not read, a link out
of the given folder is not followed, a link loop ends). The store's own files, our
own temporary files and office lock files are listed too.

Extension point: :data:`EXPANDERS` maps a file suffix to a function that turns one
regular file into zero or more inputs (an e-mail into its attachments); every other
file is one input.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import is_temp_name
from .errors import Location, Problem, Severity
from .names import raw, shown

#: Suffixes of files the tool itself writes next to a store (see :mod:`store`).
STORE_SUFFIXES = (".mne.sqlite", ".mne.sqlite-wal", ".mne.sqlite-shm", ".mne.sqlite-journal")
ARCHIVE_DIR = "mne-archive"
#: Files operating systems leave in folders; never a return.
SYSTEM_FILES = frozenset({".ds_store", "thumbs.db", "desktop.ini", "._.ds_store"})
#: Suffixes of what people save returns as; a folder with one is probably a mistake.
FILE_LIKE_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".eml", ".msg"})
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Input:
    """One regular file to read. ``path`` is what is opened (a link already resolved);
    ``name`` is the name it was handed to us under; ``origin`` the file it came out of
    (an e-mail), when it is not a file of its own."""

    path: Path
    name: str = ""
    origin: Path | None = None

    @property
    def shown(self) -> str:
        """The name, safe to print or store as text."""
        return shown(self.name or self.path.name)

    @property
    def raw_name(self) -> bytes:
        """The exact bytes of the name."""
        return raw(self.name or self.path.name)


@dataclass(frozen=True)
class Skipped:
    """An entry that is not read, and why (a catalog code)."""

    path: Path
    code: str
    reason: str

    def problem(self) -> Problem:
        return Problem(self.code, self.reason, Location(file=shown(self.path)))

    @property
    def severity(self) -> Severity:
        sev = self.problem().severity
        assert sev is not None
        return sev


@dataclass
class Discovery:
    inputs: list[Input] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def paths(self) -> list[Path]:
        return [i.path for i in self.inputs]

    @property
    def has_errors(self) -> bool:
        """True when something handed to us could not be read (exit code 1)."""
        return any(s.severity == Severity.ERROR for s in self.skipped)

    def problems(self) -> list[Problem]:
        return [s.problem() for s in self.skipped]


Expander = Callable[[Path], Iterable[Input | Skipped]]
#: suffix (lower case, with the dot) -> expander; see the module docstring.
EXPANDERS: dict[str, Expander] = {}


def register_expander(suffixes: Iterable[str], expander: Expander) -> None:
    for s in suffixes:
        EXPANDERS[s.lower()] = expander


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def open_regular(path: str | os.PathLike[str], *, follow: bool = False) -> int:
    """Open ``path`` for reading only if it is a regular file; never blocks on a FIFO.

    Raises OSError (``ELOOP`` for a link when ``follow`` is false, ``EINVAL`` with a
    description for anything that is not a regular file)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, f"{_kind(st.st_mode)}, not a file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def hash_file(path: str | os.PathLike[str]) -> tuple[int, str]:
    """(size, SHA-256) of a regular file, read in chunks (memory stays small)."""
    fd = open_regular(path)
    h = hashlib.sha256()
    size = 0
    with os.fdopen(fd, "rb", buffering=0) as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


class _Walk:
    def __init__(self, exclude: Iterable[str | os.PathLike[str]], expand: Expander | None):
        self.out = Discovery()
        self.exclude = {os.path.realpath(p) for p in exclude}
        self.expand = expand
        self.seen: dict[tuple[int, int], Path] = {}

    def skip(self, path: Path, code: str, reason: str) -> None:
        self.out.skipped.append(Skipped(path, code, reason))

    def special(self, path: Path) -> str | None:
        """Why ``path`` is one of our own or an office's files, by name."""
        name = path.name
        low = os.fsencode(name).decode("utf-8", "replace").lower()
        if os.path.realpath(path) in self.exclude:
            return "input-own-file"
        if low.endswith(STORE_SUFFIXES) or low == ARCHIVE_DIR:
            return "input-own-file"
        if is_temp_name(name) or low.startswith(("~$", ".~lock.")):
            return "input-temp-file"
        if low in SYSTEM_FILES:
            return "input-system-file"
        return None

    def entry(self, path: Path, root: Path | None) -> None:
        """One entry: ``root`` is the real path of the folder it was found in (None when
        the entry was named on the command line)."""
        own = self.special(path)
        if own == "input-own-file":
            self.skip(path, own, "the store's or this command's own file; not a return")
            return
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            self.skip(path, "input-link-broken", "the file disappeared while it was listed")
            return
        except OSError as exc:
            self.skip(path, "input-unreadable", f"cannot look at it: {exc.strerror}")
            return
        target = path
        if stat.S_ISLNK(st.st_mode):
            resolved = self.resolve_link(path, root)
            if resolved is None:
                return
            target, st = resolved
        if stat.S_ISDIR(st.st_mode) and path.suffix.lower() == ".mbox":
            # an X.mbox folder (Apple Mail and other exporters) is one mailbox
            self.add(Path(os.path.realpath(target)) if target is not path else path, path.name)
            return
        if stat.S_ISDIR(st.st_mode):
            if stat.S_ISLNK(os.lstat(path).st_mode) and root is not None:
                self.skip(path, "input-link-folder", "a link to a folder inside it; read there")
                return
            if path.suffix.lower() in FILE_LIKE_SUFFIXES:
                self.skip(
                    path,
                    "input-folder-named-file",
                    "a folder with a file's name; the files in it are read like any folder's",
                )
            self.walk(path, Path(os.path.realpath(target)))
            return
        if own is not None:
            reasons = {
                "input-temp-file": "a temporary or lock file (left by an interrupted run,"
                " or kept by Excel / LibreOffice while the workbook is open)",
                "input-system-file": "a file the operating system keeps in folders",
            }
            self.skip(path, own, reasons[own])
            return
        if not stat.S_ISREG(st.st_mode):
            self.skip(path, "input-not-regular", f"{_kind(st.st_mode)}, not a file; not opened")
            return
        key = (st.st_dev, st.st_ino)
        if key in self.seen:
            self.skip(path, "input-duplicate", f"the same file as {shown(self.seen[key])}")
            return
        try:
            os.close(open_regular(target, follow=False))
        except OSError as exc:
            why = exc.strerror or str(exc)
            self.skip(path, "input-unreadable", f"cannot open it: {why}")
            return
        self.seen[key] = path
        self.add(Path(os.path.realpath(target)) if target is not path else path, path.name)

    def add(self, path: Path, name: str) -> None:
        expander = EXPANDERS.get(path.suffix.lower()) or self.expand
        if expander is None:
            self.out.inputs.append(Input(path, name))
            return
        for item in expander(path):
            if isinstance(item, Skipped):
                self.out.skipped.append(item)
            else:
                self.out.inputs.append(item)

    def resolve_link(self, path: Path, root: Path | None) -> tuple[Path, os.stat_result] | None:
        try:
            st = os.stat(path)  # follows the link
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                self.skip(path, "input-link-broken", "a link loop; it leads nowhere")
            elif exc.errno == errno.ENOENT:
                self.skip(path, "input-link-broken", "a link to something that does not exist")
            else:
                self.skip(path, "input-unreadable", f"cannot follow the link: {exc.strerror}")
            return None
        real = Path(os.path.realpath(path))
        if root is not None and not _inside(real, root):
            self.skip(
                path,
                "input-link-outside",
                f"a link out of the folder (to {shown(real)}); not followed",
            )
            return None
        return real, st

    def walk(self, folder: Path, root: Path) -> None:
        try:
            with os.scandir(folder) as it:
                names = sorted(e.name for e in it)
        except OSError as exc:
            self.skip(folder, "input-unreadable", f"cannot list the folder: {exc.strerror}")
            return
        for name in names:
            self.entry(folder / name, root)


def _inside(path: Path, root: Path) -> bool:
    try:
        return os.path.commonpath([path, root]) == str(root)
    except ValueError:
        return False


def discover(
    paths: Sequence[str | os.PathLike[str]],
    *,
    exclude: Iterable[str | os.PathLike[str]] = (),
    expand: Expander | None = None,
) -> Discovery:
    """Every entry under ``paths`` (files and folders, folders searched recursively):
    the regular files to read, in order, and the rest listed with a reason. ``exclude``
    names files that are ours (the store, this command's outputs)."""
    walk = _Walk(exclude, expand)
    for p in paths:
        walk.entry(Path(p), None)
    return walk.out
