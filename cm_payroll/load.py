"""Stage 1 — load: find a month's input files and read them into all-text frames.

Every file becomes a `RawTable`: the columns renamed to their canonical English keys, every cell as
text (or null), and `_row` holding the row number as Excel (or a text editor) shows it, so that the
validator can point a clerk at the exact cell. Nothing here interprets values; validate.py does.

Readers: .xlsx/.xlsm/.xls/.ods through fastexcel (calamine, Rust); .csv in UTF-8 (with or without a
BOM) or GBK/GB18030, detected; .parquet through Polars.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import os
import re
import struct
import sys
import tempfile
import threading
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import zip_longest
from pathlib import Path
from xml.parsers.expat import ExpatError, ParserCreate

import polars as pl

from cm_payroll.errors import InputIssue
from cm_payroll.schema import FileSpec, norm_header, norm_value

EXCEL_EXT = (".xlsx", ".xlsm", ".xls", ".ods")
EXTENSIONS = EXCEL_EXT + (".csv", ".parquet")
HEADER_SCAN_ROWS = 30
TOTAL_MARKERS = {"合计", "总计", "小计", "total", "sum"}
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
    epoch: dt.date = dt.date(1899, 12, 30)   # day 0 of the workbook's serial numbers (1904 system: 1904-01-01)
    warnings: list[str] = field(default_factory=list)     # input warnings (Chinese, for the exceptions report)

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


def read_table(path: Path, spec: FileSpec, sheet_name: str = "",
               limits: dict | None = None) -> tuple[RawTable | None, list[InputIssue]]:
    """Read one input file; problems come back as issues, never as exceptions. `limits`: the
    rulebook's input_limits (max_cells, max_rows, max_inflated_bytes, max_errors_per_file)."""
    lim = input_limits(limits)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [InputIssue(path.name, message=f"cannot read file: {exc.strerror or exc}")]
    if not data:
        return None, [InputIssue(path.name, message="the file is empty")]
    ext = path.suffix.casefold()
    log = _ReaderLog()
    try:
        with log, _StderrTrap() as trap:
            raw, issues = _read(path, data, ext, spec, sheet_name, lim)
    except _Refused as exc:
        return None, exc.issues
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 — any reader failure (also a Rust panic, a BaseException)
        msg = str(exc).splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        return None, [InputIssue(path.name, message=f"cannot read this file ({msg}); "
                                 "save it again as .xlsx or UTF-8 .csv")]
    if raw is None:
        return None, issues
    said = log.messages + [m for m in trap.lines if m.strip()][:20]
    # what the reader said: the cases where it drops data (rows or columns beyond a sheet) were
    # refused by the surveys before it read anything, so what is left is listed, not printed
    raw.warnings += [f"{path.name}:读取器提示「{m}」,请确认文件内容完整" for m in said[:20]]
    return raw, []


class _StderrTrap:
    """What native code writes straight to file descriptor 2 while a file is read (a Rust panic's
    message and backtrace, a library's own prints): kept, never shown raw to the clerk."""

    def __init__(self):
        self.lines: list[str] = []
        self._saved = None

    def __enter__(self):
        try:
            sys.stderr.flush()
            self._tmp = tempfile.TemporaryFile()
            self._saved = os.dup(2)
            os.dup2(self._tmp.fileno(), 2)
        except (OSError, ValueError, AttributeError):
            self._saved = None
        return self

    def __exit__(self, *exc):
        if self._saved is None:
            return False
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(self._saved, 2)
        os.close(self._saved)
        self._tmp.seek(0)
        text = self._tmp.read(65536).decode("utf-8", "replace")
        self._tmp.close()
        skip = ("panicked at", "stack backtrace", "note: ", "   ", "  at ")
        self.lines = [ln[:300] for ln in text.splitlines()
                      if ln.strip() and not ln.startswith(skip) and not ln.lstrip()[:1].isdigit()]
        if exc[0] is not None:
            self.lines = []          # the error is reported as such
        return False


def _read(path: Path, data: bytes, ext: str, spec: FileSpec, sheet_name: str, lim: dict):
    kind = _kind(path, ext, data)
    if isinstance(kind, InputIssue):
        return None, [kind]
    if kind == "parquet":
        return _parquet_table(path, data, spec, lim)
    flags = None
    epoch = EPOCH_1900
    if kind == "xlsx":
        grids, issues, flags = _xlsx_grids(path, data, sheet_name, lim)
        epoch = flags.epoch if flags is not None else epoch
    elif kind == "ods":
        grids, issues, flags = _ods_grids(path, data, sheet_name, lim)
        epoch = flags.epoch if flags is not None else epoch
    elif kind == "xls":
        flags = XlsCells(path.name, data, lim)
        _raise_if(flags.issues)
        epoch = flags.epoch
        grids, issues = _excel_grids(path, data, sheet_name, None)
    else:
        grids, issues = _csv_grid(path, data, lim)
    if issues:
        return None, issues
    sha = hashlib.sha256(data).hexdigest()
    return _grids_to_table(path, spec, grids, sha, flags, epoch, lim)


