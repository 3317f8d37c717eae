"""Supervision reward (绩效督导奖励, S-Art.15; SPEC 3.8; decision 15)."""

from __future__ import annotations

import polars as pl

from cm_payroll.rulebooks.base import Component, Figure
from cm_payroll.rulebooks.securities.params import Params
from cm_payroll.units import yuan


def effective_heads(df: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """# S-Art.15 — 有效人力指达到普通级客户经理及以上定级标准的客户经理.

    A supervisee (roster supervisor_id = the manager) counts when on the sales track, `active` in M
    and with M's annualized score ≥ the ordinary minimum; a supervisee's fraud month still counts.
    A supervisor_id not on the roster, or the manager's own id, is ignored with a warning.
    """
    ids = df.get_column("manager_id").implode()
    sup = pl.col("supervisor_id")
    warnings = pl.concat([
        df.filter(sup.is_not_null() & (sup == pl.col("manager_id"))).select(
            "manager_id", pl.lit("片区经理工号 is the manager's own id; ignored (decision 15)").alias("message")),
        df.filter(sup.is_not_null() & (sup != pl.col("manager_id")) & ~sup.is_in(ids)).select(
            "manager_id", pl.format("片区经理工号 {} is not on the roster; ignored (decision 15)", sup).alias("message")),
    ])
    valid = sup.is_not_null() & (sup != pl.col("manager_id")) & sup.is_in(ids)
    effective = (pl.col("track_eff") == "sales") & (pl.col("status") == "active") & pl.col("ann_ok")
    heads = df.filter(valid).group_by("supervisor_id").agg(
        effective.sum().cast(pl.Int32).alias("effective_heads"),
        pl.len().cast(pl.Int32).alias("supervisees"))
    df = df.join(heads.rename({"supervisor_id": "manager_id"}), on="manager_id", how="left").with_columns(
        pl.col("effective_heads").fill_null(0), pl.col("supervisees").fill_null(0))
    return df, warnings


def supervision_reward(df: pl.DataFrame, p: Params) -> pl.DataFrame:
    """# S-Art.15, 20, 8(4) — per effective head; only a confirmed sales manager earns it, not in
    standby/pending_termination/base_only, not in a fraud month."""
    earns = (pl.col("track_eff") == "sales") & ~pl.col("trainee") & (pl.col("status") == "active") & ~pl.col("ev_fraud")
    return df.with_columns(
        pl.when(earns).then(pl.col("effective_heads").cast(pl.Int64) * p.supervision.per_head)
        .otherwise(0).alias("supervision_reward"))


def supervisor_warnings(df: pl.DataFrame) -> pl.DataFrame:
    """# S-Art.15 — 安排给业绩较好的人员(销售类客户经理兼任,以下简称片区经理)进行绩效督导.

    An advisor or a trainee with supervisees earns no reward: an input_warning every month it holds
    (decisions 15, 35). Read after a status override (a trainee confirmed by override is no longer
    a trainee, decision 34)."""
    c = pl.col
    who = pl.when(c("track_eff") == "advisor").then(pl.lit("理财类客户经理")).otherwise(pl.lit("见习客户经理"))
    return df.filter((c("supervisees") > 0) & ((c("track_eff") == "advisor") | c("trainee"))).select(
        "manager_id", pl.format("花名册中有 {} 名督导对象以其为片区经理,但其为{},不是已转正的销售类客户经理:"
                                "不发放绩效督导奖励(S-Art.15)", "supervisees", who).alias("message"))


def _basis(r: dict, p: Params, _m: int) -> str:
    if r["supervision_reward"] or (r["effective_heads"] and not r["ev_fraud"] and r["status"] == "active"):
        return f"有效人力 {r['effective_heads']} 人 × {yuan(p.supervision.per_head)}"
    if r["effective_heads"]:
        return f"有效人力 {r['effective_heads']} 人,本月不发放"
    return ""


SUPERVISION_REWARD = Component(
    "supervision_reward", "绩效督导奖励", "S-Art.15", params=("supervision",),
    figures=(Figure("督导对象", "supervisees", "int"), Figure("有效人力", "effective_heads", "int"),
             Figure("状态", "status", "status")),
    inputs=("roster",),
    rule=lambda p: (f"绩效督导奖励 = 有效人力 × 每人 {yuan(p.supervision.per_head)} 元;有效人力为在岗且年化积分达到普通级的"
                    f"销售类督导对象;只有转正的销售类片区经理领取,待岗、待解除、仅发基础工资及业绩造假当月不发放"
                    f"(S-Art.15, S-Art.20, S-Art.8(4))"),
    basis=_basis)
