"""The command line (SPEC 7). Thin: each command parses options, calls one library function
(pipeline.py and friends) and turns its result or error into output and an exit code:
0 success, 1 input errors, 2 usage, 3 refused (closed month, lock held, damaged ledger)."""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
import typer.core
from rich.console import Console, ConsoleDimensions
from typer import _click                      # the Click that Typer vendors
from typer._click.globals import get_current_context
from rich.markup import escape
from rich.table import Table

from cm_payroll import __version__, i18n, units
from cm_payroll.errors import EXIT_INPUT, EXIT_USAGE, InputErrors, Locked, PayrollError
from cm_payroll.i18n import set_lang, t

class _Console(Console):
    """On a terminal, lines wrap at its width; elsewhere (a pipe, a file, cron mail) they never wrap, so
    paths and the commands a message suggests are printed whole."""

    @property
    def size(self) -> ConsoleDimensions:
        size = Console.size.fget(self)
        if self.is_terminal:
            return size
        return ConsoleDimensions(100_000, size.height)     # $COLUMNS too is ignored: nothing wraps

    @size.setter
    def size(self, new_size) -> None:
        Console.size.fset(self, new_size)


class _Group(typer.core.TyperGroup):
    """The command group, with what every command shares before and after Click parses it: the
    language (`--lang` or the environment, also for `--help` and Click's own usage errors), `--json`
    answers for usage errors too, `--wait` with or without a value, and Ctrl-C."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        args = _wait_args(list(sys.argv[1:] if args is None else args))
        as_json = "--json" in args
        set_lang(_lang_in(args))
        i18n.localize_typer()
        _translate_help(self)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _click.exceptions.ClickException as exc:
            code = _usage_failed(exc, args, as_json)
        except typer.Abort:
            code = _interrupted(as_json, args)
        except KeyboardInterrupt:
            code = _interrupted(as_json, args)
        except _Interrupted as exc:
            code = _interrupted(as_json, args, exc.key)
        else:
            if code == 130:          # Typer turns KeyboardInterrupt into exit 130 silently
                code = _interrupted(as_json, args)
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(add_completion=True, no_args_is_help=True, rich_markup_mode="rich", cls=_Group,
                  help="Grade and pay customer managers (客户经理) month by month from back-office "
                       "Excel exports.")
out = _Console()
err = _Console(stderr=True)

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
                       "password (\\[slip_protection] of the rulebook; secret in $CM_PAYROLL_SLIP_SECRET); the "
                       "password list is written next to slips/.")]
RulesChangedOpt = Annotated[bool, typer.Option("--rules-changed", help="Accept a rulebook whose content differs "
                           "from the one this output folder used last; the parameters old → new are listed in "
                           "the exceptions report and in run.json.")]
ByOpt = Annotated[Optional[str], typer.Option("--by", help="Who runs it (the 计算 role of S-Art.32); default "
                  "the operating-system user.")]
LangOpt = Annotated[Optional[str], typer.Option("--lang", help="Language of the messages: zh or en (default "
                    "from $CM_PAYROLL_LANG or the locale).")]
WaitOpt = Annotated[Optional[str], typer.Option("--wait", metavar="[=SECONDS]", help="When another run holds "
                    "the output folder's lock, wait for it to finish (at most SECONDS with --wait=SECONDS) "
                    "instead of refusing.")]


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
    _lang(lang)             # the group has set the language of the command line (or the default) already


# --json: every answer, success or error, is one object with these keys, then the command's own keys
# (on an error, those of its success object, empty): programs read `ok`, `exit_code` and `reason`.
REASONS = ("input_errors", "usage", "closed", "locked", "ledger_damaged", "missing_system_package",
           "output_unwritable", "refused", "interrupted", "different")
_RUN_KEYS = {"rulebook": None, "output_root": None, "months": [], "pending_months": [], "nothing_to_do": False,
             "rulebook_change": [], "output_changes": [], "corrections": [], "signoff_discarded": [],
             "unchanged_months": []}
JSON_KEYS: dict[str, dict] = {
    "sign": {"month": None, "state": None, "signature": None},
    "approve": {"month": None, "recorded": [], "file": None},
    "release": {"month": None, "files": [], "paid": 0, "withheld": 0, "total": None},
    "status": {"output_root": None, "months": [], "pending_corrections": []},
    "audit": {"findings": [], "notes": []},
    "month": _RUN_KEYS, "year": _RUN_KEYS,
    "validate": {"month": None, "files": [], "warnings": []},
    "diff": {"a": None, "b": None, "equal": None, "changes": [], "added": [], "removed": [], "sheets_added": [],
             "sheets_removed": [], "totals": {}},
    "explain": {"month": None, "manager_id": None, "name": None, "branch": None, "version": None, "rulebook": None,
                "status": None, "track": None, "payment_status": None, "components": [], "gross_pay": None,
                "warnings": []},
    "what-if": {"month": None, "rulebook": None, "official_version": None, "months_recomputed": [], "workbook": None,
                "managers": 0, "changed_parameters": [], "total_differences_fen": {}, "per_month": [],
                "months_total_differences_fen": {}},
}


def _envelope(command: str | None, body: dict | None = None, *, exit_code: int = 0, reason: str | None = None,
              error: str | None = None, errors: list | None = None) -> str:
    doc = {"ok": exit_code == 0 or reason == "different", "exit_code": exit_code, "reason": reason,
           "error": error, "errors": errors or []}
    doc.update(json.loads(json.dumps(JSON_KEYS.get(command or "", {}))))
    doc.update(body or {})
    return json.dumps(doc, ensure_ascii=False, default=str)


def _command_name() -> str | None:
    ctx = get_current_context(silent=True)
    return ctx.info_name if ctx is not None else None


def _fail(exc: PayrollError, as_json: bool, command: str | None = None) -> None:
    _stop_progress()
    command = command or _command_name()
    zh = i18n.lang() == "zh"
    if isinstance(exc, InputErrors):
        if as_json:
            out.print_json(_envelope(command, {"month": exc.month}, exit_code=exc.exit_code,
                                     reason=exc.reason, error=i18n.translate(str(exc).split(":\n")[0]),
                                     errors=[i.as_dict() for i in exc.issues]))
        else:
            n = len(exc.issues)
            where = t("err.input.where", month=exc.month) if exc.month else ""
            err.print(f"[bold red]{t('err.input', n=n, where=where)}[/]{t('err.input.sep')}{t('err.input.fix')}",
                      highlight=False)
            for i in exc.issues[:MAX_SHOWN_ERRORS]:
                err.print("  " + i.render("zh" if zh else "en"), markup=False, highlight=False)
            if n > MAX_SHOWN_ERRORS:
                err.print("  " + t("err.more", n=n - MAX_SHOWN_ERRORS), highlight=False)
    else:
        message = i18n.translate(str(exc))
        if as_json:
            out.print_json(_envelope(command, exit_code=exc.exit_code, reason=exc.reason, error=message))
        else:
            # the message holds paths: "[...]" in a folder name is text, not console markup
            err.print(f"[bold red]{t('err.error')}[/]{'' if zh else ' '}{escape(message)}", highlight=False)
    raise typer.Exit(exc.exit_code)


def _wait_args(args: list[str]) -> list[str]:
    """`--wait` stands alone (wait as long as it takes) or carries seconds as `--wait=60`; Click options
    take a value or none, so a bare `--wait` becomes `--wait=inf` here (`--wait 60` would make 60 an
    argument: `year --wait 2013` stays the year 2013)."""
    res = []
    for k, a in enumerate(args):
        if a == "--":
            return res + args[k:]
        res.append("--wait=inf" if a == "--wait" else a)
    return res


def _wait_seconds(value: Optional[str]) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise typer.BadParameter(t("err.wait", value=value), param_hint="--wait")
    return seconds


def _locked_retry(run, wait: float | None, quiet: bool, as_json: bool):
    """`run()`, and while another run holds the lock and `wait` seconds (inf: no limit) are not over, again
    every half second: the lock is the first thing a run takes, so a refused attempt changed nothing."""
    deadline = None if wait is None else time.monotonic() + wait
    said = False
    while True:
        try:
            return run()
        except Locked:
            if deadline is None or time.monotonic() >= deadline:
                raise
            if not said and not quiet and not as_json:
                err.print(t("wait.waiting", limit="" if math.isinf(wait) else t("wait.limit", n=f"{wait:g}")),
                          highlight=False, markup=False)
                said = True
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))


def _lang_in(args: list[str]) -> str | None:
    """The `--lang` of the command line if it names a language (a wrong one is reported by Click)."""
    for k, a in enumerate(args):
        if a == "--":
            break
        value = a.split("=", 1)[1] if a.startswith("--lang=") else (args[k + 1] if a == "--lang" and
                                                                    k + 1 < len(args) else None)
        if value in i18n.LANGS:
            return value
    return None


def _translate_help(group) -> None:
    """The `--help` texts in the language of this run: the English ones are the keys of i18n.HELP_ZH."""
    def walk(cmd) -> None:
        if not hasattr(cmd, "_en_help"):
            cmd._en_help = cmd.help
            for p in cmd.params:
                p._en_help = getattr(p, "help", None)
            cmd.get_help_option = _help_option_of(cmd)
        cmd.help = i18n.help_text(cmd._en_help)
        for p in cmd.params:
            if hasattr(p, "help"):
                p.help = i18n.help_text(p._en_help)
        for sub in getattr(cmd, "commands", {}).values():
            walk(sub)
    walk(group)


def _help_option_of(cmd):
    """Click makes the --help option itself, when a context needs it: its text translated there."""
    made = type(cmd).get_help_option

    def get_help_option(ctx):
        opt = made(cmd, ctx)
        if opt is not None:
            opt._en_help = getattr(opt, "_en_help", opt.help)
            opt.help = i18n.help_text(opt._en_help)
        return opt
    return get_help_option


def _usage_failed(exc, args: list[str], as_json: bool) -> int:
    """A Click usage error (a mistyped option, a missing argument): exit 2, in JSON under --json."""
    code = exc.exit_code
    if exc.__class__.__name__ == "NoArgsIsHelpError":
        return code
    message = i18n.translate(exc.format_message())
    if as_json:
        command = next((a for a in args if a in JSON_KEYS), None)
        out.print_json(_envelope(command, exit_code=code, reason="usage", error=message))
        return code
    from typer import rich_utils
    exc.format_message = lambda: message
    rich_utils.rich_format_error(exc)
    return code


class _Interrupted(Exception):
    """Ctrl-C during a run, with what became of the output folder (the key of its message)."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _interrupted_run(output: Path) -> _Interrupted:
    """Ctrl-C in month/year: nothing was changed, unless the commit was already journaled (the next run
    completes it, as after a kill)."""
    from cm_payroll.ledger import LEDGER
    journaled = (Path(output) / LEDGER / "JOURNAL.json").exists()
    return _Interrupted("err.interrupted.journaled" if journaled else "err.interrupted")


