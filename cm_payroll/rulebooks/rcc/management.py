"""The quarterly management wage: R-Art.41 (SPEC 4; decisions 19, 28)."""

from __future__ import annotations

import polars as pl

from cm_payroll.rulebooks.base import Component, Figure
from cm_payroll.units import SCORE_SCALE, div_half_up, score, yuan
from cm_payroll.months import month_of
from cm_payroll.rulebooks.rcc.inputs import MANAGEMENT_FULL
from cm_payroll.rulebooks.rcc.params import Params


def is_management_month(m: int, p: Params) -> bool:
    return month_of(m) in p.management_wage.months


def management_wage(df: pl.DataFrame, management: pl.DataFrame, present: bool, m: int,
                    p: Params) -> pl.DataFrame:
    """R-Art.41 — 每季度对每位客户经理执行联社各项业务管理规章制度情况进行考核,考核结果与该客户经理的季度管理考核工资挂钩.

    In a quarter-end month (March, June, September, December) with the management file present:
    management_base × management_score / 100, rounded half-up to the fen. A manager missing from a
    present file scores 0 (decision 19; warned). No file, or not a quarter end (the file is then
    ignored, decision 28): 0."""
    # R-Art.41
    counted = present and is_management_month(m, p)
    g = management.select("manager_id", pl.col("management_score").alias("management_units"),
                          pl.lit(True).alias("_g"))
    df = df.join(g, on="manager_id", how="left")
    units = pl.col("management_units").fill_null(0)
    wage = div_half_up(units * p.management_wage.amount, MANAGEMENT_FULL * SCORE_SCALE).cast(pl.Int64)
    return df.with_columns(
        pl.lit(counted).alias("management_counted"),
        (pl.lit(counted) & pl.col("_g").is_null()).alias("management_missing"),
        pl.when(pl.lit(counted)).then(units).otherwise(None).alias("management_units"),
        pl.when(pl.lit(counted)).then(wage).otherwise(pl.lit(0, pl.Int64)).alias("management_wage"),
    ).drop("_g")


def _basis(r: dict, p: Params, m: int) -> str:
    if not r["management_counted"]:
        return "非季末月,不计发" if m % 12 + 1 not in p.management_wage.months else "季末未提供管理考核表"
    if r["management_missing"]:
        return "管理考核表中无本人记录,按0分"
    return f"{yuan(p.management_wage.amount)} × 管理考核得分 {score(r['management_units'], grouped=False)} / 100"


MANAGEMENT_WAGE = Component(
    "management_wage", "管理考核工资", "R-Art.41", params=("management_wage",),
    figures=(Figure("管理考核得分", "management_units", "score"), Figure("计发", "management_counted", "bool")),
    inputs=("management",),
    rule=lambda p: (f"每季度考核,结果与季度管理考核工资挂钩:{yuan(p.management_wage.amount)} 元 × 管理考核得分 / 100,"
                    f"于 {'、'.join(str(x) for x in p.management_wage.months)} 月发放;考核表中无本人记录按0分(R-Art.41)"),
    basis=_basis)
