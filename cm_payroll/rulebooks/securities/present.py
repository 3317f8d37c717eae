"""What the clerk and the manager see of a securities month: the summary's columns and each slip's
facts, lines (drawn from the component declarations, components.py) and notes, in Chinese."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl

from cm_payroll.months import fmt_month
from cm_payroll.render.slips import Slip
from cm_payroll.rulebooks.securities.components import COMPONENTS, NOTES
from cm_payroll.rulebooks.securities.params import Params, level_names
from cm_payroll.rulebooks.securities.status import STATUS_LABELS
from cm_payroll.rulebooks.shared.components import slip_lines
from cm_payroll.rulebooks.tax.components import slip_lines as tax_lines, summary_columns as tax_summary_columns
from cm_payroll.schema import TRACK_LABELS
from cm_payroll.units import hundredths, rate, score, yuan

PAYMENT_LABELS = {"normal": "正常", "withheld": "暂扣"}


def summary(pay: pl.DataFrame, p: Params) -> tuple[pl.DataFrame, list[tuple[str, str, str]]]:
    """# SPEC 5 — 工资汇总: one row per manager sorted by 工号, the labels of the contract."""
    frame = pay.sort("manager_id").with_columns(
        pl.col("track").replace_strict(TRACK_LABELS, default=pl.col("track")).alias("track_zh"),
        pl.col("status").replace_strict(STATUS_LABELS, default=pl.col("status")).alias("status_zh"),
        pl.col("level").replace_strict(level_names(p), default=pl.col("level")).alias("level_zh"),
        pl.col("payment_status").replace_strict(PAYMENT_LABELS, default=pl.col("payment_status")).alias("payment_zh"),
    )
    columns = [
        ("manager_id", "工号", "text"), ("name", "姓名", "text"), ("branch", "营业部", "text"),
        ("track_zh", "类别", "text"), ("status_zh", "状态", "text"), ("level_zh", "级别", "text"),
        ("score", "当月积分", "score"), ("annualized_x100", "年化累计积分", "x100"),
        ("net_income", "实际净收入", "money"), ("rate", "计提比例", "rate"),
    ]
    columns += [(c.key, c.label, "money") for c in COMPONENTS]
    columns += tax_summary_columns(pay.columns)       # SPEC 9: 社保个人 … 实发合计 (with deductions)
    columns += [("payment_zh", "发放状态", "text")]
    return frame, columns


def _facts(r: dict, p: Params) -> list[tuple[str, str]]:
    return [
        ("工号", r["manager_id"]), ("姓名", r["name"]),
        ("营业部", r["branch"]), ("类别", TRACK_LABELS.get(r["track"], r["track"])),
        ("状态", STATUS_LABELS.get(r["status"], r["status"])),
        ("级别", level_names(p).get(r["level"] or "", "")),
        ("入职日期", str(r["hire_date"])), ("司龄", f"{r['tenure']} 年"),
        ("当月积分", score(r["score"])),
        ("年化累计积分", f"{hundredths(r['annualized_x100'])}(累计 {score(r['cum'])} × 12 / {r['n']} 个月,"
                     f"自 {fmt_month(r['window_start'])})"),
        ("实际净收入", yuan(r["net_income"])), ("客户资产", yuan(r["client_assets"])),
        ("新增客户资产", yuan(r["new_client_assets"])),
        ("开发关系客户日均资产", yuan(r["relationship_assets"])),
        ("计提比例", rate(r["rate"])), ("有效人力", str(r["effective_heads"])),
        ("计入客户数", f"{r['clients_counted']}(内部转入 {r['clients_transferred']} 户不计,S-Art.36)"),
        ("发放状态", _payment(r)),
    ]


def _payment(r: dict) -> str:
    """发放状态 on the slip: 正常 beside a reduced status says what it means (paid on time, not
    withheld; the amounts follow the status), so that 正常 next to 仅发基础工资 does not read as a
    contradiction."""
    label = PAYMENT_LABELS.get(r["payment_status"], r["payment_status"])
    if r["payment_status"] == "normal" and r["status"] not in ("active", "trainee"):
        return f"{label}(按时发放,未暂扣;各项金额已按状态“{STATUS_LABELS.get(r['status'], r['status'])}”计算)"
    return label


def slips(pay: pl.DataFrame, month: int, p: Params, firm: str = "") -> Iterator[Slip]:
    """# SPEC 5 — one slip per manager: every component with its article and basis."""
    ym = f"{month // 12}年{month % 12 + 1}月"
    for r in pay.sort("manager_id").iter_rows(named=True):
        lines, total = slip_lines(r, COMPONENTS, p, month, "S-Art.34")
        ytd = [
            ("本年累计实际净收入", yuan(r["ytd_net_income"])),
            ("本年累计营销绩效奖", yuan(r["ytd_performance_bonus"])),
            ("合规奖励金余额", yuan(r["reserve"])),
            ("结转年终奖亏空", yuan(r["deficit"])),
        ]
        notes = [n for f in NOTES for n in f(r, p)]
        withholding, net = tax_lines(r, month)
        yield Slip(r["manager_id"], f"{firm}{r['branch']} {ym} 客户经理薪酬单", _facts(r, p), lines, total, ytd, notes,
                   withholding, net)


def _notes(r: dict, p: Params) -> list[str]:
    """The slip's notes of one manager (NOTES in order)."""
    return [n for f in NOTES for n in f(r, p)]
