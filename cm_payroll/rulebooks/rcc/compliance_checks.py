"""Compliance checks listed in the exceptions report, without pay effect: R-Art.2 staffing,
R-Art.11 visits, Z-Art.10 guarantee limit, guarantee kind and 当年发放当年收回, Z-Art.12 interest
against wage (SPEC 4; decisions 22–24, 39, 41).

Findings are listed every month they hold (decision 24). The visit history is an aux frame of the
ledger (`visits`: borrower_id, visit_date): visits count by visit_date from any month's file up to
M, by borrower, whoever visited (decision 23); dates before the current quarter are dropped, they
can never count again.

At scale (millions of loan rows) each check first narrows the loans to its candidates with cheap
vectorised predicates (a borrower without a visit in the month, a manager-guarantee pair above the
limit, a loan due in another year, a manager or branch whose loan counts could exceed R-Art.2) and
only then counts, joins names, sorts and formats those few rows.
"""

from __future__ import annotations

import polars as pl

from cm_payroll.months import month_end, month_of, month_start
from cm_payroll.rulebooks.shared.exceptions import exception_rows
from cm_payroll.units import yuan_expr
from cm_payroll.rulebooks.rcc.params import Params

VISITS_SCHEMA = {"borrower_id": pl.String, "visit_date": pl.Date}

def empty_visits() -> pl.DataFrame:
    return pl.DataFrame(schema=VISITS_SCHEMA)


def _ceil_div(n: pl.Expr, k: int) -> pl.Expr:
    return (n + (k - 1)) // k


def _live(facts: pl.DataFrame, managers: pl.DataFrame, nulls_equal: bool) -> pl.DataFrame:
    """The loans with outstanding > 0 of `managers` (joined on manager_id), with the columns the R-Art.2
    counts read."""
    return (facts.lazy().select("manager_id", "borrower_id", "borrower_type", "outstanding")
            .filter(pl.col("outstanding") > 0)
            .join(managers.lazy(), on="manager_id", how="inner", nulls_equal=nulls_equal).collect())


