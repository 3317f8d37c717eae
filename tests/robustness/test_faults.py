"""Faults and concurrency (issue 6): kill -9 at random points and at every step of a commit, two runs
at once, a stale lock, a reader beside a run, a full disk, a read-only or forbidden output folder.

After every fault the output root must hold either the complete previous state or the complete new
one (byte for byte the state an uninterrupted run leaves, run.json aside: it records when and where),
the ledger must verify, and the next run must succeed. Faults are real where the sandbox allows it
(SIGKILL, a tiny tmpfs, a read-only remount, another user, a file-size limit) and injected otherwise
(cm_payroll/faults.py, monkeypatched os calls).
"""

from __future__ import annotations

import collections
import errno
import os
import random
import resource
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cm_payroll import ledger as ledger_mod
from cm_payroll.ledger import OutputError
from cm_payroll.pipeline import run_month
from tests.helpers import basic_spec, make_inputs
from tests.robustness.util import assert_clean_failure, check_root, cli, popen, report, tree

MONTHS = [f"2013-{m:02d}" for m in range(1, 5)]
# Four months in pieces (a first run computes two open months, the next ones one each), then a re-run
# of the last two months (--force: new versions, the old outputs moved to history/). Small on purpose:
# every kill starts a process, and what a kill can hit (start-up, computing, staging, each commit
# step) is the same for one month as for twelve.
SCHEDULE = [("2013-02",), ("2013-03",), ("2013-04",), ("2013-03", "--force")]
KILLS = int(os.environ.get("CM_PAYROLL_KILLS", "25"))
SEED = int(os.environ.get("CM_PAYROLL_KILL_SEED", "20131231"))


def _run(cmd: tuple[str, ...], inp: Path, out: Path, report=None) -> None:
    run_month(cmd[0], inp, out, force="--force" in cmd, **({"report": report} if report else {}))


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    """Inputs for 2013-01..04 and the reference states: the tree after each step of SCHEDULE (run
    uninterrupted, in-process), with the seconds each step spent computing and writing."""
    base = tmp_path_factory.mktemp("year")
    inp = make_inputs(base, basic_spec(MONTHS))
    ref = base / "ref"
    states, seconds = [{}], []
    for cmd in SCHEDULE:
        stamps: dict[str, float] = {}
        t0 = time.perf_counter()
        _run(cmd, inp, ref, report=lambda stage, month: stamps.setdefault(stage, time.perf_counter()))
        t1 = time.perf_counter()
        seconds.append((stamps["write"] - t0, t1 - stamps["write"]))         # (computing, writing)
        check_root(ref)
        states.append(tree(ref, skip_run_json=True))
    return inp, ref, states, seconds


def _diff(a: dict, b: dict) -> list[str]:
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))[:20]


def _phase(root: Path, before: dict) -> str:
    """Where the killed run was, judged from what it left (before any recovery)."""
    if (root / ".ledger" / "JOURNAL.json").exists():
        return "commit (journal written)"
    staging = root / ".staging"
    if staging.is_dir() and any(staging.iterdir()):
        return "writing (staging)"
    if tree(root, skip_run_json=True) == before:
        return "start-up / computing"
    return "after the commit"


def _after_fault(root: Path, inp: Path, states: list[dict], k: int) -> str:
    """The root holds state k or k+1 (completing a journaled commit); the next run succeeds."""
    check_root(root)
    now = tree(root, skip_run_json=True)
    assert now in (states[k], states[k + 1]), (
        f"neither the previous nor the new state after a kill in step {SCHEDULE[k]}: "
        f"vs previous {_diff(now, states[k])}, vs new {_diff(now, states[k + 1])}")
    if now == states[k]:
        _run(SCHEDULE[k], inp, root)                 # the next run succeeds
        check_root(root)
        assert tree(root, skip_run_json=True) == states[k + 1], _diff(tree(root, skip_run_json=True), states[k + 1])
        return "previous"
    return "new"


