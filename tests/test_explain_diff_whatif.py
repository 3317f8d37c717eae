"""`explain` agrees with every slip to the fen; `diff` on known pairs; what-if touches nothing official."""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from cm_payroll.diff import diff_workbooks
from cm_payroll.explain import explain
from cm_payroll.pipeline import run_month
from cm_payroll.rulebook import builtin_path
from tests.helpers import ROOT, SAMPLE_HAND_WORKED, make_inputs, run_cli, tree

SAMPLE = ROOT / "sample_data" / "securities"


@pytest.fixture
def dec(securities_year) -> Path:
    """The sample year's output root (shared: read only)."""
    return securities_year


def _slip_amounts(path: Path) -> dict[str, Decimal]:
    ws = openpyxl.load_workbook(path).active
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == "项目") + 1
    out = {}
    for r in rows[start:]:
        if r[0] is None or r[0] == "本年累计":
            break
        out[r[0]] = Decimal(repr(r[1])).quantize(Decimal("0.01"))
    return out


def test_explain_and_slips_show_the_hand_worked_figures(dec: Path) -> None:
    """explain and the slip of the cast members the sample README works by hand show those figures."""
    for (month, mid), expected in SAMPLE_HAND_WORKED.items():
        doc = explain(dec, month, mid)
        shown = {c["label"]: Decimal(c["amount"]) for c in doc["components"]}
        shown[doc["gross_pay"]["label"]] = Decimal(doc["gross_pay"]["amount"])
        slip = _slip_amounts(dec / month / "slips" / f"{mid}.xlsx")
        for label, amount in expected.items():
            assert shown[label] == amount, (month, mid, label, "explain")
            assert slip[label] == amount, (month, mid, label, "slip")
        assert doc["gross_pay"]["agrees"]


