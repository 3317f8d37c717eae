"""SPEC 9 wiring: the tax applied after either pay rulebook's gross (rulebooks/tax/apply.py), the
deductions input, the ledger's aux_tax, the outputs; and an independent recomputation of 个人所得税,
年终奖个税 and 实发合计 from the summary workbooks and the deductions files of the samples.

The tax library itself is tested in test_tax*.py; the worked examples are scenarios
(tests/scenarios/*/tax_*.yaml)."""

from __future__ import annotations

import hashlib
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cm_payroll import pipeline
from cm_payroll.errors import InputErrors
from cm_payroll.months import parse_month
from cm_payroll.rulebook import load_rulebook
from cm_payroll.rulebooks.base import EXCEPTION_SCHEMA, MonthContext, MonthResult
from cm_payroll.rulebooks.tax.apply import AUX_TAX, apply_tax
from tests.helpers import ROOT, basic_spec, make_inputs, run_cli

DEDUCTION_KEYS = ("social_insurance", "housing_fund", "income_tax", "bonus_tax", "other_deduction",
                  "carried_deduction")


# ------------------------------------------------------------------ properties of apply_tax over a year

def _month(rb, m: int, gross: dict[str, int], ded: dict[str, tuple[int, int, int, int]] | None, aux: dict):
    pay = pl.DataFrame({"manager_id": list(gross), "name": list(gross), "gross_pay": list(gross.values())},
                       schema={"manager_id": pl.String, "name": pl.String, "gross_pay": pl.Int64})
    result = MonthResult(pay=pay, exceptions=pl.DataFrame(schema=EXCEPTION_SCHEMA), state=pl.DataFrame(),
                         aux=dict(aux))
    tables = {}
    if ded is not None:
        frame = pl.DataFrame(
            [{"manager_id": k, "pension_insurance": v[0], "medical_insurance": 0, "unemployment_insurance": 0,
              "housing_fund": v[1], "special_additional": v[2], "other_deduction": v[3]} for k, v in ded.items()],
            schema={"manager_id": pl.String, "pension_insurance": pl.Int64, "medical_insurance": pl.Int64,
                    "unemployment_insurance": pl.Int64, "housing_fund": pl.Int64, "special_additional": pl.Int64,
                    "other_deduction": pl.Int64})
        tables["deductions"] = SimpleNamespace(present=True, frame=frame)
    ctx = MonthContext(month=m, first_month=m, rulebook=rb, params=None, aux=dict(aux))
    return apply_tax(result, SimpleNamespace(tables=tables), ctx)


fen = st.integers(min_value=0, max_value=6_000_000)
managers = st.dictionaries(st.sampled_from(["A1", "A2", "A3"]),
                           st.tuples(st.integers(min_value=-2_000_000, max_value=8_000_000),   # gross
                                     st.tuples(fen, fen, st.integers(0, 400_000), st.integers(0, 300_000))),
                           min_size=1, max_size=3)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(year=st.sampled_from([2013, 2019]), months=st.lists(managers, min_size=1, max_size=4),
       with_file=st.lists(st.booleans(), min_size=4, max_size=4))
def test_net_is_gross_less_every_deduction_tax_never_negative_withheld_monotone(year, months, with_file) -> None:
    rb = load_rulebook("securities")
    aux: dict = {}
    withheld: dict[str, int] = {}
    for i, mgrs in enumerate(months):
        m = year * 12 + i
        gross = {k: v[0] for k, v in mgrs.items()}
        ded = {k: v[1] for k, v in mgrs.items()} if with_file[i] else None
        out = _month(rb, m, gross, ded, aux)
        aux = out.aux
        assert AUX_TAX in aux
        if ded is None:
            assert "net_pay" not in out.pay.columns          # without a file: the pay rulebook's frame
            continue
        for r in out.pay.iter_rows(named=True):
            deducted = sum(r[k] for k in DEDUCTION_KEYS)
            assert all(r[k] >= 0 for k in DEDUCTION_KEYS)            # tax never negative
            assert r["net_pay"] == max(0, r["gross_pay"] - deducted)  # net = gross − every deduction
            assert r["carry_forward"] == max(0, deducted - r["gross_pay"])
            if year >= 2019:                                  # cumulative: Σ withheld never falls
                before = withheld.get(r["manager_id"], 0)
                assert r["tax_withheld_before"] == before
                withheld[r["manager_id"]] = before + r["income_tax"]
                assert withheld[r["manager_id"]] == max(before, r["tax_tax_due"])
        state = {r["manager_id"]: r for r in aux[AUX_TAX].iter_rows(named=True)}
        for k, v in withheld.items():
            assert state[k]["cum_tax_withheld"] == v


