"""What the tax carries from month to month per manager (the ledger keeps it), and the year-to-date sums.

国家税务总局公告2018年第61号 第六条: "累计预扣法,是指扣缴义务人在一个纳税年度内预扣预缴税款时,以纳税人
在本单位截至当前月份工资、薪金所得累计收入减除累计免税收入、累计减除费用、累计专项扣除、累计专项附加扣除和
累计依法确定的其他扣除后的余额为累计预扣预缴应纳税所得额 … 累计减除费用,按照5000元/月乘以纳税人当年截至本月
在本单位的任职受雇月份数计算。"

STATE_SCHEMA (one row per manager ever taxed, keyed by manager_id; money Int64 fen):
    manager_id              String
    tax_year                Int32    the year of receipt the sums below belong to (null: nothing yet)
    last_receipt            Int32    month index (year × 12 + month − 1) of the last receipt computed
    months_employed         Int32    months of receipt of this year with pay from this employer (任职受雇月份数)
    cum_income              Int64    累计收入: Σ wages received this year (the bonus taxed apart excluded)
    cum_special             Int64    累计专项扣除: Σ insurances (社保个人 + 公积金个人)
    cum_special_additional  Int64    累计专项附加扣除 (receipts from 2019 only)
    cum_basic               Int64    累计减除费用: Σ basic deduction, one per month employed (5,000 × n)
    cum_tax_withheld        Int64    累计已预扣税额: Σ tax withheld on wages this year (年终奖个税 excluded)
    full_year_flag          Boolean  全年6万减除 as last given in this year (false: 否 or never given)
    bonus_year              Int32    the year of receipt whose year-end bonus was taxed apart (once a year)
    carried_deduction       Int64    上月结转扣款: the negative net remainder to deduct next month (≥ 0)

A new year of receipt starts the sums, months, tax withheld and flag again; `bonus_year` and
`carried_deduction` pass the year end. A manager absent in a month (a gap before a re-hire) keeps the
row unchanged: the sums continue and the gap is not counted as a month employed.
"""

from __future__ import annotations

import polars as pl

from cm_payroll.rulebooks.tax.params import TaxParams

STATE_SCHEMA: dict[str, pl.DataType] = {
    "manager_id": pl.String(),
    "tax_year": pl.Int32(),
    "last_receipt": pl.Int32(),
    "months_employed": pl.Int32(),
    "cum_income": pl.Int64(),
    "cum_special": pl.Int64(),
    "cum_special_additional": pl.Int64(),
    "cum_basic": pl.Int64(),
    "cum_tax_withheld": pl.Int64(),
    "full_year_flag": pl.Boolean(),
    "bonus_year": pl.Int32(),
    "carried_deduction": pl.Int64(),
}

SUMS = ("cum_income", "cum_special", "cum_special_additional", "cum_basic", "cum_tax_withheld")


def empty_state() -> pl.DataFrame:
    return pl.DataFrame(schema=STATE_SCHEMA)


def conform(state: pl.DataFrame | None) -> pl.DataFrame:
    """The state with exactly the STATE_SCHEMA columns (a column an older ledger lacks is null)."""
    if state is None:
        return empty_state()
    missing = [pl.lit(None, t).alias(k) for k, t in STATE_SCHEMA.items() if k not in state.columns]
    return state.with_columns(missing).select([pl.col(k).cast(t) for k, t in STATE_SCHEMA.items()])


def carry_in(df: pl.DataFrame, state: pl.DataFrame, p: TaxParams) -> pl.DataFrame:
    """Last month's state beside each manager's row, the year of receipt started again where it changed.

    Adds `prev_months_employed`, `prev_cum_income`, `prev_cum_special`, `prev_cum_special_additional`,
    `prev_cum_basic`, `prev_cum_tax_withheld` (0 in a new year or for a new manager), `prev_full_year`
    (Boolean, never null), `bonus_year`, `carried_in` (上月结转扣款, ≥ 0) and `new_month` (this receipt
    month is not yet counted as a month employed)."""
    c = pl.col
    s = conform(state).rename({k: f"_s_{k}" for k in STATE_SCHEMA if k != "manager_id"})
    j = df.join(s, on="manager_id", how="left")
    same = (c("_s_tax_year") == p.year).fill_null(False)
    keep = [pl.when(same).then(c(f"_s_{k}")).otherwise(0).fill_null(0).cast(pl.Int64).alias(f"prev_{k}")
            for k in SUMS]
    return j.with_columns(
        *keep,
        pl.when(same).then(c("_s_months_employed")).otherwise(0).fill_null(0).cast(pl.Int32)
        .alias("prev_months_employed"),
        (same & c("_s_full_year_flag")).fill_null(False).alias("prev_full_year"),
        c("_s_bonus_year").alias("bonus_year"),
        c("_s_carried_deduction").fill_null(0).cast(pl.Int64).alias("carried_in"),
        (~same | (c("_s_last_receipt") != p.receipt_month).fill_null(True)).alias("new_month"),
    ).drop([f"_s_{k}" for k in STATE_SCHEMA if k != "manager_id"])


def accumulate(df: pl.DataFrame, p: TaxParams, special_additional: bool) -> pl.DataFrame:
    """The year-to-date sums after this month: every month enters them, with or without deductions
    (SPEC 9). Needs `wages_taxed`, `insurances`, `special_additional` and carry_in's columns; adds
    `months_employed`, `cum_income`, `cum_special`, `cum_special_additional` (the month's 专项附加扣除
    enters only where `special_additional` is deductible) and `cum_basic` (+ basic deduction once per
    new month employed)."""
    c = pl.col
    new = c("new_month").cast(pl.Int64)
    sa = c("special_additional") if special_additional else pl.lit(0, pl.Int64)
    return df.with_columns(
        (c("prev_months_employed") + c("new_month").cast(pl.Int32)).alias("months_employed"),
        (c("prev_cum_income") + c("wages_taxed")).alias("cum_income"),
        (c("prev_cum_special") + c("insurances")).alias("cum_special"),
        (c("prev_cum_special_additional") + sa).alias("cum_special_additional"),
        (c("prev_cum_basic") + new * p.basic).alias("cum_basic"),
    )


def next_state(state: pl.DataFrame, df: pl.DataFrame, p: TaxParams, computed: bool) -> pl.DataFrame:
    """The state after this month: the month's managers updated from `df` (which holds accumulate's
    sums, `income_tax`, `bonus_apart`, `full_year_flag`, `carry_forward`), everyone else unchanged.
    The bonus year is marked only where the bonus was taxed apart in a computed month."""
    c = pl.col
    rows = df.select(
        c("manager_id"),
        pl.lit(p.year, pl.Int32).alias("tax_year"),
        pl.lit(p.receipt_month, pl.Int32).alias("last_receipt"),
        c("months_employed"), c("cum_income"), c("cum_special"), c("cum_special_additional"), c("cum_basic"),
        (c("prev_cum_tax_withheld") + c("income_tax")).alias("cum_tax_withheld"),
        pl.coalesce(c("full_year_flag"), c("prev_full_year")).alias("full_year_flag"),
        pl.when(c("bonus_apart") & pl.lit(computed)).then(pl.lit(p.year, pl.Int32)).otherwise(c("bonus_year"))
        .alias("bonus_year"),
        c("carry_forward").alias("carried_deduction"),
    )
    rows = conform(rows)
    old = conform(state)
    rest = old.join(rows.select("manager_id"), on="manager_id", how="anti")
    return pl.concat([rest, rows]).sort("manager_id")


__all__ = ["STATE_SCHEMA", "SUMS", "accumulate", "carry_in", "conform", "empty_state", "next_state"]
