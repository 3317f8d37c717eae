"""Errors a run can end with, and their exit codes (SPEC section 7)."""

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

    def render(self) -> str:
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


class InputErrors(PayrollError):
    """All input errors found (every error of every file, not only the first)."""

    exit_code = EXIT_INPUT

    def __init__(self, issues: list[InputIssue], month: str | None = None):
        self.issues = sorted(set(issues), key=lambda i: (i.file, i.sheet or "", i.row or 0,
                                                         i.column or "", i.message))
        self.month = month
        head = f"{len(self.issues)} input error(s)" + (f" in {month}" if month else "")
        super().__init__(head + ":\n" + "\n".join("  " + i.render() for i in self.issues))


class RefusedError(PayrollError):
    """The run is refused: closed month without --force, lock held, ledger damaged."""

    exit_code = EXIT_REFUSED


class MissingSystemPackage(RefusedError):
    """A requested output needs a system package that is not installed (a CJK font, Pango): refused
    before anything is computed, naming the Debian package."""


class UsageError(PayrollError):
    exit_code = EXIT_USAGE