# ------------------------------------------------------------------ no deductions file: identical bytes

def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".ledger" not in p.parts
            and p.name not in ("run.json", ".lock")}


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(score=st.integers(1_000, 30_000), net=st.integers(-20_000, 90_000))
def test_without_deductions_file_the_outputs_are_those_of_the_pay_rulebook_alone(score, net, monkeypatch) -> None:
    """November and December (year-end bonus) without a deductions file: every output file is byte for
    byte what the pipeline writes with the tax step taken out."""
    spec = basic_spec(["2013-11", "2013-12"])
    spec["defaults"]["scores"][0]["score"] = score
    spec["defaults"]["clients"][0]["net_income"] = net
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        inp = make_inputs(tmp, spec)
        pipeline.run_month("2013-12", inp, tmp / "with_tax", formats="xlsx,html")
        with monkeypatch.context() as mp:
            mp.setattr(pipeline, "apply_tax", lambda result, inputs, ctx: result)
            pipeline.run_month("2013-12", inp, tmp / "without_tax", formats="xlsx,html")
        a, b = _hashes(tmp / "with_tax"), _hashes(tmp / "without_tax")
        assert a == b and any(k.endswith(".html") for k in a)


# ------------------------------------------------------------------ bad input through the installed command

def test_bad_deductions_file_exit_1_every_error_named(tmp_path: Path) -> None:
    spec = basic_spec(["2013-01"])
    spec["months"]["2013-01"] = {"deductions": [
        {"manager_id": "A1", "pension_insurance": -5, "medical_insurance": 10},
        {"manager_id": "A2", "pension_insurance": 1, "medical_insurance": "abc"},
        {"manager_id": "ZZ9", "pension_insurance": 1},
        {"manager_id": "B1", "pension_insurance": 1},
        {"manager_id": "B1", "pension_insurance": 2}]}
    inp = make_inputs(tmp_path, spec)
    r = run_cli("month", "2013-01", "--input", str(inp), "--output", str(tmp_path / "out"), "--lang", "en")
    text = " ".join((r.stdout + r.stderr).split())
    assert r.returncode == 1, text
    for part in ("deductions.csv, row 2, column pension_insurance", "must not be negative",
                 "deductions.csv, row 3, column medical_insurance", "'abc'",
                 "deductions.csv, row 4, column manager_id", "ZZ9",
                 "deductions.csv, row 6, column manager_id", "duplicate manager_id B1"):
        assert part in text, part
    assert not (tmp_path / "out" / "2013-01").exists()


def test_rules_tax_is_a_usage_error(tmp_path: Path) -> None:
    r = run_cli("month", "2013-01", "--rules", "tax", "--input", str(ROOT / "sample_data" / "securities"),
                "--output", str(tmp_path / "out"))
    assert r.returncode == 2 and "not a pay rulebook" in " ".join((r.stdout + r.stderr).split())
    assert not (tmp_path / "out").exists()


def test_a_manager_without_a_deductions_row_is_an_input_warning(tmp_path: Path) -> None:
    spec = basic_spec(["2013-01"])
    spec["months"]["2013-01"] = {"deductions": [{"manager_id": "A1", "pension_insurance": 100}]}
    inp = make_inputs(tmp_path, spec)
    pipeline.run_month("2013-01", inp, tmp_path / "out")
    exc = pipeline.load_result(tmp_path / "out", "2013-01", "exceptions")
    warned = exc.filter(pl.col("description").str.contains("deductions")).get_column("manager_id").to_list()
    assert sorted(warned) == ["A2", "B1"]
    assert set(exc.filter(pl.col("manager_id").is_in(warned)).get_column("type")) == {"input_warning"}
    pay = pipeline.load_result(tmp_path / "out", "2013-01")
    assert pay.filter(pl.col("manager_id") == "A2").row(0, named=True)["social_insurance"] == 0


