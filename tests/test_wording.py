"""Decision 42: every word a clerk reads states the parameters in force. A branch rulebook that sets
the standby rate to 12% and the veteran rate to 13% sees 12% and 13% on the slips, in `explain` and
in the exceptions report, and 15% (the built-in value of both) nowhere."""

from __future__ import annotations

import json
from pathlib import Path


from cm_payroll.explain import explain
from cm_payroll.pipeline import load_result, run_month
from cm_payroll.rulebook import builtin_path
from tests.scenario_runner import write_inputs


def _branch(tmp: Path) -> Path:
    text = builtin_path("securities").read_text("utf-8")
    text = text.replace('[[parameters.standby_rate.values]]\nfrom = "2000-01"\nvalue = "0.15"',
                        '[[parameters.standby_rate.values]]\nfrom = "2000-01"\nvalue = "0.12"')
    text = text.replace('value = { min_tenure_years = 5, below_score = 200000, rate = "0.15" }',
                        'value = { min_tenure_years = 5, below_score = 200000, rate = "0.13" }')
    p = tmp / "branch.toml"
    p.write_text(text, "utf-8")
    return p


def test_a_branch_rate_shows_in_every_text(tmp_path):
    # EXAMPLES E2 (S1): June's annualized score 32,000 < 36,000 → trigger; July is a standby month whose
    # annualized 20,000 × 12 / 7 = 34,285.71 and relationship assets 5,000,000 fail it → 待解除劳动合同,
    # paid at the branch's standby rate: 10,000 × 12% = 1,200 (S-Art.8(3), S-Art.20). V1 (hired 2007) is a veteran below 200,000: 13%.
    def clients(m):
        return [{"manager_id": m, "client_id": f"C{m}", "origin": "developed", "is_new": False, "opening_assets": 0,
                 "closing_assets": 0, "daily_avg_assets": 5_000_000, "net_income": 10_000}]
    months = {f"2013-{k:02d}": {} for k in range(1, 8)}
    for k in (5, 6):
        months[f"2013-{k:02d}"] = {"scores": [{"manager_id": "S1", "score": 0}, {"manager_id": "V1", "score": 10000}]}
    spec = {"defaults": {
        "roster": [{"manager_id": "S1", "name": "待岗", "branch": "杭州营业部", "track": "sales", "hire_date": "2010-06-01"},
                   {"manager_id": "V1", "name": "老兵", "branch": "杭州营业部", "track": "sales", "hire_date": "2007-03-10"}],
        "scores": [{"manager_id": "S1", "score": 4000}, {"manager_id": "V1", "score": 10000}],
        "clients": clients("S1") + clients("V1")}, "months": months}
    inp, out = tmp_path / "in", tmp_path / "out"
    write_inputs(spec, inp)
    run_month("2013-07", inp, out, rules=str(_branch(tmp_path)), formats="xlsx,html")
    pay = {r["manager_id"]: r for r in load_result(out, "2013-07").iter_rows(named=True)}
    assert pay["S1"]["status"] == "pending_termination" and pay["S1"]["performance_bonus"] == 120_000
    assert pay["V1"]["performance_bonus"] == 130_000                     # 10,000 × 13%
    slip = (out / "2013-07" / "slips" / "S1.html").read_text("utf-8")
    assert "按12%计提" in slip and "15%" not in slip
    vet = (out / "2013-07" / "slips" / "V1.html").read_text("utf-8")
    assert "按13%计提" in vet and "15%" not in vet
    doc = explain(out, "2013-07", "S1", inp)
    text = json.dumps(doc, ensure_ascii=False)
    bonus = next(c for c in doc["components"] if c["key"] == "performance_bonus")
    assert "12%" in bonus["rule"] and "13%" in bonus["rule"] and "15%" not in text
    for m in ("2013-06", "2013-07"):
        descriptions = " ".join(load_result(out, m, "exceptions").get_column("description").to_list())
        assert "15%" not in descriptions
