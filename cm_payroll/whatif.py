"""What-if (S-Art.2: a branch tests a new local standard on real history before adopting it).

`cm-payroll month M --rules my_branch.toml --what-if DIR` recomputes the closed months of M's year up
to M under the other rulebook, from the official state before them, and writes into DIR a comparison
workbook against the official run (per manager old/new gross and each component's change in M, the
parameters that differ, the months recomputed; a sheet 按月差额 with the difference of every
recomputed month and their total) and the same in JSON. The ledger and the official outputs are only
read.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from cm_payroll.errors import RefusedError, UsageError
from cm_payroll.ledger import Ledger, dumps, write_atomic
from cm_payroll.months import fmt_month, january_of, parse_month
from cm_payroll.pipeline import compute
from cm_payroll.render.tables import table_workbook
from cm_payroll.rulebook import load_rulebook
from cm_payroll.rulebooks import module_for


def what_if(month: str, input_dir: Path, output_dir: Path, rules: str, dest: Path) -> dict:
    from cm_payroll.pipeline import check_path
    m = parse_month(month)
    check_path(Path(output_dir), "--output")
    check_path(Path(dest), "--what-if")
    output_dir, dest = Path(output_dir).resolve(), Path(dest).resolve()
    if dest == output_dir or output_dir in dest.parents:
        raise UsageError(f"--what-if {dest}: choose a folder outside the output root {output_dir}")
    rb = load_rulebook(rules)
    mod = module_for(rb.id)
    if not (output_dir / ".ledger" / "HEAD.json").exists():
        raise UsageError(f"{output_dir} has no ledger: a what-if compares against the official run")
    led = Ledger.open(output_dir)
    if led.rulebook_id != rb.id:
        raise RefusedError(f"{output_dir} holds a {led.rulebook_id} ledger; {rules} is a {rb.id} rulebook")
    if not led.closed(month):
        raise UsageError(f"{month} is not closed: run it officially first, then compare")
    first = parse_month(led.first_month) if led.first_month else m
    months = [k for k in range(max(january_of(m), first), m + 1) if led.closed(fmt_month(k))]
    start = fmt_month(months[0])
    _, state = led.state_before(start)
    state = state if state is not None else mod.empty_state()
    applied = {}
    for k in months:
        p = led.month_dir(fmt_month(k)) / "corrections.parquet"
        if p.exists():
            applied[k] = pl.read_parquet(p)
    computed = compute(rb, mod, months, Path(input_dir), state, first, applied, lambda *a: None,
                       led.aux_before(start))
    new = computed[-1].result.pay
    old = led.read(month, "pay")
    keys = [c.key for c in mod.COMPONENTS]
    labels = {c.key: c.label for c in mod.COMPONENTS}
    o = old.select("manager_id", "name", *[pl.col(k).alias(f"old_{k}") for k in keys])
    n = new.select("manager_id", pl.col("name").alias("name_new"), *[pl.col(k).alias(f"new_{k}") for k in keys])
    j = o.join(n, on="manager_id", how="full", coalesce=True).with_columns(
        pl.coalesce("name", "name_new").alias("name")).sort("manager_id")
    j = j.with_columns([(pl.col(f"new_{k}").fill_null(0) - pl.col(f"old_{k}").fill_null(0)).alias(f"d_{k}")
                        for k in keys])
    columns = [("manager_id", "工号", "text"), ("name", "姓名", "text"),
               ("old_gross_pay", "原应发合计", "money"), ("new_gross_pay", "新应发合计", "money"),
               ("d_gross_pay", "应发合计差额", "money")]
    columns += [(f"d_{k}", f"{labels[k]}差额", "money") for k in keys if k != "gross_pay"]
    official_run = output_dir / month / "run.json"
    official_params = {p["name"]: p for p in json.loads(official_run.read_text("utf-8")).get("parameters", [])} \
        if official_run.exists() else {}
    changed = [p for p in rb.used(m) if official_params.get(p["name"], {}).get("value") != p["value"]]
    per_month = []
    for k, cm in zip(months, computed):
        name_k = fmt_month(k)
        old_k, new_k = led.read(name_k, "pay"), cm.result.pay
        row = {"month": name_k}
        for key in keys:
            a = int(old_k.get_column(key).sum() or 0) if key in old_k.columns else 0
            b = int(new_k.get_column(key).sum() or 0) if key in new_k.columns else 0
            row[f"old_{key}"], row[f"new_{key}"], row[f"d_{key}"] = a, b, b - a
        per_month.append(row)
    month_frame = pl.DataFrame(per_month, schema={"month": pl.String, **{
        f"{p}_{key}": pl.Int64 for key in keys for p in ("old", "new", "d")}})
    month_columns = [("month", "月份", "text"), ("old_gross_pay", "原应发合计", "money"),
                     ("new_gross_pay", "新应发合计", "money"), ("d_gross_pay", "应发合计差额", "money")]
    month_columns += [(f"d_{k}", f"{labels[k]}差额", "money") for k in keys if k != "gross_pay"]
    recomputed = [fmt_month(k) for k in months]
    notes = [f"方案：{rb.source}（sha256 {rb.sha256[:12]}）对比 正式结果 {month} v{led.months[month].version}"]
    notes.append(f"重算月份：{'、'.join(recomputed)}（共 {len(recomputed)} 个月；每月差额见“按月差额”）")
    notes += [f"参数 {p['name']}（{p['article']}）：{json.dumps(official_params.get(p['name'], {}).get('value'), ensure_ascii=False)}"
              f" → {json.dumps(p['value'], ensure_ascii=False)}" for p in changed]
    dest.mkdir(parents=True, exist_ok=True)
    book = table_workbook(f"{rb.title} {month} 方案对比（what-if）", "方案对比", j, columns, totals=True,
                          sign_off=False, notes=notes, more=[("按月差额", month_frame, month_columns)])
    path = dest / f"whatif_{month}.xlsx"
    write_atomic(path, book)
    totals = {k: int(j.get_column(f"d_{k}").sum() or 0) for k in keys}
    summary = {"month": month, "rulebook": rb.source, "official_version": led.months[month].version,
               "months_recomputed": recomputed, "workbook": str(path),
               "managers": j.height, "changed_parameters": [p["name"] for p in changed],
               "total_differences_fen": totals,
               "per_month": [{"month": r["month"], "old_gross_pay_fen": r["old_gross_pay"],
                              "new_gross_pay_fen": r["new_gross_pay"],
                              "differences_fen": {k: r[f"d_{k}"] for k in keys}} for r in per_month],
               "months_total_differences_fen": {k: sum(r[f"d_{k}"] for r in per_month) for k in keys}}
    write_atomic(dest / f"whatif_{month}.json", dumps(summary))
    return summary


def summary_lines(summary: dict, lang: str = "en") -> list[str]:
    """What the terminal says of a what-if: the workbook, the months recomputed, each month's gross
    pay old → new and its difference, and the total of the differences over those months."""
    yuan = _yuan
    months = summary["per_month"]
    total = summary["months_total_differences_fen"]["gross_pay"]
    if lang == "zh":
        lines = [f"方案对比：{summary['workbook']}",
                 f"重算月份：{'、'.join(summary['months_recomputed'])}（共 {len(months)} 个月）"]
        lines += [f"  {m['month']} 应发合计 {yuan(m['old_gross_pay_fen'])} → {yuan(m['new_gross_pay_fen'])}，"
                  f"差额 {yuan(m['differences_fen']['gross_pay'], sign=True)} 元" for m in months]
        lines.append(f"各重算月份差额合计：{yuan(total, sign=True)} 元")
        return lines
    lines = [f"what-if comparison: {summary['workbook']}",
             f"months recomputed: {', '.join(summary['months_recomputed'])} ({len(months)})"]
    lines += [f"  {m['month']}: gross pay {yuan(m['old_gross_pay_fen'])} → {yuan(m['new_gross_pay_fen'])}, "
              f"difference {yuan(m['differences_fen']['gross_pay'], sign=True)} 元" for m in months]
    lines.append(f"total difference over the recomputed months: {yuan(total, sign=True)} 元")
    return lines


def _yuan(fen: int, sign: bool = False) -> str:
    from cm_payroll.units import yuan
    text = yuan(fen)
    return f"+{text}" if sign and fen > 0 else text
