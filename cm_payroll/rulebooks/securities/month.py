"""One securities month, rule by rule, over all managers at once (SPEC 3, in the order of 3.4)."""

from __future__ import annotations

import polars as pl

from cm_payroll.errors import InputErrors, InputIssue
from cm_payroll.rulebooks.base import MonthContext, MonthResult
from cm_payroll.rulebooks.securities import (advisors, assessment, commission, compliance, pay, status,
                                             supervision, year_end)
from cm_payroll.rulebooks.securities.components import COMPONENT_KEYS, COMPONENT_LABELS, COMPONENTS
from cm_payroll.rulebooks.securities.aggregate import AGGREGATE_COLUMNS, client_aggregates
from cm_payroll.rulebooks.securities.employment import STATE_ADDED, STATE_SCHEMA, join_state
from cm_payroll.rulebooks.securities.params import Params, level_names
from cm_payroll.rulebooks.shared import corrections, exceptions
from cm_payroll.rulebooks.shared import employment as shared_employment
from cm_payroll.rulebooks.shared import overrides as shared_overrides
from cm_payroll.rulebooks.shared import pay as shared_pay
from cm_payroll.rulebooks.shared.events import with_events
from cm_payroll.rulebooks.shared.exceptions import exception_rows as _exc
from cm_payroll.units import apply_rate, hundredths_expr, rate, score, score_expr, yuan_expr
from cm_payroll.validate import MonthInputs

STATUS_LABELS = status.STATUS_LABELS



def _parse_overrides(inputs: MonthInputs, p: Params, tracks: dict[str, str]):
    """S-Art.34: the components, and the securities fields status, level, convert_to_advisor."""
    fields = (status.STATUS_OVERRIDE, commission.level_override(level_names(p), tracks),
              advisors.conversion_override(tracks))
    return shared_overrides.parse(inputs.tables["overrides"],
                                  COMPONENT_LABELS, fields)


def check_month(inputs: MonthInputs, state: pl.DataFrame, ctx: MonthContext) -> list[InputIssue]:
    """Rule-specific input errors of the month (overrides, decision 25/26)."""
    p = ctx.params
    tracks = dict(inputs["roster"].select("manager_id", "track").iter_rows())
    if state.height:
        known = dict(state.select("manager_id", "track").iter_rows())
        tracks.update({k: v for k, v in known.items() if k in tracks})
    _, _, issues = _parse_overrides(inputs, p, tracks)
    # decision 36: December closes the year — a manager missing since November is an input error
    return issues + shared_employment.december_missing(state, inputs, ctx.month, p.year_end.month)


def compute_month(inputs: MonthInputs, state: pl.DataFrame, ctx: MonthContext) -> MonthResult:
    p = ctx.params
    m = ctx.month
    state = shared_employment.conform_state(state, STATE_SCHEMA, STATE_ADDED)
    roster_file = inputs.tables["roster"].file
    df, issues, warn_employment = join_state(inputs["roster"], state, m, ctx.first_month, roster_file,
                                             inputs.tables["roster"].label("hire_date"))
    if issues:
        raise InputErrors(issues)

    # load → aggregate (S-Art.36) → this month's facts per manager
    agg = client_aggregates(inputs["clients"])
    df = df.join(agg, on="manager_id", how="left").with_columns(
        [pl.col(c).fill_null(0) for c in AGGREGATE_COLUMNS])
    df = assessment.with_scores(df, inputs["scores"])
    df = with_events(df, inputs["events"])
    tracks = dict(df.select("manager_id", "track_eff").iter_rows())
    ov, ov_long, _ = _parse_overrides(inputs, p, tracks)
    df = df.join(ov, on="manager_id", how="left")

    # the rules, in the order of SPEC 3.4
    at_least = assessment.at_least
    df = assessment.window(df, m, ctx.first_month, p)
    df = status.probation(df, m, p)
    df = advisors.transfer_requests(df, m, p)
    df = status.status_machine(df, m, p)
    df = df.with_columns(pl.col("status").alias("status_rule"),
                         pl.coalesce("ov_status", "status").alias("status"))       # decision 26
    df = status.confirmed_by_override(df)                                                # decision 34
    df = commission.level(df, p, at_least)
    df = commission.rates(df, p, at_least)
    df, warn_supervision = supervision.effective_heads(df)
    df = supervision.supervision_reward(df, p)
    df = pay.base_and_allowance(df, p)
    df = pay.performance_bonus(df)
    df = compliance.compliance(df, m, p)
    df = year_end.year_sums(df, m)
    df = year_end.year_end(df, m, p)
    df = year_end.recovery(df)
    df = shared_pay.adjustments(df, inputs["adjustments"], pl.col("status").is_in(pay.PAID_IN_FULL))
    df = corrections.with_corrections(df, ctx)
    df = shared_pay.payment_status(df)
    df = advisors.conversion(df, p, at_least)
    df = advisors.transfer_back(df, m, p)

    # component overrides replace amounts after every rule (decision 26); gross follows
    df = shared_overrides.apply_component_overrides(df, COMPONENT_KEYS)
    df = df.with_columns(  # later months see the overridden bonus in the year-end Σ
        (pl.col("ytd_performance_bonus") - pl.col("rule_performance_bonus") + pl.col("performance_bonus"))
        .alias("ytd_performance_bonus"))
    df = df.sort("manager_id")

    # decision 36: employments ended by an event of a manager already off the roster
    ended = shared_employment.ended_off_roster(state, df, inputs["events"])

    pay_frame = _pay_frame(df)
    new_state = shared_employment.close_ended(_next_state(df, state, m), ended)
    warnings = _warnings(inputs, df, warn_employment, warn_supervision, supervision.supervisor_warnings(df))
    exceptions = _exceptions(df, state, m, ctx, warnings, ov_long, ended)
    return MonthResult(pay=pay_frame, exceptions=exceptions, state=new_state)


