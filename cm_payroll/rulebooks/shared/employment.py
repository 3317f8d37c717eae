"""Employment and time, as every rulebook keeps them (SPEC 1, 2; decisions 2–4, 18, 27, 36).

`join` puts the month's roster beside the ledger state (previous facts as `s_*` columns) and works out
what every rulebook needs: a new employment (first seen, or re-hired with a later hire date), the hire
date, hire month and track in force (the ledger's win, decisions 4, 27), the employment month and
tenure (司龄: whole years by month, the day ignored; a re-hire restarts it, S-Art.14). A rulebook adds
its own facts (securities: probation, the standby schedule). The rest: the managers who left — missing
from the roster (a warning), ended off the roster by an event (decision 36), the December check — and
the next state, in which this month's rows replace theirs and every id ever seen is kept.
"""

from __future__ import annotations

import polars as pl

from cm_payroll.errors import InputIssue
from cm_payroll.months import fmt_month


def join(roster: pl.DataFrame, state: pl.DataFrame, m: int, roster_file: str | None,
         hire_label: str = "入职日期") -> tuple[pl.DataFrame, list[InputIssue], pl.DataFrame]:
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
    # Tenure (S-Art.14): whole years by month, the day ignored; a re-hire restarts it.
    tenure = ((m // 12) - pl.col("hire_date_eff").dt.year().cast(pl.Int32)
              - pl.when(pl.lit(m % 12 + 1) < pl.col("hire_date_eff").dt.month().cast(pl.Int32))
              .then(1).otherwise(0))
    df = df.with_columns(
        (pl.lit(m, pl.Int32) - pl.col("hire_month") + 1).alias("employment_month"),
        tenure.cast(pl.Int32).alias("tenure"),
    )
    return df, issues, warnings


def merge_state(rows: pl.DataFrame, state: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """The ledger state after a month: this month's rows (cast to `schema`) replace theirs; every id
    ever seen is kept."""
    rows = rows.select([pl.col(c).cast(t) for c, t in schema.items()])
    kept = state.filter(~pl.col("manager_id").is_in(rows.get_column("manager_id").implode()))
    return pl.concat([rows, kept.select(list(schema))]).sort("manager_id")


def conform_state(state: pl.DataFrame, schema: dict[str, pl.DataType], added: tuple[str, ...] = ()) -> pl.DataFrame:
    """The ledger state with every column of `schema`: a ledger written before one of the `added`
    columns existed gets it as nulls (e.g. resignation_date), so an older output root keeps working
    (the ledger check refuses a state missing any other column)."""
    missing = [pl.lit(None, t).alias(k) for k, t in schema.items() if k not in state.columns and k in added]
    return state.with_columns(missing) if missing else state


ENDING_EVENTS = ("terminated", "resignation")


def ended_off_roster(state: pl.DataFrame, df: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """Decision 36 — a `terminated` or `resignation` row of this month for a manager known to the
    ledger, not terminated and not on this month's roster: the employment ended after the manager's
    last month on the roster. One row per such manager: the state row plus `end_terminated`,
    `end_resignation` (flags) and `end_date` (the earliest such event's date)."""
    c = pl.col
    ids = df.get_column("manager_id").implode()
    ends = (events.filter(c("event").is_in(list(ENDING_EVENTS)) & ~c("manager_id").is_in(ids))
            .group_by("manager_id").agg((c("event") == "terminated").any().alias("end_terminated"),
                                        (c("event") == "resignation").any().alias("end_resignation"),
                                        c("date").filter(c("event") == "resignation").min().alias("end_resignation_date"),
                                        c("date").min().alias("end_date")))
    return state.filter(~c("terminated").fill_null(False)).join(ends, on="manager_id", how="inner").sort("manager_id")


def close_ended(state: pl.DataFrame, ended: pl.DataFrame) -> pl.DataFrame:
    """Decision 36 — the ledger rows of the managers whose employment `ended_off_roster` closed:
    terminated (later months neither warn nor pay them; a re-hire needs a new hire date, decision 3),
    the resignation recorded, the compliance reserve forfeited (set to 0 where the state has one); a
    carried year-end deficit stays (it is the person's debt)."""
    if not ended.height:
        return state
    c = pl.col
    e = ended.select("manager_id", "end_resignation", "end_resignation_date", pl.lit(True).alias("_ended"))
    out = state.join(e, on="manager_id", how="left").with_columns(c("_ended").fill_null(False))
    changes = [pl.when(c("_ended")).then(True).otherwise(c("terminated")).alias("terminated"),
               pl.when(c("_ended") & c("end_resignation")).then(True).otherwise(c("resigned")).alias("resigned"),
               pl.when(c("_ended")).then(pl.coalesce("resignation_date", "end_resignation_date"))
               .otherwise(c("resignation_date")).alias("resignation_date")]
    if "reserve" in state.columns:
        changes.append(pl.when(c("_ended")).then(0).otherwise(c("reserve")).cast(pl.Int64).alias("reserve"))
    return out.with_columns(changes).select(state.columns)


def missing_from_roster(state: pl.DataFrame, df: pl.DataFrame, m: int,
                        ended: pl.DataFrame | None = None) -> pl.DataFrame:
    """SPEC 2, decision 18 — on last month's ledger, not on this roster, and neither resigned nor
    terminated in an earlier month of the employment, nor in this month's events (decision 36)."""
    ids = df.get_column("manager_id").implode()
    gone = state.filter((pl.col("last_month") == m - 1) & ~pl.col("terminated") & ~pl.col("resigned")
                        & ~pl.col("manager_id").is_in(ids))
    if ended is not None and ended.height:
        gone = gone.filter(~pl.col("manager_id").is_in(ended.get_column("manager_id").implode()))
    return gone.select(
        "manager_id", "name", pl.lit("missing_from_roster").alias("type"), pl.lit("").alias("article"),
        pl.lit("上月在册,本月花名册中缺失且无辞职或解除记录").alias("description"),
        pl.lit(None, pl.Int64).alias("amount"), pl.lit(False).alias("approval_needed"),
        pl.lit(None, pl.String).alias("approval_ref"))


def december_missing(state: pl.DataFrame, inputs, m: int, closing_month: int = 12) -> list[InputIssue]:
    """Decision 36 (S-Art.14, 16) — the closing month (December) closes the year: a manager on last
    month's roster, without a resignation or termination in the employment and without one in this
    month's events, who is missing from this month's roster is an input error (a year-end bonus, a
    compliance reserve or a deficit would be lost without a word). The message names the manager,
    the roster file and the cure."""
    if m % 12 + 1 != closing_month or not state.height:
        return []
    c = pl.col
    roster_t, events = inputs.tables["roster"], inputs["events"]
    on_roster = roster_t.frame.get_column("manager_id").implode()
    cured = events.filter(c("event").is_in(list(ENDING_EVENTS))).get_column("manager_id").implode()
    gone = state.filter((c("last_month") == m - 1) & ~c("terminated").fill_null(False)
                        & ~c("resigned").fill_null(False) & ~c("manager_id").is_in(on_roster)
                        & ~c("manager_id").is_in(cured)).sort("manager_id")
    roster_file = roster_t.file or "roster.xlsx"
    events_file = inputs.tables["events"].file or "events.xlsx"
    month, prev = fmt_month(m), fmt_month(m - 1)
    return [InputIssue(roster_file, roster_t.sheet, None, roster_t.label("manager_id"),
                       f"manager {mid} ({name}) was on the roster of {prev} but is missing from {roster_file} of "
                       f"{month}, with no resignation or termination: {month} closes the year (year-end bonus, "
                       f"compliance reserve, deficit; S-Art.14, S-Art.16). Put {mid} back on {roster_file}, or, "
                       f"if the employment ended, add a row for {mid} with event 解除完成 (terminated) or 辞职申请 "
                       f"(resignation) to {events_file} of {month}")
            for mid, name in gone.select("manager_id", "name").iter_rows()]


__all__ = ["ENDING_EVENTS", "close_ended", "conform_state", "december_missing", "ended_off_roster", "join",
           "merge_state", "missing_from_roster"]