def test_explain_traces_inputs_rows_and_parameters(dec: Path) -> None:
    doc = explain(dec, "2013-12", "ZS002")
    bonus = next(c for c in doc["components"] if c["key"] == "performance_bonus")
    assert bonus["amount"] == "3000.00" and "S-Art.13" in bonus["article"]
    clients = next(i for i in bonus["inputs"] if i["file"] == "clients.xlsx")
    assert clients["rows"] and clients["excluded_rows"]        # the 内部转入 client is shown as excluded
    assert {p["name"] for p in bonus["parameters"]} >= {"commission", "veteran"}
    assert all("effective_from" in p and "article" in p for p in bonus["parameters"])
    r = run_cli("explain", "2013-12", "ZS002", "--output", str(dec), "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["gross_pay"]["amount"] == "23900.00"
    r = run_cli("explain", "2013-12", "ZS002", "--output", str(dec))
    assert r.returncode == 0 and "营销绩效奖" in r.stdout and "clients.xlsx" in r.stdout


def test_explain_unknown_manager_is_a_usage_error(dec: Path) -> None:
    r = run_cli("explain", "2013-12", "NOPE", "--output", str(dec))
    assert r.returncode == 2 and "NOPE" in r.stderr


def _copy_book(src: Path, dst: Path, edit=None) -> Path:
    wb = openpyxl.load_workbook(src)
    if edit:
        edit(wb.active)
    wb.save(dst)
    return dst


def test_diff_identical(dec: Path) -> None:
    p = dec / "2013-12" / "payroll_2013-12.xlsx"
    assert diff_workbooks(p, p).equal
    r = run_cli("diff", str(p), str(p))
    assert r.returncode == 0


def test_diff_one_cell_changed(dec: Path, tmp_path: Path) -> None:
    p = dec / "2013-12" / "payroll_2013-12.xlsx"
    headers = [c.value for c in openpyxl.load_workbook(p).active[1]]
    g = headers.index("应发合计") + 1

    def bump(ws):
        ws.cell(row=3, column=g).value = ws.cell(row=3, column=g).value + 0.5
    b = _copy_book(p, tmp_path / "b.xlsx", bump)
    res = diff_workbooks(p, b)
    key = openpyxl.load_workbook(p).active.cell(row=3, column=1).value
    assert [(c.key, c.column, c.delta) for c in res.changes] == [(key, "应发合计", Decimal("0.5"))]
    assert res.totals == {"工资汇总/应发合计": Decimal("0.5")}
    assert diff_workbooks(p, b, Decimal("0.5")).equal           # within tolerance
    r = run_cli("diff", str(p), str(b), "--json")
    assert r.returncode == 1 and json.loads(r.stdout)["changes"][0]["column"] == "应发合计"


def test_diff_rows_reordered_added_removed(dec: Path, tmp_path: Path) -> None:
    p = dec / "2013-12" / "payroll_2013-12.xlsx"

    def reorder(ws):
        a = [c.value for c in ws[2]]
        b = [c.value for c in ws[3]]
        for j, v in enumerate(b, start=1):
            ws.cell(row=2, column=j).value = v
        for j, v in enumerate(a, start=1):
            ws.cell(row=3, column=j).value = v
    assert diff_workbooks(p, _copy_book(p, tmp_path / "r.xlsx", reorder)).equal   # matched by 工号

    def rename(ws):
        ws.cell(row=2, column=1).value = "NEW01"
    res = diff_workbooks(p, _copy_book(p, tmp_path / "n.xlsx", rename))
    old_id = openpyxl.load_workbook(p).active.cell(row=2, column=1).value
    assert res.added == [("工资汇总", "NEW01")] and res.removed == [("工资汇总", old_id)]
    assert not res.changes


def test_diff_slips_and_exceptions(dec: Path) -> None:
    a = dec / "2013-12" / "slips" / "ZS001.xlsx"
    b = dec / "2013-12" / "slips" / "ZS002.xlsx"
    res = diff_workbooks(a, b)
    assert not res.equal and any(c.key == "应发合计" for c in res.changes)
    e = dec / "2013-12" / "exceptions_2013-12.xlsx"
    assert diff_workbooks(e, e).equal


def test_what_if_leaves_ledger_and_outputs_untouched(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    out = tmp_path / "out"
    run_month("2013-02", inp, out)
    before = tree(out)
    branch = tmp_path / "branch.toml"
    text = builtin_path("securities").read_text("utf-8")
    branch.write_text(text.replace('value = "0.15"\n', 'value = "0.12"\n', 1)
                      .replace('sales = ["0.20", "0.25"', 'sales = ["0.22", "0.27"'), encoding="utf-8")
    r = run_cli("month", "2013-02", "-i", str(inp), "-o", str(out), "--rules", str(branch),
                "--what-if", str(tmp_path / "wi"), "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["months_recomputed"] == ["2013-01", "2013-02"]
    assert "commission" in doc["changed_parameters"]
    assert tree(out) == before                                   # byte-identical ledger and outputs
    wb = openpyxl.load_workbook(tmp_path / "wi" / "whatif_2013-02.xlsx").active
    headers = [c.value for c in wb[1]]
    assert headers[:5] == ["工号", "姓名", "原应发合计", "新应发合计", "应发合计差额"]
    # A2: annualized 48,000 → ordinary, table 25% → 27%; net income 3 × 3,456.78 = 10,370.34:
    # bonus 2,592.585 → 2,592.59 becomes 2,799.9918 → 2,799.99 (each rounded half-up): +207.40.
    row = next(r for r in wb.iter_rows(min_row=2, values_only=True) if r[0] == "A2")
    assert Decimal(repr(row[4])) == Decimal("207.4")
    assert doc["total_differences_fen"]["gross_pay"] != 0
    # every recomputed month's difference, and their total (worked from the per-month rows)
    assert [m["month"] for m in doc["per_month"]] == ["2013-01", "2013-02"]
    for m in doc["per_month"]:
        assert m["differences_fen"]["gross_pay"] == m["new_gross_pay_fen"] - m["old_gross_pay_fen"]
    assert doc["per_month"][-1]["differences_fen"] == doc["total_differences_fen"]
    assert doc["months_total_differences_fen"]["gross_pay"] == sum(
        m["differences_fen"]["gross_pay"] for m in doc["per_month"])
    book = openpyxl.load_workbook(tmp_path / "wi" / "whatif_2013-02.xlsx", data_only=True)
    months = list(book["按月差额"].iter_rows(values_only=True))
    assert months[0][:4] == ("月份", "原应发合计", "新应发合计", "应发合计差额")
    assert [r[0] for r in months[1:3]] == ["2013-01", "2013-02"] and months[3][0] == "合计"
    assert round(months[3][3], 2) == round(doc["months_total_differences_fen"]["gross_pay"] / 100, 2)
    assert any("重算月份：2013-01、2013-02" in str(c) for r in wb.iter_rows(values_only=True) for c in r)
    # the terminal names the months recomputed, each month's difference and their total
    shutil.rmtree(tmp_path / "wi")
    r = run_cli("month", "2013-02", "-i", str(inp), "-o", str(out), "--rules", str(branch),
                "--what-if", str(tmp_path / "wi"), "--lang", "zh")
    assert r.returncode == 0, r.stderr
    said = " ".join(r.stdout.split())
    assert "重算月份：2013-01、2013-02（共 2 个月）" in said
    per_month = re.findall(r"(2013-0[12]) 应发合计 [0-9,.]+ → [0-9,.]+，差额 ([-+][0-9,.]+|0\.00) 元", said)
    assert [m for m, _ in per_month] == ["2013-01", "2013-02"]
    total = re.search(r"各重算月份差额合计：([-+]?[0-9,.]+) 元", said).group(1)
    assert sum(Decimal(d.replace(",", "")) for _, d in per_month) == Decimal(total.replace(",", ""))


def test_what_if_refuses_a_folder_inside_the_output_root(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    out = tmp_path / "out"
    run_month("2013-01", inp, out)
    r = run_cli("month", "2013-01", "-i", str(inp), "-o", str(out), "--what-if", str(out / "wi"))
    assert r.returncode == 2
    shutil.rmtree(tmp_path / "input")
