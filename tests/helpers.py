"""Small builders shared by the tests: a month of inputs from rows, the CLI as a subprocess, and a
snapshot of a folder. (The shared fixtures — the sample years, the session cache — are in conftest.py.)"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.scenario_runner import write_inputs

ROOT = Path(__file__).resolve().parents[1]
# Compiled bytecode of the subprocesses goes to a cache outside the repository (the environment may set
# PYTHONDONTWRITEBYTECODE, which makes every CLI start recompile its imports: ~25 % slower).
PYCACHE = Path(tempfile.gettempdir()) / "cm_payroll_test_pycache"


# ------------------------------------------------------------------------------------------- the CLI

def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a CLI subprocess: wide plain output, this checkout first on the path, no
    fault injected, one Polars thread (two test workers share the cores), then `extra`."""
    env = dict(os.environ, COLUMNS="200", NO_COLOR="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("CM_PAYROLL_FAULT", None)
    env.setdefault("PYTHONPYCACHEPREFIX", str(PYCACHE))
    env.setdefault("POLARS_MAX_THREADS", "1")
    env.update(extra or {})
    return env


def cli_path() -> list[str]:
    """The installed `cm-payroll` entry point of the running environment."""
    exe = Path(sys.executable).parent / "cm-payroll"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "cm_payroll"]


def cli_args(*args: str) -> list[str]:
    return [sys.executable, "-m", "cm_payroll", *args]


def cli(*args: str, env: dict[str, str] | None = None, timeout: int = 120, entry_point: bool = False,
        cwd: Path | None = ROOT, **kw) -> subprocess.CompletedProcess:
    """`cm-payroll ARGS` in a subprocess (`python -m cm_payroll`, or the installed entry point when
    `entry_point`), its output as text."""
    cmd = cli_path() + list(args) if entry_point else cli_args(*args)
    return subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", errors="replace",
                          timeout=timeout, env=cli_env(env), cwd=cwd, **kw)


def popen(*args: str, env: dict[str, str] | None = None, **kw) -> subprocess.Popen:
    """`cm-payroll ARGS` started in the background (`python -m cm_payroll`)."""
    return subprocess.Popen(cli_args(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8", errors="replace", env=cli_env(env), cwd=ROOT, **kw)


def run_cli(*args: str, cwd: Path | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    """The installed entry point (wiring and exit codes as a clerk's shell sees them)."""
    return cli(*args, cwd=cwd, timeout=timeout, entry_point=True)


# ------------------------------------------------------------------------------------------- snapshots

def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


VOLATILE = ("run.json", "manifest.json", "HEAD.json")


def tree(root: Path, skip_run_json: bool = False) -> dict[str, str]:
    """relative path → sha256 of every file under a folder (an output root, a sample tree), without
    the lock file and the staging area. `skip_run_json`: without run.json, which records when and
    where a run happened, and the files that hold its sha256 (the month's manifest.json, HEAD.json,
    which holds the manifests' sha256); HEAD.json is then represented by its months and their
    versions."""
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


# ------------------------------------------------------------------------------------------- inputs

def basic_spec(months: list[str] | None = None) -> dict:
    """Three managers, a supervisor, a transferred client: a month that runs clean."""
    months = months or ["2013-01", "2013-02"]
    return {
        "defaults": {
            "roster": [
                {"manager_id": "A1", "name": "张三", "branch": "杭州营业部", "track": "sales",
                 "hire_date": "2010-03-01"},
                {"manager_id": "A2", "name": "李四", "branch": "杭州营业部", "track": "sales",
                 "hire_date": "2011-07-15", "supervisor_id": "A1"},
                {"manager_id": "B1", "name": "王五", "branch": "杭州营业部", "track": "advisor",
                 "hire_date": "2012-01-01", "certified": True},
            ],
            "scores": [{"manager_id": "A1", "score": 12000}, {"manager_id": "A2", "score": 4000},
                       {"manager_id": "B1", "score": 9000}],
            "clients": [
                {"manager_id": m, "client_id": f"C{m}{i}", "origin": "developed", "is_new": i == 0,
                 "opening_assets": 1_000_000, "closing_assets": 1_050_000, "daily_avg_assets": 1_020_000,
                 "net_income": "3456.78"} for m in ("A1", "A2", "B1") for i in range(3)
            ] + [{"manager_id": "A1", "client_id": "T1", "origin": "transferred", "is_new": True,
                  "opening_assets": 9_000_000, "closing_assets": 9_000_000, "daily_avg_assets": 9_000_000,
                  "net_income": 99999}],
        },
        "months": {m: {} for m in months},
    }


def make_inputs(tmp: Path, spec: dict | None = None) -> Path:
    spec = spec or basic_spec()
    inp = tmp / "input"
    write_inputs(spec, inp)
    return inp


# ------------------------------------------------------------------------------------------- hand-worked

# Figures of the securities sample worked by hand in sample_data/securities/README.md (the cast table,
# in yuan): (month, manager) → {slip / summary label: amount}. A label not listed is not asserted.
SAMPLE_HAND_WORKED: dict[tuple[str, str], dict[str, int]] = {
    # ZS002, veteran below 200,000 at 15% (EXAMPLES E1): year-end 240,000 × (15% + 5%) − 36,000.
    ("2013-12", "ZS002"): {"基础工资": 3500, "展业补贴": 600, "营销绩效奖": 3000, "绩效督导奖励": 0, "合规奖励金": 4800,
                           "年终奖": 12000, "其他奖励": 0, "年终奖亏空扣回": 0, "补发/追回": 0, "应发合计": 23900},
    # ZS003, top level: base 5,500, allowance 1,000, rate 45%, other reward HZ2013-061.
    ("2013-06", "ZS003"): {"基础工资": 5500, "展业补贴": 1000, "营销绩效奖": 24750, "其他奖励": 5000,
                           "应发合计": 36250},
    # ZS007 in standby: no allowance, rate 15%, its other reward (HZ2013-053) not paid.
    ("2013-05", "ZS007"): {"展业补贴": 0, "营销绩效奖": 1800, "其他奖励": 0, "应发合计": 4300},
    # ZS017, fraud month: no performance bonus (4,500) nor supervision reward (400).
    ("2013-05", "ZS017"): {"营销绩效奖": 0, "绩效督导奖励": 0, "应发合计": 3500},
    # ZS009, base only; its positive year-end (1,780) not paid, reserve 1,600 forfeited.
    ("2013-12", "ZS009"): {"营销绩效奖": 0, "年终奖": 0, "合规奖励金": 0, "应发合计": 2500},
    # ZS021, year-end deficit −59,600 (EXAMPLES E3): bonus 0, year-end 0, the reserve still paid.
    ("2013-12", "ZS021"): {"营销绩效奖": 0, "年终奖": 0, "合规奖励金": 4400},
    # ZS022: the year-end sees the overridden bonus, 180,000 × 32% − 51,500.
    ("2013-12", "ZS022"): {"年终奖": 6100},
    # ZS011 converted to advisor: 360,000 × (40% + 4%) − 135,000.
    ("2013-12", "ZS011"): {"年终奖": 23400},
    # ZS019: October computed as usual (withheld, not reduced).
    ("2013-10", "ZS019"): {"应发合计": 7100},
}