def _interrupted(as_json: bool, args: list[str], key: str = "err.interrupted") -> int:
    _stop_progress()
    if as_json:
        command = next((a for a in args if a in JSON_KEYS), None)
        out.print_json(_envelope(command, exit_code=130, reason="interrupted", error=t(key)))
    else:
        err.print(t(key), highlight=False, markup=False)
    return 130


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


def _print_summary(summary, quiet: bool, as_json: bool, passwords: str | None = None,
                   forced: bool = False) -> None:
    _stop_progress()
    if as_json:
        out.print_json(_envelope(_command_name(), summary.as_dict()))
        return
    if quiet:
        return
    if forced:
        out.print(t("out.no_differences", months=", ".join(m.month for m in summary.months)),
                  highlight=False, markup=False)
    for x in summary.output_changes:
        err.print(t("out.output_changed", month=x["month"], file=x["file"], change=t(f"change.{x['change']}")),
                  highlight=False, markup=False)
    if summary.rulebook_change:
        out.print(t("out.rulebook_changed", n=len(summary.rulebook_change)), highlight=False, markup=False)
    for d in getattr(summary, "signoff_discarded", []):
        err.print(t("life.discarded", **d), highlight=False, markup=False)
    for c in getattr(summary, "corrections", []):
        out.print(t("life.correction", kind="补发" if c["amount"] > 0 else "追回", manager=c["manager_id"],
                    amount=units.yuan(abs(c["amount"])), corrects=c["corrects"],
                    booked=c["booked_in"] or t("life.correction_next")), highlight=False, markup=False)
    if getattr(summary, "unchanged", []):
        out.print(t("life.unchanged", months=", ".join(summary.unchanged)), highlight=False, markup=False)
    if not summary.months:
        out.print(t("out.nothing_to_do"), highlight=False, markup=False)
        if summary.pending:
            out.print(t("out.pending", months=", ".join(summary.pending)), highlight=False, markup=False)
        return
    table = Table(title=t("table.title", rulebook=summary.rulebook), show_lines=False)
    from cm_payroll.lifecycle import STATE_ZH
    for col in ("month", "version", "state", "managers", "exceptions", "gross", "folder"):
        head = t("life.col.state") if col == "state" else t(f"col.{col}")
        table.add_column(head, justify="right" if col not in ("month", "folder", "state") else "left")
    for m in summary.months:
        table.add_row(m.month, str(m.version), _state(m.state), str(m.managers), str(m.exceptions),
                      units.yuan(m.gross_total_fen), escape(str(m.folder)))
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
    force: Annotated[bool, typer.Option("--force", help="Recompute a signed or released month (a draft "
                                        "needs none): a signed month's signatures are discarded; a released "
                                        "month's differences are booked as corrections in the first month not "
                                        "released. Earlier outputs are kept as numbered versions.")] = False,
    by: ByOpt = None,
    paid_through: Annotated[Optional[str], typer.Option("--paid-through", help="On a new output folder: the "
                            "months up to this one, YYYY-MM, were paid outside the tool; they are marked "
                            "released (without signatures) as they are computed.")] = None,
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
    wait: WaitOpt = None,
) -> None:
    """Compute one month's payroll. On a new output folder every earlier month that has an input
    folder is computed first, from the earliest (or from --start)."""
    from cm_payroll import pipeline
    _lang(lang)
    seconds = _wait_seconds(wait)
    if what_if is not None:
        _what_if(month, input, output, rules, what_if, force, quiet, as_json)
        return
    try:
        summary = _locked_retry(lambda: pipeline.run_month(
            month, input, output, rules, force=force, report=_reporter(quiet, as_json), formats=slip_format,
            templates=templates, protect_slips=protect_slips, start=start, rules_changed=rules_changed,
            by=by, paid_through=paid_through),
            seconds, quiet, as_json)
    except PayrollError as exc:
        _fail(exc, as_json)
    except ValueError as exc:
        _fail(_usage(exc), as_json)
    except KeyboardInterrupt:
        raise _interrupted_run(output) from None
    _print_summary(summary, quiet, as_json, _password_list(rules) if protect_slips else None,
                   forced=force and _same_as_before(summary))


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
    by: ByOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
    wait: WaitOpt = None,
) -> None:
    """Compute every month of a year that has input files, in order. Months already computed with
    unchanged inputs are left as they are; months whose folders are still empty are pending."""
    from cm_payroll import pipeline
    _lang(lang)
    seconds = _wait_seconds(wait)
    try:
        summary = _locked_retry(lambda: pipeline.run_year(
            year, input, output, rules, report=_reporter(quiet, as_json), formats=slip_format,
            templates=templates, protect_slips=protect_slips, rules_changed=rules_changed, by=by),
            seconds, quiet, as_json)
    except PayrollError as exc:
        _fail(exc, as_json)
    except ValueError as exc:
        _fail(_usage(exc), as_json)
    except KeyboardInterrupt:
        raise _interrupted_run(output) from None
    _print_summary(summary, quiet, as_json, _password_list(rules) if protect_slips else None)


