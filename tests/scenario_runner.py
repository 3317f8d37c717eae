"""Runs the declarative scenario files of tests/scenarios/ (format: tests/scenarios/README.md)."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import yaml

from cm_payroll.errors import InputErrors
from cm_payroll.months import fmt_month, parse_month
from cm_payroll.pipeline import load_result, run_month
from cm_payroll.rulebooks import module_for

MONEY_KEYS = {
    "securities": {c.key for c in module_for("securities").COMPONENTS} | {"net_income", "compliance_reserve",
                                                                           "carried_deficit"},
    "rcc": {c.key for c in module_for("rcc").COMPONENTS},     # `score` (百分考核得分) is not money
}
# SPEC 9: the deduction lines a month with a deductions file adds (rulebooks/tax), money in both rulebooks.
TAX_MONEY_KEYS = {"social_insurance", "housing_fund", "income_tax", "bonus_tax", "other_deduction",
                  "carried_deduction", "net_pay", "carry_forward"}
for _keys in MONEY_KEYS.values():
    _keys |= TAX_MONEY_KEYS
RENAME = {"compliance_reserve": "reserve", "carried_deficit": "deficit", "track": "track"}


def expand_months(spec: dict) -> list[tuple[str, dict]]:
    out = []
    for key, content in (spec.get("months") or {}).items():
        key = str(key)
        if ".." in key:
            a, b = key.split("..")
            for k in range(parse_month(a.strip()), parse_month(b.strip()) + 1):
                out.append((fmt_month(k), content or {}))
        else:
            out.append((key, content or {}))
    return out


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()[:10]
    return str(v)


def write_inputs(spec: dict, root: Path) -> list[str]:
    defaults = spec.get("defaults") or {}
    months = expand_months(spec)
    for name, content in months:
        d = root / name
        d.mkdir(parents=True, exist_ok=True)
        files = dict(defaults)
        files.update({k: v for k, v in content.items()})
        for stem, rows in files.items():
            if rows is None:
                continue
            cols: list[str] = []
            for r in rows:
                for k in r:
                    if k not in cols:
                        cols.append(k)
            if not cols:
                cols = _default_columns(stem)
            with open(d / f"{stem}.csv", "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(cols)
                for r in rows:
                    w.writerow([_cell(r.get(c)) for c in cols])
    return [m for m, _ in months]


def _default_columns(stem: str) -> list[str]:
    from cm_payroll.rulebooks import module_for
    for rb in ("securities", "rcc"):
        for spec in module_for(rb).FILES:
            if spec.name == stem:
                return [c.key for c in spec.columns if c.required]
    return ["manager_id"]


def run_scenario(spec: dict, tmp: Path) -> dict[str, pl.DataFrame]:
    rules = spec.get("rulebook", "securities")
    inp, out = tmp / "input", tmp / "output"
    months = write_inputs(spec, inp)
    # one call per year (the last month of each year processes the earlier ones)
    last_of_year: dict[int, str] = {}
    for m in months:
        last_of_year[int(m[:4])] = m
    for y in sorted(last_of_year):
        run_month(last_of_year[y], inp, out, rules)
    return {m: load_result(out, m, "pay") for m in months} | {
        f"exc:{m}": load_result(out, m, "exceptions") for m in months}


def expected_value(key: str, value, rules: str):
    if key in MONEY_KEYS.get(rules, set()) or key == "score" and rules == "rcc":
        return Decimal(str(value)).quantize(Decimal("0.01"))
    return value


def actual_value(row: dict, key: str, rules: str):
    col = RENAME.get(key, key)
    if key in MONEY_KEYS.get(rules, set()):
        return (Decimal(row[col]) / 100).quantize(Decimal("0.01"))
    if key == "rate":
        return Decimal(row["rate"]) / 1_000_000
    if key == "annualized":
        return Decimal(row["annualized_x100"]) / 100
    if key == "score" and rules == "rcc":           # 百分考核得分, reported rounded half-up to 2 decimals
        return (Decimal(row["score_x100"]) / 100).quantize(Decimal("0.01"))
    return row[col]


def check_expectations(spec: dict, results: dict[str, pl.DataFrame]) -> list[str]:
    rules = spec.get("rulebook", "securities")
    problems = []
    for month, managers in (spec.get("expect") or {}).items():
        month = str(month)
        pay = results[month]
        rows = {r["manager_id"]: r for r in pay.iter_rows(named=True)}
        for mid, exp in (managers or {}).items():
            mid = str(mid)
            if exp.get("absent"):
                if mid in rows:
                    problems.append(f"{month} {mid}: expected absent, has a pay row")
                continue
            if mid not in rows:
                problems.append(f"{month} {mid}: no pay row")
                continue
            for key, val in exp.items():
                got = actual_value(rows[mid], key, rules)
                want = expected_value(key, val, rules)
                if key == "rate":
                    want = Decimal(str(val))
                if key == "annualized":
                    want = Decimal(str(val)).quantize(Decimal("0.01"))
                if got != want:
                    problems.append(f"{month} {mid} {key}: expected {want!r}, got {got!r}")
    for month, items in (spec.get("exceptions") or {}).items():
        exc = results[f"exc:{str(month)}"]
        got = sorted(((r["manager_id"], r["type"]) for r in exc.iter_rows(named=True)), key=_order)
        want = sorted(((_mid(i["manager_id"]), i["type"]) for i in items or []), key=_order)
        if got != want:
            problems.append(f"{month} exceptions: expected {want}, got {got}")
    for month, items in (spec.get("exceptions_include") or {}).items():
        exc = results[f"exc:{str(month)}"]
        got = [(r["manager_id"], r["type"]) for r in exc.iter_rows(named=True)]
        for i in items or []:
            if (_mid(i["manager_id"]), i["type"]) not in got:
                problems.append(f"{month} exceptions: missing {(i['manager_id'], i['type'])}; got {sorted(got, key=_order)}")
    return problems


def _mid(v) -> str | None:
    """An expected exception's manager_id; null for findings of no manager (rcc staffing, per branch)."""
    return None if v is None else str(v)


def _order(item: tuple) -> tuple:
    return (item[0] is None, item[0] or "", item[1])


def load_spec(path: Path) -> dict:
    return yaml.safe_load(path.read_text("utf-8"))


def expect_error(spec: dict, tmp: Path) -> list[str]:
    rules = spec.get("rulebook", "securities")
    inp, out = tmp / "input", tmp / "output"
    months = write_inputs(spec, inp)
    exp = spec["expect_error"]
    target = str(exp["month"])
    try:
        last_of_year: dict[int, str] = {}
        for m in months:
            last_of_year[int(m[:4])] = m
        for y in sorted(last_of_year):
            run_month(last_of_year[y], inp, out, rules)
    except InputErrors as e:
        text = str(e)
        missing = [s for s in exp.get("contains", []) if s not in text]
        problems = [f"error message lacks {s!r}: {text}" for s in missing]
        if (out / target).exists():
            problems.append(f"output folder {target} exists after an input error")
        return problems
    return [f"expected an input error in {target}, the run succeeded"]