def _wait_for(condition, proc: subprocess.Popen, timeout: float = 60) -> bool:
    """True once `condition()` holds while `proc` runs; False if it ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.002)
    raise AssertionError("the run neither progressed nor ended")


def test_kill_9_at_random_points(year, tmp_path: Path, record_property) -> None:
    """Each kill waits for a sign of the phase it aims at (the lock taken: computing; files in the
    staging area: writing and committing), then a random part of that phase's length as the
    uninterrupted run measured it: the kills spread over the run whatever the machine's load."""
    inp, _, states, seconds = year
    rng = random.Random(SEED)
    root = tmp_path / "root"
    k = 0
    phases: collections.Counter = collections.Counter()
    outcomes: collections.Counter = collections.Counter()
    for _ in range(KILLS):
        cmd = SCHEDULE[k]
        before = tree(root, skip_run_json=True)
        assert before == states[k]
        proc = popen("month", *cmd, "-i", str(inp), "-o", str(root), "-q")
        computing, writing = seconds[k]
        if rng.random() < 1 / 3:
            lock = root / ".lock"
            reached = _wait_for(lambda: lock.exists() and lock.read_text(errors="replace").strip() == f"pid {proc.pid}",
                                proc)
            delay = rng.uniform(0, computing)
        else:
            staging = root / ".staging"
            reached = _wait_for(lambda: staging.is_dir() and any(staging.iterdir()), proc)
            delay = rng.uniform(0, 1.5 * writing)         # beyond the writing: some kills hit the commit
        if reached:
            try:
                proc.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        out, err = proc.communicate()
        assert proc.returncode in (0, -signal.SIGKILL), f"exit {proc.returncode}\n{err}"
        assert "Traceback" not in err, err
        phases["finished before the kill" if proc.returncode == 0 else _phase(root, before)] += 1
        outcomes[_after_fault(root, inp, states, k)] += 1
        k += 1
        if k == len(SCHEDULE):
            shutil.rmtree(root)
            k = 0
    summary = f"{KILLS} kill -9 (seed {SEED}): phases {dict(phases)}; state after recovery {dict(outcomes)}"
    print(summary)
    record_property("kills", summary)


# The steps of a commit, by the fault hook: a first commit (no HEAD yet) and a re-run (new versions,
# the old outputs moved to history/; move #2 is the moment the old outputs are gone and the new ones not
# yet in place).
RERUN = len(SCHEDULE) - 1
COMMIT_POINTS = [(0, "move#2"), (RERUN, "staged"), (RERUN, "journal"), (RERUN, "move#2"), (RERUN, "head"),
                 (RERUN, "unjournal")]


def test_kill_9_at_every_commit_step(year, tmp_path: Path, record_property) -> None:
    inp, _, states, _ = year
    prepared = {}
    seen = collections.Counter()
    for k, where in COMMIT_POINTS:
        if k not in prepared:
            prepared[k] = tmp_path / f"step{k}"
            for cmd in SCHEDULE[:k]:
                _run(cmd, inp, prepared[k])
        root = tmp_path / f"kill-{k}-{where.replace('#', '')}"
        if prepared[k].exists():
            shutil.copytree(prepared[k], root)
        proc = cli("month", *SCHEDULE[k], "-i", str(inp), "-o", str(root), "-q",
                   env={"CM_PAYROLL_FAULT": f"{where}:kill"})
        assert proc.returncode == -signal.SIGKILL, report(proc)
        phase = _phase(root, states[k])
        result = _after_fault(root, inp, states, k)
        expected = "previous" if where == "staged" else "new"
        assert result == expected, (where, phase, result)
        seen[result] += 1
    record_property("commit_kills", f"{len(COMMIT_POINTS)} commit steps: {dict(seen)}")


# --------------------------------------------------------------------------------------------- concurrency

