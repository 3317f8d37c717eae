"""The monthly 100-point assessment and the performance wage: Z-Art.16, Z-Art.18, R-Art.4, R-Art.41
(SPEC 4; decision 19).

score = w_dep × avg/target_avg + w_rec × Σrecovered/Σdue + w_int × collected/target
        + w_con × conduct/10                       (40/30/20/10 by default, not capped)

The score is an exact rational: it is never rounded on the way. Every row is computed at once in
Polars Int128 with numerators and denominators (cm_payroll/rational.py): the reported score is the
exact value rounded half-up to 2 decimals, and the performance wage is performance_base × score /
100 rounded half-up to the fen once (not computed from the rounded score).
"""

from __future__ import annotations

from fractions import Fraction

import polars as pl

from cm_payroll.errors import InputIssue
from cm_payroll.rulebooks.base import Component, Figure
from cm_payroll.units import SCORE_SCALE, hundredths, yuan
from cm_payroll.units import score as score_text
from cm_payroll.rational import Term, fits, sum_half_up
from cm_payroll.rulebooks.rcc.inputs import CONDUCT_FULL
from cm_payroll.rulebooks.rcc.params import Params


def with_conduct(df: pl.DataFrame, conduct: pl.DataFrame, present: bool) -> pl.DataFrame:
    """Z-Art.18(4) — 日常行为管理。客户经理应自觉服从信用社监督管理,遵守各项管理制度.

    conduct_units: the 行为得分 in 1/10,000 units. No conduct file at all: full marks; a file without
    the manager's row: 0 (decision 19; warned)."""
    # Z-Art.18
    c = conduct.select("manager_id", pl.col("conduct_score").alias("conduct_units"), pl.lit(True).alias("_c"))
    df = df.join(c, on="manager_id", how="left")
    full = CONDUCT_FULL * SCORE_SCALE
    return df.with_columns(
        pl.lit(present).alias("conduct_file"),
        (pl.lit(present) & pl.col("_c").is_null()).alias("conduct_missing"),
        pl.when(pl.lit(present)).then(pl.col("conduct_units").fill_null(0))
        .otherwise(pl.lit(full, pl.Int64)).alias("conduct_units"),
    ).drop("_c")


def _terms(p: Params, scale: Fraction) -> dict[str, Term]:
    """The four items as exact terms scale × weight × num / den. An item with nothing to measure
    against (nothing due; an interest target of 0) is full (num = den = 1)."""
    c = pl.col
    nothing_due = c("due_sum") == 0
    no_target = c("interest_target") == 0
    return {
        "deposits": (scale * p.assessment.deposits, c("deposit_avg"), c("deposit_target_avg")),
        "recovery": (scale * p.assessment.recovery,
                     pl.when(nothing_due).then(pl.lit(1, pl.Int64)).otherwise(c("recovered_sum")),
                     pl.when(nothing_due).then(pl.lit(1, pl.Int64)).otherwise(c("due_sum"))),
        "interest": (scale * p.assessment.interest,
                     pl.when(no_target).then(pl.lit(1, pl.Int64)).otherwise(c("interest_collected")),
                     pl.when(no_target).then(pl.lit(1, pl.Int64)).otherwise(c("interest_target"))),
        "conduct": (scale * p.assessment.conduct, c("conduct_units"), CONDUCT_FULL * SCORE_SCALE),
    }


def exact_limits(df: pl.DataFrame, p: Params) -> list[InputIssue]:
    """The exact score arithmetic fits in Int128 for every manager (it does for any real amounts:
    only targets and Σ due of hundreds of billions of yuan could overflow it)."""
    t = list(_terms(p, Fraction(p.performance_wage, 100)).values())
    bad = df.filter(~fits(t)).select("manager_id")
    return [InputIssue("targets", None, None, None,
                       f"manager {mid}: targets and amounts due are too large for the exact 100-point score "
                       f"(Z-Art.16); check the units (yuan)") for (mid,) in bad.iter_rows()]


def score(df: pl.DataFrame, p: Params) -> pl.DataFrame:
    """Z-Art.16 — 对客户经理的具体考核由各社按月进行,考核以工作业绩考评为主。各项业务指标进行量化,实行按月百分考核,依率计分.

    score_x100: the exact score × 100 rounded half-up (the reported 2-decimal score); the four items'
    points × 100 rounded each (shown on the slip only; the total is not their sum)."""
    # Z-Art.16
    hundred = _terms(p, Fraction(100))
    items = {f"points_{k}_x100": sum_half_up([t]) for k, t in hundred.items()}
    return df.with_columns(sum_half_up(list(hundred.values())).alias("score_x100"),
                           *[e.alias(k) for k, e in items.items()])


