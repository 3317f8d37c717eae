"""One run, end to end: load → validate → aggregate → rules → ledger → render (SPEC 7).

Everything is computed in memory first (all months of the run); only when every month succeeded is
anything written, through the ledger's staged, journaled commit. A failing run writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import polars as pl

from cm_payroll import __version__
from cm_payroll.context import EXCEPTION_SCHEMA, MonthContext, MonthResult
from cm_payroll.errors import InputErrors, InputIssue, RefusedError, UsageError
from cm_payroll.faults import point
from cm_payroll.ledger import (Ledger, Lock, MonthEntry, StagedMonth, commit, dumps, head_document,
                               new_staging, output_error, sha256_bytes, write_month_files)
from cm_payroll.months import fmt_month, january_of, parse_month
from cm_payroll.render.documents import RenderOptions, make_options
from cm_payroll.render.parallel import render_slips
from cm_payroll.render.tables import exceptions_report, summary_workbook
from cm_payroll.rulebook import Rulebook, load_rulebook
from cm_payroll.rulebooks import module_for
from cm_payroll.validate import MonthInputs, load_month

Reporter = Callable[[str, str], None]
# A reporter may also have .tick(stage, month, done, total) (per-slip progress).

# The slip options (formats, templates, protection) of the run in progress; set by run_month so that
# every path to render_month (re-runs through corrections.py too) writes the same formats.
_RENDER: ContextVar[RenderOptions | None] = ContextVar("cm_payroll_render_options", default=None)


@dataclass
class MonthOutcome:
    month: str
    version: int
    folder: Path
    managers: int
    exceptions: int
    gross_total_fen: int
    totals: dict[str, int]
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"month": self.month, "version": self.version, "folder": str(self.folder),
                "managers": self.managers, "exceptions": self.exceptions,
                "gross_total": _yuan_str(self.gross_total_fen),
                "totals": {k: _yuan_str(v) for k, v in self.totals.items()}}


@dataclass
class RunSummary:
    rulebook: str
    output_root: Path
    months: list[MonthOutcome]

    def as_dict(self) -> dict:
        return {"rulebook": self.rulebook, "output_root": str(self.output_root),
                "months": [m.as_dict() for m in self.months]}


def _yuan_str(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _noop(stage: str, month: str) -> None:
    pass


@dataclass
class Computed:
    month: int
    inputs: MonthInputs
    result: MonthResult
    ctx: MonthContext
    stage_seconds: dict[str, float]


# ------------------------------------------------------------------------------------------- planning

def _months_to_run(ledger: Ledger, m: int, input_dir: Path, force: bool) -> list[int]:
    name = fmt_month(m)
    last = ledger.last_month()
    if ledger.closed(name):
        if not force:
            raise RefusedError(
                f"{name} is already closed (version {ledger.months[name].version}). To recompute it from "
                f"corrected inputs run `cm-payroll month {name} --force`: the earlier outputs are kept as a "
                f"numbered version and the differences are booked as corrections in the next open month")
        return [m]
    if last is not None and last > name:
        raise RefusedError(f"{name} is not closed but the later month {last} is: months are computed in "
                           f"order. Use a new output folder, or re-run a closed month with --force")
    months = []
    for k in range(january_of(m), m):
        mk = fmt_month(k)
        if (input_dir / mk).is_dir() and not ledger.closed(mk) and (last is None or mk > last):
            months.append(k)
    return months + [m]


# ------------------------------------------------------------------------------------------- compute

def compute(rb: Rulebook, mod: ModuleType, months: list[int], input_dir: Path, state: pl.DataFrame,
            first_month: int, corrections: dict[int, pl.DataFrame], report: Reporter,
            aux: dict[str, pl.DataFrame] | None = None) -> list[Computed]:
    """Compute months in order from `state`; every input error of every month is collected before
    giving up (later months are still validated; only their rules need the earlier months)."""
    out: list[Computed] = []
    all_issues: list[InputIssue] = []
    aux = dict(aux or {})
    first_bad = ""
    for i, m in enumerate(months):
        name = fmt_month(m)
        times: dict[str, float] = {}
        t0 = time.perf_counter()
        report("load", name)
        inputs, issues = load_month(input_dir / name, m, mod.FILES, rb.sheet, mod.TRACKS, rb.at(m).get("input_limits"))
        times["load+validate"] = time.perf_counter() - t0
        if issues:
            all_issues += issues
            first_bad = first_bad or name
            continue
        if all_issues:
            continue
        ctx = MonthContext(month=m, first_month=first_month, rulebook=rb, params=rb.at(m),
                           corrections=corrections.get(m), aux=aux)
        issues = mod.check_month(inputs, state, ctx)
        if issues:
            all_issues += issues
            first_bad = first_bad or name
            continue
        t1 = time.perf_counter()
        report("rules", name)
        try:
            result = mod.compute_month(inputs, state, ctx)
        except InputErrors as exc:
            all_issues += exc.issues
            first_bad = first_bad or name
            continue
        times["rules"] = time.perf_counter() - t1
        result.exceptions = finalize_exceptions(result.exceptions, rb)
        state = result.state
        aux = result.aux
        out.append(Computed(m, inputs, result, ctx, times))
    if all_issues:
        raise InputErrors(all_issues, first_bad or None)
    return out


CORRECTION_SCHEMA = {"manager_id": pl.String, "amount": pl.Int64, "corrects": pl.String, "note": pl.String}


def corrections_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=CORRECTION_SCHEMA, orient="row")


def finalize_exceptions(exc: pl.DataFrame, rb: Rulebook) -> pl.DataFrame:
    """Article, label and approval flag from the rulebook's exception table; sorted for the report."""
    codes = list(rb.exceptions)
    order = {c: i for i, c in enumerate(codes)}
    meta = pl.DataFrame({
        "type": codes,
        "_article": [rb.exceptions[c].article for c in codes],
        "_approval": [rb.exceptions[c].approval for c in codes],
        "_order": [order[c] for c in codes],
    })
    unknown = set(exc.get_column("type").unique().to_list()) - set(codes)
    if unknown:
        raise UsageError(f"rulebook {rb.source}: [exceptions] lacks {', '.join(sorted(unknown))}")
    out = exc.join(meta, on="type", how="left").with_columns(
        pl.when(pl.col("article") == "").then(pl.col("_article")).otherwise(pl.col("article")).alias("article"),
        (pl.col("approval_needed") | pl.col("_approval")).alias("approval_needed"),
    ).sort(["_order", "manager_id", "description"], nulls_last=True)
    return out.select(list(EXCEPTION_SCHEMA))


