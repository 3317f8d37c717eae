"""The installed `cm-payroll` command: exit codes, --json, --quiet, --help, refusal, lock (SPEC 7)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import make_inputs, run_cli


def test_month_runs_earlier_months_and_prints_paths(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    r = run_cli("month", "2013-02", "--input", str(inp), "--output", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert "payroll_2013-02.xlsx" in r.stdout and "slips" in r.stdout and "exceptions_2013-02.xlsx" in r.stdout
    for m in ("2013-01", "2013-02"):
        d = tmp_path / "out" / m
        assert (d / f"payroll_{m}.xlsx").is_file()
        assert (d / f"exceptions_{m}.xlsx").is_file()
        assert (d / "run.json").is_file()
        assert sorted(p.name for p in (d / "slips").iterdir()) == ["A1.xlsx", "A2.xlsx", "B1.xlsx"]


def test_json_summary_for_cron(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    r = run_cli("month", "2013-01", "-i", str(inp), "-o", str(tmp_path / "out"), "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["ok"] is True and doc["months"][0]["month"] == "2013-01"
    assert doc["months"][0]["managers"] == 3
    assert set(doc["months"][0]["totals"]) >= {"base_salary", "gross_pay"}


def test_quiet_prints_nothing_on_success(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    r = run_cli("month", "2013-01", "-i", str(inp), "-o", str(tmp_path / "out"), "--quiet")
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""


def test_closed_month_is_refused_with_exit_3(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    out = tmp_path / "out"
    assert run_cli("month", "2013-01", "-i", str(inp), "-o", str(out), "-q", "--paid-through", "2013-01").returncode == 0
    r = run_cli("month", "2013-01", "-i", str(inp), "-o", str(out))
    assert r.returncode == 3
    assert "--force" in r.stderr and "released" in r.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run_cli("month").returncode == 2
    assert run_cli("month", "2013-13", "-i", str(tmp_path), "-o", str(tmp_path / "o")).returncode == 2
    assert run_cli("month", "2013-01", "--rules", "nosuch", "-i", str(tmp_path), "-o", str(tmp_path / "o")).returncode == 2
    assert run_cli("month", "2013-01", "--bogus").returncode == 2


def test_help_explains_every_command() -> None:
    r = run_cli("--help")
    assert r.returncode == 0
    for cmd in ("month", "year", "validate", "sample"):
        assert cmd in r.stdout
    r = run_cli("month", "--help")
    assert "--force" in r.stdout and "--rules" in r.stdout and "--json" in r.stdout


def test_version() -> None:
    r = run_cli("--version")
    assert r.returncode == 0 and "cm-payroll" in r.stdout


def test_year_runs_every_month(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    r = run_cli("year", "2013", "-i", str(inp), "-o", str(tmp_path / "out"), "--json")
    assert r.returncode == 0, r.stderr
    assert [m["month"] for m in json.loads(r.stdout)["months"]] == ["2013-01", "2013-02"]


def test_validate_reads_inputs_only(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    r = run_cli("validate", "2013-01", "-i", str(inp), "--json")
    assert r.returncode == 0, r.stderr
    assert {f["file"] for f in json.loads(r.stdout)["files"]} == {"roster.csv", "scores.csv", "clients.csv"}
    assert not (tmp_path / "output").exists()


def test_input_error_exit_1_nothing_written(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    (inp / "2013-02" / "scores.csv").write_text("manager_id,score\nA1,abc\nZZ9,5\n", encoding="utf-8")
    out = tmp_path / "out"
    r = run_cli("month", "2013-02", "-i", str(inp), "-o", str(out))
    assert r.returncode == 1
    assert "scores.csv, row 2, column score" in r.stderr
    assert "scores.csv, row 3, column manager_id" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (out / "2013-01").exists() and not (out / "2013-02").exists()


def test_force_keeps_earlier_version_and_books_corrections(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    out = tmp_path / "out"
    assert run_cli("month", "2013-01", "-i", str(inp), "-o", str(out), "-q", "--paid-through", "2013-01").returncode == 0
    before = (out / "2013-01" / "payroll_2013-01.xlsx").read_bytes()
    (inp / "2013-01" / "scores.csv").write_text("manager_id,score\nA1,12000\nA2,4000\nB1,19000\n", encoding="utf-8")
    r = run_cli("month", "2013-01", "-i", str(inp), "-o", str(out), "--force", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["months"][0]["version"] == 2
    assert (out / "history" / "2013-01" / "v1" / "payroll_2013-01.xlsx").read_bytes() == before
    head = json.loads((out / ".ledger" / "HEAD.json").read_text("utf-8"))
    assert [p["manager_id"] for p in head["pending_corrections"]] == ["B1"]