def _borrowers(facts: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Decision 22 — distinct borrower_ids with outstanding > 0, per type, per `by`."""
    live = facts.select(*by, "borrower_id", "borrower_type", "outstanding").filter(pl.col("outstanding") > 0)
    return live.group_by(by).agg(
        pl.col("borrower_id").filter(pl.col("borrower_type") == "small").n_unique().cast(pl.Int64).alias("small"),
        pl.col("borrower_id").filter(pl.col("borrower_type") == "corporate").n_unique().cast(pl.Int64)
        .alias("corporate"),
    )


def _loans_per_manager(facts: pl.DataFrame) -> pl.DataFrame:
    """Loans with outstanding > 0 per manager and type. Every borrower `_borrowers` counts has one at
    least, so these counts bound the distinct borrowers from above and are far cheaper to take over
    every loan: R-Art.2 drops with them the managers and branches that cannot be over the standard."""
    c = pl.col
    return (facts.lazy().select("manager_id", "borrower_type", "outstanding").filter(c("outstanding") > 0)
            .group_by("manager_id").agg((c("borrower_type") == "small").sum().cast(pl.Int64).alias("small"),
                                        (c("borrower_type") == "corporate").sum().cast(pl.Int64).alias("corporate"))
            .collect())


def staffing(df: pl.DataFrame, facts: pl.DataFrame, p: Params) -> pl.DataFrame:
    """R-Art.2 — 小额信用、联保等小额贷款客户按不超过1000户配备一人的标准配置;公司、企业贷款客户按不超过50户配备一人的标准配置.

    Per branch (the branch of the loan's manager): required = ⌈small borrowers / 1000⌉ +
    ⌈corporate borrowers / 50⌉, against the credit managers on that branch's roster (decision 22).
    The distinct borrowers are counted only in the branches whose loan counts (an upper bound) would
    require more managers than they have."""
    # R-Art.2
    c = pl.col

    def required(small: pl.Expr, corporate: pl.Expr) -> pl.Expr:
        return _ceil_div(small, p.staffing.small_per_manager) + _ceil_div(corporate, p.staffing.corporate_per_manager)

    branches = df.select("manager_id", "branch")
    have = df.group_by("branch").agg(pl.len().cast(pl.Int64).alias("managers"))
    bound = (_loans_per_manager(facts).join(branches, on="manager_id", how="inner")
             .group_by("branch").agg(c("small").sum(), c("corporate").sum())
             .join(have, on="branch", how="left").with_columns(c("managers").fill_null(0))
             .filter(required(c("small"), c("corporate")) > c("managers")))
    short = branches.join(bound.select("branch"), on="branch", how="semi", nulls_equal=True)
    loans = _live(facts, short, nulls_equal=False)
    need = _borrowers(loans, ["branch"]).with_columns(required(c("small"), c("corporate")).alias("required"))
    j = need.join(have, on="branch", how="left").with_columns(c("managers").fill_null(0)).sort("branch")
    return exception_rows(
        j, c("required") > c("managers"), "staffing_shortfall",
        pl.format("{}:小额贷款客户 {} 户、企业贷款客户 {} 户,按每人不超过{}户/{}户应配备专职客户经理 {} 人,实有 {} 人,缺 {} 人",
                  c("branch"), c("small"), c("corporate"), pl.lit(p.staffing.small_per_manager),
                  pl.lit(p.staffing.corporate_per_manager), c("required"), c("managers"), c("required") - c("managers")),
        manager=False)


def capacity(df: pl.DataFrame, facts: pl.DataFrame, p: Params) -> pl.DataFrame:
    """R-Art.2 — 小额贷款客户按不超过1000户配备一人;公司、企业贷款客户按不超过50户配备一人.

    A manager above 1000 small or 50 corporate borrowers (distinct, outstanding > 0). The distinct
    borrowers are counted only for the managers with more loans than that (an upper bound)."""
    # R-Art.2
    c = pl.col
    over_s = c("small") > p.staffing.small_per_manager
    over_c = c("corporate") > p.staffing.corporate_per_manager
    most = _loans_per_manager(facts).filter(over_s | over_c).select("manager_id")
    live = _live(facts, most, nulls_equal=True)             # group_by keeps a null manager_id group
    per = _borrowers(live, ["manager_id"]).join(df.select("manager_id", "name"), on="manager_id", how="left")
    what = (pl.when(over_s & over_c).then(pl.format("小额贷款客户 {} 户(上限 {} 户)、企业贷款客户 {} 户(上限 {} 户)",
                                                  c("small"), pl.lit(p.staffing.small_per_manager), c("corporate"),
                                                  pl.lit(p.staffing.corporate_per_manager)))
            .when(over_s).then(pl.format("管理小额贷款客户 {} 户,超过每人 {} 户的标准", c("small"),
                                         pl.lit(p.staffing.small_per_manager)))
            .otherwise(pl.format("管理企业贷款客户 {} 户,超过每人 {} 户的标准", c("corporate"),
                                 pl.lit(p.staffing.corporate_per_manager))))
    return exception_rows(per.sort("manager_id"), over_s | over_c, "manager_over_capacity", what)


def visit_history(history: pl.DataFrame, visits: pl.DataFrame, m: int) -> pl.DataFrame:
    """Decision 23 — the visits known after month M's file: earlier files plus this one, by
    borrower and date; dates before M's quarter are dropped (they never count again).

    Distinct rows in (borrower_id, visit_date) order: sorted first, then a row equal to the one
    before it is dropped (cheaper at scale than hashing every row for `unique`)."""
    c = pl.col
    q_start = month_start(m - (month_of(m) - 1) % 3)
    new = visits.select(c("borrower_id").cast(pl.String), c("visit_date").cast(pl.Date))
    both = pl.concat([history.select(list(VISITS_SCHEMA)), new])
    kept = both.filter(c("visit_date") >= pl.lit(q_start)).sort("borrower_id", "visit_date")
    b, d = c("borrower_id"), c("visit_date")
    return kept.filter((pl.int_range(pl.len()) == 0) | b.ne_missing(b.shift()) | d.ne_missing(d.shift()))


def visits(df: pl.DataFrame, facts: pl.DataFrame, history: pl.DataFrame, m: int, p: Params) -> pl.DataFrame:
    """R-Art.11(2) — 定期走访贷款客户…;贷款额度在30万元以上客户每月走访不得少于1次,其他贷款客户每季不少于一次.

    Per borrower and manager (decision 23): a borrower whose loans with outstanding > 0 have
    Σ principal ≥ 300,000 needs a visit dated in the month; others one dated in the calendar quarter,
    checked in the quarter's last month. `history` already holds this month's file.

    A visit dated in the month is also one in the quarter, so only the borrowers without one in the
    month can miss either: their loans alone are summed per manager and borrower."""
    # R-Art.11
    c = pl.col
    start, end = month_start(m), month_end(m)
    q_start = month_start(m - (month_of(m) - 1) % 3)
    quarter_end = month_of(m) % 3 == 0

    def visited(since) -> pl.LazyFrame:
        """The borrowers with a visit dated from `since` to the month end."""
        return (history.lazy().filter((c("visit_date") >= since) & (c("visit_date") <= end))
                .select("borrower_id").unique())

    owed = (facts.lazy().select("manager_id", "borrower_id", "principal", "outstanding")
            .filter(c("outstanding") > 0)
            .join(visited(start), on="borrower_id", how="anti")            # no visit in the month
            .group_by("manager_id", "borrower_id").agg(c("principal").sum().alias("principal_sum"))
            .with_columns((c("principal_sum") >= p.visits.monthly_from).alias("monthly")))
    if quarter_end:                                                         # others: none in the quarter
        owed = owed.join(visited(q_start).with_columns(pl.lit(True).alias("in_quarter")), on="borrower_id",
                         how="left").filter(c("monthly") | c("in_quarter").is_null())
    else:
        owed = owed.filter(c("monthly"))
    j = owed.collect().join(df.select("manager_id", "name"), on="manager_id", how="left").sort(
        "manager_id", "borrower_id")
    desc = (pl.when(c("monthly"))
            .then(pl.format("借款人 {} 贷款本金合计 {} 元({} 元以上),本月未走访(每月不少于1次)",
                            c("borrower_id"), yuan_expr("principal_sum", signed=False),
                            yuan_expr(pl.lit(p.visits.monthly_from, pl.Int64), signed=False)))
            .otherwise(pl.format("借款人 {} 贷款本金合计 {} 元,本季度未走访(每季不少于1次)",
                                 c("borrower_id"), yuan_expr("principal_sum", signed=False))))
    return exception_rows(j, pl.lit(True), "visit_missing", desc)


def guarantee(df: pl.DataFrame, facts: pl.DataFrame, p: Params) -> pl.DataFrame:
    """Z-Art.10 — 客户经理的营销贷款采用客户经理保证、有效资产抵押、质押方式,其中保证方式对单户发放不超过5万元.

    Σ principal of a borrower's manager-guarantee loans under one manager > 50,000 (decision 24).
    The loans of the pairs above the limit are found first; only theirs are counted and listed."""
    # Z-Art.10
    c = pl.col
    pair = ("manager_id", "borrower_id")
    over = (facts.lazy().select(*pair, "loan_id", "guarantee", "principal")
            .filter(c("guarantee") == "manager_guarantee")
            .filter(c("principal").sum().over(pair) > p.guarantee_limit).collect())
    g = over.group_by(pair).agg(
        c("principal").sum().alias("guaranteed"), pl.len().alias("n"),
        c("loan_id").sort().str.join("、").alias("loan_ids"),
    ).join(df.select("manager_id", "name"), on="manager_id", how="left").sort("manager_id", "borrower_id")
    return exception_rows(
        g, pl.lit(True), "guarantee_over_limit",
        pl.format("借款人 {} 客户经理保证贷款 {} 笔({})本金合计 {} 元,超过单户 {} 元",
                  c("borrower_id"), c("n"), c("loan_ids"), yuan_expr("guaranteed", signed=False), yuan_expr(pl.lit(p.guarantee_limit), signed=False)))


def due_in_other_year(df: pl.DataFrame, facts: pl.DataFrame) -> pl.DataFrame:
    """Z-Art.10 — 客户经理营销贷款…当年发放贷款当年收回,对贷款承担终身清收赔偿责任.

    A loan whose due date is not in its issue year (those loans first; then their names and order)."""
    # Z-Art.10
    c = pl.col
    f = facts.filter(c("due_date").dt.year() != c("issue_date").dt.year()).join(
        df.select("manager_id", "name"), on="manager_id", how="left").sort("manager_id", "loan_id")
    return exception_rows(
        f, pl.lit(True), "due_in_other_year",
        pl.format("贷款 {}(借款人 {}){} 发放、{} 到期,未当年发放当年收回", c("loan_id"), c("borrower_id"),
                  c("issue_date").dt.strftime("%Y-%m-%d"), c("due_date").dt.strftime("%Y-%m-%d")))


def guarantee_not_allowed(df: pl.DataFrame, facts: pl.DataFrame) -> pl.DataFrame:
    """Z-Art.10 — 客户经理的营销贷款采用客户经理保证、有效资产抵押、质押方式.

    A loan whose guarantee is `other` (其他) is a finding (decision 39). Those loans first; then their
    names and order."""
    # Z-Art.10
    c = pl.col
    f = (facts.lazy().filter(c("guarantee") == "other")
         .select("manager_id", "loan_id", "borrower_id", "principal").collect()
         .join(df.select("manager_id", "name"), on="manager_id", how="left").sort("manager_id", "loan_id"))
    return exception_rows(
        f, pl.lit(True), "guarantee_not_allowed",
        pl.format("贷款 {}(借款人 {},本金 {} 元)担保方式为“其他”:营销贷款应采用客户经理保证、有效资产抵押或质押方式",
                  c("loan_id"), c("borrower_id"), yuan_expr("principal", signed=False)))


def not_recovered_in_year(df: pl.DataFrame, facts: pl.DataFrame, m: int) -> pl.DataFrame:
    """Z-Art.10 — 当年发放贷款当年收回.

    In December, a loan issued that year whose outstanding is above 0 is a finding (decision 39).
    Only December reads the loans; those issued this year and not recovered first."""
    # Z-Art.10
    c = pl.col
    cols = ("manager_id", "loan_id", "borrower_id", "issue_date", "due_date", "outstanding")
    if month_of(m) != 12:
        f = facts.head(0).select(*cols)
    else:
        f = (facts.lazy().filter((c("outstanding") > 0) & (c("issue_date").dt.year() == m // 12))
             .select(*cols).collect())
    f = f.join(df.select("manager_id", "name"), on="manager_id", how="left").sort("manager_id", "loan_id")
    return exception_rows(
        f, pl.lit(True), "not_recovered_in_year",
        pl.format("贷款 {}(借款人 {}){} 发放、{} 到期,年末余额 {} 元未收回:当年发放贷款应当年收回",
                  c("loan_id"), c("borrower_id"), c("issue_date").dt.strftime("%Y-%m-%d"),
                  c("due_date").dt.strftime("%Y-%m-%d"), yuan_expr("outstanding", signed=False)))


def interest_below_wage(df: pl.DataFrame, p: Params) -> pl.DataFrame:
    """Z-Art.12 — 客户经理创造贷款利息收入应不低于个人工资和人平四项费用额。从事专责清收个人责任贷款的
    客户经理据实确定.

    A credit manager who is not 专责清收 whose interest collected in the month is below the month's
    gross pay (after overrides) plus the per-head expenses parameter (人平四项费用) is a finding
    (decision 41); no pay effect. The text states both figures and the parameter in force."""
    # Z-Art.12
    c = pl.col
    floor = c("gross_pay") + pl.lit(p.per_head_expenses, pl.Int64)
    short = df.filter(~c("dedicated_collection").fill_null(False) & (c("interest_collected") < floor))
    return exception_rows(
        short, pl.lit(True), "interest_below_wage",
        pl.format("本月收息 {} 元,低于个人工资(应发合计){} 元与人平四项费用 {} 元之和 {} 元,差 {} 元",
                  yuan_expr("interest_collected", signed=False), yuan_expr("gross_pay"), yuan_expr(pl.lit(p.per_head_expenses, pl.Int64), signed=False),
                  yuan_expr(floor), yuan_expr(floor - c("interest_collected"), signed=False)))
