#!/usr/bin/env python
"""`make bench`: one securities month for 10k, 30k and 100k managers (50 clients each), per stage.

    BENCH_SIZES=10000,30000 make bench            # choose the sizes (default 10000,30000,100000)
    .venv/bin/python bench/run_bench.py --sizes 10000 --formats parquet,csv --no-cli

For each size the input tree is generated once and cached under bench/data/m<N>/ (gitignored): two
months, clients as Parquet and CSV, and the timed (second) month also as a multi-sheet .xlsx. Then, in
this process, month 1 is computed (untimed: it is the ledger state month 2 starts from) and month 2 is
run stage by stage through the package's own functions:

    load        reading the files (load.read_table, timed through a wrapper)
    validate    typing and checks (the rest of load.load_month, and check_month)
    aggregate   client aggregates, S-Art.36 (rulebook aggregate.client_aggregates, wrapped)
    rules       the rest of compute_month and finalize_exceptions
    ledger      ledger.write_month_files (pay/state/exceptions Parquet + manifest)
    summary     summary and exceptions workbooks (pipeline.render_month, the slips excluded)
    slips       one .xlsx slip per manager (render_month's own slip timing; worker processes)

Each stage gets its wall seconds and the process's peak RSS during it (VmHWM, reset before each
stage through /proc/self/clear_refs). Load to ledger is run from Parquet, CSV and .xlsx; the
render stages once (Parquet). Then the comparisons of issue 5: fastexcel alone reading the same
.xlsx files; a row-by-row Python aggregation + commission rate (bench/rowwise.py) against Polars on
the same rows; the summary workbook against a bare xlsxwriter loop writing the same cells; slips
against a bare xlsxwriter loop writing each slip's cells; and `cm-payroll month` end to end in a
subprocess (wall and peak RSS via wait4). Results: a table per size and bench/results.json.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import polars as pl  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

import rowwise  # noqa: E402
import securities_tree  # noqa: E402
from cm_payroll import ledger as ledger_mod  # noqa: E402
from cm_payroll import pipeline  # noqa: E402
from cm_payroll.load import month as load_month_module  # noqa: E402
from cm_payroll.rulebooks.base import MonthContext  # noqa: E402
from cm_payroll.months import parse_month  # noqa: E402
from cm_payroll.rulebook import load_rulebook  # noqa: E402
from cm_payroll.rulebooks import module_for  # noqa: E402
from cm_payroll.rulebooks.securities import commission  # noqa: E402
from cm_payroll.rulebooks.securities import month as sec_month  # noqa: E402
from cm_payroll.rulebooks.securities.aggregate import client_aggregates  # noqa: E402
from cm_payroll.rulebooks.securities.assessment import at_least  # noqa: E402

DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results.json"
DEFAULT_SIZES = (10_000, 30_000, 100_000)
CLIENTS_PER_MANAGER = 50
START = "2013-01"
MONTH = "2013-02"                 # the timed month (month 1 is its ledger state)
SLIP_SAMPLE = 3000                # slips written one process, ours and bare, for the per-slip ratio
CHAIN = ("load", "validate", "aggregate", "rules", "ledger")
STAGES = CHAIN + ("summary", "slips")
TARGETS = {
    "parquet_chain_s": 15.0, "csv_chain_s": 30.0, "peak_rss_gib": 4.0, "xlsx_vs_fastexcel": 1.3,
    "rowwise_ratio": 30.0, "summary_vs_xlsxwriter": 1.3, "slips_100k_s": 150.0, "slip_vs_xlsxwriter": 1.3,
}
console = Console()


# ----------------------------------------------------------------------------------- measuring

def _status_kib(key: str) -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")      # resets VmHWM to the current RSS
        return True
    except OSError:
        return False


def peak_mib() -> float:
    return _status_kib("VmHWM") / 1024


@dataclass
class Stage:
    seconds: float = 0.0
    peak_rss_mib: float = 0.0


@dataclass
class Run:
    stages: dict[str, Stage] = field(default_factory=dict)

    @contextlib.contextmanager
    def stage(self, name: str):
        gc.collect()
        reset_peak()
        t = time.perf_counter()
        yield
        st = self.stages.setdefault(name, Stage())
        st.seconds += time.perf_counter() - t
        st.peak_rss_mib = max(st.peak_rss_mib, peak_mib())

    def total(self, names=CHAIN) -> float:
        return sum(self.stages[n].seconds for n in names if n in self.stages)

    def peak(self, names=CHAIN) -> float:
        return max((self.stages[n].peak_rss_mib for n in names if n in self.stages), default=0.0)

    def as_dict(self) -> dict:
        return {k: {"seconds": round(v.seconds, 3), "peak_rss_mib": round(v.peak_rss_mib, 1)}
                for k, v in self.stages.items()}


class Wrapped:
    """Time every call of module.attr (a function the package calls by that name)."""

    def __init__(self, module, attr: str):
        self.module, self.attr, self.seconds = module, attr, 0.0
        self.orig = getattr(module, attr)

    def __enter__(self):
        def timed(*a, **k):
            t = time.perf_counter()
            try:
                return self.orig(*a, **k)
            finally:
                self.seconds += time.perf_counter() - t
        setattr(self.module, self.attr, timed)
        return self

    def __exit__(self, *exc):
        setattr(self.module, self.attr, self.orig)


def timed(fn, *a, **k):
    t = time.perf_counter()
    out = fn(*a, **k)
    return time.perf_counter() - t, out


# ----------------------------------------------------------------------------------- data

def cached_tree(root: Path, want: dict, generate, what: str) -> Path:
    """The input tree under `root`, generated by `generate(formats)` unless a complete one with the
    same parameters (`want`, recorded in .complete.json; more formats are fine) is there already."""
    marker = root / ".complete.json"
    if marker.exists():
        have = json.loads(marker.read_text())
        if all(have.get(k) == v for k, v in want.items() if k != "formats") and set(want["formats"]) <= set(
                have.get("formats", [])):
            return root
    if root.exists():
        shutil.rmtree(root)
    console.print(f"[dim]generating bench/data/{root.name} ({what}, 2 months, {', '.join(want['formats'])}) …[/]")
    t = time.perf_counter()
    generate(tuple(want["formats"]))
    want = {**want, "seconds": round(time.perf_counter() - t, 1)}
    marker.write_text(json.dumps(want))
    console.print(f"[dim]  generated in {want['seconds']} s[/]")
    return root


def ensure_data(n: int, formats: tuple[str, ...]) -> Path:
    root = DATA / f"m{n}"
    want = {"managers": n, "clients_per_manager": CLIENTS_PER_MANAGER, "months": 2, "start": START,
            "formats": sorted(set(formats) | {"parquet"}), "xlsx_month": MONTH if "xlsx" in formats else None,
            "generator": 1}
    return cached_tree(root, want, lambda fmts: securities_tree.generate(
        root, managers=n, clients_per_manager=CLIENTS_PER_MANAGER, months=2, start=START,
        formats=tuple(f for f in fmts if f != "xlsx"), xlsx_month=want["xlsx_month"]),
        f"{n:,} managers × {CLIENTS_PER_MANAGER} clients")


# ----------------------------------------------------------------------------------- stages

def month1_state(rb, mod, folder: Path):
    m1 = parse_month(START)
    c = pipeline.compute(rb, mod, [m1], folder, mod.empty_state(), m1, {}, lambda *_: None)[0]
    return c.result.state, c.result.aux


def run_chain(rb, mod, folder: Path, state, aux, work: Path) -> tuple[Run, object]:
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
    with run.stage("aggregate+rules"), Wrapped(sec_month, "client_aggregates") as agg:
        result = mod.compute_month(inputs, state, ctx)
        result.exceptions = pipeline.finalize_exceptions(result.exceptions, rb)
    ar = run.stages.pop("aggregate+rules")
    run.stages["aggregate"] = Stage(agg.seconds, ar.peak_rss_mib)
    run.stages["rules"] = Stage(ar.seconds - agg.seconds, ar.peak_rss_mib)
    c = pipeline.Computed(m, inputs, result, ctx, {})
    with run.stage("ledger"):
        frames = {"state": result.state, "pay": result.pay, "exceptions": result.exceptions}
        frames.update({f"aux_{k}": v for k, v in result.aux.items()})
        ledger_mod.write_month_files(work / "ledger", frames, {"month": MONTH, "version": 1, "inputs": inputs.files()})
    return run, c


def run_render(rb, mod, c, run: Run, work: Path) -> dict:
    """render_month as the pipeline calls it; the summary/exceptions builders and the slips timed."""
    dest = work / "out"
    with Wrapped(pipeline, "summary_workbook") if hasattr(pipeline, "summary_workbook") else \
            contextlib.nullcontext() as sw, Wrapped(pipeline, "exceptions_workbook") as ew:
        gc.collect()
        reset_peak()
        t = time.perf_counter()
        pipeline.render_month(c, rb, mod, dest, 1, {})
        total = time.perf_counter() - t
        peak = peak_mib()
    slips = c.stage_seconds.get("slips", 0.0)
    run.stages["summary"] = Stage(total - slips, peak)
    run.stages["slips"] = Stage(slips, peak)
    return {"summary_builder_s": round(sw.seconds, 3) if sw is not None else None,
            "exceptions_builder_s": round(ew.seconds, 3), "render_total_s": round(total, 3),
            "slip_files": sum(1 for _ in (dest / "slips").iterdir())}


# ----------------------------------------------------------------------------------- comparisons

def fastexcel_alone(folder: Path, as_text: bool) -> float:
    """fastexcel reading every sheet of every .xlsx of the month: with its own type inference, or
    every cell as text (as the loader reads it, to quote a bad cell exactly)."""
    import fastexcel
    t = time.perf_counter()
    for p in sorted(folder.glob("*.xlsx")):
        reader = fastexcel.read_excel(str(p))
        for name in reader.sheet_names:
            if as_text:
                reader.load_sheet(name, header_row=None, dtypes="string").to_polars()
            else:
                reader.load_sheet(name).to_polars()
    return time.perf_counter() - t


def best_of(k: int, fn, *a):
    best, out = None, None
    for _ in range(k):
        t, out = timed(fn, *a)
        best = t if best is None else min(best, t)
    return best, out


def rowwise_vs_polars(c, mod) -> dict:
    clients = c.inputs["clients"]
    p = c.ctx.params
    t_rows, rows = timed(clients.select("manager_id", "origin", "is_new", "opening_assets", "closing_assets",
                                        "daily_avg_assets", "net_income").rows)
    pay = c.result.pay
    mgr = pay.select("manager_id", "track", "status", "tenure", "cum", "n").rows()
    t_row_agg, agg_rows = best_of(2, rowwise.aggregate, rows)
    t_row_rate, rates_rows = best_of(2, rowwise.commission_rates, mgr, p.thresholds, p.sales_rates,
                                     p.advisor_rates, p.standby_rate, p.veteran_tenure, p.veteran_below,
                                     p.veteran_rate)
    del rows
    t_pl_agg, agg_pl = best_of(3, client_aggregates, clients)
    frame = pay.select("manager_id", pl.col("track").alias("track_eff"), "status", "tenure", "cum", "n")
    t_pl_rate, rates_pl = best_of(3, commission.rates, frame, p, at_least)
    # the same answers
    got = {r[0]: list(r[1:]) for r in agg_pl.select(
        "manager_id", "net_income", "client_assets", "new_client_assets", "relationship_assets", "stock_opening",
        "stock_closing", "clients_counted", "clients_transferred").iter_rows()}
    same_agg = got == agg_rows
    same_rate = all(rates_rows[mid][3] == r for mid, r in pay.select("manager_id", "rate").iter_rows()) and all(
        rates_rows[mid][3] == r for mid, r in rates_pl.select("manager_id", "rate").iter_rows())
    return {"rowwise_aggregate_s": round(t_row_agg, 3), "rowwise_rate_s": round(t_row_rate, 3),
            "rows_to_python_s": round(t_rows, 3),
            "ratio_with_rows": round((t_rows + t_row_agg + t_row_rate) / max(t_pl_agg + t_pl_rate, 1e-9), 1),
            "polars_aggregate_s": round(t_pl_agg, 4), "polars_rate_s": round(t_pl_rate, 4),
            "rows": clients.height, "managers": pay.height, "same_results": bool(same_agg and same_rate),
            "ratio_like_for_like": round((t_row_agg + t_row_rate) / max(t_pl_agg + t_pl_rate, 1e-9), 1)}


def _number(v):
    return float(v) if v is not None else None


def bare_summary(frame: pl.DataFrame, columns) -> float:
    """The summary's cells (same values, one format per kind) with xlsxwriter and nothing else."""
    import xlsxwriter
    from cm_payroll.units import RATE_SCALE, SCORE_SCALE
    scale = {"money": 100, "x100": 100, "score": SCORE_SCALE, "rate": RATE_SCALE}
    t = time.perf_counter()
    sel = frame.select([(pl.col(k) / scale[kind]).alias(k) if kind in scale else pl.col(k)
                        for k, _, kind in columns])
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("工资汇总")
    fmts = {kind: wb.add_format({"num_format": "#,##0.00", "border": 1}) for _, _, kind in columns}
    for j, (_, header, _) in enumerate(columns):
        ws.write_string(0, j, header)
    kinds = [kind for _, _, kind in columns]
    for i, row in enumerate(sel.iter_rows(), start=1):
        for j, v in enumerate(row):
            if v is None:
                ws.write_blank(i, j, None, fmts[kinds[j]])
            elif kinds[j] in scale or kinds[j] == "int":
                ws.write_number(i, j, v, fmts[kinds[j]])
            else:
                ws.write_string(i, j, v, fmts[kinds[j]])
    wb.close()
    buf.getvalue()
    return time.perf_counter() - t


