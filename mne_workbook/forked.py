"""Independent jobs run in forked worker processes (or here, when forking is not safe).

Generation writes one workbook per institution, each independent of the others: on a
machine with cores to spare, forked workers write them at once. A fork inherits the
loaded plan and everything computed from it, so nothing large is sent; a job is a
number and its result a small object sent back through a pipe.

Forking is safe only from a process that runs one thread: a fork copies the locks other
threads hold, not the threads. Called from a thread (the web desk calls the library in
a thread pool), or where ``fork`` does not exist (Windows), the jobs run here, one after
another, with the same results.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing as mp
import pickle
import sys
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

from .errors import GenerationError, MneError, fail

T = TypeVar("T")


def can_fork() -> bool:
    """True where worker processes may be forked from here: ``fork`` exists and this
    is the main thread of a process running no other thread."""
    return (
        "fork" in mp.get_all_start_methods()
        and threading.current_thread() is threading.main_thread()
        and threading.active_count() == 1
    )


def _portable(exc: BaseException) -> Any:
    """``exc`` in a form that crosses the pipe and is raised alike on the other side."""
    if isinstance(exc, MneError):
        return (type(exc), exc.report)  # rebuilt from its report (args hold only a text)
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return fail(MneError, "internal-error", f"{type(exc).__name__}: {exc}").report
    return exc


def _raised(sent: Any) -> BaseException:
    if isinstance(sent, tuple):
        cls, report = sent
        return cls(report)  # type: ignore[no-any-return]
    if isinstance(sent, BaseException):
        return sent
    return MneError(sent)


def _serve(conn: Connection, run: Callable[[int], Any], inherited: list[Connection]) -> None:
    """A worker: run each job number received, send back (number, ok, result).

    ``inherited`` are the parent's ends of the pipes (this worker's and earlier ones'),
    copied by the fork: closed here, so that a worker sees the end of its pipe when the
    parent is gone, instead of waiting for ever.
    """
    for other in inherited:
        other.close()
    gc.freeze()  # the inherited plan is never collected here: no passes over it
    while True:
        try:
            k = conn.recv()
        except EOFError:
            return
        if k is None:
            return
        try:
            conn.send((k, True, run(k)))
        except BaseException as exc:  # every failure goes back to the parent
            conn.send((k, False, _portable(exc)))


def run_jobs(jobs: Sequence[int], run: Callable[[int], T], workers: int) -> dict[int, T]:
    """``{k: run(k)}`` for every job ``k``, in up to ``workers`` forked processes.

    Jobs are handed out in the order given (put the longest first) to whichever worker
    is free. When a job fails, no further job starts, the running ones finish, and the
    failure of the lowest-numbered failed job is raised, as a serial run would raise
    its first (our coded errors and OS errors keep their type and message). A worker
    that dies (killed, out of memory) is a ``generation-worker-failed`` error. With one
    worker, one job, or where :func:`can_fork` says no, the jobs run here in order.
    """
    n = min(workers, len(jobs))
    if n <= 1 or not can_fork():
        return {k: run(k) for k in jobs}
    ctx = mp.get_context("fork")
    for stream in (sys.stdout, sys.stderr):  # a fork would print buffered text again
        if stream is not None:
            stream.flush()
    pending = list(reversed(jobs))  # pop() takes them in the order given
    results: dict[int, T] = {}
    failed: dict[int, BaseException] = {}
    workers_: list[tuple[Any, Connection]] = []
    busy: dict[Connection, int] = {}
    try:
        for _ in range(n):
            parent, child = ctx.Pipe()
            ours = [c for _, c in workers_] + [parent]
            proc = ctx.Process(target=_serve, args=(child, run, ours), daemon=True)
            proc.start()
            child.close()
            workers_.append((proc, parent))
        for _, conn in workers_:
            if pending:
                busy[conn] = pending.pop()
                conn.send(busy[conn])
        while busy:
            for ready in wait(list(busy)):
                assert isinstance(ready, Connection)
                conn = ready
                k = busy.pop(conn)
                try:
                    _, ok, got = conn.recv()
                except (EOFError, OSError):
                    failed[k] = fail(
                        GenerationError,
                        "generation-worker-failed",
                        f"the worker process writing workbook {k + 1} of {len(jobs)} stopped"
                        " (killed, or out of memory)",
                    )
                    continue
                if ok:
                    results[k] = got
                else:
                    failed[k] = _raised(got)
                if pending and not failed:
                    busy[conn] = pending.pop()
                    conn.send(busy[conn])
    finally:
        for _, conn in workers_:
            with contextlib.suppress(OSError):
                conn.send(None)
            conn.close()
        for proc, _ in workers_:
            proc.join(5 if not busy else 0)
            if proc.is_alive():
                proc.kill()
                proc.join()
    if failed:
        raise failed[min(failed)]
    return results