PAY_COLUMNS = (
    "manager_id", "name", "branch", "track_eff", "status", "status_rule", "level", "score", "cum", "n",
    "window_start", "annualized_x100", "ann_ok", "net_income", "client_assets", "new_client_assets",
    "relationship_assets", "stock_opening", "stock_closing", "clients_counted", "clients_transferred",
    "employment_month", "tenure", "trainee", "probation_judged", "probation_passed", "prob_score",
    "prob_new_assets", "trigger", "standby_month", "standby_next", "termination_cause",
    "excess_requests", "requests_counted", "table_rate", "veteran", "rate", "year_end_rate",
    "tenure_rate", "year_end_y", "ytd_net_income", "ytd_performance_bonus", "ytd_fraud_excluded",
    "effective_heads",
    "supervisees", "compliance_accrual", "compliance_forfeited", "reserve", "deficit", "new_deficit",
    "other_reward_input", "adjustment_correction", "rerun_correction", "payment_status", "withheld_handover",
    "withheld_notice", "resignation_date", "ev_terminated_date", "converted", "confirmed_by_override",
    "conversion_rejected", "transferred_back", "stock_loss_ok", "ev_fraud", "supervisor_id",
    "certified", "hire_date_eff", "missing_score",
)


def _pay_frame(df: pl.DataFrame) -> pl.DataFrame:
    cols = list(PAY_COLUMNS) + [c.key for c in COMPONENTS] + [f"rule_{k}" for k in COMPONENT_KEYS]
    return df.select(cols).rename({"track_eff": "track", "hire_date_eff": "hire_date"})


