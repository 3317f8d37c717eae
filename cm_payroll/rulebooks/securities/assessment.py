"""The assessment window and the annualized cumulative score (SPEC 1; S-Art.5–8, 21).

当月年化累计积分 = cum × 12 / n, cum = Σ monthly scores from the window start to M, n = calendar
months in the window (decision 1). The window starts at the latest of January of M's year, the hire
month, a track change, the end of probation (decision 6) and the first processed month. Months on
leave stay in the window (S-Art.21: 休假期间考核仍连续计算).
"""

from __future__ import annotations

import polars as pl

from cm_payroll.units import annualized_at_least, round_score_2dp
from cm_payroll.rulebooks.securities.params import Params, ordinary_min


def with_scores(df: pl.DataFrame, scores: pl.DataFrame) -> pl.DataFrame:
    """SPEC 2: a roster manager without a scores row scores 0 (warning missing_scores)."""
    sc = scores.select("manager_id", "score", pl.col("_row").alias("score_row"))
    df = df.join(sc, on="manager_id", how="left")
    return df.with_columns(pl.col("score").is_null().alias("missing_score"),
                           pl.col("score").fill_null(0))


def window(df: pl.DataFrame, m: int, first_month: int, p: Params) -> pl.DataFrame:
    """# SPEC 1 — the window, cum, n and the annualized score of month M (exact)."""
    new = pl.col("new_employment")
    jan = m - m % 12
    ws_base = pl.when(new).then(pl.max_horizontal("hire_month", pl.lit(first_month, pl.Int32))
                                ).otherwise(pl.col("s_window_start"))
    ws = pl.max_horizontal(ws_base, pl.lit(jan, pl.Int32), pl.lit(first_month, pl.Int32)).cast(pl.Int32)
    df = df.with_columns(ws.alias("window_start"))
    cum_prev = pl.when(~new & (pl.col("window_start") == pl.col("s_window_start"))
                       ).then(pl.col("s_window_cum")).otherwise(0)
    df = df.with_columns((cum_prev + pl.col("score")).alias("cum"),
                         (pl.lit(m, pl.Int32) - pl.col("window_start") + 1).alias("n"))
    return df.with_columns(
        annualized_at_least(pl.col("cum"), pl.col("n"), ordinary_min(p)).alias("ann_ok"),
        round_score_2dp(pl.col("cum"), pl.col("n")).alias("annualized_x100"),
    )


def at_least(threshold_units: int) -> pl.Expr:
    """This month's annualized score ≥ a threshold, compared exactly (cum × 12 ≥ t × n)."""
    return annualized_at_least(pl.col("cum"), pl.col("n"), threshold_units)


def notes(r: dict, _p: Params) -> list[str]:
    return ["本月无积分记录,按0分计算。"] if r["missing_score"] else []
