"""What the clerk and the manager see of a securities month: summary columns and slip lines, in
Chinese, every amount with its article and the figures it came from."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import polars as pl

from cm_payroll.units import RATE_SCALE, SCORE_SCALE
from cm_payroll.units import rate as fmt_rate
from cm_payroll.units import yuan as fmt_yuan
from cm_payroll.months import fmt_month
from cm_payroll.render.slips import Slip, SlipLine
from cm_payroll.rulebooks.securities.month import COMPONENTS, STATUS_LABELS
from cm_payroll.rulebooks.securities.params import Params, level_names
from cm_payroll.schema import TRACK_LABELS

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
    columns += [(k, label, "money") for k, label, _ in COMPONENTS]
    columns += [("payment_zh", "发放状态", "text")]
    return frame, columns


def _pct(ppm: int | None) -> str:
    return fmt_rate(ppm) if ppm is not None else ""


def _score(units: int) -> str:
    d = Decimal(units) / SCORE_SCALE
    return f"{d.normalize():,f}" if d == d.to_integral_value() else f"{d:,}"


def _ann(x100: int) -> str:
    return f"{Decimal(x100) / 100:,.2f}"


def _basis(r: dict, p: Params, december: bool) -> dict[str, str]:
    status = r["status"]
    level_name = level_names(p).get(r["level"] or "", "理财类(不分级别)")
    reduced = status in ("standby", "pending_termination", "base_only")
    b: dict[str, str] = {}
    b["base_salary"] = f"{level_name}基础工资"
    b["allowance"] = (f"{level_name}展业补贴" if r["allowance"] or not reduced
                      else f"{STATUS_LABELS[status]}期间不发放(S-Art.20)")
    net = fmt_yuan(max(r["net_income"], 0))
    if status == "base_only":
        b["performance_bonus"] = "仅发基础工资,不发营销绩效奖(S-Art.20)"
    elif r["ev_fraud"]:
        b["performance_bonus"] = "业绩造假,取消当月营销绩效奖(S-Art.8(4))"
    else:
        why = ""
        if status in ("standby", "pending_termination"):
            why = f"({STATUS_LABELS[status]},按{_pct(r['rate'])}计提,S-Art.20)"
        elif r["veteran"]:
            why = (f"(入职{p.veteran.min_tenure_years}年以上且年化积分低于{_score(p.veteran.below_score)},"
                   f"按{_pct(p.veteran.rate)}计提,S-Art.13/14)")
        b["performance_bonus"] = f"实际净收入 {net} × {_pct(r['rate'])}{why}"
    if r["supervision_reward"] or (r["effective_heads"] and not r["ev_fraud"] and status == "active"):
        b["supervision_reward"] = f"有效人力 {r['effective_heads']} 人 × {fmt_yuan(p.supervision.per_head)}"
    elif r["effective_heads"]:
        b["supervision_reward"] = f"有效人力 {r['effective_heads']} 人,本月不发放"
    else:
        b["supervision_reward"] = ""
    if december:
        if r["compliance_reward"]:
            b["compliance_reward"] = f"全年计提合规奖励金(本月计提 {fmt_yuan(r['compliance_accrual'])})"
        elif r["compliance_forfeited"]:
            b["compliance_reward"] = f"合规奖励金 {fmt_yuan(r['compliance_forfeited'])} 取消"
        else:
            b["compliance_reward"] = ""
    else:
        b["compliance_reward"] = (f"本月计提 {fmt_yuan(r['compliance_accrual'])},12月发放"
                                  + (f";取消 {fmt_yuan(r['compliance_forfeited'])}" if r["compliance_forfeited"] else ""))
    if r["year_end_y"] is not None:
        rate = (r["year_end_rate"] or 0) + (r["tenure_rate"] or 0)
        y = r["year_end_y"]
        excluded = r.get("ytd_fraud_excluded") or 0
        fraud = (f"(不含业绩造假月份净收入 {fmt_yuan(excluded)}:当月营销绩效奖已取消,不在年终奖中补回,"
                 f"S-Art.8(4))" if excluded else "")
        text = (f"本年净收入 {fmt_yuan(r['ytd_net_income'])}{fraud} × ({_pct(r['year_end_rate'])} + 司龄 "
                f"{_pct(r['tenure_rate'])}) − 本年营销绩效奖 {fmt_yuan(r['ytd_performance_bonus'])} = "
                f"{'-' if y < 0 else ''}{fmt_yuan(abs(y))}")
        if y <= 0:
            text += ";不足部分结转下一年度扣回"
        elif not r["year_end_bonus"]:
            text += f";{STATUS_LABELS[status]},不发放"
        b["year_end_bonus"] = text if rate is not None else ""
    else:
        b["year_end_bonus"] = ""
    b["other_reward"] = ("其他奖励" if r["other_reward"] else
                         (f"其他奖励 {fmt_yuan(r['other_reward_input'])} 本月不发放" if r["other_reward_input"] else ""))
    b["recovery"] = (f"扣回年终奖亏空;尚余 {fmt_yuan(r['deficit'])}" if r["recovery"] else
                     (f"结转年终奖亏空 {fmt_yuan(r['deficit'])}" if r["deficit"] else ""))
    parts = []
    if r["adjustment_correction"]:
        parts.append(f"补发/扣款 {fmt_yuan(r['adjustment_correction']) if r['adjustment_correction'] > 0 else '-' + fmt_yuan(-r['adjustment_correction'])}")
    if r["rerun_correction"]:
        parts.append(f"更正以前月份 {fmt_yuan(r['rerun_correction']) if r['rerun_correction'] > 0 else '-' + fmt_yuan(-r['rerun_correction'])}")
    b["correction"] = ";".join(parts)
    return b


def slips(pay: pl.DataFrame, month: int, p: Params, firm: str = "") -> Iterator[Slip]:
    """# SPEC 5 — one slip per manager: every component with its article and basis."""
    december = month % 12 + 1 == p.year_end.month
    ym = f"{month // 12}年{month % 12 + 1}月"
    overridden = {k: f"rule_{k}" for k, _, _ in COMPONENTS if k != "gross_pay"}
    for r in pay.sort("manager_id").iter_rows(named=True):
        basis = _basis(r, p, december)
        facts = [
            ("工号", r["manager_id"]), ("姓名", r["name"]),
            ("营业部", r["branch"]), ("类别", TRACK_LABELS.get(r["track"], r["track"])),
            ("状态", STATUS_LABELS.get(r["status"], r["status"])),
            ("级别", level_names(p).get(r["level"] or "", "")),
            ("入职日期", str(r["hire_date"])), ("司龄", f"{r['tenure']} 年"),
            ("当月积分", _score(r["score"])),
            ("年化累计积分", f"{_ann(r['annualized_x100'])}(累计 {_score(r['cum'])} × 12 / {r['n']} 个月,"
                         f"自 {fmt_month(r['window_start'])})"),
            ("实际净收入", fmt_yuan(r["net_income"])), ("客户资产", fmt_yuan(r["client_assets"])),
            ("新增客户资产", fmt_yuan(r["new_client_assets"])),
            ("开发关系客户日均资产", fmt_yuan(r["relationship_assets"])),
            ("计提比例", _pct(r["rate"])), ("有效人力", str(r["effective_heads"])),
            ("计入客户数", f"{r['clients_counted']}(内部转入 {r['clients_transferred']} 户不计,S-Art.36)"),
            ("发放状态", PAYMENT_LABELS.get(r["payment_status"], r["payment_status"])),
        ]
        lines = []
        for key, label, article in COMPONENTS:
            if key == "gross_pay":
                continue
            bas = basis.get(key, "")
            if r.get(f"rule_{key}") is not None and r[key] != r[overridden[key]]:
                bas = f"特殊处理(S-Art.34):由 {fmt_yuan(r[overridden[key]])} 改为 {fmt_yuan(r[key])}"
            lines.append(SlipLine(label, r[key], article, bas))
        total = SlipLine("应发合计", r["gross_pay"], "S-Art.10", "以上各项之和")
        ytd = [
            ("本年累计实际净收入", fmt_yuan(r["ytd_net_income"])),
            ("本年累计营销绩效奖", fmt_yuan(r["ytd_performance_bonus"])),
            ("合规奖励金余额", fmt_yuan(r["reserve"])),
            ("结转年终奖亏空", fmt_yuan(r["deficit"])),
        ]
        notes = _notes(r, p)
        yield Slip(r["manager_id"], f"{firm}{r['branch']} {ym} 客户经理薪酬单", facts, lines, total, ytd, notes)


