"""The securities pay components in slip and summary order (SPEC 3.5), each declared in the module of
its rule, and the slip notes in order. The last component is 应发合计."""

from __future__ import annotations

from cm_payroll.rulebooks.securities import (advisors, assessment, compliance, pay, status, supervision,
                                             year_end)
from cm_payroll.rulebooks.shared import components as shared

COMPONENTS = (
    pay.BASE_SALARY,
    pay.ALLOWANCE,
    pay.PERFORMANCE_BONUS,
    supervision.SUPERVISION_REWARD,
    compliance.COMPLIANCE_REWARD,
    year_end.YEAR_END_BONUS,
    pay.OTHER_REWARD,
    year_end.RECOVERY,
    shared.correction("S-Art.33"),
    shared.gross("S-Art.10", "以上各项之和"),
)
COMPONENT_KEYS = tuple(c.key for c in COMPONENTS[:-1])
COMPONENT_LABELS = {c.key: c.label for c in COMPONENTS[:-1]}

# The slip's notes, each with its rule, in the order a slip shows them.
NOTES = (status.notes, pay.fraud_notes, pay.withheld_notes, status.override_notes, year_end.notes,
         advisors.notes, assessment.notes)

__all__ = ["COMPONENTS", "COMPONENT_KEYS", "COMPONENT_LABELS", "NOTES"]
