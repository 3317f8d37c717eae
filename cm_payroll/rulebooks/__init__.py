"""Rulebooks: one package per rule set, each with its parameter file (rulebook.toml), its input files
and its rules as small pure functions over Polars frames; `shared/` holds what they all apply the same
way (employment, events, overrides, adjustments, corrections, exception rows). Each package satisfies
the `base.RulebookModule` protocol; the registry below is how the pipeline finds one by the id of its
rulebook file. A new rulebook is a new package and one line here; no other rulebook changes.
"""

from __future__ import annotations

from cm_payroll.rulebooks import rcc, securities
from cm_payroll.rulebooks.base import RulebookModule

REGISTRY: dict[str, RulebookModule] = {m.ID: m for m in (securities, rcc)}


def module_for(rulebook_id: str) -> RulebookModule:
    """The rulebook package of a rulebook id (securities, rcc)."""
    return REGISTRY[rulebook_id]


__all__ = ["REGISTRY", "RulebookModule", "module_for"]
