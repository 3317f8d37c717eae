"""Approvals of special cases (S-Art.34: 特殊情况须经审批后执行; SPEC 6 "Approvals").

A case is an exceptions-report row with 需审批 = 是. Its 审批号 comes from the input row that raised it
(overrides, events, adjustments), from an `approvals` file in the month folder, or from `approve
YYYY-MM --file F` after the run (lifecycle.py). Both files have the columns below; a case is keyed by
(工号, 类型代码, 项目): 项目 names the override's field or the adjustment's component (any text of the
case's 说明) when a manager has several cases of one type, else it stays blank. 类型代码 takes the code
(e.g. `probation_failed`) or its Chinese label (见习期考核未通过).
"""

from __future__ import annotations

import polars as pl

from cm_payroll.errors import InputIssue
from cm_payroll.schema import ID, Column, FileSpec

APPROVALS = FileSpec(
    "approvals", "审批记录",
    (
        Column("manager_id", "工号", ID, required=True),
        Column("type", "类型代码", "text", required=True),
        Column("item", "项目", "text", nullable=True),
        Column("approval_ref", "审批号", "text", required=True),
        Column("note", "说明", "text", nullable=True),
    ),
    key=("manager_id", "type", "item"),
)

CASE_KEY = ("manager_id", "type")


def cases(exceptions: pl.DataFrame) -> pl.DataFrame:
    """The month's cases that need an approval (需审批 = 是), one row each, numbered (`case`)."""
    return (exceptions.with_row_index("_pos")
            .filter(pl.col("approval_needed") & pl.col("manager_id").is_not_null())
            .select("_pos", "manager_id", "name", "type", "description", "approval_ref", "amount")
            .with_row_index("case"))


def hits(rows: pl.DataFrame, case_rows: pl.DataFrame) -> pl.DataFrame:
    """The one matching rule: each row of `rows` (manager_id, type, item, …) joined to the cases of
    `case_rows` (from `cases`) it names — same 工号 and 类型代码, and 项目 blank or part of the case's 说明."""
    return (rows.join(case_rows.select("case", "manager_id", "type", "description"), on=list(CASE_KEY),
                      how="inner")
            .filter((pl.col("item") == "") | pl.col("description").str.contains(pl.col("item"), literal=True)))


def recorded_frame(recorded: list[dict]) -> pl.DataFrame:
    """Approvals recorded in the ledger (dicts of lifecycle.approve) as a frame, numbered (`_i`)."""
    schema = {"manager_id": pl.String, "type": pl.String, "item": pl.String, "ref": pl.String,
              "source": pl.String, "note": pl.String, "at": pl.String}
    return pl.DataFrame([{k: r.get(k, "") for k in schema} for r in recorded], schema=schema,
                        orient="row").with_row_index("_i")


def match(approvals: pl.DataFrame, exceptions: pl.DataFrame, labels: dict[str, str], file: str,
          sheet: str | None = None) -> tuple[pl.DataFrame, list[InputIssue]]:
    """Each approval row (manager_id, type, item, approval_ref, note, _row) matched to exactly one case
    of `exceptions`: (rows with their `case` number, the issues of rows that match none or several).
    `labels`: {code: Chinese label} of the rulebook's exception types."""
    to_code = {v: k for k, v in labels.items()}
    a = approvals.with_columns(
        pl.col("type").str.strip_chars().replace(to_code).alias("type"),
        pl.col("item").fill_null("").str.strip_chars().alias("item"),
        pl.col("note").fill_null(""),
    ).with_row_index("_i")
    counts = hits(a, cases(exceptions)).group_by("_i").agg(pl.len().alias("n"), pl.col("case").first())
    a = a.join(counts, on="_i", how="left").with_columns(pl.col("n").fill_null(0))
    issues = []
    for r in a.filter(pl.col("n") != 1).iter_rows(named=True):
        kind = labels.get(r["type"], r["type"])
        what = f"{r['manager_id']} {kind}" + (f" 项目「{r['item']}」" if r["item"] else "")
        if r["n"] == 0:
            msg = (f"本月没有需审批的例外事项 {what}(审批号 {r['approval_ref']}):请核对工号、类型代码和项目; "
                   f"本月的需审批事项见例外事项报告")
        else:
            msg = (f"{what} 对应本月 {r['n']} 项需审批事项:请在「项目」列写明是哪一项(说明中的字段或项目名)")
        issues.append(InputIssue(file, sheet, r.get("_row"), "类型代码", message=msg))
    return a.filter(pl.col("n") == 1).drop("n", "_i"), issues


def fill_refs(exceptions: pl.DataFrame, approvals: pl.DataFrame) -> pl.DataFrame:
    """The exceptions with the 审批号 of the matched `approvals` (rows with `case`) where the input
    row gave none."""
    if approvals.height == 0:
        return exceptions
    ex = exceptions.with_row_index("_pos")
    ref = (approvals.select("case", pl.col("approval_ref").alias("_ref"))
           .join(cases(exceptions).select("case", "_pos"), on="case").select("_pos", "_ref"))
    return (ex.join(ref, on="_pos", how="left")
            .with_columns(pl.when((pl.col("approval_ref").is_null() | (pl.col("approval_ref") == ""))
                                  & pl.col("_ref").is_not_null())
                          .then(pl.col("_ref")).otherwise(pl.col("approval_ref")).alias("approval_ref"))
            .sort("_pos").drop("_pos", "_ref"))


def open_cases(exceptions: pl.DataFrame, recorded: list[dict]) -> pl.DataFrame:
    """The cases without a 审批号: neither in their row (the inputs, the month folder's approvals file)
    nor among the approvals recorded since the run (`recorded`: dicts with case keys and `item`)."""
    c = cases(exceptions).filter(pl.col("approval_ref").is_null() | (pl.col("approval_ref") == ""))
    if not recorded or c.height == 0:
        return c
    done = hits(recorded_frame(recorded), c).get_column("case").unique()
    return c.filter(~pl.col("case").is_in(done.implode()))


__all__ = ["APPROVALS", "cases", "fill_refs", "hits", "match", "open_cases", "recorded_frame"]
