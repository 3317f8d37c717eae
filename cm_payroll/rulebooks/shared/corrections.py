"""补发/追回 (S-Art.33, SPEC 6): the correction line of a month — back pay and deductions of the
adjustments file plus the differences booked by re-runs of months already paid — and its rows in the
exceptions report."""

from __future__ import annotations

import polars as pl

from cm_payroll.rulebooks.base import EXCEPTION_SCHEMA, MonthContext
from cm_payroll.rulebooks.shared.exceptions import exception_rows

def with_corrections(df: pl.DataFrame, ctx: MonthContext) -> pl.DataFrame:
    """SPEC 6 — 补发/追回: adjustments (back_pay − deduction, column `adjustment_correction`) plus the
    differences booked by re-runs of closed months (`rerun_correction`)."""
    if ctx.corrections is not None and ctx.corrections.height:
        c = ctx.corrections.group_by("manager_id").agg(pl.col("amount").sum().alias("rerun_correction"))
        df = df.join(c, on="manager_id", how="left").with_columns(pl.col("rerun_correction").fill_null(0))
    else:
        df = df.with_columns(pl.lit(0, pl.Int64).alias("rerun_correction"))
    return df.with_columns((pl.col("adjustment_correction") + pl.col("rerun_correction")).alias("correction"))


def correction_rows(df: pl.DataFrame, state: pl.DataFrame, ctx: MonthContext) -> pl.DataFrame:
    """SPEC 6 — one `correction` row per manager and corrected month."""
    if ctx.corrections is None or not ctx.corrections.height:
        return pl.DataFrame(schema=EXCEPTION_SCHEMA)
    c = pl.col
    corr = ctx.corrections.group_by("manager_id", "corrects").agg(c("amount").sum()).filter(
        c("amount") != 0).join(df.select("manager_id", "name", pl.lit(True).alias("_on_roster")),
                               on="manager_id", how="left")
    corr = corr.join(state.select("manager_id", c("name").alias("_old_name")), on="manager_id",
                     how="left").with_columns(pl.coalesce("name", "_old_name").alias("name"))
    return exception_rows(corr, pl.lit(True), "correction",
                          pl.format("更正 {} 的计算差错:{}{}", c("corrects"),
                                    pl.when(c("amount") > 0).then(pl.lit("补发")).otherwise(pl.lit("追回")),
                                    pl.when(c("_on_roster").fill_null(False)).then(pl.lit(""))
                                    .otherwise(pl.lit("(不在本月花名册,顺延至以后月份)"))),
                          c("amount"))


__all__ = ["correction_rows", "with_corrections"]
