"""Levels (S-Art.4, SPEC 3.2) and the commission rate (S-Art.13, 14 note, 20; SPEC 3.6)."""

from __future__ import annotations

import polars as pl

from cm_payroll.rulebooks.shared.overrides import OverrideField
from cm_payroll.schema import norm_value

from cm_payroll.rulebooks.securities.params import Params


def level_override(level_names: dict[str, str], tracks: dict[str, str]) -> OverrideField:
    """S-Art.34, decision 26: a level override replaces the month's graded level; advisors have none
    (S-Art.22). `tracks`: manager_id → the track in force."""
    levels = {norm_value(k): k for k in level_names} | {norm_value(v): k for k, v in level_names.items()}

    def read(value: str, mid: str):
        v = levels.get(norm_value(value))
        if v is None:
            return None, f"unknown level {value!r}; use one of {', '.join(level_names.values())}", False
        if tracks.get(mid) == "advisor":
            return None, f"{mid} is an advisor: advisors have no level (S-Art.22)", True
        return v, None, False
    return OverrideField("level", ("level", "级别"), pl.String, read)


def graded_level(p: Params, at_least) -> pl.Expr:
    """# S-Art.4 — the highest level whose minimum annualized score is met, never below ordinary
    (falling short of ordinary is handled by standby training)."""
    expr = pl.lit("ordinary")
    for lv in sorted((lv for lv in p.levels if lv.key not in ("trainee", "ordinary")), key=lambda x: x.min_score):
        expr = pl.when(at_least(lv.min_score)).then(pl.lit(lv.key)).otherwise(expr)
    return expr


def level(df: pl.DataFrame, p: Params, at_least) -> pl.DataFrame:
    """The month's level: trainees `trainee`; advisors none (S-Art.22); in pending_termination the
    judgment month's level, frozen in base_only (SPEC 3.4 step 5); a level override replaces it."""
    graded = graded_level(p, at_least)
    lv = (pl.when(pl.col("track_eff") == "advisor").then(None)
          .when(pl.col("status") == "base_only").then(pl.col("s_level"))
          .when(pl.col("trainee")).then(pl.lit("trainee"))
          .otherwise(graded))
    lv = pl.when(pl.col("ov_level").is_not_null()).then(pl.col("ov_level")).otherwise(lv)
    return df.with_columns(lv.alias("level"))


def table_rate(p: Params, at_least, track: pl.Expr) -> pl.Expr:
    """# S-Art.13 — 营销绩效奖计提比例 by annualized score: the rate of the highest threshold met."""
    sales = pl.lit(p.commission.sales[0], pl.Int64)
    advisor = pl.lit(p.commission.advisor[0], pl.Int64)
    for t, rs, ra in zip(p.commission.thresholds[1:], p.commission.sales[1:], p.commission.advisor[1:]):
        hit = at_least(t)
        sales = pl.when(hit).then(pl.lit(rs, pl.Int64)).otherwise(sales)
        advisor = pl.when(hit).then(pl.lit(ra, pl.Int64)).otherwise(advisor)
    return pl.when(track == "advisor").then(advisor).otherwise(sales)


def rates(df: pl.DataFrame, p: Params, at_least) -> pl.DataFrame:
    """# S-Art.13, 14 注, 20 — the rate applied to this month's performance bonus.

    Overrides in order: standby month or pending_termination → 15% (S-Art.20); a sales manager with
    tenure ≥ 5 years whose annualized score is below 200,000 → 15% (S-Art.13, 14 note); base_only
    pays no bonus, so its rate shows 0 (decision 10). `year_end_rate` is December's rate for the
    year-end bonus: the table rate with the veteran override but without the standby one (3.9).
    """
    base = table_rate(p, at_least, pl.col("track_eff"))
    veteran = ((pl.col("track_eff") == "sales") & (pl.col("tenure") >= p.veteran.min_tenure_years)
               & ~at_least(p.veteran.below_score))
    with_veteran = pl.when(veteran).then(pl.lit(p.veteran.rate, pl.Int64)).otherwise(base)
    applied = (pl.when(pl.col("status") == "base_only").then(pl.lit(0, pl.Int64))
               .when(pl.col("status").is_in(["standby", "pending_termination"]))
               .then(pl.lit(p.standby_rate, pl.Int64))
               .otherwise(with_veteran))
    return df.with_columns(base.alias("table_rate"), veteran.alias("veteran"),
                           with_veteran.alias("year_end_rate"), applied.alias("rate"))
