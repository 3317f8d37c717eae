"""Exact sums of ratios, rounded once (SPEC 1: intermediate ratios are exact rationals).

A weighted sum of ratios such as the rcc 100-point score (Z-Art.16 依率计分)

    score = 40 × avg/target_avg + 30 × recovered/due + 20 × collected/target + 10 × conduct/10

is a rational number whose denominator is the product of the per-row denominators. It is rounded
half-up exactly, over all rows at once, in Polars Int128 (no float, no Decimal truncation):

    each term  c × num / den  (c an exact constant, num ≥ 0, den > 0)  is split into an integer
    part Q = (c·num) // den and a remainder R/den with 0 ≤ R < den; the fractional parts are then
    added over the common denominator L = Π den:  F = Σ R_i · (L / den_i) / L  (0 ≤ F < k), and

        round_half_up(Σ terms) = Σ Q_i + (2·F_num + L) // (2·L).

Only one rounding happens, at the end. Why not Polars Decimal: a Decimal division is truncated at
its scale, so 1/3 + 2/3 would come out as 0.999…9 and a result on a rounding boundary (x.xx5 or a
half fen) could be rounded the wrong way; with Int128 numerators and denominators nothing is lost.

Int128 holds about 1.7e38. `fits()` tells, per row, whether 9·L stays inside it (the largest
intermediate value is 2·F_num + L < (2k + 1)·L with k ≤ 4 terms); a row that does not fit must be
refused as an input error (with amounts in fen this needs denominators around 10^11–10^12 fen each,
far beyond any real target).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import polars as pl

INT128_MAX = 2**127 - 1

# One term: (constant, numerator, denominator). numerator/denominator are integer expressions (or
# ints); the constant is an exact Fraction (a weight times a scale).
Term = tuple[Fraction, "pl.Expr | int", "pl.Expr | int"]


def _i128(x: pl.Expr | int) -> pl.Expr:
    return x.cast(pl.Int128) if isinstance(x, pl.Expr) else pl.lit(int(x), pl.Int128)


def _normalise(terms: Sequence[Term]) -> list[tuple[pl.Expr, pl.Expr]]:
    """(c, num, den) → (N, D) integer expressions with term = N / D; constant denominators are folded
    into the constant first so they do not grow the common denominator more than necessary."""
    out = []
    for c, num, den in terms:
        c = Fraction(c)
        if c < 0:
            raise ValueError("rational: constants must be ≥ 0")
        if not isinstance(den, pl.Expr):
            c = c / int(den)
            den = 1
        n = _i128(num) * pl.lit(c.numerator, pl.Int128)
        d = _i128(den) * pl.lit(c.denominator, pl.Int128) if isinstance(den, pl.Expr) \
            else pl.lit(c.denominator, pl.Int128)
        out.append((n, d))
    return out


def sum_half_up(terms: Sequence[Term]) -> pl.Expr:
    """Σ c_i × num_i / den_i rounded half-up to an integer, exactly (Int128 → Int64)."""
    nd = _normalise(terms)
    q = pl.lit(0, pl.Int128)
    for n, d in nd:
        q = q + n // d
    big_l = pl.lit(1, pl.Int128)
    for _, d in nd:
        big_l = big_l * d
    f_num = pl.lit(0, pl.Int128)
    for i, (n, d) in enumerate(nd):
        others = pl.lit(1, pl.Int128)
        for j, (_, dj) in enumerate(nd):
            if j != i:
                others = others * dj
        f_num = f_num + (n % d) * others
    two = pl.lit(2, pl.Int128)
    return (q + (two * f_num + big_l) // (two * big_l)).cast(pl.Int64)


def fits(terms: Sequence[Term]) -> pl.Expr:
    """True where `sum_half_up(terms)` stays inside Int128 (checked without overflowing)."""
    nd = _normalise(terms)
    limit = pl.lit(INT128_MAX, pl.Int128)
    partial = pl.lit(2 * len(nd) + 1, pl.Int128)
    ok = pl.lit(True)
    for _, d in nd:
        step_ok = d <= limit // partial
        ok = ok & step_ok
        partial = pl.when(step_ok).then(partial * d).otherwise(pl.lit(1, pl.Int128))
    return ok.fill_null(False)


__all__ = ["Term", "fits", "sum_half_up"]