def _next_state(df: pl.DataFrame, state: pl.DataFrame, m: int) -> pl.DataFrame:
    restart = pl.col("probation_passed") | pl.col("converted") | pl.col("transferred_back")
    next_track = (pl.when(pl.col("converted")).then(pl.lit("advisor"))
                  .when(pl.col("transferred_back")).then(pl.lit("sales"))
                  .otherwise(pl.col("track_eff")))
    advisor_since = (pl.when(pl.col("converted")).then(pl.lit(m + 1, pl.Int32))
                     .when(pl.col("transferred_back")).then(None)
                     .otherwise(pl.col("advisor_since")))
    confirmed = (pl.col("confirmed") | pl.col("probation_passed")
                 | pl.col("ov_status").is_in(["active", "standby"]).fill_null(False))
    rows = df.select(
        "manager_id", "name", "branch",
        pl.col("hire_date_eff").alias("hire_date"),
        pl.col("hire_month").cast(pl.Int32),
        next_track.alias("track"),
        "status", "level",
        confirmed.alias("confirmed"),
        pl.lit(m, pl.Int32).alias("last_month"),
        pl.when(restart).then(pl.lit(m + 1, pl.Int32)).otherwise(pl.col("window_start")).alias("window_start"),
        pl.when(restart).then(pl.lit(0, pl.Int64)).otherwise(pl.col("cum")).alias("window_cum"),
        "ann_ok", "standby_next", "trigger_months", "request_months",
        advisor_since.cast(pl.Int32).alias("advisor_since"),
        "prob_score", "prob_new_assets",
        pl.lit(m // 12, pl.Int32).alias("year"),
        "ytd_net_income", "ytd_performance_bonus", "ytd_fraud_excluded", "reserve", "violation", "deficit",
        "resigned", "resignation_date", pl.col("ev_terminated").alias("terminated"),
    )
    rows = rows.select([pl.col(c).cast(t) for c, t in STATE_SCHEMA.items()])
    kept = state.filter(~pl.col("manager_id").is_in(rows.get_column("manager_id").implode()))
    return pl.concat([rows, kept.select(list(STATE_SCHEMA))]).sort("manager_id")


def _warnings(inputs: MonthInputs, df: pl.DataFrame, *frames: pl.DataFrame) -> pl.DataFrame:
    """Input warnings of the month as (manager_id, message) rows."""
    sales_requests = df.filter((pl.col("requests_filed") > 0) & (pl.col("track_eff") != "advisor")).select(
        "manager_id", pl.lit("转岗申请 filed on the sales track: not counted (decision 14)").alias("message"))
    # S-Art.22 (decision 40): 理财类客户经理指通过中国证券业协会的证券投资分析考试…的相关人员
    # an explicit 否 only: a blank cell is not a 否
    uncertified = df.filter((pl.col("track_eff") == "advisor") & ~pl.col("certified").fill_null(True)).select(
        "manager_id", pl.lit("advisor_not_certified:理财类客户经理的证券从业资格为“否”;理财类客户经理应通过中国"
                             "证券业协会的证券投资分析考试(S-Art.22),请核实资格或办理转岗").alias("message"))
    return exceptions.warnings_frame(*frames, exceptions.input_warnings(inputs), sales_requests, uncertified)


def _yuan(col: str | pl.Expr) -> pl.Expr:
    return yuan_expr(col, grouped=False, signed=False)


def _exceptions(df: pl.DataFrame, state: pl.DataFrame, m: int, ctx: MonthContext,
                warnings: pl.DataFrame, ov_long: pl.DataFrame, ended: pl.DataFrame) -> pl.DataFrame:
    c = pl.col
    p = ctx.params
    parts = [
        _exc(df, c("status") == "pending_termination", "pending_termination",
             pl.when(c("termination_cause") == "probation_failed").then(pl.lit("见习期考核未通过,判断为待解除劳动合同"))
             .when(c("termination_cause") == "standby_failed").then(pl.lit("待岗培训当月仍未达标,判断为待解除劳动合同"))
             .when(c("termination_cause") == "standby_trigger").then(pl.lit(
                 f"近{p.standby.trigger_window_months}个自然月内第{p.standby.max_triggers}次触发待岗培训"))
             .otherwise(pl.lit("特殊处理判定为待解除劳动合同"))),
        _exc(df, c("termination_cause") == "probation_failed", "probation_failed",
             pl.format("前{}个月累计积分 {},累计新增客户资产 {} 元,当月客户资产 {} 元",
                       c("employment_month"), score_expr(c("prob_score")),
                       _yuan("prob_new_assets"), _yuan("client_assets"))),
        _exc(df, c("termination_cause") == "standby_failed", "standby_failed",
             pl.format("待岗培训当月年化累计积分 {},开发关系客户日均资产 {} 元",
                       hundredths_expr(c("annualized_x100")), _yuan("relationship_assets"))),
        _exc(df, c("trigger"), "standby_trigger",
             pl.when(c("excess_requests") > 0).then(pl.lit("超额转岗申请记做一次待岗培训"))
             .otherwise(pl.format("年化累计积分 {} 低于普通级标准", hundredths_expr(c("annualized_x100"))))),
        _exc(df.filter((c("excess_requests") > 0) & ~c("standby_month"))
             .with_columns(pl.int_ranges(0, c("excess_requests")).alias("_k")).explode("_k"),
             pl.lit(True), "excess_transfer_request",
             pl.format("{}个自然月内转岗申请超过 {} 次", pl.lit(p.advisor_review.request_window_months),
                       c("requests_allowed"))),
        _exc(df, c("ev_fraud"), "fraud", pl.lit("业绩造假:取消当月营销绩效奖和绩效督导奖励"),
             -(apply_rate(pl.max_horizontal(c("net_income"), pl.lit(0, pl.Int64)), c("rate"))
               + c("effective_heads").cast(pl.Int64) * ctx.params.supervision.per_head
               * ((c("track_eff") == "sales") & ~c("trainee") & (c("status") == "active")).cast(pl.Int64))),
        _exc(df, c("payment_status") == "withheld", "payment_withheld", shared_pay.withheld_text(), c("gross_pay")),
        _exc(df, c("conversion_rejected"), "conversion_rejected",
             pl.when(c("track_eff") == "advisor").then(pl.lit("已是理财类客户经理,转理财类申请不适用(S-Art.23)"))
             .when(c("status") != "active").then(pl.format("状态为{},不能转理财类", _status_zh("status")))
             .when(~c("certified").fill_null(False)).then(pl.lit("无证券从业资格"))
             .otherwise(pl.format("年化累计积分 {} 未达转理财类标准 {}", hundredths_expr(c("annualized_x100")),
                                  pl.lit(_score_text(p.conversion.min_score))))),
        _exc(df, c("transferred_back"), "transfer_back",
             pl.lit(f"存量客户资产流失率超过 {rate(p.advisor_review.max_stock_loss)} 且未连续2个月达到普通级,"
                    f"下月起转回销售类")),
        _exc(df, (c("deficit") > 0) & (c("year_end_y").is_not_null()), "year_end_deficit",
             pl.format("年终奖计算结果 {}{} 元;结转亏空合计 {} 元,在下一年度绩效奖和年终奖中扣回",
                       pl.when(c("year_end_y") < 0).then(pl.lit("-")).otherwise(pl.lit("")),
                       _yuan("year_end_y"), _yuan("deficit")),
             -c("new_deficit")),
        _exc(df, c("compliance_forfeited") > 0, "compliance_forfeited",
             pl.when(c("ev_terminated")).then(pl.lit("解除劳动合同,合规奖励金取消"))
             .when(c("violation")).then(pl.lit("本年度有违规记录,合规奖励金取消"))
             .when(c("stale_reserve") > 0).then(pl.lit(f"上年度合规奖励金未在{p.compliance.payout_month}月发放,取消"))
             .otherwise(pl.format("{}月状态为{},合规奖励金取消", pl.lit(p.compliance.payout_month),
                                  _status_zh("status"))),
             -c("compliance_forfeited")),
        _exc(df, c("missing_score"), "missing_scores", pl.lit("无积分记录,当月积分按0计")),
    ]
    # decision 36: an employment ended off the roster forfeits its reserve (S-Art.16), as a termination
    parts.append(_exc(ended, c("reserve").fill_null(0) > 0, "compliance_forfeited",
                      pl.format("{}:不在本月花名册,劳动关系于最后在册月份 {} 后结束,合规奖励金 {} 元取消(S-Art.16)",
                                pl.when(c("end_terminated")).then(pl.lit("解除完成")).otherwise(pl.lit("辞职申请")),
                                _month_text(c("last_month")), _yuan("reserve")),
                      -c("reserve")))
    parts.append(corrections.correction_rows(df, state, ctx))
    # overrides applied (S-Art.34), one row per override, with its approval_ref
    parts.append(_override_rows(df, ov_long))
    # missing from the roster without a resignation or termination (SPEC 2, decision 18)
    parts.append(shared_employment.missing_from_roster(state, df, m, ended))
    parts.append(exceptions.warning_rows(warnings, df.select("manager_id", "name")))
    return exceptions.concat_exceptions(parts)


def _override_rows(df: pl.DataFrame, ov_long: pl.DataFrame) -> pl.DataFrame:
    c = pl.col
    j = ov_long.join(df, on="manager_id", how="inner")
    labels = {c.key: c.label for c in COMPONENTS}
    desc = pl.format("特殊处理({}):", c("reason"))
    amount = pl.lit(None, pl.Int64)
    what = pl.lit("")
    for k in COMPONENT_KEYS:
        what = pl.when(c("field") == k).then(
            pl.format("{}由 {} 改为 {}", pl.lit(labels[k]), _signed_yuan(f"rule_{k}"), _signed_yuan(k))).otherwise(what)
        amount = pl.when(c("field") == k).then(c(k) - c(f"rule_{k}")).otherwise(amount)
    what = (pl.when(c("field") == "status").then(pl.format("状态由{}改为{}", _status_zh("status_rule"), _status_zh("status")))
            .when(c("field") == "level").then(pl.format("级别改为{}", c("level")))
            .when(c("field") == "convert_to_advisor").then(pl.lit("准予转理财类(下月起)"))
            .otherwise(what))
    return j.select("manager_id", "name", pl.lit("override_applied").alias("type"), pl.lit("").alias("article"),
                    pl.concat_str([desc, what]).alias("description"), amount.alias("amount"),
                    pl.lit(True).alias("approval_needed"), c("approval_ref"))


def _status_zh(col: str) -> pl.Expr:
    return pl.col(col).replace_strict(STATUS_LABELS, default=pl.col(col), return_dtype=pl.String)


def _score_text(units: int) -> str:
    """A score parameter (1/10,000 units) as text: 120000."""
    return score(units, grouped=False)


def _month_text(month: pl.Expr) -> pl.Expr:
    """A month index as YYYY-MM."""
    return pl.format("{}-{}", (month // 12).cast(pl.String), (month % 12 + 1).cast(pl.String).str.zfill(2))


def _signed_yuan(col: str) -> pl.Expr:
    return yuan_expr(col, grouped=False)
