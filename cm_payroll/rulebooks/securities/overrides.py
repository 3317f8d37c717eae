"""Overrides (特殊处理, S-Art.34; SPEC 6; decisions 25, 26).

S-Art.34: 因为特殊原因不能完全按照本细则进行计算或处理的情况,需在申报工资报表时明确申报请示,获得审批后方可执行.
An override names a field for one manager and month: `status` or `level` (replace the month's rule
decision before pay is computed, and feed later months), `convert_to_advisor` (是: force a rejected
conversion), or a component key (the value replaces the computed amount after every rule).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import polars as pl

from cm_payroll.errors import InputIssue
from cm_payroll.money import to_fen
from cm_payroll.schema import YES_NO, norm_value

STATUS_LABELS = {"trainee": "见习", "active": "在岗", "standby": "待岗培训",
                 "pending_termination": "待解除劳动合同", "base_only": "仅发基础工资"}


def parse(table, components: dict[str, str],
          level_names: dict[str, str], tracks: dict[str, str]) -> tuple[pl.DataFrame, pl.DataFrame, list[InputIssue]]:
    """Validate override rows; return one wide row per manager: ov_status, ov_level, ov_convert,
    ov_<component> (fen). `components` maps key → Chinese label (gross_pay excluded); `tracks` maps
    manager_id → current track (decision 26: convert_to_advisor only for sales managers)."""
    overrides, file = table.frame, table.file
    col_field, col_value = table.label("field"), table.label("value")
    issues: list[InputIssue] = []
    fields: dict[str, str] = {"status": "status", "状态": "status", "level": "level", "级别": "level",
                              "convert_to_advisor": "convert_to_advisor", "转理财类": "convert_to_advisor"}
    for key, label in components.items():
        fields[norm_value(key)] = key
        fields[norm_value(label)] = key
    statuses = {norm_value(k): k for k in STATUS_LABELS} | {norm_value(v): k for k, v in STATUS_LABELS.items()}
    levels = {norm_value(k): k for k in level_names} | {norm_value(v): k for k, v in level_names.items()}
    rows: dict[str, dict] = {}
    applied: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for rec in overrides.iter_rows(named=True):
        r, mid, raw_field, value = rec["_row"], rec["manager_id"], rec["field"], rec["value"]
        sheet = rec["_sheet"]
        f = fields.get(norm_value(raw_field or ""))
        if f is None:
            issues.append(InputIssue(file or "overrides", sheet, r, col_field,
                                     f"unknown override field {raw_field!r}; use status, level, "
                                     f"convert_to_advisor or a component ({', '.join(components)})"))
            continue
        if (mid, f) in seen:
            issues.append(InputIssue(file or "overrides", sheet, r, col_field,
                                     f"a second override of {f} for {mid} in the same month (decision 26)"))
            continue
        seen.add((mid, f))
        v = norm_value(value or "")
        target = rows.setdefault(mid, {"manager_id": mid})
        if f == "status":
            if v not in statuses:
                issues.append(InputIssue(file or "overrides", sheet, r, col_value,
                                         f"unknown status {value!r}; use one of {', '.join(STATUS_LABELS.values())}"))
                continue
            target["ov_status"] = statuses[v]
        elif f == "level":
            if v not in levels:
                issues.append(InputIssue(file or "overrides", sheet, r, col_value,
                                         f"unknown level {value!r}; use one of {', '.join(level_names.values())}"))
                continue
            if tracks.get(mid) == "advisor":
                issues.append(InputIssue(file or "overrides", sheet, r, col_field,
                                         f"{mid} is an advisor: advisors have no level (S-Art.22)"))
                continue
            target["ov_level"] = levels[v]
        elif f == "convert_to_advisor":
            if YES_NO.get(v) != "yes":
                issues.append(InputIssue(file or "overrides", sheet, r, col_value,
                                         "convert_to_advisor takes 是 (to accept a rejected conversion)"))
                continue
            if tracks.get(mid) != "sales":
                issues.append(InputIssue(file or "overrides", sheet, r, col_field,
                                         f"{mid} is not on the sales track: convert_to_advisor does not apply "
                                         f"(decision 26)"))
                continue
            target["ov_convert"] = True
        else:
            try:
                cleaned = (value or "").replace(",", "").replace("元", "").strip()
                amount = to_fen(Decimal(cleaned))
            except (InvalidOperation, ValueError):
                issues.append(InputIssue(file or "overrides", sheet, r, col_value,
                                         f"not an amount for {f}: {value!r}"))
                continue
            target[f"ov_{f}"] = amount
        applied.append({"manager_id": mid, "field": f, "reason": rec["reason"], "approval_ref": rec["approval_ref"]})
    schema = {"manager_id": pl.String, "ov_status": pl.String, "ov_level": pl.String, "ov_convert": pl.Boolean}
    schema.update({f"ov_{k}": pl.Int64 for k in components})
    wide = pl.DataFrame([{k: row.get(k) for k in schema} for row in rows.values()], schema=schema,
                        orient="row") if rows else pl.DataFrame(schema=schema)
    long = pl.DataFrame(applied, schema={"manager_id": pl.String, "field": pl.String, "reason": pl.String,
                                         "approval_ref": pl.String}, orient="row")
    return wide, long, issues
