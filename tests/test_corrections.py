"""SPEC 6 / S-Art.33: correcting a closed month. A June score is corrected after December is closed:
June..December get new versions, the old outputs stay on disk, December's year-end bonus follows, and
each month's difference in gross pay is booked as a correction in the next open month (2014-01)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from cm_payroll.ledger import Ledger
from cm_payroll.pipeline import load_result, run_month
from tests.helpers import run_cli
from tests.scenario_runner import write_inputs

MONTHS = [f"2013-{k:02d}" for k in range(1, 13)] + ["2014-01"]


def _spec() -> dict:
    # C1: sales, hired 2010-06-01 (tenure 3 → tenure rate 3%), score 10,000 a month
    # (annualized 120,000 → 高级客户经理二级, table rate 35%), net income 10,000 a month.
    roster = [{"manager_id": "C1", "name": "更正", "branch": "杭州营业部", "track": "sales", "hire_date": "2010-06-01"},
              {"manager_id": "C2", "name": "对照", "branch": "杭州营业部", "track": "sales", "hire_date": "2010-06-01"}]
    clients = [{"manager_id": m, "client_id": "K1", "origin": "developed", "is_new": False, "opening_assets": 0,
                "closing_assets": 0, "daily_avg_assets": 0, "net_income": 10000} for m in ("C1", "C2")]
    scores = [{"manager_id": "C1", "score": 10000}, {"manager_id": "C2", "score": 10000}]
    return {"defaults": {"roster": roster, "clients": clients, "scores": scores},
            "months": {m: {} for m in MONTHS}}


def test_correcting_june_after_december(tmp_path: Path) -> None:
    inp, out = tmp_path / "in", tmp_path / "out"
    write_inputs(_spec(), inp)
    run_month("2013-12", inp, out, paid_through="2013-12")       # the year was paid
    dec_v1 = load_result(out, "2013-12", "pay").filter(pl.col("manager_id") == "C1").row(0, named=True)
    # v1 December: Y = 120,000 × (35% + 3%) − 12 × 3,500 = 45,600 − 42,000 = 3,600
    assert dec_v1["year_end_bonus"] == 360_000
    june_v1 = (out / "2013-06" / "payroll_2013-06.xlsx").read_bytes()

    # The June score was wrong: 70,000, not 10,000. June: cum 120,000 over 6 months → annualized
    # 240,000 → 资深客户经理一级 (base 4,500, allowance 800), rate 40% → bonus 4,000.
    # v1 June gross: 3,500 + 600 + 3,500 = 7,600; v2: 4,500 + 800 + 4,000 = 9,300 → +1,700.
    (inp / "2013-06" / "scores.csv").write_text("manager_id,score\nC1,70000\nC2,10000\n", encoding="utf-8")
    r = run_cli("month", "2013-06", "-i", str(inp), "-o", str(out), "--force", "--json")
    assert r.returncode == 0, r.stderr
    assert [m["version"] for m in json.loads(r.stdout)["months"]] == [2] * 7        # June..December

    led = Ledger.open(out)
    assert all(led.months[f"2013-{k:02d}"].version == 2 for k in range(6, 13))
    assert led.months["2013-05"].version == 1
    assert (out / "history" / "2013-06" / "v1" / "payroll_2013-06.xlsx").read_bytes() == june_v1
    assert (out / "history" / "2013-12" / "v1").is_dir()
    # both versions stay answerable
    june_old = load_result(out, "2013-06", "pay", version=1).filter(pl.col("manager_id") == "C1").row(0, named=True)
    june_new = load_result(out, "2013-06", "pay").filter(pl.col("manager_id") == "C1").row(0, named=True)
    assert (june_old["gross_pay"], june_new["gross_pay"]) == (760_000, 930_000)

    # Later months follow the new chain: cum from January 5 × 10,000 + 70,000 = 120,000 in June, then
    # +10,000 a month. Annualized: Jul 130,000×12/7 = 222,857.14, Aug 210,000, Sep 200,000 (exactly the
    # principal_1 minimum) → 40%, gross 9,300 (+1,700); Oct 192,000, Nov 185,454.55, Dec 180,000 → back
    # to senior_2 at 35%: pay unchanged. December Y v2 = 120,000 × (35% + 3%) − Σ bonus
    # (5 × 3,500 + 4 × 4,000 + 3 × 3,500 = 44,000) = 45,600 − 44,000 = 1,600 (was 3,600: −2,000).
    dec_v2 = load_result(out, "2013-12", "pay").filter(pl.col("manager_id") == "C1").row(0, named=True)
    assert dec_v2["year_end_bonus"] == 160_000
    head = json.loads((out / ".ledger" / "HEAD.json").read_text("utf-8"))
    booked = {(p["manager_id"], p["corrects"]): p["amount"] for p in head["pending_corrections"]}
    assert booked == {("C1", f"2013-{k:02d}"): 170_000 for k in range(6, 10)} | {("C1", "2013-12"): -200_000}

    # 2014-01 is the next open month: the corrections are paid there, each listed with its month.
    run_month("2014-01", inp, out)
    jan = load_result(out, "2014-01", "pay").filter(pl.col("manager_id") == "C1").row(0, named=True)
    assert jan["correction"] == 4 * 170_000 - 200_000
    exc = load_result(out, "2014-01", "exceptions").filter(pl.col("type") == "correction")
    assert sorted(exc.get_column("description").to_list())[0].startswith("更正 2013-06")
    assert exc.height == 5 and exc.get_column("amount").sum() == 4 * 170_000 - 200_000
    assert json.loads((out / ".ledger" / "HEAD.json").read_text("utf-8"))["pending_corrections"] == []
    # C2 was never wrong: nothing booked
    assert load_result(out, "2014-01", "pay").filter(pl.col("manager_id") == "C2").row(0, named=True)["correction"] == 0
