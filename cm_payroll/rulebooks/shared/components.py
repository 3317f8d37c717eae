"""The components every rulebook declares the same way (补发/追回, 应发合计) and the slip lines drawn
from a rulebook's component declarations (rulebooks/base.Component): label, amount, article and the
basis in words, or, where an approved override replaced the rule's amount (S-Art.34), that."""

from __future__ import annotations

from cm_payroll.render.slips import SlipLine
from cm_payroll.rulebooks.base import Component, Figure
from cm_payroll.units import yuan


def _correction_basis(r: dict, _p, _m: int) -> str:
    parts = []
    if r["adjustment_correction"]:
        parts.append(f"补发/扣款 {yuan(r['adjustment_correction'])}")
    if r["rerun_correction"]:
        parts.append(f"更正以前月份 {yuan(r['rerun_correction'])}")
    return ";".join(parts)


def correction(article: str) -> Component:
    """# S-Art.33 — 补发/追回: back pay less deductions of the adjustments file, plus the differences
    booked by re-runs of months already paid (shared/corrections.py computes them)."""
    return Component(
        "correction", "补发/追回", article,
        figures=(Figure("调整表补发−扣款", "adjustment_correction", "money"),
                 Figure("差错更正", "rerun_correction", "money")),
        inputs=("adjustments",),
        rule=lambda p: "补发/追回:调整表补发减扣款,加以前月份差错更正(已发放月份重新计算的差额)",
        basis=_correction_basis)


def gross(article: str, basis: str) -> Component:
    """应发合计: the sum of the month's components (never overridden itself, decision 26)."""
    return Component("gross_pay", "应发合计", article, rule=lambda p: basis, basis=lambda r, p, m: basis)


def slip_lines(row: dict, components: tuple[Component, ...], p, month: int,
               override_article: str) -> tuple[list[SlipLine], SlipLine]:
    """The slip's component lines and its total line for one manager (a row of the pay frame)."""
    lines = []
    for c in components[:-1]:
        basis = c.basis(row, p, month)
        rule_amount = row.get(f"rule_{c.key}")
        if rule_amount is not None and row[c.key] != rule_amount:
            basis = f"特殊处理({override_article}):由 {yuan(rule_amount)} 改为 {yuan(row[c.key])}"
        lines.append(SlipLine(c.label, row[c.key], c.article, basis))
    g = components[-1]
    return lines, SlipLine(g.label, row[g.key], g.article, g.basis(row, p, month))


__all__ = ["correction", "gross", "slip_lines"]
