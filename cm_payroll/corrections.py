"""Re-runs of closed months and the corrections they book (SPEC 6; S-Art.33 差错处理).

S-Art.33: 发现有错误计算并已发放的薪酬应予以补发或追回. `month M --force` recomputes M from its (corrected)
inputs and every later closed month from the new chain of states, keeps the earlier outputs and
ledger files as numbered versions, and books each manager's difference in gross pay, month by month,
as a `correction` (补发 > 0, 追回 < 0) in the next open month.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import polars as pl

from cm_payroll.ledger import Ledger
from cm_payroll.months import fmt_month, parse_month
from cm_payroll.rulebook import Rulebook


def _yuan(e: pl.Expr) -> pl.Expr:
    sign = pl.when(e < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.format("{}{}.{}", sign, (e.abs() // 100).cast(pl.String), (e.abs() % 100).cast(pl.String).str.zfill(2))


def gross_differences(old: pl.DataFrame, new: pl.DataFrame, month: str) -> pl.DataFrame:
    """Per manager new − old gross pay of one month (a manager missing on one side counts 0)."""
    o = old.select("manager_id", pl.col("gross_pay").alias("old"))
    n = new.select("manager_id", pl.col("gross_pay").alias("new"))
    d = o.join(n, on="manager_id", how="full", coalesce=True).with_columns(
        (pl.col("new").fill_null(0) - pl.col("old").fill_null(0)).alias("amount"))
    return d.filter(pl.col("amount") != 0).select(
        "manager_id", "amount", pl.lit(month).alias("corrects"),
        pl.format("{} 应发合计 {} → {}", pl.lit(month), _yuan(pl.col("old").fill_null(0)),
                  _yuan(pl.col("new").fill_null(0))).alias("note"),
    ).sort("manager_id")


def rerun_closed(ledger: Ledger, rb: Rulebook, mod: ModuleType, plan, input_dir: Path, output_dir: Path,
                 report, options=None, change: dict | None = None):
    from cm_payroll.pipeline import RunSummary, compute, corrections_frame, note_rulebook_change, write_run

    months = plan.months
    name = fmt_month(months[0])
    chain = [fmt_month(k) for k in months]
    _, state = ledger.state_before(name)
    if state is None:
        state = mod.empty_state()
    # Corrections a month applied when it was computed are applied again, unchanged.
    applied: dict[int, pl.DataFrame] = {}
    for x in chain:
        p = ledger.month_dir(x) / "corrections.parquet"
        if p.exists():
            applied[parse_month(x)] = pl.read_parquet(p)
    computed = compute(rb, mod, months, input_dir, state, plan.first, applied, report, ledger.aux_before(name),
                       start=plan.start)
    note_rulebook_change(computed[0], change or {}, rb)
    booked = []
    for c in computed:
        diff = gross_differences(ledger.read(fmt_month(c.month), "pay"), c.result.pay, fmt_month(c.month))
        booked += diff.to_dicts()
    pending = ledger.pending_corrections + booked
    _ = corrections_frame(pending)          # schema check
    outcomes = write_run(ledger, rb, mod, computed, output_dir, ledger.first_month or name, input_dir,
                         report, pending_after=pending, options=options)
    return RunSummary(rb.id, output_dir, outcomes)
