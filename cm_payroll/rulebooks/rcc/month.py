"""One rcc month, rule by rule, over all credit managers at once (SPEC 4, decisions 19–24, 28).

Order: roster ⨝ ledger → events → targets, deposits, loans, conduct → deposit reward/penalty
(Z-Art.19) → interest reward/penalty (Z-Art.19, 20) → overdue penalty once per loan (Z-Art.19(3)) →
100-point score and performance wage (Z-Art.16, R-Art.41) → quarterly management wage (R-Art.41) →
base wage (R-Art.4) → adjustments, corrections, payment status → component overrides → gross →
compliance checks (R-Art.2, R-Art.11, Z-Art.10) → exceptions, state, aux frames.
"""

from __future__ import annotations

import polars as pl

from cm_payroll.errors import InputErrors, InputIssue
from cm_payroll.months import fmt_month
from cm_payroll.rulebooks.base import MonthContext, MonthResult
from cm_payroll.rulebooks.rcc import (assessment, compliance_checks, deposits, interest, management, overdue,
                                      wages)
from cm_payroll.rulebooks.rcc.components import COMPONENT_KEYS, COMPONENT_LABELS, COMPONENTS
from cm_payroll.rulebooks.rcc.employment import STATE_ADDED, STATE_SCHEMA, join_roster, next_state
from cm_payroll.rulebooks.rcc.params import Params
from cm_payroll.rulebooks.shared import corrections, exceptions
from cm_payroll.rulebooks.shared import employment as shared_employment
from cm_payroll.rulebooks.shared import overrides as shared_overrides
from cm_payroll.rulebooks.shared import pay as shared_pay
from cm_payroll.rulebooks.shared.events import with_events
from cm_payroll.schema import EVENT_LABELS, norm_value
from cm_payroll.units import rate as fmt_rate
from cm_payroll.units import yuan_expr
from cm_payroll.validate import MonthInputs

# Events that only the securities rulebook knows (decision 28: ignored with an input_warning).
SECURITIES_ONLY_EVENTS = ("compliance_violation", "transfer_request", "convert_to_advisor")

# Override fields of the securities rulebook that have no meaning for credit managers.
_NOT_RCC_FIELDS = {norm_value(x) for x in ("status", "状态", "level", "级别", "convert_to_advisor", "转理财类")}

AUX_CHARGED = "charged_loans"
AUX_VISITS = "visits"



# ------------------------------------------------------------------------------------------ checks

def _overrides(inputs: MonthInputs):
    """Component overrides only (decision 25): status/level/convert_to_advisor are input errors in an
    rcc run; the rest is the shared parser (approval_ref required, one per manager and field)."""
    msg = (f"this override field does not apply to credit managers (rcc has no status, level or conversion); "
           f"use a component: {', '.join(COMPONENT_KEYS)}")
    return shared_overrides.parse(inputs.tables["overrides"], COMPONENT_LABELS,
                                  foreign={f: msg for f in _NOT_RCC_FIELDS})


def check_month(inputs: MonthInputs, state: pl.DataFrame, ctx: MonthContext) -> list[InputIssue]:
    """Rule-specific input errors: decisions 19 and 28 (targets), 25/26 (overrides)."""
    issues: list[InputIssue] = []
    roster = inputs["roster"]
    t = inputs.tables["targets"]
    # decision 28: every credit manager needs a targets row
    missing = roster.join(t.frame.select("manager_id"), on="manager_id", how="anti").sort("_row")
    for mid, r in missing.select("manager_id", "_row").iter_rows():
        issues.append(InputIssue(t.file or "targets.xlsx", t.sheet, None, t.label("manager_id"),
                                 f"credit manager {mid} (roster row {r}) has no targets row; every credit "
                                 f"manager needs one with an interest target (decision 28)"))
    # decision 19: a zero deposit_target_avg is an input error (it divides in the score)
    zero = t.frame.filter(pl.col("deposit_target_avg") == 0)
    for r, sh, mid in zero.select("_row", "_sheet", "manager_id").iter_rows():
        issues.append(InputIssue(t.file or "targets", sh, r, t.label("deposit_target_avg"),
                                 f"deposit_target_avg of {mid} is 0; it must be positive or blank for the "
                                 f"default (decision 19)"))
    issues += _overrides(inputs)[2]
    # decision 36: December closes the year — a manager missing since November is an input error
    return issues + shared_employment.december_missing(state, inputs, ctx.month)


