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
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import polars as pl

from cm_payroll import __version__, units
from cm_payroll.rulebooks.base import EXCEPTION_SCHEMA, MonthContext, MonthResult
from cm_payroll.errors import InputErrors, InputIssue, RefusedError, UsageError
from cm_payroll.faults import point
from cm_payroll.ledger import (Ledger, MonthEntry, StagedMonth, commit, dumps, head_document,
                               new_staging, output_error, pending_digest, sha256_bytes, stage_rulebook,
                               run_lock, write_month_files)
from cm_payroll.load import find_file
from cm_payroll.months import fmt_month, parse_month
from cm_payroll.corrections import CORRECTION_SCHEMA, corrections_frame, gross_differences
from cm_payroll.plan import Plan, file_sha256, month_folders, plan_month, plan_year
from cm_payroll.render.documents import RenderOptions, make_options
from cm_payroll.render.parallel import render_slips
from cm_payroll.render.protect import write_private
from cm_payroll.render.tables import exceptions_report, summary_workbook
from cm_payroll.rulebook import Rulebook, load_rulebook, parameter_changes, rulebook_from_bytes
from cm_payroll.rulebooks import module_for
from cm_payroll.rulebooks.shared import approvals as approvals_
from cm_payroll.rulebooks.shared.opening import OPENING_STEM
from cm_payroll.rulebooks.tax.apply import LISTED_WHEN_PRESENT, apply_tax
from cm_payroll.validate import MonthInputs, Warning_, load_month

Reporter = Callable[[str, str], None]
# A reporter may also have .tick(stage, month, done, total) (per-slip progress).


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
    state: str = "draft"

    def as_dict(self) -> dict:
        return {"month": self.month, "version": self.version, "state": self.state, "folder": str(self.folder),
                "managers": self.managers, "exceptions": self.exceptions,
                "gross_total": units.yuan(self.gross_total_fen, grouped=False),
                "totals": {k: units.yuan(v, grouped=False) for k, v in self.totals.items()}}


@dataclass
class RunSummary:
    rulebook: str
    output_root: Path
    months: list[MonthOutcome]
    pending: list[str] = field(default_factory=list)     # `year`: months without input files yet
    nothing_to_do: bool = False                          # every month with inputs computed, unchanged
    rulebook_change: list[dict] = field(default_factory=list)   # parameters old → new (--rules-changed)
    output_changes: list[dict] = field(default_factory=list)    # outputs edited/deleted since their run
    corrections: list[dict] = field(default_factory=list)       # booked: manager, amount, corrects, booked_in
    signoff_discarded: list[dict] = field(default_factory=list)  # month, role, by (SPEC 6)
    unchanged: list[str] = field(default_factory=list)           # later months recomputed, outputs kept

    def as_dict(self) -> dict:
        return {"rulebook": self.rulebook, "output_root": str(self.output_root),
                "months": [m.as_dict() for m in self.months], "pending_months": self.pending,
                "nothing_to_do": self.nothing_to_do, "rulebook_change": self.rulebook_change,
                "output_changes": self.output_changes,
                "corrections": [dict(c, amount=units.yuan(c["amount"], grouped=False)) for c in self.corrections],
                "signoff_discarded": self.signoff_discarded, "unchanged_months": self.unchanged}


def _noop(stage: str, month: str) -> None:
    pass


@dataclass
class Computed:
    month: int
    inputs: MonthInputs
    result: MonthResult
    ctx: MonthContext
    stage_seconds: dict[str, float]
    notes: dict = field(default_factory=dict)      # extra run.json content (a rulebook change)


# ------------------------------------------------------------------------------------------- compute

