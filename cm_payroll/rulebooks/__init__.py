"""Rulebooks: one package per rule set, each with its parameter file (rulebook.toml), its input files
and its rules as small pure functions over Polars frames; `shared/` holds what they all apply the same
way (employment, events, overrides, adjustments, corrections, exception rows). Each package satisfies
the `base.RulebookModule` protocol; the registry below is how the pipeline finds one by the id of its
rulebook file. A new rulebook is a new package and one line here; no other rulebook changes.
"""

from __future__ import annotations

from cm_payroll.errors import UsageError
from cm_payroll.rulebooks import rcc, securities
from cm_payroll.rulebooks.base import RulebookModule

REGISTRY: dict[str, RulebookModule] = {m.ID: m for m in (securities, rcc)}


class NotAPayRulebook(UsageError, KeyError):
    """A rulebook that computes no pay (`tax`, SPEC 9) given where a pay rulebook is needed (--rules):
    a usage error (exit 2); a KeyError for the callers that look an id up."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def module_for(rulebook_id: str) -> RulebookModule:
    """The rulebook package of a rulebook id (securities, rcc)."""
    try:
        return REGISTRY[rulebook_id]
    except KeyError:
        if rulebook_id == "tax":
            raise NotAPayRulebook(
                "--rules tax: the tax rulebook is not a pay rulebook; it is applied after the pay rulebook "
                "(securities or rcc) in every month with a deductions file (SPEC 9). Give --rules securities, "
                "--rules rcc or a branch's pay rulebook file; a branch names its own tax rulebook in that "
                "file's [rulebook] table: tax = \"tax.toml\"") from None
        raise


__all__ = ["NotAPayRulebook", "REGISTRY", "RulebookModule", "module_for"]
