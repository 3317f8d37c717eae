"""Exact money: integer fen (Int64) everywhere, rates as integer parts per million.

SPEC 1: every money product (amount × rate) is rounded half-up (away from zero) to the fen per
component; totals are sums of rounded components. Products are formed in Int128 so that no realistic
amount can overflow.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import polars as pl

FEN = 100                  # fen per yuan
RATE_SCALE = 1_000_000     # rates are stored as integer ppm: 0.15 → 150_000
SCORE_SCALE = 10_000       # scores are stored exactly with up to 4 decimals: 1234.5 → 12_345_000


class ExactnessError(ValueError):
    pass


def to_ppm(rate: Decimal | str | int) -> int:
    """An exact decimal rate as integer ppm; refuses rates finer than 1e-6 (nothing is guessed)."""
    d = Decimal(str(rate))
    scaled = d * RATE_SCALE
    if scaled != scaled.to_integral_value():
        raise ExactnessError(f"rate {rate} has more than 6 decimals")
    return int(scaled)


def to_fen(amount: Decimal | str | int) -> int:
    """Yuan → fen, rounded half-up (inputs with more than 2 decimals are rounded on load)."""
    d = Decimal(str(amount))
    return int((d * FEN).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_score_units(score: Decimal | str | int) -> int:
    d = Decimal(str(score)) * SCORE_SCALE
    if d != d.to_integral_value():
        raise ExactnessError(f"score {score} has more than 4 decimals")
    return int(d)


def fen_to_decimal(fen: int | None) -> Decimal | None:
    if fen is None:
        return None
    return (Decimal(fen) / FEN).quantize(Decimal("0.01"))


def ppm_to_decimal(ppm: int | None) -> Decimal | None:
    if ppm is None:
        return None
    return (Decimal(ppm) / RATE_SCALE).normalize()


def fmt_yuan(fen: int | None) -> str:
    if fen is None:
        return ""
    d = fen_to_decimal(fen)
    return f"{d:,.2f}"


def fmt_rate(ppm: int | None) -> str:
    if ppm is None:
        return ""
    d = Decimal(ppm) / RATE_SCALE * 100
    s = f"{d.normalize():f}"
    return s + "%"


# ---------------------------------------------------------------------------------------------
# Polars expressions
# ---------------------------------------------------------------------------------------------

def div_half_up(num: pl.Expr, den: pl.Expr | int) -> pl.Expr:
    """Integer num / den rounded half-up away from zero; den > 0. Works in Int128."""
    n = num.cast(pl.Int128)
    d = den.cast(pl.Int128) if isinstance(den, pl.Expr) else pl.lit(den, pl.Int128)
    two = pl.lit(2, pl.Int128)
    q = (n.abs() * two + d) // (two * d)
    return pl.when(n < 0).then(pl.lit(0, pl.Int128) - q).otherwise(q)


def apply_rate(fen: pl.Expr, ppm: pl.Expr | int) -> pl.Expr:
    """fen × rate, rounded half-up to the fen (SPEC 1)."""
    r = ppm.cast(pl.Int128) if isinstance(ppm, pl.Expr) else pl.lit(ppm, pl.Int128)
    return div_half_up(fen.cast(pl.Int128) * r, RATE_SCALE).cast(pl.Int64)


def round_score_2dp(cum: pl.Expr, n: pl.Expr) -> pl.Expr:
    """Annualized score cum × 12 / n (cum in score units) as hundredths, rounded half-up."""
    return div_half_up(cum.cast(pl.Int128) * 12 * 100, n.cast(pl.Int128) * SCORE_SCALE).cast(pl.Int64)


def annualized_at_least(cum: pl.Expr, n: pl.Expr, threshold_units: int) -> pl.Expr:
    """Exact test cum × 12 / n ≥ t  ⇔  cum × 12 ≥ t × n (SPEC 1); cum and t in score units."""
    return cum.cast(pl.Int128) * 12 >= pl.lit(threshold_units, pl.Int128) * n.cast(pl.Int128)