def compute(rb: Rulebook, mod: ModuleType, months: list[int], input_dir: Path, state: pl.DataFrame,
            first_month: int, corrections: dict[int, pl.DataFrame], report: Reporter,
            aux: dict[str, pl.DataFrame] | None = None, start: int | None = None) -> list[Computed]:
    """Compute months in order from `state`; every input error of every month is collected before
    giving up (later months are still validated; only their rules need the earlier months).
    `start`: the month an output root was begun with --start: its opening file seeds the state."""
    out: list[Computed] = []
    all_issues: list[InputIssue] = []
    aux = dict(aux or {})
    first_bad = ""
    for i, m in enumerate(months):
        name = fmt_month(m)
        times: dict[str, float] = {}
        t0 = time.perf_counter()
        report("load", name)
        inputs, issues = load_month(input_dir / name, m, mod.FILES, rb.sheet, mod.TRACKS,
                                    rb.at(m).get("input_limits"), state=state)
        times["load+validate"] = time.perf_counter() - t0
        if issues:
            all_issues += issues
            first_bad = first_bad or name
            continue
        opening = inputs.tables.get(OPENING_STEM)
        if m == start:
            seed, issues, warnings = mod.seed_state(inputs, m)
            inputs.warnings += [Warning_(mid, "input_warning", msg) for mid, msg in warnings.iter_rows()]
            if issues:
                all_issues += issues
                first_bad = first_bad or name
                continue
            state = seed
        elif opening is not None and opening.present:
            all_issues.append(InputIssue(opening.file, message=(
                f"an opening file (期初数据) is read only in the first month of an output folder begun with "
                f"--start; {name} is not that month, so it would be ignored: remove it from {name}/")))
            first_bad = first_bad or name
            continue
        if all_issues:
            continue
        ctx = MonthContext(month=m, first_month=first_month, rulebook=rb, params=month_params(rb, mod, m),
                           corrections=corrections.get(m), aux=aux)
        issues = mod.check_month(inputs, state, ctx)
        if issues:
            all_issues += issues
            first_bad = first_bad or name
            continue
        t1 = time.perf_counter()
        report("rules", name)
        try:
            result = apply_tax(mod.compute_month(inputs, state, ctx), inputs, ctx)   # SPEC 9: gross → net
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


def month_params(rb: Rulebook, mod: ModuleType, m: int):
    """The parameter values in force in month m, in the rules' units; a rulebook file that fails the
    rulebook's own checks (e.g. commission brackets out of order) is a usage error naming them."""
    p = rb.values(m)
    problems = mod.check_params(p)
    if problems:
        raise UsageError(f"rulebook {rb.source} ({fmt_month(m)}):\n" + "\n".join("  " + x for x in problems))
    return p


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
    templates and protection (default: xlsx slips only)."""
    name = fmt_month(c.month)
    p = c.ctx.params
    dest.mkdir(parents=True, exist_ok=True)
    hashes: dict[str, str] = {}
    prot = getattr(options, "protection", None)
    private = {prot.password_list} if prot is not None else set()

    def put(rel: str, data: bytes) -> None:
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel in private:              # the password list: readable by its owner only (0600)
            write_private(path, data)
        else:
            path.write_bytes(data)
        hashes[rel] = sha256_bytes(data)

    frame, columns = mod.summary(c.result.pay, p)
    put(f"payroll_{name}.xlsx", summary_workbook(f"{rb.title} {name} 工资汇总", frame, columns,
                                                 gross_key=mod.COMPONENTS[-1].key, rank_key=mod.COMPONENTS[0].key))
    put(f"exceptions_{name}.xlsx", exceptions_workbook(c.result.exceptions, rb, name))
    t = time.perf_counter()
    # every core (worker processes) for a big month; the files and their order are those of one process
    render_slips(mod.slips, c.result.pay, c.month, p, name, dest, put, hashes, options, rb.title)
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
    shown = set(exc.get_column("type").to_list())    # the tax's types only where they occur (SPEC 9)
    types = [(code, e.label, e.article) for code, e in rb.exceptions.items()
             if code not in LISTED_WHEN_PRESENT or code in shown]
    return exceptions_report(f"{rb.title} {name} 例外事项报告", frame, columns, types, sheet="例外事项")


def run_document(c: Computed, rb: Rulebook, mod: ModuleType, version: int, hashes: dict[str, str],
                 meta: dict) -> dict:
    pay = c.result.pay
    keys = [c.key for c in mod.COMPONENTS]
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
        "totals": {k: units.yuan(v, grouped=False) for k, v in totals.items()},
        "run": meta,
        **c.notes,
    }


# ------------------------------------------------------------------------------------------- run

def run_month(month: str, input_dir: Path, output_dir: Path, rules: str = "securities",
              force: bool = False, report: Reporter = _noop, *, formats: str | tuple[str, ...] | None = None,
              templates: Path | None = None, protect_slips: bool = False, start: str | None = None,
              rules_changed: bool = False, by: str | None = None, paid_through: str | None = None) -> RunSummary:
    """One month; on a new output root every earlier month that has an input folder first (SPEC 6),
    or the months from `start` (--start: nothing before it is read; its opening file seeds the
    ledger). `formats`: slip formats, e.g. "xlsx,html,pdf" (default xlsx); `templates`: a folder of
    slip templates that override the built-in ones; `protect_slips`: encrypt slips (rulebook
    [slip_protection]); `rules_changed`: accept a rulebook that differs from the one the ledger used
    last (the change is listed)."""
    m = parse_month(month)
    start_m = parse_month(start) if start else None
    paid_m = parse_month(paid_through) if paid_through else None
    input_dir = Path(input_dir)
    return _run(rules, input_dir, Path(output_dir), report, formats, templates, protect_slips, rules_changed,
                lambda ledger: plan_month(ledger, m, input_dir, force, start_m, paid_m), by)


def run_year(year: int, input_dir: Path, output_dir: Path, rules: str = "securities",
             report: Reporter = _noop, *, formats: str | tuple[str, ...] | None = None,
             templates: Path | None = None, protect_slips: bool = False,
             rules_changed: bool = False, by: str | None = None) -> RunSummary:
    """Every month of the year that has input files, in order (SPEC 7): months already computed with
    unchanged inputs are left as they are; drafts whose inputs changed are recomputed (signed or
    released ones are refused: `month --force`); months whose folders are empty or missing after the last
    month with files are pending (listed, not errors); "nothing to do" when all is computed."""
    input_dir = Path(input_dir)

    def plan(ledger: Ledger) -> Plan:
        mod = module_for(ledger.rulebook_id or load_rulebook(rules).id)
        target, pending, upto = plan_year(ledger, year, input_dir, lambda k, folder: _input_files(mod, folder))
        if target is None:
            first = parse_month(ledger.first_month) if ledger.first_month else year * 12
            return Plan([], first, pending=pending, nothing_to_do=True)
        p = plan_month(ledger, target, input_dir)
        if upto is not None and upto > p.months[-1]:        # a draft re-run, then the new months
            more = plan_month(ledger, upto, input_dir)
            p.months += [k for k in more.months if k > p.months[-1]]
        p.pending = pending
        return p

    return _run(rules, input_dir, Path(output_dir), report, formats, templates, protect_slips, rules_changed, plan,
                by)


def _input_files(mod: ModuleType, folder: Path) -> list[tuple[str, str]]:
    """(file name, sha256) of the input files a month folder holds for this rulebook (as run.json
    records them), to tell whether a computed month's inputs changed."""
    out = []
    for spec in mod.FILES:
        path, _ = find_file(folder, spec.name)
        if path is not None:
            out.append((path.name, file_sha256(path)))
    return out


