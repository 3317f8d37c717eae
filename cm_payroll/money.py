"""Moved to cm_payroll/units.py (the one home of rounding and formatting); these names remain only
until the last callers import units."""

from cm_payroll.units import (FEN, RATE_SCALE, SCORE_SCALE, ExactnessError, annualized_at_least,  # noqa: F401
                              apply_rate, div_half_up, round_score_2dp, to_fen, to_ppm, to_score_units)
from cm_payroll.units import rate as fmt_rate  # noqa: F401
from cm_payroll.units import rate_decimal as ppm_to_decimal  # noqa: F401
from cm_payroll.units import yuan as fmt_yuan  # noqa: F401
from cm_payroll.units import yuan_decimal as fen_to_decimal  # noqa: F401
