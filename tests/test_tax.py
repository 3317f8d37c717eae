"""The income tax engine (cm_payroll.rulebooks.tax, SPEC 9) against numbers worked by hand and the
tax authority's published example. Amounts in the comments are yuan; the frames hold fen."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from cm_payroll.months import parse_month
from cm_payroll.rulebook import builtin_path, load_rulebook
from cm_payroll.rulebooks.tax import (EXCEPTION_SCHEMA, LINES_SCHEMA, STATE_SCHEMA, TRACE_SCHEMA, compute_tax,
                                      params_at, receipt_month, seed_state)
from cm_payroll.rulebooks.tax.taxed import split_pay

TAX = load_rulebook("tax")


def fen(yuan: str | int) -> int:
    """'1,695.10' → 169510 (test inputs are written in yuan)."""
    whole, _, cents = str(yuan).replace(",", "").partition(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * 100 + int((cents + "00")[:2]))


def pay_frame(rows: list[dict]) -> pl.DataFrame:
    """Pay rows {manager_id, gross, bonus?, recovery?, performance_bonus?} in yuan."""
    return pl.DataFrame({
        "manager_id": [r["manager_id"] for r in rows],
        "name": [r.get("name", r["manager_id"]) for r in rows],
        "gross_pay": [fen(r["gross"]) for r in rows],
        "year_end_bonus": [fen(r.get("bonus", 0)) for r in rows],
        "recovery": [fen(r.get("recovery", 0)) for r in rows],
        "performance_bonus": [fen(r.get("performance_bonus", 0)) for r in rows],
    }, schema={"manager_id": pl.String, "name": pl.String, "gross_pay": pl.Int64, "year_end_bonus": pl.Int64,
               "recovery": pl.Int64, "performance_bonus": pl.Int64})


MONEY = ("pension_insurance", "medical_insurance", "unemployment_insurance", "housing_fund",
         "special_additional", "other_deduction")


def deductions_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame({
        "manager_id": [r["manager_id"] for r in rows],
        **{k: [fen(r[k]) if k in r else None for r in rows] for k in MONEY},
        "full_year_deduction": [r.get("full_year") for r in rows],
    }, schema={"manager_id": pl.String, **{k: pl.Int64 for k in MONEY}, "full_year_deduction": pl.Boolean})


def run(month: str, pay: list[dict], deductions: list[dict] | None, state=None, rb=TAX):
    return compute_tax(pay_frame(pay), None if deductions is None else deductions_frame(deductions), state,
                       params_at(rb, parse_month(month)))


def line(result, manager: str, key: str) -> int | None:
    return result.lines.filter(pl.col("manager_id") == manager).get_column(key).item()


def trace(result, manager: str) -> dict:
    return result.trace.filter(pl.col("manager_id") == manager).to_dicts()[0]


def kinds(result) -> list[tuple[str, str, str]]:
    return [(m, t, d.split(":")[0]) for m, t, d in result.exceptions.select("manager_id", "type", "description").iter_rows()]


# ------------------------------------------------------------------------------------------------ 2019+

def test_published_cumulative_example_2019() -> None:
    """国家税务总局's example of cumulative withholding (公告2018年第61号 解读): wages 30,000 a month,
    专项扣除 4,500 (养老 2,400 + 医疗 600 + 失业 150 + 公积金 1,350), 专项附加扣除 2,000.
      January:  30,000 − 5,000 − 4,500 − 2,000 = 18,500 ≤ 36,000 → 3% → 555.00
      February: 60,000 − 10,000 − 9,000 − 4,000 = 37,000 → 10% − 2,520 = 1,180; − 555 = 625.00
      March:    90,000 − 15,000 − 13,500 − 6,000 = 55,500 → 10% − 2,520 = 3,030; − 1,180 = 1,850.00
    Net January = 30,000 − 3,150 (社保个人) − 1,350 (公积金个人) − 555 = 24,945.00."""
    d = [{"manager_id": "A", "pension_insurance": 2400, "medical_insurance": 600, "unemployment_insurance": 150,
          "housing_fund": 1350, "special_additional": 2000}]
    state, taxes = None, []
    for month in ("2019-01", "2019-02", "2019-03"):
        r = run(month, [{"manager_id": "A", "gross": 30000}], d, state)
        state = r.state
        taxes.append(line(r, "A", "income_tax"))
        if month == "2019-01":
            assert line(r, "A", "social_insurance") == fen(3150) and line(r, "A", "housing_fund") == fen(1350)
            assert line(r, "A", "net_pay") == fen("24945.00")
    assert taxes == [fen("555.00"), fen("625.00"), fen("1850.00")]
    t = trace(r, "A")       # March, every cumulative figure traced
    assert (t["cum_income"], t["cum_basic"], t["cum_special"], t["cum_special_additional"]) == (
        fen(90000), fen(15000), fen(13500), fen(6000))
    assert (t["taxable"], t["bracket_upto"], t["rate"], t["quick"]) == (fen(55500), fen(144000), 100_000, fen(2520))
    assert (t["tax_due"], t["withheld_before"], t["months_employed"]) == (fen(3030), fen(1180), 3)
    assert state.row(0, named=True)["cum_tax_withheld"] == fen(3030)


def test_rehire_in_the_same_year_continues_the_sums_and_skips_the_gap() -> None:
    """Wages 20,000 a month, no deductions, employed January–March and again from July 2019.
      Jan 15,000 × 3% = 450; Feb 30,000 × 3% = 900 → 450; Mar 45,000 × 10% − 2,520 = 1,980 → 1,080.
      July, the 4th month employed: 80,000 − 4 × 5,000 = 60,000 → 6,000 − 2,520 = 3,480 → 3,480 − 1,980
      = 1,500.00. (Had the gap counted, 80,000 − 7 × 5,000 = 45,000 → 1,980 → 0.)"""
    state, got = None, {}
    for month in ("2019-01", "2019-02", "2019-03", "2019-04", "2019-05", "2019-06", "2019-07"):
        on = month not in ("2019-04", "2019-05", "2019-06")
        pay = [{"manager_id": "B", "gross": 1000}] + ([{"manager_id": "A", "gross": 20000}] if on else [])
        r = run(month, pay, [{"manager_id": "B"}] + ([{"manager_id": "A"}] if on else []), state)
        state = r.state
        if on:
            got[month] = line(r, "A", "income_tax")
    assert got == {"2019-01": fen(450), "2019-02": fen(450), "2019-03": fen(1080), "2019-07": fen(1500)}
    a = state.filter(pl.col("manager_id") == "A").row(0, named=True)
    assert a["months_employed"] == 4 and a["cum_basic"] == fen(20000) and a["cum_income"] == fen(80000)


def test_full_year_60000_deduction() -> None:
    """公告2020年第19号, 2021: wages 5,500 a month, no insurances, 全年6万减除 是 given in January only (it
    holds for the year). Cumulative taxable = 5,500 × k − 60,000: ≤ 0 through October; November 500 →
    15.00; December 6,000 → 180 − 15 = 165.00. Without the flag: 5,500 − 5,000 = 500 → 15.00 every month."""
    state, flagged, plain = None, [], []
    for k in range(1, 13):
        d = [{"manager_id": "F", "full_year": True if k == 1 else None}, {"manager_id": "P"}]
        r = run(f"2021-{k:02d}", [{"manager_id": "F", "gross": 5500}, {"manager_id": "P", "gross": 5500}], d, state)
        state = r.state
        flagged.append(line(r, "F", "income_tax"))
        plain.append(line(r, "P", "income_tax"))
    assert flagged == [0] * 10 + [fen(15), fen(165)]
    assert plain == [fen(15)] * 12
    assert trace(r, "F")["full_year_applied"] and trace(r, "F")["basic_applied"] == fen(60000)


def test_full_year_flag_before_the_notice_is_ignored_with_a_warning() -> None:
    """2020-03 (公告2020年第19号 in force from 2020-07): the flag is ignored, 5,000 a month deducted:
    5,500 − 5,000 = 500 → 15.00, and an input warning."""
    r = run("2020-03", [{"manager_id": "F", "gross": 5500}], [{"manager_id": "F", "full_year": True}])
    assert line(r, "F", "income_tax") == fen(15)
    assert kinds(r) == [("F", "input_warning", "full_year_not_in_force")]


def test_a_month_without_deductions_enters_the_sums_and_taxes_nothing() -> None:
    """2019, wages 10,000: January 5,000 × 3% = 150.00; February has no deductions file: no tax, no net,
    but it enters the sums; March: 30,000 − 15,000 = 15,000 → 450 − 150 = 300.00 (February caught up)."""
    r1 = run("2019-01", [{"manager_id": "A", "gross": 10000}], [{"manager_id": "A"}])
    r2 = run("2019-02", [{"manager_id": "A", "gross": 10000}], None, r1.state)
    r3 = run("2019-03", [{"manager_id": "A", "gross": 10000}], [{"manager_id": "A"}], r2.state)
    assert [line(r, "A", "income_tax") for r in (r1, r2, r3)] == [fen(150), 0, fen(300)]
    assert line(r2, "A", "net_pay") is None and r2.exceptions.height == 0
    assert trace(r3, "A")["months_employed"] == 3


def test_bonus_164_converted_table_2019_and_its_trap() -> None:
    """财税〔2018〕164号, December 2019, the managers' first month (wages 10,000: 10,000 − 5,000 = 5,000 →
    150.00). Bonus 36,000: 36,000 ÷ 12 = 3,000 ≤ 3,000 → 3% → 1,080.00 (no shortfall rule). Bonus 36,001:
    3,000.08 → 10% − 210 = 3,600.10 − 210 = 3,390.10; it nets 32,610.90 against 34,920.00 at 36,000: lost
    2,309.10 (extra tax 2,310.10 − extra bonus 1.00) → bonus_tax_trap."""
    r = run("2019-12", [{"manager_id": "A", "gross": 46000, "bonus": 36000},
                        {"manager_id": "B", "gross": 46001, "bonus": 36001}],
            [{"manager_id": "A"}, {"manager_id": "B"}])
    assert line(r, "A", "income_tax") == fen(150) and line(r, "B", "income_tax") == fen(150)
    assert line(r, "A", "bonus_tax") == fen("1080.00") and line(r, "B", "bonus_tax") == fen("3390.10")
    assert kinds(r) == [("B", "bonus_tax_trap", "年终奖(单独计税)36001.00 元超过临界点 36000.00 元(计税额÷12 超过 "
                                                 "3000.00 元)1.00 元")]
    assert r.exceptions.get_column("amount").to_list() == [fen("2309.10")]
    assert trace(r, "A")["bonus_shortfall"] == 0 and trace(r, "B")["bonus_upto"] == fen(12000)


@pytest.mark.parametrize("year, bonus_tax, wage_tax", [
    # 2027-12 (公告2023年第30号 still in force): wages Σ 120,000 − 60,000 = 60,000 → 6,000 − 2,520 = 3,480,
    # withheld 2,980 before → 500.00; bonus 36,000 apart → 1,080.00.
    (2027, fen(1080), fen(500)),
    # 2028-12 (the treatment has ended): the bonus is wages: 156,000 − 60,000 = 96,000 → 9,600 − 2,520 =
    # 7,080 → 7,080 − 2,980 = 4,100.00; no bonus tax.
    (2028, 0, fen(4100)),
])
def test_bonus_apart_through_2027_then_wages(year: int, bonus_tax: int, wage_tax: int) -> None:
    """Adopted in December from an opening file: 11 months of wages 10,000 (累计收入 110,000, 累计减除费用
    55,000, 累计已预扣税额 = (110,000 − 55,000) × 10% − 2,520 = 2,980)."""
    p = params_at(TAX, parse_month(f"{year}-12"))
    opening = pl.DataFrame({"manager_id": ["A"], "cum_income": [fen(110000)], "cum_basic": [fen(55000)],
                            "cum_tax_withheld": [fen(2980)]})
    state, issues = seed_state(opening, p)
    assert issues == [] and state.row(0, named=True)["months_employed"] == 11
    r = compute_tax(pay_frame([{"manager_id": "A", "gross": 46000, "bonus": 36000}]),
                    deductions_frame([{"manager_id": "A"}]), state, p)
    assert (line(r, "A", "bonus_tax"), line(r, "A", "income_tax")) == (bonus_tax, wage_tax)


def test_negative_net_is_paid_as_zero_and_carried() -> None:
    """2019-01: gross 3,000, 养老 500, 其他扣款 4,000: tax 0 (3,000 − 5,000 − 500 < 0); net 3,000 − 500 −
    4,000 = −1,500 → paid 0.00, 1,500 carried (input warning). 2019-02: gross 20,000, 养老 500: 其他扣款
    never reduces taxable income: 23,000 − 10,000 − 1,000 = 12,000 → 360.00; net 20,000 − 500 − 360 −
    1,500 (上月结转扣款) = 17,640.00, nothing carried."""
    r1 = run("2019-01", [{"manager_id": "A", "gross": 3000}],
             [{"manager_id": "A", "pension_insurance": 500, "other_deduction": 4000}])
    assert (line(r1, "A", "income_tax"), line(r1, "A", "net_pay"), line(r1, "A", "carry_forward")) == (0, 0, fen(1500))
    assert kinds(r1) == [("A", "input_warning", "net_carried")]
    assert r1.state.row(0, named=True)["carried_deduction"] == fen(1500)
    r2 = run("2019-02", [{"manager_id": "A", "gross": 20000}], [{"manager_id": "A", "pension_insurance": 500}],
             r1.state)
    assert line(r2, "A", "income_tax") == fen(360) and line(r2, "A", "carried_deduction") == fen(1500)
    assert line(r2, "A", "net_pay") == fen(17640) and line(r2, "A", "carry_forward") == 0
    assert r2.exceptions.height == 0 and r2.state.row(0, named=True)["carried_deduction"] == 0


# ------------------------------------------------------------------------------------------------ 2011–2018

def test_bonus_2013_with_a_wage_below_the_deduction() -> None:
    """国税发〔2005〕9号, 2013: wage 3,000 (no insurances) → wage tax 0; shortfall 3,500 − 3,000 = 500;
    B = 12,500 − 500 = 12,000; 12,000 ÷ 12 = 1,000 ≤ 1,500 → 3% → 360.00; net 15,500 − 360 = 15,140.00."""
    r = run("2013-12", [{"manager_id": "A", "gross": 15500, "bonus": 12500}], [{"manager_id": "A"}])
    assert (line(r, "A", "income_tax"), line(r, "A", "bonus_tax"), line(r, "A", "net_pay")) == (0, fen(360), fen(15140))
    t = trace(r, "A")
    assert (t["bonus_shortfall"], t["bonus_base"], t["bonus_upto"], t["bonus_rate"]) == (fen(500), fen(12000),
                                                                                          fen(1500), 30_000)


def test_bonus_2013_boundary_18000_and_the_trap_at_18001() -> None:
    """2013, wage 5,000 (≥ 3,500: no shortfall; wage tax (5,000 − 3,500) × 3% = 45.00).
      18,000 ÷ 12 = 1,500 ≤ 1,500 → 3% → 540.00; net of the bonus 17,460.00.
      18,001 ÷ 12 = 1,500.08 > 1,500 → 10% − 105 → 1,800.10 − 105 = 1,695.10; net 16,305.90.
      The trap: 17,460.00 − 16,305.90 = 1,154.10 lost (= extra tax 1,155.10 − extra bonus 1.00).
    The trap ends where 0.9 X + 105 ≥ 17,460, X ≥ 19,283.33…: at 19,283.32 the tax is 1,823.33 (1,823.332)
    and the net 17,459.99, 0.01 lost; at 19,283.33 the net is 17,460.00: nothing lost, no trap."""
    bonuses = {"A": "18000.00", "B": "18001.00", "C": "19283.32", "D": "19283.33"}
    rows = [{"manager_id": m, "gross": str(Decimal(b) + 5000), "bonus": b} for m, b in bonuses.items()]
    r = run("2013-12", rows, [{"manager_id": m} for m in "ABCD"])
    assert [line(r, m, "income_tax") for m in "ABCD"] == [fen(45)] * 4
    assert [line(r, m, "bonus_tax") for m in "ABCD"] == [fen(540), fen("1695.10"), fen("1823.33"), fen("1823.33")]
    traps = r.exceptions.filter(pl.col("type") == "bonus_tax_trap")
    assert traps.select("manager_id", "amount").rows() == [("B", fen("1154.10")), ("C", 1)]
    assert traps.get_column("approval_needed").to_list() == [False, False]
    assert "税后少得 1154.10 元" in traps.get_column("description")[0]


def test_transition_september_vs_october_2018() -> None:
    """Wage 8,000, 养老 1,000. 2018-09: 8,000 − 1,000 − 3,500 = 3,500 → 10% − 105 = 245.00.
    2018-10 (财税〔2018〕98号): 8,000 − 1,000 − 5,000 = 2,000 → 3% = 60.00. Each month is taxed alone."""
    d = [{"manager_id": "A", "pension_insurance": 1000}]
    r9 = run("2018-09", [{"manager_id": "A", "gross": 8000}], d)
    r10 = run("2018-10", [{"manager_id": "A", "gross": 8000}], d, r9.state)
    assert (line(r9, "A", "income_tax"), line(r10, "A", "income_tax")) == (fen(245), fen(60))
    assert (trace(r9, "A")["basic_applied"], trace(r10, "A")["basic_applied"]) == (fen(3500), fen(5000))


def test_transition_months_use_5000_and_the_new_table() -> None:
    """2018-11: wage 20,000, 公积金 2,000: 20,000 − 2,000 − 5,000 = 13,000 → 20% − 1,410 = 1,190.00 (by the
    2011 table: 20,000 − 2,000 − 3,500 = 14,500 → 25% − 1,005 = 2,620). 2018-12: wage 4,000, bonus 37,000:
    shortfall 5,000 − 4,000 = 1,000; B = 36,000; ÷ 12 = 3,000 ≤ 3,000 → 3% → 1,080.00; wage tax 0."""
    r11 = run("2018-11", [{"manager_id": "A", "gross": 20000}], [{"manager_id": "A", "housing_fund": 2000}])
    assert line(r11, "A", "income_tax") == fen(1190)
    r12 = run("2018-12", [{"manager_id": "A", "gross": 41000, "bonus": 37000}], [{"manager_id": "A"}], r11.state)
    assert (line(r12, "A", "income_tax"), line(r12, "A", "bonus_tax")) == (0, fen(1080))
    assert trace(r12, "A")["bonus_shortfall"] == fen(1000)


def test_special_additional_before_2019_is_not_deducted() -> None:
    """2018-11: wage 10,000, 专项附加扣除 2,000 given: not deducted (it exists from 2019):
    10,000 − 5,000 = 5,000 → 10% − 210 = 290.00, with an input warning."""
    r = run("2018-11", [{"manager_id": "A", "gross": 10000}], [{"manager_id": "A", "special_additional": 2000}])
    assert line(r, "A", "income_tax") == fen(290)
    assert kinds(r) == [("A", "input_warning", "special_additional_not_in_force")]


def test_pay_lag_moves_december_into_januarys_regime(tmp_path: Path) -> None:
    """A branch's tax file with pay_lag_months = 1: December 2018's pay is received in 2019-01 and taxed by
    cumulative withholding: wage 10,000 − 5,000 = 5,000 × 3% = 150.00; bonus 36,000 by 164号 (no
    shortfall) 1,080.00. Received in 2018-12 (lag 0) it is 10,000 − 5,000 = 5,000 → 10% − 210 = 290.00
    and the bonus 36,000 − 0 shortfall ÷ 12 = 3,000 → 1,080.00."""
    branch = tmp_path / "tax.toml"
    branch.write_text(builtin_path("tax").read_text("utf-8").replace(
        '[[parameters.pay_lag_months.values]]\nfrom = "2000-01"\nvalue = 0',
        '[[parameters.pay_lag_months.values]]\nfrom = "2000-01"\nvalue = 1'), "utf-8")
    rb = load_rulebook(str(branch))
    assert rb.id == "tax" and rb.source == str(branch)
    december = parse_month("2018-12")
    assert receipt_month(TAX, december) == december and receipt_month(rb, december) == parse_month("2019-01")
    pay = [{"manager_id": "A", "gross": 46000, "bonus": 36000}]
    late = run("2019-01", pay, [{"manager_id": "A"}], rb=rb)
    now = run("2018-12", pay, [{"manager_id": "A"}])
    assert (line(late, "A", "income_tax"), line(late, "A", "bonus_tax")) == (fen(150), fen(1080))
    assert (line(now, "A", "income_tax"), line(now, "A", "bonus_tax")) == (fen(290), fen(1080))
    assert trace(late, "A")["regime"] == "cumulative" and trace(now, "A")["regime"] == "monthly"


# ------------------------------------------------------------------------------------------------ what is taxed

def test_what_is_taxed_securities_december() -> None:
    """December: performance bonus 3,000, Y 20,000, recovery −5,000 (decision 17: 3,000 from the
    performance bonus, 2,000 from Y), other components 5,000: gross 23,000. Taxed bonus 20,000 − 2,000 =
    18,000; wages 23,000 − 18,000 = 5,000. A recovery −2,000 ≤ the performance bonus takes nothing from Y:
    taxed bonus 20,000, wages 5,000 + 3,000 − 2,000 = 6,000. An rcc frame has no bonus: wages = gross."""
    pay = pay_frame([{"manager_id": "A", "gross": 23000, "bonus": 20000, "recovery": -5000, "performance_bonus": 3000},
                     {"manager_id": "B", "gross": 26000, "bonus": 20000, "recovery": -2000, "performance_bonus": 3000}])
    s = split_pay(pay)
    assert s.select("taxed_bonus", "wages").rows() == [(fen(18000), fen(5000)), (fen(20000), fen(6000))]
    rcc = split_pay(pl.DataFrame({"manager_id": ["R"], "gross_pay": [fen(7000)]}))
    assert rcc.select("taxed_bonus", "wages").rows() == [(0, fen(7000))]
    # 2013: A's wages 5,000 → 45.00, the bonus 18,000 → 540.00 (see the boundary test)
    r = compute_tax(pay.head(1), deductions_frame([{"manager_id": "A"}]), None, params_at(TAX, parse_month("2013-12")))
    assert (line(r, "A", "income_tax"), line(r, "A", "bonus_tax")) == (fen(45), fen(540))


def test_bonus_taxed_apart_once_a_year() -> None:
    """2019: a bonus 12,000 in June is taxed apart (÷ 12 = 1,000 → 3% → 360.00); a second one in December
    is wages (国税发〔2005〕9号 三), with an input warning. June wages 0 + Jan–May none: June is the first
    month: 0 − 5,000 → 0 wage tax. December (2nd month employed): 12,000 − 10,000 = 2,000 → 60.00."""
    r6 = run("2019-06", [{"manager_id": "A", "gross": 12000, "bonus": 12000}], [{"manager_id": "A"}])
    assert (line(r6, "A", "income_tax"), line(r6, "A", "bonus_tax")) == (0, fen(360))
    r12 = run("2019-12", [{"manager_id": "A", "gross": 12000, "bonus": 12000}], [{"manager_id": "A"}], r6.state)
    assert (line(r12, "A", "income_tax"), line(r12, "A", "bonus_tax")) == (fen(60), 0)
    assert kinds(r12) == [("A", "input_warning", "bonus_second_time")]
    # next year the treatment is available again
    r_next = run("2020-12", [{"manager_id": "A", "gross": 12000, "bonus": 12000}], [{"manager_id": "A"}], r12.state)
    assert line(r_next, "A", "bonus_tax") == fen(360)


def test_manager_without_a_deductions_row_has_zero_deductions_and_a_warning() -> None:
    r = run("2019-01", [{"manager_id": "A", "gross": 10000}, {"manager_id": "B", "gross": 10000}],
            [{"manager_id": "A", "pension_insurance": 800}])
    # A: 10,000 − 5,000 − 800 = 4,200 → 126.00; B: 5,000 → 150.00
    assert (line(r, "A", "income_tax"), line(r, "B", "income_tax")) == (fen(126), fen(150))
    assert kinds(r) == [("B", "input_warning", "deductions_missing")]


def test_frames_have_the_documented_schemas() -> None:
    r = run("2019-01", [{"manager_id": "A", "gross": 10000}], [{"manager_id": "A"}])
    assert dict(r.lines.schema) == LINES_SCHEMA and dict(r.state.schema) == STATE_SCHEMA
    assert dict(r.trace.schema) == TRACE_SCHEMA and dict(r.exceptions.schema) == EXCEPTION_SCHEMA
    # a manager of the state who is not paid this month keeps the row unchanged
    r2 = run("2019-02", [{"manager_id": "B", "gross": 10000}], [{"manager_id": "B"}], r.state)
    assert r2.state.filter(pl.col("manager_id") == "A").rows() == r.state.rows()


def test_duplicate_pay_rows_are_refused() -> None:
    with pytest.raises(ValueError, match="two rows"):
        run("2019-01", [{"manager_id": "A", "gross": 1}, {"manager_id": "A", "gross": 2}], [])
