"""The entry point of a month folder: every input file found, read (read.py) and typed and checked
(validate.py), with the checks across files."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from cm_payroll.errors import InputIssue
from cm_payroll.load.common import input_limits
from cm_payroll.load.read import find_file, read_table
from cm_payroll.months import fmt_month
from cm_payroll.schema import FileSpec
from cm_payroll.validate import InputWarning, MonthInputs, Table, cap_issues, common_checks, empty_frame, type_table


def load_month(folder: Path, month: int, specs: tuple[FileSpec, ...], sheet: str = "",
               tracks: tuple[str, ...] = (), limits: dict | None = None, state: pl.DataFrame | None = None
               ) -> tuple[MonthInputs, list[InputIssue]]:
    """Load and validate every input file of one month folder; return all issues of all files.
    `limits`: the rulebook's input_limits (load.DEFAULT_LIMITS when None); `state`: the ledger state
    before the month (decision 36: who may be terminated off the roster)."""
    lim = input_limits(limits)
    warnings: list[InputWarning] = []
    issues: list[InputIssue] = []
    tables: dict[str, Table] = {}
    if not folder.is_dir():
        return MonthInputs(month, folder, {}), [InputIssue(str(folder), message=f"no input folder for "
                                                           f"{fmt_month(month)}")]
    for spec in specs:
        path, found_issues = find_file(folder, spec.name)
        issues += found_issues
        if path is None:
            if spec.required and not found_issues:
                issues.append(InputIssue(f"{spec.name}.xlsx", message=f"required file missing in "
                                         f"{folder.name}/ ({spec.zh}; .xlsx, .xls, .csv or .parquet)"))
            tables[spec.name] = Table(spec, empty_frame(spec))
            continue
        raw, read_issues = read_table(path, spec, sheet, lim)
        if raw is None:
            issues += cap_issues(read_issues, lim["max_errors_per_file"])
            tables[spec.name] = Table(spec, empty_frame(spec), file=path.name)
            continue
        warnings += [InputWarning(None, "input_warning", w) for w in raw.warnings]
        typed, type_issues = type_table(raw, lim["max_errors_per_file"])
        issues += cap_issues(type_issues, lim["max_errors_per_file"])
        if typed.height == 0 and spec.required:
            issues.append(InputIssue(path.name, raw.sheet, message="no data rows (a required file "
                                     "cannot be header-only)"))
        tables[spec.name] = Table(spec, typed, path.name, raw.sheet, raw.sha256, raw.headers)
    inputs = MonthInputs(month, folder, tables, warnings)
    roster_ok = tables["roster"].present and not any(i.file == tables["roster"].file for i in issues)
    issues += common_checks(inputs, tracks, check_ids=roster_ok, state=state)
    return inputs, issues
