"""Monthly pay components (薪酬结构, S-Art.10–20; SPEC 3.5)."""

from __future__ import annotations

import polars as pl

from cm_payroll.rulebooks.base import Component, Figure
from cm_payroll.rulebooks.securities.params import Params, level_names
from cm_payroll.rulebooks.securities.status import STATUS_LABELS
from cm_payroll.units import apply_rate, rate, score, yuan

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


# ------------------------------------------------------------------------------ the components

REDUCED = ("standby", "pending_termination", "base_only")


def _level_name(r: dict, p: Params) -> str:
    return level_names(p).get(r["level"] or "", "理财类(不分级别)")


def _levels_text(p: Params, field: str) -> str:
    return "、".join(f"{lv.name} {yuan(getattr(lv, field))}" for lv in p.levels)


BASE_SALARY = Component(
    "base_salary", "基础工资", "S-Art.11", params=("levels", "advisor_pay"),
    figures=(Figure("状态", "status", "status"), Figure("级别", "level", "level"),
             Figure("年化累计积分", "annualized_x100", "x100")),
    inputs=("roster",),
    rule=lambda p: (f"基础工资按级别确定({_levels_text(p, 'base_salary')} 元),各状态均发放;理财类不分级别 "
                    f"{yuan(p.advisor_pay.base_salary)} 元(S-Art.11, S-Art.20, S-Art.22)"),
    basis=lambda r, p, m: f"{_level_name(r, p)}基础工资")


def _allowance_basis(r: dict, p: Params, _m: int) -> str:
    if r["allowance"] or r["status"] not in REDUCED:
        return f"{_level_name(r, p)}展业补贴"
    return f"{STATUS_LABELS[r['status']]}期间不发放(S-Art.20)"


ALLOWANCE = Component(
    "allowance", "展业补贴", "S-Art.12", params=("levels", "advisor_pay"),
    figures=(Figure("状态", "status", "status"), Figure("级别", "level", "level")),
    inputs=("roster",),
    rule=lambda p: (f"展业补贴按级别确定({_levels_text(p, 'allowance')} 元;理财类 {yuan(p.advisor_pay.allowance)} 元);"
                    f"待岗培训、待解除劳动合同、仅发基础工资期间不发放(S-Art.12, S-Art.20)"),
    basis=_allowance_basis)


def _bonus_basis(r: dict, p: Params, _m: int) -> str:
    status = r["status"]
    if status == "base_only":
        return "仅发基础工资,不发营销绩效奖(S-Art.20)"
    if r["ev_fraud"]:
        return "业绩造假,取消当月营销绩效奖(S-Art.8(4))"
    why = ""
    if status in ("standby", "pending_termination"):
        why = f"({STATUS_LABELS[status]},按{rate(r['rate'])}计提,S-Art.20)"
    elif r["veteran"]:
        why = (f"(入职{p.veteran.min_tenure_years}年以上且年化积分低于{score(p.veteran.below_score)},"
               f"按{rate(p.veteran.rate)}计提,S-Art.13/14)")
    if r["net_income"] < 0:     # the rule's max(实际净收入, 0), shown beside the negative income
        return f"max(实际净收入, 0) = max({yuan(r['net_income'])}, 0) = 0.00 × {rate(r['rate'])}{why}"
    return f"实际净收入 {yuan(r['net_income'])} × {rate(r['rate'])}{why}"


PERFORMANCE_BONUS = Component(
    "performance_bonus", "营销绩效奖", "S-Art.13", params=("commission", "standby_rate", "veteran"),
    figures=(Figure("实际净收入", "net_income", "money"), Figure("当月积分", "score", "score"),
             Figure("累计积分", "cum", "score"), Figure("窗口月数", "n", "int"),
             Figure("年化累计积分", "annualized_x100", "x100"), Figure("司龄", "tenure", "int"),
             Figure("表内比例", "table_rate", "rate"), Figure("计提比例", "rate", "rate"),
             Figure("业绩造假", "ev_fraud", "bool")),
    inputs=("clients", "scores", "events"),
    rule=lambda p: (f"营销绩效奖 = max(实际净收入, 0) × 计提比例;计提比例按年化累计积分查表(销售类 "
                    f"{'、'.join(f'{score(t)}分起 {rate(x)}' for t, x in zip(p.commission.thresholds, p.commission.sales))};"
                    f"理财类 {'、'.join(rate(x) for x in p.commission.advisor)}),待岗培训和待解除劳动合同当月 "
                    f"{rate(p.standby_rate)},入职{p.veteran.min_tenure_years}年以上且年化积分低于"
                    f"{score(p.veteran.below_score)}分 {rate(p.veteran.rate)};业绩造假当月取消;内部转入客户的收入不计"
                    f"(S-Art.13, S-Art.14 注, S-Art.20, S-Art.8(4), S-Art.36)"),
    basis=_bonus_basis)


def _other_basis(r: dict, _p: Params, _m: int) -> str:
    if r["other_reward"]:
        return "其他奖励"
    return f"其他奖励 {yuan(r['other_reward_input'])} 本月不发放" if r["other_reward_input"] else ""


OTHER_REWARD = Component(
    "other_reward", "其他奖励", "S-Art.10",
    figures=(Figure("调整表其他奖励", "other_reward_input", "money"), Figure("状态", "status", "status")),
    inputs=("adjustments",),
    rule=lambda p: "其他奖励按调整表发放;待岗培训、待解除劳动合同、仅发基础工资期间不发放(S-Art.10, S-Art.20)",
    basis=_other_basis)


def fraud_notes(r: dict, _p: Params) -> list[str]:
    """The slip's note of a fraud month (S-Art.8(4))."""
    return ["业绩造假经查实:取消当月营销绩效奖和绩效督导奖励(S-Art.8(4))。"] if r["ev_fraud"] else []


def withheld_notes(r: dict, _p: Params) -> list[str]:
    """The slip's notes of a withheld month (S-Art.9, decisions 18, 38)."""
    notes = []
    if r.get("withheld_handover"):
        notes.append("已提出辞职申请且交接未完成:本月薪酬暂扣(S-Art.9)。")
    if r.get("withheld_notice"):
        notes.append(f"辞职未提前一个月申请(辞职申请 {r['resignation_date']},解除 {r['ev_terminated_date']}):"
                     f"本月薪酬暂扣(S-Art.9)。")
    return notes
