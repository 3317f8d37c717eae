"""Year-end bonus and deficit recovery (年终奖, S-Art.14; SPEC 3.9; decisions 16, 17)."""

from __future__ import annotations

import polars as pl

from cm_payroll.rulebooks.base import Component, Figure
from cm_payroll.rulebooks.securities.params import Params
from cm_payroll.rulebooks.securities.status import STATUS_LABELS
from cm_payroll.units import apply_rate, rate, yuan


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


def _bonus_basis(r: dict, _p: Params, _m: int) -> str:
    if r["year_end_y"] is None:
        return ""
    y = r["year_end_y"]
    excluded = r.get("ytd_fraud_excluded") or 0
    fraud = (f"(不含业绩造假月份净收入 {yuan(excluded)}:当月营销绩效奖已取消,不在年终奖中补回,"
             f"S-Art.8(4))" if excluded else "")
    text = (f"本年净收入 {yuan(r['ytd_net_income'])}{fraud} × ({rate(r['year_end_rate'])} + 司龄 "
            f"{rate(r['tenure_rate'])}) − 本年营销绩效奖 {yuan(r['ytd_performance_bonus'])} = {yuan(y)}")
    if y <= 0:
        text += ";不足部分结转下一年度扣回"
    elif not r["year_end_bonus"]:
        text += f";{STATUS_LABELS[r['status']]},不发放"
    return text


YEAR_END_BONUS = Component(
    "year_end_bonus", "年终奖", "S-Art.14", params=("year_end", "commission", "veteran"),
    figures=(Figure("本年实际净收入", "ytd_net_income", "money"), Figure("本年营销绩效奖", "ytd_performance_bonus", "money"),
             Figure("12月计提比例", "year_end_rate", "rate"), Figure("司龄计提比例", "tenure_rate", "rate"),
             Figure("不计入的业绩造假月份净收入", "ytd_fraud_excluded", "money"),
             Figure("计算结果", "year_end_y", "money")),
    inputs=("clients",),
    rule=lambda p: (f"年终奖({p.year_end.month}月)= 全年实际净收入 × ({p.year_end.month}月计提比例 + 司龄计提比例 "
                    f"{'、'.join(f'{k}年 {rate(x)}' for k, x in enumerate(p.year_end.tenure_rates))}"
                    f"{'及以上' if p.year_end.tenure_rates else ''}) − 全年营销绩效奖;小于等于0的在下一年度扣回;"
                    f"业绩造假月份的正净收入不计入全年实际净收入(当月营销绩效奖已取消,不补回)(S-Art.14, S-Art.8(4))"),
    basis=_bonus_basis)


def _recovery_basis(r: dict, _p: Params, _m: int) -> str:
    if r["recovery"]:
        return f"扣回年终奖亏空;尚余 {yuan(r['deficit'])}"
    return f"结转年终奖亏空 {yuan(r['deficit'])}" if r["deficit"] else ""


RECOVERY = Component(
    "recovery", "年终奖亏空扣回", "S-Art.14", params=("year_end",),
    figures=(Figure("结转亏空(月末)", "deficit", "money"), Figure("本年新增亏空", "new_deficit", "money")),
    rule=lambda p: ("以前年度年终奖亏空从营销绩效奖中逐月扣回(不使其低于0),"
                    f"{p.year_end.month}月再从年终奖中扣回;当年新增的亏空不在当月扣回(S-Art.14)"),
    basis=_recovery_basis)


def notes(r: dict, _p: Params) -> list[str]:
    """December's slip says when a fraud month's income was left out (decision 43)."""
    if r["year_end_y"] is not None and r.get("ytd_fraud_excluded"):
        return [f"年终奖计算不含业绩造假月份的正净收入 {yuan(r['ytd_fraud_excluded'])}:"
                f"该月营销绩效奖已按 S-Art.8(4) 取消,不在年终奖中补回。"]
    return []