def performance_wage(df: pl.DataFrame, p: Params) -> pl.DataFrame:
    """R-Art.41, R-Art.4 — 记录客户经理存款、贷款营销、收息、不良清收…等指标完成情况,与客户经理月度业绩考核工资挂钩;业绩考核工资实行多劳多得的原则,上不封顶.

    performance_wage = performance_base × score / 100, from the exact score, rounded half-up to the
    fen once; 0 in a month with a `fraud` event (SPEC 4, 3.10)."""
    # R-Art.41
    wage = sum_half_up(list(_terms(p, Fraction(p.performance_wage, 100)).values()))
    return df.with_columns(wage.alias("performance_wage_calc")).with_columns(
        pl.when(pl.col("ev_fraud")).then(pl.lit(0, pl.Int64)).otherwise(pl.col("performance_wage_calc"))
        .alias("performance_wage"))


def _basis(r: dict, p: Params, _m: int) -> str:
    rec = ("本月无到期贷款,按满分" if r["due_sum"] == 0
           else f"收回 {yuan(r['recovered_sum'])} / 到期应收 {yuan(r['due_sum'])}")
    itg = ("收息目标为0,按满分" if r["interest_target"] == 0
           else f"收息 {yuan(r['interest_collected'])} / 目标 {yuan(r['interest_target'])}")
    con = ("本月无行为考核表,按满分" if not r["conduct_file"]
           else ("行为考核表中无本人记录,按0分" if r["conduct_missing"]
                 else f"行为得分 {score_text(r['conduct_units'], grouped=False)} / {CONDUCT_FULL}"))
    items = (f"存款 {hundredths(r['points_deposits_x100'])}(日均 {yuan(r['deposit_avg'])} / 保底 "
             f"{yuan(r['deposit_target_avg'])})+ 收回 {hundredths(r['points_recovery_x100'])}({rec})+ 收息 "
             f"{hundredths(r['points_interest_x100'])}({itg})+ 行为 {hundredths(r['points_conduct_x100'])}({con})")
    if r["ev_fraud"]:
        return (f"业绩造假,取消当月业绩工资(原应发 {yuan(r['performance_wage_calc'])});"
                f"百分考核得分 {hundredths(r['score_x100'])}")
    return (f"{yuan(p.performance_wage)} × 百分考核得分 {hundredths(r['score_x100'])} / 100"
            f"(依率计分,上不封顶,按精确得分计算):{items}")


def _weights(p: Params) -> str:
    a = p.assessment
    return (f"存款 {a.deposits} × 日均/保底 + 收回 {a.recovery} × 本月收回/本月到期应收(无到期按满分)+ 收息 "
            f"{a.interest} × 收息/目标(目标为0按满分)+ 行为 {a.conduct} × 行为得分/{CONDUCT_FULL}(无行为考核表按满分)")


PERFORMANCE_WAGE = Component(
    "performance_wage", "业绩工资", "Z-Art.16, R-Art.41", params=("assessment", "performance_wage", "deposit_targets"),
    figures=(Figure("百分考核得分", "score_x100", "x100"), Figure("存款得分", "points_deposits_x100", "x100"),
             Figure("收回得分", "points_recovery_x100", "x100"), Figure("收息得分", "points_interest_x100", "x100"),
             Figure("行为得分项", "points_conduct_x100", "x100"), Figure("日均余额", "deposit_avg", "money"),
             Figure("保底日均", "deposit_target_avg", "money"), Figure("本月到期应收", "due_sum", "money"),
             Figure("本月收回", "recovered_sum", "money"), Figure("本月收息", "interest_collected", "money"),
             Figure("收息目标", "interest_target", "money"), Figure("行为得分", "conduct_units", "score"),
             Figure("有行为考核表", "conduct_file", "bool"), Figure("按得分应发", "performance_wage_calc", "money"),
             Figure("业绩造假", "ev_fraud", "bool")),
    inputs=("deposits", "targets", "loans", "conduct", "events"),
    rule=lambda p: (f"按月百分考核,依率计分:{_weights(p)},上不封顶;业绩工资 = {yuan(p.performance_wage)} 元 × 得分 / 100,"
                    f"按精确得分一次四舍五入到分;业绩造假当月取消(Z-Art.16, Z-Art.18, R-Art.4, R-Art.41)"),
    basis=_basis)
