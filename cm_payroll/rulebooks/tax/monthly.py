"""The monthly regimes (按月计税): receipts 2011-09 … 2018-09 and 2018-10 … 2018-12 (SPEC 9).

个人所得税法(2011年修正)第六条: "工资、薪金所得,以每月收入额减除费用三千五百元后的余额,为应纳税所得额。"
财税〔2018〕98号: "2018年10月1日至2018年12月31日 … 减除费用统一按照5000元/月执行,并按照本通知所附个人所得税税率表
一(综合所得适用)按月换算后计算应纳税额。"

taxable = max(0, wages − insurances − basic deduction); tax = taxable × rate − quick deduction by the
monthly table in force (rulebook `basic_deduction`, `monthly_brackets`). No month carries to another.
专项附加扣除 does not exist before 2019 and is not deducted.
"""

from __future__ import annotations

import polars as pl

from cm_payroll.rulebooks.tax import brackets
from cm_payroll.rulebooks.tax.params import TaxParams

ZERO = pl.lit(0, pl.Int64)


def wage_tax(df: pl.DataFrame, p: TaxParams, computed: bool) -> pl.DataFrame:
    """The month's tax on wages. Needs `wages_taxed` and `insurances`; adds `basic_applied` (the
    month's 减除费用), `taxable` (应纳税所得额), `bracket` (0-based), `bracket_upto` (its upper bound, null
    at the top), `rate` (ppm), `quick` (速算扣除数), `tax_due` (the table's tax of `taxable`) and
    `income_tax` (个人所得税: tax_due in a computed month, else 0), Int64 fen; and, for a trace shaped
    like the cumulative one, `full_year_applied` false and `withheld_before` null."""
    c = pl.col
    t = p.monthly
    df = df.with_columns(pl.lit(p.basic, pl.Int64).alias("basic_applied")).with_columns(
        pl.max_horizontal(c("wages_taxed") - c("insurances") - c("basic_applied"), ZERO).alias("taxable"))
    df = df.with_columns(brackets.index(c("taxable"), t).alias("bracket"))
    df = df.with_columns(brackets.upper_bound(c("bracket"), t).alias("bracket_upto"),
                         brackets.rate(c("bracket"), t).alias("rate"),
                         brackets.quick(c("bracket"), t).alias("quick"),
                         brackets.tax(c("taxable"), c("bracket"), t).alias("tax_due"))
    return df.with_columns((c("tax_due") if computed else ZERO).alias("income_tax"),
                           pl.lit(False).alias("full_year_applied"), pl.lit(None, pl.Int64).alias("withheld_before"))


__all__ = ["wage_tax"]
