"""The rcc parameters of a month: rulebook.toml read in the units the rules compute with
(`cm_payroll.rulebook.Values`: money in fen, rates in ppm, the assessment weights as exact ratios; each
parameter's `unit(s)` in the file say which), and the checks a rulebook file must pass. Attribute
names are the file's: `p.deposit_targets.daily_avg`, `p.assessment.deposits`, `p.management_wage.months`."""

from __future__ import annotations

from cm_payroll.rulebook import Values

Params = Values


def check(p: Params) -> list[str]:
    problems = []
    if not all(1 <= x <= 12 for x in p.management_wage.months):
        problems.append("management_wage.months: calendar months 1..12")
    if p.deposit_targets.daily_avg <= 0:
        problems.append("deposit_targets.daily_avg must be positive (it divides, Z-Art.16)")
    for k in ("deposits", "recovery", "interest", "conduct"):
        if getattr(p.assessment, k) < 0:
            problems.append(f"assessment.{k}: a weight must be ≥ 0")
    return problems
