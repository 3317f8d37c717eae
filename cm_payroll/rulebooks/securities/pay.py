"""Monthly pay components (薪酬结构, S-Art.10–20; SPEC 3.5)."""

from __future__ import annotations

import polars as pl

from cm_payroll.units import apply_rate
from cm_payroll.rulebooks.securities.params import Params

PAID_IN_FULL = ("trainee", "active")


def base_and_allowance(df: pl.DataFrame, p: Params) -> pl.DataFrame:
    """# S-Art.11, 12, 20, 22 — 基础工资 by level in every status (advisors their own base);
    展业补贴 not in standby, pending_termination, base_only."""
    base = pl.lit(p.advisor_pay.base_salary, pl.Int64)
    allowance = pl.lit(p.advisor_pay.allowance, pl.Int64)
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
