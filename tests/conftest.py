"""The fixtures the whole suite shares: a folder of the test session with a lock to fill it, the
sample years (computed once a session, by whichever pytest-xdist worker asks first), and the
securities sample year computed in memory. The helpers (the CLI as a subprocess, a folder snapshot,
inputs from rows) are functions in tests/helpers.py."""

from __future__ import annotations

import contextlib
import fcntl
import shutil
from pathlib import Path

import pytest

from tests.helpers import ROOT

SAMPLES = {"securities": ROOT / "sample_data" / "securities", "rcc": ROOT / "sample_data" / "rcc"}


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory, worker_id: str):
    """A folder of the whole test session (shared by pytest-xdist workers) and a lock to fill it:
    `with shared_cache("name") as (folder, fresh):` — `fresh` when this process must fill it."""
    base = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        base = base.parent
    base = base / "session-cache"
    base.mkdir(exist_ok=True)

    @contextlib.contextmanager
    def cache(name: str):
        folder = base / name
        with open(base / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            done = folder / ".done"
            if done.exists():
                yield folder, False
                return
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            yield folder, True
            done.touch()
    return cache


def _sample_year(shared_cache, rules: str) -> Path:
    from cm_payroll.pipeline import run_year
    with shared_cache(f"sample-year-{rules}") as (folder, fresh):
        if fresh:
            run_year(2013, SAMPLES[rules], folder / "out", rules=rules)
    return folder / "out"


@pytest.fixture(scope="session")
def securities_year(shared_cache) -> Path:
    """The output root of `cm-payroll year 2013` on sample_data/securities. Shared: read it, never
    write into it (copy it first)."""
    return _sample_year(shared_cache, "securities")


@pytest.fixture(scope="session")
def rcc_year(shared_cache) -> Path:
    """The output root of `cm-payroll year 2013 --rules rcc` on sample_data/rcc. Shared: read it,
    never write into it (copy it first)."""
    return _sample_year(shared_cache, "rcc")


@pytest.fixture(scope="session")
def sample_slips():
    """The securities sample's year 2013 computed in memory (nothing written): (rulebook, the 2013-12
    slips, the twelve computed months)."""
    from cm_payroll.months import parse_month
    from cm_payroll.pipeline import _noop, compute
    from cm_payroll.rulebook import load_rulebook
    from cm_payroll.rulebooks import module_for
    rb = load_rulebook("securities")
    mod = module_for("securities")
    months = [parse_month(f"2013-{k:02d}") for k in range(1, 13)]
    computed = compute(rb, mod, months, SAMPLES["securities"], mod.empty_state(), months[0], {}, _noop)
    c = computed[-1]
    slips = list(mod.slips(c.result.pay, c.month, c.ctx.params))
    return rb, slips, computed


@pytest.fixture(scope="session")
def sample_month(tmp_path_factory, sample_slips) -> Path:
    """The 2013-12 outputs of the sample, rendered from the months computed for sample_slips."""
    from cm_payroll.pipeline import render_month
    from cm_payroll.rulebooks import module_for
    rb, _, computed = sample_slips
    out = tmp_path_factory.mktemp("wb") / "2013-12"
    render_month(computed[-1], rb, module_for("securities"), out, 1, {})
    return out
