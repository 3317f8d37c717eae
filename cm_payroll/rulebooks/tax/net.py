"""Net pay (实发合计, SPEC 9) and the negative remainder carried to the next month (上月结转扣款).

SPEC 9: "社保个人 (the three insurances), 公积金个人, 个人所得税 (on wages), 年终奖个税 (December, on the
year-end bonus taxed apart), 其他扣款, and 实发合计 = 应发合计 − all of these … 其他扣款 is deducted from
net pay, not from taxable income … A negative 实发 (penalties, 追回 or deductions above gross) is paid as
0.00; the negative remainder is carried into the next month as a deduction line 上月结转扣款 and listed
(`input_warning`)."
"""

from __future__ import annotations

import polars as pl

from cm_payroll.units import yuan_expr

ZERO = pl.lit(0, pl.Int64)

# The slip lines of the tax, in slip order: (column, Chinese header). `carry_forward` is not a slip
# deduction of this month: it is next month's 上月结转扣款.
LINES = (
    ("gross_pay", "应发合计"),
    ("social_insurance", "社保个人"),
    ("housing_fund", "公积金个人"),
    ("income_tax", "个人所得税"),
    ("bonus_tax", "年终奖个税"),
    ("other_deduction", "其他扣款"),
    ("carried_deduction", "上月结转扣款"),
    ("net_pay", "实发合计"),
    ("carry_forward", "结转下月扣款"),
)
DEDUCTION_LINES = ("social_insurance", "housing_fund", "income_tax", "bonus_tax", "other_deduction",
                   "carried_deduction")


def net_pay(df: pl.DataFrame, computed: bool) -> pl.DataFrame:
    """实发合计 = 应发合计 − 社保个人 − 公积金个人 − 个人所得税 − 年终奖个税 − 其他扣款 − 上月结转扣款, paid
    as max(0, ·). Needs `gross_pay`, the deductions, `income_tax`, `bonus_tax`, `carried_in`; adds
    `carried_deduction` (the line 上月结转扣款), `net_raw`, `net_pay` and `carry_forward` (= max(0, −net_raw),
    the next month's 上月结转扣款). In a month without deductions no net is computed: net_pay and net_raw
    are null, nothing is deducted and the carried amount passes on unchanged."""
    c = pl.col
    if not computed:
        return df.with_columns(ZERO.alias("carried_deduction"), pl.lit(None, pl.Int64).alias("net_raw"),
                               pl.lit(None, pl.Int64).alias("net_pay"), c("carried_in").alias("carry_forward"))
    df = df.with_columns(c("carried_in").alias("carried_deduction")).with_columns(
        (c("gross_pay") - pl.sum_horizontal([c(k) for k in DEDUCTION_LINES])).alias("net_raw"))
    return df.with_columns(pl.max_horizontal(c("net_raw"), ZERO).alias("net_pay"),
                           pl.max_horizontal(-c("net_raw"), ZERO).alias("carry_forward"))


def carried_rows(df: pl.DataFrame) -> pl.DataFrame:
    """(manager_id, message): the managers whose net is negative this month (SPEC 9, input_warning)."""
    c = pl.col
    owed = yuan_expr(c("carry_forward"), grouped=False)
    msg = pl.format("net_carried:实发合计为 -{} 元,本月实发 0.00 元;{} 元结转下月,作为“上月结转扣款”扣除", owed, owed)
    return df.filter((c("net_raw") < 0).fill_null(False)).select("manager_id", msg.alias("message"))


__all__ = ["DEDUCTION_LINES", "LINES", "carried_rows", "net_pay"]
