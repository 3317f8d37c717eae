"""Re-runs of closed months and the corrections they book (SPEC 6; S-Art.33 差错处理).

S-Art.33: 发现有错误计算并已发放的薪酬应予以补发或追回. `month M --force` on a released month recomputes M
from its (corrected) inputs and every later month from the new chain of states (pipeline.py), keeps the
earlier outputs and ledger files as numbered versions, and books each manager's difference in gross
pay, month by month, as a `correction` (补发 > 0, 追回 < 0) in the first month not released. This module
holds the arithmetic of it and the check of HEAD's pending list.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import polars as pl

from cm_payroll.errors import RefusedError, UsageError
from cm_payroll.ledger import Ledger
from cm_payroll.months import fmt_month, parse_month
from cm_payroll.rulebook import Rulebook


# A month's corrections (ledger `corrections.parquet`): booked by a re-run of a released month, or
# pending in HEAD until the first month not released is computed.
CORRECTION_SCHEMA = {"manager_id": pl.String, "amount": pl.Int64, "corrects": pl.String, "note": pl.String}


def corrections_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame([{k: r.get(k) for k in CORRECTION_SCHEMA} for r in rows], schema=CORRECTION_SCHEMA,
                        orient="row")


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


__all__ = ["CORRECTION_SCHEMA", "corrections_frame", "gross_differences", "trace_pending"]