def slip_cells(slips) -> list[list[tuple[int, int, object]]]:
    """Every cell a slip holds, as (row, col, value): facts, lines, total, year to date, notes."""
    out = []
    for s in slips:
        cells = [(0, 0, s.title)]
        r = 2
        for i in range(0, len(s.facts), 2):
            for k, (label, value) in enumerate(s.facts[i:i + 2]):
                cells += [(r, k * 2, label), (r, k * 2 + 1, value)]
            r += 1
        r += 1
        cells += [(r, j, h) for j, h in enumerate(("项目", "金额(元)", "条款", "计算依据"))]
        r += 1
        for line in list(s.lines) + [s.total]:
            cells += [(r, 0, line.label), (r, 1, line.amount / 100), (r, 2, line.article), (r, 3, line.basis)]
            r += 1
        r += 1
        for label, value in s.ytd:
            cells += [(r, 0, label), (r, 1, value)]
            r += 1
        for note in s.notes:
            cells.append((r, 0, note))
            r += 1
        out.append(cells)
    return out


def bare_slips(cells_per_slip, dest: Path) -> float:
    import xlsxwriter
    dest.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    for k, cells in enumerate(cells_per_slip):
        buf = io.BytesIO()
        wb = xlsxwriter.Workbook(buf, {"in_memory": True})
        ws = wb.add_worksheet("薪酬单")
        for r, c, v in cells:
            if isinstance(v, str):
                ws.write_string(r, c, v)
            else:
                ws.write_number(r, c, v)
        wb.close()
        (dest / f"{k}.xlsx").write_bytes(buf.getvalue())
    return time.perf_counter() - t


