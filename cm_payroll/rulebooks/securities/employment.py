"""Employment and time: joins the month's roster to the ledger state (SPEC 1, decisions 1–4, 27, 30).

One row per roster manager comes out, with the previous state as `s_*` columns and this month's
employment facts: a new employment (first seen, or re-hired), employment month k, tenure (司龄,
S-Art.14), the track in force, and whether the manager is confirmed (no probation).
"""

from __future__ import annotations

import polars as pl

from cm_payroll.errors import InputIssue

STATE_SCHEMA: dict[str, pl.DataType] = {
    "manager_id": pl.String,
    "name": pl.String,
    "branch": pl.String,
    "hire_date": pl.Date,
    "hire_month": pl.Int32,
    "track": pl.String,            # the track from the next month on (conversions applied)
    "status": pl.String,           # status in the last month processed
    "level": pl.String,            # level in the last month processed (frozen in base_only)
    "confirmed": pl.Boolean,       # past probation (or never on it)
    "last_month": pl.Int32,        # last month the manager was on the roster
    "window_start": pl.Int32,      # start of the assessment window (restarts are scheduled here)
    "window_cum": pl.Int64,        # Σ scores of the window, score units
    "ann_ok": pl.Boolean,          # annualized ≥ ordinary minimum in last_month
    "standby_next": pl.Boolean,    # the next month on the roster is a standby month (decision 37)
    "trigger_months": pl.List(pl.Int32),
    "request_months": pl.List(pl.Int32),
    "advisor_since": pl.Int32,     # first advisor month of the current advisor spell
    "prob_score": pl.Int64,        # probation Σ scores (months 1–4)
    "prob_new_assets": pl.Int64,   # probation Σ new client assets, fen
    "year": pl.Int32,              # year of the ytd sums below
    "ytd_net_income": pl.Int64,    # Σ net income this year on this employment, fen (signed)
    "ytd_performance_bonus": pl.Int64,
    "ytd_fraud_excluded": pl.Int64,  # Σ positive net income of fraud months left out of ytd_net_income (S-Art.8(4))
    "reserve": pl.Int64,           # compliance reserve of `year`, fen
    "violation": pl.Boolean,       # a compliance_violation in `year`
    "deficit": pl.Int64,           # carried year-end deficit, fen (the person's debt)
    "resigned": pl.Boolean,        # a resignation in this employment
    "resignation_date": pl.Date,   # the employment's (earliest) resignation date (S-Art.9 notice)
    "terminated": pl.Boolean,      # employment ended (terminated event)
}


def empty_state() -> pl.DataFrame:
    return pl.DataFrame(schema=STATE_SCHEMA)


def join_state(roster: pl.DataFrame, state: pl.DataFrame, m: int, first_month: int,
               roster_file: str | None, hire_label: str = "入职日期") -> tuple[pl.DataFrame, list[InputIssue], pl.DataFrame]:
    """The roster joined to the previous state; input errors (decision 3) and warnings (4, 27)."""
    s = state.rename({c: f"s_{c}" for c in state.columns if c != "manager_id"})
    df = roster.join(s, on="manager_id", how="left")
    roster_hire_month = (pl.col("hire_date").dt.year().cast(pl.Int32) * 12
                         + pl.col("hire_date").dt.month().cast(pl.Int32) - 1)
    known = pl.col("s_hire_date").is_not_null()
    new = ~known | (pl.col("hire_date") > pl.col("s_hire_date"))
    df = df.with_columns(new.alias("new_employment"), roster_hire_month.alias("roster_hire_month"))

    issues: list[InputIssue] = []
    # Decision 3: a terminated id on a later roster without a new hire_date is an input error.
    bad = df.filter(known & pl.col("s_terminated") & ~pl.col("new_employment"))
    for r, sh, mid in bad.select("_row", "_sheet", "manager_id").iter_rows():
        issues.append(InputIssue(roster_file or "roster", sh, r, hire_label,
                                 f"manager {mid} was terminated; a new employment needs a hire date "
                                 f"later than the ledger's"))
    warnings = pl.concat([
        # Decision 27: an earlier hire date than the ledger's — the ledger wins.
        df.filter(known & (pl.col("hire_date") < pl.col("s_hire_date"))).select(
            "manager_id", pl.format("roster hire date {} is earlier than the ledger's {}; the ledger's is kept "
                                    "(decision 27)", "hire_date", "s_hire_date").alias("message")),
        # Decision 4: the track changes only by conversion or transfer back.
        df.filter(known & ~pl.col("new_employment") & (pl.col("track") != pl.col("s_track"))).select(
            "manager_id", pl.format("roster track {} disagrees with the ledger's {}; the ledger's is kept "
                                    "(decision 4)", "track", "s_track").alias("message")),
    ])

    new = pl.col("new_employment")
    hire_date = pl.when(new).then(pl.col("hire_date")).otherwise(pl.col("s_hire_date"))
    hire_month = pl.when(new).then(pl.col("roster_hire_month")).otherwise(pl.col("s_hire_month"))
    track = pl.when(new).then(pl.col("track")).otherwise(pl.col("s_track"))
    df = df.with_columns(hire_date.alias("hire_date_eff"), hire_month.alias("hire_month"),
                         track.alias("track_eff"))
    # Decisions 2, 7, 30: hired before the first processed month, or an advisor → confirmed.
    confirmed_new = (pl.col("track_eff") == "advisor") | (pl.col("hire_month") < first_month)
    # Tenure (S-Art.14): whole years by month, the day ignored; a re-hire restarts it.
    tenure = ((m // 12) - pl.col("hire_date_eff").dt.year().cast(pl.Int32)
              - pl.when(pl.lit(m % 12 + 1) < pl.col("hire_date_eff").dt.month().cast(pl.Int32))
              .then(1).otherwise(0))
    df = df.with_columns(
        pl.when(new).then(confirmed_new).otherwise(pl.col("s_confirmed")).alias("confirmed"),
        (pl.lit(m, pl.Int32) - pl.col("hire_month") + 1).alias("employment_month"),
        tenure.cast(pl.Int32).alias("tenure"),
        # The previous month's facts count only when they belong to this employment.
        pl.when(new).then(None).otherwise(pl.col("s_status")).alias("prev_status"),
        # Decision 37: a standby month scheduled for a month the manager was off the roster is held
        # in the next month on the roster (the state keeps standby_next while the manager is away).
        (~new & pl.col("s_standby_next").fill_null(False)).alias("standby_month"),
    )
    return df, issues, warnings