# ------------------------------------------------------------------------------------------- render

def render_month(c: Computed, rb: Rulebook, mod: ModuleType, dest: Path, version: int,
                 meta: dict, options: RenderOptions | None = None) -> dict[str, str]:
    """Write the month's outputs into `dest`; return {relative path: sha256}. `options`: slip formats,
    templates and protection (default: those of the run in progress, else xlsx slips only)."""
    name = fmt_month(c.month)
    p = mod.build_params(c.ctx.params)
    dest.mkdir(parents=True, exist_ok=True)
    hashes: dict[str, str] = {}

    def put(rel: str, data: bytes) -> None:
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        hashes[rel] = sha256_bytes(data)

    frame, columns = mod.summary(c.result.pay, p)
    put(f"payroll_{name}.xlsx", summary_workbook(f"{rb.title} {name} 工资汇总", frame, columns,
                                                 gross_key=mod.COMPONENTS[-1][0], rank_key=mod.COMPONENTS[0][0]))
    put(f"exceptions_{name}.xlsx", exceptions_workbook(c.result.exceptions, rb, name))
    t = time.perf_counter()
    # every core (worker processes) for a big month; the files and their order are those of one process
    render_slips(mod.slips, c.result.pay, c.month, p, name, dest, put, hashes, options or _RENDER.get(), rb.title)
    c.stage_seconds["slips"] = time.perf_counter() - t
    run = run_document(c, rb, mod, version, hashes, meta)
    put("run.json", dumps(run))
    return hashes


def exceptions_workbook(exc: pl.DataFrame, rb: Rulebook, name: str) -> bytes:
    labels = {code: e.label for code, e in rb.exceptions.items()}
    frame = exc.with_columns(
        pl.col("type").replace_strict(labels, default=pl.col("type")).alias("type_zh"),
        pl.when(pl.col("approval_needed")).then(pl.lit("是")).otherwise(pl.lit("否")).alias("approval_zh"),
    )
    columns = [("manager_id", "工号", "text"), ("name", "姓名", "text"), ("type_zh", "类型", "text"),
               ("article", "条款", "text"), ("description", "说明", "text"), ("amount", "金额影响", "money"),
               ("approval_zh", "需审批", "text"), ("approval_ref", "审批号", "text"),
               ("type", "类型代码", "text")]
    types = [(code, e.label, e.article) for code, e in rb.exceptions.items()]
    return exceptions_report(f"{rb.title} {name} 例外事项报告", frame, columns, types, sheet="例外事项")


