"""Monthly pay components (薪酬结构, S-Art.10–20; SPEC 3.5)."""

from __future__ import annotations

import polars as pl

from cm_payroll.money import apply_rate
from cm_payroll.rulebooks.securities.params import Params

PAID_IN_FULL = ("trainee", "active")


def base_and_allowance(df: pl.DataFrame, p: Params) -> pl.DataFrame:
    """# S-Art.11, 12, 20, 22 — 基础工资 by level in every status (advisors their own base);
    展业补贴 not in standby, pending_termination, base_only."""
    base = pl.lit(p.advisor_base, pl.Int64)
    allowance = pl.lit(p.advisor_allowance, pl.Int64)
    for lv in p.levels:
        base = pl.when(pl.col("level") == lv.key).then(pl.lit(lv.base_salary, pl.Int64)).otherwise(base)
        allowance = pl.when(pl.col("level") == lv.key).then(pl.lit(lv.allowance, pl.Int64)).otherwise(allowance)
    return df.with_columns(
        base.alias("base_salary"),
        pl.when(pl.col("status").is_in(PAID_IN_FULL)).then(allowance).otherwise(0).alias("allowance"))


def performance_bonus(df: pl.DataFrame) -> pl.DataFrame:
    """# S-Art.13, 8(4) — 营销绩效奖 = max(实际净收入, 0) × rate, rounded half-up to the fen;
    0 in base_only (rate 0) and in a fraud month (取消其当月营销绩效奖)."""
    bonus = apply_rate(pl.max_horizontal(pl.col("net_income"), pl.lit(0, pl.Int64)), pl.col("rate"))
    return df.with_columns(pl.when(pl.col("ev_fraud")).then(0).otherwise(bonus).alias("performance_bonus"))


def adjustments(df: pl.DataFrame, adj: pl.DataFrame) -> pl.DataFrame:
    """# S-Art.10, 20, 33 — 其他奖励 (not paid in standby, pending_termination, base_only);
    补发 / 扣款 go into the correction line (a deduction is subtracted)."""
    agg = adj.group_by("manager_id").agg(
        pl.col("amount").filter(pl.col("component") == "other_reward").sum().alias("other_reward_input"),
        (pl.col("amount").filter(pl.col("component") == "back_pay").sum()
         - pl.col("amount").filter(pl.col("component") == "deduction").sum()).alias("adjustment_correction"),
    )
    df = df.join(agg, on="manager_id", how="left").with_columns(
        pl.col("other_reward_input").fill_null(0), pl.col("adjustment_correction").fill_null(0))
    return df.with_columns(
        pl.when(pl.col("status").is_in(PAID_IN_FULL)).then(pl.col("other_reward_input")).otherwise(0)
        .alias("other_reward"))


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
