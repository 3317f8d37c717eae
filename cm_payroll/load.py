"""Stage 1 — load: find a month's input files and read them into all-text frames.

Every file becomes a `RawTable`: the columns renamed to their canonical English keys, every cell as
text (or null), and `_row` holding the row number as Excel (or a text editor) shows it, so that the
validator can point a clerk at the exact cell. Nothing here interprets values; validate.py does.

Readers: .xlsx/.xlsm/.xls/.ods through fastexcel (calamine, Rust); .csv in UTF-8 (with or without a
BOM) or GBK/GB18030, detected; .parquet through Polars.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import zip_longest
from pathlib import Path

import polars as pl

from cm_payroll.errors import InputIssue
from cm_payroll.schema import FileSpec, norm_header, norm_value

EXCEL_EXT = (".xlsx", ".xlsm", ".xls", ".ods")
EXTENSIONS = EXCEL_EXT + (".csv", ".parquet")
HEADER_SCAN_ROWS = 30
TOTAL_MARKERS = {"合计", "总计", "小计", "total", "sum"}
MAX_UNCOMPRESSED = 2 * 1024**3          # refuse workbooks that would inflate beyond 2 GiB
MAX_RATIO = 200                          # … or with a compression ratio typical of zip bombs
PARALLEL_SHEETS_BYTES = 8 * 1024**2      # workbooks above this read their sheets in two threads


@dataclass
class RawTable:
    spec: FileSpec
    path: Path
    sheet: str | None
    frame: pl.DataFrame                      # canonical keys as columns, all String, plus _row, _sheet
    headers: dict[str, str] = field(default_factory=dict)   # key → header text as found
    sha256: str = ""

    @property
    def file(self) -> str:
        return self.path.name

    def label(self, key: str) -> str:
        return self.headers.get(key, key)


def find_file(month_dir: Path, stem: str) -> tuple[Path | None, list[InputIssue]]:
    """The file named `stem` with a supported extension; two candidates are ambiguous."""
    if not month_dir.is_dir():
        return None, []
    found = sorted(p for p in month_dir.iterdir()
                   if p.is_file() and p.stem.casefold() == stem and p.suffix.casefold() in EXTENSIONS
                   and not p.name.startswith(("~$", ".~lock")))
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        return None, [InputIssue(found[0].name, message=f"several files for {stem}: {names}; keep one")]
    return (found[0] if found else None), []


def read_table(path: Path, spec: FileSpec, sheet_name: str = "") -> tuple[RawTable | None, list[InputIssue]]:
    """Read one input file; problems come back as issues, never as exceptions."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [InputIssue(path.name, message=f"cannot read file: {exc.strerror or exc}")]
    sha = hashlib.sha256(data).hexdigest()
    if not data:
        return None, [InputIssue(path.name, message="the file is empty")]
    ext = path.suffix.casefold()
    try:
        flags: XlsxCells | XlsCells | None = None
        if ext in (".xlsx", ".xlsm"):
            grids, issues, flags = _xlsx_grids(path, data, sheet_name)
        elif ext in EXCEL_EXT:
            grids, issues = _excel_grids(path, data, sheet_name)
            if not issues and ext == ".xls":
                flags = XlsCells(data)
        elif ext == ".csv":
            grids, issues = _csv_grid(path, data)
        else:
            return _parquet_table(path, data, spec, sha)
    except Exception as exc:  # noqa: BLE001 — any reader failure is a clear input error
        msg = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        return None, [InputIssue(path.name, message=f"cannot read this file ({msg}); "
                                 "save it again as .xlsx or UTF-8 .csv")]
    if issues:
        return None, issues
    return _grids_to_table(path, spec, grids, sha, flags)


# --------------------------------------------------------------------------------------------- readers