def _same_as_before(summary) -> bool:
    """After `month --force`: whether every recomputed month's payroll summary and exceptions report are
    byte for byte those of the version it replaced (kept under history/<M>/v<N>/): nothing differs."""
    for m in summary.months:
        old = summary.output_root / "history" / m.month / f"v{m.version - 1}"
        for name in (f"payroll_{m.month}.xlsx", f"exceptions_{m.month}.xlsx"):
            try:
                if (old / name).read_bytes() != (m.folder / name).read_bytes():
                    return False
            except OSError:
                return False
    return bool(summary.months)


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
        out.print_json(_envelope("validate", {"month": month, "files": inputs.files(),
                                              "warnings": [w.message for w in inputs.warnings]}))
    elif not quiet:
        for f in inputs.files():
            out.print(t("validate.ok", file=f["file"], rows=f["rows"]), highlight=False, markup=False)
        for w in inputs.warnings:
            out.print(t("validate.warning", message=i18n.translate(w.message)), highlight=False, markup=False)


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
        err.print(f"[bold red]{t('err.error')}[/]{t('err.input.sep')}{escape(t('sample.no_generator', rules=rules))}")
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
            err.print(f"[bold red]{t('err.error')}[/]{t('err.input.sep')}{escape(t('sample.exists', path=output))}")
            raise typer.Exit(3)
        for p in output.iterdir():
            if p.is_dir() and p.name[:2].isdigit():
                shutil.rmtree(p)
    paths = importlib.import_module(module).generate(output, seed=seed, managers=managers, start=start, end=end)
    if not quiet:
        out.print(t("sample.done", n=len(paths), path=output), highlight=False, markup=False)