def check_path(path: Path, option: str) -> None:
    """A folder the system cannot name (a component over 255 bytes, a path over 4,095) is a usage error,
    found before anything is computed (not an OSError half way)."""
    text = os.fsencode(str(path))
    too_long = [c for c in text.split(b"/") if len(c) > 255]
    if too_long or len(os.fsencode(os.path.abspath(path))) > 4095:
        what = (f"the folder name {os.fsdecode(too_long[0])[:40]}… has {len(too_long[0])} bytes (at most 255)"
                if too_long else "the path is longer than 4,095 bytes")
        raise UsageError(f"{option} {str(path)[:80]}…: {what}; choose a shorter folder")


def _run(rules: str, input_dir: Path, output_dir: Path, report: Reporter, formats, templates,
         protect_slips: bool, rules_changed: bool, plan_fn: Callable[[Ledger], Plan],
         by: str | None = None) -> RunSummary:
    check_path(output_dir, "--output")
    check_path(input_dir, "--input")
    rb = load_rulebook(rules)
    opts = make_options(formats, templates, input_dir, protect_slips, rb.raw,
                        progress=getattr(report, "tick", None))
    try:
        return _run_locked(rb, input_dir, output_dir, report, opts, rules_changed, plan_fn, by or os_user())
    except OSError as exc:
        # A full disk, a read-only or forbidden output folder: a clear refusal (exit 3), never a
        # traceback; write_run has already removed its staging folder unless the commit was journaled.
        raise _os_error(exc, input_dir, output_dir) from None