def run_document(c: Computed, rb: Rulebook, mod: ModuleType, version: int, hashes: dict[str, str],
                 meta: dict) -> dict:
    pay = c.result.pay
    keys = [k for k, _, _ in mod.COMPONENTS]
    totals = {k: int(pay.get_column(k).sum() or 0) for k in keys}
    by_status = dict(pay.group_by("status").len().sort("status").iter_rows())
    exc_counts = dict(c.result.exceptions.group_by("type").len().sort("type").iter_rows())
    return {
        "tool": f"cm-payroll {__version__}",
        "month": fmt_month(c.month),
        "version": version,
        "rulebook": {"id": rb.id, "title": rb.title, "source": rb.source, "sha256": rb.sha256},
        "parameters": rb.used(c.month),
        "inputs": c.inputs.files(),
        "outputs": [{"file": k, "sha256": v} for k, v in sorted(hashes.items())],
        "counts": {"managers": pay.height, "by_status": by_status, "exceptions": exc_counts},
        "totals": {k: _yuan_str(v) for k, v in totals.items()},
        "run": meta,
    }


# ------------------------------------------------------------------------------------------- run

def run_month(month: str, input_dir: Path, output_dir: Path, rules: str = "securities",
              force: bool = False, report: Reporter = _noop, *, formats: str | tuple[str, ...] | None = None,
              templates: Path | None = None, protect_slips: bool = False) -> RunSummary:
    """One month (and the earlier months of its year that have inputs but no ledger yet). `formats`:
    slip formats, e.g. "xlsx,html,pdf" (default xlsx); `templates`: a folder of slip templates that
    override the built-in ones; `protect_slips`: encrypt slips (rulebook [slip_protection])."""
    parse_month(month)
    rb = load_rulebook(rules)
    opts = make_options(formats, templates, Path(input_dir), protect_slips, rb.raw,
                        progress=getattr(report, "tick", None))
    token = _RENDER.set(opts)
    try:
        return _run_month(month, input_dir, output_dir, rules, force, report)
    except OSError as exc:
        # A full disk, a read-only or forbidden output folder: a clear refusal (exit 3), never a
        # traceback; write_run has already removed its staging folder unless the commit was journaled.
        raise _os_error(exc, Path(input_dir), Path(output_dir)) from None
    finally:
        _RENDER.reset(token)


def _os_error(exc: OSError, input_dir: Path, output_dir: Path) -> Exception:
    name = str(exc.filename or "")
    if name and not os.path.realpath(name).startswith(os.path.realpath(output_dir) + os.sep) \
            and os.path.realpath(name) != os.path.realpath(output_dir):
        cause = exc.strerror or str(exc)
        if os.path.realpath(name).startswith(os.path.realpath(input_dir)):
            return InputErrors([InputIssue(name, message=f"cannot read: {cause}")])
        return UsageError(f"{name}: {cause}")
    return output_error(exc, output_dir)


def _run_month(month: str, input_dir: Path, output_dir: Path, rules: str = "securities",
               force: bool = False, report: Reporter = _noop) -> RunSummary:
    m = parse_month(month)
    rb = load_rulebook(rules)
    mod = module_for(rb.id)
    input_dir, output_dir = Path(input_dir), Path(output_dir)
    if not input_dir.is_dir():
        raise UsageError(f"--input {input_dir}: no such folder")
    output_dir.mkdir(parents=True, exist_ok=True)
    with Lock(output_dir):
        ledger = Ledger.open(output_dir)
        point("locked")
        if ledger.rulebook_id and ledger.rulebook_id != rb.id:
            raise RefusedError(f"{output_dir} holds a {ledger.rulebook_id} ledger; this run uses the {rb.id} "
                               f"rulebook. Use another output folder")
        months = _months_to_run(ledger, m, input_dir, force)
        if ledger.closed(fmt_month(m)):     # --force on a closed month (SPEC 6)
            from cm_payroll.corrections import rerun_closed
            return rerun_closed(ledger, rb, mod, m, input_dir, output_dir, report)
        report("plan", ",".join(fmt_month(k) for k in months))
        first = parse_month(ledger.first_month) if ledger.first_month else months[0]
        _, state = ledger.state_before(fmt_month(months[0]))
        if state is None:
            state = mod.empty_state()
        # Corrections booked by re-runs go into the next open month: the first month of this run.
        pending = ledger.pending_corrections
        corr = {months[0]: corrections_frame(pending)} if pending else {}
        computed = compute(rb, mod, months, input_dir, state, first, corr, report,
                           ledger.aux_before(fmt_month(months[0])))
        # A correction for a manager not on the roster of that month stays pending (nothing is lost).
        left = []
        if pending:
            paid_ids = set(computed[0].result.pay.get_column("manager_id").to_list())
            left = [r for r in pending if r["manager_id"] not in paid_ids]
        outcomes = write_run(ledger, rb, mod, computed, output_dir, fmt_month(first), input_dir, report,
                             pending_after=left)
        return RunSummary(rb.id, output_dir, outcomes)


