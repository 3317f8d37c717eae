#!/usr/bin/env python
"""`make bench-rcc`: one rcc month for 20,000 credit managers × 100 loans (2,000,000 loan rows), per stage.

    BENCH_RCC_SIZES=5000,20000 make bench-rcc       # choose the sizes (default 20000)
    .venv/bin/python bench/run_bench_rcc.py --sizes 20000 --formats parquet,csv

For each size the input tree is generated once by bench/rcc_tree.py and cached under
bench/data/rcc_m<N>/ (gitignored): two months, Parquet (and CSV when asked). Then, in this process,
month 1 is computed (untimed: it is the ledger state month 2 starts from, with its charged overdue
loans and visit history) and month 2 is run stage by stage through the package's own functions, as
cm_payroll/pipeline.py calls them:

    load        reading the files (load.read_table, timed through a wrapper)
    validate    typing and checks (the rest of load.load_month, and check_month)
    aggregate   the loans per loan and per manager (rcc overdue.loan_facts and overdue.per_manager)
    rules       the rest of compute_month (the compliance checks timed apart) and finalize_exceptions
    ledger      ledger.write_month_files (pay/state/exceptions/charged loans/visits Parquet + manifest)
    summary     summary and exceptions workbooks (pipeline.render_month, the slips excluded)
    slips       one .xlsx slip per manager (render_month's own slip timing; worker processes)

Each stage: wall seconds and the process's peak RSS during it (VmHWM, reset before each stage).
load → ledger is run from every format asked; summary and slips once (Parquet). Results: a rich table
and bench/results_rcc.json (gitignored), with the machine's load average (a shared 2-core machine's
numbers move with whatever else runs).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import polars as pl  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
import rcc_tree  # noqa: E402
from run_bench import Run, Stage, Wrapped, cached_tree, month1_state, peak_mib, reset_peak, timed  # noqa: E402

from cm_payroll import ledger as ledger_mod  # noqa: E402
from cm_payroll import pipeline, units  # noqa: E402
from cm_payroll.load import month as load_month_module  # noqa: E402
from cm_payroll.rulebooks.base import MonthContext  # noqa: E402
from cm_payroll.months import parse_month  # noqa: E402
from cm_payroll.rulebook import load_rulebook  # noqa: E402
from cm_payroll.rulebooks import module_for  # noqa: E402
from cm_payroll.rulebooks.rcc import compliance_checks, overdue  # noqa: E402

DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results_rcc.json"
DEFAULT_SIZES = (20_000,)
LOANS_PER_MANAGER = 100
START = "2013-01"
MONTH = "2013-02"                 # the timed month (month 1 is its ledger state)
CHAIN = ("load", "validate", "aggregate", "rules", "ledger")
STAGES = CHAIN + ("summary", "slips")
COMPLIANCE = ("staffing", "capacity", "visits", "guarantee", "due_in_other_year", "visit_history")
console = Console()


# ----------------------------------------------------------------------------------- data

def ensure_data(n: int, formats: tuple[str, ...]) -> Path:
    root = DATA / f"rcc_m{n}"
    want = {"managers": n, "loans_per_manager": LOANS_PER_MANAGER, "months": 2, "start": START,
            "formats": sorted(set(formats) | {"parquet"}), "generator": 1}
    return cached_tree(root, want, lambda fmts: rcc_tree.generate(
        root, managers=n, loans_per_manager=LOANS_PER_MANAGER, months=2, start=START, formats=fmts),
        f"{n:,} managers × {LOANS_PER_MANAGER} loans")


# ----------------------------------------------------------------------------------- stages

class WrappedMany:
    """Time every call of several functions of one module (the sum)."""

    def __init__(self, module, attrs):
        self.parts = [Wrapped(module, a) for a in attrs]

    def __enter__(self):
        for w in self.parts:
            w.__enter__()
        return self

    def __exit__(self, *exc):
        for w in self.parts:
            w.__exit__(*exc)

    @property
    def seconds(self) -> float:
        return sum(w.seconds for w in self.parts)

    def by_name(self) -> dict[str, float]:
        return {w.attr: round(w.seconds, 3) for w in self.parts}


def run_chain(rb, mod, folder: Path, state, aux, work: Path) -> tuple[Run, object, dict]:
    """load → validate → aggregate → rules → ledger of the timed month, from `folder`."""
    run = Run()
    m = parse_month(MONTH)
    with run.stage("load+validate"), Wrapped(load_month_module, "read_table") as rd:
        inputs, issues = load_month_module.load_month(folder / MONTH, m, mod.FILES, rb.sheet, mod.TRACKS)
        ctx = MonthContext(month=m, first_month=parse_month(START), rulebook=rb, params=rb.values(m),
                           corrections=None, aux=dict(aux))
        issues += mod.check_month(inputs, state, ctx)
    if issues:
        raise SystemExit(f"input errors in {folder / MONTH}: {[i.render() for i in issues[:5]]}")
    lv = run.stages.pop("load+validate")
    run.stages["load"] = Stage(rd.seconds, lv.peak_rss_mib)
    run.stages["validate"] = Stage(lv.seconds - rd.seconds, lv.peak_rss_mib)
    with run.stage("aggregate+rules"), WrappedMany(overdue, ("loan_facts", "per_manager")) as agg, \
            WrappedMany(compliance_checks, COMPLIANCE) as comp:
        result = mod.compute_month(inputs, state, ctx)
        result.exceptions = pipeline.finalize_exceptions(result.exceptions, rb)
    ar = run.stages.pop("aggregate+rules")
    run.stages["aggregate"] = Stage(agg.seconds, ar.peak_rss_mib)
    run.stages["rules"] = Stage(ar.seconds - agg.seconds, ar.peak_rss_mib)
    detail = {"aggregate": agg.by_name(), "compliance_checks": comp.by_name(),
              "compliance_checks_s": round(comp.seconds, 3)}
    c = pipeline.Computed(m, inputs, result, ctx, {})
    with run.stage("ledger"):
        frames = {"state": result.state, "pay": result.pay, "exceptions": result.exceptions}
        frames.update({f"aux_{k}": v for k, v in result.aux.items()})
        ledger_mod.write_month_files(work / "ledger", frames, {"month": MONTH, "version": 1, "inputs": inputs.files()})
    return run, c, detail


def run_render(rb, mod, c, run: Run, work: Path) -> dict:
    """render_month as the pipeline calls it; the summary/exceptions builders and the slips timed."""
    dest = work / "out"
    with Wrapped(pipeline, "summary_workbook") as sw, Wrapped(pipeline, "exceptions_workbook") as ew:
        gc.collect()
        reset_peak()
        t = time.perf_counter()
        pipeline.render_month(c, rb, mod, dest, 1, {})
        total = time.perf_counter() - t
        peak = peak_mib()
    slips = c.stage_seconds.get("slips", 0.0)
    run.stages["summary"] = Stage(total - slips, peak)
    run.stages["slips"] = Stage(slips, peak)
    return {"summary_builder_s": round(sw.seconds, 3), "exceptions_builder_s": round(ew.seconds, 3),
            "render_total_s": round(total, 3), "slip_files": sum(1 for _ in (dest / "slips").iterdir())}


# ----------------------------------------------------------------------------------- one size

def bench_size(n: int, formats: tuple[str, ...]) -> dict:
    rb = load_rulebook("rcc")
    mod = module_for(rb.id)
    root = ensure_data(n, formats)
    out: dict = {"managers": n, "loans_per_manager": LOANS_PER_MANAGER, "formats": {}}
    with tempfile.TemporaryDirectory(prefix=f"bench_rcc{n}_", dir=os.environ.get("BENCH_TMP")) as tmp:
        work = Path(tmp)
        console.print(f"[dim]{n:,} managers: month {START} (ledger state, untimed) …[/]")
        t, (state, aux) = timed(month1_state, rb, mod, root / "parquet")
        out["month1_compute_s"] = round(t, 2)
        out["month1_charged_loans"] = aux["charged_loans"].height
        main_c = main_run = None
        for fmt in ("parquet", "csv"):
            if fmt not in formats and fmt != "parquet":
                continue
            console.print(f"[dim]{n:,} managers: {fmt} load → ledger …[/]")
            run, c, detail = run_chain(rb, mod, root / fmt, state, aux, work / fmt)
            out["formats"][fmt] = {"stages": run.as_dict(), "chain_s": round(run.total(), 3),
                                   "chain_peak_rss_mib": round(run.peak(), 1), **detail}
            if fmt == "parquet":
                main_c, main_run = c, run
            else:
                del c
            gc.collect()
        c, run = main_c, main_run
        pay, loans = c.result.pay, c.inputs["loans"]
        out["loan_rows"] = loans.height
        out["visit_rows"] = c.inputs["visits"].height
        out["loans_overdue"] = int(pay.get_column("loans_overdue").sum())
        out["loans_newly_overdue"] = int(pay.get_column("overdue_new").sum())
        out["charged_loans_after"] = c.result.aux["charged_loans"].height
        out["exceptions"] = dict(c.result.exceptions.group_by("type").len().sort("type").iter_rows())
        out["gross_pay_yuan"] = units.yuan(int(pay.get_column("gross_pay").sum()), grouped=False)
        console.print(f"[dim]{n:,} managers: summary, exceptions and slips …[/]")
        out["render"] = run_render(rb, mod, c, run, work / "render")
        out["stages"] = run.as_dict()
        everything = run.total(STAGES)
        out["total_s"] = round(everything, 2)
        out["managers_per_s"] = round(n / everything, 1)
        out["chain_managers_per_s"] = round(n / run.total(), 1)
        out["loans_per_s_chain"] = round(out["loan_rows"] / run.total(), 0)
        out["peak_rss_mib"] = round(run.peak(STAGES), 1)
        out["slip_workers"] = _workers(n)
        del c, main_c
        gc.collect()
    return out


def _workers(n: int) -> int:
    from cm_payroll.render.parallel import slip_workers
    return slip_workers(n)


# ----------------------------------------------------------------------------------- report

def print_report(results: list[dict]) -> None:
    t = Table(title=f"cm-payroll bench — one rcc month ({MONTH}, ledger state of {START}), Parquet")
    t.add_column("stage")
    for r in results:
        t.add_column(f"{r['managers']:,} s", justify="right")
        t.add_column("peak MiB", justify="right")
    for s in STAGES:
        row = [s]
        for r in results:
            st = r["stages"].get(s, {})
            row += [f"{st.get('seconds', 0):.2f}", f"{st.get('peak_rss_mib', 0):,.0f}"]
        t.add_row(*row)
    t.add_row(*(["  of rules: compliance checks"] + sum(
        ([f"{r['formats']['parquet']['compliance_checks_s']:.2f}", ""] for r in results), [])))
    t.add_row(*(["total"] + sum(([f"{r['total_s']:.2f}", f"{r['peak_rss_mib']:,.0f}"] for r in results), [])))
    t.add_row(*(["managers/s"] + sum(([f"{r['managers_per_s']:,.0f}", ""] for r in results), [])))
    t.add_row(*(["managers/s (load → ledger)"] + sum(([f"{r['chain_managers_per_s']:,.0f}", ""] for r in results), [])))
    t.add_row(*(["loan rows"] + sum(([f"{r['loan_rows']:,}", ""] for r in results), [])))
    t.add_row(*(["visit rows"] + sum(([f"{r['visit_rows']:,}", ""] for r in results), [])))
    t.add_row(*(["overdue loans (new)"] + sum(([f"{r['loans_overdue']:,} ({r['loans_newly_overdue']:,})", ""]
                                                for r in results), [])))
    t.add_row(*(["charged loans after"] + sum(([f"{r['charged_loans_after']:,}", ""] for r in results), [])))
    t.add_row(*(["exceptions"] + sum(([f"{sum(r['exceptions'].values()):,}", ""] for r in results), [])))
    t.add_row(*(["month 1 (untimed) s"] + sum(([f"{r['month1_compute_s']:.1f}", ""] for r in results), [])))
    console.print(t)
    if any("csv" in r["formats"] for r in results):
        f = Table(title="load → validate → aggregate → rules → ledger, by input format (seconds; peak MiB)")
        f.add_column("format")
        for r in results:
            f.add_column(f"{r['managers']:,}", justify="right")
        for fmt in ("parquet", "csv"):
            if all(fmt in r["formats"] for r in results):
                f.add_row(fmt, *[f"{r['formats'][fmt]['chain_s']:.2f}  ({r['formats'][fmt]['chain_peak_rss_mib']:,.0f})"
                                 for r in results])
        console.print(f)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default=os.environ.get("BENCH_RCC_SIZES", ",".join(map(str, DEFAULT_SIZES))),
                    help="managers per run, comma separated (env BENCH_RCC_SIZES; 100 loans each)")
    ap.add_argument("--formats", default=os.environ.get("BENCH_RCC_FORMATS", "parquet"),
                    help="input formats to time load → ledger from: parquet (always), csv (env BENCH_RCC_FORMATS)")
    ap.add_argument("--output", type=Path, default=RESULTS)
    a = ap.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in a.sizes.split(",") if s.strip()]
    formats = tuple(f.strip() for f in a.formats.split(",") if f.strip())
    if set(formats) - {"parquet", "csv"}:
        ap.error(f"--formats {a.formats}: choose from parquet, csv")
    if not reset_peak():
        console.print("[yellow]/proc/self/clear_refs is not writable: peak RSS per stage is the process peak so far[/]")
    results = []
    for n in sizes:
        t = time.perf_counter()
        results.append(bench_size(n, formats))
        console.print(f"[dim]{n:,} managers benchmarked in {time.perf_counter() - t:.0f} s[/]")
    print_report(results)
    doc = {"machine": {"cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                       "polars": pl.__version__, "load_average": os.getloadavg()},
           "loans_per_manager": LOANS_PER_MANAGER, "month": MONTH, "results": results}
    a.output.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    console.print(f"results: {a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
