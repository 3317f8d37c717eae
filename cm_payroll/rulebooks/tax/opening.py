"""Adopting cumulative withholding mid-year (SPEC 6, 9): the year-to-date figures of an `opening` file.

SPEC 9: "the `opening` file (section 6) may carry 累计收入, 累计专项扣除, 累计专项附加扣除, 累计减除费用,
累计已预扣税额 for cumulative withholding." They are the sums of this employer's receipts of the start's
year before the start, as the earlier payroll (or the tax office's 扣缴客户端) shows them.

OPENING_COLUMNS are the columns a rulebook's opening FileSpec adds (all optional, blank = 0):
    累计收入 cum_income (signed), 累计专项扣除 cum_special, 累计专项附加扣除 cum_special_additional,
    累计减除费用 cum_basic, 累计已预扣税额 cum_tax_withheld (≥ 0).
seed_state turns the rows into tax state rows (state.STATE_SCHEMA) and lists the input errors.
"""

from __future__ import annotations

import polars as pl

from cm_payroll.errors import InputIssue
from cm_payroll.months import fmt_month
from cm_payroll.rulebooks.tax.params import TaxParams
from cm_payroll.rulebooks.tax.state import SUMS, conform
from cm_payroll.schema import Column

OPENING_COLUMNS = (
    Column("cum_income", "累计收入", "money", nullable=True),
    Column("cum_special", "累计专项扣除", "money_nonneg", nullable=True),
    Column("cum_special_additional", "累计专项附加扣除", "money_nonneg", nullable=True),
    Column("cum_basic", "累计减除费用", "money_nonneg", nullable=True),
    Column("cum_tax_withheld", "累计已预扣税额", "money_nonneg", nullable=True),
)
LABELS = {col.key: col.zh for col in OPENING_COLUMNS}


def seed_state(opening: pl.DataFrame, p: TaxParams, file: str = "opening") -> tuple[pl.DataFrame, list[InputIssue]]:
    """The tax state before the first receipt month `p.receipt_month` (the start's month of receipt,
    p = params_at(tax rulebook, start + pay_lag)) from the opening rows: (state, input errors).

    `opening` has `manager_id` and any of the OPENING_COLUMNS (Int64 fen, null = 0); `_row`/`_sheet`
    (the loader's) locate errors. Each row becomes: tax_year = the receipt year, last_receipt = the
    month before, the five sums as given, months_employed = 累计减除费用 ÷ the basic deduction (whole
    months, at most the months of the year before the start), no bonus yet taxed apart, nothing carried.

    Input errors: a non-zero figure when the first receipt month is a January (the months before belong
    to last year) or is taxed month by month (before 2019: nothing is cumulated), and 累计减除费用 above
    what the months before the start allow (basic deduction × months, or the 全年6万减除 amount)."""
    c = pl.col
    start = p.receipt_month
    before = start % 12                              # months of the year before the start
    op = opening.with_columns([pl.lit(None, pl.Int64).alias(k) for k in SUMS if k not in opening.columns])
    for k in ("_row", "_sheet"):
        if k not in op.columns:
            op = op.with_columns(pl.lit(None, pl.Int64 if k == "_row" else pl.String).alias(k))
    op = op.with_columns([c(k).fill_null(0).cast(pl.Int64) for k in SUMS])
    issues: list[InputIssue] = []

    def flag(cond: pl.Expr, key: str, why: str) -> None:
        bad = op.filter(cond)
        for r, sh, mid, v in bad.select("_row", "_sheet", "manager_id", key).iter_rows():
            issues.append(InputIssue(file, sh, r, LABELS[key], f"{mid}: {LABELS[key]} {v / 100:.2f}: {why}"))

    if before == 0 or p.regime != "cumulative":
        why = (f"the first month of receipt {fmt_month(start)} is a January: no month of its year comes before "
               f"it, so this must be blank or 0" if before == 0 else
               f"the first month of receipt {fmt_month(start)} is taxed month by month (cumulative withholding "
               f"starts with receipts of 2019-01): this must be blank or 0")
        for k in SUMS:
            flag(c(k) != 0, k, why)
    else:
        most = max(p.basic * before, p.full_year)
        flag(c("cum_basic") > most, "cum_basic",
             f"more than the {before} month(s) of {start // 12} before {fmt_month(start)} allow "
             f"({most / 100:.2f}: {p.basic / 100:.2f} a month" + (f", or {p.full_year / 100:.2f} with 全年6万减除)"
                                                                  if p.full_year else ")"))
    months = (c("cum_basic") // p.basic).clip(0, before) if p.basic > 0 else pl.lit(0)
    state = op.filter(c("manager_id").is_not_null()).select(
        c("manager_id"), pl.lit(start // 12, pl.Int32).alias("tax_year"),
        pl.lit(start - 1, pl.Int32).alias("last_receipt"), months.cast(pl.Int32).alias("months_employed"),
        *[c(k) for k in SUMS], pl.lit(False).alias("full_year_flag"), pl.lit(None, pl.Int32).alias("bonus_year"),
        pl.lit(0, pl.Int64).alias("carried_deduction"))
    return conform(state).sort("manager_id"), issues


__all__ = ["LABELS", "OPENING_COLUMNS", "seed_state"]
