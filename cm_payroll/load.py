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
import zipfile
from dataclasses import dataclass, field
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
        if ext in EXCEL_EXT:
            grids, issues = _excel_grids(path, data, sheet_name)
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
    return _grids_to_table(path, spec, grids, sha)


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
            bad = zf.testzip()
            if bad:
                return [InputIssue(path.name, message=f"the workbook is damaged (part {bad} is corrupt)")]
    except zipfile.BadZipFile:
        return [InputIssue(path.name, message="the workbook is truncated or damaged (bad zip package)")]
    return []


def _excel_grids(path: Path, data: bytes, sheet_name: str):
    import fastexcel

    ext = path.suffix.casefold()
    if ext in (".xlsx", ".xlsm", ".ods"):
        issues = _check_zip(path, data)
        if issues:
            return [], issues
    elif not data.startswith(b"\xd0\xcf\x11\xe0"):
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
    grids = []
    for name in order:
        sh = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
        if sh.visible != "visible" and not sheet_name:
            continue
        df = sh.to_polars()
        offsets = [c.absolute_index for c in sh.available_columns()]
        grids.append((name, df, offsets))
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
    try:
        text = decode_text(data)
    except UnicodeDecodeError:
        return [], [InputIssue(path.name, message="cannot decode the text: save it as UTF-8 or GBK")]
    if "\x00" in text:
        return [], [InputIssue(path.name, message="not a text file (contains NUL bytes)")]
    if not text.strip():
        return [], [InputIssue(path.name, message="the file is empty")]
    df = pl.read_csv(io.BytesIO(text.encode("utf-8")), has_header=False, infer_schema=False,
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


def _grids_to_table(path: Path, spec: FileSpec, grids, sha: str):
    lookup = spec.header_lookup()
    parts, headers, issues = [], {}, []
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
        marker = pl.any_horizontal([
            pl.col(c).str.normalize("NFKC").str.replace_all(r"\s", "").str.to_lowercase()
            .is_in(sorted(TOTAL_MARKERS)).fill_null(False) for c in cols])
        df = df.with_columns(marker.alias("__total"))
        body = df.slice(hrow + 1).filter(~pl.col("__total")).select(
            [pl.col(cols[j]).alias(found[j]) for j in sorted(found)]
        ).with_columns(
            (pl.int_range(pl.len(), dtype=pl.Int64) + hrow + 2).alias("_row"),
            pl.lit(sheet, pl.String).alias("_sheet"),
        )
        parts.append(body)
    if first_keys is None:
        sheet0 = grids[0][0] if grids else None
        if all(g[1].height == 0 for g in grids):
            return None, [InputIssue(path.name, sheet0, message="the sheet is empty (no header, no rows)")]
        return None, _missing_columns(path.name, sheet0, spec, set())
    frame = pl.concat(parts, how="vertical") if len(parts) > 1 else parts[0]
    data_cols = [c for c in frame.columns if not c.startswith("_")]
    # Normalise cells: strip; blank → null. Full-width forms are folded by the validator per kind.
    frame = frame.with_columns([
        pl.col(c).str.strip_chars().replace("", None) for c in data_cols
    ])
    # Drop blank rows and a totals row (合计) at the bottom of an export.
    blank = pl.all_horizontal([pl.col(c).is_null() for c in data_cols])
    first = data_cols[0] if "manager_id" not in data_cols else "manager_id"
    total = pl.col(first).str.normalize("NFKC").str.replace_all(r"\s", "").str.to_lowercase().is_in(
        sorted(TOTAL_MARKERS))
    frame = frame.filter(~blank & ~total.fill_null(False))
    return RawTable(spec, path, sheet_used, frame, headers, sha), []


def norm_cell(v: str) -> str:
    return norm_value(v)
