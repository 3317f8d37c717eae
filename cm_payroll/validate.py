"""Stage 2 — validate: turn the all-text tables into typed frames, or report every error at once.

Money becomes Int64 fen (half-up to the fen on load), scores Int64 in 1/10,000 units, dates Date,
categories their English codes, yes/no Boolean. Each check is a Polars expression over the whole
column; the rows it flags become `InputIssue`s naming file, sheet, Excel row and column header.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from cm_payroll.errors import InputIssue
from cm_payroll.units import SCORE_SCALE, div_half_up
from cm_payroll.months import fmt_month, month_end, month_start
from cm_payroll.schema import Column, FileSpec

if TYPE_CHECKING:
    from cm_payroll.load import RawTable

MAX_TEXT = 1000            # characters in one text cell
ID_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z_\-]{0,63}$"
# A manager id names the pay slip file (slips/<id>.xlsx): never a device name Windows reserves.
RESERVED_IDS = ("con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10)))
FILE_NAME_IDS = ("manager_id", "supervisor_id")
MAX_INT_DIGITS = 13        # money below 10 trillion yuan
MAX_SHOWN = 100_000        # bad cells of one column listed one by one (load_month caps the file's list again)


@dataclass
class Table:
    """One validated input file of a month (or an absent optional file: an empty frame)."""

    spec: FileSpec
    frame: pl.DataFrame
    file: str | None = None
    sheet: str | None = None
    sha256: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def present(self) -> bool:
        return self.file is not None

    def label(self, key: str) -> str:
        return self.headers.get(key) or self.spec.column(key).zh


@dataclass
class InputWarning:
    """A warning from the inputs (listed as input_warning / missing_scores, the run continues)."""

    manager_id: str | None
    code: str
    message: str
    file: str | None = None
    row: int | None = None


@dataclass
class MonthInputs:
    month: int
    folder: Path
    tables: dict[str, Table]
    warnings: list[InputWarning] = field(default_factory=list)

    def __getitem__(self, name: str) -> pl.DataFrame:
        return self.tables[name].frame

    def files(self) -> list[dict]:
        return [{"file": t.file, "sheet": t.sheet, "sha256": t.sha256, "rows": t.frame.height}
                for t in self.tables.values() if t.present]


# --------------------------------------------------------------------------------------------- typing

_NUM_RE = r"^([+-]?)([0-9]*)(?:\.([0-9]*))?$"          # ASCII digits: \d is Unicode
_EXP_RE = r"^[+-]?[0-9]+(\.[0-9]+)?[eE][+-]?[0-9]+$"


def _nfkc_series(s: pl.Series, strict: bool = False) -> pl.Series:
    """NFKC, worked out only where it can change something: ASCII text is NFKC-stable, and the
    distinct other values are normalised once each (a category column holds a handful). `strict`
    (numbers, dates, ids): a value with a compatibility character other than the full-width forms
    (superscript ², subscript ₂, circled ①, fractions ½, ligatures…) becomes NON_FORM, which no
    parser accepts: NFKC would read ²¹³⁰⁰ as 21300."""
    wide = s.str.contains(r"[^\x00-\x7f]").fill_null(False)
    if not wide.any():
        return s
    distinct = s.filter(wide).unique()
    folded = distinct.str.normalize("NFKC")
    if strict:
        folded = pl.Series([NON_FORM if compat_chars(v) else f for v, f in zip(distinct.to_list(), folded.to_list())],
                           dtype=pl.String)
    return s.replace(distinct, folded)


NON_FORM = "\x00"        # a value no parser reads (a NUL never reaches the validator from a file)
_FOLDABLE = ("<wide>", "<narrow>", "<noBreak>")     # full-width forms, half-width forms, no-break spaces


def compat_chars(v: str) -> list[str]:
    """The characters of `v` that NFKC would change into something else than their full-width /
    half-width / no-break twin: ², ₂, ①, ½, ﬁ, ℃ …"""
    out = []
    for ch in v:
        if ch.isascii():
            continue
        dec = unicodedata.decomposition(ch)
        if dec and dec.startswith("<") and not dec.startswith(_FOLDABLE):
            out.append(ch)
        elif dec and not dec.startswith("<") and unicodedata.normalize("NFKC", ch).isascii():
            out.append(ch)           # a canonical twin of an ASCII character (K KELVIN SIGN, Ω OHM)
    return out


def _nfkc(c: pl.Expr, strict: bool = False) -> pl.Expr:
    """c.str.normalize("NFKC"), same result, without the per-row cost on plain ASCII columns."""
    if strict:
        return c.map_batches(lambda s: _nfkc_series(s, True), return_dtype=pl.String)
    return c.map_batches(_nfkc_series, return_dtype=pl.String)


_NUMBER_NOISE = r"[,\s¥]|^(?i:rmb)|元$"


def _clean_number_series(s: pl.Series) -> pl.Series:
    s = _nfkc_series(s, strict=True)
    if not s.str.contains(_NUMBER_NOISE).fill_null(False).any():     # the usual case: nothing to strip
        return s
    t = s.str.replace_all(r"[\s¥]", "").str.replace(r"^(?i:rmb)", "").str.replace(r"元$", "")
    # Thousands separators only in groups of three (1,234.56): "1,23" (a decimal comma?) keeps its
    # comma and is reported, never read as 123.
    grouped = (~t.str.contains(",") | t.str.contains(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")).fill_null(True)
    return t.str.replace_all(",", "").zip_with(grouped, t)


def _clean_number(c: pl.Expr) -> pl.Expr:
    """NFKC; thousands separators, spaces, ¥, RMB and 元 removed."""
    return c.map_batches(_clean_number_series, return_dtype=pl.String)


def _number_groups(c: pl.Expr) -> pl.Expr:
    return _clean_number(c).str.extract_groups(_NUM_RE)


def _number_parts(c: pl.Expr, g: pl.Expr | None = None) -> tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr]:
    """`g`: the column's _number_groups() already computed (type_table), else computed here."""
    g = _number_groups(c) if g is None else g
    sign, ip, fp = g.struct.field("1"), g.struct.field("2"), g.struct.field("3").fill_null("")
    ok = ip.is_not_null() & ((ip.str.len_chars() + fp.str.len_chars()) > 0) & (ip.str.len_chars() <= MAX_INT_DIGITS)
    return ok, sign, ip, fp


