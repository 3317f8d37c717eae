"""Compliance reserve (合规奖励金, S-Art.16; SPEC 3.5; decision 11)."""

from __future__ import annotations

import polars as pl

from cm_payroll.units import apply_rate, rate, yuan
from cm_payroll.rulebooks.base import Component, Figure
from cm_payroll.rulebooks.securities.params import Params


def compliance(df: pl.DataFrame, m: int, p: Params) -> pl.DataFrame:
    """# S-Art.16 — 合规奖励金是营业部根据客户经理实际净收入情况整体计提的.

    Each month except base_only, 2% × max(net income, 0) (rounded) accrues into the year's reserve
    (fraud months included). In December the reserve is paid, unless December's status is
    pending_termination/base_only or the year had a compliance_violation: then it is forfeited. A
    `terminated` event forfeits it in its own month. The reserve continues across a track change.
    A reserve left from an earlier year (the manager was not on December's roster) is forfeited.
    """
    year = m // 12
    same_year = ~pl.col("new_employment") & (pl.col("s_year") == year)
    prev_reserve = pl.when(same_year).then(pl.col("s_reserve").fill_null(0)).otherwise(0)
    stale = pl.when(~pl.col("new_employment") & (pl.col("s_year") != year)).then(
        pl.col("s_reserve").fill_null(0)).otherwise(0)
    violation = pl.when(same_year).then(pl.col("s_violation").fill_null(False)).otherwise(False) | pl.col(
        "ev_compliance_violation")
    accrual = pl.when(pl.col("status") == "base_only").then(0).otherwise(
        apply_rate(pl.max_horizontal(pl.col("net_income"), pl.lit(0, pl.Int64)), p.compliance.accrual_rate))
    df = df.with_columns(accrual.alias("compliance_accrual"), violation.alias("violation"),
                         stale.alias("stale_reserve"))
    reserve = prev_reserve + pl.col("compliance_accrual")
    payout = m % 12 + 1 == p.compliance.payout_month
    forfeit = pl.col("ev_terminated") | (pl.lit(payout) & (pl.col("status").is_in(["pending_termination", "base_only"])
                                                          | pl.col("violation")))
    paid = pl.when(forfeit).then(0).when(pl.lit(payout)).then(reserve).otherwise(0)
    return df.with_columns(
        paid.alias("compliance_reward"),
        (pl.when(forfeit).then(reserve).otherwise(0) + pl.col("stale_reserve")).alias("compliance_forfeited"),
        pl.when(forfeit | pl.lit(payout)).then(0).otherwise(reserve).alias("reserve"),
    )


def _basis(r: dict, p: Params, m: int) -> str:
    if m % 12 + 1 == p.year_end.month:
        if r["compliance_reward"]:
            return f"全年计提合规奖励金(本月计提 {yuan(r['compliance_accrual'])})"
        if r["compliance_forfeited"]:
            return f"合规奖励金 {yuan(r['compliance_forfeited'])} 取消"
        return ""
    return (f"本月计提 {yuan(r['compliance_accrual'])},{p.compliance.payout_month}月发放"
            + (f";取消 {yuan(r['compliance_forfeited'])}" if r["compliance_forfeited"] else ""))


COMPLIANCE_REWARD = Component(
    "compliance_reward", "合规奖励金", "S-Art.16", params=("compliance",),
    figures=(Figure("本月计提", "compliance_accrual", "money"), Figure("取消金额", "compliance_forfeited", "money"),
             Figure("余额", "reserve", "money")),
    inputs=("clients", "events"),
    rule=lambda p: (f"每月按 max(实际净收入, 0) × {rate(p.compliance.accrual_rate)} 计提合规奖励金,"
                    f"{p.compliance.payout_month}月发放;全年有违规、{p.compliance.payout_month}月待解除或仅发基础工资、"
                    f"解除劳动合同时取消(S-Art.16)"),
    basis=_basis)
