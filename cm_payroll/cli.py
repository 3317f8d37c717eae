"""The command line (SPEC 7). Thin: each command parses options, calls one library function
(pipeline.py and friends) and turns its result or error into output and an exit code:
0 success, 1 input errors, 2 usage, 3 refused (closed month, lock held, damaged ledger)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from cm_payroll import __version__
from cm_payroll.errors import EXIT_INPUT, EXIT_USAGE, InputErrors, PayrollError

app = typer.Typer(add_completion=True, no_args_is_help=True, rich_markup_mode="rich",
                  help="Grade and pay customer managers (客户经理) month by month from back-office "
                       "Excel exports.")
out = Console()
err = Console(stderr=True)

MAX_SHOWN_ERRORS = 200

InputOpt = Annotated[Path, typer.Option("--input", "-i", help="Folder holding one sub-folder per month "
                                                             "(YYYY-MM) of input files.")]
OutputOpt = Annotated[Path, typer.Option("--output", "-o", help="Output root: month folders, slips and "
                                                               "the ledger are written here.")]
RulesOpt = Annotated[str, typer.Option("--rules", "-r", help="Rulebook: a built-in name (securities, rcc) "
                                                            "or the path of a branch's own TOML file.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a machine-readable summary (for cron) on "
                                                      "stdout instead of the table.")]


def _version(value: bool) -> None:
    if value:
        out.print(f"cm-payroll {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                           help="Show the version and exit.")] = None) -> None:
    pass


def _fail(exc: PayrollError, as_json: bool) -> None:
    if isinstance(exc, InputErrors):
        if as_json:
            out.print_json(json.dumps({"ok": False, "exit_code": exc.exit_code, "month": exc.month,
                                       "errors": [i.as_dict() for i in exc.issues]}, ensure_ascii=False))
        else:
            n = len(exc.issues)
            err.print(f"[bold red]{n} input error(s){' in ' + exc.month if exc.month else ''}; nothing was "
                      f"written.[/] Fix them and run again:", highlight=False)
            for i in exc.issues[:MAX_SHOWN_ERRORS]:
                err.print("  " + i.render(), markup=False, highlight=False)
            if n > MAX_SHOWN_ERRORS:
                err.print(f"  … and {n - MAX_SHOWN_ERRORS} more (use --json for all)", highlight=False)
    else:
        if as_json:
            out.print_json(json.dumps({"ok": False, "exit_code": exc.exit_code, "error": str(exc)},
                                      ensure_ascii=False))
        else:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
    raise typer.Exit(exc.exit_code)


def _reporter(quiet: bool, as_json: bool):
    if quiet or as_json or not err.is_terminal:
        return lambda stage, month: None
    status = {"load": "loading and validating", "rules": "applying the rules", "write": "writing outputs",
              "commit": "committing the ledger"}

    def report(stage: str, month: str) -> None:
        err.print(f"[dim]{month}: {status.get(stage, stage)}…[/]", highlight=False)
    return report


def _print_summary(summary, quiet: bool, as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps({"ok": True, "exit_code": 0, **summary.as_dict()}, ensure_ascii=False))
        return
    if quiet:
        return
    t = Table(title=f"cm-payroll — {summary.rulebook}", show_lines=False)
    for col in ("month", "version", "managers", "exceptions", "gross pay (元)", "folder"):
        t.add_column(col, justify="right" if col not in ("month", "folder") else "left")
    for m in summary.months:
        d = m.as_dict()
        t.add_row(m.month, str(m.version), str(m.managers), str(m.exceptions), _grouped(d["gross_total"]),
                  str(m.folder))
    out.print(t)
    last = summary.months[-1]
    out.print(f"payroll summary: {last.folder / f'payroll_{last.month}.xlsx'}")
    out.print(f"pay slips:       {last.folder / 'slips'}/")
    out.print(f"exceptions:      {last.folder / f'exceptions_{last.month}.xlsx'}")


def _grouped(yuan: str) -> str:
    sign = "-" if yuan.startswith("-") else ""
    whole, frac = yuan.lstrip("-").split(".")
    return f"{sign}{int(whole):,}.{frac}"


@app.command()
def month(
    month: Annotated[str, typer.Argument(help="The month to compute, YYYY-MM (e.g. 2013-12).")],
    input: InputOpt = Path("input"),
    output: OutputOpt = Path("output"),
    rules: RulesOpt = "securities",
    force: Annotated[bool, typer.Option("--force", help="Recompute a month that is already closed; the "
                                        "earlier outputs are kept as a numbered version.")] = False,
    what_if: Annotated[Optional[Path], typer.Option("--what-if", help="Compute the month under --rules "
                       "without touching the ledger or the official outputs, and write a comparison "
                       "workbook against the official run into this folder.")] = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Compute one month's payroll. Earlier months of the same year that have inputs but are not in the
    ledger yet are computed first, in order."""
    from cm_payroll import pipeline
    if what_if is not None:
        _what_if(month, input, output, rules, what_if, force, quiet, as_json)
        return
    try:
        summary = pipeline.run_month(month, input, output, rules, force=force, report=_reporter(quiet, as_json))
    except PayrollError as exc:
        _fail(exc, as_json)
    except ValueError as exc:
        _fail(_usage(exc), as_json)
    _print_summary(summary, quiet, as_json)


