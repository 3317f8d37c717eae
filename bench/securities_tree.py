"""A large, seeded securities input tree for benchmarks (issue 5): 100,000 managers × 50 clients.

`generate()` writes, for every month, the files of SPEC 2 (roster, scores, clients, events,
adjustments) in one sibling tree per format (treegen.py): parquet and csv every month, xlsx for one
month (clients over several sheets: one worksheet holds at most 1,048,576 rows, so `clients.xlsx`
continues on further sheets that repeat the header; the loader appends them).

Everything is vectorised in Polars, with the counter-based randomness of treegen.py. The data are
built to be realistic and valid (no input error): managers in 20 branches, 15% advisors, a few
trainees hired just before the first month, about 12% 片区经理 supervising others, monthly scores
around a level bracket (3% low scorers who go through standby training), clients with a stable book
that follows the market month to month, 4% transferred in (S-Art.36), 2% new each month, a few
negative incomes; events (leave, advisors' transfer requests, fraud, a compliance violation, withheld
pay) and adjustments on about 3% of managers. Amounts in CSV are printed as doubles
(treegen.float_yuan), as many back-office exports do.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl
from treegen import (EXCEL_MAX_ROWS, Rng, adjustments, as_text, float_yuan, headed, headers_of_kind, month_names,
                     per_manager_counts, person_name, plan_formats, write_month, write_xlsx)

from cm_payroll.rulebooks.securities.inputs import CLIENTS, SCORES
from cm_payroll.schema import ADJUSTMENTS_FILE, COMMON, EVENTS_FILE, ROSTER

__all__ = ["generate"]

_BRANCHES = ("杭州", "宁波", "温州", "绍兴", "湖州", "嘉兴", "金华", "衢州", "舟山", "台州", "丽水", "上海",
             "北京", "深圳", "广州", "南京", "苏州", "合肥", "福州", "成都")
# Half the monthly move of the Shanghai composite (client assets also hold cash and bonds); repeats.
_MARKET = (0.025, -0.004, -0.027, -0.013, 0.028, -0.07, 0.004, 0.026, 0.018, -0.008, 0.018, -0.024)
MONEY = headers_of_kind((CLIENTS, ADJUSTMENTS_FILE), "money", "money_nonneg")
STEMS = tuple(spec.name for spec in (*COMMON, SCORES, CLIENTS))     # stale files of these are removed


# ------------------------------------------------------------------------------------ managers

def _managers(rng: Rng, n: int, first: str) -> pl.DataFrame:
    """One row per manager: identity, branch, track, hire date, level bracket, supervisor, clients."""
    width = max(4, len(str(n)))
    fy, fm = int(first[:4]), int(first[5:7])
    i = pl.col("i")
    df = pl.DataFrame({"i": pl.int_range(n, dtype=pl.Int64, eager=True)})
    kind = rng.uniform(i, "hire.kind")
    veteran_y = 2003 + rng.below(i, "hire.vy", 5)
    k = rng.below(i, "hire.k", 41)                      # 2009-04 .. 2012-08
    recent = (pl.lit(2009 * 12 + 3) + k)
    trainee = pl.lit(fy * 12 + fm - 1) - rng.below(i, "hire.t", 4)    # the first month or 3 before
    ym = (pl.when(kind < 0.15).then(veteran_y * 12 + rng.below(i, "hire.vm", 12))
          .when(kind < 0.97).then(recent).otherwise(trainee))
    day = 1 + rng.below(i, "hire.d", 28)
    track_adv = rng.uniform(i, "track") < 0.15
    bracket = rng.uniform(i, "bracket")
    low = rng.uniform(i, "low") < 0.03
    # monthly score bases (whole points): ordinary ≈ 45,000 a year; seniors above; low scorers below
    base = (pl.when(low).then(1800 + rng.below(i, "b.low", 900))
            .when(bracket < 0.45).then(4200 + rng.below(i, "b.o", 600))
            .when(bracket < 0.80).then(7600 + rng.below(i, "b.s1", 800))
            .when(bracket < 0.95).then(12_500 + rng.below(i, "b.s2", 1000))
            .otherwise(17_500 + rng.below(i, "b.p1", 1500)))
    df = df.with_columns(
        pl.format("ZS{}", pl.col("i").add(1).cast(pl.String).str.zfill(width)).alias("manager_id"),
        person_name(rng, i).alias("name"),
        (ym // 12).alias("hy"), (ym % 12 + 1).alias("hm"), day.alias("hd"),
        (kind >= 0.97).alias("trainee"),
        track_adv.alias("advisor"),
        rng.below(i, "branch", len(_BRANCHES)).alias("branch_i"),
        base.alias("score_base"),
        (rng.uniform(i, "cert") < 0.6).alias("cert_draw"),
        rng.uniform(i, "sup").alias("sup_draw"),
        rng.uniform(i, "ni").alias("ni_draw"),
    )
    df = df.with_columns(
        pl.date(pl.col("hy"), pl.col("hm"), pl.col("hd")).alias("hire_date"),
        (pl.col("advisor") & ~pl.col("trainee")).alias("advisor"),
        (pl.col("advisor") | pl.col("cert_draw")).alias("certified"),
        pl.lit(pl.Series(_BRANCHES, dtype=pl.String)).gather(pl.col("branch_i")).add(pl.lit("营业部")).alias("branch"),
    )
    # 片区经理: about one confirmed sales manager in eight above ordinary supervises others of the branch
    head = (~pl.col("advisor") & ~pl.col("trainee") & (pl.col("score_base") >= 7600)
            & (pl.col("sup_draw") < 0.3))
    df = df.with_columns(head.alias("head"))
    heads = df.filter("head").select("branch_i", pl.col("manager_id").alias("sup_id"))
    heads = heads.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).over("branch_i").alias("h_k"),
                               pl.len().over("branch_i").alias("h_n"))
    counts = heads.group_by("branch_i").agg(pl.first("h_n"))
    df = df.join(counts, on="branch_i", how="left", maintain_order="left").with_columns(
        (rng.uniform(pl.col("i"), "sup.pick") * pl.col("h_n")).floor().cast(pl.Int64).alias("h_k"))
    df = df.join(heads.select("branch_i", "h_k", "sup_id"), on=["branch_i", "h_k"],
                 how="left", maintain_order="left")
    df = df.with_columns(
        pl.when(~pl.col("head") & (pl.col("sup_draw") >= 0.3) & (pl.col("sup_draw") < 0.9)
                & (pl.col("sup_id") != pl.col("manager_id")))
        .then(pl.col("sup_id")).alias("supervisor_id"))
    return df.sort("i")


# ------------------------------------------------------------------------------------ frames

def _roster(mgr: pl.DataFrame) -> pl.DataFrame:
    return headed(ROSTER, mgr.select(
        "manager_id", "name", "branch",
        pl.when(pl.col("advisor")).then(pl.lit("理财类")).otherwise(pl.lit("销售类")).alias("track"),
        "hire_date", "supervisor_id",
        pl.when(pl.col("certified")).then(pl.lit("是")).otherwise(pl.lit("否")).alias("certified"),
    ))


def _scores(rng: Rng, mgr: pl.DataFrame, j: int) -> pl.DataFrame:
    i = pl.col("i")
    key = i * 64 + j
    noise = 1 + (rng.uniform(key, "score") - 0.5) * 0.24
    trainee_score = 1200 + rng.below(key, "score.t", 1200)
    score_x10 = (pl.when(pl.col("trainee")).then(trainee_score).otherwise(pl.col("score_base")) * noise * 10).round()
    missing = rng.uniform(key, "score.missing") < 0.005
    whole = (score_x10 // 10).cast(pl.Int64)
    frac = (score_x10 % 10).cast(pl.Int64)
    text = pl.when(frac == 0).then(whole.cast(pl.String)).otherwise(pl.format("{}.{}", whole, frac))
    return headed(SCORES, mgr.filter(~missing).select("manager_id", text.alias("score")))


def _clients(rng: Rng, mgr: pl.DataFrame, per_manager: int, j: int) -> pl.DataFrame:
    """Month j's client rows (fen as Int64): the same book every month, following the market."""
    cnt = mgr.select("i", "manager_id", "trainee", "ni_draw",
                     per_manager_counts(rng, mgr.height, per_manager, "ncl").alias("cnt"))
    df = cnt.select("manager_id", "trainee", "ni_draw",
                    pl.int_ranges(0, pl.col("cnt"), dtype=pl.Int64).alias("k")).explode("k")
    slot = pl.int_range(pl.len(), dtype=pl.Int64)
    df = df.with_columns(slot.alias("slot"))
    s = pl.col("slot")
    sj = s * 64 + j
    u = rng.uniform
    # every random draw once, as a column; the figures below combine them
    df = df.with_columns(
        rng.normal(s, "bal").alias("z_bal"), u(s * 64 + j, "wob").alias("u_wob"),
        u(s * 64 + max(j - 1, 0), "wob").alias("u_wob0"), u(sj, "new").alias("u_new"), u(s, "origin").alias("u_org"),
        u(sj, "avg").alias("u_avg"), u(sj, "ni.r").alias("u_nir"), u(sj, "ni.neg").alias("u_neg"))
    # a book of lognormal balances (median 400,000 yuan), trainees smaller
    base = (pl.lit(400_000.0) * (0.9 * pl.col("z_bal")).exp()).clip(2_000, 30_000_000)
    market = [1.0]
    for k in range(j + 1):
        market.append(market[-1] * (1 + _MARKET[k % 12]))
    df = df.with_columns(pl.when(pl.col("trainee")).then(base * 0.3).otherwise(base).alias("base"),
                         (pl.col("u_new") < 0.02).alias("is_new"))
    close = (pl.col("base") * market[j + 1] * (1 + (pl.col("u_wob") - 0.5) * 0.04) * 100).round().cast(pl.Int64)
    if j > 0:
        prev = (pl.col("base") * market[j] * (1 + (pl.col("u_wob0") - 0.5) * 0.04) * 100).round().cast(pl.Int64)
    else:
        prev = (pl.col("base") * market[j] * 100).round().cast(pl.Int64)
    df = df.with_columns(close.alias("close"), prev.alias("prev"))
    new = pl.col("is_new")
    daily = pl.when(new).then(pl.col("close") * (0.35 + 0.4 * pl.col("u_avg"))).otherwise(
        (pl.col("prev") + pl.col("close")) / 2 * (0.97 + 0.06 * pl.col("u_avg"))).round().cast(pl.Int64)
    df = df.with_columns(daily.alias("daily"))
    rate = 0.0004 + 0.001 * pl.col("ni_draw") + 0.0004 * pl.col("u_nir")
    income = (pl.col("daily") * rate).round().cast(pl.Int64)
    income = pl.when(pl.col("u_neg") < 0.005).then(-income * 3).otherwise(income)
    return headed(CLIENTS, df.select(
        "manager_id",
        pl.format("K{}", s.add(1).cast(pl.String).str.zfill(9)).alias("client_id"),
        pl.when(pl.col("u_org") < 0.04).then(pl.lit("内部转入")).otherwise(pl.lit("自行开发")).alias("origin"),
        pl.when(new).then(pl.lit("是")).otherwise(pl.lit("否")).alias("is_new"),
        pl.when(new).then(pl.lit(0, pl.Int64)).otherwise(pl.col("prev")).alias("opening_assets"),
        pl.col("close").alias("closing_assets"), pl.col("daily").alias("daily_avg_assets"), income.alias("net_income"),
    ))


