"""Small builders shared by the tests: a month of inputs from rows, the CLI as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.scenario_runner import write_inputs

ROOT = Path(__file__).resolve().parents[1]


def cli_path() -> list[str]:
    """The installed `cm-payroll` entry point of the running environment."""
    exe = Path(sys.executable).parent / "cm-payroll"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "cm_payroll"]


def run_cli(*args: str, cwd: Path | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, COLUMNS="200", NO_COLOR="1")
    return subprocess.run(cli_path() + list(args), capture_output=True, text=True, cwd=cwd, timeout=timeout,
                          env=env)


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
