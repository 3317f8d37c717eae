"""Probation and the status machine (SPEC 3.3, 3.4; S-Art.8, 20, 23–27; decisions 6, 8).

Statuses: trainee 见习, active 在岗, standby 待岗培训, pending_termination 待解除劳动合同 (the month of
the judgment), base_only 仅发基础工资 (every later month still on the roster).
"""

from __future__ import annotations

import polars as pl

from cm_payroll.rulebooks.shared.overrides import OverrideField
from cm_payroll.schema import norm_value
from cm_payroll.units import rate

from cm_payroll.rulebooks.securities.params import Params

ENDED = ("pending_termination", "base_only")
STATUS_LABELS = {"trainee": "见习", "active": "在岗", "standby": "待岗培训",
                 "pending_termination": "待解除劳动合同", "base_only": "仅发基础工资"}


def _read_status(value: str, _mid: str):
    statuses = {norm_value(k): k for k in STATUS_LABELS} | {norm_value(v): k for k, v in STATUS_LABELS.items()}
    v = statuses.get(norm_value(value))
    if v is None:
        return None, f"unknown status {value!r}; use one of {', '.join(STATUS_LABELS.values())}", False
    return v, None, False


# S-Art.34, decision 26: a status override replaces the month's status decision (status_machine)
STATUS_OVERRIDE = OverrideField("status", ("status", "状态"), pl.String, _read_status)


def probation(df: pl.DataFrame, m: int, p: Params) -> pl.DataFrame:
    """# S-Art.8(1) — 前4个自然月累计积分达到6000分;累计新增客户的资产100万;第4个自然月客户资产达到1000万.

    A sales manager is a trainee in employment months 1–4 (decision 7: advisors hired directly are
    confirmed); the judgment is in month 4, on the month-4 client assets.
    """
    new = pl.col("new_employment")
    trainee = (pl.col("track_eff") == "sales") & ~pl.col("confirmed")
    prob_score = pl.when(new).then(0).otherwise(pl.col("s_prob_score").fill_null(0)) + pl.col("score")
    prob_new = pl.when(new).then(0).otherwise(pl.col("s_prob_new_assets").fill_null(0)) + pl.col("new_client_assets")
    df = df.with_columns(trainee.alias("trainee"),
                         pl.when(trainee).then(prob_score).otherwise(0).alias("prob_score"),
                         pl.when(trainee).then(prob_new).otherwise(0).alias("prob_new_assets"))
    judged = pl.col("trainee") & (pl.col("employment_month") >= p.probation.months)
    passed = ((pl.col("prob_score") >= p.probation.min_score)
              & (pl.col("prob_new_assets") >= p.probation.min_new_client_assets)
              & (pl.col("client_assets") >= p.probation.min_client_assets))
    return df.with_columns(judged.alias("probation_judged"), (judged & passed).alias("probation_passed"))