def write_run(ledger: Ledger, rb: Rulebook, mod: ModuleType, computed: list[Computed], output_dir: Path,
              first_month: str, input_dir: Path, report: Reporter, pending_after: list[dict]) -> list[MonthOutcome]:
    run_id = uuid.uuid4().hex[:12]
    staging = new_staging(output_dir, run_id)
    meta = {"at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "host": platform.node(),
            "user": os.environ.get("USER", ""), "input_dir": str(input_dir.resolve()),
            "output_dir": str(output_dir.resolve()), "run_id": run_id}
    months = dict(ledger.months)
    staged, outcomes = [], []
    prev_sha = None
    earlier = [x for x in months if x < fmt_month(computed[0].month)]
    if earlier:
        prev_sha = months[max(earlier)].manifest_sha256
    try:
        for c in computed:
            name = fmt_month(c.month)
            version = (max(ledger.versions(name)) + 1) if ledger.versions(name) else 1
            report("write", name)
            out_dir = staging / "out" / name
            t = time.perf_counter()
            hashes = render_month(c, rb, mod, out_dir, version, meta)
            c.stage_seconds["render"] = time.perf_counter() - t
            frames = {"state": c.result.state, "pay": c.result.pay, "exceptions": c.result.exceptions}
            frames.update({f"aux_{k}": v for k, v in c.result.aux.items()})
            if c.ctx.corrections is not None:
                frames["corrections"] = c.ctx.corrections
            manifest = {
                "month": name, "version": version, "rulebook_id": rb.id, "rulebook_sha256": rb.sha256,
                "rulebook_source": rb.source, "inputs": c.inputs.files(), "outputs": hashes,
                "previous_manifest_sha256": prev_sha,
            }
            led_dir = staging / "ledger" / name
            sha = write_month_files(led_dir, frames, manifest)
            prev_sha = sha
            months[name] = MonthEntry(name, version, sha)
            staged.append(StagedMonth(name, version, led_dir, out_dir))
            pay = c.result.pay
            totals = {k: int(pay.get_column(k).sum() or 0) for k, _, _ in mod.COMPONENTS}
            outcomes.append(MonthOutcome(name, version, output_dir / name, pay.height,
                                         c.result.exceptions.height, totals.get("gross_pay", 0), totals,
                                         c.stage_seconds))
        head = head_document(rb.id, first_month, months, pending_after)
        report("commit", fmt_month(computed[-1].month))
        commit(output_dir, ledger, staged, head, staging)
    except BaseException:
        # Before the journal exists nothing was changed: drop the staging folder. After, the next
        # run rolls the commit forward from the journal and the staging folder.
        if not (output_dir / ".ledger" / "JOURNAL.json").exists():
            import shutil
            shutil.rmtree(staging, ignore_errors=True)
        raise
    return outcomes


def run_year(year: int, input_dir: Path, output_dir: Path, rules: str = "securities",
             report: Reporter = _noop, **slip_options) -> RunSummary:
    """Every month of the year that has inputs and is not closed yet, in order."""
    input_dir = Path(input_dir)
    months = [fmt_month(year * 12 + k) for k in range(12) if (input_dir / fmt_month(year * 12 + k)).is_dir()]
    if not months:
        raise UsageError(f"--input {input_dir}: no month folders of {year} (expected {year}-01 … {year}-12)")
    return run_month(months[-1], input_dir, output_dir, rules, force=False, report=report, **slip_options)


def validate_month(month: str, input_dir: Path, rules: str = "securities") -> MonthInputs:
    """Inputs only (SPEC 7 `validate`): raises InputErrors with every error, writes nothing."""
    m = parse_month(month)
    rb = load_rulebook(rules)
    mod = module_for(rb.id)
    inputs, issues = load_month(Path(input_dir) / month, m, mod.FILES, rb.sheet, mod.TRACKS, rb.at(m).get("input_limits"))
    if not issues:
        ctx = MonthContext(month=m, first_month=m, rulebook=rb, params=rb.at(m))
        issues = mod.check_month(inputs, mod.empty_state(), ctx)
    if issues:
        raise InputErrors(issues, month)
    return inputs


def load_result(output_dir: Path, month: str, what: str = "pay", version: int | None = None) -> pl.DataFrame:
    """A closed month's frame from the ledger (pay, exceptions, state)."""
    led = Ledger.open(Path(output_dir))
    if not led.closed(month):
        raise UsageError(f"{month} is not closed in {output_dir}")
    return led.read(month, what, version)


__all__ = ["RunSummary", "json", "load_result", "run_month", "run_year", "validate_month"]