def _os_error(exc: OSError, input_dir: Path, output_dir: Path) -> Exception:
    name = str(exc.filename or "")
    if name and not os.path.realpath(name).startswith(os.path.realpath(output_dir) + os.sep) \
            and os.path.realpath(name) != os.path.realpath(output_dir):
        cause = exc.strerror or str(exc)
        if os.path.realpath(name).startswith(os.path.realpath(input_dir)):
            return InputErrors([InputIssue(name, message=f"cannot read: {cause}")])
        return UsageError(f"{name}: {cause}")
    return output_error(exc, output_dir)


def os_user() -> str:
    """The 计算 role when --by is not given: the OS user."""
    import getpass
    try:
        return getpass.getuser() or "?"
    except (KeyError, OSError):
        return os.environ.get("USER") or "?"


def _run_locked(rb: Rulebook, input_dir: Path, output_dir: Path, report: Reporter, opts: RenderOptions,
                rules_changed: bool, plan_fn: Callable[[Ledger], Plan], by: str) -> RunSummary:
    mod = module_for(rb.id)
    if not input_dir.is_dir():
        raise UsageError(f"--input {input_dir}: no such folder")
    with run_lock(output_dir):         # a refused run on a new output folder leaves no folder behind
        ledger = Ledger.open(output_dir)
        point("locked")
        if ledger.rulebook_id and ledger.rulebook_id != rb.id:
            raise RefusedError(f"{output_dir} holds a {ledger.rulebook_id} ledger; this run uses the {rb.id} "
                               f"rulebook. Use another output folder")
        plan = plan_fn(ledger)
        if plan.nothing_to_do:
            return RunSummary(rb.id, output_dir, [], plan.pending, nothing_to_do=True)
        change = rulebook_change(ledger, rb, plan.months[0], rules_changed)
        edited = output_changes(ledger)
        report("plan", ",".join(fmt_month(k) for k in plan.months))
        run = execute(ledger, rb, mod, plan, input_dir, output_dir, report, opts, by, change, edited)
        run.pending = plan.pending
        run.rulebook_change = change.get("parameters", []) if change else []
        run.output_changes = edited
        return run


def execute(ledger: Ledger, rb: Rulebook, mod: ModuleType, plan: Plan, input_dir: Path, output_dir: Path,
            report: Reporter, opts: RenderOptions | None, by: str, change: dict | None = None,
            edited: list[dict] | None = None) -> RunSummary:
    """Compute the plan's months in order and commit them (SPEC 6). Months already computed are
    recomputed with the corrections they applied; released ones first, each manager's difference in
    gross pay then booked as a correction in the first month not released (computed in this run, or
    pending in HEAD until it is). The month asked for is written anew; a later month whose pay,
    exceptions and state come out the same keeps its outputs and signatures (a new ledger version
    only, the chain of months intact); one that changed loses its signatures unless released."""
    months = plan.months
    names = {k: fmt_month(k) for k in months}
    released = [k for k in months if ledger.closed(names[k]) and ledger.months[names[k]].state == "released"]
    rest = [k for k in months if k not in released]
    first = names[months[0]]
    _, state = ledger.state_before(first)
    if state is None:
        state = mod.empty_state()
    aux = ledger.aux_before(first)
    applied = {k: ledger.read(names[k], "corrections") for k in months
               if ledger.closed(names[k]) and ledger.has(names[k], "corrections")}
    computed: list[Computed] = []
    booked: list[dict] = []
    if released:
        computed = compute(rb, mod, released, input_dir, state, plan.first, applied, report, aux, start=plan.start)
        for c in computed:
            x = names[c.month]
            booked += gross_differences(ledger.read(x, "pay"), c.result.pay, x, ledger.next_version(x)).to_dicts()
        state, aux = computed[-1].result.state, computed[-1].result.aux
    pending = list(ledger.pending_corrections)
    shown: list[dict] = []
    if rest:
        b = rest[0]
        new_b = not ledger.closed(names[b])
        carried = booked + (pending if new_b else [])
        corr = dict(applied)
        if carried:
            frames = [f for f in (applied.get(b), corrections_frame(carried)) if f is not None]
            corr[b] = pl.concat(frames) if len(frames) > 1 else frames[0]
        computed += compute(rb, mod, rest, input_dir, state, plan.first, corr, report, aux, start=plan.start)
        ids = set(computed[-len(rest)].result.pay.get_column("manager_id").to_list())
        # a correction for a manager not on the roster of that month stays pending (nothing is lost)
        left = [r for r in carried if r["manager_id"] not in ids]
        pending_after = ([] if new_b else pending) + left
        shown = [dict(manager_id=r["manager_id"], amount=r["amount"], corrects=r["corrects"],
                      booked_in=names[b] if r["manager_id"] in ids else None) for r in booked]
    else:
        pending_after = pending + booked
        shown = [dict(manager_id=r["manager_id"], amount=r["amount"], corrects=r["corrects"], booked_in=None)
                 for r in booked]
    computed.sort(key=lambda c: c.month)
    approvals_in_folders(computed, rb)
    note_rulebook_change(computed[0], change or {}, rb)
    note_output_changes(computed[0], edited or [], rb)
    from cm_payroll import lifecycle
    life = lifecycle.after_compute(ledger, rb, computed, plan, by)
    outcomes = write_run(ledger, rb, mod, computed, output_dir, ledger.first_month or fmt_month(plan.first),
                         input_dir, report, pending_after=pending_after, options=opts, start_month=plan.start,
                         life=life)
    return RunSummary(rb.id, output_dir, outcomes, corrections=shown, signoff_discarded=life.discarded,
                      unchanged=sorted(life.ledger_only))