def _money(c: pl.Expr, g: pl.Expr | None = None) -> tuple[pl.Expr, pl.Expr]:
    ok, sign, ip, fp = _number_parts(c, g)
    fp3 = (fp + pl.lit("000")).str.slice(0, 3)
    ipv = pl.when(ip == "").then(pl.lit("0")).otherwise(ip).cast(pl.Int64, strict=False)
    fen = ipv * 100 + fp3.str.slice(0, 2).cast(pl.Int64, strict=False) + (
        fp3.str.slice(2, 1).cast(pl.Int64, strict=False) >= 5).cast(pl.Int64)
    val = pl.when(ok).then(pl.when(sign == "-").then(-fen).otherwise(fen))
    return val, ok


def _score(c: pl.Expr, g: pl.Expr | None = None) -> tuple[pl.Expr, pl.Expr]:
    ok, sign, ip, fp = _number_parts(c, g)
    extra = fp.str.slice(4)
    ok = ok & (extra.str.replace_all("0", "") == "")
    fp4 = (fp + pl.lit("0000")).str.slice(0, 4)
    ipv = pl.when(ip == "").then(pl.lit("0")).otherwise(ip).cast(pl.Int64, strict=False)
    units = ipv * SCORE_SCALE + fp4.cast(pl.Int64, strict=False)
    val = pl.when(ok).then(pl.when(sign == "-").then(-units).otherwise(units))
    return val, ok


# A time after the date, as exports write datetimes (2013-01-05 00:00:00, 2013-01-05T10:30): anything
# else after the date (2006-08-21 待定) is not a date.
_TIME = r"(?:[T ](?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,9})?)?)?$"


