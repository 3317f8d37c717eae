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
from rich.markup import escape
from rich.table import Table

from cm_payroll import __version__, units
from cm_payroll.errors import EXIT_INPUT, EXIT_USAGE, InputErrors, PayrollError
from cm_payroll.i18n import set_lang, t

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
FormatOpt = Annotated[str, typer.Option("--format", help="Slip formats, comma separated: xlsx, html, pdf "
                                        "(e.g. xlsx,pdf). HTML and PDF come from the templates.")]
TemplatesOpt = Annotated[Optional[Path], typer.Option("--templates", help="Folder of slip templates "
                         "(slip.html.j2, slip.css) overriding the built-in ones; default <input>/templates/ "
                         "when it exists.")]
ProtectOpt = Annotated[bool, typer.Option("--protect-slips", help="Encrypt each slip with its manager's "
                       "password ([slip_protection] of the rulebook; secret in $CM_PAYROLL_SLIP_SECRET); the "
                       "password list is written next to slips/.")]
RulesChangedOpt = Annotated[bool, typer.Option("--rules-changed", help="Accept a rulebook whose content differs "
                           "from the one this output folder used last; the parameters old → new are listed in "
                           "the exceptions report and in run.json.")]
LangOpt = Annotated[Optional[str], typer.Option("--lang", help="Language of the messages: zh or en (default "
                    "from $CM_PAYROLL_LANG or the locale).")]


