"""The rcc opening file (期初数据, SPEC 6): the start month's credit managers known to the ledger.

Credit managers carry no probation, standby or year sums (SPEC 4), so the rcc opening has only 工号:
a row says that the manager's history before the `--start` is accounted for (no `input_warning`);
the per-loan memory (overdue loans already charged, Z-Art.19(3)) and the visit history start empty.
"""

from __future__ import annotations

import polars as pl

from cm_payroll.errors import InputIssue
from cm_payroll.rulebooks.shared import opening as shared
from cm_payroll.rulebooks.rcc.employment import STATE_SCHEMA
from cm_payroll.schema import FileSpec
from cm_payroll.rulebooks.tax.opening import OPENING_COLUMNS as TAX_OPENING

# SPEC 9: the year-to-date figures of cumulative withholding (rulebooks/tax) are its only columns here
OPENING = FileSpec(shared.OPENING_STEM, "期初数据", (shared.MANAGER, *TAX_OPENING), key=("manager_id",))


def seed_state(inputs, start: int) -> tuple[pl.DataFrame, list[InputIssue], pl.DataFrame]:
    t = inputs.tables[shared.OPENING_STEM]
    roster = inputs["roster"]
    issues = shared.hired_too_late(roster, t.frame, start, t.file or "opening", t.label("manager_id"))
    state = shared.seeded(roster, t.frame.filter(pl.col("manager_id").is_not_null()), start, STATE_SCHEMA, {})
    return state, issues, shared.no_history_warnings(roster, t.frame, start, t.present,
                                                     "逾期贷款处罚记录(每笔只罚一次)和客户走访记录")


__all__ = ["OPENING", "seed_state"]
