"""Fixed and adjusted lines of the rcc pay: R-Art.4 base wage; other reward, back pay and deductions
(SPEC 2 adjustments, 3.5); the withheld payment status (SPEC 3.10, decision 18)."""

from __future__ import annotations

import polars as pl

from cm_payroll.rulebooks.base import Component, Figure
from cm_payroll.rulebooks.rcc.params import Params
from cm_payroll.units import yuan
from cm_payroll.rulebooks.shared import pay as shared_pay


def base_wage(df: pl.DataFrame, p: Params) -> pl.DataFrame:
    """R-Art.4 — 客户经理实行工效挂钩的计酬方式,享受岗位责任工资.

    The same base wage for every credit manager on the roster."""
    # R-Art.4
    return df.with_columns(pl.lit(p.base_wage, pl.Int64).alias("base_wage"))


def adjustments(df: pl.DataFrame, adj: pl.DataFrame) -> pl.DataFrame:
    """Z-Art.21 — 对超额完成目标任务的客户经理进行奖励后,其余贡献奖励工资客户经理仍可参加该社分配.

    其他奖励 from the adjustments file (a credit manager is always 在岗, so it is paid); 补发 / 扣款
    go into the correction line (a deduction is subtracted). The shared rule of SPEC 3.5."""
    # Z-Art.21
    return shared_pay.adjustments(df, adj, pl.lit(True))


def payment_status(df: pl.DataFrame) -> pl.DataFrame:
    """SPEC 3.10 (S-Art.9), decision 18 — 暂扣 when the month has 交接未完成 and this employment has a
    辞职申请 in this month or earlier. The shared rule."""
    # SPEC 3.10
    return shared_pay.payment_status(df)


BASE_WAGE = Component(
    "base_wage", "岗位责任工资", "R-Art.4", params=("base_wage",),
    figures=(Figure("入职日期", "hire_date", "text"), Figure("司龄", "tenure", "int")),
    inputs=("roster",),
    rule=lambda p: f"客户经理实行工效挂钩的计酬方式,享受岗位责任工资 {yuan(p.base_wage)} 元(R-Art.4)",
    basis=lambda r, p, m: "岗位责任工资标准")

OTHER_REWARD = Component(
    "other_reward", "其他奖励", "Z-Art.21",
    figures=(Figure("调整表其他奖励", "other_reward_input", "money"),),
    inputs=("adjustments",),
    rule=lambda p: "其他奖励按调整表发放(Z-Art.21)",
    basis=lambda r, p, m: "其他奖励" if r["other_reward"] else "")
