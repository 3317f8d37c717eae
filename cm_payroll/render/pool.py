"""The one worker pool of the renderers: slips (xlsx, html) and PDF pages on every core.

A `concurrent.futures.ProcessPoolExecutor` with the *spawn* start method: each worker is a fresh
interpreter that imports only what its job needs (a fork would inherit Polars' thread pool and the
parent's memory). Jobs are handed out in order and their results come back in order
(`Executor.map`), so every file is byte-for-byte what one process writes, whatever the number of
workers: the work is cut into runs by the same rule in every case, and a worker runs exactly the
code the serial path runs.

The number of workers: the environment variable a caller names (CM_PAYROLL_SLIP_WORKERS,
CM_PAYROLL_PDF_WORKERS), else one per core (at most 8) when there are enough items to repay the start
of a worker, else 1 (no pool at all). A program that uses cm-payroll as a library from a script must
guard its entry point with `if __name__ == "__main__":`, as Python's multiprocessing requires.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
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


def ordered_map(fn: Callable[[T], R], jobs: Iterable[T], workers: int, chunksize: int = 1) -> Iterator[R]:
    """fn(job) for every job, results in the jobs' order; in `workers` spawned processes when more
    than one (fn must be a module-level function, its jobs picklable; `chunksize` jobs travel to a
    worker at a time)."""
    jobs = list(jobs)
    if workers <= 1 or len(jobs) < 2:
        for job in jobs:
            yield fn(job)
        return
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)),
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from pool.map(fn, jobs, chunksize=chunksize)


__all__ = ["cores", "ordered_map", "workers_for"]