def _events(rng: Rng, mgr: pl.DataFrame, month: str, j: int) -> pl.DataFrame:
    key = pl.col("i") * 64 + j
    u = rng.uniform(key, "ev")
    y, m = int(month[:4]), int(month[5:7])
    day = 1 + rng.below(key, "ev.day", 28)
    date = pl.format("{}-{}-{}", pl.lit(str(y)), pl.lit(f"{m:02d}"), day.cast(pl.String).str.zfill(2))
    ev = (pl.when(u < 0.012).then(pl.lit("休假"))
          .when((u < 0.017) & pl.col("advisor")).then(pl.lit("转岗申请"))
          .when((u < 0.0172) & ~pl.col("trainee")).then(pl.lit("业绩造假"))
          .when((u < 0.0175) & ~pl.col("trainee")).then(pl.lit("违规")))
    one = mgr.select("manager_id", "i", ev.alias("ev"), date.alias("date")).filter(pl.col("ev").is_not_null())
    note = pl.when(pl.col("ev") == "休假").then(pl.lit("年休假3天")).otherwise(pl.lit("经营业部核查"))
    ref = pl.when(pl.col("ev") == "休假").then(pl.lit(None, pl.String)).otherwise(
        pl.format("EV{}-{}", pl.lit(month[:4]), pl.col("i").cast(pl.String)))
    rows = one.select("manager_id", pl.col("ev").alias("event"), "date", note.alias("note"),
                      ref.alias("approval_ref"))
    # withheld pay (S-Art.9): a resignation whose handover is not complete
    res = mgr.filter((rng.uniform(key, "resign") < 0.0005) & ~pl.col("trainee")).select("manager_id")
    extra = pl.concat([
        res.select("manager_id", pl.lit(ev_name).alias("event"), pl.lit(f"{month}-{d:02d}").alias("date"),
                   pl.lit(note_).alias("note"), pl.lit(None, pl.String).alias("approval_ref"))
        for ev_name, d, note_ in (("辞职申请", 10, "个人原因"), ("交接未完成", 25, "客户交接未完成"))])
    return headed(EVENTS_FILE, pl.concat([rows, extra]).sort("manager_id", "event", maintain_order=True))


