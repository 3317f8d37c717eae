"""The securities opening file (期初数据, SPEC 6): what the months before a `--start` left behind.

Columns (Chinese / English; all but 工号 optional, blank = none):
    工号 manager_id; 结转年终奖亏空 carried_deficit (≥ 0, S-Art.14); 合规奖励金余额 compliance_reserve
    (≥ 0, the reserve accrued this year before the start, S-Art.16); 本年累计实际净收入 ytd_net_income
    (signed) and 本年累计营销绩效奖 ytd_performance_bonus (≥ 0), the year-end Σ of the months of the
    start's year before the start (S-Art.14); 近12月待岗触发月份 trigger_months (YYYY-MM, several
    separated by 、 , ; or spaces, each before the start; S-Art.8(2)); 近12月转岗申请次数 request_count
    (a whole number ≥ 0, counted as filed in the month before the start, the longest they can weigh on
    the allowance; S-Art.26(二)); 下月待岗培训 standby_next (是: the start month is a standby month,
    S-Art.8(2)).

Input errors: an unknown 工号 (not on the start roster; checked with every data file), a negative
amount, a trigger month not before the start, a request count that is not a whole number, year sums
or a reserve when the start is January (they would belong to the previous year), a row for a manager
hired in or after the start month.
"""

from __future__ import annotations

import polars as pl

from cm_payroll.errors import InputIssue
from cm_payroll.units import SCORE_SCALE
from cm_payroll.months import fmt_month
from cm_payroll.rulebooks.shared import opening as shared
from cm_payroll.rulebooks.securities.employment import STATE_SCHEMA
from cm_payroll.rulebooks.tax.opening import OPENING_COLUMNS as TAX_OPENING
from cm_payroll.schema import YES_NO, Column, FileSpec

OPENING = FileSpec(
    shared.OPENING_STEM, "期初数据",
    (
        shared.MANAGER,
        Column("carried_deficit", "结转年终奖亏空", "money_nonneg", nullable=True),
        Column("compliance_reserve", "合规奖励金余额", "money_nonneg", nullable=True),
        Column("ytd_net_income", "本年累计实际净收入", "money", nullable=True),
        Column("ytd_performance_bonus", "本年累计营销绩效奖", "money_nonneg", nullable=True),
        Column("trigger_months", "近12月待岗触发月份", "text", nullable=True),
        Column("request_count", "近12月转岗申请次数", "score", nullable=True),
        Column("standby_next", "下月待岗培训", "bool", nullable=True, categories=YES_NO),
        *TAX_OPENING,     # SPEC 9: the year-to-date figures of cumulative withholding (rulebooks/tax)
    ),
    key=("manager_id",),
)

_SEP = r"[、,，;；\s]+"


def _trigger_months(t) -> tuple[pl.DataFrame, list[InputIssue]]:
    """(manager_id, trigger_months as a list of month indices) and the cells that are not months."""
    f = t.frame.select("_row", "_sheet", "manager_id", pl.col("trigger_months").fill_null(""))
    parts = f.with_columns(pl.col("trigger_months").str.replace_all(_SEP, " ").str.strip_chars().str.split(" ")
                           ).explode("trigger_months").filter(pl.col("trigger_months") != "")
    g = parts.with_columns(pl.col("trigger_months").str.extract_groups(r"^(\d{4})-(\d{1,2})$").alias("_g"))
    y = pl.col("_g").struct.field("1").cast(pl.Int32, strict=False)
    mo = pl.col("_g").struct.field("2").cast(pl.Int32, strict=False)
    g = g.with_columns(pl.when(mo.is_between(1, 12)).then(y * 12 + mo - 1).alias("_m"))
    bad = g.filter(pl.col("_m").is_null())
    issues = [InputIssue(t.file, sh, r, t.label("trigger_months"),
                         f"not a month (YYYY-MM, several separated by 、 or ;): {v!r}")
              for r, sh, v in bad.select("_row", "_sheet", "trigger_months").iter_rows()]
    lists = g.filter(pl.col("_m").is_not_null()).group_by("manager_id").agg(
        pl.col("_m").sort().unique(maintain_order=True).cast(pl.Int32).alias("trigger_list"),
        pl.col("_row").first(), pl.col("_sheet").first())
    return lists, issues


