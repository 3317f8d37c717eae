"""Re-runs of closed months and the corrections they book (SPEC 6; S-Art.33 差错处理).

S-Art.33: 发现有错误计算并已发放的薪酬应予以补发或追回. `month M --force` recomputes M from its (corrected)
inputs and every later closed month from the new chain of states, keeps the earlier outputs and
ledger files as numbered versions, and books each manager's difference in gross pay, month by month,
as a `correction` (补发 > 0, 追回 < 0) in the next open month.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import polars as pl

from cm_payroll.errors import RefusedError, UsageError
from cm_payroll.ledger import Ledger
from cm_payroll.months import fmt_month, parse_month
from cm_payroll.rulebook import Rulebook


def _yuan(e: pl.Expr) -> pl.Expr:
    sign = pl.when(e < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.format("{}{}.{}", sign, (e.abs() // 100).cast(pl.String), (e.abs() % 100).cast(pl.String).str.zfill(2))


def gross_differences(old: pl.DataFrame, new: pl.DataFrame, month: str, version: int | None = None) -> pl.DataFrame:
    """Per manager new − old gross pay of one month (a manager missing on one side counts 0).
    `version`: the new version's number, recorded with each entry so that the ledger can trace it."""
    o = old.select("manager_id", pl.col("gross_pay").alias("old"))
    n = new.select("manager_id", pl.col("gross_pay").alias("new"))
    d = o.join(n, on="manager_id", how="full", coalesce=True).with_columns(
        (pl.col("new").fill_null(0) - pl.col("old").fill_null(0)).alias("amount"))
    cols = [pl.lit(version, dtype=pl.Int64).alias("version")] if version is not None else []
    return d.filter(pl.col("amount") != 0).select(
        "manager_id", "amount", pl.lit(month).alias("corrects"),
        pl.format("{} 应发合计 {} → {}", pl.lit(month), _yuan(pl.col("old").fill_null(0)),
                  _yuan(pl.col("new").fill_null(0))).alias("note"), *cols,
    ).sort("manager_id")


def _amounts(ledger: Ledger, month: str, version: int) -> dict[str, int]:
    """{manager: gross pay of `version` − gross pay of the version it replaced} (nonzero only).
    LookupError with the problem when either version is not in the ledger."""
    prev = ledger.previous_version(month, version)
    if prev < 1:
        raise LookupError(f"version {version} of {month} is its first: it corrects nothing")
    try:
        new, old = ledger.read(month, "pay", version), ledger.read(month, "pay", prev)
    except (RefusedError, UsageError) as exc:
        raise LookupError(str(exc).split("\n")[0]) from None
    d = gross_differences(old, new, month)
    return dict(zip(d.get_column("manager_id").to_list(), d.get_column("amount").to_list()))


def trace_pending(ledger: Ledger) -> list[str]:
    """Check that every pending correction of the ledger's HEAD is what a re-run booked: its month is
    closed, its version exists, and its amount is that version's gross pay less the replaced
    version's for that manager (a manager missing in one counts 0); no entry twice. Entries written
    before the version was recorded are traced against the month's last two versions, and further
    back when a month was re-run again before its corrections were paid (the list keeps booking
    order); they get the version they trace to. Returns the problems (none: the list is genuine)."""
    problems: list[str] = []
    cache: dict[tuple[str, int], dict[str, int] | str] = {}

    def amounts(month: str, version: int) -> dict[str, int] | str:
        if (month, version) not in cache:
            try:
                cache[(month, version)] = _amounts(ledger, month, version)
            except LookupError as exc:
                cache[(month, version)] = str(exc.args[0])
        return cache[(month, version)]

    def yuan(fen: int) -> str:
        return f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"

    seen: set[tuple[str, int, str]] = set()
    legacy: dict[str, list[int]] = {}
    for i, e in enumerate(ledger.pending_corrections):
        who = f"entry {i + 1} ({e['manager_id']}, {e['corrects']}, {yuan(e['amount'])})"
        month = e["corrects"]
        if month not in ledger.months:
            problems.append(f"{who}: {month} is not a closed month")
            continue
        if "version" not in e:
            legacy.setdefault(month, []).append(i)
            continue
        v = e["version"]
        key = (month, v, e["manager_id"])
        if key in seen:
            problems.append(f"{who}: booked twice for version {v}")
            continue
        seen.add(key)
        got = amounts(month, v)
        if isinstance(got, str):
            problems.append(f"{who}: {got}")
        elif got.get(e["manager_id"], 0) != e["amount"]:
            problems.append(f"{who}: version {v} differs from the version it replaced by "
                            f"{yuan(got.get(e['manager_id'], 0))} for {e['manager_id']}")
    for month, idxs in legacy.items():
        v = ledger.months[month].version
        used: set[str] = set()
        for i in reversed(idxs):                # the latest booking last: walk back through versions
            e = ledger.pending_corrections[i]
            while v >= 2:
                got = amounts(month, v)
                if isinstance(got, dict) and e["manager_id"] not in used and got.get(e["manager_id"]) == e["amount"]:
                    used.add(e["manager_id"])
                    e["version"] = v
                    break
                try:
                    v, used = ledger.previous_version(month, v), set()
                except LookupError:
                    v = 0
            else:
                problems.append(f"entry {i + 1} ({e['manager_id']}, {month}, {yuan(e['amount'])}): not the "
                                f"difference between two versions of {month}")
    return problems


def rerun_closed(ledger: Ledger, rb: Rulebook, mod: ModuleType, plan, input_dir: Path, output_dir: Path,
                 report, options=None, change: dict | None = None, edited: list[dict] | None = None):
    from cm_payroll.pipeline import (RunSummary, compute, corrections_frame, note_output_changes,
                                     note_rulebook_change, write_run)
    from cm_payroll.rulebooks.tax.apply import keep_paid_tax_state

    months = plan.months
    name = fmt_month(months[0])
    chain = [fmt_month(k) for k in months]
    _, state = ledger.state_before(name)
    if state is None:
        state = mod.empty_state()
    # Corrections a month applied when it was computed are applied again, unchanged.
    applied: dict[int, pl.DataFrame] = {}
    for x in chain:
        if ledger.has(x, "corrections"):
            applied[parse_month(x)] = ledger.read(x, "corrections")
    computed = compute(rb, mod, months, input_dir, state, plan.first, applied, report, ledger.aux_before(name),
                       start=plan.start)
    keep_paid_tax_state(computed, ledger)      # SPEC 9: the tax state of what was paid carries on
    note_rulebook_change(computed[0], change or {}, rb)
    note_output_changes(computed[0], edited or [], rb)
    booked = []
    for c in computed:
        x = fmt_month(c.month)
        diff = gross_differences(ledger.read(x, "pay"), c.result.pay, x, ledger.next_version(x))
        booked += diff.to_dicts()
    pending = ledger.pending_corrections + booked
    _ = corrections_frame(pending)          # schema check
    outcomes = write_run(ledger, rb, mod, computed, output_dir, ledger.first_month or name, input_dir,
                         report, pending_after=pending, options=options)
    return RunSummary(rb.id, output_dir, outcomes)
