"""Loans of the month and the once-per-loan overdue penalty: Z-Art.19(3), Z-Art.10 (SPEC 4;
decisions 21, 28).

The ledger remembers every loan already charged (aux frame `charged_loans`: loan_id, month,
manager_id, liability, penalty). loan_id is unique for ever (decision 21), so a loan is charged in
the first month it is overdue and never again, however long it stays overdue, whoever manages it.
"""

from __future__ import annotations

import polars as pl

from cm_payroll.rulebooks.base import Component, Figure
from cm_payroll.units import apply_rate, rate, yuan
from cm_payroll.months import month_end
from cm_payroll.rulebooks.rcc.params import Params

CHARGED_SCHEMA = {
    "loan_id": pl.String,
    "month": pl.Int32,          # month index charged
    "manager_id": pl.String,    # manager charged
    "liability": pl.Int64,      # 本金赔偿责任: outstanding of the first overdue month, fen (decision 21)
    "penalty": pl.Int64,        # the 1% penalty charged, fen (negative)
}

LOAN_AGGREGATES = ("interest_collected", "due_sum", "recovered_sum", "loans", "loans_overdue",
                   "overdue_this_year", "overdue_new", "overdue_penalty")


def empty_charged() -> pl.DataFrame:
    return pl.DataFrame(schema=CHARGED_SCHEMA)


def loan_facts(loans: pl.DataFrame, m: int, charged: pl.DataFrame, p: Params) -> pl.DataFrame:
    """Z-Art.19(3) — 贷款未收回的,按未收回余额的1%处罚并承担本金的赔偿责任.

    Per loan: overdue when due_date ≤ month end and outstanding > 0; issued this year; first overdue
    (overdue and not charged before): penalty −1% × outstanding, rounded half-up to the fen per loan,
    liability = outstanding (decision 21). Blank due/recovered cells are 0 (decision 28)."""
    # Z-Art.19
    c = pl.col
    end = month_end(m)
    done = charged.get_column("loan_id").implode()
    overdue = (c("due_date") <= pl.lit(end)) & (c("outstanding") > 0)
    first = overdue & ~c("loan_id").is_in(done)
    return loans.with_columns(
        c("due_this_month").fill_null(0),
        c("recovered_this_month").fill_null(0),
        overdue.alias("overdue"),
        (c("issue_date").dt.year() == m // 12).alias("issued_this_year"),
        first.alias("first_overdue"),
        pl.when(first).then(-apply_rate(c("outstanding"), p.overdue_rate)).otherwise(pl.lit(0, pl.Int64))
        .cast(pl.Int64).alias("penalty"),
    )


def charged_after(facts: pl.DataFrame, charged: pl.DataFrame, m: int) -> pl.DataFrame:
    """The ledger's memory after month M: earlier charges plus this month's first-overdue loans."""
    new = facts.filter(pl.col("first_overdue")).select(
        "loan_id", pl.lit(m, pl.Int32).alias("month"), "manager_id",
        pl.col("outstanding").alias("liability"), "penalty")
    both = pl.concat([charged.select(list(CHARGED_SCHEMA)), new.select([pl.col(k).cast(t) for k, t in CHARGED_SCHEMA.items()])])
    return both.sort("loan_id")


def per_manager(df: pl.DataFrame, facts: pl.DataFrame) -> pl.DataFrame:
    """Z-Art.18(2)(3) — 营销资金:主要考核营销贷款额和收回额…;利息收入:主要考核贷款利息实际收回额.

    The month's loan figures per manager: interest collected, Σ due and Σ recovered this month,
    loans, overdue loans, this year's overdue loans, newly overdue loans and the overdue penalty
    (Z-Art.19(3): the per-loan penalties summed). A manager without loans has zeros."""
    # Z-Art.18, Z-Art.19
    c = pl.col
    agg = facts.group_by("manager_id").agg(
        c("interest_collected").sum(),
        c("due_this_month").sum().alias("due_sum"),
        c("recovered_this_month").sum().alias("recovered_sum"),
        pl.len().cast(pl.Int64).alias("loans"),
        c("overdue").sum().cast(pl.Int64).alias("loans_overdue"),
        (c("overdue") & c("issued_this_year")).sum().cast(pl.Int64).alias("overdue_this_year"),
        c("first_overdue").sum().cast(pl.Int64).alias("overdue_new"),
        c("penalty").sum().cast(pl.Int64).alias("overdue_penalty"),
        c("outstanding").filter(c("first_overdue")).sum().cast(pl.Int64).alias("overdue_new_outstanding"),
    )
    df = df.join(agg, on="manager_id", how="left")
    return df.with_columns([c(k).fill_null(0).cast(pl.Int64) for k in LOAN_AGGREGATES + ("overdue_new_outstanding",)])


def _basis(r: dict, p: Params, _m: int) -> str:
    if r["overdue_new"]:
        return (f"本月新逾期贷款 {r['overdue_new']} 笔,未收回余额 {yuan(r['overdue_new_outstanding'])}"
                f" × {rate(p.overdue_rate, permille=True)}(逐笔计算,每笔只罚一次);并承担本金赔偿责任")
    if r["loans_overdue"]:
        return f"逾期贷款 {r['loans_overdue']} 笔已在以前月份处罚,不重复处罚"
    return "无逾期贷款"


OVERDUE_PENALTY = Component(
    "overdue_penalty", "逾期贷款罚款", "Z-Art.19(3)", params=("overdue_rate",),
    figures=(Figure("管户贷款笔数", "loans", "int"), Figure("逾期笔数", "loans_overdue", "int"),
             Figure("本月新逾期笔数", "overdue_new", "int"), Figure("新逾期余额", "overdue_new_outstanding", "money")),
    inputs=("loans",),
    rule=lambda p: (f"贷款到期未收回(到期日不晚于月末且余额大于0),首次逾期当月按未收回余额的 "
                    f"{rate(p.overdue_rate, permille=True)} 逐笔处罚并承担本金赔偿责任;每笔贷款只罚一次(Z-Art.19(3))"),
    basis=_basis)


def notes(r: dict, p: Params) -> list[str]:
    if r["overdue_new"]:
        return [f"逾期贷款按未收回余额的{rate(p.overdue_rate, permille=True)}处罚并承担本金的赔偿责任(Z-Art.19(3)),"
                f"明细见例外事项报告。"]
    return []
