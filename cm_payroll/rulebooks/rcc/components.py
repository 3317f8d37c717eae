"""The rcc pay components in slip and summary order (SPEC 4), each declared in the module of its rule,
and the slip notes in order. The last component is 应发合计; penalties are negative amounts."""

from __future__ import annotations

from cm_payroll.rulebooks.rcc import assessment, deposits, interest, management, overdue, wages
from cm_payroll.rulebooks.shared import components as shared

COMPONENTS = (
    wages.BASE_WAGE,
    assessment.PERFORMANCE_WAGE,
    deposits.DEPOSIT_REWARD,
    interest.INTEREST_REWARD,
    overdue.OVERDUE_PENALTY,
    management.MANAGEMENT_WAGE,
    wages.OTHER_REWARD,
    shared.correction("docs/使用说明.md §6.2"),
    shared.gross("R-Art.4", "以上各项之和(罚款为负数)"),
)
COMPONENT_KEYS = tuple(c.key for c in COMPONENTS[:-1])
COMPONENT_LABELS = {c.key: c.label for c in COMPONENTS[:-1]}


def _events_notes(r: dict, _p) -> list[str]:
    notes = []
    if r["ev_fraud"]:
        notes.append("业绩造假经查实:取消当月业绩工资。")
    if r.get("withheld_handover"):
        notes.append("已提出辞职申请且交接未完成:本月薪酬暂扣。")
    if r.get("withheld_notice"):
        notes.append(f"辞职未提前一个月申请(辞职申请 {r['resignation_date']},解除 {r['ev_terminated_date']}):本月薪酬暂扣。")
    return notes


def _deposit_notes(r: dict, _p) -> list[str]:
    return ["本月无存款记录,日均余额按0计。"] if r["deposits_missing"] else []


def _end_notes(r: dict, _p) -> list[str]:
    return ["本月解除劳动合同。"] if r["ev_terminated"] else []


NOTES = (_events_notes, overdue.notes, _deposit_notes, _end_notes)

__all__ = ["COMPONENTS", "COMPONENT_KEYS", "COMPONENT_LABELS", "NOTES"]
