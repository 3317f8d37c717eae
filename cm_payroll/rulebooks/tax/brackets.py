"""Progressive tables (超额累进税率) as Polars expressions: which bracket a base falls in, its rate and
quick deduction (速算扣除数), and the tax base × rate − quick deduction.

个人所得税法(2011年修正)附表一 / (2018年修正)附表一: "全月(全年)应纳税所得额 … 不超过 X 元的 …" — a base
belongs to the first bracket whose upper bound it does not exceed (bounds inclusive). With `scale`
12 the comparison is the year-end bonus's "÷ 12" done exactly: B ÷ 12 ≤ bound ⇔ B ≤ 12 × bound
(国税发〔2005〕9号, 财税〔2018〕164号). Everything is integer fen and ppm; the only rounding is the
product base × rate, half-up to the fen (SPEC 1, 9).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from cm_payroll.rulebooks.tax.params import Table
from cm_payroll.units import apply_rate


def index(base: pl.Expr, table: Table, scale: int = 1) -> pl.Expr:
    """The bracket number (0-based, Int32) of `base` (fen): the first i with base ≤ scale × bounds[i]."""
    expr = pl.lit(len(table) - 1, pl.Int32)
    for i in reversed(range(len(table) - 1)):
        bound = table.bounds[i]
        assert bound is not None
        expr = pl.when(base <= pl.lit(scale * bound, pl.Int64)).then(pl.lit(i, pl.Int32)).otherwise(expr)
    return expr


def pick(idx: pl.Expr, values: Sequence[int | None]) -> pl.Expr:
    """values[idx] as Int64 (a None value, the top bracket's bound, gives null)."""
    return pl.lit(pl.Series(list(values), dtype=pl.Int64)).gather(idx)


def upper_bound(idx: pl.Expr, table: Table) -> pl.Expr:
    """The bracket's upper bound in fen (null for the top bracket), as the table writes it (not × 12)."""
    return pick(idx, table.bounds)


def rate(idx: pl.Expr, table: Table) -> pl.Expr:
    """The bracket's rate in ppm."""
    return pick(idx, table.rates)


def quick(idx: pl.Expr, table: Table) -> pl.Expr:
    """The bracket's quick deduction (速算扣除数) in fen."""
    return pick(idx, table.quick)


def tax(base: pl.Expr, idx: pl.Expr, table: Table) -> pl.Expr:
    """max(0, base × rate − quick deduction), the product rounded half-up to the fen (Int64 fen)."""
    t = apply_rate(base, rate(idx, table)) - quick(idx, table)
    return pl.max_horizontal(t, pl.lit(0, pl.Int64))


def lower_boundary(idx: pl.Expr, table: Table, scale: int = 1) -> pl.Expr:
    """scale × the bound of the bracket below (null in the first bracket): the boundary a base in this
    bracket has crossed."""
    return pick(idx, [None] + [scale * b for b in table.bounds[:-1] if b is not None])


def tax_at_lower_boundary(idx: pl.Expr, table: Table, scale: int = 1) -> pl.Expr:
    """The tax of a base exactly at `lower_boundary` (taxed in the bracket below; null in the first)."""
    at = [None] + [table.tax_at(scale * b, i) for i, b in enumerate(table.bounds[:-1]) if b is not None]
    return pick(idx, at)


__all__ = ["index", "lower_boundary", "pick", "quick", "rate", "tax", "tax_at_lower_boundary", "upper_bound"]
