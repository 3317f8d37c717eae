"""The readers of files without sheets: .csv (UTF-8 with or without a BOM, else GBK/GB18030) and
.parquet (through Polars, metadata first)."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

import polars as pl

from cm_payroll.errors import InputIssue
from cm_payroll.load.common import RawTable, extent_issue, raise_if
from cm_payroll.load.grid import missing_columns
from cm_payroll.schema import FileSpec, norm_header


def csv_grid(path: Path, data: bytes, lim: dict):
    # UTF-8 (BOM or not) first, else GB18030 (the superset of GBK that Chinese Excel writes); the
    # UTF-8 bytes go to the reader as they are (no second copy of a big file), only GBK is re-encoded.
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
    # The reader makes as many columns as the first line has fields, for every line: refuse a grid
    # beyond the limits before it is allocated.
    lines = body.count(b"\n") + 1
    first = body[:body.find(b"\n")] if b"\n" in body else body
    width = len(next(csv.reader([first.decode("utf-8", "replace")]), [])) or 1
    raise_if([extent_issue(path.name, None, lines, width, lim, lines)] if extent_issue(
        path.name, None, lines, width, lim, lines) else None)
    try:
        df = pl.read_csv(io.BytesIO(body), has_header=False, infer_schema=False,
                         truncate_ragged_lines=True, quote_char='"')
    except pl.exceptions.PolarsError as exc:
        return [], [_csv_problem(path.name, text, exc)]
    return [(None, df, list(range(df.width)))], []


_BARE_QUOTE = re.compile(r'(?m)(?:^|,)[^,"\r\n]+"|"[^",\r\n]*"[^",\r\n]')


def _csv_problem(file: str, text: str, exc: Exception) -> InputIssue:
    """Where a CSV the reader refused goes wrong (a quote mark that opens or closes no field, a
    quoted field never closed), as the row a clerk finds in Excel (the line of the file)."""
    line = None
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        for _ in reader:
            pass
    except csv.Error:
        line = reader.line_num
    m = _BARE_QUOTE.search(text)
    if m is not None and (line is None or text.count("\n", 0, m.start()) + 1 < line):
        line = text.count("\n", 0, m.start()) + 1
    what = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
    if line is None:
        return InputIssue(file, message=f"cannot read this CSV ({what}); save it again from Excel/WPS as CSV")
    return InputIssue(file, None, line, None, f"a quote mark (\") here opens or closes no field, or a quoted "
                      f"field is never closed (line {line} of the file); remove the stray quote or put the whole "
                      f"field in quotes with the quote doubled (\"\"), or save the file again from Excel/WPS as CSV")


def parquet_table(path: Path, data: bytes, spec: FileSpec, lim: dict):
    sha = hashlib.sha256(data).hexdigest()
    try:
        # the row count and the columns from the metadata first: nothing is materialised before
        # the file is known to be within the limits
        lazy = pl.scan_parquet(io.BytesIO(data))
        schema = lazy.collect_schema()
        height = lazy.select(pl.len()).collect().item()
    except Exception as exc:  # noqa: BLE001
        return None, [InputIssue(path.name, message=f"cannot read this Parquet file ({str(exc)[:200]})")]
    lookup = spec.header_lookup()
    rename, headers, dupes = {}, {}, []
    by_key: dict[str, list[str]] = {}
    for col in schema.names():
        key = lookup.get(norm_header(col))
        if key is not None:
            by_key.setdefault(key, []).append(col)
    for key, cols in by_key.items():
        if len(cols) > 1:
            named = " and ".join(f"{c!r} (column {i + 1})" for c, i in ((c, schema.names().index(c)) for c in cols))
            dupes.append(InputIssue(path.name, column=cols[0], message=f"two columns for one field ({key}): "
                                    f"{named}; delete one of them"))
            continue
        rename[cols[0]] = key
        headers[key] = cols[0]
    missing = missing_columns(path.name, None, spec, set(by_key))
    if missing or dupes:
        return None, missing + dupes
    raise_if([i for i in [extent_issue(path.name, None, height, max(len(rename), 1), lim, height)] if i])
    try:
        out = pl.read_parquet(io.BytesIO(data), columns=list(rename))
    except Exception as exc:  # noqa: BLE001
        return None, [InputIssue(path.name, message=f"cannot read this Parquet file ({str(exc)[:200]})")]
    out = out.select([pl.col(c).alias(k) for c, k in rename.items()])
    casts = []
    for c in out.columns:
        dtype = out.schema[c]
        kind = spec.column(c).kind
        places = 4 if kind == "score" else 2
        if kind in ("money", "money_nonneg", "score") and (
                dtype.is_integer() or (isinstance(dtype, pl.Decimal) and (dtype.scale or 0) <= places)):
            continue      # exact numbers: typed as they are by validate (no text round trip)
        if dtype == pl.Date:
            casts.append(pl.col(c).dt.strftime("%Y-%m-%d"))
        elif isinstance(dtype, pl.Datetime):
            casts.append(pl.col(c).dt.strftime("%Y-%m-%d %H:%M:%S"))
        elif dtype == pl.Boolean:
            casts.append(pl.when(pl.col(c)).then(pl.lit("是")).otherwise(pl.lit("否")).alias(c))
        else:
            casts.append(pl.col(c).cast(pl.String))
    out = out.with_columns(casts).with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias("_row"), pl.lit(None, pl.String).alias("_sheet"))
    return RawTable(spec, path, None, out, headers, sha), []
