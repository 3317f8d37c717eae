"""Units: exact money, rates and scores, their rounding and their formatting — Python values and Polars
expressions alike. The one home of these rules (SPEC 1):

- money is integer fen (Int64); every product amount × rate is rounded half-up (away from zero) to
  the fen per component, formed in Int128 so no realistic amount overflows;
- rates are integer parts per million (0.15 → 150,000); scores integer 1/10,000 units;
- ratios (annualized scores) are compared exactly and reported rounded half-up to 2 decimals.

Formatting: `yuan(fen)` "1,234.56" (grouped, signed), `rate(ppm)` "15%" (or "3‰"), `score(units)`
"7,600.5", `hundredths(x)` "102.38"; the `*_expr` functions give the same texts as Polars expressions
over a whole column.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import polars as pl

FEN = 100                  # fen per yuan
RATE_SCALE = 1_000_000     # rates are stored as integer ppm: 0.15 → 150_000
SCORE_SCALE = 10_000       # scores are stored exactly with up to 4 decimals: 1234.5 → 12_345_000


class ExactnessError(ValueError):
    pass


# --------------------------------------------------------------------------------------------- parsing

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
    """A score (at most 4 decimals) in 1/10,000 units."""
    d = Decimal(str(score)) * SCORE_SCALE
    if d != d.to_integral_value():
        raise ExactnessError(f"score {score} has more than 4 decimals")
    return int(d)


# --------------------------------------------------------------------------------------------- values

def yuan_decimal(fen: int | None) -> Decimal | None:
    """Fen as an exact Decimal of yuan with 2 places (for JSON and workbooks)."""
    if fen is None:
        return None
    return (Decimal(fen) / FEN).quantize(Decimal("0.01"))


def rate_decimal(ppm: int | None) -> Decimal | None:
    if ppm is None:
        return None
    return (Decimal(ppm) / RATE_SCALE).normalize()


def score_decimal(units: int | None) -> Decimal | None:
    if units is None:
        return None
    return (Decimal(units) / SCORE_SCALE).normalize()


# --------------------------------------------------------------------------------------------- texts

def yuan(fen: int | None, grouped: bool = True) -> str:
    """1,234.56 / -1,234.56 (grouped) or 1234.56; "" for None."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN)
    return f"{sign}{whole:,}.{cents:02d}" if grouped else f"{sign}{whole}.{cents:02d}"


def rate(ppm: int | None, permille: bool = False) -> str:
    """15% (0.15), 0.3% — or with `permille` 3‰ where the rate is a whole number of per mille."""
    if ppm is None:
        return ""
    if permille and ppm % 1000 == 0 and 0 < ppm < 10_000:
        return f"{ppm // 1000}‰"
    return f"{(Decimal(ppm) / RATE_SCALE * 100).normalize():f}%"


def score(units: int | None, grouped: bool = True) -> str:
    """A score as entered: 7,600 or 7,600.5 (no trailing zeros)."""
    if units is None:
        return ""
    d = Decimal(units) / SCORE_SCALE
    if d == d.to_integral_value():
        return f"{int(d):,}" if grouped else f"{int(d)}"
    return f"{d.normalize():,f}" if grouped else f"{d.normalize():f}"


def hundredths(x100: int | None, grouped: bool = True) -> str:
    """An integer in hundredths (a rounded annualized score, a 100-point score) as 2 decimals."""
    if x100 is None:
        return ""
    sign = "-" if x100 < 0 else ""
    whole, frac = divmod(abs(x100), 100)
    return f"{sign}{whole:,}.{frac:02d}" if grouped else f"{sign}{whole}.{frac:02d}"


# --------------------------------------------------------------------------------------------- Polars

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


def _col(e: str | pl.Expr) -> pl.Expr:
    return pl.col(e) if isinstance(e, str) else e


def _sign(e: pl.Expr) -> pl.Expr:
    return pl.when(e < 0).then(pl.lit("-")).otherwise(pl.lit(""))


def _group(whole: pl.Expr) -> pl.Expr:
    """1234567 → 1,234,567 (reverse, split in threes, join, reverse back)."""
    return whole.str.reverse().str.replace_all(r"(\d{3})", "$1,").str.strip_chars_end(",").str.reverse()


def yuan_expr(e: str | pl.Expr, grouped: bool = True, signed: bool = True) -> pl.Expr:
    """The text of `yuan()` for a column of fen (`signed=False`: the absolute amount)."""
    e = _col(e)
    whole = (e.abs() // FEN).cast(pl.String)
    text = pl.format("{}.{}", _group(whole) if grouped else whole, (e.abs() % FEN).cast(pl.String).str.zfill(2))
    return pl.format("{}{}", _sign(e), text) if signed else text


def hundredths_expr(e: str | pl.Expr, grouped: bool = False) -> pl.Expr:
    """The text of `hundredths()` for a column (ungrouped by default, as exception texts write it)."""
    e = _col(e)
    whole = (e.abs() // 100).cast(pl.String)
    return pl.format("{}{}.{}", _sign(e), _group(whole) if grouped else whole,
                     (e.abs() % 100).cast(pl.String).str.zfill(2))


def score_expr(e: str | pl.Expr) -> pl.Expr:
    """The text of `score(grouped=False)` for a column of score units: 7600 or 7600.5."""
    units = _col(e)
    whole = (units.abs() // SCORE_SCALE).cast(pl.String)
    frac = (units.abs() % SCORE_SCALE).cast(pl.String).str.zfill(4).str.strip_chars_end("0")
    return (pl.when(frac == "").then(pl.format("{}{}", _sign(units), whole))
            .otherwise(pl.format("{}{}.{}", _sign(units), whole, frac)))


__all__ = ["FEN", "RATE_SCALE", "SCORE_SCALE", "ExactnessError", "annualized_at_least", "apply_rate",
           "div_half_up", "hundredths", "hundredths_expr", "rate", "rate_decimal", "round_score_2dp", "score",
           "score_decimal", "score_expr", "to_fen", "to_ppm", "to_score_units", "yuan", "yuan_decimal",
           "yuan_expr"]
