"""What a rulebook is, for the pipeline: the `RulebookModule` protocol every rulebook package
satisfies (found in the registry, `rulebooks/__init__.py`), the declaration of a pay `Component`,
and what a month's computation gets (`MonthContext`) and gives back (`MonthResult`).

A component is declared once, in the module of its rule, as an OpenFisca variable carries its label
and reference: key, Chinese label, article, the parameters and inputs it reads, the figures that
explain it, the rule in words and the slip line's basis — both written from the parameters in force
(decision 42: a branch that sets the standby rate to 12% reads 12% everywhere). The summary headers,
the slip lines and the `explain` tree are all drawn from these declarations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import polars as pl

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


@dataclass(frozen=True)
class Figure:
    """One of the month's figures behind an amount: a pay-frame column, its Chinese label, its kind
    (money, rate, score, x100, int, bool, status, level, text, month)."""
    label: str
    column: str
    kind: str


def _no_text(*_args) -> str:
    return ""


@dataclass(frozen=True)
class Component:
    """A pay component (a line of the slip, a column of the summary, a branch of `explain`).

    `rule(p)`: the rule in words with the parameter values in force `p`; `basis(row, p, month)`: the
    slip line's 计算依据 for one manager (a row of the month's pay frame)."""
    key: str
    label: str
    article: str
    params: tuple[str, ...] = ()
    figures: tuple[Figure, ...] = ()
    inputs: tuple[str, ...] = ()
    rule: Callable[[Any], str] = _no_text
    basis: Callable[[dict, Any, int], str] = _no_text


@dataclass
class MonthContext:
    month: int                    # month index being computed
    first_month: int              # first month processed for this output root
    rulebook: Any                 # the rulebook file (cm_payroll.rulebook.Rulebook)
    params: Any                   # the parameter values in force in `month` (rulebook.Values)
    corrections: pl.DataFrame | None = None   # manager_id, amount (fen), corrects, note: re-run differences
    aux: dict[str, pl.DataFrame] = field(default_factory=dict)   # the rulebook's other state frames


@dataclass
class MonthResult:
    pay: pl.DataFrame             # one row per manager paid this month, sorted by manager_id
    exceptions: pl.DataFrame      # EXCEPTION_SCHEMA
    state: pl.DataFrame           # the ledger state after this month (every id ever seen)
    aux: dict[str, pl.DataFrame] = field(default_factory=dict)   # other state carried to later
    # months besides the per-manager one (rcc: charged overdue loans, visit history), each kept in
    # the ledger as aux_<name>.parquet


class RulebookModule(Protocol):
    """A rulebook package (securities, rcc): what the pipeline, the renderers and `explain` use."""

    ID: str                                       # the [rulebook] id of its rulebook.toml
    TRACKS: tuple[str, ...]                       # roster tracks that belong to it
    FILES: tuple                                  # input FileSpecs of a month (common ones included)
    COMPONENTS: tuple[Component, ...]             # slip and summary order; the last is gross_pay
    STATE_SCHEMA: dict[str, pl.DataType]          # the ledger state carried month to month

    def check_params(self, p: Any) -> list[str]: ...
    def empty_state(self) -> pl.DataFrame: ...
    def seed_state(self, inputs: Any, start: int) -> tuple[pl.DataFrame, list, pl.DataFrame]: ...
    def check_month(self, inputs: Any, state: pl.DataFrame, ctx: MonthContext) -> list: ...
    def compute_month(self, inputs: Any, state: pl.DataFrame, ctx: MonthContext) -> MonthResult: ...
    def summary(self, pay: pl.DataFrame, p: Any) -> tuple[pl.DataFrame, list[tuple[str, str, str]]]: ...
    def slips(self, pay: pl.DataFrame, month: int, p: Any, firm: str = "") -> Iterator: ...


__all__ = ["EXCEPTION_SCHEMA", "Component", "Figure", "MonthContext", "MonthResult", "RulebookModule"]
