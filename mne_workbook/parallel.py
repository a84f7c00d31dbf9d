"""Read many returns, each in its own child process with a time and a memory bound.

A hostile file (a huge XML token, a decompression trick the gate did not catch) can
stall a parser or eat memory; in a child it only costs that child. A child that runs
past ``timeout`` is killed and its file refused (``parse-timeout``); one that runs out
of its address-space budget is refused (``parse-memory``). Up to ``workers`` children
run at once, so a round of returns uses every core; results come back in input order
and are the same as reading the files one by one.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from .bounded import Bounds as Bounds  # re-exported: callers set bounds here
from .bounded import vm_bytes
from .discovery import Input
from .errors import Location, Problem
from .periods import Period
from .plan import Plan
from .reader import Submission, read_return
from .safety import Limits
from .signing import KeyRing


def _child(
    conn: Connection,
    path: str,
    plan: Plan,
    period: Period | None,
    limits: Limits,
    keys: KeyRing | None,
    require: bool,
    memory_mb: int,
    master: bool = False,
) -> None:
    try:
        budget = vm_bytes() + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
        sub = read_return(path, plan, period, limits, keys, require, master)
        conn.send(sub)
    except MemoryError:
        conn.send(None)
    finally:
        conn.close()


def _prewarm() -> None:
    """Import and load in the parent what every child needs, so forks inherit it."""
    import openpyxl  # noqa: F401  (about 0.1 s per child otherwise)

    from .locales import SUPPORTED, catalog
    from .values import _labels, _yes_no

    for lang in SUPPORTED:
        catalog(lang)
    for vocab in ("status", "frequency", "rating"):
        _labels(vocab)
    _yes_no()


def _refused(path: Path, code: str, message: str) -> Submission:
    sub = Submission(path=str(path), refused=True)
    sub.problems.append(Problem(code, message, Location(file=str(path))))
    return sub


def _named(sub: Submission, item: Input) -> Submission:
    """The name a file was handed to us under, shown safely, on its Submission."""
    sub.file_name = item.shown
    return sub


def read_many(
    paths: Sequence[str | Path | Input],
    plan: Plan,
    period: Period | None = None,
    *,
    limits: Limits | None = None,
    keys: KeyRing | None = None,
    require_signature: bool = False,
    workers: int | None = None,
    bounds: Bounds | None = None,
    progress: Callable[[int], Any] | None = None,
    master: bool = False,
) -> list[Submission]:
    """Read ``paths`` in bounded child processes; one Submission per path, in order.

    An :class:`Input` (from :func:`discovery.discover`) gives its safe name to the
    Submission (``file_name``); a plain path is shown by its own name."""
    limits = limits or Limits()
    bounds = bounds or Bounds()
    _prewarm()
    workers = max(1, workers or os.cpu_count() or 1)
    ctx = mp.get_context("fork")
    results: list[Submission | None] = [None] * len(paths)
    items = [p if isinstance(p, Input) else Input(Path(p)) for p in paths]
    pending = [(i, item.path) for i, item in enumerate(items)]
    running: dict[Connection, tuple[int, Path, Any, float]] = {}
    while pending or running:
        while pending and len(running) < workers:
            i, path = pending.pop(0)
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(
                target=_child,
                args=(
                    send,
                    str(path),
                    plan,
                    period,
                    limits,
                    keys,
                    require_signature,
                    bounds.memory_mb,
                    master,
                ),
            )
            proc.start()
            send.close()
            running[recv] = (i, path, proc, time.monotonic())
        now = time.monotonic()
        next_deadline = min(start + bounds.timeout for _, _, _, start in running.values())
        ready = wait(list(running), timeout=max(0.0, next_deadline - now))
        for obj in ready:
            conn = next(c for c in running if c is obj)
            i, path, proc, _ = running.pop(conn)
            sub: Submission | None
            try:
                got = conn.recv()
                sub = got if isinstance(got, Submission) else None
            except (EOFError, OSError):
                sub = None
            conn.close()
            proc.join()
            if sub is None:
                sub = _refused(
                    path, "parse-memory", f"reading needed more than {bounds.memory_mb} MB; refused"
                )
            results[i] = sub
            if progress:
                progress(1)
        now = time.monotonic()
        for conn, (i, path, proc, start) in list(running.items()):
            if now - start >= bounds.timeout:
                proc.kill()
                proc.join()
                conn.close()
                del running[conn]
                results[i] = _refused(
                    path,
                    "parse-timeout",
                    f"reading took longer than {bounds.timeout:g} s; refused (if it is a"
                    " genuine, very large workbook, read it again with a larger --timeout)",
                )
                if progress:
                    progress(1)
    return [_named(r, items[i]) for i, r in enumerate(results) if r is not None]