def slips_one_process(mod, c, n: int, dest: Path) -> tuple[float, float, int]:
    """Ours, one process, on the first n managers (builder + workbook + file); and the bare loop."""
    from cm_payroll.render import parallel
    pay = c.result.pay.sort("manager_id").head(n)
    p = c.ctx.params
    dest.mkdir(parents=True, exist_ok=True)
    hashes: dict[str, str] = {}

    def put(rel: str, data: bytes) -> None:
        path = dest / "ours" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        hashes[rel] = ledger_mod.sha256_bytes(data)

    t = time.perf_counter()
    parallel.render_slips(mod.slips, pay, c.month, p, MONTH, dest / "ours", put, hashes, None, "", workers=1)
    ours = time.perf_counter() - t
    cells = slip_cells(mod.slips(pay, c.month, p))
    ncells = sum(len(x) for x in cells) // max(len(cells), 1)
    bare = bare_slips(cells, dest / "bare")
    return ours / n, bare / n, ncells


def cli_month(folder: Path, work: Path) -> dict:
    """`cm-payroll month 2013-01` on a fresh output root, in a subprocess: wall and peak RSS."""
    exe = Path(sys.executable).with_name("cm-payroll")
    cmd = [str(exe) if exe.exists() else sys.executable, *([] if exe.exists() else ["-m", "cm_payroll"]),
           "month", START, "--input", str(folder), "--output", str(work / "cli"), "--quiet"]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}")
    return {"seconds": round(wall, 2), "peak_rss_mib": round(ru.ru_maxrss / 1024, 1), "month": START}


