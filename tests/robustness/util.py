"""Helpers of the robustness suite: the CLI as a subprocess, snapshots of an output root, and the
check that an output root holds one complete state (the ledger verifies, every month folder the
ledger lists exists and holds exactly the files its run.json and manifest name, with their sha256)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYCACHE = Path(tempfile.gettempdir()) / "cm_payroll_test_pycache"


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ, COLUMNS="200", NO_COLOR="1", CM_PAYROLL_LANG="en")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("CM_PAYROLL_FAULT", None)
    env.setdefault("PYTHONPYCACHEPREFIX", str(PYCACHE))
    env.setdefault("POLARS_MAX_THREADS", "1")
    env.update(extra or {})
    return env


def cli_args(*args: str) -> list[str]:
    return [sys.executable, "-m", "cm_payroll", *args]


def cli(*args: str, env: dict[str, str] | None = None, timeout: int = 120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cli_args(*args), capture_output=True, text=True, encoding="utf-8", errors="replace",
                          timeout=timeout, env=cli_env(env), cwd=ROOT, **kw)


def popen(*args: str, env: dict[str, str] | None = None, **kw) -> subprocess.Popen:
    return subprocess.Popen(cli_args(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8", errors="replace", env=cli_env(env), cwd=ROOT, **kw)


def report(proc) -> str:
    return f"exit {proc.returncode}\n--- stderr ---\n{proc.stderr[:4000]}\n--- stdout ---\n{proc.stdout[:2000]}"


def assert_clean_failure(proc, code: int, *words: str) -> None:
    """Exit `code`, no traceback, and every word in the message (whitespace-insensitive)."""
    text = proc.stderr + proc.stdout
    assert "Traceback" not in text, report(proc)
    assert proc.returncode == code, report(proc)
    flat = "".join(text.split()).lower()
    for w in words:
        assert "".join(w.split()).lower() in flat, f"message lacks {w!r}\n{report(proc)}"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


VOLATILE = ("run.json", "manifest.json", "HEAD.json")


def tree(root: Path, skip_run_json: bool = False) -> dict[str, str]:
    """relative path → sha256 of every file under an output root, without the lock file and the
    staging area. `skip_run_json`: without run.json, which records when and where a run happened, and
    the files that hold its sha256 (the month's manifest.json, HEAD.json, which holds the manifests'
    sha256); HEAD.json is then represented by its months and their versions."""
    if not root.exists():
        return {}
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if not p.is_file() or rel.parts[0] in (".lock", ".staging"):
            continue
        if skip_run_json and p.name in VOLATILE:
            if p.name == "HEAD.json":
                head = json.loads(p.read_text("utf-8"))
                out["HEAD months"] = repr(sorted((m, e["version"]) for m, e in head["months"].items()))
                out["HEAD pending"] = repr(head.get("pending_corrections"))
            continue
        out[str(rel)] = sha256(p)
    return out


def check_root(root: Path):
    """Open the ledger (completing an interrupted commit) and check that the output root is one
    complete state; returns the Ledger."""
    from cm_payroll.ledger import Ledger
    led = Ledger.open(root)
    assert not (root / ".ledger" / "JOURNAL.json").exists()
    staging = root / ".staging"
    assert not staging.exists() or not any(staging.iterdir()), list(staging.iterdir())
    on_disk = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name[:2] == "20") if root.exists() else []
    assert on_disk == sorted(led.months), (on_disk, sorted(led.months))
    for month, entry in led.months.items():
        folder = root / month
        run = json.loads((folder / "run.json").read_text("utf-8"))
        # a later month recomputed with the same result keeps the outputs of its earlier version (a new
        # ledger version only, SPEC 6): run.json names the version that wrote them
        assert run["month"] == month and run["version"] <= entry.version
        if run["version"] < entry.version:
            assert led.manifest(month)["outputs"] == led.manifest(month, run["version"])["outputs"]
        outputs = {o["file"]: o["sha256"] for o in run["outputs"]}
        assert led.manifest(month)["outputs"] == dict(outputs, **{"run.json": sha256(folder / "run.json")})
        files = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
        assert files == set(outputs) | {"run.json"}, files ^ (set(outputs) | {"run.json"})
        for rel, digest in outputs.items():
            assert sha256(folder / rel) == digest, f"{month}/{rel} differs from its run.json"
    leftovers = [p.name for p in (root / ".ledger").glob(".*tmp*")] if (root / ".ledger").exists() else []
    assert not leftovers, leftovers
    return led
