"""The tax applied to a pay rulebook's month (SPEC 9): the one call the pipeline makes after gross.

`apply_tax(result, inputs, ctx)` takes the month the pay rulebook computed (securities or rcc) and
returns it with
  - the tax state carried in the ledger as the aux frame `tax` (aux_tax.parquet, STATE_SCHEMA): every
    month enters the year's sums, with or without a deductions file (SPEC 9);
  - in a month with a `deductions` file: the deduction lines (social_insurance 社保个人, housing_fund
    公积金个人, income_tax 个人所得税, bonus_tax 年终奖个税, other_deduction 其他扣款, carried_deduction
    上月结转扣款, net_pay 实发合计, carry_forward) and the trace of each tax figure (`tax_*` columns, for
    the slip's basis and `explain`) as columns of the pay frame; the tax's exception rows
    (bonus_tax_trap, input_warning) added;
  - in a month without one: the pay frame and the exceptions as the pay rulebook made them (SPEC 9:
    "without a deductions file nothing changes"), except the warnings about a manager whose tax is
    already withheld this year (a year-end bonus left untaxed in a December without the file).

The tax rulebook is the built-in `tax` one, or the file a branch's pay rulebook names in its
`[rulebook]` table (`tax = "tax.toml"`, a path relative to the branch file).
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import polars as pl

from cm_payroll.errors import UsageError
from cm_payroll.rulebook import Rulebook, load_rulebook
from cm_payroll.rulebooks.base import MonthContext, MonthResult
from cm_payroll.rulebooks.tax import TRACE_SCHEMA, compute_tax, params_at, receipt_month
from cm_payroll.rulebooks.tax.deductions import MONEY
from cm_payroll.rulebooks.tax.net import LINES
from cm_payroll.rulebooks.tax.state import STATE_SCHEMA

AUX_TAX = "tax"                   # the ledger's aux frame: aux_tax.parquet
DEDUCTIONS_STEM = "deductions"
# Exception types of the pay rulebooks' [exceptions] that the tax adds: the exceptions report lists them
# in its summary only in a month where they occur (a month without the tax keeps its report as it was).
LISTED_WHEN_PRESENT = ("bonus_tax_trap",)
# The pay-frame columns the tax adds in a month with a deductions file.
LINE_COLUMNS = tuple(k for k, _ in LINES if k != "gross_pay")
TRACE_COLUMNS = tuple(f"tax_{k}" for k in TRACE_SCHEMA if k != "manager_id")
INPUT_COLUMNS = tuple(f"ded_{k}" for k in MONEY)
PAY_COLUMNS = LINE_COLUMNS + TRACE_COLUMNS + INPUT_COLUMNS


def tax_source(pay_rb: Rulebook) -> str:
    """The tax rulebook of a pay rulebook: `[rulebook] tax` of a branch file (relative to it), else the
    built-in one."""
    ref = (pay_rb.raw or {}).get("rulebook", {}).get("tax")
    if not ref or ref in ("tax", "builtin:tax"):
        return "tax"
    path = Path(str(ref))
    if not path.is_absolute() and not pay_rb.source.startswith("builtin:"):
        path = Path(pay_rb.source).parent / path
    return str(path)


@functools.lru_cache(maxsize=8)
def _load(spec: str, mtime: float) -> Rulebook:
    rb = load_rulebook(spec)
    if rb.id != "tax":
        raise UsageError(f"tax rulebook {spec}: [rulebook] id is {rb.id!r}, not \"tax\"")
    return rb


def tax_rulebook(pay_rb: Rulebook) -> Rulebook:
    spec = tax_source(pay_rb)
    try:
        mtime = Path(spec).stat().st_mtime if spec != "tax" else 0.0
    except OSError:
        raise UsageError(f"rulebook {pay_rb.source}: [rulebook] tax = {spec}: no such file") from None
    return _load(spec, mtime)


def deductions_frame(inputs) -> pl.DataFrame | None:
    """The month's validated deductions file, or None when the month has none."""
    t = getattr(inputs, "tables", {}).get(DEDUCTIONS_STEM)
    if t is None or not t.present:
        return None
    return t.frame


def apply_tax(result: MonthResult, inputs, ctx: MonthContext) -> MonthResult:
    """SPEC 9 — 应发合计 → 实发合计 for the month's managers (see the module docstring)."""
    trb = tax_rulebook(ctx.rulebook)
    params = params_at(trb, receipt_month(trb, ctx.month))
    ded = deductions_frame(inputs)
    prior = ctx.aux.get(AUX_TAX)
    pay = result.pay
    clash = [k for k in PAY_COLUMNS if k in pay.columns]
    if clash:
        raise ValueError(f"apply_tax: the pay frame already has {', '.join(clash)}")
    tax = compute_tax(pay, ded, prior, params)
    aux = {**result.aux, AUX_TAX: tax.state.select([pl.col(k).cast(t) for k, t in STATE_SCHEMA.items()])}
    if ded is None:
        exc = _kept_without_file(tax.exceptions, prior, params.year)
        exceptions = pl.concat([result.exceptions, exc]) if exc.height else result.exceptions
        return dataclasses.replace(result, aux=aux, exceptions=exceptions)
    lines = tax.lines.select("manager_id", *LINE_COLUMNS)
    trace = tax.trace.rename({k: f"tax_{k}" for k in TRACE_SCHEMA if k != "manager_id"})
    given = ded.select(pl.col("manager_id").cast(pl.String),
                       *[(pl.col(k) if k in ded.columns else pl.lit(None, pl.Int64)).cast(pl.Int64).fill_null(0)
                         .alias(f"ded_{k}") for k in MONEY])
    order = pay.columns
    out = (pay.join(lines, on="manager_id", how="left").join(trace, on="manager_id", how="left")
           .join(given, on="manager_id", how="left")
           .with_columns([pl.col(c).fill_null(0) for c in INPUT_COLUMNS]))
    out = out.select(*order, *PAY_COLUMNS)
    return dataclasses.replace(result, pay=out, aux=aux,
                               exceptions=pl.concat([result.exceptions, tax.exceptions]))


def _kept_without_file(exc: pl.DataFrame, prior: pl.DataFrame | None, year: int) -> pl.DataFrame:
    """The tax's exceptions of a month without a deductions file that are kept: those of managers whose
    tax is already withheld this year (deductions or tax in the year's sums). Without any deductions
    file in the year the list is empty, so the month's outputs are what they were before the tax."""
    if prior is None or prior.height == 0 or exc.height == 0:
        return exc.clear()
    c = pl.col
    s = prior
    for k in ("cum_special", "cum_special_additional", "cum_tax_withheld"):
        if k not in s.columns:
            s = s.with_columns(pl.lit(0, pl.Int64).alias(k))
    active = s.filter((c("tax_year") == year).fill_null(False)
                      & ((c("cum_special").fill_null(0) + c("cum_special_additional").fill_null(0)
                          + c("cum_tax_withheld").fill_null(0)) > 0)).select("manager_id")
    return exc.join(active, on="manager_id", how="semi")


__all__ = ["AUX_TAX", "LISTED_WHEN_PRESENT", "LINE_COLUMNS", "PAY_COLUMNS", "TRACE_COLUMNS", "apply_tax", "deductions_frame",
           "tax_rulebook", "tax_source"]