def status_machine(df: pl.DataFrame, m: int, p: Params) -> pl.DataFrame:
    """# S-Art.8(2),(3), S-Art.20 — the month's status, triggers and the standby schedule.

    1. previous pending_termination/base_only → base_only;
    1b. a trainee's probation judgment in month 4 (decision 6);
    2. a standby month passes on the ordinary minimum or 开发关系客户日均资产 ≥ 1400万, else
       pending_termination (S-Art.8(3));
    3. a trigger (annualized below ordinary for a confirmed manager, or an excess transfer request of
       an advisor) schedules M+1 as a standby month, unless it is the 2nd trigger in the 12 natural
       months M−11..M: then pending_termination (S-Art.8(2)). M itself is paid normally.
    """
    prev_ended = pl.col("prev_status").is_in(ENDED).fill_null(False)
    standby = pl.col("standby_month") & ~prev_ended
    standby_pass = pl.col("ann_ok") | (pl.col("relationship_assets") >= p.standby.pass_relationship_assets)
    normal = ~prev_ended & ~pl.col("trainee") & ~standby
    # A month holds at most one trigger (decision 8).
    trigger = normal & (~pl.col("ann_ok") | ((pl.col("track_eff") == "advisor") & (pl.col("excess_requests") > 0)))
    window_from = m - p.standby.trigger_window_months + 1
    earlier = (pl.when(pl.col("new_employment")).then(pl.lit([], pl.List(pl.Int32)))
               .otherwise(pl.col("s_trigger_months").fill_null(pl.lit([], pl.List(pl.Int32)))))
    df = df.with_columns(trigger.alias("trigger"),
                         earlier.list.eval(pl.element().filter(pl.element() >= window_from)).alias("_trig_prev"))
    second = pl.col("trigger") & ((pl.col("_trig_prev").list.len() + 1) >= p.standby.max_triggers)
    status = (pl.when(prev_ended).then(pl.lit("base_only"))
              .when(pl.col("trainee") & pl.col("probation_judged") & ~pl.col("probation_passed"))
              .then(pl.lit("pending_termination"))
              .when(pl.col("trainee")).then(pl.lit("trainee"))
              .when(standby & standby_pass).then(pl.lit("standby"))
              .when(standby).then(pl.lit("pending_termination"))
              .when(second).then(pl.lit("pending_termination"))
              .otherwise(pl.lit("active")))
    cause = (pl.when(prev_ended).then(None)
             .when(pl.col("trainee") & pl.col("probation_judged") & ~pl.col("probation_passed"))
             .then(pl.lit("probation_failed"))
             .when(standby & ~standby_pass).then(pl.lit("standby_failed"))
             .when(second).then(pl.lit("standby_trigger")))
    trig_list = pl.when(pl.col("trigger")).then(
        pl.concat_list(pl.col("_trig_prev"), pl.lit(m, pl.Int32))).otherwise(pl.col("_trig_prev"))
    return df.with_columns(
        status.alias("status"),
        cause.alias("termination_cause"),
        (pl.col("trigger") & ~second).alias("standby_next"),
        trig_list.alias("trigger_months"),
    ).drop("_trig_prev")


def confirmed_by_override(df: pl.DataFrame) -> pl.DataFrame:
    """# S-Art.34, S-Art.8(1) — a `status` override to standby or active of a trainee (e.g. a failed
    probation overridden in the judgment month) makes the manager confirmed from that month
    (decision 34): probation ends, so `trainee` is false for everything after the override (level
    graded by S-Art.4 never below ordinary, allowance, supervision reward, the next state's
    `confirmed`). The assessment window is not restarted (only a passed probation restarts it)."""
    by_override = pl.col("trainee") & pl.col("ov_status").is_in(["active", "standby"]).fill_null(False)
    return df.with_columns(by_override.alias("confirmed_by_override"),
                           (pl.col("trainee") & ~by_override).alias("trainee"))


def _causes(p: Params) -> dict[str, str]:
    return {"probation_failed": "见习期考核未通过(S-Art.8(1))",
            "standby_failed": "待岗培训当月仍未达标(S-Art.8(3))",
            "standby_trigger": (f"近{p.standby.trigger_window_months}个自然月内第{p.standby.max_triggers}次触发待岗培训"
                                f"(S-Art.8(2))")}


def notes(r: dict, p: Params) -> list[str]:
    """The slip's notes of the month's status (S-Art.8, 20), with the standby rate in force."""
    out = []
    s = r["status"]
    standby_rate = rate(p.standby_rate)
    if s == "standby":
        out.append(f"本月为待岗培训月:基础工资、年终奖正常发放,营销绩效奖按{standby_rate}计提,不发放绩效督导奖励、"
                   f"展业补贴和其他奖励(S-Art.20)。")
    elif s == "pending_termination":
        cause = _causes(p).get(r["termination_cause"] or "", "特殊处理")
        out.append(f"本月判断为待解除劳动合同:{cause}。基础工资正常发放,营销绩效奖按{standby_rate}计提,不发放绩效督导奖励、"
                   f"年终奖、其他奖励和展业补贴(S-Art.20)。")
    elif s == "base_only":
        out.append("待解除劳动合同次月起仅发放基础工资(S-Art.20)。")
    if r["trigger"] and s == "active":
        out.append("本月触发待岗培训,下月为待岗培训月(S-Art.8(2))。")
    return out


def override_notes(r: dict, _p: Params) -> list[str]:
    """Decision 34: a trainee confirmed by a status override."""
    if r.get("confirmed_by_override"):
        return ["经特殊处理审批(S-Art.34),见习期结束,自本月起按普通客户经理及以上级别定级(S-Art.4)。"]
    return []