def approvals_in_folders(computed: list[Computed], rb: Rulebook) -> None:
    """The `approvals` file of a month folder (SPEC 6): each row names one case of the month that
    needs an approval, whose 审批号 it gives; a row that names none (or several) is an input error."""
    labels = {code: e.label for code, e in rb.exceptions.items()}
    issues = []
    for c in computed:
        t = c.inputs.tables.get(approvals_.APPROVALS.name)
        if t is None or not t.present:
            continue
        matched, bad = approvals_.match(t.frame, c.result.exceptions, labels, t.file, t.sheet)
        issues += bad
        c.result.exceptions = approvals_.fill_refs(c.result.exceptions, matched)
    if issues:
        raise InputErrors(issues, fmt_month(computed[0].month))


def rulebook_change(ledger: Ledger, rb: Rulebook, first: int, allowed: bool) -> dict:
    """SPEC 7: a run whose rulebook content differs from the one the ledger used last is refused
    unless `allowed` (--rules-changed); then the change (parameters old → new, in force in `first`,
    the first month computed) is returned to be listed in that month's exceptions and run.json. A file
    whose parameters in force are all the same (only comments or labels differ) is no change."""
    old_sha = ledger.rulebook_sha256
    if not ledger.months or not old_sha or old_sha == rb.sha256:
        return {}
    last = max(ledger.months)
    old_source = ledger.manifest(last).get("rulebook_source", "?")
    data = ledger.rulebook_bytes(old_sha)
    if data is not None:
        changes = parameter_changes(rulebook_from_bytes(data, old_source), rb, first)
    else:
        changes = _changes_from_run_json(ledger, last, rb, first)
    if not changes:
        # The file differs, every parameter in force is the same (comments, labels; a new release's
        # built-in file): not a change of the rules. The new sha256 is recorded by the run.
        return {}
    # A parameter the old rulebook did not have (a new release's new rule) contradicts nothing: it is
    # listed, not refused. A value that differs from the one in force before needs --rules-changed.
    if not allowed and any(c["old"] is not None for c in changes):
        changes = [c for c in changes if c["old"] is not None]
        shown = "; ".join(f"{c['name']} {_j(c['old'])} → {_j(c['new'])}" for c in changes[:8])
        more = f" (and {len(changes) - 8} more)" if len(changes) > 8 else ""
        again = old_source.removeprefix("builtin:")
        raise RefusedError(
            f"the rulebook of this run ({rb.source}, sha256 {rb.sha256[:12]}) differs from the one "
            f"{ledger.root} used last ({old_source}, sha256 {old_sha[:12]}): {shown}{more}. To keep the "
            f"rules, run again with --rules {again}; to apply the new rules from {fmt_month(first)}, add "
            f"--rules-changed (the change is then listed in the exceptions report and in run.json)")
    return {"from": {"source": old_source, "sha256": old_sha}, "to": {"source": rb.source, "sha256": rb.sha256},
            "first_month": fmt_month(first), "parameters": changes}


