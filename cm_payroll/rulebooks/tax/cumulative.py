"""Cumulative withholding (累计预扣法): receipts from 2019-01 (SPEC 9).

国家税务总局公告2018年第61号 第六条: "本期应预扣预缴税额 = (累计预扣预缴应纳税所得额 × 预扣率 − 速算扣除数)
− 累计减免税额 − 累计已预扣预缴税额 … 累计预扣预缴应纳税所得额 = 累计收入 − 累计免税收入 − 累计减除费用 −
累计专项扣除 − 累计专项附加扣除 − 累计依法确定的其他扣除 … 计算结果为负值时,暂不退税。"
国家税务总局公告2020年第19号: "… 累计减除费用自1月份起直接按照全年6万元计算扣除。"

cumulative taxable = max(0, Σ wages − Σ basic deduction (or 60,000 with 全年6万减除 是) − Σ insurances −
Σ 专项附加扣除); cumulative tax by the annual table; the month's tax = max(0, cumulative tax − tax
withheld earlier this year). The sums are state.accumulate's; this module only taxes them.
"""

from __future__ import annotations

import polars as pl

from cm_payroll.rulebooks.tax import brackets
from cm_payroll.rulebooks.tax.params import TaxParams

ZERO = pl.lit(0, pl.Int64)


def full_year_applies(p: TaxParams) -> pl.Expr:
    """全年6万减除 in force for the row: the flag given this month, else the one given earlier this year,
    and the rule in force in this receipt month (rulebook `full_year_deduction` > 0)."""
    flag = pl.coalesce(pl.col("full_year_flag"), pl.col("prev_full_year")).fill_null(False)
    return flag & pl.lit(p.full_year > 0 and p.regime == "cumulative")


def wage_tax(df: pl.DataFrame, p: TaxParams, computed: bool) -> pl.DataFrame:
    """The month's tax on wages by cumulative withholding. Needs state.accumulate's sums and
    `prev_cum_tax_withheld`; adds `full_year_applied`, `basic_applied` (累计减除费用 deducted), `taxable`
    (累计预扣预缴应纳税所得额), `bracket`, `bracket_upto`, `rate`, `quick`, `tax_due` (the cumulative tax
    of `taxable`), `withheld_before` and `income_tax` (max(0, tax_due − withheld_before) in a computed
    month, else 0: a month without deductions computes no tax of its own)."""
    c = pl.col
    t = p.annual
    assert t is not None
    df = df.with_columns(full_year_applies(p).alias("full_year_applied")).with_columns(
        pl.when(c("full_year_applied")).then(pl.lit(p.full_year, pl.Int64)).otherwise(c("cum_basic"))
        .alias("basic_applied"))
    df = df.with_columns(pl.max_horizontal(c("cum_income") - c("basic_applied") - c("cum_special")
                                           - c("cum_special_additional"), ZERO).alias("taxable"))
    df = df.with_columns(brackets.index(c("taxable"), t).alias("bracket"))
    df = df.with_columns(brackets.upper_bound(c("bracket"), t).alias("bracket_upto"),
                         brackets.rate(c("bracket"), t).alias("rate"),
                         brackets.quick(c("bracket"), t).alias("quick"),
                         brackets.tax(c("taxable"), c("bracket"), t).alias("tax_due"),
                         c("prev_cum_tax_withheld").alias("withheld_before"))
    month = pl.max_horizontal(c("tax_due") - c("withheld_before"), ZERO)
    return df.with_columns((month if computed else ZERO).alias("income_tax"))


__all__ = ["full_year_applies", "wage_tax"]
