"""Rural credit co-op rulebook (documents 2 and 3: 客户经理规范细则 R-Art., 钟祥市农村信用社客户经理制
实施办法 Z-Art.; SPEC section 4, decisions 19–24, 28).

Where things are:
    inputs.py       SPEC 2 files (deposits, loans, targets, visits, conduct, management + common)
    params.py       rulebook.toml → exact integers            employment.py  roster ⨝ ledger state
    deposits.py     Z-Art.11, 19 deposit reward/penalty      interest.py    Z-Art.12, 19, 20
    overdue.py      Z-Art.19(3) once-per-loan penalty        assessment.py  Z-Art.16 100-point score
    management.py   R-Art.41 quarterly management wage       wages.py       R-Art.4 base, adjustments
    compliance_checks.py  R-Art.2 staffing, R-Art.11 visits, Z-Art.10 guarantee & 当年收回
    month.py        one month, in order                      present.py     summary and slips
"""

from cm_payroll.rulebooks.rcc.employment import STATE_ADDED, STATE_SCHEMA, empty_state
from cm_payroll.rulebooks.rcc.inputs import FILES, TRACKS
from cm_payroll.rulebooks.rcc.month import COMPONENTS, check_month, compute_month
from cm_payroll.rulebooks.rcc.opening import seed_state
from cm_payroll.rulebooks.rcc.params import check as check_params
from cm_payroll.rulebooks.rcc.present import slips, summary
from cm_payroll.rulebooks.rcc import compliance_checks as _checks, overdue as _overdue
from cm_payroll.rulebooks.rcc.month import AUX_CHARGED, AUX_VISITS
from cm_payroll.rulebooks.tax.apply import AUX_TAX
from cm_payroll.rulebooks.tax.state import STATE_SCHEMA as _TAX_STATE

ID = "rcc"
# The ledger's aux frames (aux_<name>.parquet): charged overdue loans, the visit history, the tax state (SPEC 9).
AUX_SCHEMAS = {AUX_CHARGED: _overdue.CHARGED_SCHEMA, AUX_VISITS: _checks.VISITS_SCHEMA, AUX_TAX: _TAX_STATE}

__all__ = ["AUX_SCHEMAS", "COMPONENTS", "FILES", "ID", "STATE_ADDED", "STATE_SCHEMA", "TRACKS", "check_params",
           "check_month", "compute_month", "empty_state", "seed_state", "slips", "summary"]
