"""What both rulebooks pay or withhold the same way: the adjustments file (其他奖励, 补发, 扣款; SPEC 2,
3.5) and the payment status (暂扣, S-Art.9; SPEC 3.10; decisions 18, 38)."""

from __future__ import annotations

import polars as pl


def adjustments(df: pl.DataFrame, adj: pl.DataFrame, pays_other_reward: pl.Expr) -> pl.DataFrame:
    """# S-Art.10, 20, 33 — 其他奖励 from the adjustments file, paid where `pays_other_reward` holds
    (securities: not in standby, pending_termination, base_only, S-Art.20; rcc: always); 补发 / 扣款
    go into the correction line (a deduction is subtracted)."""
    agg = adj.group_by("manager_id").agg(
        pl.col("amount").filter(pl.col("component") == "other_reward").sum().alias("other_reward_input"),
        (pl.col("amount").filter(pl.col("component") == "back_pay").sum()
         - pl.col("amount").filter(pl.col("component") == "deduction").sum()).alias("adjustment_correction"),
    )
    df = df.join(agg, on="manager_id", how="left").with_columns(
        pl.col("other_reward_input").fill_null(0), pl.col("adjustment_correction").fill_null(0))
    return df.with_columns(
        pl.when(pays_other_reward).then(pl.col("other_reward_input")).otherwise(0).alias("other_reward"))


def payment_status(df: pl.DataFrame) -> pl.DataFrame:
    """# S-Art.9 — 辞职必须提前一个月提出申请,经批准并办理完…移交验证手续后准予离职,否则将扣发相关薪酬.

    暂扣 (withheld) when (a) the month has 交接未完成 and this employment has a 辞职申请 in this month
    or earlier (decision 18), or (b) the month's 解除完成 is dated less than one calendar month after
    the employment's resignation (decision 38): one month is the same day of the next month, or that
    month's last day when it is shorter (2013-01-31 → 2013-02-28). The resignation date is the
    earliest of the employment, kept in the ledger state (`resignation_date`) from month to month."""
    c = pl.col
    same = ~c("new_employment")
    resigned_before = same & c("s_resigned").fill_null(False)
    earlier_date = pl.when(same).then(c("s_resignation_date")).otherwise(None).cast(pl.Date)
    resignation_date = pl.coalesce(earlier_date, c("ev_resignation_date"))
    df = df.with_columns(resignation_date.alias("resignation_date"))
    handover = c("ev_handover_incomplete") & (c("ev_resignation") | resigned_before)
    notice = (c("ev_terminated") & c("resignation_date").is_not_null() & c("ev_terminated_date").is_not_null()
              & (c("ev_terminated_date") < c("resignation_date").dt.offset_by("1mo"))).fill_null(False)
    return df.with_columns(
        (c("ev_resignation") | resigned_before).alias("resigned"),
        handover.alias("withheld_handover"), notice.alias("withheld_notice"),
        pl.when(handover | notice).then(pl.lit("withheld")).otherwise(pl.lit("normal")).alias("payment_status"))


def withheld_text() -> pl.Expr:
    """The reason(s) of a withheld month (S-Art.9), for the exceptions report: the handover, the
    notice shorter than one month with its two dates, or both."""
    c = pl.col
    handover = pl.lit("已提出辞职申请且交接未完成")
    notice = pl.format("辞职未提前一个月申请(辞职申请 {},解除 {},不足一个月)",
                       c("resignation_date").dt.strftime("%Y-%m-%d"), c("ev_terminated_date").dt.strftime("%Y-%m-%d"))
    why = (pl.when(c("withheld_handover") & c("withheld_notice")).then(pl.format("{};{}", handover, notice))
           .when(c("withheld_notice")).then(notice).otherwise(handover))
    return pl.format("{},本月薪酬暂扣", why)


__all__ = ["adjustments", "payment_status", "withheld_text"]
