"""The tax rulebook file (rulebooks/tax/rulebook.toml), its parameters in force by month of receipt, a
branch's own copy, the deductions input file and the opening seeding (SPEC 9)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import polars as pl
import pytest

from cm_payroll.errors import UsageError
from cm_payroll.load import read_table
from cm_payroll.months import parse_month
from cm_payroll.rulebook import builtin_path, load_rulebook
from cm_payroll.rulebooks.tax import DEDUCTIONS, OPENING_COLUMNS, compute_tax, params_at, seed_state
from cm_payroll.rulebooks.tax.deductions import attach
from cm_payroll.validate import type_table

TAX = load_rulebook("tax")


def test_every_parameter_has_source_origin_chinese_description_and_dated_values() -> None:
    doc = tomllib.loads(builtin_path("tax").read_text("utf-8"))
    assert doc["rulebook"]["id"] == "tax"
    assert set(TAX.parameters) == {"pay_lag_months", "regime", "basic_deduction", "monthly_brackets",
                                   "annual_brackets", "full_year_deduction", "bonus_separate"}
    for name, p in TAX.parameters.items():
        assert p.article and p.origin in ("S", "D") and p.values, name
        assert any("\u4e00" <= ch <= "\u9fff" for ch in p.description), name
    assert TAX.parameters["pay_lag_months"].origin == "D" and TAX.at(parse_month("2013-01"))["pay_lag_months"] == 0
    for source in ("个人所得税法(2011年修正)", "国税发〔2005〕9号", "国家税务总局公告2018年第61号", "财税〔2018〕164号",
                   "公告2020年第19号"):
        assert any(source in p.article for p in TAX.parameters.values()), source
    trap = TAX.exception("bonus_tax_trap")
    assert (trap.label, trap.approval) == ("年终奖临界点", False)
    assert TAX.exception("input_warning").approval is False
    # package data: the file ships with the package (pyproject: rulebooks/*/*.toml)
    assert "rulebooks/*/*.toml" in (Path(__file__).parents[1] / "pyproject.toml").read_text("utf-8")


@pytest.mark.parametrize("month, regime, basic, first_bound, method, full_year", [
    ("2011-09", "monthly", 350000, 150000, "shortfall", 0),
    ("2018-09", "monthly", 350000, 150000, "shortfall", 0),
    ("2018-10", "monthly", 500000, 300000, "shortfall", 0),
    ("2019-01", "cumulative", 500000, 300000, "converted", 0),
    ("2020-06", "cumulative", 500000, 300000, "converted", 0),
    ("2020-07", "cumulative", 500000, 300000, "converted", 6000000),
    ("2027-12", "cumulative", 500000, 300000, "converted", 6000000),
    ("2028-01", "cumulative", 500000, 300000, "none", 6000000),
])
def test_parameters_in_force_by_month_of_receipt(month, regime, basic, first_bound, method, full_year) -> None:
    p = params_at(TAX, parse_month(month))
    assert (p.regime, p.basic, p.monthly.bounds[0], p.bonus_method, p.full_year) == (
        regime, basic, first_bound, method, full_year)
    assert (p.annual is None) == (regime == "monthly")
    if p.annual:
        # the annual table of SPEC 9: ≤36,000 3%/0 … above 960,000 45%/181,920
        assert p.annual.bounds == (3600000, 14400000, 30000000, 42000000, 66000000, 96000000, None)
        assert p.annual.quick == (0, 252000, 1692000, 3192000, 5292000, 8592000, 18192000)


def test_no_tax_rules_before_2011_09() -> None:
    with pytest.raises(UsageError, match="no value in force in 2011-08"):
        params_at(TAX, parse_month("2011-08"))


def test_a_branch_file_must_be_complete(tmp_path: Path) -> None:
    text = builtin_path("tax").read_text("utf-8")
    ok = tmp_path / "tax.toml"
    ok.write_text(text.replace('from = "2018-10"\nvalue = "5000"', 'from = "2018-10"\nvalue = "5200"'), "utf-8")
    assert params_at(load_rulebook(str(ok)), parse_month("2019-01")).basic == 520000
    cut = text.split("[parameters.full_year_deduction]")[0] + text[text.index("[parameters.bonus_separate]"):]
    bad = tmp_path / "bad.toml"
    bad.write_text(cut, "utf-8")
    with pytest.raises(UsageError, match="full_year_deduction: missing"):
        load_rulebook(str(bad))
    extra = tmp_path / "extra.toml"
    extra.write_text(text + '\n[parameters.surcharge]\narticle = "x"\norigin = "D"\n'
                     '[[parameters.surcharge.values]]\nfrom = "2019-01"\nvalue = "1"\n', "utf-8")
    with pytest.raises(UsageError, match="unknown parameter for rulebook tax"):
        load_rulebook(str(extra))


def test_a_malformed_bracket_table_is_refused(tmp_path: Path) -> None:
    text = builtin_path("tax").read_text("utf-8").replace('{ upto = "4500",  rate = "0.10"', '{ upto = "1000",  rate = "0.10"')
    f = tmp_path / "tax.toml"
    f.write_text(text, "utf-8")
    with pytest.raises(UsageError, match="strictly ascending"):
        params_at(load_rulebook(str(f)), parse_month("2013-01"))
    with pytest.raises(UsageError, match="not the tax rulebook"):
        params_at(load_rulebook("securities"), parse_month("2013-01"))


def test_deductions_file_reads_chinese_headers_blanks_and_flags(tmp_path: Path) -> None:
    f = tmp_path / "deductions.csv"
    f.write_text("工号,养老保险,医疗保险,失业保险,住房公积金,专项附加扣除,其他扣款,全年6万减除\n"
                 "A,2400,600,150.004,1350,2000,,是\n"
                 "B,,,,,,100,\n", "utf-8")
    raw, issues = read_table(f, DEDUCTIONS)
    assert issues == [] and raw is not None
    typed, issues = type_table(raw)
    assert issues == []
    pay = pl.DataFrame({"manager_id": ["A", "B", "C"], "gross_pay": [0, 0, 0]})
    got = attach(pay, typed).sort("manager_id").select(
        "manager_id", "social_insurance", "housing_fund", "insurances", "special_additional", "other_deduction",
        "full_year_flag", "has_deductions").rows()
    # A: 2,400 + 600 + 150.00 (150.004 rounded half-up on load) = 3,150; + 1,350 = 4,500
    assert got == [("A", 315000, 135000, 450000, 200000, 0, True, True),
                   ("B", 0, 0, 0, 0, 10000, None, True),
                   ("C", 0, 0, 0, 0, 0, None, False)]
    assert DEDUCTIONS.name == "deductions" and DEDUCTIONS.key == ("manager_id",)
    assert [c.zh for c in DEDUCTIONS.columns] == ["工号", "养老保险", "医疗保险", "失业保险", "住房公积金", "专项附加扣除",
                                                  "其他扣款", "全年6万减除"]


def test_a_negative_deduction_is_an_input_error(tmp_path: Path) -> None:
    f = tmp_path / "deductions.csv"
    f.write_text("工号,养老保险\nA,-1\n", "utf-8")
    raw, _ = read_table(f, DEDUCTIONS)
    _, issues = type_table(raw)
    assert len(issues) == 1 and issues[0].column == "养老保险" and issues[0].row == 2


def test_opening_seeds_the_year_to_date_sums() -> None:
    """Adopting in 2019-04 (published example's figures after March): 累计收入 90,000, 累计专项扣除 13,500,
    累计专项附加扣除 6,000, 累计减除费用 15,000, 累计已预扣税额 3,030. April: 120,000 − 20,000 − 18,000 −
    8,000 = 74,000 → 10% − 2,520 = 4,880 → 4,880 − 3,030 = 1,850.00 (as the example continues)."""
    assert [c.zh for c in OPENING_COLUMNS] == ["累计收入", "累计专项扣除", "累计专项附加扣除", "累计减除费用", "累计已预扣税额"]
    p = params_at(TAX, parse_month("2019-04"))
    opening = pl.DataFrame({"manager_id": ["A"], "cum_income": [9000000], "cum_special": [1350000],
                            "cum_special_additional": [600000], "cum_basic": [1500000], "cum_tax_withheld": [303000]})
    state, issues = seed_state(opening, p)
    assert issues == [] and state.row(0, named=True)["months_employed"] == 3
    pay = pl.DataFrame({"manager_id": ["A"], "gross_pay": [3000000]})
    d = pl.DataFrame({"manager_id": ["A"], "pension_insurance": [450000], "special_additional": [200000]})
    r = compute_tax(pay, d, state, p)
    assert r.lines.get_column("income_tax").item() == 185000
    assert r.trace.get_column("months_employed").item() == 4


@pytest.mark.parametrize("month, column, fragment", [
    ("2020-01", "累计收入", "is a January"),
    ("2016-05", "累计已预扣税额", "taxed month by month"),
    ("2019-04", "累计减除费用", "more than the 3 month(s)"),
])
def test_opening_errors(month: str, column: str, fragment: str) -> None:
    p = params_at(TAX, parse_month(month))
    key = {"累计收入": "cum_income", "累计已预扣税额": "cum_tax_withheld", "累计减除费用": "cum_basic"}[column]
    value = 2000000 if key == "cum_basic" else 100
    opening = pl.DataFrame({"manager_id": ["A"], key: [value], "_row": [2], "_sheet": [None]},
                           schema={"manager_id": pl.String, key: pl.Int64, "_row": pl.Int64, "_sheet": pl.String})
    _, issues = seed_state(opening, p)
    assert len(issues) == 1 and issues[0].column == column and issues[0].row == 2 and fragment in issues[0].message
