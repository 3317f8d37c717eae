"""Overrides (特殊处理, S-Art.34; SPEC 6; decisions 25, 26).

S-Art.34: 因为特殊原因不能完全按照本细则进行计算或处理的情况,需在申报工资报表时明确申报请示,获得审批后方可执行.
An override names a field for one manager and month and needs an approval_ref (the file's column is
required). A component key (or its Chinese label) replaces the computed amount after every rule of the
month; a rulebook may accept further fields (securities: `status`, `level`, `convert_to_advisor`,
declared with their rules as `OverrideField`s) and name fields that do not apply to it (`foreign`).
Two overrides of the same manager, field and month are an input error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import polars as pl

from cm_payroll.errors import InputIssue
from cm_payroll.schema import norm_value
from cm_payroll.units import to_fen, yuan_expr


@dataclass(frozen=True)
class OverrideField:
    """A field a rulebook accepts besides the components: `read(value text, manager_id)` gives
    (value, None) or (None, message); `on_field` tells whether the message is about the field column
    (the field does not apply to this manager) rather than the value."""
    key: str                                 # the field's code; the wide column is ov_<key>
    names: tuple[str, ...]                   # accepted spellings (English code, Chinese)
    dtype: pl.DataType
    read: Callable[[str, str], tuple[Any, str | None, bool]]


def parse(table, components: dict[str, str], fields: tuple[OverrideField, ...] = (),
          foreign: dict[str, str] | None = None) -> tuple[pl.DataFrame, pl.DataFrame, list[InputIssue]]:
    """Validate override rows; return (one wide row per manager with ov_<field> columns, one long row
    per override applied (manager_id, field, reason, approval_ref), issues). `components` maps key →
    Chinese label (gross_pay excluded: it is always the sum); `foreign` maps a normalised field name
    that does not apply to this rulebook to the message saying so."""
    overrides, file = table.frame, table.file or "overrides"
    col_field, col_value = table.label("field"), table.label("value")
    issues: list[InputIssue] = []
    names: dict[str, str] = {}
    for f in fields:
        for n in f.names:
            names[norm_value(n)] = f.key
    for key, label in components.items():
        names[norm_value(key)] = key
        names[norm_value(label)] = key
    by_key = {f.key: f for f in fields}
    rows: dict[str, dict] = {}
    applied: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for rec in overrides.iter_rows(named=True):
        r, mid, raw_field, value, sheet = rec["_row"], rec["manager_id"], rec["field"], rec["value"], rec["_sheet"]
        norm = norm_value(raw_field or "")
        if foreign and norm in foreign:
            issues.append(InputIssue(file, sheet, r, col_field, foreign[norm]))
            continue
        f = names.get(norm)
        if f is None:
            accepted = [x.key for x in fields] + list(components)
            issues.append(InputIssue(file, sheet, r, col_field,
                                     f"unknown override field {raw_field!r}; use {', '.join(accepted)}"))
            continue
        if (mid, f) in seen:
            issues.append(InputIssue(file, sheet, r, col_field,
                                     f"a second override of {f} for {mid} in the same month (decision 26)"))
            continue
        seen.add((mid, f))
        target = rows.setdefault(mid, {"manager_id": mid})
        if f in by_key:
            v, problem, on_field = by_key[f].read(value or "", mid)
            if problem:
                issues.append(InputIssue(file, sheet, r, col_field if on_field else col_value, problem))
                continue
            target[f"ov_{f}"] = v
        else:
            try:
                cleaned = (value or "").replace(",", "").replace("元", "").strip()
                target[f"ov_{f}"] = to_fen(Decimal(cleaned))
            except (InvalidOperation, ValueError, ArithmeticError):
                issues.append(InputIssue(file, sheet, r, col_value, f"not an amount for {f}: {value!r}"))
                continue
        applied.append({"manager_id": mid, "field": f, "reason": rec["reason"], "approval_ref": rec["approval_ref"]})
    schema: dict[str, pl.DataType] = {"manager_id": pl.String}
    schema.update({f"ov_{f.key}": f.dtype for f in fields})
    schema.update({f"ov_{k}": pl.Int64 for k in components})
    wide = pl.DataFrame([{k: row.get(k) for k in schema} for row in rows.values()], schema=schema,
                        orient="row") if rows else pl.DataFrame(schema=schema)
    long = pl.DataFrame(applied, schema={"manager_id": pl.String, "field": pl.String, "reason": pl.String,
                                         "approval_ref": pl.String}, orient="row")
    return wide, long, issues


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
            pl.format("{}由 {} 改为 {}", pl.lit(lbl), yuan_expr(f"rule_{k}", grouped=False), yuan_expr(k, grouped=False))).otherwise(what)
        amount = pl.when(c("field") == k).then(c(k) - c(f"rule_{k}")).otherwise(amount)
    return j.select("manager_id", "name", pl.lit("override_applied").alias("type"), pl.lit("").alias("article"),
                    pl.concat_str([pl.format("特殊处理({}):", c("reason")), what]).alias("description"),
                    amount.alias("amount"), pl.lit(True).alias("approval_needed"), c("approval_ref"))


__all__ = ["OverrideField", "apply_component_overrides", "override_rows", "parse"]