def _wait_for_lock(root: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    lock = root / ".lock"
    while time.monotonic() < deadline:
        if lock.exists() and lock.read_text(errors="replace").strip() == f"pid {proc.pid}":
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("the first run never took the lock")


def test_second_run_on_the_same_root_exits_3(year, tmp_path: Path) -> None:
    inp = year[0]
    root, go = tmp_path / "out", tmp_path / "go"
    first = popen("month", "2013-02", "-i", str(inp), "-o", str(root), "-q",
                  env={"CM_PAYROLL_FAULT": f"locked:wait={go}"})
    try:
        _wait_for_lock(root, first)
        second = cli("month", "2013-02", "-i", str(inp), "-o", str(root))
        assert_clean_failure(second, 3, "lock", "wait for it to finish")
        # a reader refuses too, and changes nothing
        reader = cli("explain", "2013-01", "A1", "-o", str(root))
        assert reader.returncode == 3 and "Traceback" not in reader.stderr, report(reader)
    finally:
        go.touch()
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert sorted(check_root(root).months) == ["2013-01", "2013-02"]


def test_two_runs_started_together(year, tmp_path: Path) -> None:
    inp = year[0]
    root = tmp_path / "out"
    procs = [popen("month", "2013-03", "-i", str(inp), "-o", str(root)) for _ in range(2)]
    results = [(p, *p.communicate(timeout=120)) for p in procs]
    codes = sorted(p.returncode for p, _, _ in results)
    assert codes == [0, 3], [report(p) for p, _, _ in results]
    loser = next(err for p, _, err in results if p.returncode == 3)
    assert "Traceback" not in loser and ("lock" in loser or "already closed" in loser), loser
    assert sorted(check_root(root).months) == MONTHS[:3]


def test_stale_lock_of_a_killed_run_is_recovered(year, tmp_path: Path) -> None:
    inp = year[0]
    root, go = tmp_path / "out", tmp_path / "never"
    run_month("2013-01", inp, root)
    before = tree(root)
    holder = popen("month", "2013-02", "-i", str(inp), "-o", str(root), "-q",
                   env={"CM_PAYROLL_FAULT": f"staged:wait={go}"})
    _wait_for_lock(root, holder)
    deadline = time.monotonic() + 60
    while not any((root / ".staging").glob("*/ledger/2013-02/manifest.json")):   # staged, journal not yet
        assert time.monotonic() < deadline and holder.poll() is None
        time.sleep(0.02)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert (root / ".lock").read_text().strip() == f"pid {holder.pid}"       # the dead run's lock file stays
    nxt = cli("month", "2013-02", "-i", str(inp), "-o", str(root), "-q")
    assert nxt.returncode == 0, report(nxt)
    led = check_root(root)
    assert sorted(led.months) == ["2013-01", "2013-02"]
    assert {k: v for k, v in tree(root).items() if k.startswith("2013-01/")} == \
        {k: v for k, v in before.items() if k.startswith("2013-01/")}


def test_reader_never_touches_a_run_in_progress(year, tmp_path: Path) -> None:
    """`explain` (or what-if) beside a run: before the fix, its Ledger.open "recovered" the folder
    and deleted the running run's staging area, which then committed a HEAD naming missing files."""
    inp = year[0]
    root, go = tmp_path / "out", tmp_path / "go"
    run_month("2013-01", inp, root)
    run = popen("month", "2013-02", "-i", str(inp), "-o", str(root), "-q",
                env={"CM_PAYROLL_FAULT": f"staged:wait={go}"})
    try:
        deadline = time.monotonic() + 60
        def staged_manifest() -> bool:
            try:            # the folder may vanish between the listing and the scan (a previous staging removed)
                # everything staged (the run's rulebook is staged last, just before the wait)
                return any((root / ".staging").glob("*/ledger/2013-02/manifest.json")) and \
                    any((root / ".staging").glob("*/rulebooks/*.toml"))
            except FileNotFoundError:
                return False
        while not staged_manifest():
            assert time.monotonic() < deadline and run.poll() is None, run.communicate()
            time.sleep(0.02)
        staged = tree(root / ".staging")
        reader = cli("explain", "2013-01", "A1", "-o", str(root))
        assert_clean_failure(reader, 3, "in progress")
        assert tree(root / ".staging") == staged
    finally:
        go.touch()
    _, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    check_root(root)
    assert cli("explain", "2013-02", "A1", "-o", str(root)).returncode == 0


# --------------------------------------------------------------------------------------------- disk

def _fail_nth(monkeypatch, target, name: str, n: int, err: int, match=lambda *a: True) -> dict:
    real = getattr(target, name)
    calls = {"n": 0}

    def failing(*args, **kw):
        if match(*args):
            calls["n"] += 1
            if calls["n"] == n:
                raise OSError(err, os.strerror(err), str(args[0]))
        return real(*args, **kw)

    monkeypatch.setattr(target, name, failing)
    return calls


@pytest.mark.parametrize("err,word", [(errno.ENOSPC, "no space left"), (errno.EROFS, "read-only"),
                                      (errno.EACCES, "permission denied")])
def test_write_error_while_staging_changes_nothing(year, tmp_path: Path, monkeypatch, err: int, word: str) -> None:
    inp = year[0]
    root = tmp_path / "out"
    run_month("2013-01", inp, root)
    before = tree(root)
    _fail_nth(monkeypatch, Path, "write_bytes", 3, err)              # a slip of 2013-02
    with pytest.raises(OutputError, match=word) as info:
        run_month("2013-02", inp, root)
    assert "Nothing was changed" in str(info.value) and "/.staging/" in str(info.value)
    monkeypatch.undo()
    assert tree(root) == before
    assert not (root / ".staging").exists() or not any((root / ".staging").iterdir())
    run_month("2013-02", inp, root)
    assert sorted(check_root(root).months) == ["2013-01", "2013-02"]


def test_write_error_in_ledger_files_and_journal_changes_nothing(year, tmp_path: Path, monkeypatch) -> None:
    inp = year[0]
    root = tmp_path / "out"
    run_month("2013-01", inp, root)
    before = tree(root)
    for nth in (1, 2):          # the month's manifest.json, then JOURNAL.json (both by write_atomic)
        _fail_nth(monkeypatch, ledger_mod.os, "replace", nth, errno.ENOSPC)
        with pytest.raises(OutputError, match="no space left"):
            run_month("2013-02", inp, root)
        monkeypatch.undo()
        assert tree(root) == before
        assert not list((root / ".ledger").glob(".*tmp*"))
        assert not (root / ".staging").exists() or not any((root / ".staging").iterdir())


def test_write_error_after_the_journal_is_completed_by_the_next_run(year, tmp_path: Path, monkeypatch) -> None:
    inp = year[0]
    root = tmp_path / "out"
    run_month("2013-01", inp, root)
    _fail_nth(monkeypatch, ledger_mod.os, "replace", 4, errno.EROFS)   # manifest, journal, ledger move; outputs
    with pytest.raises(OutputError, match="read-only") as info:
        run_month("2013-02", inp, root)
    assert "journaled" in str(info.value)
    monkeypatch.undo()
    assert (root / ".ledger" / "JOURNAL.json").exists()
    run_month("2013-03", inp, root)          # the next run completes 2013-02's commit, then runs 2013-03
    assert sorted(check_root(root).months) == MONTHS[:3]


def test_cli_write_error_is_exit_3_without_traceback(year, tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from cm_payroll.cli import app
    inp = year[0]
    root = tmp_path / "out"
    _fail_nth(monkeypatch, Path, "write_bytes", 1, errno.ENOSPC)
    res = CliRunner().invoke(app, ["month", "2013-01", "-i", str(inp), "-o", str(root)])
    assert res.exit_code == 3, (res.output, res.exception)
    assert "no space left" in " ".join(res.output.split()) and "Traceback" not in res.output
    assert not res.exception or isinstance(res.exception, SystemExit)
    assert tree(root) == {}


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True).returncode == 0


@pytest.fixture
def tmpfs(tmp_path: Path):
    mnt = tmp_path / "tmpfs"
    if not _mount_tmpfs(mnt, "512k"):
        pytest.skip("mounting a tmpfs is not permitted here (the fault-injection tests cover the same paths)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_real_full_disk(year, tmpfs: Path) -> None:
    inp = year[0]
    root = tmpfs / "out"
    assert cli("month", "2013-01", "-i", str(inp), "-o", str(root), "-q").returncode == 0
    before = tree(root)
    st = os.statvfs(tmpfs)
    filler = tmpfs / "filler"
    filler.write_bytes(b"\0" * max(0, st.f_bavail * st.f_frsize - 24 * 1024))
    proc = cli("month", "2013-02", "-i", str(inp), "-o", str(root))
    assert_clean_failure(proc, 3, "no space left", "nothing was changed")
    assert tree(root) == before
    assert not (root / ".staging").exists() or not any((root / ".staging").iterdir())
    filler.unlink()
    assert cli("month", "2013-02", "-i", str(inp), "-o", str(root), "-q").returncode == 0
    assert sorted(check_root(root).months) == ["2013-01", "2013-02"]


def test_real_read_only_output_folder(year, tmpfs: Path) -> None:
    inp = year[0]
    root = tmpfs / "out"
    assert cli("month", "2013-01", "-i", str(inp), "-o", str(root), "-q").returncode == 0
    before = tree(root)
    assert subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], capture_output=True).returncode == 0
    proc = cli("month", "2013-02", "-i", str(inp), "-o", str(root))
    assert_clean_failure(proc, 3, "read-only", str(root))
    assert tree(root) == before
    # reading a read-only archive still works
    assert cli("explain", "2013-01", "A1", "-o", str(root)).returncode == 0


