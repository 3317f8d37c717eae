"""The securities parameters of a month: rulebook.toml read in the units the rules compute with
(`cm_payroll.rulebook.Values`: money in fen, rates in ppm, scores in 1/10,000 units; each parameter's
`unit(s)` in the file say which), what follows from them, and the checks a rulebook file must pass.
Attribute names are the file's: `p.probation.min_score`, `p.commission.sales`, `p.levels[i].allowance`."""

from __future__ import annotations

from cm_payroll.rulebook import Values

Params = Values


def level(p: Params, key: str):
    for lv in p.levels:
        if lv.key == key:
            return lv
    raise KeyError(key)


def ordinary_min(p: Params) -> int:
    """The minimum annualized score of 普通客户经理 (score units): below it, standby (S-Art.8)."""
    return level(p, "ordinary").min_score


def level_names(p: Params) -> dict[str, str]:
    """key → Chinese level name (S-Art.4)."""
    return {lv.key: lv.name for lv in p.levels}


def check(p: Params) -> list[str]:
    """What a rulebook file must hold beyond its units (a branch's file included)."""
    problems = []
    c = p.commission
    if not (len(c.thresholds) == len(c.sales) == len(c.advisor)) or list(c.thresholds) != sorted(c.thresholds):
        problems.append("commission: thresholds, sales and advisor must have the same length, thresholds ascending")
    keys = [lv.key for lv in p.levels]
    if "trainee" not in keys or "ordinary" not in keys:
        problems.append("levels: trainee and ordinary are required (S-Art.4)")
    if not p.year_end.tenure_rates:
        problems.append("year_end.tenure_rates: at least one rate")
    for name, v in (("year_end.month", p.year_end.month), ("compliance.payout_month", p.compliance.payout_month)):
        if not 1 <= v <= 12:
            problems.append(f"{name}: a calendar month 1..12, got {v}")
    return problems
