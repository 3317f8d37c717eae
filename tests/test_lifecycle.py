"""The month's life (SPEC 6; S-Art.32–35): drafts, sign-off, approvals, release, corrections, audit.

The branch: A1 (sales, hired 2011-01-01, score 3,000 → 36,000 annualised → 普通客户经理 2,500 / 400,
rate 25 %, net income 10,000 → commission 2,500): gross 5,400 a month (tests/scenarios/securities/
adjustments.yaml works the same case). W1 is A1's twin who resigns in January without a month's
notice and is terminated in February (decision 38): February's pay, 5,400, is withheld. F1 is a twin
with a fraud event in February (S-Art.8(4): a case that needs an approval; the month's commission
is cancelled).
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from cm_payroll import lifecycle
from cm_payroll.errors import InputErrors, RefusedError, UsageError
from cm_payroll.ledger import Ledger
from cm_payroll.pipeline import load_result, run_month, run_year
from tests.helpers import run_cli
from tests.scenario_runner import write_inputs

CLIENT = {"origin": "developed", "is_new": False, "opening_assets": 5000000, "closing_assets": 5000000,
          "daily_avg_assets": 5000000, "net_income": 10000}


def spec() -> dict:
    people = [("A1", "甲"), ("W1", "乙"), ("F1", "丙")]
    return {
        "defaults": {
            "roster": [{"manager_id": m, "name": n, "branch": "杭州营业部", "track": "sales",
                        "hire_date": "2011-01-01"} for m, n in people],
            "scores": [{"manager_id": m, "score": 3000} for m, _ in people],
            "clients": [{"manager_id": m, "client_id": "C1", **CLIENT} for m, _ in people],
        },
        "months": {
            "2013-01": {"events": [{"manager_id": "W1", "event": "resignation", "date": "2013-01-31"}]},
            "2013-02": {"events": [{"manager_id": "W1", "event": "terminated", "date": "2013-02-27"},
                                   {"manager_id": "F1", "event": "fraud", "date": "2013-02-20"}]},
            "2013-03": {"roster": [{"manager_id": m, "name": n, "branch": "杭州营业部", "track": "sales",
                                    "hire_date": "2011-01-01"} for m, n in people if m != "W1"],
                        "scores": [{"manager_id": m, "score": 3000} for m in ("A1", "F1")],
                        "clients": [{"manager_id": m, "client_id": "C1", **CLIENT} for m in ("A1", "F1")]},
        },
    }


def inputs(tmp: Path, s: dict | None = None) -> Path:
    inp = tmp / "input"
    write_inputs(s or spec(), inp)
    return inp


def sign_all(out: Path, month: str) -> None:
    for role, who in (("审核", "李审核"), ("复核", "王复核"), ("签批", "赵经理")):
        lifecycle.sign(out, month, role, who)


def gross(out: Path, month: str) -> dict[str, int]:
    p = load_result(out, month)
    return dict(zip(p.get_column("manager_id").to_list(), p.get_column("gross_pay").to_list()))


def write_approvals(path: Path, rows: list[dict]) -> Path:
    cols = ["工号", "类型代码", "项目", "审批号", "说明"]
    path.write_text("\n".join([",".join(cols)] + [",".join(str(r.get(c, "")) for c in cols) for r in rows]) + "\n",
                    encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------- drafts

def test_a_draft_is_rerun_without_force_and_books_nothing(tmp_path: Path) -> None:
    inp, out = inputs(tmp_path), tmp_path / "out"
    r = run_month("2013-01", inp, out, by="张计算")
    assert [(m.month, m.state) for m in r.months] == [("2013-01", "draft")]
    assert gross(out, "2013-01")["A1"] == 540000
    # the clerk fixes an input before anyone signed: a deduction of 120.00 for A1
    s = spec()
    s["months"]["2013-01"]["adjustments"] = [{"manager_id": "A1", "component": "deduction", "amount": 120,
                                              "note": "物资损坏"}]
    write_inputs(s, inp)
    r = run_month("2013-01", inp, out, by="张计算")
    assert r.months[0].version == 2 and r.corrections == []
    assert gross(out, "2013-01")["A1"] == 540000 - 12000          # 5,400 − 120 = 5,280: no correction
    assert (out / "history" / "2013-01" / "v1" / "payroll_2013-01.xlsx").is_file()    # the draft kept
    assert Ledger.open(out).pending_corrections == []


def test_rerun_keeps_later_months_that_come_out_the_same(tmp_path: Path) -> None:
    inp, out = inputs(tmp_path), tmp_path / "out"
    run_month("2013-02", inp, out, by="张计算")
    lifecycle.sign(out, "2013-02", "审核", "李审核")
    before = (out / "2013-02" / "payroll_2013-02.xlsx").read_bytes()
    # January re-run (a draft): February's pay is the same → its outputs and its signature stay
    r = run_month("2013-01", inp, out, by="张计算")
    assert r.unchanged == ["2013-02"] and r.signoff_discarded == []
    e = Ledger.open(out).months["2013-02"]
    assert e.state == "reviewed" and e.version == 2
    assert (out / "2013-02" / "payroll_2013-02.xlsx").read_bytes() == before
    lifecycle.sign(out, "2013-02", "复核", "王复核")     # the signed outputs still verify


# -------------------------------------------------------------------------------------- sign-off

def test_signoff_order_people_and_edited_outputs(tmp_path: Path) -> None:
    inp, out = inputs(tmp_path), tmp_path / "out"
    run_month("2013-01", inp, out, by="张计算")
    with pytest.raises(RefusedError, match="after 审核"):
        lifecycle.sign(out, "2013-01", "复核", "王复核")
    with pytest.raises(RefusedError, match="张计算 holds the role 计算"):
        lifecycle.sign(out, "2013-01", "审核", "张计算")
    lifecycle.sign(out, "2013-01", "审核", "李审核")
    with pytest.raises(RefusedError, match="signed already"):
        lifecycle.sign(out, "2013-01", "审核", "李审核")
    with pytest.raises(RefusedError, match="李审核 holds the role 审核"):      # distinct_people = 4
        lifecycle.sign(out, "2013-01", "复核", "李审核")
    slip = out / "2013-01" / "slips" / "A1.xlsx"
    slip.write_bytes(slip.read_bytes() + b"x")
    with pytest.raises(RefusedError, match="slips/A1.xlsx"):
        lifecycle.sign(out, "2013-01", "复核", "王复核")
    (out / "2013-01" / "payroll_2013-01.xlsx").unlink()
    with pytest.raises(RefusedError, match="payroll_2013-01.xlsx"):
        lifecycle.sign(out, "2013-01", "复核", "王复核")
    assert Ledger.open(out).months["2013-01"].state == "reviewed"


def test_a_small_branch_may_let_one_person_review_and_recheck(tmp_path: Path) -> None:
    text = (Path(__file__).parents[1] / "cm_payroll" / "rulebooks" / "securities" / "rulebook.toml").read_text("utf-8")
    assert "value = { distinct_people = 4 }" in text
    branch = tmp_path / "small.toml"
    branch.write_text(text.replace("value = { distinct_people = 4 }", "value = { distinct_people = 3 }"), "utf-8")
    inp, out = inputs(tmp_path), tmp_path / "out"
    run_month("2013-01", inp, out, rules=str(branch), by="张计算")
    lifecycle.sign(out, "2013-01", "审核", "李主任")
    lifecycle.sign(out, "2013-01", "复核", "李主任")
    with pytest.raises(RefusedError, match="李主任 holds the role"):     # never 签批 as well
        lifecycle.sign(out, "2013-01", "签批", "李主任")
    with pytest.raises(RefusedError, match="张计算 holds the role 计算"):
        lifecycle.sign(out, "2013-01", "签批", "张计算")
    lifecycle.sign(out, "2013-01", "签批", "赵经理")


def test_signing_a_signed_month_again_needs_force_and_discards_the_signatures(tmp_path: Path) -> None:
    inp, out = inputs(tmp_path), tmp_path / "out"
    run_month("2013-01", inp, out, by="张计算")
    lifecycle.sign(out, "2013-01", "审核", "李审核")
    with pytest.raises(RefusedError, match="--force"):
        run_month("2013-01", inp, out, by="张计算")
    r = run_month("2013-01", inp, out, by="张计算", force=True)
    assert r.signoff_discarded == [{"month": "2013-01", "role": "审核", "by": "李审核"}]
    assert Ledger.open(out).months["2013-01"].state == "draft"
    exc = load_result(out, "2013-01", "exceptions")
    rows = exc.filter(exc["type"] == "signoff_discarded")
    assert rows.height == 1 and "李审核" in rows["description"][0]


# ------------------------------------------------------------------------------------ approvals

def test_approvals_gate_the_final_signature(tmp_path: Path) -> None:
    inp, out = inputs(tmp_path), tmp_path / "out"
    run_month("2013-02", inp, out, by="张计算")
    sign_all(out, "2013-01")
    lifecycle.release(out, "2013-01", "出纳")
    lifecycle.sign(out, "2013-02", "审核", "李审核")
    lifecycle.sign(out, "2013-02", "复核", "王复核")
    with pytest.raises(RefusedError, match="F1 业绩造假"):
        lifecycle.sign(out, "2013-02", "签批", "赵经理")
    # a case the month does not have is an input error naming the file and row; nothing is recorded
    bad = write_approvals(tmp_path / "bad.csv", [{"工号": "A1", "类型代码": "fraud", "审批号": "SP-9"}])
    with pytest.raises(InputErrors) as e:
        lifecycle.approve(out, "2013-02", bad)
    assert e.value.issues[0].file == "bad.csv" and e.value.issues[0].row == 2
    ok = write_approvals(tmp_path / "ok.csv", [
        {"工号": "F1", "类型代码": "业绩造假", "审批号": "SP-2013-007", "说明": "经管总部批复"},
        {"工号": "W1", "类型代码": "payment_withheld", "审批号": "SP-2013-008"},
        {"工号": "W1", "类型代码": "合规奖励金取消", "审批号": "SP-2013-009"}])
    assert [a["ref"] for a in lifecycle.approve(out, "2013-02", ok)] == ["SP-2013-007", "SP-2013-008", "SP-2013-009"]
    assert lifecycle.approve(out, "2013-02", ok) == []                  # the same file again: nothing new
    wb = openpyxl.load_workbook(out / "2013-02" / "approvals_2013-02.xlsx")
    cells = [[c.value for c in row] for row in wb.active.iter_rows()]
    assert any("SP-2013-007" in row for row in cells)
    assert lifecycle.status(out, "2013-02")["months"][0]["open_approvals"] == []
    e2 = lifecycle.sign(out, "2013-02", "签批", "赵经理")
    assert e2.state == "approved" and e2.signatures[-1]["approvals_sha256"] is not None
    with pytest.raises(RefusedError, match="until 签批"):
        lifecycle.approve(out, "2013-02", ok)


def test_a_rerun_that_removes_a_case_drops_its_recorded_approval(tmp_path: Path) -> None:
    inp, out = inputs(tmp_path), tmp_path / "out"
    run_month("2013-02", inp, out, by="张计算")
    ok = write_approvals(tmp_path / "ok.csv", [{"工号": "F1", "类型代码": "fraud", "审批号": "SP-7"}])
    lifecycle.approve(out, "2013-02", ok)
    # the fraud event was filed by mistake: the re-run has no such case any more
    s = spec()
    s["months"]["2013-02"]["events"] = s["months"]["2013-02"]["events"][:1]
    write_inputs(s, inp)
    run_month("2013-02", inp, out, by="张计算")
    assert Ledger.open(out).months["2013-02"].approvals == []
    exc = load_result(out, "2013-02", "exceptions")
    warn = exc.filter((exc["type"] == "input_warning") & exc["description"].str.contains("SP-7"))
    assert warn.height == 1 and warn["manager_id"][0] == "F1"


def test_an_approvals_file_in_the_month_folder_fills_the_report(tmp_path: Path) -> None:
    s = spec()
    s["months"]["2013-02"]["approvals"] = [{"工号": "F1", "类型代码": "fraud", "审批号": "SP-8"}]
    inp, out = inputs(tmp_path, s), tmp_path / "out"
    run_month("2013-02", inp, out, by="张计算")
    exc = load_result(out, "2013-02", "exceptions")
    assert exc.filter(exc["type"] == "fraud")["approval_ref"].to_list() == ["SP-8"]
    s["months"]["2013-02"]["approvals"] = [{"工号": "A1", "类型代码": "fraud", "审批号": "SP-8"}]
    write_inputs(s, inp)
    with pytest.raises(InputErrors, match="A1"):
        run_month("2013-02", inp, out, by="张计算")


# -------------------------------------------------------------------------------------- release

def test_release_in_order_with_fund_request_and_payment_list(tmp_path: Path) -> None:
    s = spec()
    s["defaults"]["roster"] = [dict(r, 银行账号=f"6222{r['manager_id']}") for r in s["defaults"]["roster"]]
    inp, out = inputs(tmp_path, s), tmp_path / "out"
    run_month("2013-02", inp, out, by="张计算")
    with pytest.raises(RefusedError, match="only a month signed by 签批"):
        lifecycle.release(out, "2013-01", "出纳")
    ok = write_approvals(tmp_path / "ok.csv", [{"工号": "F1", "类型代码": "fraud", "审批号": "SP-7"},
                                               {"工号": "W1", "类型代码": "暂扣薪酬", "审批号": "SP-8"},
                                               {"工号": "W1", "类型代码": "合规奖励金取消", "审批号": "SP-9"}])
    lifecycle.approve(out, "2013-02", ok)
    sign_all(out, "2013-02")
    with pytest.raises(RefusedError, match="2013-01 are not released"):
        lifecycle.release(out, "2013-02", "出纳")
    sign_all(out, "2013-01")
    r = lifecycle.release(out, "2013-01", "出纳")
    # January: A1, W1, F1 each 5,400 (W1's resignation month is paid: notice runs to February)
    assert (r["paid"], r["withheld"], r["total_fen"]) == (3, 0, 3 * 540000)
    r = lifecycle.release(out, "2013-02", "出纳")
    g = gross(out, "2013-02")
    assert g["W1"] == 540000 and r["withheld"] == 1                  # decision 38: withheld, not paid
    assert r["total_fen"] == g["A1"] + g["F1"]
    wb = openpyxl.load_workbook(out / "2013-02" / "发放清单_2013-02.xlsx")
    paid = [[c.value for c in row] for row in wb["发放清单"].iter_rows(min_row=2, max_col=5)]
    assert [row[0] for row in paid if row[0] in ("A1", "F1", "W1")] == ["A1", "F1"]
    assert paid[0][3] == "6222A1"
    held = [[c.value for c in row] for row in wb["暂扣名单"].iter_rows(min_row=2, max_col=5)]
    assert held[0][0] == "W1" and held[0][4] == 5400
    fund = openpyxl.load_workbook(out / "2013-02" / "资金申请单_2013-02.xlsx").active
    text = " ".join(str(c.value) for row in fund.iter_rows() for c in row if c.value is not None)
    assert "赵经理" in text and "李审核" in text and "王复核" in text and "张计算" in text
    with pytest.raises(RefusedError, match="released already"):
        lifecycle.release(out, "2013-02", "出纳")
    w = lifecycle.release_withheld(out, "2013-02", "W1", "SP-交接-1", "出纳")
    assert w["amount_fen"] == 540000 and (out / "2013-02" / w["file"]).is_file()
    with pytest.raises(RefusedError, match="already"):
        lifecycle.release_withheld(out, "2013-02", "W1", "SP-交接-1", "出纳")


# ----------------------------------------------------------------------------------- corrections

def test_a_released_month_corrected_books_into_the_first_month_not_released(tmp_path: Path) -> None:
    inp, out = inputs(tmp_path), tmp_path / "out"
    run_month("2013-02", inp, out, by="张计算")
    sign_all(out, "2013-01")
    lifecycle.release(out, "2013-01", "出纳")
    lifecycle.sign(out, "2013-02", "审核", "李审核")
    with pytest.raises(RefusedError, match="released"):
        run_month("2013-01", inp, out, by="张计算")
    # January was paid; an other_reward of 300.00 for A1 was forgotten
    s = spec()
    s["months"]["2013-01"]["adjustments"] = [{"manager_id": "A1", "component": "other_reward", "amount": 300,
                                              "note": "优秀服务", "approval_ref": "QT-1"}]
    write_inputs(s, inp)
    r = run_month("2013-01", inp, out, by="张计算", force=True)
    assert r.corrections == [{"manager_id": "A1", "amount": 30000, "corrects": "2013-01", "booked_in": "2013-02"}]
    led = Ledger.open(out)
    assert led.months["2013-01"].state == "released"               # the paid version keeps its sign-off
    assert led.months["2013-02"].state == "draft"                  # the booking month lost its signature
    assert r.signoff_discarded == [{"month": "2013-02", "role": "审核", "by": "李审核"}]
    # February: 5,400 + 补发 300 = 5,700 for A1
    assert gross(out, "2013-02")["A1"] == 540000 + 30000
    # a second --force with nothing changed books nothing more
    r = run_month("2013-01", inp, out, by="张计算", force=True)
    assert r.corrections == []
    assert gross(out, "2013-02")["A1"] == 570000


def test_paid_through_then_a_correction_on_a_new_root(tmp_path: Path) -> None:
    inp, out = inputs(tmp_path), tmp_path / "out"
    r = run_month("2013-03", inp, out, by="张计算", paid_through="2013-02")
    assert [m.state for m in r.months] == ["released", "released", "draft"]
    with pytest.raises(UsageError, match="new output folder"):
        run_month("2013-03", inp, out, paid_through="2013-02")
    s = spec()
    s["months"]["2013-01"]["adjustments"] = [{"manager_id": "A1", "component": "deduction", "amount": 120,
                                              "note": "物资损坏"}]
    write_inputs(s, inp)
    r = run_month("2013-01", inp, out, by="张计算", force=True)
    assert r.corrections == [{"manager_id": "A1", "amount": -12000, "corrects": "2013-01", "booked_in": "2013-03"}]
    assert gross(out, "2013-03")["A1"] == 540000 - 12000            # 追回 120 in March
    notes = [f for f in lifecycle.audit([out], recompute=False) if f.month == "2013-01"]
    assert any("--paid-through" in f.message and f.kind == "note" for f in notes)


def test_year_recomputes_changed_drafts_and_refuses_changed_signed_months(tmp_path: Path) -> None:
    inp, out = inputs(tmp_path), tmp_path / "out"
    run_year(2013, inp, out, by="张计算")
    s = spec()
    s["months"]["2013-02"]["adjustments"] = [{"manager_id": "A1", "component": "deduction", "amount": 50,
                                              "note": "x"}]
    write_inputs(s, inp)
    r = run_year(2013, inp, out, by="张计算")
    assert [m.month for m in r.months] == ["2013-02"] and r.unchanged == ["2013-03"]
    assert gross(out, "2013-02")["A1"] == 540000 - 5000
    lifecycle.sign(out, "2013-02", "审核", "李审核")
    s["months"]["2013-02"]["adjustments"][0]["amount"] = 60
    write_inputs(s, inp)
    with pytest.raises(RefusedError, match="month 2013-02 --force"):
        run_year(2013, inp, out, by="张计算")


# ----------------------------------------------------------------------------------------- audit

def test_audit_clean_then_an_edited_workbook_an_edited_input_and_a_missing_signature(tmp_path: Path) -> None:
    inp, out = inputs(tmp_path), tmp_path / "out"
    run_month("2013-01", inp, out, by="张计算")
    sign_all(out, "2013-01")
    lifecycle.release(out, "2013-01", "出纳")
    assert [f for f in lifecycle.audit([out]) if f.kind == "finding"] == []
    r = run_cli("audit", str(out), "--report", str(tmp_path / "audit.xlsx"), "--lang", "en")
    assert r.returncode == 0, r.stdout + r.stderr
    assert (tmp_path / "audit.xlsx").is_file()
    # an edited workbook
    p = out / "2013-01" / "payroll_2013-01.xlsx"
    p.write_bytes(p.read_bytes()[:-1])
    # an edited input
    with open(inp / "2013-01" / "scores.csv", "a", encoding="utf-8") as f:
        f.write("\n")
    # a missing signature (HEAD edited by hand)
    head = out / ".ledger" / "HEAD.json"
    doc = json.loads(head.read_text("utf-8"))
    doc["months"]["2013-01"]["signatures"] = doc["months"]["2013-01"]["signatures"][:2]
    head.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    found = {(f.check, Path(f.item).name) for f in lifecycle.audit([out]) if f.kind == "finding"}
    assert ("outputs", "payroll_2013-01.xlsx") in found
    assert ("inputs", "scores.csv") in found
    assert ("signoff", "2013-01") in found
    r = run_cli("audit", str(out), "--json")
    assert r.returncode == 1 and json.loads(r.stdout)["ok"] is False


def test_audit_finds_a_recomputation_that_differs(tmp_path: Path, monkeypatch) -> None:
    inp, out = inputs(tmp_path), tmp_path / "out"
    run_month("2013-01", inp, out, by="张计算")
    assert [f for f in lifecycle.audit([out]) if f.kind == "finding"] == []
    # the rules changed under the ledger (the rulebook kept for the run is edited): recomputing differs
    import cm_payroll.rulebook as rbmod
    real = rbmod.rulebook_from_bytes

    old = '名称 = "普通客户经理",     min_score = 36000,  base_salary = "2500"'.replace("名称", "name").encode()

    def tampered(data: bytes, source: str):
        assert old in data
        return real(data.replace(old, old.replace(b'"2500"', b'"2600"')), source)
    monkeypatch.setattr(lifecycle, "rulebook_from_bytes", tampered)
    found = [f for f in lifecycle.audit([out]) if f.kind == "finding" and f.check == "recompute"]
    assert found


# ------------------------------------------------------------------------------------------- CLI

def test_the_month_from_draft_to_payment_through_the_command(tmp_path: Path) -> None:
    inp, out = inputs(tmp_path), str(tmp_path / "out")
    r = run_cli("month", "2013-01", "-i", str(inp), "-o", out, "--by", "张计算", "--lang", "en")
    assert r.returncode == 0, r.stderr
    for role, who in (("审核", "李审核"), ("复核", "王复核"), ("签批", "赵经理")):
        r = run_cli("sign", "2013-01", "--role", role, "--by", who, "-o", out, "--lang", "zh")
        assert r.returncode == 0, r.stderr
    assert "已签批" in r.stdout
    r = run_cli("sign", "2013-01", "--role", "签批", "--by", "赵经理", "-o", out, "--json")
    assert r.returncode == 3 and json.loads(r.stdout)["ok"] is False
    r = run_cli("release", "2013-01", "-o", out, "--by", "出纳", "--json")
    assert r.returncode == 0, r.stdout
    assert json.loads(r.stdout)["total"] == "16200.00"              # 3 × 5,400
    r = run_cli("status", "-o", out, "--json")
    st = json.loads(r.stdout)
    assert st["months"][0]["state"] == "released" and len(st["months"][0]["signatures"]) == 3
    r = run_cli("status", "-o", out, "--lang", "zh")
    assert r.returncode == 0 and "已发放" in r.stdout


def test_a_kill_during_a_signature_leaves_the_old_or_the_new_state(tmp_path: Path) -> None:
    import os
    import shutil
    import subprocess
    import sys
    inp, pristine = inputs(tmp_path), tmp_path / "pristine"
    run_month("2013-01", inp, pristine, by="张计算")
    # killed before the journal: the old state; after it: the next reader rolls the commit forward
    for where, state in (("staged", "draft"), ("journal", "reviewed"), ("head", "reviewed")):
        out = tmp_path / where
        shutil.copytree(pristine, out)
        env = dict(os.environ, CM_PAYROLL_FAULT=f"{where}:kill")
        p = subprocess.run([sys.executable, "-m", "cm_payroll", "sign", "2013-01", "--role", "审核", "--by",
                            "李审核", "-o", str(out)], env=env, capture_output=True, text=True, timeout=120)
        assert p.returncode == -9, (where, p.stderr)
        assert Ledger.open(out).months["2013-01"].state == state, where
        assert not (out / ".staging").exists() or not any((out / ".staging").iterdir())


def test_outputs_of_a_draft_are_byte_identical_to_a_fresh_run(tmp_path: Path) -> None:
    """The lifecycle adds nothing to the month's workbooks and slips (run.json aside)."""
    inp = inputs(tmp_path)
    run_month("2013-01", inp, tmp_path / "o1", by="甲")
    run_month("2013-01", inp, tmp_path / "o2", by="乙")
    for p in sorted((tmp_path / "o1" / "2013-01").rglob("*")):
        if p.is_file() and p.name != "run.json":
            q = tmp_path / "o2" / "2013-01" / p.relative_to(tmp_path / "o1" / "2013-01")
            assert p.read_bytes() == q.read_bytes(), p.name

