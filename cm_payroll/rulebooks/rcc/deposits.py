"""Deposits (组织资金): Z-Art.11 targets, Z-Art.19(2)(3) reward and penalty (SPEC 4; decisions 19, 20, 28)."""

from __future__ import annotations

import polars as pl

from cm_payroll.rulebooks.base import Component, Figure
from cm_payroll.units import apply_rate, rate, yuan
from cm_payroll.rulebooks.rcc.params import Params


def with_targets(df: pl.DataFrame, targets: pl.DataFrame, p: Params) -> pl.DataFrame:
    """Z-Art.11 — 客户经理组织资金月均余额和积数应达到70万元和1500万。具体标准由信用社根据实际情况在签订合同时确定.

    The month's targets per manager; a blank deposit target takes the rulebook default (decision 19).
    Every credit manager has a targets row and an interest target (decision 28, checked before)."""
    # Z-Art.11
    t = targets.select("manager_id", "deposit_target_avg", "deposit_target_accum", "interest_target")
    df = df.join(t, on="manager_id", how="left")
    return df.with_columns(
        pl.col("deposit_target_avg").fill_null(p.deposit_targets.daily_avg),
        pl.col("deposit_target_accum").fill_null(p.deposit_targets.accumulated),
        pl.col("interest_target").fill_null(0),
    )


def with_deposits(df: pl.DataFrame, deposits: pl.DataFrame) -> pl.DataFrame:
    """Z-Art.18(1) — 组织资金。主要考核月度存款余额和积数.

    The manager's daily average balance and accumulated balance (积数) of the month. A credit manager
    without a deposits row has 0 and 0, so the deposit penalty applies (decision 28; warned)."""
    # Z-Art.18
    d = deposits.select("manager_id", pl.col("daily_avg_balance").alias("deposit_avg"),
                        pl.col("accumulated_balance").alias("deposit_accum"), pl.lit(False).alias("_has_dep"))
    df = df.join(d, on="manager_id", how="left")
    return df.with_columns(
        pl.col("_has_dep").is_null().alias("deposits_missing"),
        pl.col("deposit_avg").fill_null(0),
        pl.col("deposit_accum").fill_null(0),
    ).drop("_has_dep")


def deposit_reward(df: pl.DataFrame, p: Params) -> pl.DataFrame:
    """Z-Art.19(2)(3) — 完成存款保底余额积数目标,超保底余额存款按日均余额的3‰给予奖励;存款欠保底余额部分按日均余额的3‰处罚.

    Both targets met (avg ≥ target_avg and accumulated ≥ target_accum): reward 3‰ × (avg − target_avg)
    (of the excess, decision 20). avg below target_avg: penalty 3‰ × (target_avg − avg), negative.
    avg met but the accumulated target missed: neither (decision 20). Rounded half-up to the fen."""
    # Z-Art.19
    c = pl.col
    avg_met = c("deposit_avg") >= c("deposit_target_avg")
    accum_met = c("deposit_accum") >= c("deposit_target_accum")
    diff = c("deposit_avg") - c("deposit_target_avg")
    amount = (pl.when(avg_met & accum_met).then(apply_rate(diff, p.deposit_rate))
              .when(~avg_met).then(apply_rate(diff, p.deposit_rate))      # diff < 0: away from zero
              .otherwise(pl.lit(0, pl.Int64)))
    return df.with_columns(
        avg_met.alias("deposit_avg_met"), accum_met.alias("deposit_accum_met"),
        amount.cast(pl.Int64).alias("deposit_reward"))


def _basis(r: dict, p: Params, _m: int) -> str:
    per = rate(p.deposit_rate, permille=True)
    head = "无存款记录,日均余额按0计;" if r["deposits_missing"] else ""
    if not r["deposit_avg_met"]:
        return (f"{head}欠保底:(保底日均 {yuan(r['deposit_target_avg'])} − 日均余额 "
                f"{yuan(r['deposit_avg'])})× {per} 处罚")
    if not r["deposit_accum_met"]:
        return (f"日均余额 {yuan(r['deposit_avg'])} 达保底,但积数 {yuan(r['deposit_accum'])} "
                f"未达目标 {yuan(r['deposit_target_accum'])}:不奖不罚")
    diff = r["deposit_avg"] - r["deposit_target_avg"]
    return (f"完成保底余额和积数目标(积数 {yuan(r['deposit_accum'])} ≥ {yuan(r['deposit_target_accum'])}):"
            f"(日均余额 {yuan(r['deposit_avg'])} − 保底 {yuan(r['deposit_target_avg'])})× {per}"
            + ("" if diff else ",恰好达标"))


DEPOSIT_REWARD = Component(
    "deposit_reward", "存款奖罚", "Z-Art.11, Z-Art.19", params=("deposit_targets", "deposit_rate"),
    figures=(Figure("日均余额", "deposit_avg", "money"), Figure("保底日均", "deposit_target_avg", "money"),
             Figure("积数", "deposit_accum", "money"), Figure("积数目标", "deposit_target_accum", "money"),
             Figure("日均达标", "deposit_avg_met", "bool"), Figure("积数达标", "deposit_accum_met", "bool"),
             Figure("无存款记录", "deposits_missing", "bool")),
    inputs=("deposits", "targets"),
    rule=lambda p: (f"完成存款保底余额积数目标(默认日均 {yuan(p.deposit_targets.daily_avg)} 元、积数 "
                    f"{yuan(p.deposit_targets.accumulated)} 元,考核目标表可逐人另定),超保底部分按 "
                    f"{rate(p.deposit_rate, permille=True)} 奖励;欠保底部分按 {rate(p.deposit_rate, permille=True)} 处罚;"
                    f"日均达标而积数未达标不奖不罚;无存款记录按0计(Z-Art.11, Z-Art.19(2)(3))"),
    basis=_basis)
