"""Pay slips on every core: the month's pay frame is cut into contiguous runs of managers (in
manager_id order), each run is laid out and written by a worker of the render pool (pool.py), and
the parent records the files in the original order.

A worker runs exactly what the serial path runs — the rulebook's `slips()` and
`documents.write_slips()` — on its slice, so every file is byte-for-byte what one process writes,
and the order of the recorded files is the same. Workers write their files straight into the
destination folder (the run's staging folder) and send back only (relative path, sha256).

One process is used for small months (below SLIP_POOL_MIN_SLIPS: starting a worker costs about a
second, the price of 500 slips), and whenever the slip options ask for what does not split into
independent runs: a password list of protected slips (one file for the whole month) or PDFs (which
documents.py renders in the same pool, page by page). `CM_PAYROLL_SLIP_WORKERS` sets the number of
worker processes (1: never a pool).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl

from cm_payroll.render.pool import ordered_map, workers_for

SLIP_POOL_MIN_SLIPS = 2000
CHUNK_SLIPS = 2000
ENV_WORKERS = "CM_PAYROLL_SLIP_WORKERS"

Put = Callable[[str, bytes], None]


def slip_workers(n_slips: int) -> int:
    """Worker processes for `n_slips` slips (see pool.workers_for)."""
    return workers_for(n_slips, SLIP_POOL_MIN_SLIPS, ENV_WORKERS)


def _splittable(options: Any) -> bool:
    if options is None:
        return True
    return getattr(options, "protection", None) is None and "pdf" not in getattr(options, "formats", ("xlsx",))


def _write(slips_fn, pay: pl.DataFrame, month: int, params, name: str, put: Put, options, title: str) -> int:
    from cm_payroll.render.documents import write_slips
    return write_slips(slips_fn(pay, month, params), name, put, options, title)


def _chunk(args: tuple) -> list[tuple[str, str]]:
    """In a worker: write one run of slips under `dest`; return [(relative path, sha256)] in order."""
    slips_fn, pay, month, params, name, dest, options, title = args
    dest = Path(dest)
    done: list[tuple[str, str]] = []

    def put(rel: str, data: bytes) -> None:
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        done.append((rel, hashlib.sha256(data).hexdigest()))

    _write(slips_fn, pay, month, params, name, put, options, title)
    return done


def render_slips(slips_fn: Callable, pay: pl.DataFrame, month: int, params, name: str, dest: Path,
                 put: Put, hashes: dict[str, str], options=None, title: str = "",
                 workers: int | None = None) -> int:
    """Write the month's slips; return their number.

    `slips_fn(pay, month, params)` is the rulebook's slip builder (a module-level function, so that a
    worker can import it); `put(rel, bytes)` is how the caller writes one output file into `dest`
    and records its hash in `hashes` — the serial path uses it, the workers write into `dest`
    themselves and their hashes are entered into `hashes` here, in the serial order."""
    n = pay.height
    w = workers if workers is not None else slip_workers(n)
    if w <= 1 or n < 2 or not _splittable(options):
        return _write(slips_fn, pay, month, params, name, put, options, title)
    progress = getattr(options, "progress", None)
    worker_options = replace(options, progress=None) if progress is not None else options
    ordered = pay.sort("manager_id")
    size = max(1, min(CHUNK_SLIPS, -(-n // (w * 4))))
    jobs = [(slips_fn, ordered.slice(i, size), month, params, name, str(dest), worker_options, title)
            for i in range(0, n, size)]
    done = 0
    for job, files in zip(jobs, ordered_map(_chunk, jobs, w)):
        for rel, sha in files:
            hashes[rel] = sha
        done += job[1].height
        if progress is not None:
            progress("slips", name, done, n)
    return n


__all__ = ["SLIP_POOL_MIN_SLIPS", "render_slips", "slip_workers"]