def _changes_from_run_json(ledger: Ledger, last: str, rb: Rulebook, first: int) -> list[dict]:
    """A ledger of the first release keeps no rulebooks: the parameters its last month used come from
    that month's run.json (when it is still the file the run wrote)."""
    path = ledger.root / last / "run.json"
    outputs = ledger.manifest(last).get("outputs", {})
    try:
        if sha256_bytes(path.read_bytes()) != outputs.get("run.json"):
            raise ValueError
        old = {p["name"]: p for p in json.loads(path.read_text("utf-8")).get("parameters", [])}
    except (OSError, ValueError, KeyError, TypeError):
        return [{"name": "(参数未知)", "article": "", "old": "?", "new": rb.sha256[:12]}]
    new = {p["name"]: p for p in rb.used(first)}
    return [{"name": n, "article": (new.get(n) or old.get(n))["article"], "old": old.get(n, {}).get("value"),
             "new": new.get(n, {}).get("value")}
            for n in sorted(set(old) | set(new)) if old.get(n, {}).get("value") != new.get(n, {}).get("value")]


def _j(v) -> str:
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def note_rulebook_change(c: Computed, change: dict, rb: Rulebook) -> None:
    """List a rulebook change in the first computed month: one `rulebook_changed` row per parameter
    (no manager) in the exceptions report, and the whole change in run.json."""
    if not change:
        return
    rows = [{"manager_id": None, "name": None, "type": "rulebook_changed", "article": p["article"] or "",
             "description": f"规则参数 {p['name']} 由 {_j(p['old'])} 改为 {_j(p['new'])},自 {change['first_month']} "
                            f"起适用(--rules-changed;原规则 {change['from']['source']},新规则 {change['to']['source']})",
             "amount": None, "approval_needed": False, "approval_ref": None} for p in change["parameters"]]
    extra = pl.DataFrame(rows, schema=EXCEPTION_SCHEMA, orient="row")
    c.result.exceptions = finalize_exceptions(pl.concat([c.result.exceptions, extra]), rb)
    c.notes["rulebook_change"] = change


_WHAT = {"edited": "在运行后被修改(与运行时写出的文件不一致)", "deleted": "在运行后被删除",
         "added": "是运行后加入的文件"}


def output_changes(ledger: Ledger) -> list[dict]:
    """The computed months' output files that differ from what their runs wrote (edited, deleted,
    added), as {month, file, change}; Office lock files (~$…, .~lock…) of an open workbook are not
    changes."""
    out = []
    for ch in ledger.changed_outputs():
        name = Path(ch.file).name
        if ch.change == "added" and name.startswith(("~$", ".~lock")):
            continue
        out.append({"month": ch.month, "file": ch.file, "change": ch.change})
    return out


def note_output_changes(c: Computed, changes: list[dict], rb: Rulebook) -> None:
    """List the changed outputs in the first computed month (`output_changed`, no manager), and in
    run.json: a signed or paid workbook edited after its run is never passed over in silence."""
    if not changes:
        return
    rows = [{"manager_id": None, "name": None, "type": "output_changed", "article": "",
             "description": f"{x['month']} 的输出文件 {x['file']} {_WHAT.get(x['change'], x['change'])};"
                            f"请核对(原文件的校验值记录在台账中)",
             "amount": None, "approval_needed": False, "approval_ref": None} for x in changes]
    extra = pl.DataFrame(rows, schema=EXCEPTION_SCHEMA, orient="row")
    c.result.exceptions = finalize_exceptions(pl.concat([c.result.exceptions, extra]), rb)
    c.notes["output_changes"] = changes


