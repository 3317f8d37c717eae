"""Interest income (利息收入): Z-Art.12 target, Z-Art.19(2)(3) reward and penalty, Z-Art.20 dedicated
collectors (SPEC 4)."""

from __future__ import annotations

import polars as pl

from cm_payroll.units import apply_rate
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