# ------------------------------------------------------------------------------------------ compute

def compute_month(inputs: MonthInputs, state: pl.DataFrame, ctx: MonthContext) -> MonthResult:
    p = ctx.params
    m = ctx.month
    state = shared_employment.conform_state(state, STATE_SCHEMA, STATE_ADDED)
    roster_t = inputs.tables["roster"]
    df, issues, warn_employment = join_roster(inputs["roster"], state, m, ctx.first_month, roster_t.file,
                                              roster_t.label("hire_date"))
    if issues:
        raise InputErrors(issues)
    df = df.with_columns(pl.col("dedicated_collection").fill_null(False))
    df = with_events(df, inputs["events"])
    ov, ov_long, _ = _overrides(inputs)
    df = df.join(ov, on="manager_id", how="left")

    charged = ctx.aux.get(AUX_CHARGED, overdue.empty_charged())
    history = ctx.aux.get(AUX_VISITS, compliance_checks.empty_visits())

    # the month's facts per manager
    facts = overdue.loan_facts(inputs["loans"], m, charged, p)
    df = deposits.with_targets(df, inputs["targets"], p)
    df = deposits.with_deposits(df, inputs["deposits"])
    df = overdue.per_manager(df, facts)
    df = assessment.with_conduct(df, inputs["conduct"], inputs.tables["conduct"].present)
    limits = assessment.exact_limits(df, p)
    if limits:
        raise InputErrors(limits)

    # the rules, in the order of SPEC 4
    df = deposits.deposit_reward(df, p)
    df = interest.interest_reward(df, p)
    df = assessment.score(df, p)
    df = assessment.performance_wage(df, p)
    df = management.management_wage(df, inputs["management"], inputs.tables["management"].present, m, p)
    df = wages.base_wage(df, p)
    df = df.with_columns(pl.lit("active").alias("status"))       # credit managers have no status machine
    df = wages.adjustments(df, inputs["adjustments"])
    df = corrections.with_corrections(df, ctx)
    df = wages.payment_status(df)
    df = shared_overrides.apply_component_overrides(df, COMPONENT_KEYS)       # decision 26, then gross
    df = df.sort("manager_id")

    new_charged = overdue.charged_after(facts, charged, m)
    new_history = compliance_checks.visit_history(history, inputs["visits"], m)
    warnings = _warnings(inputs, df, m, p, warn_employment)
    ended = shared_employment.ended_off_roster(state, df, inputs["events"])      # decision 36
    exceptions = _exceptions(df, facts, new_history, state, m, p, ctx, warnings, ov_long, ended)
    new_state = shared_employment.close_ended(next_state(df, state, m), ended)
    return MonthResult(pay=_pay_frame(df), exceptions=exceptions, state=new_state,
                       aux={AUX_CHARGED: new_charged, AUX_VISITS: new_history})


PAY_COLUMNS = (
    "manager_id", "name", "branch", "track_eff", "status", "payment_status", "hire_date_eff", "tenure",
    "employment_month", "dedicated_collection",
    "deposit_avg", "deposit_accum", "deposit_target_avg", "deposit_target_accum", "deposits_missing",
    "deposit_avg_met", "deposit_accum_met",
    "interest_collected", "interest_target", "interest_excess", "interest_blocked_dedicated",
    "interest_blocked_overdue",
    "loans", "loans_overdue", "overdue_this_year", "overdue_new", "overdue_new_outstanding",
    "due_sum", "recovered_sum", "conduct_file", "conduct_missing", "conduct_units",
    "points_deposits_x100", "points_recovery_x100", "points_interest_x100", "points_conduct_x100",
    "score_x100", "performance_wage_calc",
    "management_counted", "management_missing", "management_units",
    "other_reward_input", "adjustment_correction", "rerun_correction", "ev_fraud", "ev_leave", "resigned",
    "ev_terminated", "withheld_handover", "withheld_notice", "resignation_date", "ev_terminated_date",
)


def _pay_frame(df: pl.DataFrame) -> pl.DataFrame:
    cols = list(PAY_COLUMNS) + [c.key for c in COMPONENTS] + [f"rule_{k}" for k in COMPONENT_KEYS]
    return df.select(cols).rename({"track_eff": "track", "hire_date_eff": "hire_date"})


