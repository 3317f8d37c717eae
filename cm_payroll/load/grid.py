"""From a reader's grids (sheet, all-text frame, column offsets) to a RawTable: the header row found
by the schema's header names, duplicate and missing columns refused, totals rows (合计/总计/小计)
dropped, blank rows dropped, cells stripped, the scanners' flags turned into issues and hidden rows
into warnings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from cm_payroll.errors import InputIssue
from cm_payroll.load.common import EPOCH_1900, MAX_FLAGS, RawTable, col_letters
from cm_payroll.schema import FileSpec, norm_header

if TYPE_CHECKING:
    from cm_payroll.load.biff8 import XlsCells
    from cm_payroll.load.sheetscan import XlsxCells


HEADER_SCAN_ROWS = 30
TOTAL_MARKERS = {"合计", "总计", "小计", "total", "sum"}


# --------------------------------------------------------------------------------------------- grids

def missing_columns(file: str, sheet: str | None, spec: FileSpec, present: set[str]) -> list[InputIssue]:
    out = []
    for c in spec.columns:
        if c.required and c.key not in present:
            out.append(InputIssue(file, sheet, None, c.zh,
                                  f"required column missing; accepted headers: {c.zh} or {c.key}"))
    return out


def _find_header(df: pl.DataFrame, lookup: dict[str, str]) -> tuple[int, dict[int, str], dict[str, list[int]]]:
    """The row among the first rows that names the most known columns (title rows above are skipped);
    (row, {column: key}, {key: [columns]} of the keys that header row names more than once)."""
    best_row, best, best_all = -1, {}, {}
    head = df.head(HEADER_SCAN_ROWS)
    for i, row in enumerate(head.iter_rows()):
        found: dict[int, str] = {}
        every: dict[str, list[int]] = {}
        for j, cell in enumerate(row):
            if cell is None:
                continue
            key = lookup.get(norm_header(cell))
            if key is not None:
                every.setdefault(key, []).append(j)
                if len(every[key]) == 1:
                    found[j] = key
        if len(found) > len(best):
            best_row, best, best_all = i, found, every
    return best_row, best, {k: v for k, v in best_all.items() if len(v) > 1}


def _dupe_issues(file: str, sheet: str | None, df: pl.DataFrame, hrow: int, dupes: dict[str, list[int]],
                 offsets: list[int]) -> list[InputIssue]:
    """Two columns of one header row that map to one field (two 净收入, 工号 and manager_id): which
    one is paid is not a choice the program makes."""
    out = []
    header = df.row(hrow)
    for key, cols in dupes.items():
        named = " and ".join(f"{str(header[j]).strip()!r} (column {col_letters(offsets[j] if j < len(offsets) else j)})"
                             for j in cols)
        out.append(InputIssue(file, sheet, hrow + 1, str(header[cols[0]]).strip(),
                              f"two columns for one field ({key}): {named}; delete one of them "
                              "(a hidden column counts too)"))
    return out


def _ranges(rows: list[int]) -> str:
    """5、8–9: Excel rows compressed into ranges."""
    out, rows = [], sorted(set(rows))
    i = 0
    while i < len(rows):
        j = i
        while j + 1 < len(rows) and rows[j + 1] == rows[j] + 1:
            j += 1
        out.append(str(rows[i]) if i == j else f"{rows[i]}–{rows[j]}")
        i = j + 1
    if len(out) > 50:
        out = out[:50] + [f"… 等共 {len(rows):,} 行"]
    return "、".join(out)


def grids_to_table(path: Path, spec: FileSpec, grids, sha: str, flags=None, epoch: dt.date = EPOCH_1900,
                    lim: dict | None = None):
    lookup = spec.header_lookup()
    parts, headers = [], {}
    flag_issues: list[InputIssue] = []
    first_keys: list[str] | None = None
    sheet_used = None
    for sheet, df, offsets in grids:
        if df.height == 0:
            continue
        hrow, found, dupes = _find_header(df, lookup)
        if hrow < 0:
            continue      # a sheet without our header (a cover page, notes): not data
        keys = [found[j] for j in sorted(found)]
        if first_keys is None or keys == first_keys:
            if dupes:
                return None, _dupe_issues(path.name, sheet, df, hrow, dupes, offsets)
        if first_keys is None:
            first_keys = keys
            sheet_used = sheet
            missing = missing_columns(path.name, sheet, spec, set(keys))
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
        return None, missing_columns(path.name, sheet0, spec, set())
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
    warnings = []
    hidden_of = getattr(flags, "hidden", None) or {}
    if hidden_of:
        kept = frame.select("_row", "_sheet")
        for sheet, rows in hidden_of.items():
            mine = kept.filter(pl.col("_sheet").eq_missing(sheet) & pl.col("_row").is_in(rows))
            if mine.height:
                where = f"{path.name}(工作表 {sheet})" if sheet else path.name
                warnings.append(f"{where}第 {_ranges(mine.get_column('_row').to_list())} 行在 Excel 中为隐藏行:"
                                "照常读入计算(Excel 的合计也包含隐藏行),请确认")
    return RawTable(spec, path, sheet_used, frame, headers, sha, epoch, warnings), []


def _is_total(c: pl.Expr) -> pl.Expr:
    return c.str.normalize("NFKC").str.replace_all(r"\s", "").str.to_lowercase().is_in(sorted(TOTAL_MARKERS))


# An ASCII cell is its own NFKC form: it is a totals label iff it spells total/sum, spaces allowed.
_ASCII_TOTALS = "(?i)^\\s*(?:" + "|".join("\\s*".join(m) for m in sorted(TOTAL_MARKERS) if m.isascii()) + ")\\s*$"


def _total_rows(df: pl.DataFrame) -> pl.Series:
    """Rows with a cell whose NFKC form, without whitespace and lower-cased, is a totals label (合计,
    ＴＯＴＡＬ…): the same as _is_total on every cell, at the cost of a few passes over the frame, each
    one select over all columns (linear in the width: a header of 20,000 columns costs no more per
    column than one of 8): ASCII cells are matched directly, and only the distinct non-ASCII values
    of all columns (a category column holds a handful) are normalised, once."""
    schema = df.schema
    cols = [c for c in df.columns if schema[c] == pl.String]
    if not cols or df.height == 0:
        return pl.Series("__total", [False] * df.height, pl.Boolean)
    if len(cols) > WIDE_FRAME:
        return _total_rows_wide(df, cols)
    wide = {c: pl.col(c).str.contains(r"[^\x00-\x7f]").fill_null(False) for c in cols}
    ascii_hits = [pl.col(c).str.contains(_ASCII_TOTALS).fill_null(False) & ~wide[c] for c in cols]
    flags = df.select([wide[c].any().alias(f"w{i}") for i, c in enumerate(cols)]).row(0)
    wide_cols = [c for c, f in zip(cols, flags) if f]
    labels = pl.Series([], dtype=pl.String)
    if wide_cols:
        distinct = (df.select([pl.col(c).filter(wide[c]).unique().implode().alias(f"v{i}")
                               for i, c in enumerate(wide_cols)])
                    .unpivot().get_column("value").explode().drop_nulls().unique())
        labels = distinct.filter(pl.select(_is_total(pl.lit(distinct))).to_series())
    hits = ascii_hits
    if labels.len():
        hits = hits + [pl.col(c).is_in(labels.implode()).fill_null(False) for c in wide_cols]
    return df.select(pl.any_horizontal(hits).alias("__total")).to_series()


WIDE_FRAME = 64           # columns beyond which the totals search works on each row joined into one text
_SEP = "\x1f"
_ASCII_WS = "[ \\t\\n\\r\\f\\v]*"
_ASCII_TOTALS_FIELD = ("(?i)(?:^|\x1f)" + _ASCII_WS + "(?:" + "|".join(_ASCII_WS.join(m) for m in sorted(TOTAL_MARKERS)
                       if m.isascii()) + ")" + _ASCII_WS + "(?:\x1f|$)")


def _total_rows_wide(df: pl.DataFrame, cols: list[str]) -> pl.Series:
    """_total_rows for a frame of many columns (an export with thousands of extra columns): each
    row's cells joined with a unit separator and searched once (a select of thousands of
    expressions costs the query planner more than the search)."""
    joined = df.select(pl.concat_str([pl.col(c) for c in cols], separator=_SEP, ignore_nulls=True)
                       .alias("j")).to_series()
    hit = joined.str.contains(_ASCII_TOTALS_FIELD).fill_null(False)
    rowwide = joined.str.contains(r"[^\x00-\x7f]").fill_null(False)
    if rowwide.any():
        fields = joined.filter(rowwide).str.split(_SEP).explode()
        distinct = fields.filter(fields.str.contains(r"[^\x00-\x7f]").fill_null(False)).unique()
        labels = distinct.filter(pl.select(_is_total(pl.lit(distinct))).to_series())
        if labels.len():
            hit = hit | pl.select(pl.lit(joined).str.split(_SEP).list.eval(pl.element().is_in(labels.implode()))
                                  .list.any()).to_series().fill_null(False)
    return hit.alias("__total")


FLAG_MESSAGES = {
    "formula": "a formula without a calculated value (the workbook was written by a program and never "
               "opened in Excel/WPS); open and save it in Excel or WPS, or type the value itself",
    "stale": "a formula whose value was never calculated (the workbook was written by a program and asks "
             "Excel to recalculate on opening); open and save it in Excel or WPS, or type the value itself",
    "percent": "a percentage in an amount column (no input takes a rate); type the amount itself, "
               "e.g. 1234.56, and format the cell as a number",
}
NUMERIC_KINDS = ("money", "money_nonneg", "score")


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