def _check_zip(path: Path, data: bytes) -> list[InputIssue]:
    if not data.startswith(b"PK"):
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            return [InputIssue(path.name, message="this .xlsx is an OLE container: the workbook is "
                               "password-protected (encrypted) or an old .xls renamed; remove the "
                               "password or save it as .xlsx")]
        return [InputIssue(path.name, message="not an Excel workbook (the file is not a zip package)")]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = sum(i.file_size for i in zf.infolist())
            if total > MAX_UNCOMPRESSED or total > MAX_RATIO * max(len(data), 1) and total > 50 * 1024**2:
                return [InputIssue(path.name, message=f"refused: the workbook inflates to {total:,} bytes "
                                   f"from {len(data):,} (a zip bomb or a corrupted file)")]
    except zipfile.BadZipFile:
        return [InputIssue(path.name, message="the workbook is truncated or damaged (bad zip package)")]
    return []


def _xlsx_grids(path: Path, data: bytes, sheet_name: str):
    """An .xlsx/.xlsm: calamine reads the sheets while a thread reads the whole package once more
    with zipfile, which checks every part's CRC-32 (calamine does not: a flipped byte in a stored
    part would be read as another number) and finds the cells calamine reads wrongly (XlsxCells).
    Both release the GIL while they inflate, so on two cores the check costs little wall time."""
    issues = _check_zip(path, data)
    if issues:
        return [], issues, None
    cells = XlsxCells(data)
    with ThreadPoolExecutor(max_workers=1) as pool:
        survey = pool.submit(cells.survey)
        grids, issues = _excel_grids(path, data, sheet_name)
        corrupt = survey.result()
    if corrupt:
        return [], [InputIssue(path.name, message=f"the workbook is damaged (part {corrupt} is corrupt)")], None
    return grids, issues, cells


def _excel_grids(path: Path, data: bytes, sheet_name: str):
    import fastexcel

    ext = path.suffix.casefold()
    if ext == ".ods":
        issues = _check_zip(path, data)
        if issues:
            return [], issues
    elif ext == ".xls" and not data.startswith(b"\xd0\xcf\x11\xe0"):
        return [], [InputIssue(path.name, message="not an .xls workbook (wrong file signature)")]
    reader = fastexcel.read_excel(data)
    names = reader.sheet_names
    if sheet_name:
        if sheet_name not in names:
            return [], [InputIssue(path.name, message=f"no sheet named {sheet_name!r} "
                                   f"(sheets: {', '.join(names)})")]
        order = [sheet_name]
    else:
        order = list(names)

    def load(reader, name: str):
        sh = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
        if sh.visible != "visible" and not sheet_name:
            return None
        return name, sh.to_polars(), [c.absolute_index for c in sh.available_columns()]

    if len(order) > 1 and len(data) > PARALLEL_SHEETS_BYTES:
        # A large workbook continued over several sheets: two readers (calamine releases the GIL),
        # each loading every other sheet; the order of the sheets is kept.
        def half(k: int):
            r = reader if k == 0 else fastexcel.read_excel(data)
            return [load(r, n) for n in order[k::2]]
        with ThreadPoolExecutor(max_workers=2) as pool:
            a, b = pool.map(half, (0, 1))
        loaded = [x for pair in zip_longest(a, b) for x in pair]
    else:
        loaded = [load(reader, n) for n in order]
    grids = [g for g in loaded if g is not None]
    if not grids:
        return [], [InputIssue(path.name, message="the workbook has no visible sheet")]
    return grids, []