# ------------------------------------------------------------------------------------------ reports

# Where a clerk reads the rules of decisions 19 and 28 (the regulation is silent): the quick guide that ships.
RULES_DOC = "docs/使用说明.md §6.4"


def _warnings(inputs: MonthInputs, df: pl.DataFrame, m: int, p: Params, *frames: pl.DataFrame) -> pl.DataFrame:
    """input_warning rows (manager_id, message): decisions 19, 28 and the shared ones."""
    c = pl.col
    rows = [
        df.filter(c("deposits_missing")).select(
            "manager_id", pl.lit(f"存款文件中无此客户经理：日均余额和积数按 0 计，适用存款欠保底处罚({RULES_DOC})")
            .alias("message")),
        df.filter(c("conduct_missing")).select(
            "manager_id", pl.lit(f"行为考核文件中无此客户经理：行为得分按 0 计({RULES_DOC})").alias("message")),
        df.filter(c("management_missing")).select(
            "manager_id", pl.lit(f"季度管理考核文件中无此客户经理：管理考核得分按 0 计({RULES_DOC})").alias("message")),
    ]
    mg = inputs.tables["management"]
    if mg.present and not management.is_management_month(m, p):
        rows.append(pl.DataFrame({"manager_id": [None], "message": [
            f"{mg.file}：{fmt_month(m)} 不是季末月份，季度管理考核文件不予读取({RULES_DOC})"]}, schema=exceptions.WARNING_SCHEMA))
    ev = inputs.tables["events"]
    if ev.present:
        other = ev.frame.filter(c("event").is_in(list(SECURITIES_ONLY_EVENTS))).sort("_row")
        rows.append(other.select(
            "manager_id", pl.format(f"事件 {{}}({{}})只适用于证券营业部客户经理，已忽略({{}} 第 {{}} 行；{RULES_DOC})",
                                    c("event").replace_strict(EVENT_LABELS, default=c("event")), c("event"),
                                    pl.lit(ev.file), c("_row")).alias("message")))
    return exceptions.warnings_frame(*frames, exceptions.input_warnings(inputs), *rows)


def _exceptions(df: pl.DataFrame, facts: pl.DataFrame, history: pl.DataFrame, state: pl.DataFrame, m: int,
                p: Params, ctx: MonthContext, warnings: pl.DataFrame, ov_long: pl.DataFrame,
                ended: pl.DataFrame) -> pl.DataFrame:
    c = pl.col
    names = df.select("manager_id", "name")
    liab = facts.filter(c("first_overdue")).join(names, on="manager_id", how="left").sort("manager_id", "loan_id")
    parts = [
        exceptions.exception_rows(df, c("ev_fraud"), "fraud", pl.lit("业绩造假:取消当月业绩工资"),
                              -c("performance_wage_calc")),
        exceptions.exception_rows(df, c("payment_status") == "withheld", "payment_withheld",
                              shared_pay.withheld_text(), c("gross_pay")),
        exceptions.exception_rows(
            liab, pl.lit(True), "overdue_liability",
            pl.format("贷款 {}(借款人 {},{} 到期)逾期未收回,余额 {} 元:本月按{}罚款 {} 元(每笔只罚一次),"
                      "并承担本金赔偿责任 {} 元",
                      c("loan_id"), c("borrower_id"), c("due_date").dt.strftime("%Y-%m-%d"),
                      yuan_expr("outstanding", signed=False), pl.lit(fmt_rate(p.overdue_rate)), yuan_expr("penalty", signed=False),
                      yuan_expr("outstanding", signed=False)),
            -c("outstanding")),
        compliance_checks.staffing(df, facts, p),
        compliance_checks.capacity(df, facts, p),
        compliance_checks.visits(df, facts, history, m, p),
        compliance_checks.guarantee(df, facts, p),
        compliance_checks.due_in_other_year(df, facts),
        compliance_checks.guarantee_not_allowed(df, facts),
        compliance_checks.not_recovered_in_year(df, facts, m),
        compliance_checks.interest_below_wage(df, p),
        corrections.correction_rows(df, state, ctx),
        shared_overrides.override_rows(df, ov_long, COMPONENT_LABELS),
        shared_employment.missing_from_roster(state, df, m, ended),
        exceptions.warning_rows(warnings, names),
    ]
    return exceptions.concat_exceptions(parts)
