"""SPEC 6 "Adopting the tool mid-history" and SPEC 7: which months a run computes on an output root —
every earlier month from the earliest input folder, gaps as errors, `--start` with an opening file,
`year` with pending months and nothing to do, a changed rulebook, and no PDF without a CJK font.
Numbers are worked by hand from EXAMPLES.md (E3) and in the comments."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal

import polars as pl
import pytest

from cm_payroll.errors import InputErrors, RefusedError, UsageError
from cm_payroll.pipeline import load_result, run_month, run_year
from cm_payroll.rulebook import builtin_path
from tests.helpers import run_cli
from tests.scenario_runner import write_inputs


def yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


def e3_spec() -> dict:
    """EXAMPLES E3: Y1 hired 2011-01-05, score 9,000 (annualized 108,000 → senior_1, 30%), net income
    20,000 a month, December −200,000; 2014-01 net income 3,000; 2014-02 20,000."""
    def clients(net):
        return [{"manager_id": "Y1", "client_id": "C1", "origin": "developed", "is_new": False,
                 "opening_assets": 0, "closing_assets": 0, "daily_avg_assets": 0, "net_income": net}]
    months = {f"2013-{k:02d}": {} for k in range(1, 12)}
    months["2013-12"] = {"clients": clients(-200000)}
    months["2014-01"] = {"clients": clients(3000)}
    months["2014-02"] = {}
    return {"defaults": {
        "roster": [{"manager_id": "Y1", "name": "梁亏空", "branch": "杭州营业部", "track": "sales",
                    "hire_date": "2011-01-05"}],
        "scores": [{"manager_id": "Y1", "score": 9000}],
        "clients": clients(20000)}, "months": months}


def test_new_root_processes_every_earlier_month_not_only_the_year(tmp_path):
    # month 2014-02 on a new root must compute 2013-01 … 2014-02: the 2013 deficit is recovered.
    # 2013-12 (E3): Y = 20,000 × (30% + tenure 2%) − 66,000 = −59,600 → carried 59,600.
    # 2014-01: bonus 3,000 × 30% = 900, recovered → carried 58,700; gross 3,000 + 500 + 900 − 900 = 3,500.
    # 2014-02: bonus 20,000 × 30% = 6,000, recovered → carried 52,700; gross 3,500 (not 9,500).
    inp = tmp_path / "in"
    write_inputs(e3_spec(), inp)
    run_month("2014-02", inp, tmp_path / "out")
    row = load_result(tmp_path / "out", "2014-02").row(0, named=True)
    assert yuan(row["gross_pay"]) == Decimal("3500")
    assert yuan(row["recovery"]) == Decimal("-6000")
    assert yuan(row["deficit"]) == Decimal("52700")
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.name[:2] == "20")[0] == "2013-01"


def test_a_month_without_input_folder_is_an_error_naming_it(tmp_path):
    inp = tmp_path / "in"
    write_inputs(e3_spec(), inp)
    shutil.rmtree(inp / "2013-05")
    with pytest.raises(InputErrors) as e:
        run_month("2013-07", inp, tmp_path / "out")
    assert "2013-05" in str(e.value) and "consecutive" in str(e.value)
    assert not (tmp_path / "out").exists()          # a refused run on a new output folder leaves none
    # also on a root that exists: 2013-03 computed, 2013-05 missing
    run_month("2013-03", inp, tmp_path / "out")
    with pytest.raises(InputErrors, match="2013-05"):
        run_month("2013-06", inp, tmp_path / "out")


def _start_spec(opening: list[dict] | None) -> dict:
    roster = [{"manager_id": m, "name": n, "branch": "杭州营业部", "track": "sales", "hire_date": "2010-06-01"}
              for m, n in (("S1", "甲"), ("S2", "乙"), ("S3", "丙"))]
    clients = [{"manager_id": m, "client_id": f"C{m}", "origin": "developed", "is_new": False,
                "opening_assets": 0, "closing_assets": 0, "daily_avg_assets": 0, "net_income": 10000}
               for m in ("S1", "S2", "S3")]
    june = {"scores": [{"manager_id": "S1", "score": 0}, {"manager_id": "S2", "score": 4000},
                       {"manager_id": "S3", "score": 4000}]}
    if opening is not None:
        june["opening"] = opening
    return {"defaults": {"roster": roster, "clients": clients,
                         "scores": [{"manager_id": m, "score": 4000} for m in ("S1", "S2", "S3")]},
            "months": {"2013-05": {}, "2013-06": june, "2013-07": {}}}


def test_start_with_an_opening_file_seeds_the_ledger(tmp_path):
    inp = tmp_path / "in"
    write_inputs(_start_spec([
        {"manager_id": "S1", "carried_deficit": 1000, "trigger_months": "2013-02"},
        {"manager_id": "S3", "standby_next": True},
    ]), inp)
    run_month("2013-06", inp, tmp_path / "out", start="2013-06")
    pay = {r["manager_id"]: r for r in load_result(tmp_path / "out", "2013-06").iter_rows(named=True)}
    # 2013-05 is not read (it has inputs, but the root starts in 2013-06).
    assert not (tmp_path / "out" / "2013-05").exists()
    # S1: window from the start, cum 0 → annualized 0 < 36,000 → trigger; with the opening's trigger
    # of 2013-02 that is the 2nd in 2012-07..2013-06 → 待解除劳动合同 (S-Art.8(2)), rate 15%:
    # bonus 10,000 × 15% = 1,500; the carried deficit 1,000 is recovered from it (S-Art.14);
    # gross = base 2,500 + 1,500 − 1,000 = 3,000 (no allowance, S-Art.20).
    s1 = pay["S1"]
    assert s1["status"] == "pending_termination"
    assert [yuan(s1[k]) for k in ("base_salary", "allowance", "performance_bonus", "recovery", "gross_pay")] == \
        [2500, 0, 1500, -1000, 3000]
    # S3: 下月待岗培训 是 → 2013-06 is a standby month; annualized 4,000 × 12 = 48,000 ≥ 36,000 →
    # passes: base 2,500, no allowance, rate 15% → 1,500; gross 4,000.
    s3 = pay["S3"]
    assert s3["status"] == "standby" and yuan(s3["gross_pay"]) == 4000
    # S2 (no opening row): decision 2, active at the table rate 25%: 2,500 + 400 + 2,500 = 5,400
    assert pay["S2"]["status"] == "active" and yuan(pay["S2"]["gross_pay"]) == 5400
    exc = load_result(tmp_path / "out", "2013-06", "exceptions")
    warned = exc.filter(pl.col("type") == "input_warning").get_column("manager_id").to_list()
    assert warned == ["S2"]
    head = json.loads((tmp_path / "out" / ".ledger" / "HEAD.json").read_text("utf-8"))
    assert head["start_month"] == "2013-06" and head["first_month"] == "2013-06"
    # the next month continues the root; --start again with another month is a usage error
    run_month("2013-07", inp, tmp_path / "out")
    with pytest.raises(UsageError, match="--start"):
        run_month("2013-07", inp, tmp_path / "out", start="2013-05")


def test_start_without_opening_warns_every_manager(tmp_path):
    inp = tmp_path / "in"
    write_inputs(_start_spec(None), inp)
    run_month("2013-06", inp, tmp_path / "out", start="2013-06")
    exc = load_result(tmp_path / "out", "2013-06", "exceptions")
    warned = exc.filter(pl.col("type") == "input_warning")
    assert sorted(warned.get_column("manager_id").to_list()) == ["S1", "S2", "S3"]
    assert all("未提供期初数据文件" in d for d in warned.get_column("description").to_list())


@pytest.mark.parametrize("row,words", [
    ({"manager_id": "S1", "carried_deficit": -5}, ["carried_deficit", "negative"]),
    ({"manager_id": "S1", "trigger_months": "2013-07"}, ["trigger_months", "2013-07", "not before the start"]),
    ({"manager_id": "S1", "trigger_months": "2013/02"}, ["trigger_months", "not a month"]),
    ({"manager_id": "X9"}, ["X9", "not in the roster"]),
    ({"manager_id": "S1", "request_count": "1.5"}, ["request_count", "whole number"]),
])
def test_bad_opening_values_are_input_errors(tmp_path, row, words):
    inp = tmp_path / "in"
    write_inputs(_start_spec([row]), inp)
    with pytest.raises(InputErrors) as e:
        run_month("2013-06", inp, tmp_path / "out", start="2013-06")
    text = str(e.value)
    assert all(w in text for w in words), text
    assert not (tmp_path / "out" / "2013-06").exists()


def test_opening_outside_the_start_month_is_an_error(tmp_path):
    inp = tmp_path / "in"
    write_inputs(_start_spec([{"manager_id": "S1", "carried_deficit": 100}]), inp)
    with pytest.raises(InputErrors, match="opening"):
        run_month("2013-06", inp, tmp_path / "out")          # a new root from 2013-05: 06 is not a start


def test_year_computes_up_to_the_last_month_with_files_then_nothing_to_do(tmp_path):
    inp = tmp_path / "in"
    spec = e3_spec()
    spec["months"] = {"2013-01": {}, "2013-02": {}, "2013-03": {}}
    write_inputs(spec, inp)
    for k in range(4, 13):
        (inp / f"2013-{k:02d}").mkdir()          # laid out by `init`, not arrived yet
    out = tmp_path / "out"
    proc = run_cli("year", "2013", "--input", str(inp), "--output", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [m["month"] for m in doc["months"]] == ["2013-01", "2013-02", "2013-03"]
    assert doc["pending_months"] == [f"2013-{k:02d}" for k in range(4, 13)]
    again = run_cli("year", "2013", "--input", str(inp), "--output", str(out), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["nothing_to_do"] is True
    # a computed month whose inputs changed is not silently left stale: a draft is recomputed (and
    # the months after it), a signed one is refused (SPEC 6)
    (inp / "2013-02" / "scores.csv").write_text("manager_id,score\nY1,9100\n", "utf-8")
    r = run_year(2013, inp, out)
    assert r.months[0].month == "2013-02" and r.months[0].version == 2
    from cm_payroll import lifecycle
    lifecycle.sign(out, "2013-02", "审核", "李审核")
    (inp / "2013-02" / "scores.csv").write_text("manager_id,score\nY1,9200\n", "utf-8")
    with pytest.raises(RefusedError, match="2013-02 --force"):
        run_year(2013, inp, out)
    # `month` on an empty folder stays an input error
    with pytest.raises(InputErrors):
        run_month("2013-04", inp, out)


def test_a_changed_rulebook_is_refused_unless_rules_changed(tmp_path):
    inp = tmp_path / "in"
    write_inputs(e3_spec(), inp)
    out = tmp_path / "out"
    run_month("2013-01", inp, out)
    branch = tmp_path / "branch.toml"
    text = builtin_path("securities").read_text("utf-8")
    branch.write_text(text.replace('[[parameters.standby_rate.values]]\nfrom = "2000-01"\nvalue = "0.15"',
                                   '[[parameters.standby_rate.values]]\nfrom = "2000-01"\nvalue = "0.12"'), "utf-8")
    assert branch.read_text("utf-8") != text
    with pytest.raises(RefusedError) as e:
        run_month("2013-02", inp, out, rules=str(branch))
    assert "standby_rate" in str(e.value) and "--rules-changed" in str(e.value)
    assert not (out / "2013-02").exists()
    run_month("2013-02", inp, out, rules=str(branch), rules_changed=True)
    exc = load_result(out, "2013-02", "exceptions").filter(pl.col("type") == "rulebook_changed")
    assert exc.height == 1 and "standby_rate" in exc.item(0, "description")
    assert "0.15" in exc.item(0, "description") and "0.12" in exc.item(0, "description")
    run = json.loads((out / "2013-02" / "run.json").read_text("utf-8"))
    assert run["rulebook_change"]["parameters"] == [
        {"name": "standby_rate", "article": "S-Art.20", "old": "0.15", "new": "0.12"}]
    # the same branch rulebook again: no change, no listing
    run_month("2013-03", inp, out, rules=str(branch))
    assert load_result(out, "2013-03", "exceptions").filter(pl.col("type") == "rulebook_changed").height == 0


def test_pdf_without_a_cjk_font_is_refused_before_anything_is_computed(tmp_path):
    inp = tmp_path / "in"
    write_inputs(e3_spec(), inp)
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig></fontconfig>')
    import os
    import subprocess
    from tests.helpers import cli_path
    env = dict(os.environ, FONTCONFIG_FILE=str(conf), COLUMNS="200", NO_COLOR="1", CM_PAYROLL_LANG="en")
    proc = subprocess.run(cli_path() + ["month", "2013-01", "--input", str(inp), "--output", str(tmp_path / "out"),
                                        "--format", "xlsx,pdf"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 3, proc.stderr
    assert "fonts-noto-cjk" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out" / "2013-01").exists()


def test_outputs_edited_or_deleted_after_their_run_are_listed_by_the_next_run(tmp_path):
    inp = tmp_path / "in"
    write_inputs(e3_spec(), inp)
    out = tmp_path / "out"
    run_month("2013-01", inp, out)
    book = out / "2013-01" / "payroll_2013-01.xlsx"
    data = bytearray(book.read_bytes())
    data[-30] ^= 1
    book.write_bytes(bytes(data))
    (out / "2013-01" / "slips" / "Y1.xlsx").unlink()
    (out / "2013-01" / "~$payroll_2013-01.xlsx").write_bytes(b"lock")      # Excel's lock file: not a change
    proc = run_cli("month", "2013-02", "--input", str(inp), "--output", str(out), "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    assert "2013-01/payroll_2013-01.xlsx was edited" in proc.stderr
    assert "2013-01/slips/Y1.xlsx was deleted" in proc.stderr
    exc = load_result(out, "2013-02", "exceptions").filter(pl.col("type") == "output_changed")
    texts = sorted(exc.get_column("description").to_list())
    assert len(texts) == 2 and "payroll_2013-01.xlsx" in texts[0] and "在运行后被修改" in texts[0]
    assert "slips/Y1.xlsx" in texts[1] and "在运行后被删除" in texts[1]
    run = json.loads((out / "2013-02" / "run.json").read_text("utf-8"))
    assert {x["change"] for x in run["output_changes"]} == {"edited", "deleted"}
