"""Read many returns in long-lived bounded worker processes.

A hostile file (a huge XML token, a decompression trick the gate did not catch) can
stall a parser or eat memory; in a worker it only costs that worker. Up to ``workers``
worker processes are forked once and each reads one file after another, so a round of
returns uses every core without paying a fresh process per file. Each file is bounded as
if it had a process of its own:

- memory: before each file the worker's address-space limit is set to what it holds
  then plus ``memory_mb``; a file that needs more is refused (``parse-memory``) and the
  worker is replaced;
- time: a worker that runs past ``timeout`` on one file is killed, the file refused
  (``parse-timeout``) and the worker replaced;
- a worker that has grown by more than ``memory_mb`` over many files retires after
  its current file and is replaced; one that dies (killed, crashed) refuses the file it
  was reading (``parse-memory``) and is replaced.

Results come back in input order and are the same as reading the files one by one
(their repeated parts shared, :mod:`compact`, and with a :class:`spill.Spill` their
answers on disk, so that thousands of returns stay small).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing as mp
import os
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from .bounded import AddressSpace
from .bounded import Bounds as Bounds  # re-exported: callers set bounds here
from .compact import Shared
from .discovery import Input
from .errors import Location, Problem
from .periods import Period
from .plan import Plan
from .reader import CellRef, Submission, read_return
from .safety import Limits
from .signing import KeyRing
from .spill import Packed, Spill, pack
from .xlsx_parse import warm_up

_MB = 1024 * 1024
#: files sent to a worker at once: it begins the next while the parent takes a result
_AHEAD = 2
#: cells maps a worker remembers having sent (one per layout read; a bound, not a need)
_MAX_MAPS = 256


@dataclass(frozen=True)
class _Job:
    """What every worker reads with (inherited at fork, never sent per file)."""

    plan: Plan
    period: Period | None
    limits: Limits
    keys: KeyRing | None
    require: bool
    memory_mb: int
    master: bool
    pack: bool  # accepted returns' answers sent pickled, with their facts (a spill)


def _same_map(cells: dict[Any, Any]) -> bool:
    """Whether ``cells`` is made of immutable parts only (keys tuples of texts, values
    cell references), so that the same objects always mean the same map."""
    return all(type(k) is tuple and all(type(x) is str for x in k) for k in cells) and all(
        type(r) is CellRef for r in cells.values()
    )


def _worker(conn: Connection, job: _Job) -> None:
    """Read paths sent on ``conn`` until told to stop (None); answer each with
    ``(submission or None, retire, packed, cells)``; None means the file needed too much
    memory; ``packed``: with ``job.pack``, an accepted return's answers
    (:func:`spill.pack`); ``cells``: ``(n, True)`` when the return's cells map is the
    n-th this worker sends whole, ``(n, False)`` when it left out a map equal to the
    n-th (the parent puts it back), None when it sends the map without a number.

    Returns of one layout share one cells map, made of the very same objects
    (``reader._Layout.cells``): a map is known again by the identity of its keys and
    values, which the worker holds for as long as it lives, so that no id is reused."""
    gc.freeze()  # what it inherited is never collected here: no pass over it per file
    space = AddressSpace()  # opened here: this worker's own
    start_vm = space.now()
    maps: dict[tuple[int, ...], tuple[int, dict[Any, Any]]] = {}
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    try:
        while True:
            path = conn.recv()
            if path is None:
                return
            budget = space.now() + job.memory_mb * _MB
            if hard != resource.RLIM_INFINITY:
                budget = min(budget, hard)
            resource.setrlimit(resource.RLIMIT_AS, (budget, hard))
            gc.disable()  # a file's objects go by reference counting; the rare cycle
            try:  # waits for the first collection after it
                got = read_return(
                    path, job.plan, job.period, job.limits, job.keys, job.require, job.master
                )
                packed = pack(got) if job.pack and not got.refused else None
                sub: Submission | None = got
            except MemoryError:
                sub = packed = None
            finally:
                gc.enable()
            resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
            retire = sub is None or space.now() - start_vm > job.memory_mb * _MB
            token: tuple[int, bool] | None = None
            if sub is not None and sub.cells:
                key = (*map(id, sub.cells), *map(id, sub.cells.values()))
                hit = maps.get(key)
                if hit is not None:
                    token, sub.cells = (hit[0], False), {}
                elif len(maps) < _MAX_MAPS and _same_map(sub.cells):
                    token = (len(maps), True)
                    maps[key] = (len(maps), sub.cells)  # held: its parts keep their ids
            conn.send((sub, retire, packed, token))
            if retire:
                return
    except (EOFError, OSError, KeyboardInterrupt):
        return
    finally:
        conn.close()
        space.close()


class _Slot:
    """One worker process and the files sent to it, oldest first (at most ``_AHEAD``).

    The worker reads them one after another; the oldest is the one it is reading, and
    its clock started when it began it: when it was sent to an idle worker, or when the
    result of the file before it arrived."""

    def __init__(self, ctx: Any, job: _Job) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker, args=(child, job), daemon=True)
        self.proc.start()
        child.close()
        self.queue: list[tuple[int, Path]] = []
        self.started = 0.0  # when the worker began the oldest file in ``queue``
        #: the cells maps this worker sent whole, by their number (see _worker)
        self.maps: dict[int, dict[tuple[str, str, str], CellRef]] = {}

    def give(self, i: int, path: Path) -> None:
        self.conn.send(str(path))
        if not self.queue:
            self.started = time.monotonic()
        self.queue.append((i, path))

    def answered(self) -> tuple[int, Path]:
        """The file just answered; the worker now begins the next one queued."""
        got = self.queue.pop(0)
        self.started = time.monotonic()
        return got

    def stop(self, kill: bool = False) -> None:
        """Kill the worker, or ask it to stop (it may have stopped already)."""
        self.signal(kill)
        self.reap()

    def signal(self, kill: bool = False) -> None:
        """Kill the worker, or ask it to stop, without waiting for it to end."""
        if kill:
            self.proc.kill()
        elif self.proc.is_alive():
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.conn.close()

    def reap(self) -> None:
        """Wait for the worker to end (killed if it has not within 5 s)."""
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()


def _prewarm() -> None:
    """Import and load in the parent what every worker needs, so forks inherit it."""
    from .locales import SUPPORTED, catalog
    from .values import _labels, _yes_no

    warm_up()
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
    spill: Spill | None = None,
) -> list[Submission]:
    """Read ``paths`` in bounded worker processes; one Submission per path, in order.

    An :class:`Input` (from :func:`discovery.discover`) gives its safe name to the
    Submission (``file_name``); a plain path is shown by its own name. With ``spill``,
    each accepted return's answers go to disk as it arrives (:mod:`spill`): the
    Submissions returned hold none until the spill restores them."""
    limits = limits or Limits()
    bounds = bounds or Bounds()
    if not paths:
        return []
    _prewarm()
    job = _Job(
        plan, period, limits, keys, require_signature, bounds.memory_mb, master, spill is not None
    )
    size = max(1, min(workers or os.cpu_count() or 1, len(paths)))
    ctx = mp.get_context("fork")
    results: list[Submission | None] = [None] * len(paths)
    items = [p if isinstance(p, Input) else Input(Path(p)) for p in paths]
    pending = [(i, item.path) for i, item in enumerate(items)]
    pending.reverse()  # pop() from the end takes them in input order
    slots: list[_Slot] = []
    too_big = f"reading needed more than {bounds.memory_mb} MB; refused"
    too_slow = (
        f"reading took longer than {bounds.timeout:g} s; refused (if it is a"
        " genuine, very large workbook, read it again with a larger --timeout)"
    )

    shared = Shared()  # thousands of returns: their repeated parts are held once

    def done(
        i: int,
        sub: Submission,
        packed: Packed | None = None,
        token: tuple[int, bool] | None = None,
        slot: _Slot | None = None,
    ) -> None:
        if spill is not None:  # before sharing: there are no answers left to share
            sub = spill.keep(sub, packed)
        results[i] = got = shared.submission(sub)
        if token is not None and slot is not None:
            n, whole = token
            if whole:  # the shared map, for the returns that leave it out
                slot.maps[n] = got.cells
            else:
                got.cells = slot.maps[n]
        if progress:
            progress(1)

    collecting = gc.isenabled()
    gc.disable()  # Submissions arrive by the thousand and hold no cycles: no passes over them
    try:
        while pending or any(s.queue for s in slots):
            while pending and len(slots) < size:
                slots.append(_Slot(ctx, job))
            for slot in list(slots):  # workers take the next files, up to _AHEAD each
                while pending and len(slot.queue) < _AHEAD:
                    item = pending.pop()
                    try:
                        slot.give(*item)
                    except OSError:  # it died: the file goes to another worker
                        pending.append(item)
                        if not slot.queue:  # it died idle
                            slot.stop(kill=True)
                            slots.remove(slot)
                        break  # else waiting on it tells which file it died reading
            busy = {s.conn: s for s in slots if s.queue}
            if not busy:
                continue
            deadline = min(s.started for s in busy.values()) + bounds.timeout
            for conn in wait(list(busy), timeout=max(0.0, deadline - time.monotonic())):
                slot = busy[conn]
                i, path = slot.answered()
                try:
                    sub, retire, packed, token = slot.conn.recv()
                except (EOFError, OSError):
                    sub, retire, packed, token = None, True, None, None
                if not isinstance(sub, Submission):
                    sub, packed, token = _refused(path, "parse-memory", too_big), None, None
                if retire:  # the files it had not begun go to another worker
                    pending.extend(reversed(slot.queue))
                    slot.queue.clear()
                    slot.stop()
                    slots.remove(slot)
                done(i, sub, packed, token, slot)
            now = time.monotonic()
            for slot in list(slots):
                if slot.queue and now - slot.started >= bounds.timeout:
                    i, path = slot.queue.pop(0)
                    pending.extend(reversed(slot.queue))
                    slot.queue.clear()
                    slot.stop(kill=True)
                    slots.remove(slot)
                    done(i, _refused(path, "parse-timeout", too_slow))
    finally:
        if collecting:
            gc.enable()
        for slot in slots:  # every worker told first: they end side by side
            slot.signal(kill=bool(slot.queue))
        for slot in slots:
            slot.reap()
    return [_named(r, items[i]) for i, r in enumerate(results) if r is not None]