def _notes(r: dict, p: Params) -> list[str]:
    notes = []
    s = r["status"]
    rate = _pct(p.standby_rate)
    if s == "standby":
        notes.append(f"本月为待岗培训月:基础工资、年终奖正常发放,营销绩效奖按{rate}计提,不发放绩效督导奖励、展业补贴和其他奖励(S-Art.20)。")
    elif s == "pending_termination":
        cause = {"probation_failed": "见习期考核未通过(S-Art.8(1))",
                 "standby_failed": "待岗培训当月仍未达标(S-Art.8(3))",
                 "standby_trigger": "近12个自然月内第2次触发待岗培训(S-Art.8(2))"}.get(r["termination_cause"] or "", "特殊处理")
        notes.append(f"本月判断为待解除劳动合同:{cause}。基础工资正常发放,营销绩效奖按{rate}计提,不发放绩效督导奖励、年终奖、其他奖励和展业补贴(S-Art.20)。")
    elif s == "base_only":
        notes.append("待解除劳动合同次月起仅发放基础工资(S-Art.20)。")
    if r["trigger"] and s == "active":
        notes.append("本月触发待岗培训,下月为待岗培训月(S-Art.8(2))。")
    if r["ev_fraud"]:
        notes.append("业绩造假经查实:取消当月营销绩效奖和绩效督导奖励(S-Art.8(4))。")
    if r.get("withheld_handover"):
        notes.append("已提出辞职申请且交接未完成:本月薪酬暂扣(S-Art.9)。")
    if r.get("withheld_notice"):
        notes.append(f"辞职未提前一个月申请(辞职申请 {r['resignation_date']},解除 {r['ev_terminated_date']}):"
                     f"本月薪酬暂扣(S-Art.9)。")
    if r.get("confirmed_by_override"):
        notes.append("经特殊处理审批(S-Art.34),见习期结束,自本月起按普通客户经理及以上级别定级(S-Art.4)。")
    if r["year_end_y"] is not None and r.get("ytd_fraud_excluded"):
        notes.append(f"年终奖计算不含业绩造假月份的正净收入 {fmt_yuan(r['ytd_fraud_excluded'])}:"
                     f"该月营销绩效奖已按 S-Art.8(4) 取消,不在年终奖中补回。")
    if r["converted"]:
        notes.append("转理财类已通过:下月起按理财类客户经理考核(S-Art.23)。")
    if r["transferred_back"]:
        notes.append("下月起转回销售类客户经理(S-Art.26)。")
    if r["missing_score"]:
        notes.append("本月无积分记录,按0分计算。")
    return notes


def rate_text(ppm: int) -> str:
    return str(Decimal(ppm) / RATE_SCALE)
