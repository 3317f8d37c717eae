"""Individual income tax (个人所得税, SPEC 9): from 应发合计 (gross) to 实发合计 (net), for either pay
rulebook. Parameters: rulebooks/tax/rulebook.toml (`load_rulebook("tax")`, or a branch's own file).

One concept per module:
    params.py      the parameters in force in a month of receipt (TaxParams), pay_lag_months
    brackets.py    progressive tables as expressions (bracket, rate, quick deduction, tax)
    taxed.py       what is taxed: the year-end bonus taxed apart, and the wages
    deductions.py  the `deductions` input file (FileSpec DEDUCTIONS) and its join
    state.py       what the ledger keeps per manager (STATE_SCHEMA), the year-to-date sums
    monthly.py     receipts 2011-09 … 2018-12: each month taxed alone
    cumulative.py  receipts from 2019-01: cumulative withholding
    bonus.py       the year-end bonus taxed apart, and the bonus tax trap (年终奖临界点)
    net.py         net pay and the negative remainder carried (上月结转扣款)
    opening.py     adopting mid-year: the opening file's year-to-date figures

Use (one call per month of receipt, after the pay rulebook's month):

    rb = load_rulebook("tax")                       # or the branch's tax TOML
    r = receipt_month(rb, pay_month)                # pay_month + pay_lag_months
    result = compute_tax(pay, deductions, state, params_at(rb, r))
    # keep result.state in the ledger for next month; render result.lines, add result.exceptions
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from cm_payroll.rulebooks.base import EXCEPTION_SCHEMA
from cm_payroll.months import fmt_month
from cm_payroll.rulebooks.shared.exceptions import concat_exceptions, warning_rows, warnings_frame
from cm_payroll.rulebooks.tax import bonus, cumulative, deductions, monthly, net, state, taxed
from cm_payroll.rulebooks.tax.deductions import DEDUCTIONS
from cm_payroll.rulebooks.tax.net import LINES
from cm_payroll.rulebooks.tax.opening import OPENING_COLUMNS, seed_state
from cm_payroll.rulebooks.tax.params import Table, TaxParams, params_at, receipt_month
from cm_payroll.rulebooks.tax.state import STATE_SCHEMA, empty_state
from cm_payroll.units import yuan_expr

LINES_SCHEMA: dict[str, pl.DataType] = {"manager_id": pl.String(), **{k: pl.Int64() for k, _ in LINES}}

# The trace of each manager's tax (for `explain`), one row per manager of the month; money Int64 fen,
# rates Int64 ppm, null where a figure does not apply.
TRACE_SCHEMA: dict[str, pl.DataType] = {
    "manager_id": pl.String(),
    "receipt_month": pl.Int32(),          # month index of receipt (year × 12 + month − 1)
    "regime": pl.String(),                # "monthly" | "cumulative"
    "computed": pl.Boolean(),             # a deductions file this month (else sums only, no tax)
    "wages": pl.Int64(),                  # the month's wages taxed (gross − the bonus taxed apart)
    "insurances": pl.Int64(),             # the month's 专项扣除 (社保个人 + 公积金个人)
    "special_additional": pl.Int64(),     # the month's 专项附加扣除 as given (deducted from 2019 only)
    "basic_applied": pl.Int64(),          # 减除费用 deducted: the month's (monthly) or 累计减除费用 (cumulative)
    "taxable": pl.Int64(),                # 应纳税所得额 (monthly) / 累计预扣预缴应纳税所得额 (cumulative)
    "bracket": pl.Int32(),                # 0-based bracket of `taxable`
    "bracket_upto": pl.Int64(),           # its upper bound (null at the top)
    "rate": pl.Int64(),                   # ppm
    "quick": pl.Int64(),                  # 速算扣除数
    "tax_due": pl.Int64(),                # taxable × rate − quick (cumulative: the year's tax so far)
    "withheld_before": pl.Int64(),        # 累计已预扣税额 before this month (cumulative only)
    "income_tax": pl.Int64(),             # 个人所得税 of the month
    "months_employed": pl.Int32(),        # 任职受雇月份数 this year, this month included
    "cum_income": pl.Int64(),             # 累计收入
    "cum_special": pl.Int64(),            # 累计专项扣除
    "cum_special_additional": pl.Int64(),  # 累计专项附加扣除
    "cum_basic": pl.Int64(),              # Σ basic deduction per month employed (5,000 × n)
    "full_year_applied": pl.Boolean(),    # 全年6万减除 applied (basic_applied = 60,000)
    "taxed_bonus": pl.Int64(),            # the year-end bonus taxed apart candidate (taxed.split_pay)
    "bonus_apart": pl.Boolean(),          # taxed apart this month (else it is in `wages`)
    "bonus_shortfall": pl.Int64(),        # 国税发〔2005〕9号 shortfall (0 under 财税〔2018〕164号)
    "bonus_base": pl.Int64(),             # B
    "bonus_bracket": pl.Int32(),
    "bonus_upto": pl.Int64(),             # monthly bound that B ÷ 12 does not exceed (null at the top)
    "bonus_rate": pl.Int64(),
    "bonus_quick": pl.Int64(),
    "bonus_tax": pl.Int64(),              # 年终奖个税
}


@dataclass(frozen=True)
class TaxResult:
    """What compute_tax returns (see its docstring)."""

    lines: pl.DataFrame        # LINES_SCHEMA, one row per manager of `pay`
    state: pl.DataFrame        # STATE_SCHEMA, every manager ever taxed: the ledger keeps it
    exceptions: pl.DataFrame   # EXCEPTION_SCHEMA: bonus_tax_trap and input_warning rows
    trace: pl.DataFrame        # TRACE_SCHEMA, one row per manager of `pay`


def _warnings(df: pl.DataFrame, p: TaxParams, computed: bool) -> pl.DataFrame:
    c = pl.col
    y = lambda e: yuan_expr(e, grouped=False)  # noqa: E731
    month = fmt_month(p.receipt_month)
    parts = [deductions.missing_rows(df, computed), net.carried_rows(df)]
    if computed and p.regime != "cumulative":
        parts.append(df.filter(c("special_additional") > 0).select(
            "manager_id", pl.format("special_additional_not_in_force:专项附加扣除 {} 元:{} 发放的工资按月计税,"
                                    "专项附加扣除自2019年起施行,未扣除", y(c("special_additional")),
                                    pl.lit(month)).alias("message")))
    if p.full_year == 0 or p.regime != "cumulative":
        parts.append(df.filter(c("full_year_flag").fill_null(False)).select(
            "manager_id", pl.lit(f"full_year_not_in_force:全年6万减除为“是”,但 {month} 发放的工资不适用"
                                 f"国家税务总局公告2020年第19号(该月尚未施行或按月计税),"
                                 f"减除费用按每月 {p.basic // 100} 元计").alias("message")))
    parts.append(df.filter(c("bonus_second")).select(
        "manager_id", pl.format("bonus_second_time:全年一次性奖金单独计税每年只允许采用一次(国税发〔2005〕9号),"
                                "{} 年已采用;本月年终奖 {} 元并入工资薪金计税", pl.lit(str(p.year)),
                                y(c("taxed_bonus"))).alias("message")))
    if not computed:
        parts.append(df.filter(c("bonus_apart")).select(
            "manager_id", pl.format("bonus_not_taxed:本月无扣缴文件 deductions,年终奖 {} 元未计算个税",
                                    y(c("taxed_bonus"))).alias("message")))
    return warnings_frame(*parts)


def compute_tax(pay: pl.DataFrame, deductions_frame: pl.DataFrame | None, prior_state: pl.DataFrame | None,
                params: TaxParams) -> TaxResult:
    """The tax and net pay of one month of receipt, for the whole population at once (SPEC 9).

    Inputs
      pay          one row per manager whose pay is received in `params.receipt_month`:
                   manager_id (String), gross_pay (Int64 fen, 应发合计, may be negative), and where the
                   rulebook has them year_end_bonus, recovery (≤ 0), performance_bonus (securities; an rcc
                   frame without them has no bonus taxed apart); `name` (optional) names exception rows.
                   Withheld pay (暂扣) belongs to the month in which it is actually paid.
      deductions_frame  the month's validated `deductions` file (DEDUCTIONS: manager_id, pension_insurance,
                   medical_insurance, unemployment_insurance, housing_fund, special_additional,
                   other_deduction as Int64 fen or null, full_year_deduction Boolean or null), or None when
                   the month has no deductions file: then the month only enters the year's sums (wages,
                   months employed) and computes no tax and no net of its own (net_pay null, taxes 0).
      prior_state  the tax state after the previous month (STATE_SCHEMA; None or empty at the first
                   month; `opening.seed_state` when adopting mid-year). Columns an older ledger lacks are
                   read as null.
      params       params_at(tax rulebook, receipt month); receipt month = receipt_month(rb, pay month).

    Output (TaxResult)
      lines        LINES_SCHEMA per manager of `pay`: gross_pay 应发合计, social_insurance 社保个人,
                   housing_fund 公积金个人, income_tax 个人所得税, bonus_tax 年终奖个税, other_deduction
                   其他扣款, carried_deduction 上月结转扣款, net_pay 实发合计 (≥ 0; null without deductions),
                   carry_forward (the negative remainder, next month's 上月结转扣款; not a line of this slip).
                   net_pay = gross_pay − the six deductions where that is ≥ 0, else 0.
      state        STATE_SCHEMA for every manager in prior_state or pay; the ledger must keep it and pass
                   it to the next month (a re-run of month M passes the state after M − 1).
      exceptions   EXCEPTION_SCHEMA rows: bonus_tax_trap (amount = the net lost, fen, no pay effect) and
                   input_warning (messages prefixed deductions_missing:, net_carried:, bonus_second_time:,
                   bonus_not_taxed:, full_year_not_in_force:, special_additional_not_in_force:). The
                   article is empty: fill it from the tax rulebook's [exceptions] as for the pay rulebook.
      trace        TRACE_SCHEMA per manager: every figure of the tax computation.

    Rounding: every tax amount is rounded half-up to the fen (one product base × rate per amount)."""
    p = params
    computed = deductions_frame is not None
    for k in ("manager_id", "gross_pay"):
        if k not in pay.columns:
            raise ValueError(f"compute_tax: the pay frame needs a column {k}")
    if pay.get_column("manager_id").is_duplicated().any():
        raise ValueError("compute_tax: the pay frame has two rows for one manager")
    keep = [k for k in ("manager_id", "name", "gross_pay", "year_end_bonus", "recovery", "performance_bonus")
            if k in pay.columns]
    df = pay.select(keep).with_columns(pl.col("manager_id").cast(pl.String), pl.col("gross_pay").cast(pl.Int64))
    if "name" not in df.columns:
        df = df.with_columns(pl.lit(None, pl.String).alias("name"))
    prior = state.conform(prior_state)
    df = taxed.split_pay(df)
    df = deductions.attach(df, deductions_frame)
    df = state.carry_in(df, prior, p)
    df = bonus.treatment(df, p)
    df = state.accumulate(df, p, special_additional=p.regime == "cumulative")
    df = (cumulative.wage_tax if p.regime == "cumulative" else monthly.wage_tax)(df, p, computed)
    df = bonus.bonus_tax(df, p, computed)
    df = net.net_pay(df, computed)
    df = df.sort("manager_id")

    lines = df.select([pl.col(k).cast(t) for k, t in LINES_SCHEMA.items()])
    trace = df.with_columns(pl.lit(p.receipt_month, pl.Int32).alias("receipt_month"),
                            pl.lit(p.regime).alias("regime"), pl.lit(computed).alias("computed"),
                            pl.col("wages_taxed").alias("wages")).select(
        [pl.col(k).cast(t) for k, t in TRACE_SCHEMA.items()])
    names = df.select("manager_id", "name")
    exceptions = concat_exceptions([bonus.trap_rows(df, p, computed),
                                    warning_rows(_warnings(df, p, computed), names)])
    return TaxResult(lines=lines, state=state.next_state(prior, df, p, computed),
                     exceptions=exceptions, trace=trace)


__all__ = ["DEDUCTIONS", "EXCEPTION_SCHEMA", "LINES", "LINES_SCHEMA", "OPENING_COLUMNS", "STATE_SCHEMA",
           "TRACE_SCHEMA", "Table", "TaxParams", "TaxResult", "compute_tax", "empty_state", "params_at",
           "receipt_month", "seed_state"]
