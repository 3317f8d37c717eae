"""What is taxed (SPEC 9): the year-end bonus taxed apart, and the wages.

SPEC 9: "The year-end bonus taxed apart is the paid Y less the part of December's `recovery` taken from
Y (decision 17 takes the deficit from December's performance bonus first, so that part is
max(0, |recovery| − performance_bonus)). Wages are gross pay less that taxed bonus: every other
component — the rest of `recovery`, `correction`, withheld pay paid later — is wages of the month of
payment."

The pay columns are those of the securities rulebook (`gross_pay`, `year_end_bonus`, `recovery` ≤ 0,
`performance_bonus` ≥ 0, Int64 fen). A frame without `year_end_bonus` (rcc) has no bonus: taxed bonus
0, wages = gross.
"""

from __future__ import annotations

import polars as pl

ZERO = pl.lit(0, pl.Int64)


def _money(df: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name).fill_null(0).cast(pl.Int64) if name in df.columns else ZERO


def split_pay(pay: pl.DataFrame) -> pl.DataFrame:
    """Adds `taxed_bonus` (the year-end bonus taxed apart, ≥ 0) and `wages` (gross_pay − taxed_bonus),
    Int64 fen, to the pay frame."""
    y = _money(pay, "year_end_bonus")
    from_y = pl.max_horizontal(_money(pay, "recovery").abs() - pl.max_horizontal(_money(pay, "performance_bonus"), ZERO),
                               ZERO)
    taxed = pl.max_horizontal(y - from_y, ZERO)
    return pay.with_columns(taxed.alias("taxed_bonus")).with_columns(
        (pl.col("gross_pay").cast(pl.Int64) - pl.col("taxed_bonus")).alias("wages"))


__all__ = ["split_pay"]