def _without_dac_override() -> None:
    """In the child: root without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH obeys file modes like any user."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):                     # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:    # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl")


def test_real_permission_denied(year, tmp_path: Path) -> None:
    """The output folder belongs to another user (a cron job run as the wrong account)."""
    if os.geteuid() != 0:
        pytest.skip("needs root: the output folder is given to another user")
    inp = year[0]
    root = tmp_path / "out"
    run_month("2013-01", inp, root)
    for p in [root, *root.rglob("*")]:
        os.chown(p, 65534, 65534)
    before = tree(root)
    try:
        probe = subprocess.run(["touch", str(root / "probe")], preexec_fn=_without_dac_override, capture_output=True)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot drop CAP_DAC_OVERRIDE here ({exc})")
    if probe.returncode == 0:
        pytest.skip("dropping CAP_DAC_OVERRIDE has no effect here")
    proc = cli("month", "2013-02", "-i", str(inp), "-o", str(root), preexec_fn=_without_dac_override)
    assert_clean_failure(proc, 3, "permission denied", str(root))
    assert tree(root) == before


def test_file_size_limit_is_a_clear_error(year, tmp_path: Path) -> None:
    """A kernel-level write failure in every writer (Python, xlsxwriter's bytes, Polars' Rust
    Parquet writer): RLIMIT_FSIZE makes writes beyond 8 KB fail with EFBIG."""
    inp = year[0]
    root = tmp_path / "out"
    run_month("2013-01", inp, root)
    before = tree(root)

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (8 * 1024, 8 * 1024))

    proc = cli("month", "2013-02", "-i", str(inp), "-o", str(root), preexec_fn=small_files)
    assert_clean_failure(proc, 3, "too large", "nothing was changed")
    assert tree(root) == before
    assert not (root / ".staging").exists() or not any((root / ".staging").iterdir())


def test_parquet_write_error_is_a_clear_error(year, tmp_path: Path, monkeypatch) -> None:
    """Polars reports a failed write as ComputeError("… underlying IO error: … (os error 28)"), not as
    an OSError: before the fix a full disk while writing the ledger ended in a traceback."""
    import polars as pl
    inp = year[0]
    root = tmp_path / "out"
    run_month("2013-01", inp, root)
    before = tree(root)
    real = pl.DataFrame.write_parquet

    def full_disk(self, file, *args, **kw):
        real(self.head(0), file, *args, **kw)
        raise pl.exceptions.ComputeError("parquet: File out of specification: underlying IO error: No space left "
                                         "on device (os error 28)")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", full_disk)
    with pytest.raises(OutputError, match="no space left") as info:
        run_month("2013-02", inp, root)
    assert "pay.parquet" in str(info.value) or "state.parquet" in str(info.value)
    monkeypatch.undo()
    assert tree(root) == before
    assert not (root / ".staging").exists() or not any((root / ".staging").iterdir())


def test_what_if_folder_that_cannot_be_written(year, tmp_path: Path) -> None:
    inp = year[0]
    root = tmp_path / "out"
    run_month("2013-01", inp, root)
    before = tree(root)
    (tmp_path / "a_file").write_text("x")
    proc = cli("month", "2013-01", "-i", str(inp), "-o", str(root), "--what-if", str(tmp_path / "a_file" / "dir"))
    assert_clean_failure(proc, 3, "cannot write", "a_file")
    assert tree(root) == before
