"""What the two benchmark tree generators (securities_tree.py, rcc_tree.py) share: counter-based
randomness in Polars, names, per-manager counts, the adjustments file, a fast multi-sheet .xlsx
writer, headers from the input schemas, and the month loop that writes one sibling tree per format:

    <out>/parquet/<YYYY-MM>/<stem>.parquet
    <out>/csv/<YYYY-MM>/<stem>.csv                    (UTF-8)
    <out>/xlsx/<YYYY-MM>/<stem>.xlsx                  (one month only, long files over several sheets)

(the loader finds a file by its stem, so two formats in one month folder would be ambiguous).

Randomness is a counter-based generator (splitmix64 over (seed, stream, row key)) in Polars UInt64
arithmetic: no global state, no extra dependency, and the same arguments give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.sax.saxutils import escape

import polars as pl

from cm_payroll.load import EXTENSIONS
from cm_payroll.schema import ADJUSTMENTS_FILE, FileSpec

FORMATS = ("parquet", "csv", "xlsx")
EXCEL_MAX_ROWS = 1_048_576            # rows of one worksheet, the header included

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
            "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建文辉玲斌宇浩凯健俊帆鹏鑫晨波宁琳欣颖佳婷雪倩"
         "慧峰亮志红燕丹萍瑶晓琪蕾洁鸣昊然泽楠轩哲睿嘉怡晴彤雯")

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


class Rng:
    """Counter-based: a value is a pure function of (seed, stream name, integer key). `Rng.of(seed)`
    derives the generator's seed from the user's seed."""

    def __init__(self, seed: int):
        self.seed = seed

    @classmethod
    def of(cls, seed: int) -> Rng:
        return cls(random.Random(seed).getrandbits(64))

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


# ------------------------------------------------------------------------------------ frames

def month_names(start: str, count: int) -> list[str]:
    """`count` months from `start` (YYYY-MM)."""
    y, m = int(start[:4]), int(start[5:7])
    if not (1 <= m <= 12 and len(start) == 7 and start[4] == "-"):
        raise ValueError(f"start {start!r}: expected YYYY-MM")
    return [f"{yy:04d}-{mm + 1:02d}" for yy, mm in (divmod(y * 12 + m - 1 + k, 12) for k in range(count))]


def pick(chars: str, idx: pl.Expr) -> pl.Expr:
    """The character of `chars` at each index."""
    return pl.lit(pl.Series(list(chars), dtype=pl.String)).gather(idx)


def person_name(rng: Rng, key: pl.Expr, prefix: str = "") -> pl.Expr:
    """A Chinese name: a surname and one (33%) or two given characters; streams `<prefix>name.*`."""
    given_len = 1 + (rng.uniform(key, prefix + "name.len") < 0.67).cast(pl.Int64)
    return pl.concat_str([
        pick(SURNAMES, rng.below(key, prefix + "name.s", len(SURNAMES))),
        pick(GIVEN, rng.below(key, prefix + "name.g1", len(GIVEN))),
        pl.when(given_len == 2).then(pick(GIVEN, rng.below(key, prefix + "name.g2", len(GIVEN)))).otherwise(pl.lit("")),
    ])


def per_manager_counts(rng: Rng, n: int, per_manager: int, stream: str) -> pl.Expr:
    """Rows per manager (column `i`, 0..n-1): per_manager ± 50%, in pairs of managers (one gets +d,
    the other −d), so that the total is exactly n × per_manager."""
    half = per_manager // 2
    d = rng.below(pl.col("i") // 2, stream, 2 * half + 1) - half if half else pl.lit(0, pl.Int64)
    return (pl.when((pl.col("i") % 2 == 0) & (pl.col("i") + 1 < n)).then(pl.lit(per_manager) + d)
            .when(pl.col("i") % 2 == 1).then(pl.lit(per_manager) - d)
            .otherwise(pl.lit(per_manager))).cast(pl.Int64)


def headed(spec: FileSpec, df: pl.DataFrame) -> pl.DataFrame:
    """`df`, whose columns are the schema's keys, with the schema's headers (工号, …)."""
    return df.rename({k: spec.column(k).zh for k in df.columns})


def headers_of_kind(specs: Sequence[FileSpec], *kinds: str) -> set[str]:
    """The headers of the columns of these kinds (e.g. money, money_nonneg) in `specs`."""
    return {c.zh for spec in specs for c in spec.columns if c.kind in kinds}


def adjustments(rng: Rng, mgr: pl.DataFrame, month: str, j: int) -> pl.DataFrame:
    """adjustments of about 3% of managers (columns `manager_id`, `i`) in month j: 其他奖励, 补发 or
    扣款 of 50–1,550 yuan; amounts as Int64 fen."""
    key = pl.col("i") * 64 + j
    u = rng.uniform(key, "adj")
    comp = (pl.when(u < 0.01).then(pl.lit("其他奖励")).when(u < 0.02).then(pl.lit("补发"))
            .when(u < 0.03).then(pl.lit("扣款")))
    amount = (5 + rng.below(key, "adj.amt", 150)) * 1000 + rng.below(key, "adj.c", 2) * 50
    note = (pl.when(pl.col("component") == "其他奖励").then(pl.lit("季度优秀服务奖"))
            .when(pl.col("component") == "补发").then(pl.lit("补发上月展业补贴差额")).otherwise(pl.lit("考勤扣款")))
    df = mgr.select("manager_id", "i", comp.alias("component"), amount.alias("amount")).filter(
        pl.col("component").is_not_null())
    return headed(ADJUSTMENTS_FILE, df.select(
        "manager_id", "component", "amount", note.alias("note"),
        pl.format("ADJ{}-{}", pl.lit(month.replace("-", "")), pl.col("i").cast(pl.String)).alias("approval_ref")))


def float_yuan(fen: pl.Expr) -> pl.Expr:
    """Integer fen → the text of the yuan amount as a program exporting doubles writes it: Polars
    (2.x) prints up to 17 significant digits, so about 4 amounts in 10 come out as '224071.58000000002'
    or '853.9200000000001' (as many back-office exports do). The loader reads such text exactly: it
    rounds the full decimal half-up to the fen, which gives the intended amount."""
    return (fen / 100).cast(pl.String)


def as_text(df: pl.DataFrame, money: set[str], yuan: Callable[[pl.Expr], pl.Expr]) -> pl.DataFrame:
    """Money columns (Int64 fen) → text by `yuan`; dates → ISO text."""
    out = []
    for c, t in df.schema.items():
        if c in money:
            out.append(yuan(pl.col(c)).alias(c))
        elif t == pl.Date:
            out.append(pl.col(c).dt.strftime("%Y-%m-%d").alias(c))
        else:
            out.append(pl.col(c))
    return df.select(out)


# ------------------------------------------------------------------------------------ the tree

def plan_formats(formats: Sequence[str], names: list[str], xlsx_month: str | None) -> tuple[list[str], str | None]:
    """The monthly formats (parquet, csv) and the .xlsx month ("xlsx" in `formats` without a month:
    the first); ValueError on an unknown format or a month not generated."""
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown format(s) {', '.join(sorted(unknown))}; use {', '.join(FORMATS)}")
    if "xlsx" in formats and xlsx_month is None:
        xlsx_month = names[0]
    if xlsx_month is not None and xlsx_month not in names:
        raise ValueError(f"xlsx month {xlsx_month} is not among the generated months {names[0]}..{names[-1]}")
    return [f for f in ("parquet", "csv") if f in formats], xlsx_month


def write_month(out_dir: Path, month: str, fmts: Sequence[str], frames: dict[str, tuple[pl.DataFrame, str]],
                write: Callable[[pl.DataFrame, Path, str, str, str], Path], stems: Sequence[str],
                optional: Sequence[str]) -> list[Path]:
    """Write the month's frames (stem → (frame, sheet name)) in each format through `write(df, folder,
    stem, fmt, sheet)`, after removing the input files of `stems` (every file the generator may write)
    left by an earlier tree; an empty frame of an `optional` stem is not written."""
    written = []
    for fmt in fmts:
        folder = out_dir / fmt / month
        if folder.is_dir():
            for p in folder.iterdir():
                if p.is_file() and p.stem.casefold() in stems and p.suffix.casefold() in EXTENSIONS:
                    p.unlink()
        folder.mkdir(parents=True, exist_ok=True)
        for stem, (df, sheet) in frames.items():
            if df.height or stem not in optional:
                written.append(write(df, folder, stem, fmt, sheet))
    return written


def has_trees(out_dir: Path) -> bool:
    """Does `out_dir` hold a format tree with month folders?"""
    return any((out_dir / f).is_dir() and any(x.name[:2].isdigit() for x in (out_dir / f).iterdir())
               for f in FORMATS)


def clear_trees(out_dir: Path) -> None:
    """Remove the format trees of an earlier tree."""
    for fmt in FORMATS:
        if (out_dir / fmt).is_dir():
            shutil.rmtree(out_dir / fmt)


# ------------------------------------------------------------------------------------ .xlsx

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


def _zip_info(name: str) -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
    zi.compress_type = zipfile.ZIP_DEFLATED
    # ZipFile.open(zinfo, "w") takes the level from the ZipInfo, not from the ZipFile
    for attr in ("compress_level", "_compresslevel"):       # 3.13+, before
        if attr in zipfile.ZipInfo.__slots__:
            setattr(zi, attr, 1)
            break
    return zi


def write_xlsx(path: Path, sheet: str, df: pl.DataFrame, numbers: set[str], *, sheet_rows: int = EXCEL_MAX_ROWS,
               chunk: int = 100_000) -> Path:
    """Write `df` as an .xlsx, continuing on sheets `<sheet>`, `<sheet>2`, … of at most `sheet_rows`
    rows each (header included; every sheet repeats the header). The `numbers` columns (Int64 fen)
    become numbers with a 2-decimal format, Date columns Excel dates, the rest inline strings
    (low-cardinality columns through the shared-string table). xlsxwriter needs about 100 µs a row,
    far too slow for 5,000,000 rows: the SpreadsheetML parts are written directly. Deterministic
    bytes: fixed zip times, no timestamps."""
    if sheet_rows < 2:
        raise ValueError("sheet_rows must leave room for the header and one row")
    per = sheet_rows - 1
    n_sheets = max(1, -(-df.height // per))
    shared: dict[str, int] = {}
    for c, t in df.schema.items():
        if t == pl.String and c not in numbers and df.get_column(c).n_unique() <= 16:
            for v in df.get_column(c).drop_nulls().unique().sort().to_list():
                shared.setdefault(v, len(shared))
    for h in df.columns:
        shared.setdefault(h, len(shared))
    # Cells carry no `r` reference (optional in SpreadsheetML: a cell is in the next column); an empty
    # cell is an empty <c/> so that the cells after it keep their columns.
    cells = []
    for c, t in df.schema.items():
        col = pl.col(c)
        if c in numbers:
            cell = pl.concat_str([pl.lit('<c s="2"><v>'), float_yuan(col), pl.lit("</v></c>")])
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
    last_col = _col_letter(df.width - 1)
    header = "".join(f'<c r="{_col_letter(j)}1" s="1" t="s"><v>{shared[h]}</v></c>' for j, h in enumerate(df.columns))
    names = [sheet if k == 0 else f"{sheet}{k + 1}" for k in range(n_sheets)]
    tmp = path.with_name(f".{path.name}.tmp")

    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{k + 1}.xml" '
            f'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for k in range(n_sheets))
        zf.writestr(_zip_info("[Content_Types].xml"), _CT.format(sheets=overrides))
        zf.writestr(_zip_info("_rels/.rels"), _RELS)
        sheets_xml = "".join(f'<sheet name="{escape(nm)}" sheetId="{k + 1}" r:id="rId{k + 1}"/>'
                             for k, nm in enumerate(names))
        zf.writestr(_zip_info("xl/workbook.xml"),
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
        zf.writestr(_zip_info("xl/_rels/workbook.xml.rels"),
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                    f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>')
        zf.writestr(_zip_info("xl/styles.xml"), _STYLES)
        sst = "".join(f"<si><t>{escape(s)}</t></si>" for s in shared)
        zf.writestr(_zip_info("xl/sharedStrings.xml"),
                    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst {_NS} count="{len(shared)}" '
                    f'uniqueCount="{len(shared)}">{sst}</sst>')
        for k in range(n_sheets):
            part = df.slice(k * per, per)
            with zf.open(_zip_info(f"xl/worksheets/sheet{k + 1}.xml"), "w", force_zip64=True) as fh:
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