# ----------------------------------------------------------------------------------- one size

def bench_size(n: int, formats: tuple[str, ...], cli: bool, slips_sample: int) -> dict:
    rb = load_rulebook("securities")
    mod = module_for(rb.id)
    root = ensure_data(n, formats)
    out: dict = {"managers": n, "client_rows": None, "formats": {}}
    with tempfile.TemporaryDirectory(prefix=f"bench{n}_", dir=os.environ.get("BENCH_TMP")) as tmp:
        work = Path(tmp)
        t, (state, aux) = timed(month1_state, rb, mod, root / "parquet")
        out["month1_compute_s"] = round(t, 2)
        main_c = None
        main_run = None
        for fmt in ("parquet", "csv", "xlsx"):
            if fmt not in formats and fmt != "parquet":
                continue
            console.print(f"[dim]{n:,} managers: {fmt} load → ledger …[/]")
            run, c = run_chain(rb, mod, root / fmt, state, aux, work / fmt)
            rec = {"stages": run.as_dict(), "chain_s": round(run.total(), 3),
                   "chain_peak_rss_mib": round(run.peak(), 1)}
            if fmt == "xlsx":
                gc.collect()
                fx = fastexcel_alone(root / fmt / MONTH, as_text=False)
                fxs = fastexcel_alone(root / fmt / MONTH, as_text=True)
                lv = run.stages["load"].seconds + run.stages["validate"].seconds
                rec["fastexcel_alone_s"] = round(fx, 3)
                rec["fastexcel_alone_text_s"] = round(fxs, 3)
                rec["load_vs_fastexcel_text"] = round(run.stages["load"].seconds / fxs, 2)
                rec["load_validate_vs_fastexcel"] = round(lv / fx, 2)
                rec["chain_vs_fastexcel"] = round(run.total() / fx, 2)
                rec["chain_vs_fastexcel_text"] = round(run.total() / fxs, 2)
                rec["sheets"] = _sheets(root / fmt / MONTH / "clients.xlsx")
            out["formats"][fmt] = rec
            if fmt == "parquet":
                main_c, main_run = c, run
                out["client_rows"] = c.inputs["clients"].height
            else:
                del c
            gc.collect()
        c, run = main_c, main_run
        console.print(f"[dim]{n:,} managers: summary, exceptions and slips …[/]")
        out["render"] = run_render(rb, mod, c, run, work / "render")
        out["stages"] = run.as_dict()
        everything = run.total(STAGES)
        out["total_s"] = round(everything, 2)
        out["managers_per_s"] = round(n / everything, 1)
        out["chain_managers_per_s"] = round(n / run.total(), 1)
        out["peak_rss_mib"] = round(run.peak(STAGES), 1)
        shutil.rmtree(work / "render", ignore_errors=True)
        # comparisons
        console.print(f"[dim]{n:,} managers: row-by-row, bare xlsxwriter …[/]")
        out["rowwise"] = rowwise_vs_polars(c, mod)
        out["rowwise"]["ratio_vs_aggregate_and_rules_stages"] = round(
            (out["rowwise"]["rowwise_aggregate_s"] + out["rowwise"]["rowwise_rate_s"])
            / (run.stages["aggregate"].seconds + run.stages["rules"].seconds), 1)
        p = c.ctx.params
        frame, columns = mod.summary(c.result.pay, p)
        bare = bare_summary(frame, columns)
        ours = out["render"]["summary_builder_s"]
        out["summary_vs_bare"] = {"ours_s": ours, "bare_xlsxwriter_s": round(bare, 3),
                                  "ratio": round(ours / bare, 2) if ours else None}
        k = min(slips_sample, n)
        ours1, bare1, ncells = slips_one_process(mod, c, k, work / "slipcmp")
        slips_s = run.stages["slips"].seconds
        out["slips"] = {"slips": n, "seconds": round(slips_s, 2), "per_slip_ms": round(1000 * slips_s / n, 3),
                        "workers": _workers(n), "sample": k, "cells_per_slip": ncells,
                        "one_process_per_slip_ms": round(1000 * ours1, 3),
                        "bare_xlsxwriter_per_slip_ms": round(1000 * bare1, 3),
                        "ratio_one_process": round(ours1 / bare1, 2)}
        del c, main_c
        gc.collect()
        if cli:
            console.print(f"[dim]{n:,} managers: cm-payroll month {START} (subprocess) …[/]")
            out["cli_month"] = cli_month(root / "parquet", work)
    return out