def _date(c: pl.Expr, epoch: dt.date = dt.date(1899, 12, 30)) -> tuple[pl.Expr, pl.Expr]:
    """`epoch`: day 0 of the workbook's serial numbers (1899-12-30; 1904-01-01 in a 1904 workbook)."""
    s = _nfkc(c, strict=True).str.strip_chars()
    serial = s.str.extract(r"^([0-9]{5})(?:\.0+)?$", 1).cast(pl.Int64, strict=False)
    compact = s.str.extract(r"^([0-9]{8})$", 1)
    t = (s.str.extract(r"^([0-9]{4}[-/.年][0-9]{1,2}[-/.月][0-9]{1,2}日?)" + _TIME, 1)
         .str.replace_all(r"[年月/.]", "-").str.replace(r"日$", ""))
    parsed = pl.coalesce(
        t.str.to_date("%Y-%m-%d", strict=False),
        compact.str.to_date("%Y%m%d", strict=False),
        pl.when(serial.is_between(1, 2958465)).then(
            pl.lit(epoch) + pl.duration(days=serial)).cast(pl.Date),
    )
    ok = parsed.is_not_null() & parsed.dt.year().is_between(1950, 2100)
    return pl.when(ok).then(parsed), ok


def _lookup(c: pl.Expr, col: Column) -> tuple[pl.Expr, pl.Expr]:
    table = col.category_lookup()
    keys = pl.Series(list(table.keys()), dtype=pl.String)
    vals = pl.Series(list(table.values()), dtype=pl.String)
    s = _nfkc(c).str.strip_chars().str.to_lowercase()
    val = s.replace_strict(keys, vals, default=None, return_dtype=pl.String)
    return val, val.is_not_null()


def _typed_column(col: Column, c: pl.Expr, g: pl.Expr | None = None,
                  epoch: dt.date = dt.date(1899, 12, 30)) -> tuple[pl.Expr, pl.Expr, str]:
    """(value, ok, message-if-not-ok) for a non-blank cell; `g` as in _number_parts."""
    k = col.kind
    if k == "id":
        v = _nfkc(c, strict=True).str.strip_chars()
        msg = "not a valid id: letters, digits, '-' and '_' only (no spaces, slashes or dots), at most 64 characters"
        if col.key in FILE_NAME_IDS:
            return v, v.str.contains(ID_PATTERN) & ~v.str.to_lowercase().is_in(RESERVED_IDS), (
                msg + ", and not a name Windows reserves (CON, PRN, AUX, NUL, COM1-9, LPT1-9)")
        return v, v.str.contains(ID_PATTERN), msg
    if k == "text":
        return c, c.str.len_chars() <= MAX_TEXT, f"text longer than {MAX_TEXT} characters"
    if k == "category":
        v, ok = _lookup(c, col)
        accepted = "/".join(col.categories)
        return v, ok, f"unknown value; accepted: {accepted}"
    if k == "bool":
        v, ok = _lookup(c, col)
        return v == "yes", ok, "expected 是 or 否"
    if k == "date":
        v, ok = _date(c, epoch)
        return v, ok, "not a date (use 2013-01-05, 2013/1/5, 2013年1月5日 or an Excel date)"
    if k in ("money", "money_nonneg"):
        v, ok = _money(c, g)
        if k == "money_nonneg":
            return v, ok, "not an amount (a number with at most 2 decimals, e.g. 1234.56)"
        return v, ok, "not an amount (a number, e.g. -1234.56)"
    if k == "score":
        v, ok = _score(c, g)
        return v, ok, "not a number (at most 4 decimals)"
    raise ValueError(f"unknown column kind {k}")


def _slow_numbers(raw: pl.DataFrame, col: Column, values: pl.DataFrame) -> pl.DataFrame:
    """Rare spellings the vectorised parser does not take (1.2E+07 from a float export): Decimal."""
    if col.kind not in ("money", "money_nonneg", "score"):
        return values
    src = raw.get_column(col.key)
    if src.dtype != pl.String:      # a typed Parquet column: read exactly by _exact_number
        return values
    mask = values.get_column(col.key).is_null() & src.is_not_null()
    if not mask.any():              # every cell parsed (the usual case): no text scan
        return values
    mask = mask & src.str.strip_chars().str.contains(_EXP_RE)
    if not mask.any():
        return values
    scale = 100 if col.kind != "score" else SCORE_SCALE
    fixed = []
    for s in src.filter(mask).to_list():
        try:
            d = Decimal(s.strip()) * scale
            if not d.is_finite() or abs(d.adjusted()) > 40:
                raise InvalidOperation
        except ArithmeticError:      # InvalidOperation, Overflow (1e999999)
            fixed.append(None)
            continue
        if col.kind == "score" and d != d.to_integral_value():
            fixed.append(None)
        else:
            fixed.append(int(d.quantize(Decimal(1), rounding="ROUND_HALF_UP")) if abs(d) < 10**17 else None)
    patch = pl.Series(col.key, fixed, dtype=pl.Int64)
    filled = values.get_column(col.key).scatter(mask.arg_true(), patch)
    ok = values.get_column("__ok_" + col.key) | (mask & filled.is_not_null())
    return values.with_columns(filled.alias(col.key), ok.alias("__ok_" + col.key))


