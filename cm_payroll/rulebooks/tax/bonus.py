"""The year-end bonus taxed apart (全年一次性奖金单独计税, SPEC 9) and the bonus tax trap (年终奖临界点).

国税发〔2005〕9号 二: "先将雇员当月内取得的全年一次性奖金,除以12个月,按其商数确定适用税率和速算扣除数。如果在
发放年终一次性奖金的当月,雇员当月工资薪金所得低于税法规定的费用扣除额,应将全年一次性奖金减除'雇员当月工资
薪金所得与费用扣除额的差额'后的余额,按上述办法确定 … 应纳税额 = 雇员当月取得全年一次性奖金 × 适用税率 − 速算扣除数";
三: "在一个纳税年度内,对每一个纳税人,该计税办法只允许采用一次。"
财税〔2018〕164号 一(一): "… 以全年一次性奖金收入除以12个月得到的数额,按照本通知所附按月换算后的综合所得税率表,
确定适用税率和速算扣除数,单独计算纳税。计算公式为:应纳税额 = 全年一次性奖金收入 × 适用税率 − 速算扣除数";
extended through 2027-12 (财政部 税务总局公告2023年第30号).

Rulebook `bonus_separate` names the treatment in force in the month of receipt: `shortfall` (2005-9,
B = max(0, bonus − max(0, basic − (wages − insurances)))), `converted` (164号, B = bonus) or `none`
(the bonus is wages). In both methods B ÷ 12 finds the bracket of the monthly table — compared
exactly, B ≤ 12 × bound — and tax = max(0, B × rate − quick deduction), rounded half-up to the fen.
"""

from __future__ import annotations

import polars as pl

from cm_payroll.rulebooks.shared.exceptions import exception_rows
from cm_payroll.rulebooks.tax import brackets
from cm_payroll.rulebooks.tax.params import TaxParams
from cm_payroll.units import rate as rate_text
from cm_payroll.units import yuan_expr

ZERO = pl.lit(0, pl.Int64)


def treatment(df: pl.DataFrame, p: TaxParams) -> pl.DataFrame:
    """Whether the taxed bonus (taxed.split_pay) is taxed apart this month. Needs `taxed_bonus`, `wages`,
    `bonus_year` (state); adds `bonus_apart` (a bonus > 0, a separate treatment in force, and none used
    yet in this year of receipt), `bonus_second` (a bonus when the treatment was already used this
    year: it is wages, 国税发〔2005〕9号 三) and `wages_taxed` (wages, plus the bonus where it is not
    taxed apart)."""
    c = pl.col
    candidate = (c("taxed_bonus") > 0) & pl.lit(p.bonus_method != "none")
    second = candidate & (c("bonus_year") == p.year).fill_null(False)
    return df.with_columns((candidate & ~second).alias("bonus_apart"), second.alias("bonus_second")).with_columns(
        (c("wages") + pl.when(c("bonus_apart")).then(ZERO).otherwise(c("taxed_bonus"))).alias("wages_taxed"))


def bonus_tax(df: pl.DataFrame, p: TaxParams, computed: bool) -> pl.DataFrame:
    """The tax on the bonus taxed apart. Needs treatment's columns and `insurances`; adds (null where
    the bonus is not taxed apart) `bonus_shortfall` (当月工资薪金所得与费用扣除额的差额, shortfall method
    only, else 0), `bonus_base` (B), `bonus_bracket`, `bonus_upto` (the monthly bound B ÷ 12 is
    compared with), `bonus_rate` (ppm), `bonus_quick`; and `bonus_tax` (年终奖个税, 0 where not taxed
    apart or not computed)."""
    c = pl.col
    t = p.monthly
    apart = c("bonus_apart")
    if p.bonus_method == "shortfall":
        shortfall = pl.max_horizontal(pl.lit(p.basic, pl.Int64) - (c("wages_taxed") - c("insurances")), ZERO)
    else:
        shortfall = ZERO
    df = df.with_columns(pl.when(apart).then(shortfall).alias("bonus_shortfall")).with_columns(
        pl.when(apart).then(pl.max_horizontal(c("taxed_bonus") - c("bonus_shortfall"), ZERO)).alias("bonus_base"))
    df = df.with_columns(pl.when(apart).then(brackets.index(c("bonus_base"), t, 12)).alias("bonus_bracket"))
    b = c("bonus_bracket")
    tax = brackets.tax(c("bonus_base"), b, t)
    return df.with_columns(brackets.upper_bound(b, t).alias("bonus_upto"), brackets.rate(b, t).alias("bonus_rate"),
                           brackets.quick(b, t).alias("bonus_quick"),
                           (pl.when(apart).then(tax).otherwise(ZERO) if computed else ZERO).alias("bonus_tax"))


def trap(df: pl.DataFrame, p: TaxParams) -> pl.DataFrame:
    """Adds `trap_boundary` (B0 = 12 × the bound crossed), `trap_boundary_tax` (its tax, in the bracket
    below) and `trap_lost` (税后少得: (tax(B) − tax(B0)) − (B − B0), the bonus above the boundary minus
    the extra tax; null where B is in the first bracket or the bonus is not taxed apart).

    Lowering the bonus by B − B0 lowers B by as much (the shortfall stays), so the manager would net
    `trap_lost` more at the boundary: a trap where it is > 0."""
    c = pl.col
    t = p.monthly
    b = c("bonus_bracket")
    df = df.with_columns(brackets.lower_boundary(b, t, 12).alias("trap_boundary"),
                         brackets.tax_at_lower_boundary(b, t, 12).alias("trap_boundary_tax"))
    tax = brackets.tax(c("bonus_base"), b, t)
    return df.with_columns(((tax - c("trap_boundary_tax")) - (c("bonus_base") - c("trap_boundary"))).alias("trap_lost"))


def trap_rows(df: pl.DataFrame, p: TaxParams, computed: bool) -> pl.DataFrame:
    """年终奖临界点 — one `bonus_tax_trap` exception row per manager whose bonus taxed apart lies just
    above a bracket boundary × 12 so that he nets less than at the boundary; amount = the net lost
    (fen, > 0), no pay effect, no approval."""
    if not computed or not df.get_column("bonus_apart").any():
        return exception_rows(df, pl.lit(False), "bonus_tax_trap", pl.lit(""))
    c = pl.col
    t = p.monthly
    d = trap(df, p)
    def rtext(rates: list[int | None]) -> pl.Expr:
        texts = [None if r is None else rate_text(r) for r in rates]
        return pl.lit(pl.Series(texts, dtype=pl.String)).gather(c("bonus_bracket"))
    boundary_bonus = c("taxed_bonus") - (c("bonus_base") - c("trap_boundary"))
    y = lambda e: yuan_expr(e, grouped=False)  # noqa: E731
    desc = pl.format(
        "年终奖(单独计税){} 元超过临界点 {} 元(计税额÷12 超过 {} 元){} 元:适用税率由 {} 升至 {},年终奖个税 {} 元,"
        "比临界点多缴 {} 元,税后少得 {} 元",
        y(c("taxed_bonus")), y(boundary_bonus), y(c("trap_boundary") // 12), y(c("bonus_base") - c("trap_boundary")),
        rtext([None, *t.rates[:-1]]), rtext(list(t.rates)), y(c("bonus_tax")), y(c("bonus_tax") - c("trap_boundary_tax")),
        y(c("trap_lost")))
    return exception_rows(d, c("bonus_apart") & (c("trap_lost") > 0).fill_null(False), "bonus_tax_trap", desc,
                          c("trap_lost"))


__all__ = ["bonus_tax", "trap", "trap_rows", "treatment"]
