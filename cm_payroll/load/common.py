"""What every reader of cm_payroll.load shares: the file extensions, RawTable (what a reader
returns), the input limits and the refusal they raise, the sheet bounds, the cell flags the cell
scanners report, and the used-range refusal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from cm_payroll.errors import InputIssue
from cm_payroll.schema import FileSpec


EXCEL_EXT = (".xlsx", ".xlsm", ".xls", ".ods")
EXTENSIONS = EXCEL_EXT + (".csv", ".parquet")


@dataclass
class RawTable:
    spec: FileSpec
    path: Path
    sheet: str | None
    frame: pl.DataFrame                      # canonical keys as columns, all String, plus _row, _sheet
    headers: dict[str, str] = field(default_factory=dict)   # key → header text as found
    sha256: str = ""
    epoch: dt.date = dt.date(1899, 12, 30)   # day 0 of the workbook's serial numbers (1904 system: 1904-01-01)
    warnings: list[str] = field(default_factory=list)     # input warnings (Chinese, for the exceptions report)

    @property
    def file(self) -> str:
        return self.path.name

    def label(self, key: str) -> str:
        return self.headers.get(key, key)


# --------------------------------------------------------------------------------------------- limits

DEFAULT_LIMITS = {"max_cells": 50_000_000, "max_rows": 10_000_000, "max_inflated_bytes": 1_879_048_192,
                  "max_errors_per_file": 1000}
EPOCH_1900 = dt.date(1899, 12, 30)       # day 0 of Excel serials (1900 system, from 1900-03-01 on)
EPOCH_1904 = dt.date(1904, 1, 1)


def input_limits(limits: dict | None) -> dict:
    out = dict(DEFAULT_LIMITS)
    for k, v in (limits or {}).items():
        if k in out:
            out[k] = int(v)
    return out


class Refused(Exception):
    """Internal: the file is refused before it is read further (issues for the clerk)."""

    def __init__(self, issues: list[InputIssue]):
        super().__init__(issues[0].message if issues else "refused")
        self.issues = issues


def raise_if(issues: list[InputIssue] | None) -> None:
    if issues:
        raise Refused(issues)


SHEET_ROWS, SHEET_COLS = 1_048_576, 16_384


PCT_BUILTIN = {9, 10}


MAX_FLAGS = 10_000


@dataclass(frozen=True)
class CellFlag:
    row: int | None          # Excel row; None when the cell has no reference
    col: int | None          # 0-based column
    kind: str                # formula (no calculated value) | stale (never calculated) | percent


def col_index(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n - 1


def col_letters(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def extent_issue(file: str, sheet: str | None, rows: int, cols: int, lim: dict, rows_total: int,
                 far: str | None = None) -> InputIssue | None:
    """The refusal of a table whose used range (rows × cols from A1) is beyond the input limits."""
    cells = rows * cols
    if rows_total > lim["max_rows"]:
        return InputIssue(file, sheet, message=f"the file has {rows_total:,} rows; the limit is "
                          f"{lim['max_rows']:,} (input_limits.max_rows): delete the stray rows far below the "
                          "table, or split the file")
    if cells <= lim["max_cells"]:
        return None
    corner = f"{col_letters(max(cols - 1, 0))}{rows}"
    stray = (f"delete the stray cell {far}" if far == corner else
             f"delete the stray cells far right of the table or far below it (the used range ends at "
             f"column {col_letters(max(cols - 1, 0))}, row {rows:,})")
    return InputIssue(file, sheet, message=f"the used range A1:{corner} has {cells:,} cells; the limit is "
                      f"{lim['max_cells']:,} (input_limits.max_cells): {stray}, then save the file again")