NUMERIC = ("money", "money_nonneg", "score")
BY_DISTINCT = ("id", "category", "bool", "date")   # kinds whose columns repeat a few values
DISTINCT_MIN_ROWS = 50_000


def _decimals(col: Column) -> int:
    """Decimal places a numeric column is held to: 2 (fen) for money, 4 for scores."""
    return 4 if col.kind == "score" else 2


STRING_PLACES = 18         # decimals a plain money string may carry on the fast path (read exactly)


def _max_places(col: Column) -> int:
    return _decimals(col) if col.kind == "score" else STRING_PLACES


def _plain_pattern(col: Column, places: int) -> str:
    """The spelling almost every export uses (-1234.56, or 224071.58000000002 from a float): read by
    an exact Decimal cast, no regex groups. Scores keep at most 4 decimals (more is an error)."""
    return rf"^-?[0-9]{{1,{MAX_INT_DIGITS}}}(?:\.[0-9]{{1,{places}}})?$"     # ASCII digits: \d is Unicode


def _exact_number(col: Column, c: pl.Expr, dtype: pl.DataType, places: int | None = None) -> pl.Expr:
    """The value of a column every cell of which is a plain number: a String column matching
    _plain_pattern(col, places), or a Parquet Decimal (scale within the column's places) / integer
    column. Exact: a Decimal's physical integer is the amount in units of its scale; money with more
    decimals than the fen is then rounded half-up, as the general parser does. Null where the amount
    has more integer digits than MAX_INT_DIGITS (reported as not an amount)."""
    d = _decimals(col)
    if dtype.is_integer():
        units = c.cast(pl.Int128, strict=False) * (10 ** d)          # Int128: no overflow
    elif dtype == pl.String and places is not None and places > d:
        units = div_half_up(c.cast(pl.Decimal(38, places), strict=False).to_physical(), 10 ** (places - d))
    else:
        units = c.cast(pl.Decimal(38, d), strict=False).to_physical()
    limit = 10 ** (MAX_INT_DIGITS + d)
    return pl.when(units.is_between(-limit + 1, limit - 1)).then(units.cast(pl.Int64))


def _by_distinct(col: Column, s: pl.Series, epoch: dt.date = dt.date(1899, 12, 30)) -> tuple[pl.Expr, pl.Expr] | None:
    """(value, ok) of a column worked out once per distinct value and mapped back (a 5,000,000-row
    工号 column holds 100,000 ids, a category column a handful of values); None when the column is
    small or mostly distinct (then the row-wise expressions are as cheap)."""
    if s.len() < DISTINCT_MIN_ROWS:
        return None
    u = s.unique().drop_nulls()
    if u.len() * 4 > s.len():
        return None
    val, ok, _ = _typed_column(col, pl.col("raw"), None, epoch)
    m = pl.DataFrame({"raw": u}).select("raw", val.alias("val"), ok.fill_null(False).alias("ok"))
    bad = m.filter(~pl.col("ok")).get_column("raw")
    c = pl.col(col.key)
    ok_expr = pl.lit(True) if bad.len() == 0 else ~c.is_in(bad.implode())
    vals = m.get_column("val")
    if vals.dtype == pl.String and m.select((pl.col("raw") == pl.col("val")).fill_null(False).all()).item():
        return c, ok_expr                           # already in the form the rules read
    return c.replace_strict(m.get_column("raw"), vals, default=None, return_dtype=vals.dtype), ok_expr


