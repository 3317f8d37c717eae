"""The opening file (期初数据) of an output root begun later on purpose (SPEC 6, `--start YYYY-MM`).

A branch that keeps no older inputs starts its output folder with `--start`; the start month's
folder may hold an `opening` file that seeds the ledger with what the months before the start left
behind (per rulebook: carried deficits, reserves, year-to-date sums, recent triggers …). Without it,
or for a manager without a row, decision 2 applies (hired before the first processed month:
confirmed, no earlier triggers, requests or year sums) and the manager gets an `input_warning` that
no history was given. An opening file in any other month is an input error (it would be ignored).

This module holds what every rulebook's opening shares: the rows of the start roster joined to the
opening rows, the state row of each seeded manager with neutral values for every state column the
rulebook does not set, and the warnings. Each rulebook adds its own columns and values
(`securities/opening.py`, `rcc/opening.py`).
"""

from __future__ import annotations

import polars as pl

from cm_payroll.errors import InputIssue
from cm_payroll.months import fmt_month
from cm_payroll.schema import ID, Column

OPENING_STEM = "opening"
MANAGER = Column("manager_id", "工号", ID, required=True)


def neutral(dtype: pl.DataType) -> pl.Expr:
    """The value of a state column nobody set: no history (0, false, empty list, null)."""
    if dtype == pl.Boolean:
        return pl.lit(False)
    if dtype in (pl.Int64, pl.Int32):
        return pl.lit(0, dtype)
    if isinstance(dtype, pl.List):
        return pl.lit([], dtype)
    return pl.lit(None, dtype)


def seeded(roster: pl.DataFrame, opening: pl.DataFrame, start: int, schema: dict[str, pl.DataType],
           values: dict[str, pl.Expr]) -> pl.DataFrame:
    """One state row per opening row (its manager on the start roster), as if the manager had been on
    the roster in the month before the start: identity from the roster, `values` (expressions over the
    joined roster ⨝ opening row), every other column neutral."""
    hire_month = (pl.col("hire_date").dt.year().cast(pl.Int32) * 12
                  + pl.col("hire_date").dt.month().cast(pl.Int32) - 1)
    j = opening.join(roster.drop("_row", "_sheet"), on="manager_id", how="inner")
    base = {
        "manager_id": pl.col("manager_id"), "name": pl.col("name"), "branch": pl.col("branch"),
        "hire_date": pl.col("hire_date"), "hire_month": hire_month, "track": pl.col("track"),
        "last_month": pl.lit(start - 1, pl.Int32),
    }
    base.update(values)
    exprs = [(base[k] if k in base else neutral(t)).cast(t).alias(k) for k, t in schema.items()]
    return j.select(exprs).sort("manager_id")


def hired_too_late(roster: pl.DataFrame, opening: pl.DataFrame, start: int, file: str,
                   column: str) -> list[InputIssue]:
    """An opening row for a manager hired in or after the start month: there is no history before the
    start to seed (a new employment starts clean)."""
    hire_month = pl.col("hire_date").dt.year() * 12 + pl.col("hire_date").dt.month() - 1
    late = opening.join(roster.select("manager_id", "hire_date"), on="manager_id", how="inner").filter(
        hire_month >= start)
    return [InputIssue(file, sh, r, column, f"manager {mid} was hired on {d}, in or after the start month "
                       f"{fmt_month(start)}: there is no earlier history to seed; remove the row")
            for r, sh, mid, d in late.select("_row", "_sheet", "manager_id", "hire_date").iter_rows()]


def no_history_warnings(roster: pl.DataFrame, opening: pl.DataFrame, start: int, present: bool,
                        history: str, then: str = "") -> pl.DataFrame:
    """(manager_id, message): the start roster's managers without an opening row. `history` names what
    the months before the start would have carried (the rulebook's words)."""
    missing = roster.join(opening.select("manager_id"), on="manager_id", how="anti")
    why = "未提供期初数据文件 opening" if not present else "期初数据文件 opening 中无此客户经理"
    msg = (f"本输出目录自 {fmt_month(start)} 起计算(--start),{why}:{fmt_month(start)} 以前的{history}均按无记录"
           f"处理{then}")
    return missing.sort("_row").select("manager_id", pl.lit(msg).alias("message"))


__all__ = ["MANAGER", "OPENING_STEM", "hired_too_late", "neutral", "no_history_warnings", "seeded"]