def _kind(path: Path, ext: str, data: bytes) -> str | InputIssue:
    """What the file is, from its content (an .xlsx renamed .ods is read, and checked, as an .xlsx)."""
    if ext == ".csv":
        return "csv"
    if ext == ".parquet":
        return "parquet"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        if ext == ".xls":
            return "xls"
        return InputIssue(path.name, message=f"this {ext} is an OLE container: the workbook is "
                          "password-protected (encrypted) or an old .xls renamed; remove the "
                          "password or save it as .xlsx")
    if not data.startswith(b"PK"):
        if ext == ".xls":
            return InputIssue(path.name, message="not an .xls workbook (wrong file signature)")
        return InputIssue(path.name, message="not an Excel workbook (the file is not a zip package)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return InputIssue(path.name, message="the workbook is truncated or damaged (bad zip package)")
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "content.xml" in names:
        return "ods"
    return InputIssue(path.name, message="not an Excel workbook (a zip package without a workbook)")


# --------------------------------------------------------------------------------------------- limits

DEFAULT_LIMITS = {"max_cells": 50_000_000, "max_rows": 10_000_000, "max_inflated_bytes": 1_879_048_192,
                  "max_errors_per_file": 1000}
EPOCH_1900 = dt.date(1899, 12, 30)       # day 0 of Excel serials (1900 system, from 1900-03-01 on)
EPOCH_1904 = dt.date(1904, 1, 1)


def input_limits(limits: dict | None) -> dict:
    out = dict(DEFAULT_LIMITS)
    for k, v in (limits or {}).items():
        if k in out:
            out[k] = int(v)
    return out


class _Refused(Exception):
    """Internal: the file is refused before it is read further (issues for the clerk)."""

    def __init__(self, issues: list[InputIssue]):
        super().__init__(issues[0].message if issues else "refused")
        self.issues = issues


def _raise_if(issues: list[InputIssue] | None) -> None:
    if issues:
        raise _Refused(issues)


class _ReaderLog(logging.Handler):
    """What calamine (Rust `log` through pyo3-log into Python logging) says while a file is read:
    kept for the run (an input warning, or an error when it means data was dropped), never printed."""

    LOGGERS = ("calamine", "fastexcel")

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []
        self._saved: list = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING and len(self.messages) < 1000:
            try:
                self.messages.append(record.getMessage()[:300])
            except Exception:  # noqa: BLE001
                self.messages.append(str(record.msg)[:300])

    def __enter__(self):
        for name in self.LOGGERS:
            lg = logging.getLogger(name)
            self._saved.append((lg, lg.propagate))
            lg.addHandler(self)
            lg.propagate = False
        return self

    def __exit__(self, *exc):
        for lg, prop in self._saved:
            lg.removeHandler(self)
            lg.propagate = prop
        self._saved.clear()
        return False


# --------------------------------------------------------------------------------------------- zip packages

_IN_CHUNK = 1 << 20
_OUT_CHUNK = 1 << 22


class _Damaged(Exception):
    pass


class _TooBig(Exception):
    pass


class ZipParts:
    """The parts of a zip package, inflated by us as a stream — zlib's real output counted against
    max_inflated_bytes (declared sizes are never trusted: a part that inflates to more than its
    declared size is damaged), every part's CRC-32 and size checked — before calamine sees them."""

    def __init__(self, file: str, data: bytes, cap: int):
        self.file, self.data, self.cap = file, data, cap
        self.used = 0
        self._lock = threading.Lock()
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                self.infos = zf.infolist()
        except (zipfile.BadZipFile, ValueError, OSError):
            raise _Refused([self.damaged_issue("(zip directory)")]) from None
        self.by_name = {i.filename: i for i in self.infos}
        declared = sum(i.file_size for i in self.infos)
        if declared > cap or declared > MAX_RATIO * max(len(data), 1) and declared > 50 * 1024**2:
            raise _Refused([self.too_big_issue(declared, declared=True)])

    def damaged_issue(self, part: str) -> InputIssue:
        return InputIssue(self.file, message=f"the workbook is damaged (part {part} is corrupt); "
                          "save it again from Excel/WPS or ask for a new export")

    def too_big_issue(self, n: int, declared: bool = False) -> InputIssue:
        how = "declares that it inflates to" if declared else "inflates to more than"
        return InputIssue(self.file, message=f"refused: the workbook {how} {n:,} bytes from {len(self.data):,} "
                          f"(the limit is {self.cap:,}: a zip bomb or a corrupted file); "
                          "save it again from Excel/WPS, or split it")

    def _count(self, n: int) -> None:
        with self._lock:
            self.used += n
            if self.used > self.cap:
                raise _TooBig()

    def stream(self, name: str, out_chunk: int = _OUT_CHUNK, count: bool = True):
        """The inflated bytes of one part, chunk by chunk; raises _Damaged or _TooBig. `count`:
        False for a part read again (counted once)."""
        info = self.by_name[name]
        data, off = self.data, info.header_offset
        if data[off:off + 4] != b"PK\x03\x04" or info.flag_bits & 1:
            raise _Damaged(name)
        n, m = struct.unpack_from("<HH", data, off + 26)
        start = off + 30 + n + m
        end = start + info.compress_size
        if end > len(data):
            raise _Damaged(name)
        raw = memoryview(data)[start:end]
        crc = total = 0
        if info.compress_type == zipfile.ZIP_STORED:
            for i in range(0, len(raw), out_chunk):
                piece = bytes(raw[i:i + out_chunk])
                total += len(piece)
                if total > info.file_size:
                    raise _Damaged(name)
                if count:
                    self._count(len(piece))
                crc = zlib.crc32(piece, crc)
                yield piece
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            d = zlib.decompressobj(-15)
            pos = 0
            try:
                while not d.eof:
                    if d.unconsumed_tail:
                        piece = d.decompress(d.unconsumed_tail, out_chunk)
                    elif pos < len(raw):
                        piece = d.decompress(raw[pos:pos + _IN_CHUNK], out_chunk)
                        pos += _IN_CHUNK
                    else:
                        raise _Damaged(name)          # the deflate stream ends before its end marker
                    if not piece:
                        continue
                    total += len(piece)
                    if total > info.file_size:
                        raise _Damaged(name)          # more than declared: the sizes lie
                    if count:
                        self._count(len(piece))
                    crc = zlib.crc32(piece, crc)
                    yield piece
            except zlib.error:
                raise _Damaged(name) from None
        else:
            raise _Damaged(name)
        if total != info.file_size or crc != info.CRC:
            raise _Damaged(name)

    def read(self, name: str) -> bytes:
        return b"".join(self.stream(name))

    def drain(self, name: str) -> None:
        for _ in self.stream(name):
            pass


def _xlsx_grids(path: Path, data: bytes, sheet_name: str, lim: dict):
    """An .xlsx/.xlsm. A thread inflates every part once (ZipParts: real bytes counted, CRC-32
    checked — calamine checks neither) and searches the sheets for the cells calamine reads wrongly
    and for a used range too large to allocate (XlsxCells); calamine opens the workbook only after
    the parts it reads at opening passed, and loads each sheet only after that sheet passed, so a
    zip bomb or a stray cell at XFD1048576 is refused before calamine allocates anything for it.
    The survey of sheet k+1 runs while calamine loads sheet k."""
    cells = XlsxCells(path.name, data, lim)
    order = cells.sheet_order()
    if sheet_name and sheet_name in order:
        order = [sheet_name]
    cells.plan(order)
    with ThreadPoolExecutor(max_workers=1) as pool:
        survey = pool.submit(cells.survey)
        try:
            grids, issues = _excel_grids(path, data, sheet_name, cells)
        except BaseException:
            cells.abandon()          # a failed load: the survey stops at its next chunk
            raise
        finally:
            survey.result()
    _raise_if(cells.failure)
    return grids, issues, cells


def _excel_grids(path: Path, data: bytes, sheet_name: str, gate):
    """calamine (fastexcel) reads the sheets; `gate` (XlsxCells/OdsCells or None) says when a
    part may be read and refuses the file when one may not."""
    import fastexcel

    if gate is not None:
        _raise_if(gate.wait(None))
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
        if gate is not None:
            _raise_if(gate.wait(name))
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


def _ods_grids(path: Path, data: bytes, sheet_name: str, lim: dict):
    """An .ods: every part inflated and checked first (OdsCells: sizes, CRC-32, the used range with
    its repeated rows and columns, percentages, hidden rows, the null date), then calamine."""
    cells = OdsCells(path.name, data, lim)
    _raise_if(cells.failure)
    grids, issues = _excel_grids(path, data, sheet_name, cells)
    return grids, issues, cells


SHEET_ROWS, SHEET_COLS = 1_048_576, 16_384
_T = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_O = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_S = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
_N = "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"


class OdsCells:
    """What calamine does not tell about an .ods: cells shown as percentages (office:value-type
    "percentage", or a percent data style), hidden rows (table:visibility collapse/filter), the used
    range with table:number-rows-repeated / number-columns-repeated expanded, the null date (day 0
    of serial numbers). Every part is inflated through ZipParts (sizes and CRC-32 checked)."""

    def __init__(self, file: str, data: bytes, lim: dict | None = None):
        self.file, self.lim = file, input_limits(lim)
        self.zip = ZipParts(file, data, self.lim["max_inflated_bytes"])
        self.epoch = EPOCH_1900
        self.pct_styles: set[str] = set()
        self.flags: dict[str, list[CellFlag]] = {}
        self.hidden: dict[str, list[int]] = {}
        self.failure: list[InputIssue] | None = None
        self._data_pct: set[str] = set()
        self._cell_data: dict[str, str] = {}
        names = [i.filename for i in self.zip.infos]
        order = [n for n in names if n == "styles.xml"] + [n for n in names if n not in ("styles.xml", "content.xml")]
        order += [n for n in names if n == "content.xml"]
        try:
            for name in order:
                if name in ("styles.xml", "content.xml"):
                    self._parse(name)
                else:
                    self.zip.drain(name)
        except _Damaged as exc:
            self.failure = [self.zip.damaged_issue(str(exc))]
        except _TooBig:
            self.failure = [self.zip.too_big_issue(self.zip.cap)]
        except _Refused as exc:
            self.failure = exc.issues
        except ExpatError as exc:
            self.failure = [InputIssue(file, message=f"the workbook is damaged (not well-formed XML: {exc}); "
                                       "save it again")]

    def wait(self, sheet: str | None) -> list[InputIssue] | None:
        return self.failure

    def scan(self, sheet: str | None, cols: set[int], pct_cols: set[int]) -> list[CellFlag]:
        return [f for f in self.flags.get(sheet or "", []) if f.col in pct_cols][:MAX_FLAGS + 1]

    def _parse(self, name: str) -> None:
        p = ParserCreate(namespace_separator=" ")
        st = {"table": None, "row": 0, "rep": 1, "col": 0, "vis": "", "cell": None, "text": False,
              "row_max": -1, "max_row": 0, "max_col": -1, "rows_total": 0}
        lim, file = self.lim, self.file

        def start(tag, a):
            if tag == f"{_T} table-cell" or tag == f"{_T} covered-table-cell":
                rep = int(a.get(f"{_T} number-columns-repeated", "1") or 1)
                vt = a.get(f"{_O} value-type")
                style = a.get(f"{_T} style-name", "")
                st["cell"] = (st["col"], rep, vt, style)
                st["text"] = False
            elif tag == f"{_T} table-row":
                st["rep"] = max(1, int(a.get(f"{_T} number-rows-repeated", "1") or 1))
                st["vis"] = a.get(f"{_T} visibility", "")
                st["col"], st["row_max"] = 0, -1
            elif tag == f"{_T} table":
                st["table"] = a.get(f"{_T} name", "")
                st["row"], st["max_row"], st["max_col"] = 0, 0, -1
            elif tag == f"{_T} null-date":
                v = a.get(f"{_T} date-value", "")
                try:
                    self.epoch = dt.date.fromisoformat(v[:10])
                except ValueError:
                    pass
            elif tag == f"{_N} percentage-style":
                self._data_pct.add(a.get(f"{_S} name", ""))
            elif tag == f"{_S} style" and a.get(f"{_S} data-style-name"):
                self._cell_data[a.get(f"{_S} name", "")] = a.get(f"{_S} data-style-name", "")
            elif st["cell"] is not None and tag.startswith("urn:oasis:names:tc:opendocument:xmlns:text"):
                st["text"] = True

        def chars(s):
            if st["cell"] is not None and s.strip():
                st["text"] = True

        def end(tag):
            if tag == f"{_T} table-cell" or tag == f"{_T} covered-table-cell":
                col, rep, vt, style = st["cell"]
                if vt is not None or st["text"]:
                    st["row_max"] = col + rep - 1
                    pct = vt == "percentage" or (vt in ("float", "percentage") and self._is_pct(style))
                    if pct:
                        fl = self.flags.setdefault(st["table"] or "", [])
                        for r in range(st["row"] + 1, st["row"] + 1 + min(st["rep"], MAX_FLAGS)):
                            for c in range(col, col + min(rep, 256)):
                                if len(fl) <= MAX_FLAGS:
                                    fl.append(CellFlag(r, c, "percent"))
                st["col"] = col + rep
                st["cell"] = None
            elif tag == f"{_T} table-row":
                first = st["row"] + 1
                st["row"] += st["rep"]
                if st["row_max"] >= 0:
                    if st["row"] > SHEET_ROWS or st["row_max"] >= SHEET_COLS:
                        far = f"{_col_letters(min(st['row_max'], SHEET_COLS))}{st['row']:,}"
                        raise _Refused([InputIssue(file, st["table"], message=(
                            f"the sheet holds content up to {far} (repeated rows or columns), beyond the "
                            f"{SHEET_ROWS:,} rows × {SHEET_COLS:,} columns of a sheet: the reader would drop it; "
                            "delete the repeated rows or columns, or save the file again"))])
                    st["max_row"] = st["row"]
                    st["max_col"] = max(st["max_col"], st["row_max"])
                    if st["vis"] in ("collapse", "filter"):
                        h = self.hidden.setdefault(st["table"] or "", [])
                        h.extend(range(first, first + min(st["rep"], 100_000)))
                    issue = extent_issue(file, st["table"], st["max_row"], st["max_col"] + 1, lim,
                                         st["rows_total"] + st["max_row"])
                    if issue is not None:
                        raise _Refused([issue])
            elif tag == f"{_T} table":
                st["rows_total"] += st["max_row"]

        p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, chars
        for chunk in self.zip.stream(name):
            p.Parse(chunk, False)
        p.Parse(b"", True)

    def _is_pct(self, style: str) -> bool:
        return self._cell_data.get(style, "") in self._data_pct


def decode_text(data: bytes) -> str:
    """UTF-8 (BOM or not) first; otherwise GB18030, the superset of GBK that Chinese Excel writes."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _csv_grid(path: Path, data: bytes, lim: dict):
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
    # The reader makes as many columns as the first line has fields, for every line: refuse a grid
    # beyond the limits before it is allocated.
    lines = body.count(b"\n") + 1
    first = body[:body.find(b"\n")] if b"\n" in body else body
    width = len(next(csv.reader([first.decode("utf-8", "replace")]), [])) or 1
    _raise_if([extent_issue(path.name, None, lines, width, lim, lines)] if extent_issue(
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


def _parquet_table(path: Path, data: bytes, spec: FileSpec, lim: dict):
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
    missing = _missing_columns(path.name, None, spec, set(by_key))
    if missing or dupes:
        return None, missing + dupes
    _raise_if([i for i in [extent_issue(path.name, None, height, max(len(rename), 1), lim, height)] if i])
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


# --------------------------------------------------------------------------------------------- grids

def _missing_columns(file: str, sheet: str | None, spec: FileSpec, present: set[str]) -> list[InputIssue]:
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
        named = " and ".join(f"{str(header[j]).strip()!r} (column {_col_letters(offsets[j] if j < len(offsets) else j)})"
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


def _grids_to_table(path: Path, spec: FileSpec, grids, sha: str, flags=None, epoch: dt.date = EPOCH_1900,
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


_ROW_NUM = re.compile(rb'<(?:\w+:)?row\b(?:[^>]*?\sr="(\d+)")?')
_ROW_FIRST = re.compile(rb'<row r="(\d+)"')
_ROW_BIG = re.compile(rb'<row r="(\d{7,})"')
_WIDE_ANY = re.compile(rb'c r="(?:[A-Z]{2}|[A-Z]\d{7})')      # the prefix of a _WIDE_REF match
_WIDE_REF = re.compile(rb'<(?:\w+:)?c r="(?:([A-Z]{2,3})(\d+)|[A-Z](\d{7,}))"')
_HIDDEN_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\bhidden="(?:1|true)"[^>]*>')
_ROW_R = re.compile(rb'\sr="(\d+)"')
def _hidden_rows(seg: bytes, hidden: list[int]) -> None:
    for m in _HIDDEN_ROW.finditer(seg):
        r = _ROW_R.search(m.group())
        if r:
            hidden.append(int(r.group(1)))


RLESS_FAST = 47          # cells a row without references may hold before its cells are counted


class _Extent:
    """The used range calamine will allocate for one sheet (rows × columns of the cells present,
    counted from A1), found from the cells themselves — never from <dimension>, which can lie. An
    upper bound. Columns: from references beyond Z, and for cells without a reference the cells of
    the row (a row's length over the 7 bytes a cell takes at least; counted exactly for long rows).
    Rows: exact rows are dear to find (a search of every <row r>), so the fast pass finds the rows
    of 7 digits and more and the last row of each segment, and bounds the others by 999,999; only
    when that bound is too large for the columns (a sheet wider than about 50 columns) is the part
    read again `exact`ly."""

    def __init__(self, exact: bool = False):
        self.exact = exact
        self.max_row = 0
        self.implicit = 0
        self.max_col = -1          # 0-based, from references
        self.far: str | None = None
        self._far_key = (-1, -1)
        self.short_refs = False    # references within A..Z
        self.rless = 0             # cells without a reference in one row, at most

    def add(self, seg: bytes) -> None:
        pieces = None
        if b"<c t=" in seg or b"<c s=" in seg or b"<c>" in seg:
            # cells without a reference: calamine counts them along the row
            pieces = seg.split(b"</row>")
            bound = max(map(len, pieces)) // 7
            if bound > RLESS_FAST:
                bound = max([RLESS_FAST] + [p.count(b"<c") for p in pieces if len(p) // 7 > RLESS_FAST])
            self.rless = max(self.rless, bound)
        closed = len(pieces) - 1 if pieces is not None else seg.count(b"</row>")
        if self.exact or seg.count(b'<row r="') != closed:
            rows = _ROW_NUM.findall(seg)      # rows with r elsewhere or without r: the general search
            self.implicit += rows.count(b"")
            rows = [r for r in rows if r]
        else:
            rows = _ROW_BIG.findall(seg)      # rows of 7 digits and more
            last = seg.rfind(b'<row r="')
            if last >= 0:
                m = _ROW_FIRST.match(seg, last)
                if m:
                    rows.append(m.group(1))
        if rows:
            self.max_row = max(self.max_row, max(map(int, rows)))
        if b'c r="' in seg:
            self.short_refs = True
            # the full pattern only where a reference beyond column Z or below row 999,999 occurs
            # (a search for its prefix is ten times cheaper than the pattern over every cell)
            wide = _WIDE_REF.findall(seg) if _WIDE_ANY.search(seg) else ()
            for letters, row, big in wide:
                r = int(row or big)
                c = _col_index(letters) if letters else 25
                if letters and (c, r) > self._far_key:
                    self._far_key, self.far = (c, r), letters.decode() + row.decode()
                self.max_col = max(self.max_col, c)
                self.max_row = max(self.max_row, r)

    def rows(self) -> int:
        return self.max_row + self.implicit

    def row_bound(self) -> int:
        return self.rows() if self.exact else max(self.rows(), 999_999 + self.implicit)

    def cols(self) -> int:
        c = self.max_col + 1
        if self.short_refs:
            c = max(c, 26)
        if self.rless:
            c = c + self.rless if self.max_col >= 0 else max(c, self.rless)
        return c


def extent_issue(file: str, sheet: str | None, rows: int, cols: int, lim: dict, rows_total: int,
                 far: str | None = None) -> InputIssue | None:
    """The refusal of a table whose used range (rows × cols from A1) is beyond the input limits."""
    cells = rows * cols
    if rows_total > lim["max_rows"]:
        return InputIssue(file, sheet, message=f"the file has {rows_total:,} rows; the limit is "
                          f"{lim['max_rows']:,} (input_limits.max_rows): delete the stray rows far below the "
                          "table, or split the file")
    if cells <= lim["max_cells"]:
        return None
    corner = f"{_col_letters(max(cols - 1, 0))}{rows}"
    stray = (f"delete the stray cell {far}" if far == corner else
             f"delete the stray cells far right of the table or far below it (the used range ends at "
             f"column {_col_letters(max(cols - 1, 0))}, row {rows:,})")
    return InputIssue(file, sheet, message=f"the used range A1:{corner} has {cells:,} cells; the limit is "
                      f"{lim['max_cells']:,} (input_limits.max_cells): {stray}, then save the file again")


class XlsxCells:
    """The cells of an .xlsx/.xlsm that calamine reads wrongly in silence: formula cells without a
    calculated value, formulas of a workbook that was never calculated (calcPr fullCalcOnLoad: written
    by a program, never saved by Excel/WPS/LibreOffice), numbers formatted as percentages; and what
    must be known before calamine reads a sheet: its used range (cells × rows), hidden rows, the
    date system (workbookPr date1904)."""

    def __init__(self, file: str, data: bytes, lim: dict | None = None):
        import xml.etree.ElementTree as ET
        self.lim = input_limits(lim)
        self.file, self.data = file, data
        self.zip = ZipParts(file, data, self.lim["max_inflated_bytes"])
        self.parts: dict[str, str] = {}
        self.names: list[str] = []
        self.surveyed: dict[str, list[CellFlag]] = {}      # sheet → flags in every column (survey())
        self.hidden: dict[str, list[int]] = {}             # sheet → hidden Excel rows
        self.stale = False
        self.epoch = EPOCH_1900
        self.pct: set[int] = set()
        self.failure: list[InputIssue] | None = None
        self._done: dict[str | None, threading.Event] = {None: threading.Event()}
        self._all = threading.Event()
        self._order: list[str] = []
        self._stop = False
        self._rows_total = 0
        meta = {}
        for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"):
            if name in self.zip.by_name:
                try:
                    meta[name] = self.zip.read(name)
                except _Damaged:
                    raise _Refused([self.zip.damaged_issue(name)]) from None
                except _TooBig:
                    raise _Refused([self.zip.too_big_issue(self.zip.cap)]) from None
        try:
            wb = ET.fromstring(meta["xl/workbook.xml"])
            rels = ET.fromstring(meta["xl/_rels/workbook.xml.rels"])
            styles = ET.fromstring(meta["xl/styles.xml"]) if "xl/styles.xml" in meta else None
        except (KeyError, ET.ParseError):
            return
        target = {r.get("Id"): r.get("Target", "") for r in rels}
        for el in wb.iter():
            if el.tag.endswith("}sheet"):
                rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
                self.names.append(el.get("name", ""))
                if rid in target:
                    self.parts[el.get("name", "")] = _part_path(target[rid])
            elif el.tag.endswith("}calcPr"):
                self.stale = el.get("fullCalcOnLoad", "").lower() in ("1", "true")
            elif el.tag.endswith("}workbookPr"):
                if el.get("date1904", "").lower() in ("1", "true"):
                    self.epoch = EPOCH_1904
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

    def sheet_order(self) -> list[str]:
        return list(self.names)

    def plan(self, order: list[str]) -> None:
        """The sheets calamine will load, in that order (before survey() starts)."""
        self._order = [n for n in order if n in self.parts]
        self._done.update({self.parts[n]: threading.Event() for n in self._order})

    # -- the gate

    def wait(self, sheet: str | None) -> list[InputIssue] | None:
        """Block until the parts calamine reads at opening (sheet None) or the part of `sheet` passed;
        the failure (issues) if the file is refused."""
        if self.failure:
            return self.failure
        ev = self._done.get(sheet if sheet is None else self.parts.get(sheet)) or self._all
        ev.wait()
        return self.failure

    def abandon(self) -> None:
        self._stop = True

    def _fail(self, issues: list[InputIssue]) -> None:
        if not self.failure:
            self.failure = issues
        for ev in self._done.values():
            ev.set()
        self._all.set()

    def survey(self) -> None:
        """Inflate every part of the package once, in the order calamine needs them: the parts it
        reads at opening (everything but the sheets), then the sheets in `order`, then the rest.
        Sheets are searched for flagged cells (kept for scan()), hidden rows and their used range."""
        try:
            self._survey()
        finally:
            for ev in self._done.values():
                ev.set()
            self._all.set()

    def _survey(self) -> None:
        sheet_parts = [self.parts[n] for n in self._order]
        all_sheets = set(self.parts.values())
        by_part = {p: name for name, p in self.parts.items()}
        first = [i.filename for i in self.zip.infos if i.filename not in all_sheets]
        rest = [p for p in all_sheets if p not in set(sheet_parts) and p in self.zip.by_name]
        sequence = first + [None] + [p for p in sheet_parts if p in self.zip.by_name] + rest
        again = []
        for name in sequence + ["(again)"]:
            if name is None:
                self._done[None].set()
                continue
            if self._stop:
                break
            try:
                if name == "(again)":
                    # the flagged cells and hidden rows, read while calamine loads the sheets
                    for part in again:
                        flags, complete = self._scan_part(part, by_part[part], SURVEY_MAX_FLAGS, mode="flags")
                        if complete:
                            self.surveyed[by_part[part]] = flags
                elif name in by_part:
                    self._scan_part(name, by_part[name], 0, mode="extent")      # before calamine reads it
                    again.append(name)
                elif name == "xl/sharedStrings.xml":
                    self._shared_strings(name)
                else:
                    self.zip.drain(name)
            except _Damaged:
                self._fail([self.zip.damaged_issue(name)])
                return
            except _TooBig:
                self._fail([self.zip.too_big_issue(self.zip.cap)])
                return
            except _Refused as exc:
                self._fail(exc.issues)
                return
            if name in self._done:
                self._done[name].set()

    def _shared_strings(self, name: str) -> None:
        """calamine reserves room for the declared uniqueCount before reading a string: a count the
        part cannot hold (each <si/> takes 5 bytes) is refused."""
        size = self.zip.by_name[name].file_size
        head: bytes | None = b""
        for chunk in self.zip.stream(name):
            if head is None:
                continue
            head += chunk[:65536]
            at = head.find(b"sst")
            if (at >= 0 and head.find(b">", at) >= 0) or len(head) >= 65536:
                m = re.search(rb'<(?:\w+:)?sst\b[^>]*?\buniqueCount="(\d+)"', head)
                if m and int(m.group(1)) > size // 5 + 16:
                    raise _Refused([InputIssue(self.file, message=f"the shared strings table declares "
                                               f"{int(m.group(1)):,} strings, more than its {size:,} bytes can "
                                               "hold (a damaged or hostile file); save it again from Excel/WPS")])
                head = None

    def scan(self, sheet: str | None, cols: set[int], pct_cols: set[int]) -> list[CellFlag]:
        """Flagged cells of `sheet` in the columns `cols` (percentages only in `pct_cols`)."""
        part = self.parts.get(sheet or "")
        if part is None or not cols:
            return []
        pct_cols = pct_cols if self.pct else set()
        if (sheet or "") in self.surveyed:
            return [f for f in self.surveyed[sheet or ""]
                    if f.col is None or f.col in (pct_cols if f.kind == "percent" else cols)][:MAX_FLAGS + 1]
        if part not in self.zip.by_name:
            return []
        return self._scan_part(part, sheet or "", MAX_FLAGS, cols, pct_cols, mode="flags")[0]

    def _scan_part(self, part: str, sheet: str, cap: int, cols: set[int] | None = None,
                   pct_cols: set[int] | None = None, mode: str = "flags") -> tuple[list[CellFlag], bool]:
        """mode "extent": the used range of one sheet part (refused beyond the limits: _Refused),
        before calamine reads it. mode "flags": flagged cells in `cols` (None: every column) and the
        hidden rows, the part read again (not counted again); (flags, complete): complete is False
        when more than `cap` cells were flagged."""
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
        survey = cols is None
        ext = _Extent(exact=mode == "exact") if mode in ("extent", "exact") else None
        hidden: list[int] = []
        tail = b""
        for chunk in self.zip.stream(part, count=mode == "extent"):
            if self._stop and survey:
                return flags, False
            buf = tail + chunk
            cut = buf.rfind(b"row>") + 4
            if cut < 4:
                tail = buf
                continue
            seg, tail = buf[:cut], buf[cut:]
            if ext is not None:
                ext.add(seg)
                continue
            if survey and b'hidden="' in seg:
                _hidden_rows(seg, hidden)
            if complete:
                self._scan(seg, cols, pct_cols, formula_re, pct_re, pct_tokens, flags)
                if len(flags) > cap:
                    complete = False
        if tail:
            if ext is not None:
                ext.add(tail)
            else:
                if survey and b'hidden="' in tail:
                    _hidden_rows(tail, hidden)
                if complete:
                    self._scan(tail, cols, pct_cols, formula_re, pct_re, pct_tokens, flags)
                    complete = len(flags) <= cap
        if hidden:
            self.hidden[sheet] = hidden
        if ext is not None:
            if not ext.exact and ext.row_bound() * ext.cols() > self.lim["max_cells"]:
                return self._scan_part(part, sheet, cap, cols, pct_cols, mode="exact")
            self._rows_total += ext.rows()
            issue = extent_issue(self.file, sheet, ext.rows(), ext.cols(), self.lim, self._rows_total, ext.far)
            if issue is not None:
                raise _Refused([issue])
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
    """What calamine does not tell about an .xls (BIFF8) workbook, from the Workbook stream's
    records, read before calamine: percent-formatted numbers (FORMAT and XF records give the
    percent formats, then a sheet's NUMBER, RK, MULRK, FORMULA cells that use one; calamine reads
    them as 0.25), hidden rows (ROW fDyZero), the date system (DATEMODE), and each sheet's used
    range from its cell records (DIMENSIONS can lie; calamine reserves room for what it declares,
    so a declared range beyond the limits is refused too). Needs olefile."""

    def __init__(self, file: str, data: bytes, lim: dict | None = None):
        self.file, self.lim = file, input_limits(lim)
        self.sheets: dict[str, int] = {}
        self.pct: set[int] = set()
        self.flags: dict[str, list[CellFlag]] = {}
        self.hidden: dict[str, list[int]] = {}
        self.epoch = EPOCH_1900
        self.issues: list[InputIssue] = []
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
                elif rid == 0x0022 and len(body) >= 2:               # DATEMODE
                    if struct.unpack_from("<H", body, 0)[0] == 1:
                        self.epoch = EPOCH_1904
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
        rows_total = 0
        for name, offset in self.sheets.items():
            rows, cols, declared = self._sheet(name, offset)
            rows_total += rows
            issue = (extent_issue(file, name, rows, cols, self.lim, rows_total)
                     or extent_issue(file, name, declared[0], declared[1], self.lim, 0))
            if issue is not None:
                self.issues.append(issue)
                break

    def _sheet(self, sheet: str, pos: int) -> tuple[int, int, tuple[int, int]]:
        """(rows, columns) of the cells present, the DIMENSIONS declared; flags and hidden rows kept."""
        st = self.stream
        flags: list[CellFlag] = []
        hidden: list[int] = []
        max_row = max_col = -1
        declared = (0, 0)
        depth = 0
        try:
            while pos + 4 <= len(st):
                rid, size = struct.unpack_from("<HH", st, pos)
                body = st[pos + 4:pos + 4 + size]
                pos += 4 + size
                if rid == 0x0809 and pos - 4 - size > self.sheets[sheet]:   # BOF of an embedded substream
                    depth += 1
                    continue
                if rid == 0x000A:
                    if depth == 0:
                        break
                    depth -= 1
                    continue
                if depth:
                    continue
                if rid in (0x0203, 0x027E, 0x0006, 0x0204, 0x00FD, 0x0205, 0x00D6) and len(body) >= 6:
                    row, col, xf = struct.unpack_from("<HHH", body, 0)
                    max_row, max_col = max(max_row, row), max(max_col, col)
                    if (rid in (0x0203, 0x027E, 0x0006) and xf in self.pct and len(flags) <= MAX_FLAGS
                            and not (rid == 0x0006 and body[12:14] == b"\xff\xff")):
                        flags.append(CellFlag(row + 1, col, "percent"))
                elif rid == 0x00BD and len(body) >= 6:                     # MULRK
                    row, first = struct.unpack_from("<HH", body, 0)
                    n = (len(body) - 6) // 6
                    max_row, max_col = max(max_row, row), max(max_col, first + n - 1)
                    for i in range(n):
                        xf = struct.unpack_from("<H", body, 4 + 6 * i)[0]
                        if xf in self.pct and len(flags) <= MAX_FLAGS:
                            flags.append(CellFlag(row + 1, first + i, "percent"))
                elif rid == 0x0208 and len(body) >= 16:                    # ROW
                    if struct.unpack_from("<H", body, 12)[0] & 0x20:
                        hidden.append(struct.unpack_from("<H", body, 0)[0] + 1)
                elif rid == 0x0200:                                        # DIMENSIONS
                    if len(body) >= 14:
                        rf, rl, cf, cl = struct.unpack_from("<IIHH", body, 0)
                    elif len(body) >= 10:
                        rf, rl, cf, cl = struct.unpack_from("<HHHH", body, 0)
                    else:
                        continue
                    declared = (abs(rl - rf) + 1, abs(cl - cf) + 1)
        except struct.error:
            pass
        self.flags[sheet] = flags
        if hidden:
            self.hidden[sheet] = hidden
        return max_row + 1, max_col + 1, declared

    def scan(self, sheet: str | None, cols: set[int], pct_cols: set[int]) -> list[CellFlag]:
        if not self.pct or not pct_cols:
            return []
        return [f for f in self.flags.get(sheet or "", []) if f.col in pct_cols][:MAX_FLAGS + 1]


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
