"""Year-end bonus and deficit recovery (年终奖, S-Art.14; SPEC 3.9; decisions 16, 17)."""

from __future__ import annotations

import polars as pl

from cm_payroll.units import apply_rate
from cm_payroll.rulebooks.securities.params import Params


def year_sums(df: pl.DataFrame, m: int) -> pl.DataFrame:
    """Σ net income (signed, decision 16) and Σ performance bonus of the year on this employment,
    this month included (the bonus as finally paid, after any component override).

    # S-Art.8(4) — 业绩造假,经查实,取消其当月绩效督导奖励和营销绩效奖.
    The year-end true-up must not pay back what S-Art.8(4) cancelled (decision 43): a fraud month's
    positive net income is left out of Σ net income (its bonus, 0, stays in Σ bonus as paid) and
    summed apart in `ytd_fraud_excluded` (shown on December's slip); a fraud month with negative net
    income stays in (leaving it out would raise the year-end bonus)."""
    c = pl.col
    same_year = ~c("new_employment") & (c("s_year") == m // 12)

    def carried(col: str) -> pl.Expr:
        return pl.when(same_year).then(c(f"s_{col}").fill_null(0)).otherwise(0)

    excluded = pl.when(c("ev_fraud") & (c("net_income") > 0)).then(c("net_income")).otherwise(0)
    return df.with_columns(
        (carried("ytd_net_income") + c("net_income") - excluded).alias("ytd_net_income"),
        (carried("ytd_performance_bonus") + c("performance_bonus")).alias("ytd_performance_bonus"),
        (carried("ytd_fraud_excluded") + excluded).cast(pl.Int64).alias("ytd_fraud_excluded"),
    )


def tenure_rate(p: Params) -> pl.Expr:
    """# S-Art.14 — 司龄计提比例 by whole years of tenure; the last entry applies beyond."""
    rates = p.year_end.tenure_rates
    expr = pl.lit(rates[-1], pl.Int64)
    for years in range(len(rates) - 2, -1, -1):
        expr = pl.when(pl.col("tenure") <= years).then(pl.lit(rates[years], pl.Int64)).otherwise(expr)
    return expr


def year_end(df: pl.DataFrame, m: int, p: Params) -> pl.DataFrame:
    """# S-Art.14 — 年终奖=(全年各月累计实际净收入×(12月份的营销绩效奖计提比例+司龄计提比例))-全年营销绩效奖总额;
    如小于等于0,则在下一年度的绩效奖和年终奖中扣回。

    Computed every December: Y = round(Σ net × (December rate + tenure rate)) − Σ bonus. A positive Y
    is paid except in pending_termination/base_only; Y ≤ 0 is carried as a deficit whatever the status.
    """
    december = m % 12 + 1 == p.year_end.month
    if not december:
        return df.with_columns(pl.lit(None, pl.Int64).alias("tenure_rate"),
                               pl.lit(None, pl.Int64).alias("year_end_y"),
                               pl.lit(0, pl.Int64).alias("year_end_bonus"),
                               pl.lit(0, pl.Int64).alias("new_deficit"))
    tr = tenure_rate(p)
    y = apply_rate(pl.col("ytd_net_income"), pl.col("year_end_rate") + tr) - pl.col("ytd_performance_bonus")
    df = df.with_columns(tr.alias("tenure_rate"), y.alias("year_end_y"))
    paid = pl.when((pl.col("year_end_y") > 0) & ~pl.col("status").is_in(["pending_termination", "base_only"])
                   ).then(pl.col("year_end_y")).otherwise(0)
    return df.with_columns(paid.alias("year_end_bonus"),
                           pl.when(pl.col("year_end_y") < 0).then(-pl.col("year_end_y")).otherwise(0)
                           .alias("new_deficit"))


def recovery(df: pl.DataFrame) -> pl.DataFrame:
    """# S-Art.14 (decision 17) — a carried deficit is recovered from performance bonuses month by
    month (never below 0), then from a paid December year-end bonus; a new deficit is added after, so
    it is never recovered in the December it arose."""
    carried = pl.col("s_deficit").fill_null(0)
    from_bonus = pl.min_horizontal(carried, pl.col("performance_bonus"))
    from_ye = pl.min_horizontal(carried - from_bonus, pl.col("year_end_bonus"))
    df = df.with_columns(from_bonus.alias("_rec_bonus"))
    df = df.with_columns(from_ye.alias("_rec_ye"))
    return df.with_columns(
        (-(pl.col("_rec_bonus") + pl.col("_rec_ye"))).alias("recovery"),
        (carried - pl.col("_rec_bonus") - pl.col("_rec_ye") + pl.col("new_deficit")).alias("deficit"),
    ).drop("_rec_bonus", "_rec_ye")
