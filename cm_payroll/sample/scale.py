"""A large, seeded securities input tree for benchmarks (issue 5): 100,000 managers × 50 clients.

`generate_scale()` writes, for every month, the files of SPEC 2 (roster, scores, clients, events,
adjustments) in one sibling tree per format, because the loader finds a file by its stem and two
formats in one month folder would be ambiguous:

    <out>/parquet/<YYYY-MM>/{roster,scores,clients,events,adjustments}.parquet
    <out>/csv/<YYYY-MM>/{...}.csv                       (UTF-8)
    <out>/xlsx/<YYYY-MM>/{...}.xlsx                     (one month only; clients over several sheets)

One worksheet holds at most 1,048,576 rows, so `clients.xlsx` continues on further sheets that repeat
the header (the loader appends them). The workbooks are written directly as SpreadsheetML parts
(inline strings, a tiny shared-string table for the category values): xlsxwriter needs about 100 µs
a row, far too slow for 5,000,000 rows.

Everything is vectorised in Polars. Randomness is a counter-based generator (splitmix64 over
(seed, stream, row key)) in Polars UInt64 arithmetic: no global state, no extra dependency, and the
same arguments give the same bytes. The data are built to be realistic and valid (no input error):
managers in 20 branches, 15% advisors, a few trainees hired just before the first month, about 12%
片区经理 supervising others, monthly scores around a level bracket (3% low scorers who go through
standby training), clients with a stable book that follows the market month to month, 4% transferred
in (S-Art.36), 2% new each month, a few negative incomes; events (leave, advisors' transfer requests,
fraud, a compliance violation, withheld pay) and adjustments on about 3% of managers.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.sax.saxutils import escape

import polars as pl

__all__ = ["generate_scale", "FORMATS", "EXCEL_MAX_ROWS", "write_xlsx", "clear_trees", "has_trees",
           # shared with the rcc scale generator (cm_payroll/sample/rcc_scale.py)
           "_Rng", "_months", "_yuan", "_pick", "_adjustments", "_as_text", "_SURNAMES", "_GIVEN", "_MONEY"]

FORMATS = ("parquet", "csv", "xlsx")
EXCEL_MAX_ROWS = 1_048_576            # rows of one worksheet, the header included
_STEMS = ("roster", "scores", "clients", "events", "adjustments", "overrides")
_EXTS = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".parquet")

_BRANCHES = ("杭州", "宁波", "温州", "绍兴", "湖州", "嘉兴", "金华", "衢州", "舟山", "台州", "丽水", "上海",
             "北京", "深圳", "广州", "南京", "苏州", "合肥", "福州", "成都")
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
             "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严")
_GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建文辉玲斌宇浩凯健俊帆鹏鑫晨波宁琳欣颖佳婷雪倩"
          "慧峰亮志红燕丹萍瑶晓琪蕾洁鸣昊然泽楠轩哲睿嘉怡晴彤雯")
# Half the monthly move of the Shanghai composite (client assets also hold cash and bonds); repeats.
_MARKET = (0.025, -0.004, -0.027, -0.013, 0.028, -0.07, 0.004, 0.026, 0.018, -0.008, 0.018, -0.024)

ROSTER_HEADERS = ("工号", "姓名", "营业部", "类别", "入职日期", "片区经理工号", "证券从业资格")
SCORES_HEADERS = ("工号", "积分")
CLIENTS_HEADERS = ("工号", "客户号", "客户来源", "新增客户", "期初资产", "期末资产", "日均资产", "净收入")
EVENTS_HEADERS = ("工号", "事件", "日期", "说明", "审批号")
ADJUSTMENTS_HEADERS = ("工号", "项目", "金额", "说明", "审批号")
_MONEY = {"期初资产", "期末资产", "日均资产", "净收入", "金额"}

_U64 = pl.UInt64
_M64 = (1 << 64) - 1


# ------------------------------------------------------------------------------------ randomness

def _mix_int(x: int) -> int:
    """splitmix64 on a Python int (stream keys)."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def _mix(x: pl.Series) -> pl.Series:
    """splitmix64 finaliser on a UInt64 Series (multiplication wraps modulo 2**64). Eager on purpose:
    as one expression the repeated sub-terms would be evaluated again and again."""
    x = x + 0x9E3779B97F4A7C15
    x = (x ^ (x // (1 << 30))) * 0xBF58476D1CE4E5B9
    x = (x ^ (x // (1 << 27))) * 0x94D049BB133111EB
    return x ^ (x // (1 << 31))


class _Rng:
    """Counter-based: a value is a pure function of (seed, stream name, integer key)."""

    def __init__(self, seed: int):
        self.seed = seed

    def _key(self, stream: str) -> int:
        h = self.seed & _M64
        for ch in stream.encode():
            h = _mix_int(h ^ ch)
        return h

    def bits(self, key: pl.Expr, stream: str) -> pl.Expr:
        k = self._key(stream)
        return key.cast(_U64).map_batches(lambda s: _mix(s * 0xD1B54A32D192ED03 + k), return_dtype=_U64)

    def uniform(self, key: pl.Expr, stream: str) -> pl.Expr:
        """[0, 1) with 53 random bits."""
        return (self.bits(key, stream) // pl.lit(1 << 11, _U64)).cast(pl.Float64) * (2.0 ** -53)  # ok-float: a uniform draw, not money

    def below(self, key: pl.Expr, stream: str, n: int) -> pl.Expr:
        """An integer in [0, n)."""
        return (self.uniform(key, stream) * n).floor().cast(pl.Int64)

    def normal(self, key: pl.Expr, stream: str) -> pl.Expr:
        """Box–Muller."""
        u1 = 1.0 - self.uniform(key, stream + ".1")
        u2 = self.uniform(key, stream + ".2")
        return (-2.0 * u1.log()).sqrt() * (2 * 3.141592653589793 * u2).cos()


# ------------------------------------------------------------------------------------ helpers

def _months(start: str, count: int) -> list[str]:
    y, m = int(start[:4]), int(start[5:7])
    if not (1 <= m <= 12 and len(start) == 7 and start[4] == "-"):
        raise ValueError(f"start {start!r}: expected YYYY-MM")
    out = []
    for k in range(count):
        yy, mm = divmod(y * 12 + m - 1 + k, 12)
        out.append(f"{yy:04d}-{mm + 1:02d}")
    return out


def _yuan(fen: pl.Expr) -> pl.Expr:
    """Integer fen → the text of the yuan amount as a program exporting doubles writes it: Polars
    (2.x) prints up to 17 significant digits, so about 4 amounts in 10 come out as '224071.58000000002'
    or '853.9200000000001' (as many back-office exports do). The loader reads such text exactly: it
    rounds the full decimal half-up to the fen, which gives the intended amount."""
    return (fen / 100).cast(pl.String)


def _clear_month(folder: Path) -> None:
    if folder.is_dir():
        for p in folder.iterdir():
            if p.is_file() and p.stem.casefold() in _STEMS and p.suffix.casefold() in _EXTS:
                p.unlink()
    folder.mkdir(parents=True, exist_ok=True)


def _pick(chars: str, idx: pl.Expr) -> pl.Expr:
    return pl.lit(pl.Series(list(chars), dtype=pl.String)).gather(idx)


# ------------------------------------------------------------------------------------ managers

def _managers(rng: _Rng, n: int, first: str) -> pl.DataFrame:
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
    given_len = 1 + (rng.uniform(i, "name.len") < 0.67).cast(pl.Int64)
    name = pl.concat_str([
        _pick(_SURNAMES, rng.below(i, "name.s", len(_SURNAMES))),
        _pick(_GIVEN, rng.below(i, "name.g1", len(_GIVEN))),
        pl.when(given_len == 2).then(_pick(_GIVEN, rng.below(i, "name.g2", len(_GIVEN)))).otherwise(pl.lit("")),
    ])
    df = df.with_columns(
        pl.format("ZS{}", pl.col("i").add(1).cast(pl.String).str.zfill(width)).alias("manager_id"),
        name.alias("name"),
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
    return mgr.select(
        pl.col("manager_id").alias("工号"), pl.col("name").alias("姓名"), pl.col("branch").alias("营业部"),
        pl.when(pl.col("advisor")).then(pl.lit("理财类")).otherwise(pl.lit("销售类")).alias("类别"),
        pl.col("hire_date").alias("入职日期"),
        pl.col("supervisor_id").alias("片区经理工号"),
        pl.when(pl.col("certified")).then(pl.lit("是")).otherwise(pl.lit("否")).alias("证券从业资格"),
    )


def _scores(rng: _Rng, mgr: pl.DataFrame, j: int) -> pl.DataFrame:
    i = pl.col("i")
    key = i * 64 + j
    noise = 1 + (rng.uniform(key, "score") - 0.5) * 0.24
    trainee_score = 1200 + rng.below(key, "score.t", 1200)
    score_x10 = (pl.when(pl.col("trainee")).then(trainee_score).otherwise(pl.col("score_base")) * noise * 10).round()
    missing = rng.uniform(key, "score.missing") < 0.005
    whole = (score_x10 // 10).cast(pl.Int64)
    frac = (score_x10 % 10).cast(pl.Int64)
    text = pl.when(frac == 0).then(whole.cast(pl.String)).otherwise(pl.format("{}.{}", whole, frac))
    return mgr.filter(~missing).select(pl.col("manager_id").alias("工号"), text.alias("积分"))


def _clients(rng: _Rng, mgr: pl.DataFrame, per_manager: int, j: int) -> pl.DataFrame:
    """Month j's client rows (fen as Int64): the same book every month, following the market."""
    n = mgr.height
    # clients per manager vary ±50% around the mean, in pairs, so the total is exactly n × per_manager
    half = per_manager // 2
    pair = pl.col("i") // 2
    d = rng.below(pair, "ncl", 2 * half + 1) - half if half else pl.lit(0, pl.Int64)
    cnt = mgr.select("i", "manager_id", "trainee", "ni_draw", (
        pl.when((pl.col("i") % 2 == 0) & (pl.col("i") + 1 < n)).then(pl.lit(per_manager) + d)
        .when(pl.col("i") % 2 == 1).then(pl.lit(per_manager) - d)
        .otherwise(pl.lit(per_manager))).cast(pl.Int64).alias("cnt"))
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
    return df.select(
        pl.col("manager_id").alias("工号"),
        pl.format("K{}", s.add(1).cast(pl.String).str.zfill(9)).alias("客户号"),
        pl.when(pl.col("u_org") < 0.04).then(pl.lit("内部转入")).otherwise(pl.lit("自行开发")).alias("客户来源"),
        pl.when(new).then(pl.lit("是")).otherwise(pl.lit("否")).alias("新增客户"),
        pl.when(new).then(pl.lit(0, pl.Int64)).otherwise(pl.col("prev")).alias("期初资产"),
        pl.col("close").alias("期末资产"), pl.col("daily").alias("日均资产"), income.alias("净收入"),
    )


def _events(rng: _Rng, mgr: pl.DataFrame, month: str, j: int) -> pl.DataFrame:
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
    rows = one.select(pl.col("manager_id").alias("工号"), pl.col("ev").alias("事件"), pl.col("date").alias("日期"),
                      note.alias("说明"), ref.alias("审批号"))
    # withheld pay (S-Art.9): a resignation whose handover is not complete
    res = mgr.filter((rng.uniform(key, "resign") < 0.0005) & ~pl.col("trainee")).select("manager_id")
    extra = pl.concat([
        res.select(pl.col("manager_id").alias("工号"), pl.lit(ev_name).alias("事件"),
                   pl.lit(f"{month}-{d:02d}").alias("日期"), pl.lit(note_).alias("说明"),
                   pl.lit(None, pl.String).alias("审批号"))
        for ev_name, d, note_ in (("辞职申请", 10, "个人原因"), ("交接未完成", 25, "客户交接未完成"))])
    return pl.concat([rows, extra]).sort("工号", "事件", maintain_order=True)


def _adjustments(rng: _Rng, mgr: pl.DataFrame, month: str, j: int) -> pl.DataFrame:
    key = pl.col("i") * 64 + j
    u = rng.uniform(key, "adj")
    comp = (pl.when(u < 0.01).then(pl.lit("其他奖励")).when(u < 0.02).then(pl.lit("补发"))
            .when(u < 0.03).then(pl.lit("扣款")))
    amount = (5 + rng.below(key, "adj.amt", 150)) * 1000 + rng.below(key, "adj.c", 2) * 50
    note = (pl.when(pl.col("comp") == "其他奖励").then(pl.lit("季度优秀服务奖"))
            .when(pl.col("comp") == "补发").then(pl.lit("补发上月展业补贴差额")).otherwise(pl.lit("考勤扣款")))
    df = mgr.select("manager_id", "i", "branch_i", comp.alias("comp"), amount.alias("amt")).filter(
        pl.col("comp").is_not_null())
    return df.select(pl.col("manager_id").alias("工号"), pl.col("comp").alias("项目"), pl.col("amt").alias("金额"),
                     note.alias("说明"),
                     pl.format("ADJ{}-{}", pl.lit(month.replace("-", "")), pl.col("i").cast(pl.String)).alias("审批号"))


# ------------------------------------------------------------------------------------ writers

def _as_text(df: pl.DataFrame, money=None, yuan=None) -> pl.DataFrame:
    """Money columns (Int64 fen; `money`, default _MONEY) → text by `yuan` (default _yuan); dates →
    ISO text."""
    money = _MONEY if money is None else money
    yuan = _yuan if yuan is None else yuan
    out = []
    for c, t in df.schema.items():
        if c in money:
            out.append(yuan(pl.col(c)).alias(c))
        elif t == pl.Date:
            out.append(pl.col(c).dt.strftime("%Y-%m-%d").alias(c))
        else:
            out.append(pl.col(c))
    return df.select(out)


def _as_parquet(df: pl.DataFrame) -> pl.DataFrame:
    """Money as Decimal(18, 2) (what a database export holds), dates as Date, the rest text."""
    return df.with_columns([(pl.col(c) / 100).cast(pl.Decimal(18, 2)).alias(c) for c in df.columns if c in _MONEY])


def _write(df: pl.DataFrame, folder: Path, stem: str, fmt: str, sheet: str, sheet_rows: int) -> Path:
    if fmt == "parquet":
        path = folder / f"{stem}.parquet"
        _as_parquet(df).write_parquet(path, compression="zstd", statistics=False)
    elif fmt == "csv":
        path = folder / f"{stem}.csv"
        _as_text(df).write_csv(path)
    else:
        path = folder / f"{stem}.xlsx"
        write_xlsx(path, sheet, df, sheet_rows=sheet_rows)
    return path


_CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
       '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="xml" ContentType="application/xml"/>'
       '<Override PartName="/xl/workbook.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       '<Override PartName="/xl/styles.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
       '<Override PartName="/xl/sharedStrings.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
       '{sheets}</Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
         'officeDocument" Target="xl/workbook.xml"/></Relationships>')
_STYLES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/></numFmts>'
           '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
           '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill>'
           '<fill><patternFill patternType="gray125"/></fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
           '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
           '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_FIXED_ZIP_TIME = (2013, 1, 1, 0, 0, 0)
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _col_letter(j: int) -> str:
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def write_xlsx(path: Path, sheet: str, df: pl.DataFrame, *, sheet_rows: int = EXCEL_MAX_ROWS,
               chunk: int = 100_000) -> Path:
    """Write `df` as an .xlsx, continuing on sheets `<sheet>`, `<sheet>2`, … of at most `sheet_rows`
    rows each (header included; every sheet repeats the header). Money columns (Int64 fen) become
    numbers with a 2-decimal format, Date columns Excel dates, the rest inline strings (low-cardinality
    columns through the shared-string table). Deterministic bytes: fixed zip times, no timestamps."""
    if sheet_rows < 2:
        raise ValueError("sheet_rows must leave room for the header and one row")
    per = sheet_rows - 1
    n_sheets = max(1, -(-df.height // per))
    shared: dict[str, int] = {}
    for c, t in df.schema.items():
        if t == pl.String and c not in _MONEY and df.get_column(c).n_unique() <= 16:
            for v in df.get_column(c).drop_nulls().unique().sort().to_list():
                shared.setdefault(v, len(shared))
    for h in df.columns:
        shared.setdefault(h, len(shared))
    # Cells carry no `r` reference (optional in SpreadsheetML: a cell is in the next column); an empty
    # cell is an empty <c/> so that the cells after it keep their columns.
    cells = []
    for c, t in df.schema.items():
        col = pl.col(c)
        if c in _MONEY:
            cell = pl.concat_str([pl.lit('<c s="2"><v>'), _yuan(col), pl.lit("</v></c>")])
        elif t == pl.Date:
            serial = (col - pl.lit(_EXCEL_EPOCH)).dt.total_days().cast(pl.String)
            cell = pl.concat_str([pl.lit('<c s="3"><v>'), serial, pl.lit("</v></c>")])
        elif t == pl.String and df.get_column(c).drop_nulls().is_in(list(shared)).all():
            idx = col.replace_strict(list(shared), list(range(len(shared))), default=None,
                                     return_dtype=pl.Int64).cast(pl.String)
            cell = pl.concat_str([pl.lit('<c t="s"><v>'), idx, pl.lit("</v></c>")])
        else:
            txt = col.cast(pl.String).str.replace_all("&", "&amp;", literal=True).str.replace_all(
                "<", "&lt;", literal=True).str.replace_all(">", "&gt;", literal=True)
            cell = pl.concat_str([pl.lit('<c t="inlineStr"><is><t>'), txt, pl.lit("</t></is></c>")])
        cells.append(pl.when(col.is_not_null()).then(cell).otherwise(pl.lit("<c/>")))
    row_xml = pl.concat_str([pl.lit('<row r="'), pl.col("_r"), pl.lit('">'), *cells, pl.lit("</row>")])
    ncols = df.width
    last_col = _col_letter(ncols - 1)
    header = "".join(f'<c r="{_col_letter(j)}1" s="1" t="s"><v>{shared[h]}</v></c>' for j, h in enumerate(df.columns))
    names = [sheet if k == 0 else f"{sheet}{k + 1}" for k in range(n_sheets)]
    tmp = path.with_name(f".{path.name}.tmp")

    def info(name: str) -> zipfile.ZipInfo:
        zi = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
        zi.compress_type = zipfile.ZIP_DEFLATED
        # ZipFile.open(zinfo, "w") takes the level from the ZipInfo, not from the ZipFile
        for attr in ("compress_level", "_compresslevel"):       # 3.13+, before
            if attr in zipfile.ZipInfo.__slots__:
                setattr(zi, attr, 1)
                break
        return zi

    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{k + 1}.xml" '
            f'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for k in range(n_sheets))
        zf.writestr(info("[Content_Types].xml"), _CT.format(sheets=overrides))
        zf.writestr(info("_rels/.rels"), _RELS)
        sheets_xml = "".join(f'<sheet name="{escape(nm)}" sheetId="{k + 1}" r:id="rId{k + 1}"/>'
                             for k, nm in enumerate(names))
        zf.writestr(info("xl/workbook.xml"),
                    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {_NS} {_NS_R}>'
                    f'<sheets>{sheets_xml}</sheets></workbook>')
        rels = "".join(f'<Relationship Id="rId{k + 1}" Type="http://schemas.openxmlformats.org/officeDocument/'
                       f'2006/relationships/worksheet" Target="worksheets/sheet{k + 1}.xml"/>'
                       for k in range(n_sheets))
        k = n_sheets
        rels += (f'<Relationship Id="rId{k + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 f'relationships/styles" Target="styles.xml"/>'
                 f'<Relationship Id="rId{k + 2}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 f'relationships/sharedStrings" Target="sharedStrings.xml"/>')
        zf.writestr(info("xl/_rels/workbook.xml.rels"),
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                    f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>')
        zf.writestr(info("xl/styles.xml"), _STYLES)
        sst = "".join(f"<si><t>{escape(s)}</t></si>" for s in shared)
        zf.writestr(info("xl/sharedStrings.xml"),
                    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst {_NS} count="{len(shared)}" '
                    f'uniqueCount="{len(shared)}">{sst}</sst>')
        for k in range(n_sheets):
            part = df.slice(k * per, per)
            with zf.open(info(f"xl/worksheets/sheet{k + 1}.xml"), "w", force_zip64=True) as fh:
                dim = f"A1:{last_col}{part.height + 1}"
                selected = ' tabSelected="1"' if k == 0 else ""
                fh.write((f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS} {_NS_R}>'
                          f'<dimension ref="{dim}"/><sheetViews><sheetView workbookViewId="0"'
                          f'{selected}><pane ySplit="1" topLeftCell="A2" '
                          f'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
                          f'<sheetData><row r="1">{header}</row>').encode())
                # Polars builds the next chunk while a thread deflates the last one (both drop the GIL).
                with ThreadPoolExecutor(1) as pool:
                    pending = None
                    for off in range(0, part.height, chunk):
                        piece = part.slice(off, chunk).with_columns(
                            (pl.int_range(pl.len(), dtype=pl.Int64) + off + 2).cast(pl.String).alias("_r"))
                        xml = piece.select(row_xml.str.join("")).item().encode()
                        if pending is not None:
                            pending.result()
                        pending = pool.submit(fh.write, xml)
                    if pending is not None:
                        pending.result()
                fh.write(b"</sheetData></worksheet>")
    tmp.replace(path)
    return path


# ------------------------------------------------------------------------------------ entry point

def generate_scale(out_dir: Path, *, managers: int, clients_per_manager: int = 50, months: int = 12,
                   start: str = "2013-01", seed: int = 2013, formats: Sequence[str] = ("parquet", "csv"),
                   xlsx_month: str | None = None, sheet_rows: int = EXCEL_MAX_ROWS,
                   progress=None) -> list[Path]:
    """Write the tree (see the module docstring); return the files written, sorted.

    `formats` picks the monthly trees (parquet, csv); "xlsx" in `formats` or `xlsx_month` adds the
    .xlsx tree for one month (`xlsx_month`, default the first month). `sheet_rows` is the row limit
    of one worksheet (header included), a parameter so that tests can force continuation sheets."""
    if managers < 1 or clients_per_manager < 1 or months < 1:
        raise ValueError("managers, clients_per_manager and months must be at least 1")
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown format(s) {', '.join(sorted(unknown))}; use {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    names = _months(start, months)
    if "xlsx" in formats and xlsx_month is None:
        xlsx_month = names[0]
    if xlsx_month is not None and xlsx_month not in names:
        raise ValueError(f"xlsx month {xlsx_month} is not among the generated months {names[0]}..{names[-1]}")
    monthly = [f for f in ("parquet", "csv") if f in formats]
    rng = _Rng(random.Random(seed).getrandbits(64))
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
            "adjustments": (_adjustments(rng, mgr, month, j), "调整"),
        }
        for fmt in fmts:
            folder = out_dir / fmt / month
            _clear_month(folder)
            for stem, (df, sheet) in frames.items():
                if df.height == 0 and stem in ("events", "adjustments"):
                    continue
                written.append(_write(df, folder, stem, fmt, sheet, sheet_rows))
        if progress is not None:
            progress(month)
    return sorted(written)


def clear_trees(out_dir: Path) -> None:
    """Remove the format trees of an earlier scale sample (`--force`)."""
    for fmt in FORMATS:
        p = Path(out_dir) / fmt
        if p.is_dir():
            shutil.rmtree(p)


def has_trees(out_dir: Path) -> bool:
    out_dir = Path(out_dir)
    return any((out_dir / f).is_dir() and any(x.name[:2].isdigit() for x in (out_dir / f).iterdir())
               for f in FORMATS)
