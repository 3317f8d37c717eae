"""Compliance checks listed in the exceptions report, without pay effect: R-Art.2 staffing,
R-Art.11 visits, Z-Art.10 guarantee limit and 当年发放当年收回 (SPEC 4; decisions 22–24).

Findings are listed every month they hold (decision 24). The visit history is an aux frame of the
ledger (`visits`: borrower_id, visit_date): visits count by visit_date from any month's file up to
M, by borrower, whoever visited (decision 23); dates before the current quarter are dropped, they
can never count again.
"""

from __future__ import annotations

import polars as pl

from cm_payroll.months import month_end, month_of, month_start
from cm_payroll.rulebooks.common import exception_rows, yuan
from cm_payroll.rulebooks.rcc.params import Params

VISITS_SCHEMA = {"borrower_id": pl.String, "visit_date": pl.Date}

TYPE_ZH = {"small": "小额", "corporate": "企业"}


def empty_visits() -> pl.DataFrame:
    return pl.DataFrame(schema=VISITS_SCHEMA)


def _ceil_div(n: pl.Expr, k: int) -> pl.Expr:
    return (n + (k - 1)) // k


def _borrowers(facts: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Decision 22 — distinct borrower_ids with outstanding > 0, per type, per `by`."""
    live = facts.filter(pl.col("outstanding") > 0)
    return live.group_by(by).agg(
        pl.col("borrower_id").filter(pl.col("borrower_type") == "small").n_unique().cast(pl.Int64).alias("small"),
        pl.col("borrower_id").filter(pl.col("borrower_type") == "corporate").n_unique().cast(pl.Int64)
        .alias("corporate"),
    )


def staffing(df: pl.DataFrame, facts: pl.DataFrame, p: Params) -> pl.DataFrame:
    """R-Art.2 — 小额信用、联保等小额贷款客户按不超过1000户配备一人的标准配置;公司、企业贷款客户按不超过50户配备一人的标准配置.

    Per branch (the branch of the loan's manager): required = ⌈small borrowers / 1000⌉ +
    ⌈corporate borrowers / 50⌉, against the credit managers on that branch's roster (decision 22)."""
    # R-Art.2
    c = pl.col
    loans = facts.join(df.select("manager_id", "branch"), on="manager_id", how="inner")
    need = _borrowers(loans, ["branch"]).with_columns(
        (_ceil_div(c("small"), p.small_per_manager) + _ceil_div(c("corporate"), p.corporate_per_manager))
        .alias("required"))
    have = df.group_by("branch").agg(pl.len().cast(pl.Int64).alias("managers"))
    j = need.join(have, on="branch", how="left").with_columns(c("managers").fill_null(0)).sort("branch")
    return exception_rows(
        j, c("required") > c("managers"), "staffing_shortfall",
        pl.format("{}:小额贷款客户 {} 户、企业贷款客户 {} 户,按每人不超过{}户/{}户应配备专职客户经理 {} 人,实有 {} 人,缺 {} 人",
                  c("branch"), c("small"), c("corporate"), pl.lit(p.small_per_manager),
                  pl.lit(p.corporate_per_manager), c("required"), c("managers"), c("required") - c("managers")),
        manager=False)


def capacity(df: pl.DataFrame, facts: pl.DataFrame, p: Params) -> pl.DataFrame:
    """R-Art.2 — 小额贷款客户按不超过1000户配备一人;公司、企业贷款客户按不超过50户配备一人.

    A manager above 1000 small or 50 corporate borrowers (distinct, outstanding > 0)."""
    # R-Art.2
    c = pl.col
    per = _borrowers(facts, ["manager_id"]).join(df.select("manager_id", "name"), on="manager_id", how="left")
    over_s = c("small") > p.small_per_manager
    over_c = c("corporate") > p.corporate_per_manager
    what = (pl.when(over_s & over_c).then(pl.format("小额贷款客户 {} 户(上限 {} 户)、企业贷款客户 {} 户(上限 {} 户)",
                                                  c("small"), pl.lit(p.small_per_manager), c("corporate"),
                                                  pl.lit(p.corporate_per_manager)))
            .when(over_s).then(pl.format("管理小额贷款客户 {} 户,超过每人 {} 户的标准", c("small"),
                                         pl.lit(p.small_per_manager)))
            .otherwise(pl.format("管理企业贷款客户 {} 户,超过每人 {} 户的标准", c("corporate"),
                                 pl.lit(p.corporate_per_manager))))
    return exception_rows(per.sort("manager_id"), over_s | over_c, "manager_over_capacity", what)


def visit_history(history: pl.DataFrame, visits: pl.DataFrame, m: int) -> pl.DataFrame:
    """Decision 23 — the visits known after month M's file: earlier files plus this one, by
    borrower and date; dates before M's quarter are dropped (they never count again)."""
    q_start = month_start(m - (month_of(m) - 1) % 3)
    new = visits.select(pl.col("borrower_id").cast(pl.String), pl.col("visit_date").cast(pl.Date))
    both = pl.concat([history.select(list(VISITS_SCHEMA)), new])
    return both.filter(pl.col("visit_date") >= pl.lit(q_start)).unique().sort("borrower_id", "visit_date")


def visits(df: pl.DataFrame, facts: pl.DataFrame, history: pl.DataFrame, m: int, p: Params) -> pl.DataFrame:
    """R-Art.11(2) — 定期走访贷款客户…;贷款额度在30万元以上客户每月走访不得少于1次,其他贷款客户每季不少于一次.

    Per borrower and manager (decision 23): a borrower whose loans with outstanding > 0 have
    Σ principal ≥ 300,000 needs a visit dated in the month; others one dated in the calendar quarter,
    checked in the quarter's last month. `history` already holds this month's file."""
    # R-Art.11
    c = pl.col
    start, end = month_start(m), month_end(m)
    q_start = month_start(m - (month_of(m) - 1) % 3)
    quarter_end = month_of(m) % 3 == 0
    owed = facts.filter(c("outstanding") > 0).group_by("manager_id", "borrower_id").agg(
        c("principal").sum().alias("principal_sum"))
    seen = history.group_by("borrower_id").agg(
        c("visit_date").filter((c("visit_date") >= start) & (c("visit_date") <= end)).len().alias("in_month"),
        c("visit_date").filter((c("visit_date") >= q_start) & (c("visit_date") <= end)).len().alias("in_quarter"),
    )
    j = owed.join(seen, on="borrower_id", how="left").with_columns(
        c("in_month").fill_null(0), c("in_quarter").fill_null(0),
        (c("principal_sum") >= p.visit_monthly_from).alias("monthly"),
    ).join(df.select("manager_id", "name"), on="manager_id", how="left").sort("manager_id", "borrower_id")
    monthly_missing = c("monthly") & (c("in_month") == 0)
    quarterly_missing = pl.lit(quarter_end) & ~c("monthly") & (c("in_quarter") == 0)
    desc = (pl.when(c("monthly"))
            .then(pl.format("借款人 {} 贷款本金合计 {} 元(30万元以上),本月未走访(每月不少于1次)",
                            c("borrower_id"), yuan("principal_sum")))
            .otherwise(pl.format("借款人 {} 贷款本金合计 {} 元,本季度未走访(每季不少于1次)",
                                 c("borrower_id"), yuan("principal_sum"))))
    return exception_rows(j, monthly_missing | quarterly_missing, "visit_missing", desc)


def guarantee(df: pl.DataFrame, facts: pl.DataFrame, p: Params) -> pl.DataFrame:
    """Z-Art.10 — 客户经理的营销贷款采用客户经理保证、有效资产抵押、质押方式,其中保证方式对单户发放不超过5万元.

    Σ principal of a borrower's manager-guarantee loans under one manager > 50,000 (decision 24)."""
    # Z-Art.10
    c = pl.col
    g = facts.filter(c("guarantee") == "manager_guarantee").group_by("manager_id", "borrower_id").agg(
        c("principal").sum().alias("guaranteed"), pl.len().alias("n"),
        c("loan_id").sort().str.join("、").alias("loan_ids"),
    ).join(df.select("manager_id", "name"), on="manager_id", how="left").sort("manager_id", "borrower_id")
    return exception_rows(
        g, c("guaranteed") > p.guarantee_limit, "guarantee_over_limit",
        pl.format("借款人 {} 客户经理保证贷款 {} 笔({})本金合计 {} 元,超过单户 {} 元",
                  c("borrower_id"), c("n"), c("loan_ids"), yuan("guaranteed"), yuan(pl.lit(p.guarantee_limit))))


def due_in_other_year(df: pl.DataFrame, facts: pl.DataFrame) -> pl.DataFrame:
    """Z-Art.10 — 客户经理营销贷款…当年发放贷款当年收回,对贷款承担终身清收赔偿责任.

    A loan whose due date is not in its issue year."""
    # Z-Art.10
    c = pl.col
    f = facts.join(df.select("manager_id", "name"), on="manager_id", how="left").sort("manager_id", "loan_id")
    return exception_rows(
        f, c("due_date").dt.year() != c("issue_date").dt.year(), "due_in_other_year",
        pl.format("贷款 {}(借款人 {}){} 发放、{} 到期,未当年发放当年收回", c("loan_id"), c("borrower_id"),
                  c("issue_date").dt.strftime("%Y-%m-%d"), c("due_date").dt.strftime("%Y-%m-%d")))
