"""Rulebooks: one package per rule set, each with its parameter file (rulebook.toml), its input
files (inputs.py) and its rules as small pure functions over Polars frames.

A rulebook module exposes:
    FILES            the input FileSpecs of a month (common ones included)
    COMPONENTS       [(key, Chinese header, article)] in slip/summary order; the last is gross_pay
    SUMMARY_COLUMNS  the extra per-manager figures of the summary: [(key, Chinese header, kind)]
    STATE_SCHEMA     the ledger state columns carried from month to month
    check_month(inputs, state, ctx) -> list[InputIssue]      rule-specific input errors
    compute_month(inputs, state, ctx) -> MonthResult          the month's pay, exceptions, new state
"""

from __future__ import annotations

from types import ModuleType


def module_for(rulebook_id: str) -> ModuleType:
    if rulebook_id == "securities":
        from cm_payroll.rulebooks import securities
        return securities
    if rulebook_id == "rcc":
        from cm_payroll.rulebooks import rcc
        return rcc
    raise KeyError(rulebook_id)