def type_table(raw: RawTable, max_shown: int = MAX_SHOWN) -> tuple[pl.DataFrame, list[InputIssue]]:
    """All cells of one file typed at once; every bad cell of the file reported (the first
    `max_shown` of each check one by one, then a count)."""
    spec, df = raw.spec, raw.frame
    issues: list[InputIssue] = []
    exprs, present = [], []
    cols = [c for c in spec.columns if c.key in df.columns]
    numeric = [c for c in cols if c.kind in NUMERIC]
    # Fast path: a numeric column whose every cell is spelled plainly (or is a Parquet Decimal or
    # integer) is read exactly by a cast; any other spelling in the column takes the general parser.
    text_num = [c for c in numeric if df.schema[c.key] == pl.String]
    places: dict[str, int | None] = {c.key: None for c in numeric if c not in text_num}
    for probe in ({c.key: _decimals(c) for c in text_num}, {c.key: _max_places(c) for c in text_num}):
        probe = {k: p for k, p in probe.items() if k not in places}
        if probe:
            found = df.select([pl.col(k).str.contains(_plain_pattern(spec.column(k), p)).fill_null(True).all()
                               for k, p in probe.items()]).row(0, named=True)
            places.update({k: p for k, p in probe.items() if found[k]})
    # The value of a fast column is computed once, beforehand (its ok test reads it again).
    fast = set(places)
    # A number's parts are used many times in its value and ok expressions, and an eager select
    # evaluates a repeated sub-expression each time: split each general numeric column once, beforehand.
    slow = [c.key for c in numeric if c.key not in fast]
    src = df.with_columns([_number_groups(pl.col(k)).alias("__g_" + k) for k in slow]
                          + [_exact_number(c, pl.col(c.key), df.schema[c.key], places[c.key]).alias("__v_" + c.key)
                             for c in numeric if c.key in fast]) if numeric else df
    for col in cols:
        present.append(col)
        c = pl.col(col.key)
        if col.key in fast:
            val = pl.col("__v_" + col.key)
            ok = val.is_not_null()
        elif col.kind == "text" and (df.height == 0 or (df.get_column(col.key).str.len_bytes().max() or 0) <= MAX_TEXT):
            val, ok = c, pl.lit(True)               # no cell has more bytes than the limit has characters
        else:
            mapped = _by_distinct(col, df.get_column(col.key), raw.epoch) if col.kind in BY_DISTINCT else None
            if mapped is not None:
                val, ok = mapped
            else:
                val, ok, _ = _typed_column(col, c, pl.col("__g_" + col.key) if col.key in slow else None, raw.epoch)
        exprs += [val.alias(col.key), (c.is_null() | ok).fill_null(False).alias("__ok_" + col.key)]
    typed = src.select([pl.col("_row"), pl.col("_sheet")] + exprs)
    for col in present:
        typed = _slow_numbers(df, col, typed)
        _, _, msg = _typed_column(col, pl.col(col.key))
        bad = typed.filter(~pl.col("__ok_" + col.key)).select("_row", "_sheet")
        if bad.height:
            # rows are identified by (sheet, row): a continuation sheet repeats row numbers
            shown = df.join(bad, on=["_row", "_sheet"], how="semi", nulls_equal=True).select(
                "_row", "_sheet", pl.col(col.key).cast(pl.String).str.slice(0, 40))
            for r, sh, v in shown.head(max_shown).iter_rows():
                odd = compat_chars(v) if v is not None and not v.isascii() else []
                note = (f" ({', '.join(sorted(set(odd)))}: superscript, subscript, circled or other compatibility "
                        "characters are not digits; type plain digits)") if odd else ""
                issues.append(InputIssue(raw.file, sh, r, raw.label(col.key), f"{msg}; found {v!r}{note}"))
            if bad.height > max_shown:
                issues.append(InputIssue(raw.file, None, None, raw.label(col.key),
                                         f"… and {bad.height - max_shown:,} more of the same kind ({msg})"))
        if not col.nullable:
            blank = typed.filter(pl.col("__ok_" + col.key) & pl.col(col.key).is_null()).select("_row", "_sheet")
            if blank.height > max_shown:
                issues.append(InputIssue(raw.file, None, None, raw.label(col.key), f"… and "
                                         f"{blank.height - max_shown:,} more of the same kind (empty cell)"))
            for r, sh in blank.head(max_shown).iter_rows():
                issues.append(InputIssue(raw.file, sh, r, raw.label(col.key), "empty cell; a value is required"))
        if col.kind == "money_nonneg":
            neg = typed.filter(pl.col(col.key) < 0).select("_row", "_sheet", col.key)
            for r, sh, v in neg.iter_rows():
                issues.append(InputIssue(raw.file, sh, r, raw.label(col.key),
                                         f"must not be negative; found {Decimal(v) / 100}"))
        if col.kind == "score" and (col.min_value is not None or col.max_value is not None):
            lo = int(Decimal(col.min_value) * SCORE_SCALE) if col.min_value is not None else None
            hi = int(Decimal(col.max_value) * SCORE_SCALE) if col.max_value is not None else None
            cond = pl.lit(False)
            if lo is not None:
                cond = cond | (pl.col(col.key) < lo)
            if hi is not None:
                cond = cond | (pl.col(col.key) > hi)
            out = typed.filter(cond).select("_row", "_sheet", col.key)
            for r, sh, v in out.iter_rows():
                issues.append(InputIssue(raw.file, sh, r, raw.label(col.key),
                                         f"must be between {col.min_value} and {col.max_value}; "
                                         f"found {Decimal(v) / SCORE_SCALE}"))
    typed = typed.select([c for c in typed.columns if not c.startswith("__ok_")])
    # Optional columns that are absent become null columns of the right type.
    for col in spec.columns:
        if col.key not in typed.columns:
            typed = typed.with_columns(pl.lit(None, dtype=_dtype(col)).alias(col.key))
    if spec.key:
        dup = typed.filter(pl.struct(list(spec.key)).is_duplicated() & pl.all_horizontal(
            [pl.col(k).is_not_null() for k in spec.key]))
        if dup.height > max_shown:
            issues.append(InputIssue(raw.file, None, None, raw.label(spec.key[-1]), f"… and "
                                     f"{dup.height - max_shown:,} more of the same kind (duplicate)"))
        for row in dup.select("_row", "_sheet", *spec.key).head(max_shown).iter_rows():
            r, sh, *k = row
            issues.append(InputIssue(raw.file, sh, r, raw.label(spec.key[-1]),
                                     f"duplicate {'/'.join(spec.key)} {'/'.join(map(str, k))}"))
    return typed, issues