def seed_state(inputs, start: int) -> tuple[pl.DataFrame, list[InputIssue], pl.DataFrame]:
    """The ledger state before `start` from the opening file: (state, input errors, warnings as
    (manager_id, message))."""
    t = inputs.tables[shared.OPENING_STEM]
    roster = inputs["roster"]
    op = t.frame
    issues: list[InputIssue] = shared.hired_too_late(roster, op, start, t.file or "opening", t.label("manager_id"))
    lists, bad_months = _trigger_months(t)
    issues += bad_months
    late = lists.explode("trigger_list").filter(pl.col("trigger_list") >= start)
    for r, sh, mid, k in late.select("_row", "_sheet", "manager_id", "trigger_list").iter_rows():
        issues.append(InputIssue(t.file, sh, r, t.label("trigger_months"),
                                 f"trigger month {fmt_month(k)} of {mid} is not before the start month "
                                 f"{fmt_month(start)}: the opening gives what happened before the start"))
    frac = op.filter(pl.col("request_count").is_not_null() & ((pl.col("request_count") % SCORE_SCALE != 0)
                                                              | (pl.col("request_count") < 0)))
    for r, sh, v in frac.select("_row", "_sheet", "request_count").iter_rows():
        issues.append(InputIssue(t.file, sh, r, t.label("request_count"),
                                 f"a number of requests must be a whole number ≥ 0; found {v / SCORE_SCALE}"))
    if start % 12 == 0:
        for key in ("ytd_net_income", "ytd_performance_bonus", "compliance_reserve"):
            nz = op.filter(pl.col(key).fill_null(0) != 0)
            for r, sh in nz.select("_row", "_sheet").iter_rows():
                issues.append(InputIssue(t.file, sh, r, t.label(key),
                                         f"the start month {fmt_month(start)} is a January: there are no months "
                                         f"of its year before it, so this must be blank or 0 (last year's "
                                         f"figures were settled in its December)"))
    op = op.join(lists.select("manager_id", "trigger_list"), on="manager_id", how="left")
    requests = (pl.col("request_count").fill_null(0) // SCORE_SCALE).clip(0, 10_000)
    values = {
        "status": pl.lit("active"),
        "confirmed": pl.lit(True),
        "window_start": pl.lit(start, pl.Int32),
        "standby_next": pl.col("standby_next").fill_null(False),
        "trigger_months": pl.col("trigger_list").fill_null(pl.lit([], pl.List(pl.Int32))),
        "request_months": pl.lit(start - 1, pl.Int32).repeat_by(requests).cast(pl.List(pl.Int32)),
        "advisor_since": pl.when(pl.col("track") == "advisor").then(pl.lit(start, pl.Int32)),
        "year": pl.lit(start // 12, pl.Int32),
        "ytd_net_income": pl.col("ytd_net_income").fill_null(0),
        "ytd_performance_bonus": pl.col("ytd_performance_bonus").fill_null(0),
        "reserve": pl.col("compliance_reserve").fill_null(0),
        "deficit": pl.col("carried_deficit").fill_null(0),
    }
    state = shared.seeded(roster, op.filter(pl.col("manager_id").is_not_null()), start, STATE_SCHEMA, values)
    warnings = shared.no_history_warnings(
        roster, op, start, t.present, "待岗触发、转岗申请、本年累计数、合规奖励金余额和年终奖亏空",
        f";入职早于 {fmt_month(start)} 的按已转正处理(不再见习)")
    return state, issues, warnings


__all__ = ["OPENING", "seed_state"]
