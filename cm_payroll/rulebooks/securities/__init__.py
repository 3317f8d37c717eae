"""Securities rulebook (document 1, 浙商证券 客户经理薪酬考核管理实施细则; SPEC section 3).

Where things are:
    aggregate.py    S-Art.36 client figures          assessment.py  window & annualized score
    employment.py   hire, re-hire, tenure, state     status.py      probation & standby (S-Art.8, 20)
    advisors.py     S-Art.22–26                      commission.py  levels (S-Art.4) & rates (S-Art.13)
    supervision.py  S-Art.15                         compliance.py  S-Art.16 reserve
    pay.py          S-Art.10–20 components           year_end.py    S-Art.14 year-end bonus & deficit
    overrides.py    S-Art.34                         month.py       one month, in order
"""

from cm_payroll.rulebooks.securities.employment import STATE_ADDED, STATE_SCHEMA, empty_state
from cm_payroll.rulebooks.securities.inputs import FILES
from cm_payroll.rulebooks.securities.month import (COMPONENTS, check_month,
                                                   compute_month)
from cm_payroll.rulebooks.securities.opening import seed_state
from cm_payroll.rulebooks.securities.explain import focus as explain_focus
from cm_payroll.rulebooks.securities.params import check as check_params
from cm_payroll.rulebooks.securities.present import slips, summary
from cm_payroll.rulebooks.tax.apply import AUX_TAX
from cm_payroll.rulebooks.tax.state import STATE_SCHEMA as _TAX_STATE

ID = "securities"
# The ledger's aux frames (aux_<name>.parquet): the tax state carried month to month (SPEC 9).
AUX_SCHEMAS = {AUX_TAX: _TAX_STATE}
TRACKS = ("sales", "advisor")

__all__ = ["AUX_SCHEMAS", "COMPONENTS", "FILES", "ID", "STATE_ADDED", "STATE_SCHEMA", "TRACKS", "check_params", "explain_focus",
           "check_month", "compute_month", "empty_state", "seed_state", "slips", "summary"]
