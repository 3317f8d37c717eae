"""Reading one input file: find it in a month folder, tell its kind from its content, and hand it
to its reader (calamine through fastexcel for workbooks, with the cell scanners beside it; csv;
Parquet); problems come back as issues, never as exceptions."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from itertools import zip_longest
from pathlib import Path

from cm_payroll.errors import InputIssue
from cm_payroll.load.biff8 import XlsCells
from cm_payroll.load.common import EPOCH_1900, EXTENSIONS, RawTable, Refused, input_limits, raise_if
from cm_payroll.load.flat import csv_grid, parquet_table
from cm_payroll.load.grid import grids_to_table
from cm_payroll.load.ods import OdsCells
from cm_payroll.load.sheetscan import XlsxCells
from cm_payroll.schema import FileSpec


PARALLEL_SHEETS_BYTES = 8 * 1024**2      # workbooks above this read their sheets in two threads


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
    except Refused as exc:
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
        return parquet_table(path, data, spec, lim)
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
        raise_if(flags.issues)
        epoch = flags.epoch
        grids, issues = _excel_grids(path, data, sheet_name, None)
    else:
        grids, issues = csv_grid(path, data, lim)
    if issues:
        return None, issues
    sha = hashlib.sha256(data).hexdigest()
    return grids_to_table(path, spec, grids, sha, flags, epoch, lim)


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
    raise_if(cells.failure)
    return grids, issues, cells


def _excel_grids(path: Path, data: bytes, sheet_name: str, gate):
    """calamine (fastexcel) reads the sheets; `gate` (XlsxCells/OdsCells or None) says when a
    part may be read and refuses the file when one may not."""
    import fastexcel

    if gate is not None:
        raise_if(gate.wait(None))
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
            raise_if(gate.wait(name))
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
    raise_if(cells.failure)
    grids, issues = _excel_grids(path, data, sheet_name, cells)
    return grids, issues, cells