@app.command()
def year(
    year: Annotated[int, typer.Argument(help="The year to compute, e.g. 2013: every month folder of it.")],
    input: InputOpt = Path("input"),
    output: OutputOpt = Path("output"),
    rules: RulesOpt = "securities",
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Compute every month of a year that has inputs and is not closed yet."""
    from cm_payroll import pipeline
    try:
        summary = pipeline.run_year(year, input, output, rules, report=_reporter(quiet, as_json))
    except PayrollError as exc:
        _fail(exc, as_json)
    _print_summary(summary, quiet, as_json)


@app.command()
def validate(
    month: Annotated[str, typer.Argument(help="The month whose inputs to check, YYYY-MM.")],
    input: InputOpt = Path("input"),
    rules: RulesOpt = "securities",
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Check a month's input files only: every error of every file, nothing computed or written."""
    from cm_payroll import pipeline
    try:
        inputs = pipeline.validate_month(month, input, rules)
    except PayrollError as exc:
        _fail(exc, as_json)
    except ValueError as exc:
        _fail(_usage(exc), as_json)
    if as_json:
        out.print_json(json.dumps({"ok": True, "exit_code": 0, "month": month, "files": inputs.files(),
                                   "warnings": [w.message for w in inputs.warnings]}, ensure_ascii=False))
    elif not quiet:
        for f in inputs.files():
            out.print(f"ok  {f['file']}  ({f['rows']} rows)", highlight=False)
        for w in inputs.warnings:
            out.print(f"warning: {w.message}", highlight=False)


@app.command()
def sample(
    output: OutputOpt = Path("sample_data/securities"),
    rules: RulesOpt = "securities",
    managers: Annotated[int, typer.Option(help="Number of managers (the scripted cast plus random ones).")] = 60,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same bytes.")] = 2013,
    start: Annotated[str, typer.Option(help="First month, YYYY-MM.")] = "2013-01",
    end: Annotated[str, typer.Option(help="Last month, YYYY-MM.")] = "2014-03",
    force: Annotated[bool, typer.Option("--force", help="Replace an existing sample folder.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Write a realistic synthetic input tree (seeded, byte-for-byte reproducible)."""
    import shutil
    if output.exists() and any(p.name[:2].isdigit() for p in output.iterdir()):
        if not force:
            err.print(f"[bold red]error:[/] {output} already holds month folders; use --force to replace them")
            raise typer.Exit(3)
        for p in output.iterdir():
            if p.is_dir() and p.name[:2].isdigit():
                shutil.rmtree(p)
    if rules == "securities":
        from cm_payroll.sample.securities import generate
        paths = generate(output, seed=seed, managers=managers, start=start, end=end)
    else:
        err.print(f"[bold red]error:[/] no sample generator for rulebook {rules!r}")
        raise typer.Exit(EXIT_USAGE)
    if not quiet:
        out.print(f"wrote {len(paths)} files under {output}")


def _what_if(month: str, input: Path, output: Path, rules: str, dest: Path, force: bool, quiet: bool,
             as_json: bool) -> None:
    from cm_payroll.errors import UsageError
    from cm_payroll.whatif import what_if
    try:
        if force:
            raise UsageError("--what-if and --force cannot be combined")
        summary = what_if(month, input, output, rules, dest)
    except PayrollError as exc:
        _fail(exc, as_json)
    except ValueError as exc:
        _fail(_usage(exc), as_json)
    if as_json:
        out.print_json(json.dumps({"ok": True, "exit_code": 0, **summary}, ensure_ascii=False))
    elif not quiet:
        out.print(f"what-if comparison: {summary['workbook']}", highlight=False)
        out.print(f"gross pay difference (元): {_grouped(_fen_str(summary['total_differences_fen']['gross_pay']))}",
                  highlight=False)


def _fen_str(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


@app.command()
def explain(
    month: Annotated[str, typer.Argument(help="A closed month, YYYY-MM.")],
    manager_id: Annotated[str, typer.Argument(help="The manager's 工号.")],
    output: OutputOpt = Path("output"),
    input: Annotated[Optional[Path], typer.Option("--input", "-i", help="Input folder, to show the input "
                     "rows (default: the folder recorded in the month's run.json).")] = None,
    version: Annotated[Optional[int], typer.Option("--version-of-month", help="An earlier version of the "
                       "month (after --force re-runs).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Explain every number of one manager's pay: rule and article, parameters (with the date each took
    effect) and the input rows (file, sheet, row) it came from."""
    from cm_payroll.explain import explain as do_explain
    from cm_payroll.explain import render_tree
    try:
        doc = do_explain(output, month, manager_id, input, version)
    except PayrollError as exc:
        _fail(exc, as_json)
    if as_json:
        out.print_json(json.dumps(doc, ensure_ascii=False, default=str))
    else:
        out.print(render_tree(doc))


@app.command()
def diff(
    a: Annotated[Path, typer.Argument(help="The earlier workbook (payroll summary, exceptions or slip).")],
    b: Annotated[Path, typer.Argument(help="The later workbook to compare with it.")],
    tolerance: Annotated[str, typer.Option("--tolerance", help="Money differences up to this amount "
                         "(元) count as equal.")] = "0",
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Reconcile two output workbooks cell by cell: rows matched by 工号, changes shown old → new,
    added and removed managers, totals of the differences. Exit 0 when equal, 1 when different."""
    from cm_payroll.diff import diff_workbooks, parse_tolerance, render
    try:
        res = diff_workbooks(a, b, parse_tolerance(tolerance))
    except PayrollError as exc:
        _fail(exc, as_json)
    if as_json:
        out.print_json(json.dumps(res.as_dict(), ensure_ascii=False))
    elif not quiet:
        for item in render(res):
            out.print(item)
    raise typer.Exit(0 if res.equal else 1)


def _usage(exc: Exception) -> PayrollError:
    from cm_payroll.errors import UsageError
    return UsageError(str(exc))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted; nothing was committed")
        sys.exit(130)


if __name__ == "__main__":
    main()

__all__ = ["app", "main", "EXIT_INPUT"]
