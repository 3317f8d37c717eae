"""Employment and time: joins the month's roster to the ledger state (SPEC 1, decisions 1–4, 27, 30).

One row per roster manager comes out, with the previous state as `s_*` columns and this month's
employment facts: a new employment (first seen, or re-hired), employment month k, tenure (司龄,
S-Art.14), the track in force, and whether the manager is confirmed (no probation).
"""

from __future__ import annotations

import polars as pl

from cm_payroll.errors import InputIssue
from cm_payroll.rulebooks.shared import employment

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

# State columns added after the first release: a ledger written before them lacks them, and they are
# read as null (shared.employment.conform_state); every other column must be there.
STATE_ADDED = ("resignation_date", "ytd_fraud_excluded")


def empty_state() -> pl.DataFrame:
    return pl.DataFrame(schema=STATE_SCHEMA)


def join_state(roster: pl.DataFrame, state: pl.DataFrame, m: int, first_month: int,
               roster_file: str | None, hire_label: str = "入职日期") -> tuple[pl.DataFrame, list[InputIssue], pl.DataFrame]:
    """The shared join (new employment, hire date and track in force, tenure; decisions 3, 4, 27)
    plus what the securities rules carry: whether the manager is confirmed (no probation), the
    previous status of this employment, and whether this month is a standby month."""
    df, issues, warnings = employment.join(roster, state, m, roster_file, hire_label)
    new = pl.col("new_employment")
    # Decisions 2, 7, 30: hired before the first processed month, or an advisor → confirmed.
    confirmed_new = (pl.col("track_eff") == "advisor") | (pl.col("hire_month") < first_month)
    df = df.with_columns(
        pl.when(new).then(confirmed_new).otherwise(pl.col("s_confirmed")).alias("confirmed"),
        # The previous month's facts count only when they belong to this employment.
        pl.when(new).then(None).otherwise(pl.col("s_status")).alias("prev_status"),
        # Decision 37: a standby month scheduled for a month the manager was off the roster is held
        # in the next month on the roster (the state keeps standby_next while the manager is away).
        (~new & pl.col("s_standby_next").fill_null(False)).alias("standby_month"),
    )
    return df, issues, warnings
