"""The one worker pool of the renderers: slips (xlsx, html) and PDF pages on every core.

A `concurrent.futures.ProcessPoolExecutor` with the *spawn* start method: each worker is a fresh
interpreter that imports only what its job needs (a fork would inherit Polars' thread pool and the
parent's memory). Jobs are handed out in order and their results come back in order
(`Executor.map`), so every file is byte-for-byte what one process writes, whatever the number of
workers: the work is cut into runs by the same rule in every case, and a worker runs exactly the
code the serial path runs. The pool is kept for the life of the process (a year run's twelve months
share its workers) and stopped at exit.

The number of workers: the environment variable a caller names (CM_PAYROLL_SLIP_WORKERS,
CM_PAYROLL_PDF_WORKERS), else one per core (at most 8) when there are enough items to repay the start
of a worker, else 1 (no pool at all). A program that uses cm-payroll as a library from a script must
guard its entry point with `if __name__ == "__main__":`, as Python's multiprocessing requires.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from cm_payroll.errors import UsageError

T = TypeVar("T")
R = TypeVar("R")


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def workers_for(n_items: int, min_items: int, env: str) -> int:
    """Worker processes for `n_items` items: $env when set, else one per core (at most 8) when there
    are at least `min_items`, else 1."""
    value = os.environ.get(env, "").strip()
    if value:
        try:
            return max(1, min(int(value), 32))
        except ValueError:
            raise UsageError(f"{env}={value!r}: a number of processes") from None
    if n_items < min_items:
        return 1
    return max(1, min(cores(), 8))


_POOLS: dict[int, ProcessPoolExecutor] = {}


def _pool(workers: int) -> ProcessPoolExecutor:
    """The process's pool of `workers` workers, started on first use and kept until the process ends:
    the months of a year run (and the slips and PDFs of a month) reuse the same workers, so that a
    worker's start (an interpreter, WeasyPrint, the fonts: ≈ 0.7 s of CPU) is paid once per run, not
    once per month. Workers are spawned as jobs need them. A pool whose worker died is replaced."""
    pool = _POOLS.get(workers)
    if pool is None or getattr(pool, "_broken", False) or getattr(pool, "_shutdown_thread", False):
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        _POOLS[workers] = pool
    return pool


def shutdown_pools() -> None:
    """Stop the kept workers (at exit; also for a caller that wants them gone now)."""
    while _POOLS:
        _, pool = _POOLS.popitem()
        pool.shutdown(wait=True, cancel_futures=True)


atexit.register(shutdown_pools)


def ordered_map(fn: Callable[[T], R], jobs: Iterable[T], workers: int, chunksize: int = 1) -> Iterator[R]:
    """fn(job) for every job, results in the jobs' order, on `workers` processes: this one and
    workers − 1 spawned ones (fn must be a module-level function, its jobs picklable; `chunksize` is
    accepted for compatibility, jobs travel one at a time). This process does not wait idle: while
    the next result is still being computed by a worker, it takes the last job no worker has started
    and runs it itself. The workers are kept for the next call (_pool); jobs not yet started when the
    caller stops reading are cancelled."""
    jobs = list(jobs)
    if workers <= 1 or len(jobs) < 2:
        for job in jobs:
            yield fn(job)
        return
    pool = _pool(workers - 1)
    try:
        futures = [pool.submit(fn, job) for job in jobs]
    except BrokenProcessPool:
        _POOLS.pop(workers - 1, None)
        pool = _pool(workers - 1)
        futures = [pool.submit(fn, job) for job in jobs]
    done: dict[int, R] = {}
    last = len(jobs) - 1                 # jobs above `last` are done here or taken by a worker
    try:
        for i in range(len(jobs)):
            while i not in done:
                if futures[i].cancel():          # no worker has started it: run it here
                    done[i] = fn(jobs[i])
                    continue
                while last > i and (last in done or not futures[last].cancel()):
                    last -= 1
                if last > i:                     # meanwhile, the last job nobody has started
                    done[last] = fn(jobs[last])
                    last -= 1
                    continue
                try:
                    done[i] = futures[i].result()
                except BrokenProcessPool:
                    _POOLS.pop(workers - 1, None)
                    raise
            yield done.pop(i)
    finally:
        for f in futures:
            f.cancel()


__all__ = ["cores", "ordered_map", "shutdown_pools", "workers_for"]
