"""A large, seeded rcc input tree for benchmarks (issue 5): by default 20,000 credit managers × 100
loans = 2,000,000 loan rows a month, two months.

`generate()` writes, for every month, every file the rcc rulebook reads (SPEC 2; inputs.py) in one
sibling tree per format (treegen.py): parquet and csv every month, xlsx for one month (optional;
loans over several sheets). conduct from February on (as in the sample, January has none: the item
is full), management in quarter-end months only, events and adjustments only when they have rows.
In the .xlsx tree amounts and scores are text cells, but the adjustments' 金额 (the loader reads
them the same; exports with numbers stored as text exist).

Everything is vectorised in Polars, with the counter-based randomness of treegen.py (splitmix64 over
(seed, stream, key)); the only Python loop is over the months. Money is integer fen throughout
(interest = outstanding × rate × days / days of the month, rounded half-up in integers); floats are
only uniform draws and the default probabilities they are compared with.

The model (realistic and valid: the tree loads without an input error):

- managers in 24 co-ops (信用社) of one county, hired before the first month, 3% dedicated collectors
  (专责清收), a deposit level each (daily average 450,000–1,100,000 yuan, ±5% a month), 20% with
  explicit deposit targets, a loan risk each (default probability 0.5%–6.5%, mean about 2%);
- loan *slots*: each manager holds loans_per_manager ± 50% (in pairs: the total is exact) slots, one
  loan row each per month. A slot's borrower keeps borrowing: a loan is shown from its issue month to
  the month it is repaid (bullet repayment, monthly interest, 当年发放当年收回: due in its issue year);
  the next month the slot's borrower (a new borrower for 15% of renewals) takes a new loan with a new
  loan id. 97% of borrowers are 小额 (5,000–200,000 yuan, by manager guarantee, credit or mortgage),
  3% 企业 (200,000–3,000,000 yuan, mortgage or pledge);
- the first month's portfolio was issued since January (loans due from the next month to December),
  plus 0.4% old loans of last year that are already overdue (charged in the first month processed);
- at its due date a loan defaults with the manager's probability (30% of defaults partly recovered):
  it stays in the file, overdue, without interest, until recovered (20% a month fully, 15% in part).
  So every month new loans become overdue and the ledger's `charged_loans` grows;
- compliance findings on a few per mille: 0.2% of loans due in the next year (due_in_other_year),
  0.3% of manager-guarantee borrowers above 50,000 yuan (guarantee_over_limit), 1% of due visits
  missed (visit_missing). Visits: corporate borrowers every month, small ones once a quarter in a
  month of their own, and a new borrower in the month of its first loan;
- targets: interest target 90%–112% of the month's interest of the portfolio (whole hundreds of
  yuan); conduct scores 8–10 (2% at 6–7.5), management scores 70–98 at quarter ends; 0.1% of managers
  missing from the deposits / conduct / management files (input warnings); events (leave 1%, fraud
  0.02%, resignation with incomplete handover 0.03%) and adjustments (3%, as the securities tree) per month.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from pathlib import Path

import polars as pl
from treegen import (EXCEL_MAX_ROWS, Rng, adjustments, as_text, headed, headers_of_kind, month_names,
                     per_manager_counts, person_name, plan_formats, write_month, write_xlsx)

from cm_payroll.rulebooks.rcc.inputs import CONDUCT, DEPOSITS, LOANS, MANAGEMENT, TARGETS, VISITS
from cm_payroll.schema import ADJUSTMENTS_FILE, COMMON, EVENTS_FILE, ROSTER

__all__ = ["generate", "LOANS_PER_MANAGER"]

LOANS_PER_MANAGER = 100
_MAX_MONTHS = 600              # loan and borrower generations are written with 3 digits
_KEY = 1024                    # random keys: slot × _KEY + month (or generation)

_COOPS = ("城关", "郢中", "胡集", "双河", "磷矿", "文集", "冷水", "石牌", "丰乐", "旧口", "柴湖", "长滩", "东桥",
          "客店", "张集", "洋梓", "长寿", "九里", "官庄湖", "罗汉寺", "杨桥", "石门", "南湖", "皇庄")

_FILES = (ROSTER, DEPOSITS, LOANS, TARGETS, VISITS, CONDUCT, MANAGEMENT, EVENTS_FILE, ADJUSTMENTS_FILE)
MONEY = headers_of_kind(_FILES, "money", "money_nonneg")
SCORES = headers_of_kind((CONDUCT, MANAGEMENT), "score")
XLSX_NUMBERS = {ADJUSTMENTS_FILE.column("amount").zh}      # the other amounts: text cells in the .xlsx
STEMS = tuple(spec.name for spec in (*_FILES, *COMMON))    # stale files of these are removed


# ------------------------------------------------------------------------------------ helpers

def _month_index(name: str) -> int:
    return int(name[:4]) * 12 + int(name[5:7]) - 1


def _days(k: int) -> int:
    return calendar.monthrange(k // 12, k % 12 + 1)[1]


def _date(k: pl.Expr, day: pl.Expr) -> pl.Expr:
    """A Date from a month index (year × 12 + month − 1) and a day."""
    return pl.date(k // 12, k % 12 + 1, day)


def _below(u: pl.Expr, n: int | pl.Expr) -> pl.Expr:
    """An integer in [0, n) from a uniform draw u."""
    return (u * n).floor().cast(pl.Int64)        # ok-float: a uniform draw scaled to an index, not money


def _yuan(fen: pl.Expr) -> pl.Expr:
    """Integer fen → '1234.56' ('-' for a negative amount), in integers: exact (unlike
    treegen.float_yuan, the securities tree's doubles)."""
    a = fen.abs()
    return pl.concat_str([pl.when(fen < 0).then(pl.lit("-")).otherwise(pl.lit("")), (a // 100).cast(pl.String),
                          pl.lit("."), (a % 100).cast(pl.String).str.zfill(2)])


# ------------------------------------------------------------------------------------ managers

def _managers(rng: Rng, n: int, first: int) -> pl.DataFrame:
    """One row per credit manager: identity, co-op, hire date, dedicated collector, deposit level,
    targets, loan risk."""
    width = max(5, len(str(n)))
    i = pl.col("i")
    u = rng.uniform
    year = first // 12
    df = pl.DataFrame({"i": pl.int_range(n, dtype=pl.Int64, eager=True)})
    df = df.with_columns(
        pl.format("XD{}", i.add(1).cast(pl.String).str.zfill(width)).alias("manager_id"),
        person_name(rng, i, "rcc.").alias("name"),
        rng.below(i, "rcc.branch", len(_COOPS)).alias("branch_i"),
        pl.date(year - 10 + rng.below(i, "rcc.hire.y", 10), 1 + rng.below(i, "rcc.hire.m", 12),
                1 + rng.below(i, "rcc.hire.d", 28)).alias("hire_date"),
        (u(i, "rcc.dedicated") < 0.03).alias("dedicated"),
        (45_000_000 + rng.below(i, "rcc.dep", 65_000_001)).alias("dep_base"),     # fen
        (u(i, "rcc.targets") < 0.2).alias("explicit_targets"),
        # default probability at the due date: 0.5% .. 6.5%, mean 2% (ok-float: a probability)
        (0.005 + 0.06 * u(i, "rcc.risk") ** 3).alias("p_default"),
    )
    return df.with_columns(
        pl.lit(pl.Series(_COOPS, dtype=pl.String)).gather(pl.col("branch_i")).add(pl.lit("信用社")).alias("branch"))


def _roster(mgr: pl.DataFrame) -> pl.DataFrame:
    return headed(ROSTER, mgr.select(
        "manager_id", "name", "branch", pl.lit("信贷类").alias("track"), "hire_date",
        pl.when(pl.col("dedicated")).then(pl.lit("是")).otherwise(pl.lit("否")).alias("dedicated_collection"),
    ))


# ------------------------------------------------------------------------------------ loans

def _slots(rng: Rng, mgr: pl.DataFrame, per_manager: int) -> pl.DataFrame:
    """The loan slots (one borrower relationship each) of every manager, in manager order. Counts vary
    ±50% around per_manager, in pairs of managers, so the total is exactly n × per_manager."""
    cnt = per_manager_counts(rng, mgr.height, per_manager, "rcc.nslots")
    df = mgr.select("i", "manager_id", "p_default", pl.int_ranges(0, cnt, dtype=pl.Int64).alias("k")).explode("k")
    df = df.filter(pl.col("k").is_not_null()).drop("k").with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("s"))
    s = pl.col("s")
    u = rng.uniform
    corp = u(s, "rcc.corp") < 0.03
    ug = u(s, "rcc.guarantee")
    # 0 manager guarantee, 1 mortgage, 2 pledge, 3 other (信用: not allowed, Z-Art.10; a few per mille)
    guarantee = (pl.when(corp).then(pl.when(ug < 0.6).then(1).otherwise(2))
                 .otherwise(pl.when(ug < 0.4).then(0).when(ug < 0.798).then(2).when(ug < 0.8).then(3)
                            .otherwise(1))).cast(pl.Int64)
    rate = (pl.when(corp).then(5_400 + 300 * rng.below(s, "rcc.rate", 3))       # monthly, ppm of the outstanding
            .otherwise(6_900 + 300 * rng.below(s, "rcc.rate", 5)))
    return df.with_columns(corp.alias("corp"), guarantee.alias("guarantee"),
                           (u(s, "rcc.mg.over") < 0.003).alias("mg_over"), rate.alias("rate_ppm"))


def _principal(corp: pl.Expr, guarantee: pl.Expr, mg_over: pl.Expr, u: pl.Expr) -> pl.Expr:
    """A loan amount in fen, whole thousands of yuan (small) or ten thousands (corporate)."""
    return (pl.when(corp).then((20 + _below(u, 281)) * 1_000_000)                          # 200,000 – 3,000,000
            .when((guarantee == 0) & mg_over).then((51 + _below(u, 30)) * 100_000)          # 51,000 – 80,000
            .when(guarantee == 1).then((20 + _below(u, 181)) * 100_000)                      # 20,000 – 200,000
            .otherwise((5 + _below(u, 46)) * 100_000))                                      # 5,000 – 50,000


def _due(issue_m: pl.Expr, issue_d: pl.Expr, floor_m: pl.Expr, u_term: pl.Expr,
         u_cross: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Due month and day of a loan issued in month issue_m: a month from max(issue + 1, floor_m) to
    December of the issue year (当年收回; December loans fall due in December), or for 0.2% of loans
    one of January–June of the next year."""
    dec = (issue_m // 12) * 12 + 11
    lo = pl.max_horizontal(issue_m + 1, floor_m)
    in_year = pl.when(lo > dec).then(issue_m).otherwise(lo + _below(u_term, dec - lo + 1))
    cross = u_cross < 0.002
    due_m = pl.when(cross).then(dec + 1 + _below(u_term, 6)).otherwise(in_year)
    due_d = pl.when(due_m == issue_m).then(pl.lit(28, pl.Int64)).otherwise(pl.min_horizontal(issue_d, 28))
    return due_m, due_d


def _initial(rng: Rng, slots: pl.DataFrame, first: int) -> pl.DataFrame:
    """The portfolio at the start of the first month: loans issued since January of that year, and
    0.4% old loans of the previous year, overdue since then."""
    s = pl.col("s")
    u = rng.uniform
    jan = (first // 12) * 12
    key = s * _KEY
    old = u(key, "rcc.old") < 0.004
    cur_issue = jan + _below(u(key, "rcc.issue.m"), first - jan + 1)
    old_issue = jan - 10 + _below(u(key, "rcc.old.m"), 6)                 # March .. August of last year
    issue_m = pl.when(old).then(old_issue).otherwise(cur_issue)
    issue_d = 2 + rng.below(key, "rcc.issue.d", 24)
    df = slots.with_columns(old.alias("old"), issue_m.alias("issue_m"), issue_d.alias("issue_d"),
                            pl.lit(0, pl.Int64).alias("bgen"))
    due_m, due_d = _due(pl.col("issue_m"), pl.col("issue_d"),
                        pl.when(pl.col("old")).then(pl.col("issue_m") + 1).otherwise(pl.lit(first, pl.Int64)),
                        u(key, "rcc.term"), pl.when(pl.col("old")).then(pl.lit(1.0)).otherwise(u(key, "rcc.cross")))
    principal = _principal(pl.col("corp"), pl.col("guarantee"), pl.col("mg_over"), u(key, "rcc.amount"))
    df = df.with_columns(due_m.alias("due_m"), due_d.alias("due_d"), principal.alias("principal"))
    # an old loan: due by December of last year at the latest; part of it may have been recovered
    part = 40 + rng.below(key, "rcc.old.part", 61)
    return df.with_columns(
        pl.when(pl.col("old")).then(pl.min_horizontal(pl.col("due_m"), jan - 1)).otherwise(pl.col("due_m"))
        .alias("due_m"),
        pl.when(pl.col("old")).then(pl.col("principal") * part // 100 // 100 * 100).otherwise(pl.col("principal"))
        .alias("out"),
        pl.lit(0, pl.Int64).alias("gen"),
        pl.lit(False).alias("fresh"),
    ).drop("old")


def _month_loans(rng: Rng, st: pl.DataFrame, k: int, j: int) -> pl.DataFrame:
    """Month k's figures of every slot's loan: interest, amounts due and recovered, the outstanding
    after the month (integer fen)."""
    c = pl.col
    u = rng.uniform
    key = c("s") * _KEY + j
    days_in = _days(k)
    due_now = c("due_m") == k
    overdue_before = c("due_m") < k
    first_day = pl.when(c("issue_m") == k).then(c("issue_d")).otherwise(pl.lit(1, pl.Int64))
    last_day = pl.when(due_now).then(c("due_d")).otherwise(pl.lit(days_in, pl.Int64))
    days = pl.when(overdue_before).then(pl.lit(0, pl.Int64)).otherwise(
        last_day - first_day + pl.when(due_now).then(0).otherwise(1))
    num = c("out") * c("rate_ppm") * days                          # 按月结息, half-up to the fen
    den = 1_000_000 * days_in
    interest = (2 * num + den) // (2 * den)
    # at the due date: repaid, or (with the manager's probability) defaulted, 30% of defaults in part
    defaulted = due_now & (u(key, "rcc.default") < c("p_default"))
    part_def = defaulted & (u(key, "rcc.default.part") < 0.3)
    pct_def = 20 + rng.below(key, "rcc.default.pct", 61)
    # an overdue loan: 20% a month fully recovered, 15% in part (30%–70%)
    u_rec = u(key, "rcc.recover")
    pct_rec = 30 + rng.below(key, "rcc.recover.pct", 41)
    partial = c("out") * pl.when(overdue_before).then(pct_rec).otherwise(pct_def) // 100 // 100 * 100
    recovered = (pl.when(due_now & ~defaulted).then(c("out"))
                 .when(part_def).then(partial)
                 .when(overdue_before & (u_rec < 0.2)).then(c("out"))
                 .when(overdue_before & (u_rec < 0.35)).then(partial)
                 .otherwise(pl.lit(0, pl.Int64)))
    return st.with_columns(
        interest.alias("interest"),
        pl.when(due_now).then(c("out")).otherwise(None).alias("due_amount"),
        recovered.alias("recovered"),
    ).with_columns((c("out") - c("recovered")).alias("out_after"))


def _next_state(rng: Rng, st: pl.DataFrame, k: int, j: int) -> pl.DataFrame:
    """The slots at the start of month k + 1: a loan repaid in month k is followed by a new loan
    (new id; 15% to a new borrower) issued in month k + 1."""
    c = pl.col
    u = rng.uniform
    key = c("s") * _KEY + (j + 1)
    renew = c("out_after") == 0
    nxt = k + 1
    new_borrower = renew & (u(key, "rcc.new.borrower") < 0.15)
    issue_d = 2 + rng.below(key, "rcc.new.issue.d", 24)
    due_m, due_d = _due(pl.lit(nxt, pl.Int64), issue_d, pl.lit(nxt, pl.Int64), u(key, "rcc.new.term"),
                        u(key, "rcc.new.cross"))
    principal = _principal(c("corp"), c("guarantee"), c("mg_over"), u(key, "rcc.new.amount"))

    def pick(new: pl.Expr, col: str) -> pl.Expr:
        return pl.when(renew).then(new).otherwise(c(col)).alias(col)

    return st.select(
        "i", "manager_id", "p_default", "s", "corp", "guarantee", "mg_over", "rate_ppm",
        pick(pl.lit(nxt, pl.Int64), "issue_m"), pick(issue_d, "issue_d"),
        (c("bgen") + new_borrower.cast(pl.Int64)).alias("bgen"),
        pick(due_m, "due_m"), pick(due_d, "due_d"), pick(principal, "principal"),
        pl.when(renew).then(principal).otherwise(c("out_after")).alias("out"),
        (c("gen") + renew.cast(pl.Int64)).alias("gen"),
        new_borrower.alias("fresh"),
    )


def _ids(n_slots: int, width: int) -> tuple[pl.Expr, pl.Expr]:
    """loan_id DK… and borrower_id KH…: generation × slots + slot + 1, unique for ever (decision 21)."""
    s = pl.col("s") + 1
    loan = pl.concat_str([pl.lit("DK"), (pl.col("gen") * n_slots + s).cast(pl.String).str.zfill(width)])
    borrower = pl.concat_str([pl.lit("KH"), (pl.col("bgen") * n_slots + s).cast(pl.String).str.zfill(width)])
    return loan, borrower


def _loans_frame(mo: pl.DataFrame, n_slots: int, width: int) -> pl.DataFrame:
    c = pl.col
    loan, borrower = _ids(n_slots, width)
    guarantee = pl.lit(pl.Series(("客户经理保证", "抵押", "质押", "其他"), dtype=pl.String)).gather(c("guarantee"))
    return headed(LOANS, mo.select(
        "manager_id", loan.alias("loan_id"), borrower.alias("borrower_id"),
        pl.when(c("corp")).then(pl.lit("企业")).otherwise(pl.lit("小额")).alias("borrower_type"),
        guarantee.alias("guarantee"),
        _date(c("issue_m"), c("issue_d")).alias("issue_date"), _date(c("due_m"), c("due_d")).alias("due_date"),
        "principal", c("out_after").alias("outstanding"), c("interest").alias("interest_collected"),
        c("due_amount").alias("due_this_month"),
        pl.when(c("recovered") > 0).then(c("recovered")).otherwise(None).alias("recovered_this_month"),
    ))


def _visits(rng: Rng, mo: pl.DataFrame, k: int, j: int, n_slots: int, width: int) -> pl.DataFrame:
    """R-Art.11: corporate borrowers every month, small ones in their month of the quarter, a new
    borrower in the month of its first loan (and in the first month, those whose month of the quarter
    has passed); 1% of these visits missed."""
    c = pl.col
    offset = rng.below(c("s") * _KEY + c("bgen"), "rcc.visit.month", 3)
    in_q = k % 3
    due = c("corp") | (offset == in_q) | c("fresh") | ((offset < in_q) if j == 0 else pl.lit(False))
    missed = rng.uniform(c("s") * _KEY + j, "rcc.visit.miss") < 0.01
    day = 1 + rng.below(c("s") * _KEY + j, "rcc.visit.day", 28)
    _, borrower = _ids(n_slots, width)
    return headed(VISITS, mo.filter(due & ~missed).select(
        "manager_id", borrower.alias("borrower_id"),
        pl.date(pl.lit(k // 12), pl.lit(k % 12 + 1), day).alias("visit_date"),
    ).sort("visit_date", "manager_id", "borrower_id"))


# ------------------------------------------------------------------------------------ per manager

def _deposits(rng: Rng, mgr: pl.DataFrame, k: int, j: int) -> pl.DataFrame:
    key = pl.col("i") * _KEY + j
    avg = pl.col("dep_base") * (9_500 + rng.below(key, "rcc.dep.m", 1_001)) // 10_000
    missing = rng.uniform(key, "rcc.dep.missing") < 0.001
    return headed(DEPOSITS, mgr.filter(~missing).select(
        "manager_id", avg.alias("daily_avg_balance"), (avg * _days(k)).alias("accumulated_balance")))


def _targets(rng: Rng, mgr: pl.DataFrame, mo: pl.DataFrame, j: int) -> pl.DataFrame:
    """Z-Art.11, Z-Art.12: blank deposit targets (the rulebook default) or 800,000 / 20,000,000 yuan;
    the interest target 90%–112% of the month's interest of the portfolio, whole hundreds of yuan."""
    planned = mo.group_by("i").agg(pl.col("interest").sum().alias("planned"))
    key = pl.col("i") * _KEY + j
    pct = 90 + rng.below(key, "rcc.int.target", 23)
    df = mgr.join(planned, on="i", how="left", maintain_order="left").with_columns(pl.col("planned").fill_null(0))
    explicit = pl.col("explicit_targets")
    return headed(TARGETS, df.select(
        "manager_id",
        pl.when(explicit).then(pl.lit(80_000_000, pl.Int64)).otherwise(None).alias("deposit_target_avg"),
        pl.when(explicit).then(pl.lit(2_000_000_000, pl.Int64)).otherwise(None).alias("deposit_target_accum"),
        (pl.col("planned") * pct // 100 // 10_000 * 10_000).alias("interest_target"),
    ))


def _conduct(rng: Rng, mgr: pl.DataFrame, j: int) -> pl.DataFrame:
    key = pl.col("i") * _KEY + j
    usual = pl.lit(pl.Series(("8", "8.5", "9", "9", "9.5", "10", "10"), dtype=pl.String))
    low = pl.lit(pl.Series(("6", "6.5", "7", "7.5"), dtype=pl.String))
    score = (pl.when(rng.uniform(key, "rcc.conduct.low") < 0.02).then(low.gather(rng.below(key, "rcc.conduct.l", 4)))
             .otherwise(usual.gather(rng.below(key, "rcc.conduct", 7))))
    missing = rng.uniform(key, "rcc.conduct.missing") < 0.001
    return headed(CONDUCT, mgr.filter(~missing).select("manager_id", score.alias("conduct_score")))


def _management(rng: Rng, mgr: pl.DataFrame, j: int) -> pl.DataFrame:
    key = pl.col("i") * _KEY + j
    half = rng.uniform(key, "rcc.mgmt.half") < 0.2
    whole = 70 + rng.below(key, "rcc.mgmt", 29)
    score = pl.when(half & (whole < 98)).then(pl.format("{}.5", whole)).otherwise(whole.cast(pl.String))
    missing = rng.uniform(key, "rcc.mgmt.missing") < 0.001
    return headed(MANAGEMENT, mgr.filter(~missing).select("manager_id", score.alias("management_score")))


def _events(rng: Rng, mgr: pl.DataFrame, month: str, j: int) -> pl.DataFrame:
    """Leave (1%), fraud (0.02%) and, for 0.03%, a resignation whose handover is not complete (pay
    withheld). No terminations: every manager stays on the roster."""
    key = pl.col("i") * _KEY + j
    u = rng.uniform(key, "rcc.ev")
    day = (1 + rng.below(key, "rcc.ev.day", 28)).cast(pl.String).str.zfill(2)
    date = pl.format("{}-{}", pl.lit(month), day)
    ev = (pl.when(u < 0.01).then(pl.lit("休假")).when(u < 0.0102).then(pl.lit("业绩造假")))
    one = mgr.select("manager_id", "i", ev.alias("ev"), date.alias("date")).filter(pl.col("ev").is_not_null())
    note = pl.when(pl.col("ev") == "休假").then(pl.lit("年休假5天")).otherwise(pl.lit("虚报存款日均余额,经稽核查实"))
    ref = pl.when(pl.col("ev") == "休假").then(pl.lit(None, pl.String)).otherwise(
        pl.format("JH{}-{}", pl.lit(month.replace("-", "")), pl.col("i").cast(pl.String)))
    rows = one.select("manager_id", pl.col("ev").alias("event"), "date", note.alias("note"),
                      ref.alias("approval_ref"))
    res = mgr.filter(rng.uniform(key, "rcc.resign") < 0.0003).select("manager_id")
    extra = [res.select("manager_id", pl.lit(name).alias("event"), pl.lit(f"{month}-{d:02d}").alias("date"),
                        pl.lit(note_).alias("note"), pl.lit(None, pl.String).alias("approval_ref"))
             for name, d, note_ in (("辞职申请", 8, "本人申请辞职"), ("交接未完成", 26, "管户贷款档案未移交"))]
    return headed(EVENTS_FILE, pl.concat([rows, *extra]).sort("manager_id", "date", maintain_order=True))


# ------------------------------------------------------------------------------------ writers

def _write(df: pl.DataFrame, folder: Path, stem: str, fmt: str, sheet: str, sheet_rows: int) -> Path:
    """Parquet: money as Decimal(18, 2) (a database export; parsed from the exact text), scores as
    Decimal(5, 1), dates as Date; CSV: exact amounts, ISO dates; .xlsx: amounts as text cells (but
    XLSX_NUMBERS)."""
    path = folder / f"{stem}.{fmt}"
    if fmt == "parquet":
        df.with_columns([_yuan(pl.col(c)).cast(pl.Decimal(18, 2)).alias(c) for c in df.columns if c in MONEY]
                        + [pl.col(c).cast(pl.Decimal(5, 1)).alias(c) for c in df.columns if c in SCORES]
                        ).write_parquet(path, compression="zstd", statistics=False)
    elif fmt == "csv":
        as_text(df, MONEY, _yuan).write_csv(path)
    else:
        text = df.with_columns([_yuan(pl.col(c)).alias(c) for c in df.columns if c in MONEY - XLSX_NUMBERS])
        write_xlsx(path, sheet, text, XLSX_NUMBERS, sheet_rows=sheet_rows)
    return path


# ------------------------------------------------------------------------------------ entry point

def generate(out_dir: Path, *, managers: int = 20_000, loans_per_manager: int = LOANS_PER_MANAGER, months: int = 2,
             start: str = "2013-01", seed: int = 2013, formats: Sequence[str] = ("parquet", "csv"),
             xlsx_month: str | None = None, sheet_rows: int = EXCEL_MAX_ROWS, progress=None) -> list[Path]:
    """Write the tree (see the module docstring); return the files written, sorted.

    `formats` picks the monthly trees (parquet, csv); "xlsx" in `formats` or `xlsx_month` adds the
    .xlsx tree for one month (`xlsx_month`, default the first month). Same arguments, same bytes."""
    if managers < 1 or loans_per_manager < 1 or months < 1:
        raise ValueError("managers, loans_per_manager and months must be at least 1")
    if months > _MAX_MONTHS:
        raise ValueError(f"at most {_MAX_MONTHS} months")
    out_dir = Path(out_dir)
    names = month_names(start, months)
    monthly, xlsx_month = plan_formats(formats, names, xlsx_month)
    rng = Rng.of(seed)
    first = _month_index(names[0])
    mgr = _managers(rng, managers, first)
    roster = _roster(mgr)
    slots = _slots(rng, mgr, loans_per_manager)
    n_slots = slots.height
    width = max(7, len(str((months + 1) * n_slots)))
    state = _initial(rng, slots, first)
    del slots
    written: list[Path] = []
    for j, month in enumerate(names):
        k = first + j
        mo = _month_loans(rng, state, k, j)
        fmts = monthly + (["xlsx"] if month == xlsx_month else [])
        if fmts:
            frames: dict[str, tuple[pl.DataFrame, str]] = {
                "roster": (roster, "花名册"),
                "deposits": (_deposits(rng, mgr, k, j), "存款"),
                "loans": (_loans_frame(mo, n_slots, width), "贷款台账"),
                "targets": (_targets(rng, mgr, mo, j), "考核目标"),
                "visits": (_visits(rng, mo, k, j, n_slots, width), "客户走访"),
            }
            if k % 12 >= 1:                                  # from February on (January: conduct is full)
                frames["conduct"] = (_conduct(rng, mgr, j), "行为考核")
            if k % 3 == 2:                                   # quarter-end months
                frames["management"] = (_management(rng, mgr, j), "管理考核")
            frames["events"] = (_events(rng, mgr, month, j), "事件")
            frames["adjustments"] = (adjustments(rng, mgr, month, j), "调整")
            written += write_month(out_dir, month, fmts, frames,
                                   lambda df, folder, stem, fmt, sheet: _write(df, folder, stem, fmt, sheet,
                                                                               sheet_rows),
                                   STEMS, ("events", "adjustments"))
            del frames
        state = _next_state(rng, mo, k, j)
        del mo
        if progress is not None:
            progress(month)
    return sorted(written)