def _lang(value: Optional[str]) -> None:
    if value is not None:
        try:
            set_lang(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--lang") from None


def _version(value: bool) -> None:
    if value:
        out.print(f"cm-payroll {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                           help="Show the version and exit.")] = None,
          lang: LangOpt = None) -> None:
    set_lang(None)          # the default (CM_PAYROLL_LANG, the locale), unless --lang says otherwise
    _lang(lang)


def _fail(exc: PayrollError, as_json: bool) -> None:
    _stop_progress()
    if isinstance(exc, InputErrors):
        if as_json:
            out.print_json(json.dumps({"ok": False, "exit_code": exc.exit_code, "month": exc.month,
                                       "errors": [i.as_dict() for i in exc.issues]}, ensure_ascii=False))
        else:
            n = len(exc.issues)
            where = t("err.input.where", month=exc.month) if exc.month else ""
            err.print(f"[bold red]{t('err.input', n=n, where=where)}[/] {t('err.input.fix')}", highlight=False)
            for i in exc.issues[:MAX_SHOWN_ERRORS]:
                err.print("  " + i.render(), markup=False, highlight=False)
            if n > MAX_SHOWN_ERRORS:
                err.print("  " + t("err.more", n=n - MAX_SHOWN_ERRORS), highlight=False)
    else:
        if as_json:
            out.print_json(json.dumps({"ok": False, "exit_code": exc.exit_code, "error": str(exc)},
                                      ensure_ascii=False))
        else:
            # the message holds paths: "[...]" in a folder name is text, not console markup
            err.print(f"[bold red]{t('err.error')}[/] {escape(str(exc))}", highlight=False)
    raise typer.Exit(exc.exit_code)


class StageProgress:
    """Rich progress bars on stderr for a long run: computing the months, writing them (with a bar of
    the month's slips), committing. Fed by the pipeline's reporter calls (stage, month) and
    .tick(stage, month, done, total)."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                                   TimeElapsedColumn)
        self.progress = Progress(SpinnerColumn(), TextColumn("[bold]{task.fields[label]:<12}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                 console=console, transient=True)
        self.plan: list[str] = []
        self.tasks: dict[str, int] = {}
        self.started = False

    def _task(self, key: str, total: int | None):
        if key not in self.tasks:
            label = t("stage.compute") if key == "rules" else t(f"stage.{key}")
            self.tasks[key] = self.progress.add_task("", label=label, total=total)
        return self.tasks[key]

    def _finish(self, key: str) -> None:
        if key in self.tasks:
            task = self.progress.tasks[self.tasks[key]]
            self.progress.update(self.tasks[key], completed=task.total or task.completed, description="")

    def __call__(self, stage: str, month: str) -> None:
        if not self.started:
            self.progress.start()
            self.started = True
        if stage == "plan":
            self.plan = [m for m in month.split(",") if m]
            return
        n = len(self.plan) or None
        done = self.plan.index(month) if month in self.plan else 0
        if stage in ("load", "rules"):
            self.progress.update(self._task("rules", n), completed=done,
                                 description=f"{month} {t('stage.' + stage)}")
        elif stage == "write":
            self._finish("rules")
            self.progress.update(self._task("write", n), completed=done, description=month)
        elif stage == "commit":
            self._finish("rules")
            self._finish("write")
            self._finish("slips")
            self.progress.update(self._task("commit", None), description=month)

    def tick(self, stage: str, month: str, done: int, total: int) -> None:
        self.progress.update(self._task(stage, total), completed=done, total=total, description=month)

    def close(self) -> None:
        if self.started:
            self.progress.stop()
            self.started = False


_ACTIVE: list[StageProgress] = []


def _stop_progress() -> None:
    while _ACTIVE:
        _ACTIVE.pop().close()


def _reporter(quiet: bool, as_json: bool):
    if quiet or as_json or not err.is_terminal:
        return lambda stage, month: None
    progress = StageProgress(err)
    _ACTIVE.append(progress)
    return progress


def _print_summary(summary, quiet: bool, as_json: bool, passwords: str | None = None) -> None:
    _stop_progress()
    if as_json:
        out.print_json(json.dumps({"ok": True, "exit_code": 0, **summary.as_dict()}, ensure_ascii=False))
        return
    if quiet:
        return
    for x in summary.output_changes:
        err.print(t("out.output_changed", month=x["month"], file=x["file"], change=t(f"change.{x['change']}")),
                  highlight=False, markup=False)
    if summary.rulebook_change:
        out.print(t("out.rulebook_changed", n=len(summary.rulebook_change)), highlight=False, markup=False)
    if not summary.months:
        out.print(t("out.nothing_to_do"), highlight=False, markup=False)
        if summary.pending:
            out.print(t("out.pending", months=", ".join(summary.pending)), highlight=False, markup=False)
        return
    table = Table(title=t("table.title", rulebook=summary.rulebook), show_lines=False)
    for col in ("month", "version", "managers", "exceptions", "gross", "folder"):
        table.add_column(t(f"col.{col}"), justify="right" if col not in ("month", "folder") else "left")
    for m in summary.months:
        table.add_row(m.month, str(m.version), str(m.managers), str(m.exceptions), units.yuan(m.gross_total_fen),
                      escape(str(m.folder)))
    out.print(table)
    last = summary.months[-1]
    out.print(t("out.summary", path=last.folder / f"payroll_{last.month}.xlsx"), highlight=False, markup=False)
    out.print(t("out.slips", path=last.folder / "slips"), highlight=False, markup=False)
    out.print(t("out.exceptions", path=last.folder / f"exceptions_{last.month}.xlsx"), highlight=False, markup=False)
    if passwords and (last.folder / passwords).exists():
        out.print(t("out.passwords", path=last.folder / passwords), highlight=False, markup=False)
    if summary.pending:
        out.print(t("out.pending", months=", ".join(summary.pending)), highlight=False, markup=False)


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
    start: Annotated[Optional[str], typer.Option("--start", help="Begin a new output folder with this month, "
                     "YYYY-MM: nothing before it is read; its folder may hold an opening file (期初数据).")] = None,
    rules_changed: RulesChangedOpt = False,
    slip_format: FormatOpt = "xlsx",
    templates: TemplatesOpt = None,
    protect_slips: ProtectOpt = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Compute one month's payroll. On a new output folder every earlier month that has an input
    folder is computed first, from the earliest (or from --start)."""
    from cm_payroll import pipeline
    _lang(lang)
    if what_if is not None:
        _what_if(month, input, output, rules, what_if, force, quiet, as_json)
        return
    try:
        summary = pipeline.run_month(month, input, output, rules, force=force, report=_reporter(quiet, as_json),
                                     formats=slip_format, templates=templates, protect_slips=protect_slips,
                                     start=start, rules_changed=rules_changed)
    except PayrollError as exc:
        _fail(exc, as_json)
    except ValueError as exc:
        _fail(_usage(exc), as_json)
    _print_summary(summary, quiet, as_json, _password_list(rules) if protect_slips else None)


@app.command()
def year(
    year: Annotated[int, typer.Argument(help="The year to compute, e.g. 2013: every month folder of it.")],
    input: InputOpt = Path("input"),
    output: OutputOpt = Path("output"),
    rules: RulesOpt = "securities",
    rules_changed: RulesChangedOpt = False,
    slip_format: FormatOpt = "xlsx",
    templates: TemplatesOpt = None,
    protect_slips: ProtectOpt = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Compute every month of a year that has input files, in order. Months already computed with
    unchanged inputs are left as they are; months whose folders are still empty are pending."""
    from cm_payroll import pipeline
    _lang(lang)
    try:
        summary = pipeline.run_year(year, input, output, rules, report=_reporter(quiet, as_json),
                                    formats=slip_format, templates=templates, protect_slips=protect_slips,
                                    rules_changed=rules_changed)
    except PayrollError as exc:
        _fail(exc, as_json)
    except ValueError as exc:
        _fail(_usage(exc), as_json)
    _print_summary(summary, quiet, as_json, _password_list(rules) if protect_slips else None)


def _password_list(rules: str) -> str | None:
    from cm_payroll.render.protect import policy_of
    from cm_payroll.rulebook import load_rulebook
    try:
        return str(policy_of(load_rulebook(rules).raw)["password_list"])
    except PayrollError:
        return None


@app.command()
def validate(
    month: Annotated[str, typer.Argument(help="The month whose inputs to check, YYYY-MM.")],
    input: InputOpt = Path("input"),
    rules: RulesOpt = "securities",
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Check a month's input files only: every error of every file, nothing computed or written."""
    from cm_payroll import pipeline
    _lang(lang)
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
            out.print(t("validate.ok", file=f["file"], rows=f["rows"]), highlight=False)
        for w in inputs.warnings:
            out.print(t("validate.warning", message=w.message), highlight=False)


SAMPLE_MAX_MANAGERS = 2_000       # beyond: bench/make_tree.py (the sample is written row by row)


@app.command()
def sample(
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Where to write the month folders "
                                                   "(default sample_data/<rules>).")] = None,
    rules: RulesOpt = "securities",
    managers: Annotated[Optional[int], typer.Option(help="Number of managers (the scripted cast plus random "
                                                    "ones; default 60 securities, 40 rcc; at most 2,000).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same bytes.")] = 2013,
    start: Annotated[str, typer.Option(help="First month, YYYY-MM.")] = "2013-01",
    end: Annotated[Optional[str], typer.Option(help="Last month, YYYY-MM (default 2014-03 securities, "
                                               "2013-12 rcc).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing sample folder.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Write a realistic synthetic input tree (seeded, byte-for-byte reproducible). Benchmark trees of
    many managers: bench/make_tree.py."""
    import importlib
    import shutil

    from cm_payroll.sample.writers import month_range
    generators = {"securities": ("cm_payroll.sample.securities", 60, "2014-03"),
                  "rcc": ("cm_payroll.sample.rcc", 40, "2013-12")}
    if rules not in generators:
        err.print(f"[bold red]error:[/] no sample generator for rulebook {rules!r}")
        raise typer.Exit(EXIT_USAGE)
    module, default_managers, default_end = generators[rules]
    output = output if output is not None else Path("sample_data") / rules
    managers = managers if managers is not None else default_managers
    end = end if end is not None else default_end
    try:
        if managers > SAMPLE_MAX_MANAGERS:
            raise ValueError(f"--managers {managers:,}: the sample takes at most {SAMPLE_MAX_MANAGERS:,}; make a "
                             "benchmark tree with bench/make_tree.py (bench/README.md)")
        month_range(start, end)
    except ValueError as exc:
        _fail(_usage(exc), False)
    if output.exists() and any(p.name[:2].isdigit() for p in output.iterdir()):
        if not force:
            err.print(f"[bold red]error:[/] {output} already holds month folders; use --force to replace them")
            raise typer.Exit(3)
        for p in output.iterdir():
            if p.is_dir() and p.name[:2].isdigit():
                shutil.rmtree(p)
    paths = importlib.import_module(module).generate(output, seed=seed, managers=managers, start=start, end=end)
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
    except OSError as exc:          # the what-if folder cannot be written: exit 3, no traceback
        from cm_payroll.ledger import output_error
        _fail(output_error(exc, dest), as_json)
    if as_json:
        out.print_json(json.dumps({"ok": True, "exit_code": 0, **summary}, ensure_ascii=False))
    elif not quiet:
        from cm_payroll.i18n import lang
        from cm_payroll.whatif import summary_lines
        for line in summary_lines(summary, lang()):
            out.print(line, highlight=False)


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


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="The branch folder to lay out (created if missing).")],
    rules: Annotated[str, typer.Option("--rules", "-r", help="The built-in rulebook to copy (securities, "
                                       "rcc).")] = "securities",
    year: Annotated[Optional[int], typer.Option(help="The year of the month folders (default: this "
                                                "year).")] = None,
    with_templates: Annotated[bool, typer.Option("--with-templates", help="Also copy the slip templates "
                              "into DIR/templates/ (used automatically when DIR is the --input folder); on a "
                              "folder already scaffolded, only adds them.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the scaffold's own files (README.md, "
                     "rulebook.toml, templates); month folders are never touched.")] = False,
    quiet: QuietOpt = False,
    lang: LangOpt = None,
) -> None:
    """Scaffold a branch: one input folder per month of the year, an editable copy of the rulebook TOML
    (with its comments) and a README for the clerk (in Chinese)."""
    from cm_payroll.scaffold import init_branch
    _lang(lang)
    try:
        sc = init_branch(directory, rules, year=year, force=force, with_templates=with_templates)
    except PayrollError as exc:
        _fail(exc, False)
    if not quiet:
        out.print(t("init.done", dir=sc.root, months=len(sc.months), rules=sc.rulebook.name,
                    readme=sc.readme.name), highlight=False)
        out.print(t("init.next", first=sc.months[0], month=sc.months[0].name, dir=sc.root,
                    rules=sc.rulebook), highlight=False)


help_app = typer.Typer(no_args_is_help=True, help="Reference pages: `cm-payroll help rules`.")
app.add_typer(help_app, name="help")


@help_app.command("rules")
def help_rules(
    rules: RulesOpt = "securities",
    month: Annotated[Optional[str], typer.Option("--month", "-m", help="Show the values in force in this "
                                                 "month, YYYY-MM (default: this month).")] = None,
    lang: LangOpt = None,
) -> None:
    """The rulebook's parameters in force, each with its article, origin (S seed / D default), the month
    it took effect and its value; then the exception types."""
    import datetime as dt

    from cm_payroll.months import fmt_month, parse_month
    from cm_payroll.rulebook import load_rulebook
    _lang(lang)
    try:
        rb = load_rulebook(rules)
        m = parse_month(month) if month else parse_month(dt.date.today().strftime("%Y-%m"))
        used = rb.used(m)
    except PayrollError as exc:
        _fail(exc, False)
    except ValueError as exc:
        _fail(_usage(exc), False)
    table = Table(title=t("rules.title", title=rb.title, month=fmt_month(m), source=rb.source),
                  show_lines=True, title_justify="left")
    for col, style, wrap in (("name", "bold", False), ("article", "cyan", True), ("origin", "", False),
                             ("from", "", False), ("value", "", True), ("description", "dim", True)):
        table.add_column(t(f"rules.col.{col}"), style=style or None, overflow="fold", no_wrap=not wrap,
                         ratio=3 if col == "value" else (2 if col == "description" else None))
    for p in used:
        param = rb.parameters[p["name"]]
        table.add_row(p["name"], p["article"], t(f"rules.origin.{p['origin']}") if p["origin"] in "SD"
                      else p["origin"], p["effective_from"], _rule_value(p["value"], top=True),
                      param.description)
    out.print(table, highlight=False)
    exc_table = Table(title=t("rules.exceptions"), title_justify="left")
    for col in ("code", "label", "article", "approval"):
        exc_table.add_column(t(f"rules.col.{col}"))
    for code, e in rb.exceptions.items():
        exc_table.add_row(code, e.label, e.article, t("yes") if e.approval else t("no"))
    out.print(exc_table, highlight=False)
    path = rb.source.removeprefix("builtin:")
    if rb.source.startswith("builtin:"):
        from cm_payroll.rulebook import builtin_path
        path = str(builtin_path(path))
    out.print(t("rules.footer", path=path), highlight=False, markup=False)


def _rule_value(v, top: bool = False) -> str:
    if isinstance(v, dict):
        return ("\n" if top else ", ").join(f"{k} = {_rule_value(x)}" for k, x in v.items())
    if isinstance(v, list):
        if v and all(isinstance(x, dict) for x in v):
            return "\n".join(_rule_value(x) for x in v)
        return "[" + ", ".join(_rule_value(x) for x in v) + "]"
    return str(v)


def _usage(exc: Exception) -> PayrollError:
    from cm_payroll.errors import UsageError
    return UsageError(str(exc))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        _stop_progress()
        err.print(t("err.interrupted"))
        sys.exit(130)


if __name__ == "__main__":
    main()

__all__ = ["app", "main", "EXIT_INPUT"]