def _what_if(month: str, input: Path, output: Path, rules: str, dest: Path, force: bool, quiet: bool,
             as_json: bool) -> None:
    from cm_payroll.errors import UsageError
    from cm_payroll.whatif import what_if
    try:
        if force:
            raise UsageError("--what-if and --force cannot be combined")
        summary = what_if(month, input, output, rules, dest)
    except PayrollError as exc:
        _fail(exc, as_json, "what-if")
    except ValueError as exc:
        _fail(_usage(exc), as_json, "what-if")
    except OSError as exc:          # the what-if folder cannot be written: exit 3, no traceback
        from cm_payroll.ledger import output_error
        _fail(output_error(exc, dest), as_json, "what-if")
    if as_json:
        out.print_json(_envelope("what-if", summary))
    elif not quiet:
        from cm_payroll.i18n import lang
        from cm_payroll.whatif import summary_lines
        for line in summary_lines(summary, lang()):
            out.print(line, highlight=False, markup=False)


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
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and warnings (an input "
                     "file changed since the run).")] = False,
    lang: LangOpt = None,
) -> None:
    """Explain every number of one manager's pay: rule and article, parameters (with the date each took
    effect) and the input rows (file, sheet, row) it came from."""
    from cm_payroll.explain import explain as do_explain
    from cm_payroll.explain import render_tree
    _lang(lang)
    try:
        doc = do_explain(output, month, manager_id, input, version)
    except PayrollError as exc:
        _fail(exc, as_json)
    if as_json:
        out.print_json(_envelope("explain", doc))
    elif quiet:
        for w in doc.get("warnings", []):
            err.print(t("validate.warning", message=i18n.translate(str(w))), highlight=False, markup=False)
    else:
        out.print(render_tree(doc, i18n.lang()))


