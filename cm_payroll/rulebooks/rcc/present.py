"""What the clerk and the credit manager see of an rcc month: the summary columns (section 4 headers,
百分考核得分) and the slip lines, in Chinese, every amount with its article and the figures it came
from."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import polars as pl

from cm_payroll.units import SCORE_SCALE
from cm_payroll.units import rate as fmt_rate
from cm_payroll.units import yuan as fmt_yuan
from cm_payroll.render.slips import Slip, SlipLine
from cm_payroll.rulebooks.rcc.inputs import CONDUCT_FULL
from cm_payroll.rulebooks.rcc.month import COMPONENTS
from cm_payroll.rulebooks.rcc.params import Params
from cm_payroll.schema import TRACK_LABELS

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
    columns += [(k, label, "money") for k, label, _ in COMPONENTS]
    columns += [("payment_zh", "发放状态", "text")]
    return frame, columns


def _x100(v: int | None) -> str:
    return "" if v is None else f"{Decimal(v) / 100:,.2f}"


def _units(v: int | None) -> str:
    if v is None:
        return ""
    d = Decimal(v) / SCORE_SCALE
    return f"{d.normalize():f}" if d == d.to_integral_value() else f"{d}"


def _rate(ppm: int) -> str:
    """3000 ppm → 3‰ (the seed writes the deposit rate per mille), 70000 → 7%."""
    return f"{ppm // 1000}‰" if ppm % 1000 == 0 and ppm < 10_000 else fmt_rate(ppm)


def _signed(fen: int) -> str:
    return ("-" if fen < 0 else "") + fmt_yuan(abs(fen))


def _basis(r: dict, p: Params, month: int) -> dict[str, str]:
    b: dict[str, str] = {}
    b["base_wage"] = "岗位责任工资标准"
    # Z-Art.16 the 100-point score
    rec = ("本月无到期贷款,按满分" if r["due_sum"] == 0
           else f"收回 {fmt_yuan(r['recovered_sum'])} / 到期应收 {fmt_yuan(r['due_sum'])}")
    itg = ("收息目标为0,按满分" if r["interest_target"] == 0
           else f"收息 {fmt_yuan(r['interest_collected'])} / 目标 {fmt_yuan(r['interest_target'])}")
    con = ("本月无行为考核表,按满分" if not r["conduct_file"]
           else ("行为考核表中无本人记录,按0分" if r["conduct_missing"]
                 else f"行为得分 {_units(r['conduct_units'])} / {CONDUCT_FULL}"))
    items = (f"存款 {_x100(r['points_deposits_x100'])}(日均 {fmt_yuan(r['deposit_avg'])} / 保底 "
             f"{fmt_yuan(r['deposit_target_avg'])})+ 收回 {_x100(r['points_recovery_x100'])}({rec})+ 收息 "
             f"{_x100(r['points_interest_x100'])}({itg})+ 行为 {_x100(r['points_conduct_x100'])}({con})")
    if r["ev_fraud"]:
        b["performance_wage"] = (f"业绩造假,取消当月业绩工资(原应发 {fmt_yuan(r['performance_wage_calc'])});"
                                 f"百分考核得分 {_x100(r['score_x100'])}")
    else:
        b["performance_wage"] = (f"{fmt_yuan(p.performance_wage)} × 百分考核得分 {_x100(r['score_x100'])} / 100"
                                 f"(依率计分,上不封顶,按精确得分计算):{items}")
    rate = _rate(p.deposit_rate)
    diff = r["deposit_avg"] - r["deposit_target_avg"]
    if r["deposits_missing"]:
        head = "无存款记录,日均余额按0计;"
    else:
        head = ""
    if not r["deposit_avg_met"]:
        b["deposit_reward"] = (f"{head}欠保底:(保底日均 {fmt_yuan(r['deposit_target_avg'])} − 日均余额 "
                               f"{fmt_yuan(r['deposit_avg'])})× {rate} 处罚")
    elif not r["deposit_accum_met"]:
        b["deposit_reward"] = (f"日均余额 {fmt_yuan(r['deposit_avg'])} 达保底,但积数 {fmt_yuan(r['deposit_accum'])} "
                               f"未达目标 {fmt_yuan(r['deposit_target_accum'])}:不奖不罚")
    else:
        b["deposit_reward"] = (f"完成保底余额和积数目标(积数 {fmt_yuan(r['deposit_accum'])} ≥ "
                               f"{fmt_yuan(r['deposit_target_accum'])}):(日均余额 {fmt_yuan(r['deposit_avg'])} − "
                               f"保底 {fmt_yuan(r['deposit_target_avg'])})× {rate}"
                               + ("" if diff else ",恰好达标"))
    irate = _rate(p.interest_rate)
    ex = r["interest_excess"]
    if ex > 0 and r["interest_blocked_dedicated"]:
        b["interest_reward"] = f"收息超目标 {fmt_yuan(ex)},专责清收客户经理超目标部分不奖励(Z-Art.20)"
    elif ex > 0 and r["interest_blocked_overdue"]:
        b["interest_reward"] = (f"收息超目标 {fmt_yuan(ex)},但当年发放贷款有 {r['overdue_this_year']} 笔逾期未收回,"
                                f"不奖励(Z-Art.19(2))")
    elif ex > 0:
        b["interest_reward"] = (f"(收息 {fmt_yuan(r['interest_collected'])} − 目标 {fmt_yuan(r['interest_target'])})"
                                f" × {irate} 奖励")
    elif ex < 0:
        b["interest_reward"] = (f"欠目标:(收息 {fmt_yuan(r['interest_collected'])} − 目标 "
                                f"{fmt_yuan(r['interest_target'])})× {irate} 处罚")
    else:
        b["interest_reward"] = "收息恰好完成目标"
    orate = _rate(p.overdue_rate)
    if r["overdue_new"]:
        b["overdue_penalty"] = (f"本月新逾期贷款 {r['overdue_new']} 笔,未收回余额 {fmt_yuan(r['overdue_new_outstanding'])}"
                                f" × {orate}(逐笔计算,每笔只罚一次);并承担本金赔偿责任")
    elif r["loans_overdue"]:
        b["overdue_penalty"] = f"逾期贷款 {r['loans_overdue']} 笔已在以前月份处罚,不重复处罚"
    else:
        b["overdue_penalty"] = "无逾期贷款"
    if not r["management_counted"]:
        b["management_wage"] = "非季末月,不计发" if month % 12 + 1 not in p.management_wage.months else "季末未提供管理考核表"
    elif r["management_missing"]:
        b["management_wage"] = "管理考核表中无本人记录,按0分"
    else:
        b["management_wage"] = (f"{fmt_yuan(p.management_wage.amount)} × 管理考核得分 {_units(r['management_units'])} / 100")
    b["other_reward"] = "其他奖励" if r["other_reward"] else ""
    parts = []
    if r["adjustment_correction"]:
        parts.append(f"补发/扣款 {_signed(r['adjustment_correction'])}")
    if r["rerun_correction"]:
        parts.append(f"更正以前月份 {_signed(r['rerun_correction'])}")
    b["correction"] = ";".join(parts)
    return b


def slips(pay: pl.DataFrame, month: int, p: Params, firm: str = "") -> Iterator[Slip]:
    """# SPEC 5 — one slip per credit manager: every component with its article and basis."""
    ym = f"{month // 12}年{month % 12 + 1}月"
    for r in pay.sort("manager_id").iter_rows(named=True):
        basis = _basis(r, p, month)
        facts = [
            ("工号", r["manager_id"]), ("姓名", r["name"]),
            ("营业部", r["branch"]), ("类别", TRACK_LABELS.get(r["track"], r["track"])),
            ("入职日期", str(r["hire_date"])), ("司龄", f"{r['tenure']} 年"),
            ("专责清收", "是" if r["dedicated_collection"] else "否"),
            ("发放状态", PAYMENT_LABELS.get(r["payment_status"], r["payment_status"])),
            ("存款日均余额", f"{fmt_yuan(r['deposit_avg'])}(保底 {fmt_yuan(r['deposit_target_avg'])})"),
            ("存款积数", f"{fmt_yuan(r['deposit_accum'])}(目标 {fmt_yuan(r['deposit_target_accum'])})"),
            ("本月收息", f"{fmt_yuan(r['interest_collected'])}(目标 {fmt_yuan(r['interest_target'])})"),
            ("本月到期应收 / 收回", f"{fmt_yuan(r['due_sum'])} / {fmt_yuan(r['recovered_sum'])}"),
            ("管户贷款", f"{r['loans']} 笔(逾期 {r['loans_overdue']} 笔,其中当年发放 {r['overdue_this_year']} 笔)"),
            ("百分考核得分", _x100(r["score_x100"])),
        ]
        lines = []
        for key, label, article in COMPONENTS:
            if key == "gross_pay":
                continue
            bas = basis.get(key, "")
            rule = r.get(f"rule_{key}")
            if rule is not None and r[key] != rule:
                bas = f"特殊处理(SPEC 6):由 {_signed(rule)} 改为 {_signed(r[key])}"
            lines.append(SlipLine(label, r[key], article, bas))
        total = SlipLine("应发合计", r["gross_pay"], "R-Art.4", "以上各项之和(罚款为负数)")
        yield Slip(r["manager_id"], f"{firm}{r['branch']} {ym} 客户经理薪酬单", facts, lines, total, [], _notes(r, p))


def _notes(r: dict, p: Params) -> list[str]:
    notes = []
    if r["ev_fraud"]:
        notes.append("业绩造假经查实:取消当月业绩工资。")
    if r.get("withheld_handover"):
        notes.append("已提出辞职申请且交接未完成:本月薪酬暂扣。")
    if r.get("withheld_notice"):
        notes.append(f"辞职未提前一个月申请(辞职申请 {r['resignation_date']},解除 {r['ev_terminated_date']}):本月薪酬暂扣。")
    if r["overdue_new"]:
        notes.append(f"逾期贷款按未收回余额的{_rate(p.overdue_rate)}处罚并承担本金的赔偿责任(Z-Art.19(3)),明细见例外事项报告。")
    if r["deposits_missing"]:
        notes.append("本月无存款记录,日均余额按0计。")
    if r["ev_terminated"]:
        notes.append("本月解除劳动合同。")
    return notes
