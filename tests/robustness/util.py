"""Helpers of the robustness suite: the CLI in English (tests/helpers.py runs it), and the check
that an output root holds one complete state (the ledger verifies, every month folder the ledger lists
exists and holds exactly the files its run.json and manifest name, with their sha256)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests import helpers
from tests.helpers import ROOT, sha256, tree  # noqa: F401  (re-exported for the robustness tests)

EN = {"CM_PAYROLL_LANG": "en"}


def cli(*args: str, env: dict[str, str] | None = None, timeout: int = 120, **kw) -> subprocess.CompletedProcess:
    """helpers.cli with the messages in English."""
    return helpers.cli(*args, env={**EN, **(env or {})}, timeout=timeout, **kw)


def popen(*args: str, env: dict[str, str] | None = None, **kw) -> subprocess.Popen:
    """helpers.popen with the messages in English."""
    return helpers.popen(*args, env={**EN, **(env or {})}, **kw)


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