@app.command()
def diff(
    a: Annotated[Path, typer.Argument(help="The earlier workbook (payroll summary, exceptions or slip).")],
    b: Annotated[Path, typer.Argument(help="The later workbook to compare with it.")],
    tolerance: Annotated[str, typer.Option("--tolerance", help="Money differences up to this amount "
                         "(元) count as equal.")] = "0",
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    lang: LangOpt = None,
) -> None:
    """Reconcile two output workbooks cell by cell: rows matched by 工号, changes shown old → new,
    added and removed managers, totals of the differences. Exit 0 when equal, 1 when different."""
    from cm_payroll.diff import diff_workbooks, parse_tolerance, render
    _lang(lang)
    try:
        res = diff_workbooks(a, b, parse_tolerance(tolerance))
    except PayrollError as exc:
        _fail(exc, as_json)
    except ValueError as exc:
        _fail(_usage(exc), as_json)
    if as_json:
        out.print_json(_envelope("diff", res.as_dict(), exit_code=0 if res.equal else 1,
                                 reason=None if res.equal else "different"))
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


# ------------------------------------------------------------------------------ the month's life

MonthArg = Annotated[str, typer.Argument(help="The month, YYYY-MM.")]
RootOpt = Annotated[Path, typer.Option("--output", "-o", help="The output root of the month.")]


