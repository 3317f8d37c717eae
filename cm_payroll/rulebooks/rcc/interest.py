"""Interest income (利息收入): Z-Art.12 target, Z-Art.19(2)(3) reward and penalty, Z-Art.20 dedicated
collectors (SPEC 4)."""

from __future__ import annotations

import polars as pl

from cm_payroll.rulebooks.base import Component, Figure
from cm_payroll.units import apply_rate, rate, yuan
from cm_payroll.rulebooks.rcc.params import Params


def interest_reward(df: pl.DataFrame, p: Params) -> pl.DataFrame:
    """Z-Art.19(2)(3), Z-Art.20 — 完成利息收入目标且当年贷款全部收回,超利息收入目标部分按7%给予奖励;欠利息收入目标部分按7%处罚.

    excess = interest collected − interest_target (Z-Art.12: 创造贷款利息收入应不低于…).
    excess > 0: reward 7% × excess, but only when the manager is not a dedicated collector
    (Z-Art.20: 从事专责清收个人责任贷款的客户经理,其超利息收入目标部分不实行奖励) and none of the
    manager's loans issued this year is overdue (当年贷款全部收回). excess < 0: penalty 7% × |excess|,
    negative, dedicated collectors too. Rounded half-up to the fen.
    Needs: interest_collected, interest_target, dedicated_collection, overdue_this_year."""
    # Z-Art.19, Z-Art.20
    c = pl.col
    excess = c("interest_collected") - c("interest_target")
    dedicated = c("dedicated_collection").fill_null(False)
    blocked_overdue = c("overdue_this_year") > 0
    eligible = ~dedicated & ~blocked_overdue
    amount = (pl.when(excess > 0).then(pl.when(eligible).then(apply_rate(excess, p.interest_rate))
                                       .otherwise(pl.lit(0, pl.Int64)))
              .when(excess < 0).then(apply_rate(excess, p.interest_rate))
              .otherwise(pl.lit(0, pl.Int64)))
    return df.with_columns(
        excess.alias("interest_excess"),
        ((excess > 0) & dedicated).alias("interest_blocked_dedicated"),
        ((excess > 0) & ~dedicated & blocked_overdue).alias("interest_blocked_overdue"),
        amount.cast(pl.Int64).alias("interest_reward"))


def _basis(r: dict, p: Params, _m: int) -> str:
    per = rate(p.interest_rate, permille=True)
    ex = r["interest_excess"]
    if ex > 0 and r["interest_blocked_dedicated"]:
        return f"收息超目标 {yuan(ex)},专责清收客户经理超目标部分不奖励(Z-Art.20)"
    if ex > 0 and r["interest_blocked_overdue"]:
        return f"收息超目标 {yuan(ex)},但当年发放贷款有 {r['overdue_this_year']} 笔逾期未收回,不奖励(Z-Art.19(2))"
    if ex > 0:
        return f"(收息 {yuan(r['interest_collected'])} − 目标 {yuan(r['interest_target'])}) × {per} 奖励"
    if ex < 0:
        return f"欠目标:(收息 {yuan(r['interest_collected'])} − 目标 {yuan(r['interest_target'])})× {per} 处罚"
    return "收息恰好完成目标"


INTEREST_REWARD = Component(
    "interest_reward", "收息奖罚", "Z-Art.12, Z-Art.19, Z-Art.20", params=("interest_rate",),
    figures=(Figure("本月收息", "interest_collected", "money"), Figure("收息目标", "interest_target", "money"),
             Figure("超(欠)目标", "interest_excess", "money"), Figure("专责清收", "dedicated_collection", "bool"),
             Figure("当年发放贷款逾期笔数", "overdue_this_year", "int")),
    inputs=("loans", "targets", "roster"),
    rule=lambda p: (f"完成利息收入目标且当年贷款全部收回,超目标部分按 {rate(p.interest_rate, permille=True)} 奖励;欠目标部分按 "
                    f"{rate(p.interest_rate, permille=True)} 处罚;专责清收客户经理超目标部分不奖励"
                    f"(Z-Art.12, Z-Art.19(2)(3), Z-Art.20)"),
    basis=_basis)
