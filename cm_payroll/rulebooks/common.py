"""Pieces every rulebook's month needs besides its own rules: exception rows, input warnings, the
missing-from-roster check, re-run corrections and the listing of applied overrides (SPEC 2, 5, 6).

They are expressions over the month's per-manager frame and know nothing of a rulebook's pay
components beyond what is passed in. Both rulebooks (securities, rcc) build their exceptions with them.
"""

from __future__ import annotations

import polars as pl

from cm_payroll.context import EXCEPTION_SCHEMA, MonthContext
from cm_payroll.errors import InputIssue
from cm_payroll.months import fmt_month

WARNING_SCHEMA = {"manager_id": pl.String, "message": pl.String}


def yuan(e: str | pl.Expr, grouped: bool = True) -> pl.Expr:
    """Fen as yuan text without sign: 1,234.56 (or 1234.56)."""
    e = pl.col(e) if isinstance(e, str) else e
    whole = (e.abs() // 100).cast(pl.String)
    if grouped:
        # 1234567 → 1,234,567 (reverse, split in threes, join, reverse back)
        whole = whole.str.reverse().str.replace_all(r"(\d{3})", "$1,").str.strip_chars_end(",").str.reverse()
    return pl.format("{}.{}", whole, (e.abs() % 100).cast(pl.String).str.zfill(2))


def signed_yuan(e: str | pl.Expr, grouped: bool = True) -> pl.Expr:
    e = pl.col(e) if isinstance(e, str) else e
    return pl.format("{}{}", pl.when(e < 0).then(pl.lit("-")).otherwise(pl.lit("")), yuan(e, grouped))


def hundredths(e: str | pl.Expr) -> pl.Expr:
    """An integer in hundredths as a 2-decimal text: 10238 → 102.38."""
    e = pl.col(e) if isinstance(e, str) else e
    sign = pl.when(e < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.format("{}{}.{}", sign, (e.abs() // 100).cast(pl.String), (e.abs() % 100).cast(pl.String).str.zfill(2))


def exception_rows(df: pl.DataFrame, cond: pl.Expr, code: str, desc: pl.Expr,
                   amount: pl.Expr | None = None, ref: pl.Expr | None = None,
                   manager: bool = True) -> pl.DataFrame:
    """One exception row per row of `df` where `cond` holds. The article is left empty: the pipeline
    fills it from the rulebook's [exceptions] table. `manager=False` for findings that belong to no
    manager (a branch's staffing): 工号 and 姓名 stay empty."""
    out = df.filter(cond).select(
        (pl.col("manager_id") if manager else pl.lit(None, pl.String)).cast(pl.String).alias("manager_id"),
        (pl.col("name") if manager else pl.lit(None, pl.String)).cast(pl.String).alias("name"),
        pl.lit(code).alias("type"), pl.lit("").alias("article"),
        desc.cast(pl.String).alias("description"),
        (amount if amount is not None else pl.lit(None, pl.Int64)).cast(pl.Int64).alias("amount"),
        pl.lit(False).alias("approval_needed"),
        (ref if ref is not None else pl.lit(None, pl.String)).cast(pl.String).alias("approval_ref"),
    )
    return out


def concat_exceptions(parts: list[pl.DataFrame]) -> pl.DataFrame:
    parts = [p.select([pl.col(k).cast(t) for k, t in EXCEPTION_SCHEMA.items()]) for p in parts]
    return pl.concat(parts) if parts else pl.DataFrame(schema=EXCEPTION_SCHEMA)


def warnings_frame(*frames: pl.DataFrame) -> pl.DataFrame:
    """(manager_id, message) rows from several sources, in order."""
    fs = [f.select(pl.col("manager_id").cast(pl.String), pl.col("message").cast(pl.String))
          for f in frames if f.height]
    return pl.concat(fs) if fs else pl.DataFrame(schema=WARNING_SCHEMA)


def input_warnings(inputs) -> pl.DataFrame:
    """The loader's warnings (e.g. an event dated outside its month, decision 5)."""
    if not inputs.warnings:
        return pl.DataFrame(schema=WARNING_SCHEMA)
    return pl.DataFrame({"manager_id": [w.manager_id for w in inputs.warnings],
                         "message": [w.message + (f" ({w.file} row {w.row})" if w.file else "")
                                     for w in inputs.warnings]}, schema=WARNING_SCHEMA)


def warning_rows(warnings: pl.DataFrame, names: pl.DataFrame) -> pl.DataFrame:
    """input_warning exception rows; `names` is (manager_id, name) of the month."""
    if not warnings.height:
        return pl.DataFrame(schema=EXCEPTION_SCHEMA)
    w = warnings.join(names, on="manager_id", how="left")
    return w.select("manager_id", "name", pl.lit("input_warning").alias("type"), pl.lit("").alias("article"),
                    pl.col("message").alias("description"), pl.lit(None, pl.Int64).alias("amount"),
                    pl.lit(False).alias("approval_needed"), pl.lit(None, pl.String).alias("approval_ref"))


def conform_state(state: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """The ledger state with every column of `schema`: a ledger written before a column existed
    gets it as nulls (e.g. resignation_date), so an older output root keeps working."""
    missing = [pl.lit(None, t).alias(k) for k, t in schema.items() if k not in state.columns]
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


def with_corrections(df: pl.DataFrame, ctx: MonthContext) -> pl.DataFrame:
    """SPEC 6 — 补发/追回: adjustments (back_pay − deduction, column `adjustment_correction`) plus the
    differences booked by re-runs of closed months (`rerun_correction`)."""
    if ctx.corrections is not None and ctx.corrections.height:
        c = ctx.corrections.group_by("manager_id").agg(pl.col("amount").sum().alias("rerun_correction"))
        df = df.join(c, on="manager_id", how="left").with_columns(pl.col("rerun_correction").fill_null(0))
    else:
        df = df.with_columns(pl.lit(0, pl.Int64).alias("rerun_correction"))
    return df.with_columns((pl.col("adjustment_correction") + pl.col("rerun_correction")).alias("correction"))


def correction_rows(df: pl.DataFrame, state: pl.DataFrame, ctx: MonthContext) -> pl.DataFrame:
    """SPEC 6 — one `correction` row per manager and corrected month."""
    if ctx.corrections is None or not ctx.corrections.height:
        return pl.DataFrame(schema=EXCEPTION_SCHEMA)
    c = pl.col
    corr = ctx.corrections.group_by("manager_id", "corrects").agg(c("amount").sum()).filter(
        c("amount") != 0).join(df.select("manager_id", "name", pl.lit(True).alias("_on_roster")),
                               on="manager_id", how="left")
    corr = corr.join(state.select("manager_id", c("name").alias("_old_name")), on="manager_id",
                     how="left").with_columns(pl.coalesce("name", "_old_name").alias("name"))
    return exception_rows(corr, pl.lit(True), "correction",
                          pl.format("更正 {} 的计算差错:{}{}", c("corrects"),
                                    pl.when(c("amount") > 0).then(pl.lit("补发")).otherwise(pl.lit("追回")),
                                    pl.when(c("_on_roster").fill_null(False)).then(pl.lit(""))
                                    .otherwise(pl.lit("(不在本月花名册,顺延至以后月份)"))),
                          c("amount"))


def apply_component_overrides(df: pl.DataFrame, keys: tuple[str, ...]) -> pl.DataFrame:
    """Decision 26 — a component override replaces the computed amount after every rule; the rule's
    amount is kept as rule_<key>; gross_pay is the sum of the (overridden) components."""
    df = df.with_columns([pl.col(k).alias(f"rule_{k}") for k in keys])
    for k in keys:
        if f"ov_{k}" not in df.columns:
            df = df.with_columns(pl.lit(None, pl.Int64).alias(f"ov_{k}"))
    df = df.with_columns([pl.coalesce(f"ov_{k}", k).alias(k) for k in keys])
    return df.with_columns(pl.sum_horizontal([pl.col(k) for k in keys]).alias("gross_pay"))


def override_rows(df: pl.DataFrame, ov_long: pl.DataFrame, labels: dict[str, str]) -> pl.DataFrame:
    """S-Art.34 / SPEC 6 — one `override_applied` row per component override applied, with its
    approval_ref; `labels` maps component key → Chinese header."""
    c = pl.col
    j = ov_long.join(df, on="manager_id", how="inner")
    amount = pl.lit(None, pl.Int64)
    what = pl.lit("")
    for k, lbl in labels.items():
        what = pl.when(c("field") == k).then(
            pl.format("{}由 {} 改为 {}", pl.lit(lbl), signed_yuan(f"rule_{k}"), signed_yuan(k))).otherwise(what)
        amount = pl.when(c("field") == k).then(c(k) - c(f"rule_{k}")).otherwise(amount)
    return j.select("manager_id", "name", pl.lit("override_applied").alias("type"), pl.lit("").alias("article"),
                    pl.concat_str([pl.format("特殊处理({}):", c("reason")), what]).alias("description"),
                    amount.alias("amount"), pl.lit(True).alias("approval_needed"), c("approval_ref"))


__all__ = ["apply_component_overrides", "close_ended", "concat_exceptions", "conform_state", "correction_rows",
           "december_missing", "ended_off_roster", "exception_rows", "hundredths", "input_warnings",
           "missing_from_roster", "override_rows", "signed_yuan",
           "warning_rows", "warnings_frame", "with_corrections", "yuan"]