def _workers(n: int) -> int:
    from cm_payroll.render.parallel import slip_workers
    return slip_workers(n)


def _sheets(path: Path) -> int:
    import fastexcel
    return len(fastexcel.read_excel(str(path)).sheet_names)


# ----------------------------------------------------------------------------------- report

def targets(results: list[dict]) -> list[dict]:
    big = max(results, key=lambda r: r["managers"])
    f = big["formats"]
    rows = []

    def add(what, value, limit, unit, ok):
        rows.append({"target": what, "measured": value, "limit": limit, "unit": unit, "met": bool(ok),
                     "managers": big["managers"]})
    pq = f["parquet"]
    add("Parquet load→ledger", pq["chain_s"], TARGETS["parquet_chain_s"], "s", pq["chain_s"] <= TARGETS["parquet_chain_s"])
    add("peak RSS (load→ledger)", round(pq["chain_peak_rss_mib"] / 1024, 2), TARGETS["peak_rss_gib"], "GiB",
        pq["chain_peak_rss_mib"] / 1024 <= TARGETS["peak_rss_gib"])
    if "csv" in f:
        add("CSV load→ledger", f["csv"]["chain_s"], TARGETS["csv_chain_s"], "s", f["csv"]["chain_s"] <= TARGETS["csv_chain_s"])
    if "xlsx" in f:
        x = f["xlsx"]
        add(".xlsx load→ledger / fastexcel alone (typed)", x["chain_vs_fastexcel"], TARGETS["xlsx_vs_fastexcel"], "×",
            x["chain_vs_fastexcel"] <= TARGETS["xlsx_vs_fastexcel"])
        add(".xlsx load→ledger / fastexcel alone (text cells)", x["chain_vs_fastexcel_text"],
            TARGETS["xlsx_vs_fastexcel"], "×", x["chain_vs_fastexcel_text"] <= TARGETS["xlsx_vs_fastexcel"])
    rw = big["rowwise"]
    add("row-by-row / Polars (aggregate + rate)", rw["ratio_like_for_like"], TARGETS["rowwise_ratio"], "× (≥)",
        rw["ratio_like_for_like"] >= TARGETS["rowwise_ratio"])
    add("row-by-row incl. rows → Python objects / Polars (aggregate + rate)", rw["ratio_with_rows"],
        TARGETS["rowwise_ratio"], "× (≥)", rw["ratio_with_rows"] >= TARGETS["rowwise_ratio"])
    add("row-by-row / Polars aggregate+rules stages", rw["ratio_vs_aggregate_and_rules_stages"],
        TARGETS["rowwise_ratio"], "× (≥)", rw["ratio_vs_aggregate_and_rules_stages"] >= TARGETS["rowwise_ratio"])
    sv = big["summary_vs_bare"]
    if sv["ratio"] is not None:
        add("summary workbook / bare xlsxwriter", sv["ratio"], TARGETS["summary_vs_xlsxwriter"], "×",
            sv["ratio"] <= TARGETS["summary_vs_xlsxwriter"])
    sl = big["slips"]
    limit = TARGETS["slips_100k_s"] * big["managers"] / 100_000
    add(f"{big['managers']:,} slips, {sl['workers']} processes", sl["seconds"], round(limit, 1), "s", sl["seconds"] <= limit)
    add("slip / bare xlsxwriter slip (one process)", sl["ratio_one_process"], TARGETS["slip_vs_xlsxwriter"], "×",
        sl["ratio_one_process"] <= TARGETS["slip_vs_xlsxwriter"])
    return rows


