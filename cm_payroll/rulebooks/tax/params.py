"""The tax parameters in force in one month of receipt, converted once to exact integers.

Money → fen, rates → ppm (cm_payroll.units). The values come from rulebooks/tax/rulebook.toml; this
module only changes their representation and checks their shape, never their meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cm_payroll.errors import UsageError
from cm_payroll.months import fmt_month
from cm_payroll.rulebook import Rulebook, load_rulebook
from cm_payroll.units import RATE_SCALE, to_fen, to_ppm

REGIMES = ("monthly", "cumulative")
BONUS_METHODS = ("shortfall", "converted", "none")


@dataclass(frozen=True)
class Table:
    """A progressive table: bracket i applies to a base ≤ bounds[i] (fen, inclusive) and above the bound
    before it; the top bracket's bound is None. rates in ppm, quick (速算扣除数) in fen."""

    bounds: tuple[int | None, ...]
    rates: tuple[int, ...]
    quick: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.rates)

    def tax_at(self, base: int, i: int) -> int:
        """base × rates[i] − quick[i], the product rounded half-up to the fen, floored at 0 (Python ints)."""
        num = base * self.rates[i]
        q = (2 * abs(num) + RATE_SCALE) // (2 * RATE_SCALE)
        return max(0, (q if num >= 0 else -q) - self.quick[i])


@dataclass(frozen=True)
class TaxParams:
    receipt_month: int
    regime: str                 # "monthly" | "cumulative"
    basic: int                  # 减除费用 per month, fen
    monthly: Table              # monthly table (also the bonus ÷ 12 table)
    annual: Table | None        # cumulative withholding table (None before 2019)
    full_year: int              # 全年6万减除 amount, fen; 0 = not in force
    bonus_method: str           # "shortfall" | "converted" | "none"

    @property
    def year(self) -> int:
        return self.receipt_month // 12


def _table(name: str, rows: Any, month: int) -> Table | None:
    if not rows:
        return None
    where = f"tax parameter {name} in {fmt_month(month)}"
    try:
        bounds = tuple(to_fen(r["upto"]) if "upto" in r else None for r in rows)
        rates = tuple(to_ppm(r["rate"]) for r in rows)
        quick = tuple(to_fen(r["quick"]) for r in rows)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise UsageError(f"{where}: each bracket needs rate, quick and (but the last) upto: {exc}") from exc
    if bounds[-1] is not None or any(b is None for b in bounds[:-1]):
        raise UsageError(f"{where}: every bracket but the last needs `upto`; the last has none")
    inner = [b for b in bounds[:-1] if b is not None]
    if inner != sorted(set(inner)) or any(b <= 0 for b in inner):
        raise UsageError(f"{where}: the upper bounds must be positive and strictly ascending")
    if any(not 0 <= r <= RATE_SCALE for r in rates) or any(q < 0 for q in quick):
        raise UsageError(f"{where}: rates must lie in 0..1 and quick deductions be ≥ 0")
    return Table(bounds, rates, quick)


def build(values: dict[str, Any], receipt_month: int) -> TaxParams:
    """TaxParams from the values in force (`Rulebook.at(receipt_month)`)."""
    regime, method = str(values["regime"]), str(values["bonus_separate"])
    if regime not in REGIMES:
        raise UsageError(f"tax parameter regime: {regime!r} is none of {', '.join(REGIMES)}")
    if method not in BONUS_METHODS:
        raise UsageError(f"tax parameter bonus_separate: {method!r} is none of {', '.join(BONUS_METHODS)}")
    monthly = _table("monthly_brackets", values["monthly_brackets"], receipt_month)
    annual = _table("annual_brackets", values["annual_brackets"], receipt_month)
    if monthly is None:
        raise UsageError(f"tax parameter monthly_brackets: empty in {fmt_month(receipt_month)}")
    if regime == "cumulative" and annual is None:
        raise UsageError(f"tax parameter annual_brackets: cumulative withholding in {fmt_month(receipt_month)} "
                         f"needs the annual table")
    return TaxParams(receipt_month=receipt_month, regime=regime, basic=to_fen(values["basic_deduction"]),
                     monthly=monthly, annual=annual, full_year=to_fen(values["full_year_deduction"]),
                     bonus_method=method)


def params_at(rulebook: Rulebook | None, receipt_month: int) -> TaxParams:
    """The tax parameters in force in `receipt_month` (the built-in tax rulebook when None)."""
    rb = rulebook or load_rulebook("tax")
    if rb.id != "tax":
        raise UsageError(f"rulebook {rb.source} is a {rb.id} rulebook, not the tax rulebook")
    return build(rb.at(receipt_month), receipt_month)


def receipt_month(rulebook: Rulebook | None, pay_month: int) -> int:
    """The month in which the pay of `pay_month` is received (taxed): pay_month + pay_lag_months."""
    rb = rulebook or load_rulebook("tax")
    lag = rb.parameters["pay_lag_months"].at(pay_month).value
    if isinstance(lag, bool) or not isinstance(lag, int) or lag < 0:
        raise UsageError(f"tax parameter pay_lag_months: a whole number ≥ 0, got {lag!r}")
    return pay_month + lag


__all__ = ["BONUS_METHODS", "REGIMES", "Table", "TaxParams", "build", "params_at", "receipt_month"]
