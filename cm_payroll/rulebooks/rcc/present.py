"""What the clerk and the credit manager see of an rcc month: the summary columns (section 4 headers,
百分考核得分) and the slip lines, in Chinese, every amount with its article and the figures it came
from."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl

from cm_payroll.render.slips import Slip
from cm_payroll.rulebooks.rcc.components import COMPONENTS, NOTES
from cm_payroll.rulebooks.rcc.params import Params
from cm_payroll.rulebooks.shared.components import slip_lines
from cm_payroll.rulebooks.tax.components import slip_lines as tax_lines, summary_columns as tax_summary_columns
from cm_payroll.schema import TRACK_LABELS
from cm_payroll.units import hundredths, yuan

PAYMENT_LABELS = {"normal": "正常", "withheld": "暂扣"}
STATUS_LABELS = {"active": "在岗"}          # credit managers have no status machine (SPEC 4)


def summary(pay: pl.DataFrame, p: Params) -> tuple[pl.DataFrame, list[tuple[str, str, str]]]:
    """# SPEC 5 — 工资汇总: one row per credit manager sorted by 工号, the headers of section 4."""
    frame = pay.sort("manager_id").with_columns(
        pl.col("track").replace_strict(TRACK_LABELS, default=pl.col("track")).alias("track_zh"),
        pl.col("status").replace_strict(STATUS_LABELS, default=pl.col("status")).alias("status_zh"),
        pl.lit(None, pl.String).alias("level_zh"),              # credit managers have no level
        pl.col("payment_status").replace_strict(PAYMENT_LABELS, default=pl.col("payment_status")).alias("payment_zh"),
    )
    columns = [
        ("manager_id", "工号", "text"), ("name", "姓名", "text"), ("branch", "营业部", "text"),
        ("track_zh", "类别", "text"), ("status_zh", "状态", "text"), ("level_zh", "级别", "text"),
        ("score_x100", "百分考核得分", "x100"),
    ]
    columns += [(c.key, c.label, "money") for c in COMPONENTS]
    columns += tax_summary_columns(pay.columns)       # SPEC 9: 社保个人 … 实发合计 (with deductions)
    columns += [("payment_zh", "发放状态", "text")]
    return frame, columns


def slips(pay: pl.DataFrame, month: int, p: Params, firm: str = "") -> Iterator[Slip]:
    """# SPEC 5 — one slip per credit manager: every component with its article and basis."""
    ym = f"{month // 12}年{month % 12 + 1}月"
    for r in pay.sort("manager_id").iter_rows(named=True):
        facts = [
            ("工号", r["manager_id"]), ("姓名", r["name"]),
            ("营业部", r["branch"]), ("类别", TRACK_LABELS.get(r["track"], r["track"])),
            ("入职日期", str(r["hire_date"])), ("司龄", f"{r['tenure']} 年"),
            ("专责清收", "是" if r["dedicated_collection"] else "否"),
            ("发放状态", PAYMENT_LABELS.get(r["payment_status"], r["payment_status"])),
            ("存款日均余额", f"{yuan(r['deposit_avg'])}(保底 {yuan(r['deposit_target_avg'])})"),
            ("存款积数", f"{yuan(r['deposit_accum'])}(目标 {yuan(r['deposit_target_accum'])})"),
            ("本月收息", f"{yuan(r['interest_collected'])}(目标 {yuan(r['interest_target'])})"),
            ("本月到期应收 / 收回", f"{yuan(r['due_sum'])} / {yuan(r['recovered_sum'])}"),
            ("管户贷款", f"{r['loans']} 笔(逾期 {r['loans_overdue']} 笔,其中当年发放 {r['overdue_this_year']} 笔)"),
            ("百分考核得分", hundredths(r["score_x100"])),
        ]
        lines, total = slip_lines(r, COMPONENTS, p, month, "docs/使用说明.md §6.2")
        notes = [n for f in NOTES for n in f(r, p)]
        withholding, net = tax_lines(r, month)
        yield Slip(r["manager_id"], f"{firm}{r['branch']} {ym} 客户经理薪酬单", facts, lines, total, [], notes,
                   withholding, net)
