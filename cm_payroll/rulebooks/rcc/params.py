"""The rcc parameters of one month, converted once to exact integers.

Money → fen, rates → ppm, assessment weights → exact Fractions. The values come from rulebook.toml;
this module only changes their representation, never their meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from cm_payroll.units import to_fen, to_ppm


@dataclass(frozen=True)
class Params:
    base_wage: int                  # fen, R-Art.4
    deposit_target_avg: int         # fen, Z-Art.11 default
    deposit_target_accum: int       # fen, Z-Art.11 default
    deposit_rate: int               # ppm, Z-Art.19
    interest_rate: int              # ppm, Z-Art.19, 20
    overdue_rate: int               # ppm, Z-Art.19(3)
    w_deposits: Fraction            # points, Z-Art.16
    w_recovery: Fraction
    w_interest: Fraction
    w_conduct: Fraction
    performance_base: int           # fen, 业绩工资 at 100 points
    management_base: int            # fen, 管理考核工资 at 100 points
    management_months: tuple[int, ...]   # calendar months 1..12
    small_per_manager: int          # R-Art.2
    corporate_per_manager: int
    visit_monthly_from: int         # fen, R-Art.11(2)
    guarantee_limit: int            # fen, Z-Art.10
    per_head_expenses: int          # fen, Z-Art.12 人平四项费用


def _fraction(x: Any) -> Fraction:
    f = Fraction(Decimal(str(x)))
    if f < 0:
        raise ValueError(f"assessment weight must be ≥ 0, got {x}")
    return f


def build(p: dict[str, Any]) -> Params:
    dep, a, mg = p["deposit_targets"], p["assessment"], p["management_wage"]
    months = tuple(int(x) for x in mg["months"])
    if not all(1 <= x <= 12 for x in months):
        raise ValueError("management_wage.months: calendar months 1..12")
    if to_fen(dep["daily_avg"]) <= 0:
        raise ValueError("deposit_targets.daily_avg must be positive (it divides, Z-Art.16)")
    return Params(
        base_wage=to_fen(p["base_wage"]),
        deposit_target_avg=to_fen(dep["daily_avg"]),
        deposit_target_accum=to_fen(dep["accumulated"]),
        deposit_rate=to_ppm(p["deposit_rate"]),
        interest_rate=to_ppm(p["interest_rate"]),
        overdue_rate=to_ppm(p["overdue_rate"]),
        w_deposits=_fraction(a["deposits"]),
        w_recovery=_fraction(a["recovery"]),
        w_interest=_fraction(a["interest"]),
        w_conduct=_fraction(a["conduct"]),
        performance_base=to_fen(p["performance_wage"]),
        management_base=to_fen(mg["amount"]),
        management_months=months,
        small_per_manager=int(p["staffing"]["small_per_manager"]),
        corporate_per_manager=int(p["staffing"]["corporate_per_manager"]),
        visit_monthly_from=to_fen(p["visits"]["monthly_from"]),
        guarantee_limit=to_fen(p["guarantee_limit"]),
        per_head_expenses=to_fen(p["per_head_expenses"]),
    )