def _state(state: str) -> str:
    from cm_payroll.i18n import lang
    from cm_payroll.lifecycle import STATE_ZH
    return STATE_ZH.get(state, state) if lang() == "zh" else state


def _json_ok(obj: dict) -> None:
    out.print_json(_envelope(_command_name(), obj))


def _life(fn, as_json: bool):
    try:
        return fn()
    except PayrollError as exc:
        _fail(exc, as_json)
    except ValueError as exc:
        _fail(_usage(exc), as_json)


@app.command()
def sign(
    month: MonthArg,
    role: Annotated[str, typer.Option("--role", help="审核 (review), 复核 (recheck) or 签批 (approve), in this order.")],
    by: Annotated[str, typer.Option("--by", help="The name of the person who signs.")],
    output: RootOpt = Path("output"),
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Sign a computed month (S-Art.32): 审核, then 复核, then 签批, each by another person. Refused when an
    output file was edited or deleted since the run, or (签批) while a case that needs an approval has no
    审批号."""
    from cm_payroll import lifecycle
    _lang(lang)
    e = _life(lambda: lifecycle.sign(output, month, role, by), as_json)
    s = e.signatures[-1]
    if as_json:
        _json_ok({"month": month, "state": e.state, "signature": {k: s[k] for k in ("role", "by", "at", "version")}})
    elif not quiet:
        out.print(t("life.signed", month=month, role=s["role"], by=s["by"], state=_state(e.state)),
                  highlight=False, markup=False)


@app.command()
def approve(
    month: MonthArg,
    file: Annotated[Path, typer.Option("--file", "-f", help="Approvals: 工号, 类型代码, 项目, 审批号, 说明 "
                                       "(.xlsx, .xls, .csv, .ods or .parquet).")],
    output: RootOpt = Path("output"),
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Record approvals (S-Art.34) of a computed month's cases that need one, until 签批. They are kept in
    the ledger and listed in approvals_YYYY-MM.xlsx beside the month's outputs."""
    from cm_payroll import lifecycle
    _lang(lang)
    new = _life(lambda: lifecycle.approve(output, month, file), as_json)
    path = output / month / lifecycle.approvals_file(month)
    if as_json:
        _json_ok({"month": month, "recorded": new, "file": str(path)})
    elif not quiet:
        out.print(t("life.approved", month=month, n=len(new), path=path) if new else
                  t("life.approved_none", month=month), highlight=False, markup=False)


@app.command()
def release(
    month: MonthArg,
    output: RootOpt = Path("output"),
    by: ByOpt = None,
    withheld: Annotated[Optional[str], typer.Option("--withheld", help="Release the withheld pay of this 工号 "
                        "(a released month; the handover done).")] = None,
    approval: Annotated[Optional[str], typer.Option("--approval", help="The 审批号 releasing the withheld pay.")] = None,
    input: Annotated[Optional[Path], typer.Option("--input", "-i", help="Input root, for the roster's 银行账号 "
                     "(default: the folder the run read).")] = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Release an approved month (its earlier months released): writes 资金申请单 (fund request per branch)
    and 发放清单 (payment list; withheld managers apart) beside its outputs."""
    from cm_payroll import lifecycle
    from cm_payroll.pipeline import os_user
    _lang(lang)
    who = by or os_user()
    if withheld is not None:
        if not approval:
            _fail(_usage(ValueError("--withheld needs --approval REF (the 审批号 that releases the pay)")), as_json)
        r = _life(lambda: lifecycle.release_withheld(output, month, withheld, approval, who), as_json)
        if as_json:
            _json_ok({**r, "amount": units.yuan(r.pop("amount_fen"), grouped=False)})
        elif not quiet:
            out.print(t("life.released_withheld", month=month, manager=withheld, amount=units.yuan(r["amount_fen"]),
                        path=output / month / r["file"]), highlight=False, markup=False)
        return
    r = _life(lambda: lifecycle.release(output, month, who, input), as_json)
    if as_json:
        _json_ok({**{k: v for k, v in r.items() if k != "total_fen"}, "total": units.yuan(r["total_fen"], grouped=False),
                  "files": [str(output / month / f) for f in r["files"]]})
    elif not quiet:
        out.print(t("life.released", month=month, paid=r["paid"], withheld=r["withheld"],
                    total=units.yuan(r["total_fen"])), highlight=False, markup=False)
        for f in r["files"]:
            out.print(t("life.file", path=output / month / f), highlight=False, markup=False)


@app.command()
def status(
    month: Annotated[Optional[str], typer.Argument(help="One month, YYYY-MM (default: every month).")] = None,
    output: RootOpt = Path("output"),
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Each computed month's state, signatures, open approvals and corrections."""
    from cm_payroll import lifecycle
    _lang(lang)
    st = _life(lambda: lifecycle.status(output, month), as_json)
    if as_json:
        _json_ok(st)
        return
    table = Table(title=t("life.title", root=escape(str(output))))
    for key in ("col.month", "col.version", "life.col.state", "life.col.by", "life.col.signatures",
                "life.col.open", "life.col.corrections"):
        table.add_column(t(key))
    for m in st["months"]:
        sigs = ", ".join(f"{s['role']} {s['by']} {s['at'][:10]}" for s in m["signatures"])
        table.add_row(m["month"], str(m["version"]), _state(m["state"]), escape(m["prepared_by"] or ""),
                      escape(sigs), str(len(m["open_approvals"])),
                      f"{m['corrections_booked']} ({m['corrections_total']})" if m["corrections_booked"] else "")
    out.print(table)
    if st["pending_corrections"]:
        out.print(t("life.pending", n=len(st["pending_corrections"])), highlight=False, markup=False)


@app.command()
def audit(
    roots: Annotated[list[Path], typer.Argument(help="Output roots (one per branch) to check.")],
    input: Annotated[Optional[Path], typer.Option("--input", "-i", help="Input root of the months (default: "
                     "the folder each run read, from run.json).")] = None,
    report: Annotated[Optional[Path], typer.Option("--report", help="Write the findings to this workbook "
                      "(.xlsx): one consolidated report for every root.")] = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Spot-check output roots (S-Art.35): ledger, outputs against their signatures, inputs and a
    recomputation, approvals, sign-off. Exit 0 when clean, 1 with findings."""
    from cm_payroll import lifecycle
    from cm_payroll.ledger import write_atomic
    _lang(lang)
    findings = _life(lambda: lifecycle.audit(roots, input), as_json)
    if report is not None:
        try:
            write_atomic(report, lifecycle.audit_workbook(findings, roots))
        except OSError as exc:
            from cm_payroll.errors import UsageError
            _fail(UsageError(f"--report {report}: {exc.strerror or exc}"), as_json)
    n = sum(1 for f in findings if f.kind == "finding")
    if as_json:
        out.print_json(_envelope("audit", {"findings": [vars(f) for f in findings if f.kind == "finding"],
                                           "notes": [vars(f) for f in findings if f.kind == "note"]},
                                 exit_code=1 if n else 0, reason="findings" if n else None))
    else:
        if not quiet or n:
            for f in findings:
                if f.kind == "finding" or not quiet:
                    (err if f.kind == "finding" else out).print(
                        f"{'!' if f.kind == 'finding' else '·'} {f.root} {f.month} [{lifecycle.CHECK_ZH.get(f.check, f.check)}] "
                        f"{f.item}: {f.message}", highlight=False, markup=False)
        if not quiet:
            out.print(t("life.audit_findings", n=n, notes=len(findings) - n) if n else
                      t("life.audit_clean", roots=len(roots), notes=len(findings)), highlight=False, markup=False)
            if report is not None:
                out.print(t("life.report", path=report), highlight=False, markup=False)
    raise typer.Exit(1 if n else 0)



def _usage(exc: Exception) -> PayrollError:
    from cm_payroll.errors import UsageError
    return UsageError(str(exc))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:            # between Click's own handling and the exit
        sys.exit(_interrupted("--json" in sys.argv, sys.argv[1:]))


if __name__ == "__main__":
    main()

__all__ = ["app", "main", "EXIT_INPUT"]
