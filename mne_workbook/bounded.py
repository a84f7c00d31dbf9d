"""Bounds for parsing one untrusted file in a child process: time and memory.

A hostile file can stall a parser or eat memory; in a child it only costs that child.
:mod:`parallel` runs many returns this way; :func:`run_bounded` runs one job (a plan
workbook) the same way.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from .safety import DEFAULT_TIMEOUT


@dataclass(frozen=True)
class Bounds:
    timeout: float = DEFAULT_TIMEOUT  # seconds per file (measured: see safety.py)
    memory_mb: int = 1024  # address space a child may add to what it inherits


def vm_bytes() -> int:
    """The calling process's address space now (0 when unknown)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


class AddressSpace:
    """:func:`vm_bytes` asked again and again (before and after every file a worker
    reads): ``/proc/self/statm`` opened once, in the process that asks, and read again
    from its start (procfs makes it anew at each read), a tenth of the cost."""

    def __init__(self) -> None:
        try:
            self._fd = os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            self._fd = -1
        self._page = os.sysconf("SC_PAGE_SIZE")

    def now(self) -> int:
        """The address space now (0 when unknown), as :func:`vm_bytes` says it."""
        if self._fd < 0:
            return 0
        try:
            return int(os.pread(self._fd, 256, 0).split()[0]) * self._page
        except (OSError, ValueError, IndexError):
            return 0

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


@dataclass(frozen=True)
class Refused:
    """Why a bounded job gave no result: a code of the catalog and its words."""

    code: str
    message: str


def _child(conn: Connection, job: Callable[[str], Any], arg: str, memory_mb: int) -> None:
    try:
        budget = vm_bytes() + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
        conn.send(job(arg))
    except MemoryError:
        conn.send(Refused("parse-memory", f"reading needed more than {memory_mb} MB; refused"))
    except Exception as exc:  # any parser failure refuses the file, and only it
        conn.send(Refused("parse-failed", f"{type(exc).__name__}: {str(exc)[:200]}"))
    finally:
        conn.close()


def run_bounded(job: Callable[[str], Any], arg: str, bounds: Bounds) -> Any:
    """``job(arg)`` in a forked child within ``bounds``; its result, or :class:`Refused`."""
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, job, arg, bounds.memory_mb))
    proc.start()
    send.close()
    got: Any = None
    try:
        if recv.poll(bounds.timeout):
            got = recv.recv()
    except (EOFError, OSError):
        got = None
    finally:
        recv.close()
        if proc.is_alive():
            proc.kill()
            if got is None:
                got = Refused(
                    "parse-timeout", f"reading took longer than {bounds.timeout:g} s; refused"
                )
        proc.join()
    if got is None:
        return Refused("parse-memory", f"reading needed more than {bounds.memory_mb} MB; refused")
    return got