def _dtype(col: Column) -> pl.DataType:
    return {"id": pl.String, "text": pl.String, "category": pl.String, "bool": pl.Boolean,
            "date": pl.Date, "money": pl.Int64, "money_nonneg": pl.Int64, "score": pl.Int64}[col.kind]


def empty_frame(spec: FileSpec) -> pl.DataFrame:
    schema = {"_row": pl.Int64, "_sheet": pl.String}
    schema.update({c.key: _dtype(c) for c in spec.columns})
    return pl.DataFrame(schema=schema)


MAX_MESSAGE = 400          # characters of one message


def cap_issues(issues: list[InputIssue], limit: int) -> list[InputIssue]:
    """The first `limit` issues of one file (in the order a clerk reads them), then one line per kind
    of the others: "… and 2,097,140 more of the same kind"; every message at most MAX_MESSAGE long."""
    def short(i: InputIssue) -> InputIssue:
        if len(i.message) <= MAX_MESSAGE:
            return i
        return InputIssue(i.file, i.sheet, i.row, i.column, i.message[:MAX_MESSAGE - 1] + "…")
    counted = [i for i in issues if i.row is None and i.message.startswith("… and ")]
    issues = [i for i in issues if not (i.row is None and i.message.startswith("… and "))]
    if len(issues) <= limit:
        return [short(i) for i in issues] + counted
    ordered = sorted(issues, key=lambda i: (i.sheet or "", i.row or 0, i.column or "", i.message))
    kept, rest = ordered[:limit], ordered[limit:]
    kinds: dict[tuple, int] = {}
    for i in rest:
        k = (i.file, i.column, i.message.split("; found")[0][:120])
        kinds[k] = kinds.get(k, 0) + 1
    more = [InputIssue(f, None, None, col, f"… and {n:,} more of the same kind ({what})")
            for (f, col, what), n in sorted(kinds.items(), key=lambda x: -x[1])[:50]]
    return [short(i) for i in kept] + more + counted


