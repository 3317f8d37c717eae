"""Pay slips on every core: the month's pay frame is cut into contiguous runs of managers (in
manager_id order), each run is laid out and written by a worker process, and the parent records the
files in the original order.

A worker runs exactly what the serial path runs — the rulebook's `slips()` and
`documents.write_slips()` — on its slice, so every file is byte-for-byte what one process writes,
and the order of the recorded files is the same. Workers write their files straight into the
destination folder (the run's staging folder) and send back only (relative path, sha256), so the
slips never travel through a pipe.

One process is used for small months (below SLIP_POOL_MIN_SLIPS: starting a worker costs about a
second, the price of 500 slips), and whenever the slip options ask for what does not split into
independent runs: a password list of protected slips (one file for the whole month) or PDFs (which
documents.py already renders on every core). `CM_PAYROLL_SLIP_WORKERS` sets the number of worker
processes (1: never a pool).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl

SLIP_POOL_MIN_SLIPS = 2000
CHUNK_SLIPS = 2000
ENV_WORKERS = "CM_PAYROLL_SLIP_WORKERS"

Put = Callable[[str, bytes], None]


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def slip_workers(n_slips: int) -> int:
    """Worker processes for `n_slips` slips: CM_PAYROLL_SLIP_WORKERS, else one per core (at most 8)
    when there are enough slips to repay starting them, else 1 (the parent alone)."""
    env = os.environ.get(ENV_WORKERS, "").strip()
    if env:
        try:
            return max(1, min(int(env), 32))
        except ValueError:
            from cm_payroll.errors import UsageError
            raise UsageError(f"{ENV_WORKERS}={env!r}: a number of processes") from None
    if n_slips < SLIP_POOL_MIN_SLIPS:
        return 1
    return max(1, min(cores(), 8))


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
    w = min(w, len(jobs))
    # Workers are fresh interpreters (`python -m cm_payroll.render.parallel`), not multiprocessing
    # children: those re-import the caller's __main__ (a script without a main guard would run
    # again) and a fork would inherit Polars' thread pool. Job k goes to worker k % w, so reading
    # the workers' answers round-robin gives them back in manager order.
    procs = [_start_worker() for _ in range(w)]
    try:
        for k, proc in enumerate(procs):
            proc.stdin.write(pickle.dumps(jobs[k::w], protocol=pickle.HIGHEST_PROTOCOL))
            proc.stdin.close()
        done = 0
        for k, job in enumerate(jobs):
            files = _receive(procs[k % w].stdout)
            if isinstance(files, BaseException):
                raise files
            for rel, sha in files:
                hashes[rel] = sha
            done += job[1].height
            if progress is not None:
                progress("slips", name, done, n)
        for proc in procs:
            if proc.wait() != 0:
                raise RuntimeError(f"a slip worker exited with status {proc.returncode}")
    except (EOFError, pickle.UnpicklingError):
        codes = [proc.wait() for proc in procs]
        raise RuntimeError(f"a slip worker died (exit statuses {codes}); see its message above") from None
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return n


def _start_worker() -> subprocess.Popen:
    env = dict(os.environ)
    here = str(Path(__file__).resolve().parents[2])          # the folder holding cm_payroll/
    env["PYTHONPATH"] = here + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.Popen([sys.executable, "-m", "cm_payroll.render.parallel"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=env)


def _send(out, obj) -> None:
    """One message: its length (8 bytes) and its pickle, so that a reader never depends on how a
    pickle reader buffers a pipe."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(len(data).to_bytes(8, "little"))
    out.write(data)
    out.flush()


def _read_exact(stream, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        b = stream.read(n - got)
        if not b:
            raise EOFError("a slip worker closed its output early")
        parts.append(b)
        got += len(b)
    return b"".join(parts)


def _receive(stream):
    n = int.from_bytes(_read_exact(stream, 8), "little")
    return pickle.loads(_read_exact(stream, n))


def _worker_main() -> None:
    """In a worker: read the list of jobs from stdin (until end of file), answer each with its
    [(rel, sha256)] on stdout (or the exception that stopped it), in order."""
    jobs = pickle.loads(sys.stdin.buffer.read())
    # the answers get a private copy of the stdout pipe; anything else written to stdout, by Python
    # or by a library, goes to stderr and can never land in the middle of an answer
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    for job in jobs:
        try:
            result = _chunk(job)
        except BaseException as exc:  # noqa: BLE001 — handed to the parent, which raises it
            _send(out, exc)
            raise
        _send(out, result)


__all__ = ["SLIP_POOL_MIN_SLIPS", "render_slips", "slip_workers"]


if __name__ == "__main__":
    _worker_main()