# ------------------------------------------------------------------------------------ writers

def _write(df: pl.DataFrame, folder: Path, stem: str, fmt: str, sheet: str, sheet_rows: int) -> Path:
    """Parquet: money as Decimal(18, 2) (what a database export holds), dates as Date, the rest text;
    CSV: money printed as doubles, dates ISO; .xlsx: money as number cells."""
    path = folder / f"{stem}.{fmt}"
    if fmt == "parquet":
        df.with_columns([(pl.col(c) / 100).cast(pl.Decimal(18, 2)).alias(c) for c in df.columns if c in MONEY]
                        ).write_parquet(path, compression="zstd", statistics=False)
    elif fmt == "csv":
        as_text(df, MONEY, float_yuan).write_csv(path)
    else:
        write_xlsx(path, sheet, df, MONEY, sheet_rows=sheet_rows)
    return path


# ------------------------------------------------------------------------------------ entry point

def generate(out_dir: Path, *, managers: int, clients_per_manager: int = 50, months: int = 12,
             start: str = "2013-01", seed: int = 2013, formats: Sequence[str] = ("parquet", "csv"),
             xlsx_month: str | None = None, sheet_rows: int = EXCEL_MAX_ROWS, progress=None) -> list[Path]:
    """Write the tree (see the module docstring); return the files written, sorted.

    `formats` picks the monthly trees (parquet, csv); "xlsx" in `formats` or `xlsx_month` adds the
    .xlsx tree for one month (`xlsx_month`, default the first month). `sheet_rows` is the row limit
    of one worksheet (header included), a parameter so that tests can force continuation sheets."""
    if managers < 1 or clients_per_manager < 1 or months < 1:
        raise ValueError("managers, clients_per_manager and months must be at least 1")
    out_dir = Path(out_dir)
    names = month_names(start, months)
    monthly, xlsx_month = plan_formats(formats, names, xlsx_month)
    rng = Rng.of(seed)
    mgr = _managers(rng, managers, names[0])
    roster = _roster(mgr)
    written: list[Path] = []
    for j, month in enumerate(names):
        fmts = monthly + (["xlsx"] if month == xlsx_month else [])
        if not fmts:
            continue
        frames = {
            "roster": (roster, "花名册"),
            "scores": (_scores(rng, mgr, j), "积分"),
            "clients": (_clients(rng, mgr, clients_per_manager, j), "客户资产"),
            "events": (_events(rng, mgr, month, j), "事件"),
            "adjustments": (adjustments(rng, mgr, month, j), "调整"),
        }
        written += write_month(out_dir, month, fmts, frames,
                               lambda df, folder, stem, fmt, sheet: _write(df, folder, stem, fmt, sheet, sheet_rows),
                               STEMS, ("events", "adjustments"))
        if progress is not None:
            progress(month)
    return sorted(written)