ENDING_EVENTS = ("terminated", "resignation")


def common_checks(inputs: MonthInputs, tracks: tuple[str, ...], check_ids: bool = True,
                  state: pl.DataFrame | None = None) -> list[InputIssue]:
    """Checks across files that every rulebook shares (SPEC 2, decisions 3, 5, 25, 36).

    An id in a data file must be on the month's roster, except (decision 36) a `terminated` or
    `resignation` event of a manager in the ledger `state` who is not terminated: it ends an
    employment whose manager is already off the roster."""
    issues: list[InputIssue] = []
    roster_t = inputs.tables["roster"]
    roster = roster_t.frame
    m_end = month_end(inputs.month)
    if tracks:
        bad = roster.filter(~pl.col("track").is_in(list(tracks)))
        for r, sh, t in bad.select("_row", "_sheet", "track").iter_rows():
            issues.append(InputIssue(roster_t.file, sh, r, roster_t.label("track"),
                                     f"track {t} does not belong to this rulebook ({'/'.join(tracks)})"))
    # Ids that differ only by case name slips that overwrite each other on Windows (and macOS).
    folded = roster.filter(pl.col("manager_id").str.to_lowercase().is_duplicated()
                           & ~pl.col("manager_id").is_duplicated())
    for r, sh, mid in folded.select("_row", "_sheet", "manager_id").iter_rows():
        issues.append(InputIssue(roster_t.file, sh, r, roster_t.label("manager_id"),
                                 f"工号 {mid} differs from another only by upper/lower case; their pay slips "
                                 f"would overwrite each other on Windows: give them distinct ids"))
    late = roster.filter(pl.col("hire_date") > m_end)
    for r, sh, d in late.select("_row", "_sheet", "hire_date").iter_rows():
        issues.append(InputIssue(roster_t.file, sh, r, roster_t.label("hire_date"),
                                 f"hire date {d} is after the end of {fmt_month(inputs.month)}"))
    ids = roster.get_column("manager_id").implode()
    for name, t in inputs.tables.items():
        if not check_ids:
            break
        if name == "roster" or not t.present or "manager_id" not in t.frame.columns:
            continue
        unknown = t.frame.filter(pl.col("manager_id").is_not_null() & ~pl.col("manager_id").is_in(ids))
        if name == "events" and state is not None and state.height and unknown.height:
            open_ids = state.filter(~pl.col("terminated").fill_null(False)).get_column("manager_id").implode()
            unknown = unknown.filter(~(pl.col("event").is_in(list(ENDING_EVENTS))
                                       & pl.col("manager_id").is_in(open_ids)))
        for r, sh, mid in unknown.select("_row", "_sheet", "manager_id").iter_rows():
            issues.append(InputIssue(t.file, sh, r, t.label("manager_id"),
                                     f"manager {mid} is not in the roster of {fmt_month(inputs.month)}"))
    ev = inputs.tables.get("events")
    if ev is not None and ev.present:
        start = month_start(inputs.month)
        out = ev.frame.filter((pl.col("date") < start) | (pl.col("date") > m_end))
        for r, mid, e, d in out.select("_row", "manager_id", "event", "date").iter_rows():
            inputs.warnings.append(InputWarning(mid, "input_warning",
                                            f"event {e} dated {d} is outside {fmt_month(inputs.month)}; "
                                            f"counted in {fmt_month(inputs.month)} (decision 5)", ev.file, r))
    return issues


# pipeline.py, being reworked elsewhere, still imports these two names from here: load_month lives in
# cm_payroll.load (it reads the files, then calls this module) and Warning_ is InputWarning. Remove
# both once pipeline.py imports `from cm_payroll.load import load_month` and uses InputWarning.
Warning_ = InputWarning


def __getattr__(name: str):
    if name == "load_month":            # imported when asked for: cm_payroll.load imports this module
        from cm_payroll.load import load_month
        return load_month
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
