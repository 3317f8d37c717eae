"""Exception rows and input warnings, as every rulebook lists them (SPEC 5): one row per case in
the exceptions report (工号, 姓名, 类型, 条款, 说明, 金额影响, 需审批, 审批号); the article and the
approval flag of each type come from the rulebook's [exceptions] table (filled by the pipeline)."""

from __future__ import annotations

import polars as pl

from cm_payroll.rulebooks.base import EXCEPTION_SCHEMA

WARNING_SCHEMA = {"manager_id": pl.String, "message": pl.String}


def exception_rows(df: pl.DataFrame, cond: pl.Expr, code: str, desc: pl.Expr,
                   amount: pl.Expr | None = None, ref: pl.Expr | None = None,
                   manager: bool = True) -> pl.DataFrame:
    """One exception row per row of `df` where `cond` holds. The article is left empty: the pipeline
    fills it from the rulebook's [exceptions] table. `manager=False` for findings that belong to no
    manager (a branch's staffing): 工号 and 姓名 stay empty."""
    out = df.filter(cond).select(
        (pl.col("manager_id") if manager else pl.lit(None, pl.String)).cast(pl.String).alias("manager_id"),
        (pl.col("name") if manager else pl.lit(None, pl.String)).cast(pl.String).alias("name"),
        pl.lit(code).alias("type"), pl.lit("").alias("article"),
        desc.cast(pl.String).alias("description"),
        (amount if amount is not None else pl.lit(None, pl.Int64)).cast(pl.Int64).alias("amount"),
        pl.lit(False).alias("approval_needed"),
        (ref if ref is not None else pl.lit(None, pl.String)).cast(pl.String).alias("approval_ref"),
    )
    return out


def concat_exceptions(parts: list[pl.DataFrame]) -> pl.DataFrame:
    parts = [p.select([pl.col(k).cast(t) for k, t in EXCEPTION_SCHEMA.items()]) for p in parts]
    return pl.concat(parts) if parts else pl.DataFrame(schema=EXCEPTION_SCHEMA)


def warnings_frame(*frames: pl.DataFrame) -> pl.DataFrame:
    """(manager_id, message) rows from several sources, in order."""
    fs = [f.select(pl.col("manager_id").cast(pl.String), pl.col("message").cast(pl.String))
          for f in frames if f.height]
    return pl.concat(fs) if fs else pl.DataFrame(schema=WARNING_SCHEMA)


def input_warnings(inputs) -> pl.DataFrame:
    """The loader's warnings (e.g. an event dated outside its month, decision 5)."""
    if not inputs.warnings:
        return pl.DataFrame(schema=WARNING_SCHEMA)
    return pl.DataFrame({"manager_id": [w.manager_id for w in inputs.warnings],
                         "message": [w.message + (f" ({w.file} row {w.row})" if w.file else "")
                                     for w in inputs.warnings]}, schema=WARNING_SCHEMA)


def warning_rows(warnings: pl.DataFrame, names: pl.DataFrame) -> pl.DataFrame:
    """input_warning exception rows; `names` is (manager_id, name) of the month."""
    if not warnings.height:
        return pl.DataFrame(schema=EXCEPTION_SCHEMA)
    w = warnings.join(names, on="manager_id", how="left")
    return w.select("manager_id", "name", pl.lit("input_warning").alias("type"), pl.lit("").alias("article"),
                    pl.col("message").alias("description"), pl.lit(None, pl.Int64).alias("amount"),
                    pl.lit(False).alias("approval_needed"), pl.lit(None, pl.String).alias("approval_ref"))


__all__ = ["WARNING_SCHEMA", "concat_exceptions", "exception_rows", "input_warnings", "warning_rows",
           "warnings_frame"]
