"""Employment and the per-manager ledger state of the rcc rulebook (SPEC 1, decisions 2–4, 18, 27).

Credit managers have no probation, level or standby: the state carried from month to month is who
the manager is (hire date, branch, track), the last month on the roster, and whether the employment
saw a resignation (decision 18) or ended (a `terminated` event, decision 3). The loan-level memory
(overdue loans already charged) and the visit history are kept in the ledger's aux frames
(overdue.py, compliance_checks.py).
"""

from __future__ import annotations

import polars as pl

from cm_payroll.errors import InputIssue
from cm_payroll.rulebooks.shared import employment

STATE_SCHEMA: dict[str, pl.DataType] = {
    "manager_id": pl.String,
    "name": pl.String,
    "branch": pl.String,
    "hire_date": pl.Date,          # hire date of the current employment (the ledger's wins, decision 27)
    "hire_month": pl.Int32,
    "track": pl.String,            # always credit
    "last_month": pl.Int32,        # last month the manager was on the roster
    "resigned": pl.Boolean,        # a resignation in this employment (decision 18)
    "resignation_date": pl.Date,   # the employment's (earliest) resignation date (S-Art.9 notice)
    "terminated": pl.Boolean,      # employment ended (terminated event)
}

# State columns added after the first release: a ledger written before them lacks them, and they are
# read as null (shared.employment.conform_state); every other column must be there.
STATE_ADDED = ("resignation_date",)


def empty_state() -> pl.DataFrame:
    return pl.DataFrame(schema=STATE_SCHEMA)


def join_roster(roster: pl.DataFrame, state: pl.DataFrame, m: int, first_month: int,
                roster_file: str | None, hire_label: str) -> tuple[pl.DataFrame, list[InputIssue], pl.DataFrame]:
    """SPEC 1, decisions 3, 4, 27 — the roster joined to the previous state (the shared join: new
    employment or re-hire, the hire date and track in force, tenure, the input error of a terminated
    id without a new hire date, the warnings of a disagreeing roster). Credit managers have no
    probation, status machine or standby: nothing is added."""
    return employment.join(roster, state, m, roster_file, hire_label)


def next_state(df: pl.DataFrame, state: pl.DataFrame, m: int) -> pl.DataFrame:
    """The ledger state after month M: this month's roster rows replace theirs, every id ever seen
    is kept."""
    rows = df.select(
        "manager_id", "name", "branch",
        pl.col("hire_date_eff").alias("hire_date"),
        pl.col("hire_month").cast(pl.Int32),
        pl.col("track_eff").alias("track"),
        pl.lit(m, pl.Int32).alias("last_month"),
        "resigned",
        "resignation_date",
        pl.col("ev_terminated").alias("terminated"),
    )
    return employment.merge_state(rows, state, STATE_SCHEMA)