def decode_text(data: bytes) -> str:
    """UTF-8 (BOM or not) first; otherwise GB18030, the superset of GBK that Chinese Excel writes."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _csv_grid(path: Path, data: bytes):
    # decode_text(), keeping the UTF-8 bytes: they go to the reader as they are (no second copy of a
    # big file); only GBK is re-encoded.
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    try:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            if bom:
                raise
            text = data.decode("gb18030")
            body = text.encode("utf-8")
    except UnicodeDecodeError:
        return [], [InputIssue(path.name, message="cannot decode the text: save it as UTF-8 or GBK")]
    if "\x00" in text:
        return [], [InputIssue(path.name, message="not a text file (contains NUL bytes)")]
    if not text or text.isspace():
        return [], [InputIssue(path.name, message="the file is empty")]
    df = pl.read_csv(io.BytesIO(body), has_header=False, infer_schema=False,
                     truncate_ragged_lines=True, quote_char='"')
    return [(None, df, list(range(df.width)))], []


def _parquet_table(path: Path, data: bytes, spec: FileSpec, sha: str):
    try:
        df = pl.read_parquet(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001
        return None, [InputIssue(path.name, message=f"cannot read this Parquet file ({str(exc)[:200]})")]
    lookup = spec.header_lookup()
    rename, headers, dupes = {}, {}, []
    for col in df.columns:
        key = lookup.get(norm_header(col))
        if key is None:
            continue
        if key in rename.values():
            dupes.append(InputIssue(path.name, column=col, message=f"two columns for {key}"))
            continue
        rename[col] = key
        headers[key] = col
    missing = _missing_columns(path.name, None, spec, set(rename.values()))
    if missing or dupes:
        return None, missing + dupes
    out = df.select([pl.col(c).alias(k) for c, k in rename.items()])
    casts = []
    for c in out.columns:
        dt = out.schema[c]
        kind = spec.column(c).kind
        places = 4 if kind == "score" else 2
        if kind in ("money", "money_nonneg", "score") and (
                dt.is_integer() or (isinstance(dt, pl.Decimal) and (dt.scale or 0) <= places)):
            continue      # exact numbers: typed as they are by validate (no text round trip)
        if dt == pl.Date:
            casts.append(pl.col(c).dt.strftime("%Y-%m-%d"))
        elif isinstance(dt, pl.Datetime):
            casts.append(pl.col(c).dt.strftime("%Y-%m-%d %H:%M:%S"))
        elif dt == pl.Boolean:
            casts.append(pl.when(pl.col(c)).then(pl.lit("是")).otherwise(pl.lit("否")).alias(c))
        else:
            casts.append(pl.col(c).cast(pl.String))
    out = out.with_columns(casts).with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias("_row"), pl.lit(None, pl.String).alias("_sheet"))
    return RawTable(spec, path, None, out, headers, sha), []


# --------------------------------------------------------------------------------------------- grids

def _missing_columns(file: str, sheet: str | None, spec: FileSpec, present: set[str]) -> list[InputIssue]:
    out = []
    for c in spec.columns:
        if c.required and c.key not in present:
            out.append(InputIssue(file, sheet, None, c.zh,
                                  f"required column missing; accepted headers: {c.zh} or {c.key}"))
    return out


def _find_header(df: pl.DataFrame, lookup: dict[str, str]) -> tuple[int, dict[int, str]]:
    """The row among the first rows that names the most known columns (title rows above are skipped)."""
    best_row, best = -1, {}
    head = df.head(HEADER_SCAN_ROWS)
    for i, row in enumerate(head.iter_rows()):
        found: dict[int, str] = {}
        for j, cell in enumerate(row):
            if cell is None:
                continue
            key = lookup.get(norm_header(cell))
            if key is not None and key not in found.values():
                found[j] = key
        if len(found) > len(best):
            best_row, best = i, found
    return best_row, best


def _grids_to_table(path: Path, spec: FileSpec, grids, sha: str, flags: XlsxCells | XlsCells | None = None):
    lookup = spec.header_lookup()
    parts, headers = [], {}
    flag_issues: list[InputIssue] = []
    first_keys: list[str] | None = None
    sheet_used = None
    for sheet, df, offsets in grids:
        if df.height == 0:
            continue
        hrow, found = _find_header(df, lookup)
        if hrow < 0:
            continue      # a sheet without our header (a cover page, notes): not data
        keys = [found[j] for j in sorted(found)]
        if first_keys is None:
            first_keys = keys
            sheet_used = sheet
            missing = _missing_columns(path.name, sheet, spec, set(keys))
            if missing:
                return None, missing
            header_cells = df.row(hrow)
            headers = {found[j]: str(header_cells[j]).strip() for j in found}
        elif keys != first_keys:
            continue      # another sheet with another table: not a continuation
        cols = df.columns
        # A totals row (合计/总计/小计) may carry its label in any column, e.g. a leading 序号 column.
        df = df.with_columns(_total_rows(df).alias("__total"))
        # the Excel row is numbered before a totals row (合计, or a 小计 among the rows) is dropped
        body = df.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + 1).alias("__excel_row")).slice(
            hrow + 1).filter(~pl.col("__total")).select(
            [pl.col(cols[j]).alias(found[j]) for j in sorted(found)]
            + [pl.col("__excel_row").alias("_row"), pl.lit(sheet, pl.String).alias("_sheet")]
        )
        if flags is not None:
            flag_issues += _flag_issues(path.name, sheet, spec, flags, df, body, found, offsets, hrow)
        parts.append(body)
    if first_keys is None:
        sheet0 = grids[0][0] if grids else None
        if all(g[1].height == 0 for g in grids):
            return None, [InputIssue(path.name, sheet0, message="the sheet is empty (no header, no rows)")]
        return None, _missing_columns(path.name, sheet0, spec, set())
    if flag_issues:
        return None, flag_issues
    frame = pl.concat(parts, how="vertical") if len(parts) > 1 else parts[0]
    data_cols = [c for c in frame.columns if not c.startswith("_")]
    # Normalise cells: strip; blank → null. Full-width forms are folded by the validator per kind.
    frame = frame.with_columns([
        pl.col(c).str.strip_chars().replace("", None) for c in data_cols
    ])
    # Drop blank rows and a totals row (合计) at the bottom of an export.
    blank = pl.all_horizontal([pl.col(c).is_null() for c in data_cols])
    first = data_cols[0] if "manager_id" not in data_cols else "manager_id"
    # The totals test on the distinct values only (a column of 5 million ids has few distinct ones)
    values = frame.get_column(first).drop_nulls().unique()
    totals = values.filter(values.str.normalize("NFKC").str.replace_all(r"\s", "").str.to_lowercase().is_in(
        sorted(TOTAL_MARKERS)))
    total = pl.col(first).is_in(totals.implode()) if totals.len() else pl.lit(False)
    frame = frame.filter(~blank & ~total.fill_null(False))
    return RawTable(spec, path, sheet_used, frame, headers, sha), []


def _is_total(c: pl.Expr) -> pl.Expr:
    return c.str.normalize("NFKC").str.replace_all(r"\s", "").str.to_lowercase().is_in(sorted(TOTAL_MARKERS))


# An ASCII cell is its own NFKC form: it is a totals label iff it spells total/sum, spaces allowed.
_ASCII_TOTALS = "(?i)^\\s*(?:" + "|".join("\\s*".join(m) for m in sorted(TOTAL_MARKERS) if m.isascii()) + ")\\s*$"


def _total_rows(df: pl.DataFrame) -> pl.Series:
    """Rows with a cell whose NFKC form, without whitespace and lower-cased, is a totals label (合计,
    ＴＯＴＡＬ…): the same as _is_total on every cell, at the cost of two regex passes per column (one
    select, every core): ASCII cells are matched directly, and only the distinct non-ASCII values
    (a category column holds a handful) are normalised."""
    cols = [c for c in df.columns if df.schema[c] == pl.String]
    if not cols or df.height == 0:
        return pl.Series("__total", [False] * df.height, pl.Boolean)
    probe = df.select([pl.col(c).str.contains(r"[^\x00-\x7f]").fill_null(False).alias(f"w{i}") for i, c in enumerate(cols)]
                      + [pl.col(c).str.contains(_ASCII_TOTALS).fill_null(False).alias(f"a{i}") for i, c in enumerate(cols)])
    hits = []
    for i, c in enumerate(cols):
        wide = probe.get_column(f"w{i}")
        hit = probe.get_column(f"a{i}") & ~wide
        if wide.any():
            distinct = df.get_column(c).filter(wide).unique()
            labels = distinct.filter(pl.select(_is_total(pl.lit(distinct))).to_series())
            if labels.len():
                hit = hit | df.get_column(c).is_in(labels.implode()).fill_null(False)
        hits.append(hit)
    return pl.select(pl.any_horizontal(hits)).to_series().alias("__total")


# --------------------------------------------------------------------------------------------- cell checks

# What calamine does not tell: a formula cell without a calculated value reads as blank, and a
# number shown as a percentage (25%) reads as 0.25. Both would be paid silently, so the sheet XML of
# an .xlsx/.xlsm is streamed once (zipfile) and searched, in the columns the table reads, for such
# cells, which become errors. An export without formulas or percent formats costs one inflate and a
# few byte searches (see README, Robustness, for the cost on a 1M-row sheet).
_PCT_BUILTIN = {9, 10}
_CHUNK = 1 << 22
_ATTR_R = re.compile(rb'\br="([A-Za-z]{1,3})(\d+)"')
_ATTR_T = re.compile(rb'\bt="(\w+)"')
_ATTR_S = re.compile(rb'\bs="(\d+)"')
_F_OPEN = re.compile(rb"<(?:\w+:)?f[\s>/]")                          # a cell's formula element
_F_REST = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)\s*"
                     rb"(<(?:\w+:)?v\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?v>))?")
_CELL_ANY = re.compile(rb"<(?:\w+:)?c\b([^>]*)>")


@dataclass(frozen=True)
class CellFlag:
    row: int | None          # Excel row; None when the cell has no reference
    col: int | None          # 0-based column
    kind: str                # formula (no calculated value) | stale (never calculated) | percent


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n - 1


def _col_letters(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _part_path(target: str) -> str:
    target = target.replace("\\", "/")
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for p in ("xl/" + target).split("/"):
        if p == "..":
            if parts:
                parts.pop()
        elif p not in ("", "."):
            parts.append(p)
    return "/".join(parts)


class XlsxCells:
    """The cells of an .xlsx/.xlsm that calamine reads wrongly in silence: formula cells without a
    calculated value, formulas of a workbook that was never calculated (calcPr fullCalcOnLoad: written
    by a program, never saved by Excel/WPS/LibreOffice), numbers formatted as percentages."""

    def __init__(self, data: bytes):
        import xml.etree.ElementTree as ET
        self.data = data
        self.parts: dict[str, str] = {}
        self.surveyed: dict[str, list[CellFlag]] = {}      # sheet → flags in every column (survey())
        self.stale = False
        self.pct: set[int] = set()
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                wb = ET.fromstring(zf.read("xl/workbook.xml"))
                rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
                styles = ET.fromstring(zf.read("xl/styles.xml")) if "xl/styles.xml" in zf.namelist() else None
        except (KeyError, ET.ParseError, zipfile.BadZipFile):
            return
        target = {r.get("Id"): r.get("Target", "") for r in rels}
        for el in wb.iter():
            if el.tag.endswith("}sheet"):
                rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
                if rid in target:
                    self.parts[el.get("name", "")] = _part_path(target[rid])
            elif el.tag.endswith("}calcPr"):
                self.stale = el.get("fullCalcOnLoad", "").lower() in ("1", "true")
        if styles is None:
            return
        pct_ids = set(_PCT_BUILTIN)
        for el in styles.iter():
            if el.tag.endswith("}numFmt"):
                code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", el.get("formatCode", ""))
                if "%" in code and el.get("numFmtId", "").isdigit():
                    pct_ids.add(int(el.get("numFmtId", "")))
        for el in styles.iter():
            if el.tag.endswith("}cellXfs"):
                xfs = [x for x in el if x.tag.endswith("}xf")]
                self.pct = {i for i, x in enumerate(xfs)
                            if x.get("numFmtId", "0").isdigit() and int(x.get("numFmtId", "0")) in pct_ids}

    def survey(self) -> str | None:
        """Read every part of the package to its end once: zipfile checks each part's CRC-32 as it
        goes, and the sheets are searched, in every column, for flagged cells (kept for scan()).
        Returns the name of a corrupt part, or None."""
        by_part = {p: name for name, p in self.parts.items()}
        try:
            with zipfile.ZipFile(io.BytesIO(self.data)) as zf:
                for info in zf.infolist():
                    name = info.filename
                    try:
                        if name in by_part:
                            flags, complete = self._scan_part(zf, name, None, None, SURVEY_MAX_FLAGS)
                            if complete:
                                self.surveyed[by_part[name]] = flags
                        else:
                            with zf.open(info) as f:
                                while f.read(_CHUNK):
                                    pass
                    except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
                        return name
        except zipfile.BadZipFile:
            return "(zip directory)"
        return None

    def scan(self, sheet: str | None, cols: set[int], pct_cols: set[int]) -> list[CellFlag]:
        """Flagged cells of `sheet` in the columns `cols` (percentages only in `pct_cols`)."""
        part = self.parts.get(sheet or "")
        if part is None or not cols:
            return []
        pct_cols = pct_cols if self.pct else set()
        if (sheet or "") in self.surveyed:
            return [f for f in self.surveyed[sheet or ""]
                    if f.col is None or f.col in (pct_cols if f.kind == "percent" else cols)][:MAX_FLAGS + 1]
        with zipfile.ZipFile(io.BytesIO(self.data)) as zf:
            if part not in zf.namelist():
                return []
            return self._scan_part(zf, part, cols, pct_cols, MAX_FLAGS)[0]

    def _scan_part(self, zf: zipfile.ZipFile, part: str, cols: set[int] | None, pct_cols: set[int] | None,
                   cap: int) -> tuple[list[CellFlag], bool]:
        """Flagged cells of one sheet part in `cols` (None: every column), the part streamed to its
        end; (flags, complete): complete is False when more than `cap` cells were flagged."""
        letters = (b"|".join(_col_letters(c).encode() for c in sorted(cols)) if cols is not None
                   else b"[A-Za-z]{1,3}")
        formula_re = re.compile(rb'<c r="(' + letters + rb')(\d+)"([^>]*)>\s*' + _F_REST.pattern)
        pct_re, pct_tokens = None, []
        if self.pct and (pct_cols is None or pct_cols):
            styles = b"|".join(str(i).encode() for i in sorted(self.pct))
            pct_letters = (b"|".join(_col_letters(c).encode() for c in sorted(pct_cols)) if pct_cols is not None
                           else b"[A-Za-z]{1,3}")
            pct_re = re.compile(rb'<c r="(' + pct_letters + rb')(\d+)"([^>]*?\bs="(?:' + styles + rb')"[^>]*)>')
            pct_tokens = [f's="{i}"'.encode() for i in sorted(self.pct)]
        flags: list[CellFlag] = []
        complete = True
        with zf.open(part) as f:
            tail = b""
            while True:
                chunk = f.read(_CHUNK)
                if not complete:             # read on to the end: the CRC-32 is checked there
                    if not chunk:
                        break
                    continue
                buf = tail + chunk
                cut = buf.rfind(b"row>") + 4 if chunk else len(buf)
                if chunk and cut < 4:
                    tail = buf
                    continue
                seg, tail = buf[:cut], buf[cut:]
                self._scan(seg, cols, pct_cols, formula_re, pct_re, pct_tokens, flags)
                if len(flags) > cap:
                    complete = False
                if not chunk:
                    break
        return flags, complete

    def _scan(self, seg: bytes, cols: set[int] | None, pct_cols: set[int] | None, formula_re, pct_re, pct_tokens,
              flags: list[CellFlag]) -> None:
        formulas = b"<f" in seg or b":f" in seg
        percents = pct_re is not None and any(t in seg for t in pct_tokens)
        # The patterns over whole cells need `<c r="…"` to open every cell (as Excel, WPS, LibreOffice
        # and the usual libraries write them); any other spelling takes the general search.
        fast = (formulas or percents) and b":c " not in seg and seg.count(b"<c ") == seg.count(b'<c r="')
        if formulas and fast and seg.count(b"<f") > 1000:
            # a column of formulas: one pattern over the cells of the columns read
            for col, row, attrs, v_el, v_text in (m.groups() for m in formula_re.finditer(seg)):
                t = _ATTR_T.search(attrs)
                no_value = v_el is None or (not v_text and (t.group(1) if t else b"") != b"str")
                if no_value or self.stale:
                    flags.append(CellFlag(int(row), _col_index(col), "formula" if no_value else "stale"))
        elif formulas:
            # a few formulas (a 合计 row): each found by a byte search; its cell is the tag just before
            # it (a formula is a cell's first child)
            for m in _F_OPEN.finditer(seg):
                i = m.start()
                cs = seg.rfind(b"<", 0, i)
                ce = seg.find(b">", cs, i)
                if cs < 0 or ce < 0 or seg[ce + 1:i].strip():
                    continue
                tag = seg[cs + 1:ce].split(None, 1)
                if not tag or tag[0].split(b":")[-1] != b"c" or tag[-1].endswith(b"/"):
                    continue
                attrs = tag[1] if len(tag) > 1 else b""
                r = _ATTR_R.search(attrs)
                c = _col_index(r.group(1)) if r else None
                if c is not None and cols is not None and c not in cols:
                    continue
                rest = _F_REST.match(seg, i)
                v_el, v_text = (rest.group(1), rest.group(2)) if rest else (None, None)
                t = _ATTR_T.search(attrs)
                no_value = v_el is None or (not v_text and (t.group(1) if t else b"") != b"str")
                if no_value or self.stale:
                    flags.append(CellFlag(int(r.group(2)) if r else None, c, "formula" if no_value else "stale"))
        if not percents:
            return
        if fast:
            found_p = [m.groups() for m in pct_re.finditer(seg)]
        else:
            found_p = []
            for m in _CELL_ANY.finditer(seg):
                sm = _ATTR_S.search(m.group(1))
                if sm and int(sm.group(1)) in self.pct:
                    r = _ATTR_R.search(m.group(1))
                    found_p.append((r.group(1) if r else None, r.group(2) if r else None, m.group(1)))
        for col, row, attrs in found_p:
            c = _col_index(col) if col else None
            t = _ATTR_T.search(attrs)
            if attrs.endswith(b"/") or (t is not None and t.group(1) != b"n") or (
                    c is not None and pct_cols is not None and c not in pct_cols):
                continue
            flags.append(CellFlag(int(row) if row else None, c, "percent"))


def _percent_code(code: str) -> bool:
    return "%" in re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code)


class XlsCells:
    """Percent-formatted numbers of an .xls (BIFF8) workbook, which calamine reads as 0.25: the
    Workbook stream's FORMAT and XF records give the percent formats, then a sheet's number cells
    (NUMBER, RK, MULRK, FORMULA) that use one. (BIFF always stores a formula's value.) Needs olefile
    (a dependency of msoffcrypto-tool); without it the check is skipped."""

    def __init__(self, data: bytes):
        import struct
        self.sheets: dict[str, int] = {}
        self.pct: set[int] = set()
        self.stream = b""
        try:
            import olefile
            with olefile.OleFileIO(io.BytesIO(data)) as ole:
                name = next((n for n in ("Workbook", "Book") if ole.exists(n)), None)
                if name is None:
                    return
                self.stream = ole.openstream(name).read()
        except Exception:  # noqa: BLE001 — no olefile, or a stream calamine read and olefile cannot
            return
        st, pos = self.stream, 0
        formats: dict[int, str] = {}
        xfs: list[int] = []
        try:
            while pos + 4 <= len(st):
                rid, size = struct.unpack_from("<HH", st, pos)
                body = st[pos + 4:pos + 4 + size]
                pos += 4 + size
                if rid == 0x041E and len(body) >= 5:                 # FORMAT
                    ifmt, cch, flags = struct.unpack_from("<HHB", body, 0)
                    raw = body[5:]
                    formats[ifmt] = (raw[:2 * cch].decode("utf-16-le", "replace") if flags & 1
                                     else raw[:cch].decode("latin-1"))
                elif rid == 0x00E0 and len(body) >= 4:               # XF
                    xfs.append(struct.unpack_from("<H", body, 2)[0])
                elif rid == 0x0085 and len(body) >= 8:               # BOUNDSHEET8
                    offset = struct.unpack_from("<I", body, 0)[0]
                    cch, flags = body[6], body[7]
                    name = (body[8:8 + 2 * cch].decode("utf-16-le", "replace") if flags & 1
                            else body[8:8 + cch].decode("latin-1"))
                    self.sheets[name] = offset
                elif rid == 0x000A:                                  # EOF of the globals
                    break
        except struct.error:
            return
        self.pct = {i for i, f in enumerate(xfs) if f in _PCT_BUILTIN or _percent_code(formats.get(f, ""))}

    def scan(self, sheet: str | None, cols: set[int], pct_cols: set[int]) -> list[CellFlag]:
        import struct
        pos = self.sheets.get(sheet or "")
        if pos is None or not self.pct or not pct_cols:
            return []
        st, flags = self.stream, []
        try:
            while pos + 4 <= len(st) and len(flags) <= MAX_FLAGS:
                rid, size = struct.unpack_from("<HH", st, pos)
                body = st[pos + 4:pos + 4 + size]
                pos += 4 + size
                if rid in (0x0203, 0x027E, 0x0006) and len(body) >= 6:     # NUMBER, RK, FORMULA
                    row, col, xf = struct.unpack_from("<HHH", body, 0)
                    if xf in self.pct and col in pct_cols and not (rid == 0x0006 and body[12:14] == b"\xff\xff"):
                        flags.append(CellFlag(row + 1, col, "percent"))
                elif rid == 0x00BD and len(body) >= 6:                     # MULRK
                    row, first = struct.unpack_from("<HH", body, 0)
                    for i in range((len(body) - 6) // 6):
                        xf = struct.unpack_from("<H", body, 4 + 6 * i)[0]
                        if xf in self.pct and first + i in pct_cols:
                            flags.append(CellFlag(row + 1, first + i, "percent"))
                elif rid == 0x000A:
                    break
        except struct.error:
            pass
        return flags


FLAG_MESSAGES = {
    "formula": "a formula without a calculated value (the workbook was written by a program and never "
               "opened in Excel/WPS); open and save it in Excel or WPS, or type the value itself",
    "stale": "a formula whose value was never calculated (the workbook was written by a program and asks "
             "Excel to recalculate on opening); open and save it in Excel or WPS, or type the value itself",
    "percent": "a percentage in an amount column (no input takes a rate); type the amount itself, "
               "e.g. 1234.56, and format the cell as a number",
}
NUMERIC_KINDS = ("money", "money_nonneg", "score")
MAX_FLAGS = 10_000
SURVEY_MAX_FLAGS = 200_000   # beyond this the survey keeps no flags for the sheet: scan() searches again


def _flag_issues(file: str, sheet: str | None, spec: FileSpec, cells: XlsxCells | XlsCells, df: pl.DataFrame,
                 body: pl.DataFrame, found: dict[int, str], offsets: list[int], hrow: int) -> list[InputIssue]:
    """The flagged cells that the table reads (data rows other than a totals row, known columns)."""
    col_of = {offsets[j]: j for j in found}
    numeric = {offsets[j] for j in found if spec.column(found[j]).kind in NUMERIC_KINDS}
    mine = cells.scan(sheet, set(col_of), numeric)
    if not mine:
        return []
    rows = set(body.get_column("_row").to_list())
    header = df.row(hrow)
    out = []
    for fl in mine[:MAX_FLAGS]:
        if fl.row is None:
            out.append(InputIssue(file, sheet, None, None, FLAG_MESSAGES[fl.kind]))
            continue
        j = col_of.get(fl.col)
        if j is None or fl.row not in rows:
            continue
        col = spec.column(found[j])
        if fl.kind == "percent" and col.kind not in NUMERIC_KINDS:
            continue
        msg = FLAG_MESSAGES[fl.kind]
        if fl.kind == "percent":
            v = df.item(fl.row - 1, j)
            try:
                msg += f"; found {v} shown as {(Decimal(str(v)) * 100).normalize():f}%"
            except (ArithmeticError, TypeError, ValueError):
                pass
        out.append(InputIssue(file, sheet, fl.row, str(header[j]).strip(), msg))
    if len(mine) > MAX_FLAGS and out:
        out.append(InputIssue(file, sheet, None, None, f"more cells like these (the first {MAX_FLAGS:,} "
                              f"are listed)"))
    return out


def norm_cell(v: str) -> str:
    return norm_value(v)
