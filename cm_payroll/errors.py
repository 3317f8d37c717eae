"""Errors a run can end with, their exit codes (0 ok, 1 input errors, 2 usage, 3 refused) and the
machine-readable `reason` that `--json` gives with them (docs/使用说明.md, section 退出码)."""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3


@dataclass(frozen=True, order=True)
class InputIssue:
    """One problem in one input cell (or file), located as a clerk would find it in Excel."""

    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    message: str = ""

    def render(self, lang: str = "en") -> str:
        """"file, sheet S, row R, column C: message"; in Chinese (lang "zh") the location reads
        "file，工作表 S，第 R 行，列 C：" and the message goes through the translation catalog."""
        if lang == "zh":
            from cm_payroll.i18n import translate
            where = [self.file]
            if self.sheet:
                where.append(f"工作表 {self.sheet}")
            if self.row is not None:
                where.append(f"第 {self.row} 行")
            if self.column:
                where.append(f"列 {self.column}")
            return f"{'，'.join(where)}：{translate(self.message, 'zh')}"
        where = [self.file]
        if self.sheet:
            where.append(f"sheet {self.sheet}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "sheet": self.sheet, "row": self.row, "column": self.column,
                "message": self.message}


class PayrollError(Exception):
    exit_code = EXIT_INPUT
    reason = "input_errors"


class InputErrors(PayrollError):
    """All input errors found (every error of every file, not only the first)."""

    exit_code = EXIT_INPUT
    reason = "input_errors"

    def __init__(self, issues: list[InputIssue], month: str | None = None):
        self.issues = sorted(set(issues), key=lambda i: (i.file, i.sheet or "", i.row or 0,
                                                         i.column or "", i.message))
        self.month = month
        head = f"{len(self.issues)} input error(s)" + (f" in {month}" if month else "")
        super().__init__(head + ":\n" + "\n".join("  " + i.render() for i in self.issues))


class RefusedError(PayrollError):
    """The run is refused: closed month without --force, lock held, ledger damaged. `reason` says which
    for programs (`--json`); a plain RefusedError is "refused"."""

    exit_code = EXIT_REFUSED
    reason = "refused"


class Locked(RefusedError):
    """Another cm-payroll process holds the output root's lock (`--wait` waits for it)."""

    reason = "locked"


class MonthClosed(RefusedError):
    """The month is already closed; recomputing it needs --force."""

    reason = "closed"


class LedgerDamaged(RefusedError):
    """The ledger or the output root fails verification: restore from a backup."""

    reason = "ledger_damaged"


class MissingSystemPackage(RefusedError):
    """A requested output needs a system package that is not installed (a CJK font, Pango): refused
    before anything is computed, naming the Debian package."""

    reason = "missing_system_package"


class UsageError(PayrollError):
    exit_code = EXIT_USAGE
    reason = "usage"