def write_run(ledger: Ledger, rb: Rulebook, mod: ModuleType, computed: list[Computed], output_dir: Path,
              first_month: str, input_dir: Path, report: Reporter, pending_after: list[dict],
              options: RenderOptions | None = None, start_month: int | None = None, life=None) -> list[MonthOutcome]:
    """Render and commit the computed months. `life` (lifecycle.Life): each month's HEAD entry (state,
    signatures, approvals), the months whose outputs are kept (a new ledger version only) and the files
    written beside the outputs after the run (approvals)."""
    if life is None:
        from cm_payroll import lifecycle
        life = lifecycle.Life(by=os_user())
    run_id = uuid.uuid4().hex[:12]
    staging = new_staging(output_dir, run_id)
    meta = {"at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "host": platform.node(),
            "user": os.environ.get("USER", ""), "input_dir": str(input_dir.resolve()),
            "output_dir": str(output_dir.resolve()), "run_id": run_id}
    months = dict(ledger.months)
    staged, outcomes = [], []
    try:
        for c in computed:
            name = fmt_month(c.month)
            version = ledger.next_version(name)
            earlier = [x for x in months if x < name]
            prev_sha = months[max(earlier)].manifest_sha256 if earlier else None
            keep = name in life.ledger_only
            out_dir = None if keep else staging / "out" / name
            if keep:        # same pay, exceptions and state: the outputs (and their signatures) stay
                old = ledger.manifest(name)
                hashes, inputs = dict(old["outputs"]), old["inputs"]
            else:
                report("write", name)
                t = time.perf_counter()
                hashes = render_month(c, rb, mod, out_dir, version, meta, options)
                c.stage_seconds["render"] = time.perf_counter() - t
                inputs = c.inputs.files()
            frames = {"state": c.result.state, "pay": c.result.pay, "exceptions": c.result.exceptions}
            frames.update({f"aux_{k}": v for k, v in c.result.aux.items()})
            if c.ctx.corrections is not None:
                frames["corrections"] = c.ctx.corrections
            manifest = {
                "month": name, "version": version, "rulebook_id": rb.id, "rulebook_sha256": rb.sha256,
                "rulebook_source": rb.source, "inputs": inputs, "outputs": hashes,
                "previous_manifest_sha256": prev_sha,
                # the version this one replaces (a re-run), so that its corrections can be traced
                "replaces": ({"version": ledger.months[name].version,
                              "manifest_sha256": ledger.months[name].manifest_sha256}
                             if ledger.closed(name) else None),
            }
            if c is computed[-1]:       # the latest month records the pending list HEAD will hold
                manifest["pending_corrections_sha256"] = pending_digest(pending_after)
            led_dir = staging / "ledger" / name
            sha = write_month_files(led_dir, frames, manifest)
            extra = {} if keep else life.write_extra(name, out_dir, c, rb)
            months[name] = life.entry(name, version, sha, extra, kept=keep)
            staged.append(StagedMonth(name, version, led_dir, out_dir))
            if keep:
                continue
            pay = c.result.pay
            totals = {k.key: int(pay.get_column(k.key).sum() or 0) for k in mod.COMPONENTS}
            outcomes.append(MonthOutcome(name, version, output_dir / name, pay.height,
                                         c.result.exceptions.height, totals.get("gross_pay", 0), totals,
                                         c.stage_seconds, state=months[name].state))
        start = fmt_month(start_month) if start_month is not None else ledger.start_month
        head = head_document(rb.id, first_month, months, pending_after, rulebook_sha256=rb.sha256,
                             start_month=start)
        kept = stage_rulebook(staging, rb.sha256, rb.data) if rb.data else None
        report("commit", fmt_month(computed[-1].month))
        commit(output_dir, ledger, staged, head, staging, rulebook=kept)
    except BaseException:
        # Before the journal exists nothing was changed: drop the staging folder. After, the next
        # run rolls the commit forward from the journal and the staging folder.
        if not (output_dir / ".ledger" / "JOURNAL.json").exists():
            import shutil
            shutil.rmtree(staging, ignore_errors=True)
        raise
    return outcomes


def validate_month(month: str, input_dir: Path, rules: str = "securities") -> MonthInputs:
    """Inputs only (SPEC 7 `validate`): raises InputErrors with every error, writes nothing."""
    m = parse_month(month)
    rb = load_rulebook(rules)
    mod = module_for(rb.id)
    inputs, issues = load_month(Path(input_dir) / month, m, mod.FILES, rb.sheet, mod.TRACKS, rb.at(m).get("input_limits"))
    if not issues:
        ctx = MonthContext(month=m, first_month=m, rulebook=rb, params=month_params(rb, mod, m))
        issues = mod.check_month(inputs, mod.empty_state(), ctx)
    if issues:
        raise InputErrors(issues, month)
    return inputs


def load_result(output_dir: Path, month: str, what: str = "pay", version: int | None = None) -> pl.DataFrame:
    """A computed month's frame from the ledger (pay, exceptions, state), whatever its state."""
    led = Ledger.open(Path(output_dir))
    if not led.closed(month):
        raise UsageError(f"{month} is not computed in {output_dir}")
    return led.read(month, what, version)


__all__ = ["RunSummary", "json", "load_result", "run_month", "run_year", "validate_month"]
