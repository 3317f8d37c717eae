"""The ledger and the outputs: determinism, atomic commits, corruption and deletion detected, lock."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from cm_payroll import ledger as ledger_mod
from cm_payroll.errors import RefusedError
from cm_payroll.ledger import Ledger, Lock
from cm_payroll.pipeline import load_result, run_month
from tests.helpers import make_inputs, run_cli, tree


def test_outputs_are_byte_for_byte_deterministic(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    run_month("2013-02", inp, tmp_path / "a")
    run_month("2013-02", inp, tmp_path / "b")
    a, b = tree(tmp_path / "a", skip_run_json=True), tree(tmp_path / "b", skip_run_json=True)
    assert a.keys() == b.keys() and len(a) >= 10
    assert [k for k in a if a[k] != b[k]] == []


def test_failed_run_leaves_earlier_output_untouched(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    out = tmp_path / "out"
    run_month("2013-01", inp, out)
    before = tree(out, skip_run_json=True)
    head = (out / ".ledger" / "HEAD.json").read_bytes()
    (inp / "2013-02" / "clients.csv").write_text("manager_id,client_id\n", encoding="utf-8")
    r = run_cli("month", "2013-02", "-i", str(inp), "-o", str(out))
    assert r.returncode == 1
    assert tree(out, skip_run_json=True) == before
    assert (out / ".ledger" / "HEAD.json").read_bytes() == head
    assert not (out / ".staging").exists() or not any((out / ".staging").iterdir())


def test_corrupted_state_is_detected(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    out = tmp_path / "out"
    run_month("2013-01", inp, out)
    state = next((out / ".ledger" / "months" / "2013-01").glob("v*/state.parquet"))
    data = bytearray(state.read_bytes())
    data[len(data) // 2] ^= 0xFF
    state.write_bytes(bytes(data))
    r = run_cli("month", "2013-02", "-i", str(inp), "-o", str(out))
    assert r.returncode == 3
    assert "corrupted" in r.stderr and "state.parquet" in r.stderr
    assert not (out / "2013-02").exists()


def test_edited_manifest_is_detected(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    out = tmp_path / "out"
    run_month("2013-01", inp, out)
    mf = next((out / ".ledger" / "months" / "2013-01").glob("v*/manifest.json"))
    mf.write_text(mf.read_text("utf-8").replace("securities", "Securities"), encoding="utf-8")
    with pytest.raises(RefusedError, match="manifest.json does not match"):
        Ledger.open(out)


def test_deleted_ledger_is_detected(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    out = tmp_path / "out"
    run_month("2013-01", inp, out)
    shutil.rmtree(out / ".ledger")
    r = run_cli("month", "2013-02", "-i", str(inp), "-o", str(out))
    assert r.returncode == 3 and "ledger" in r.stderr and "missing" in r.stderr


def test_deleted_month_file_of_ledger_is_detected(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    out = tmp_path / "out"
    run_month("2013-01", inp, out)
    next((out / ".ledger" / "months" / "2013-01").glob("v*/pay.parquet")).unlink()
    with pytest.raises(RefusedError, match="pay.parquet is missing"):
        Ledger.open(out)


def test_lock_refuses_a_second_run(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    with Lock(out):
        r = run_cli("month", "2013-01", "-i", str(inp), "-o", str(out))
    assert r.returncode == 3 and "lock" in r.stderr
    # the lock of a dead process (the file stays behind) does not block the next run
    (out / ".lock").write_text("pid 999999")
    assert run_cli("month", "2013-01", "-i", str(inp), "-o", str(out), "-q").returncode == 0


def test_interrupted_commit_is_rolled_forward(tmp_path: Path, monkeypatch) -> None:
    inp = make_inputs(tmp_path)
    out = tmp_path / "out"
    run_month("2013-01", inp, out)
    real_replace = ledger_mod.os.replace
    calls = {"n": 0}

    def dying_replace(src, dst):
        calls["n"] += 1
        if calls["n"] == 4:   # manifest, journal, ledger folder moved; the outputs not yet
            raise KeyboardInterrupt("killed")
        return real_replace(src, dst)

    monkeypatch.setattr(ledger_mod.os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        run_month("2013-02", inp, out)
    monkeypatch.setattr(ledger_mod.os, "replace", real_replace)
    assert (out / ".ledger" / "JOURNAL.json").exists()
    led = Ledger.open(out)          # recovers: completes the commit
    assert led.closed("2013-02") and (out / "2013-02" / "payroll_2013-02.xlsx").exists()
    assert not (out / ".ledger" / "JOURNAL.json").exists()


def test_run_json_records_inputs_params_outputs(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    run_month("2013-01", inp, tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "2013-01" / "run.json").read_text("utf-8"))
    assert doc["rulebook"]["id"] == "securities" and len(doc["rulebook"]["sha256"]) == 64
    assert {i["file"] for i in doc["inputs"]} == {"roster.csv", "scores.csv", "clients.csv"}
    assert all(len(i["sha256"]) == 64 for i in doc["inputs"])
    names = {o["file"] for o in doc["outputs"]}
    assert "payroll_2013-01.xlsx" in names and "slips/A1.xlsx" in names
    params = {p["name"]: p for p in doc["parameters"]}
    assert params["standby_rate"]["value"] == "0.15" and params["standby_rate"]["article"] == "S-Art.20"
    gross = sum(load_result(tmp_path / "out", "2013-01").get_column("gross_pay").to_list())    # fen
    assert doc["totals"]["gross_pay"] == f"{Decimal(gross) / 100:.2f}"                       # yuan, plain
