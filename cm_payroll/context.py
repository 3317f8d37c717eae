"""What a rulebook's month computation gets besides its inputs, and what it gives back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from cm_payroll.rulebook import Rulebook

EXCEPTION_SCHEMA = {
    "manager_id": pl.String,
    "name": pl.String,
    "type": pl.String,
    "article": pl.String,
    "description": pl.String,
    "amount": pl.Int64,          # 金额影响, fen; null when none
    "approval_needed": pl.Boolean,
    "approval_ref": pl.String,
}


@dataclass
class MonthContext:
    month: int                    # month index being computed
    first_month: int              # first month processed for this output root
    rulebook: Rulebook
    params: dict[str, Any]        # parameter values in force in `month`
    corrections: pl.DataFrame | None = None   # manager_id, amount (fen), note: re-run differences
    aux: dict[str, pl.DataFrame] = field(default_factory=dict)   # the rulebook's other state frames


@dataclass
class MonthResult:
    pay: pl.DataFrame             # one row per manager paid this month, sorted by manager_id
    exceptions: pl.DataFrame      # EXCEPTION_SCHEMA
    state: pl.DataFrame           # the ledger state after this month (every id ever seen)
    aux: dict[str, pl.DataFrame] = field(default_factory=dict)   # other state carried to later
    # months besides the per-manager one (rcc: charged overdue loans, visit history), each kept in
    # the ledger as aux_<name>.parquet
    trace: dict = field(default_factory=dict)


def empty_exceptions() -> pl.DataFrame:
    return pl.DataFrame(schema=EXCEPTION_SCHEMA)