def print_report(results: list[dict], tgt: list[dict]) -> None:
    t = Table(title="cm-payroll bench — one securities month (2013-02, ledger state of 2013-01), Parquet",
              show_lines=False)
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
    t.add_row(*(["total"] + sum(([f"{r['total_s']:.2f}", f"{r['peak_rss_mib']:,.0f}"] for r in results), [])))
    t.add_row(*(["managers/s"] + sum(([f"{r['managers_per_s']:,.0f}", ""] for r in results), [])))
    t.add_row(*(["client rows"] + sum(([f"{r['client_rows']:,}", ""] for r in results), [])))
    console.print(t)

    f = Table(title="load → validate → aggregate → rules → ledger, by input format (seconds; peak MiB)")
    f.add_column("format")
    for r in results:
        f.add_column(f"{r['managers']:,}", justify="right")
    for fmt in ("parquet", "csv", "xlsx"):
        if not all(fmt in r["formats"] for r in results):
            continue
        f.add_row(fmt, *[f"{r['formats'][fmt]['chain_s']:.2f}  ({r['formats'][fmt]['chain_peak_rss_mib']:,.0f})"
                         for r in results])
    if all("xlsx" in r["formats"] for r in results):
        f.add_row("fastexcel alone (.xlsx, typed)", *[f"{r['formats']['xlsx']['fastexcel_alone_s']:.2f}" for r in results])
        f.add_row("fastexcel alone (.xlsx, text)", *[f"{r['formats']['xlsx']['fastexcel_alone_text_s']:.2f}" for r in results])
    console.print(f)

    c = Table(title="comparisons")
    c.add_column("what")
    for r in results:
        c.add_column(f"{r['managers']:,}", justify="right")
    c.add_row("row-by-row agg+rate s", *[f"{r['rowwise']['rowwise_aggregate_s'] + r['rowwise']['rowwise_rate_s']:.2f}" for r in results])
    c.add_row("Polars agg+rate s", *[f"{r['rowwise']['polars_aggregate_s'] + r['rowwise']['polars_rate_s']:.3f}" for r in results])
    c.add_row("ratio (like for like)", *[f"{r['rowwise']['ratio_like_for_like']:.0f}×" for r in results])
    c.add_row("ratio, making the Python rows included", *[f"{r['rowwise']['ratio_with_rows']:.0f}×" for r in results])
    c.add_row("ratio vs aggregate+rules stages", *[f"{r['rowwise']['ratio_vs_aggregate_and_rules_stages']:.1f}×" for r in results])
    c.add_row("same results", *[str(r["rowwise"]["same_results"]) for r in results])
    c.add_row("summary workbook s (ours / bare)", *[f"{r['summary_vs_bare']['ours_s']} / {r['summary_vs_bare']['bare_xlsxwriter_s']}" for r in results])
    c.add_row("summary ratio", *[f"{r['summary_vs_bare']['ratio']}×" for r in results])
    c.add_row("slips s (workers)", *[f"{r['slips']['seconds']:.1f} ({r['slips']['workers']})" for r in results])
    c.add_row("per slip ms, all workers", *[f"{r['slips']['per_slip_ms']:.2f}" for r in results])
    c.add_row("per slip ms, 1 process: ours / bare", *[f"{r['slips']['one_process_per_slip_ms']:.2f} / {r['slips']['bare_xlsxwriter_per_slip_ms']:.2f}" for r in results])
    c.add_row("slip ratio (1 process)", *[f"{r['slips']['ratio_one_process']}×" for r in results])
    if all("cli_month" in r for r in results):
        c.add_row("cm-payroll month s (peak MiB)", *[f"{r['cli_month']['seconds']:.1f} ({r['cli_month']['peak_rss_mib']:,.0f})" for r in results])
    console.print(c)

    g = Table(title=f"targets (at {tgt[0]['managers']:,} managers)" if tgt else "targets")
    for col in ("target", "measured", "limit", "met"):
        g.add_column(col)
    for x in tgt:
        g.add_row(x["target"], f"{x['measured']} {x['unit']}", f"{x['limit']}", "[green]yes[/]" if x["met"] else "[red]no[/]")
    console.print(g)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", ",".join(map(str, DEFAULT_SIZES))),
                    help="managers per run, comma separated (env BENCH_SIZES)")
    ap.add_argument("--formats", default=os.environ.get("BENCH_FORMATS", "parquet,csv,xlsx"),
                    help="input formats to time (parquet always; env BENCH_FORMATS)")
    ap.add_argument("--no-cli", action="store_true", default=os.environ.get("BENCH_CLI", "1") == "0",
                    help="skip the end-to-end `cm-payroll month` subprocess (env BENCH_CLI=0)")
    ap.add_argument("--slip-sample", type=int, default=int(os.environ.get("BENCH_SLIP_SAMPLE", SLIP_SAMPLE)))
    ap.add_argument("--output", type=Path, default=RESULTS)
    a = ap.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in a.sizes.split(",") if s.strip()]
    formats = tuple(f.strip() for f in a.formats.split(",") if f.strip())
    if not reset_peak():
        console.print("[yellow]/proc/self/clear_refs is not writable: peak RSS per stage is the process peak so far[/]")
    results = []
    for n in sizes:
        t = time.perf_counter()
        results.append(bench_size(n, formats, cli=not a.no_cli, slips_sample=a.slip_sample))
        console.print(f"[dim]{n:,} managers benchmarked in {time.perf_counter() - t:.0f} s[/]")
    tgt = targets(results)
    print_report(results, tgt)
    doc = {"machine": {"cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                       "polars": pl.__version__, "load_average": os.getloadavg()},
           "clients_per_manager": CLIENTS_PER_MANAGER, "month": MONTH, "results": results, "targets": tgt}
    a.output.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    console.print(f"results: {a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