# ------------------------------------------------------------------ independent recomputation on the samples

def _q(v) -> Decimal:
    return Decimal(str(v if v is not None else 0)).quantize(Decimal("0.01"))


def _half_up(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# The law's tables as SPEC 9 states them (bound, rate, quick) — written here again, not read from the code.
MONTHLY_2011 = [(1500, "0.03", 0), (4500, "0.10", 105), (9000, "0.20", 555), (35000, "0.25", 1005),
                (55000, "0.30", 2755), (80000, "0.35", 5505), (None, "0.45", 13505)]
MONTHLY_2018 = [(3000, "0.03", 0), (12000, "0.10", 210), (25000, "0.20", 1410), (35000, "0.25", 2660),
                (55000, "0.30", 4410), (80000, "0.35", 7160), (None, "0.45", 15160)]
ANNUAL_2019 = [(36000, "0.03", 0), (144000, "0.10", 2520), (300000, "0.20", 16920), (420000, "0.25", 31920),
               (660000, "0.30", 52920), (960000, "0.35", 85920), (None, "0.45", 181920)]


def _by_table(base: Decimal, table, scale: int = 1) -> Decimal:
    for bound, rate, quick in table:
        if bound is None or base <= bound * scale:
            return max(Decimal(0), _half_up(base * Decimal(rate)) - quick)
    raise AssertionError


def _summary(path: Path) -> dict[str, dict]:
    ws = openpyxl.load_workbook(path, read_only=True)["工资汇总"]
    rows = ws.iter_rows(values_only=True)
    head = list(next(rows))
    out = {}
    for r in rows:
        if r[0] is None or r[0] == "合计" or not isinstance(r[0], str) or not r[0][:1].isalpha():
            break
        out[r[0]] = dict(zip(head, r))
    return out


def _deductions(path: Path) -> dict[str, dict]:
    ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = ws.iter_rows(values_only=True)
    head = list(next(rows))
    return {r[0]: {h: _q(v) for h, v in zip(head[1:], r[1:])} for r in rows if r[0]}


@pytest.fixture(scope="module")
def tax2019(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tax2019")
    r = run_cli("month", "2019-03", "--input", str(ROOT / "sample_data" / "tax2019"), "--output", str(out),
                "--quiet")
    assert r.returncode == 0, r.stderr
    return out


def test_2019_sample_recomputed_independently(tax2019: Path) -> None:
    """累计预扣法 recomputed from 应发合计 (summary) and the deductions files, month by month."""
    ytd: dict[str, dict] = {}
    checked = 0
    for month in ("2019-01", "2019-02", "2019-03"):
        summary = _summary(tax2019 / month / f"payroll_{month}.xlsx")
        ded = _deductions(ROOT / "sample_data" / "tax2019" / month / "deductions.xlsx")
        for mid, row in summary.items():
            d = ded[mid]
            social = d["养老保险"] + d["医疗保险"] + d["失业保险"]
            y = ytd.setdefault(mid, {"income": Decimal(0), "months": 0, "special": Decimal(0),
                                     "additional": Decimal(0), "withheld": Decimal(0)})
            gross = _q(row["应发合计"])
            y["income"] += gross            # no year-end bonus in January–March
            y["months"] += 1
            y["special"] += social + d["住房公积金"]
            y["additional"] += d["专项附加扣除"]
            taxable = max(Decimal(0), y["income"] - 5000 * y["months"] - y["special"] - y["additional"])
            tax = max(Decimal(0), _by_table(taxable, ANNUAL_2019) - y["withheld"])
            y["withheld"] += tax
            assert _q(row["社保个人"]) == social and _q(row["公积金个人"]) == d["住房公积金"], mid
            assert _q(row["个人所得税"]) == tax, (month, mid)
            assert _q(row["年终奖个税"]) == 0 and _q(row["其他扣款"]) == d["其他扣款"]
            net = gross - social - d["住房公积金"] - tax - d["其他扣款"]
            assert _q(row["实发合计"]) == max(Decimal(0), net), (month, mid)
            checked += 1
    assert checked > 60 and any(y["withheld"] > 0 for y in ytd.values())


def test_2013_sample_recomputed_independently(securities_year: Path) -> None:
    """2013: each month taxed alone (3,500, the 2011 table); December's year-end bonus taxed apart with the
    shortfall rule (国税发〔2005〕9号)."""
    bonus_taxed = 0
    for k in range(parse_month("2013-01"), parse_month("2013-12") + 1):
        month = f"2013-{k % 12 + 1:02d}"
        summary = _summary(securities_year / month / f"payroll_{month}.xlsx")
        ded = _deductions(ROOT / "sample_data" / "securities" / month / "deductions.xlsx")
        for mid, row in summary.items():
            d = ded[mid]
            social = d["养老保险"] + d["医疗保险"] + d["失业保险"]
            insurances = social + d["住房公积金"]
            gross = _q(row["应发合计"])
            y = _q(row.get("年终奖"))
            recovered = -_q(row.get("年终奖亏空扣回"))
            from_y = max(Decimal(0), recovered - max(Decimal(0), _q(row.get("营销绩效奖"))))
            bonus = max(Decimal(0), y - from_y)
            wages = gross - bonus
            tax = _by_table(max(Decimal(0), wages - insurances - 3500), MONTHLY_2011)
            b = max(Decimal(0), bonus - max(Decimal(0), 3500 - (wages - insurances)))
            btax = _by_table(b, MONTHLY_2011, 12) if bonus > 0 else Decimal(0)
            bonus_taxed += bonus > 0
            assert _q(row["个人所得税"]) == tax, (month, mid)
            assert _q(row["年终奖个税"]) == btax, (month, mid)
            net = gross - insurances - tax - btax - d["其他扣款"]
            assert _q(row["实发合计"]) == max(Decimal(0), net), (month, mid)
    assert bonus_taxed > 10


# ------------------------------------------------------------------ adopting mid-year (opening file)

def test_opening_file_seeds_cumulative_withholding(tmp_path: Path) -> None:
    """--start 2019-04 with 累计收入 / 累计专项扣除 / 累计减除费用 / 累计已预扣税额 of January–March: April's
    cumulative figures continue them (SPEC 9 "Adopting mid-year")."""
    spec = basic_spec(["2019-04", "2019-05"])
    spec["months"]["2019-04"] = {
        "opening": [{"manager_id": "A1", "cum_income": 90000, "cum_special": 13500, "cum_basic": 15000,
                     "cum_tax_withheld": 1850}],
        "deductions": [{"manager_id": m, "housing_fund": 1000} for m in ("A1", "A2", "B1")]}
    inp = make_inputs(tmp_path, spec)
    pipeline.run_month("2019-04", inp, tmp_path / "out", start="2019-04")
    a1 = pipeline.load_result(tmp_path / "out", "2019-04").filter(pl.col("manager_id") == "A1").row(0, named=True)
    gross = a1["gross_pay"]
    assert a1["tax_months_employed"] == 4 and a1["tax_cum_income"] == 9_000_000 + gross
    assert a1["tax_cum_special"] == 1_350_000 + 100_000 and a1["tax_cum_basic"] == 2_000_000
    assert a1["tax_withheld_before"] == 185_000
    taxable = max(0, 9_000_000 + gross - 2_000_000 - 1_450_000)
    assert a1["tax_taxable"] == taxable
    due = (taxable * 10 + 50) // 100 - 252_000 if taxable > 3_600_000 else (taxable * 3 + 50) // 100
    assert a1["income_tax"] == max(0, due - 185_000)


def test_opening_tax_figures_in_a_january_are_input_errors(tmp_path: Path) -> None:
    spec = basic_spec(["2019-01"])
    spec["months"]["2019-01"] = {"opening": [{"manager_id": "A1", "cum_income": 1000}]}
    inp = make_inputs(tmp_path, spec)
    with pytest.raises(InputErrors) as e:
        pipeline.run_month("2019-01", inp, tmp_path / "out", start="2019-01")
    assert "累计收入" in str(e.value) and "January" in str(e.value)


# ------------------------------------------------------------------ a branch's own tax rulebook

def test_a_branch_names_its_own_tax_rulebook(tmp_path: Path) -> None:
    """[rulebook] tax = "tax.toml" in a branch's pay rulebook file: that tax file (relative to it) applies."""
    branch = tmp_path / "branch"
    branch.mkdir()
    pay = (ROOT / "cm_payroll/rulebooks/securities/rulebook.toml").read_text("utf-8")
    pay = pay.replace('[rulebook]\nid = "securities"\n', '[rulebook]\nid = "securities"\ntax = "tax.toml"\n', 1)
    (branch / "securities.toml").write_text(pay, "utf-8")
    tax = (ROOT / "cm_payroll/rulebooks/tax/rulebook.toml").read_text("utf-8")
    old = 'from = "2011-09"\nvalue = "3500"'
    assert old in tax
    (branch / "tax.toml").write_text(tax.replace(old, 'from = "2011-09"\nvalue = "4000"', 1), "utf-8")
    spec = basic_spec(["2013-01"])
    spec["months"]["2013-01"] = {"deductions": [{"manager_id": m} for m in ("A1", "A2", "B1")]}
    inp = make_inputs(tmp_path, spec)
    pipeline.run_month("2013-01", inp, tmp_path / "out", str(branch / "securities.toml"))
    pay_frame = pipeline.load_result(tmp_path / "out", "2013-01")
    assert set(pay_frame.get_column("tax_basic_applied").to_list()) == {400_000}
    for r in pay_frame.iter_rows(named=True):
        assert r["tax_taxable"] == max(0, r["gross_pay"] - 400_000)


# ------------------------------------------------------------------ a re-run's correction under 累计预扣法

def test_rerun_correction_is_wages_of_the_month_paid_cumulative_tax_follows(tmp_path: Path) -> None:
    """The published example (30,000 a month, 专项扣除 4,500, 专项附加扣除 2,000). January and February are
    computed, signed and released (paid); then January's other_reward is found short by 60,000 and
    January is re-run (--force): the 60,000 is booked as a correction and paid in March, as March's wages (SPEC 9).
    March: Σ wages received 30,000 + 30,000 + (30,000 + 60,000) = 150,000 − 15,000 − 13,500 − 6,000 =
    115,500 → 10% − 2,520 = 9,030.00, less the 1,180.00 actually withheld in January–February → 7,850.00.
    (Carrying the restated January instead would count the 60,000 twice: 175,500 → 20% − 16,920 =
    18,180 − 7,180 = 11,000.00.)"""
    from tests.scenario_runner import load_spec, write_inputs
    spec = load_spec(ROOT / "tests/scenarios/securities/tax_cumulative_2019.yaml")
    inp, out = tmp_path / "in", tmp_path / "out"
    write_inputs(spec, inp)
    pipeline.run_month("2019-02", inp, out)
    from cm_payroll import lifecycle
    for month in ("2019-01", "2019-02"):                         # signed and paid (SPEC 6)
        for role, who in (("审核", "李审核"), ("复核", "王复核"), ("签批", "赵经理")):
            lifecycle.sign(out, month, role, who)
        lifecycle.release(out, month, "出纳")
    adj = inp / "2019-01" / "adjustments.csv"
    adj.write_text(adj.read_text("utf-8").replace("25600", "85600"), "utf-8")
    pipeline.run_month("2019-01", inp, out, force=True)
    jan_v2 = pipeline.load_result(out, "2019-01").row(0, named=True)
    assert jan_v2["gross_pay"] == 9_000_000                      # the restated January
    pipeline.run_month("2019-03", inp, out)
    mar = pipeline.load_result(out, "2019-03").row(0, named=True)
    assert (mar["correction"], mar["gross_pay"]) == (6_000_000, 9_000_000)
    assert mar["tax_cum_income"] == 15_000_000 and mar["tax_withheld_before"] == 118_000
    assert mar["income_tax"] == 785_000 and mar["net_pay"] == 9_000_000 - 450_000 - 785_000
