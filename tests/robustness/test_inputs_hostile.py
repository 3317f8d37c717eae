"""Hostile and ambiguous input files (issue 12, input side), each built here and run through the
command line (`cm-payroll month`) under an address-space limit (RLIMIT_AS, about 1.5 GiB above what
the small month needs): wrong values are input errors or listed warnings, never a quiet choice; a
file that would crash the reader or exhaust memory is refused with a message naming file, sheet and
cell; nothing is written (the output root of a refused run does not exist).

The month is the small valid 2013-01 of tests/bad_input/month.py (roster, scores, clients of A1,
A2, B1); each case replaces or edits one file. Expected values are what the file holds, computed by
hand in the comments. A few cases need .xls/.ods written by LibreOffice (the `lo_files` fixture,
one soffice call per format); the .ods of the others are written here as XML.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import resource
import shutil
import struct
import zipfile
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import polars as pl
import pytest
import xlsxwriter

from tests.bad_input.month import CLIENTS_HEADER, MONTH, ROSTER_HEADER, valid_month
from tests.robustness.util import assert_clean_failure, cli, report

MEM_LIMIT = int(2.5 * 1024**3)     # a normal run of this month fits in 1 GiB of address space


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEM_LIMIT, MEM_LIMIT))


def run(inp: Path, out: Path, *extra: str, env: dict[str, str] | None = None):
    # timeout: a hang guard only (no timing assertion)
    return cli("month", MONTH, "-i", str(inp), "-o", str(out), *extra, env=env, preexec_fn=_limited, timeout=150)


def month_with(tmp: Path, files: dict[str, bytes], drop: tuple[str, ...] = ()) -> tuple[Path, Path]:
    """The valid month with files replaced (name → bytes; e.g. clients.ods replaces clients.xlsx)."""
    inp = tmp / "in"
    d = valid_month().write(inp)
    for name, data in files.items():
        stem = name.rsplit(".", 1)[0]
        for p in d.glob(f"{stem}.*"):
            p.unlink()
        (d / name).write_bytes(data)
    for name in drop:
        (d / name).unlink()
    return inp, tmp / "out"


def refused(proc, out: Path, *words: str, code: int = 1) -> None:
    assert_clean_failure(proc, code, *words)
    assert "panicked" not in proc.stderr and "WARNING" not in proc.stderr, report(proc)
    # nothing written: no month folder, no ledger (only the lock file the run took)
    left = sorted(q.name for q in out.rglob("*")) if out.exists() else []
    assert left in ([], [".lock"]), left


# --------------------------------------------------------------------------------------------- builders

def clients_rows() -> list[list]:
    m = valid_month()
    return [list(r) for r in m.sheet("clients").rows]


def roster_rows() -> list[list]:
    return [list(r) for r in valid_month().sheet("roster").rows]


def book(grid: list[list], sheet: str, *, date_1904: bool = False, hidden_rows=(), hidden_cols=(),
         extra: dict[tuple[int, int], object] | None = None) -> bytes:
    """One sheet written by xlsxwriter: str as text, numbers as numbers, dates as Excel dates;
    `hidden_rows`: 0-based rows; `extra`: (row, col) → value written anywhere (a stray cell)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "date_1904": date_1904})
    ws = wb.add_worksheet(sheet)
    fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, dt.date):
                ws.write_datetime(i, j, dt.datetime(v.year, v.month, v.day), fmt)
            elif isinstance(v, str):
                ws.write_string(i, j, v)
            else:
                ws.write_number(i, j, v)
    for i in hidden_rows:
        ws.set_row(i, None, None, {"hidden": True})
    for j in hidden_cols:
        ws.set_column(j, j, None, None, {"hidden": True})
    for (i, j), v in (extra or {}).items():
        ws.write(i, j, v)
    wb.close()
    return buf.getvalue()


def csv_text(grid: list[list]) -> bytes:
    def cell(v):
        if v is None:
            return ""
        return v.isoformat() if isinstance(v, dt.date) else str(v)
    return "".join(",".join(cell(v) for v in row) + "\r\n" for row in grid).encode("utf-8")


_ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')


def _ods_cell(v) -> str:
    if v is None:
        return "<table:table-cell/>"
    if isinstance(v, tuple):                 # (value-type, value): ("percentage", "0.25")
        kind, val = v
        return (f'<table:table-cell office:value-type="{kind}" office:value="{val}">'
                f"<text:p>{val}</text:p></table:table-cell>")
    if isinstance(v, dt.date):
        return (f'<table:table-cell office:value-type="date" office:date-value="{v.isoformat()}">'
                f"<text:p>{v.isoformat()}</text:p></table:table-cell>")
    if isinstance(v, (int, float)):
        return (f'<table:table-cell office:value-type="float" office:value="{v}">'
                f"<text:p>{v}</text:p></table:table-cell>")
    return f'<table:table-cell office:value-type="string"><text:p>{escape(str(v))}</text:p></table:table-cell>'


def ods(grid: list[list], sheet: str, *, row_attrs: dict[int, str] | None = None, tail: str = "",
        null_date: str | None = None, stored: bool = False) -> bytes:
    """An .ods as LibreOffice lays it out (mimetype first, manifest, content.xml); `row_attrs`:
    Excel row → attributes of its table:table-row; `tail`: XML after the rows."""
    rows = "".join(f"<table:table-row{(row_attrs or {}).get(i + 1, '')}>" + "".join(map(_ods_cell, r))
                   + "</table:table-row>" for i, r in enumerate(grid))
    calc = (f'<table:calculation-settings><table:null-date table:date-value="{null_date}"/>'
            "</table:calculation-settings>") if null_date else ""
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS} office:version="1.2">'
               f'<office:body><office:spreadsheet>{calc}<table:table table:name="{sheet}">{rows}{tail}'
               "</table:table></office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def restored(data: bytes, part: str) -> bytes:
    """The package with `part` stored (not deflated), as some writers do."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in src.infolist():
            z.writestr(i.filename, src.read(i), zipfile.ZIP_STORED if i.filename == part else zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def flip_in_stored(data: bytes, old: bytes, new: bytes) -> bytes:
    """Replace bytes inside a stored part without updating its CRC-32 (a flipped byte on disk)."""
    assert len(old) == len(new) and data.count(old) == 1, old
    return data.replace(old, new)


CLIENTS_GRID = [CLIENTS_HEADER, *clients_rows()]
ROSTER_GRID = [ROSTER_HEADER, *roster_rows()]


def exceptions_text(out: Path) -> str:
    wb = openpyxl.load_workbook(out / MONTH / f"exceptions_{MONTH}.xlsx", read_only=True)
    return "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
                     if v is not None)


# --------------------------------------------------------------------------------------------- LibreOffice

@pytest.fixture(scope="module")
def lo_files(libreoffice, tmp_path_factory) -> dict[tuple[str, str], Path]:
    """(case, fmt) → the case's workbook saved by LibreOffice as .xls and .ods (one soffice call
    per format for all cases)."""
    src = tmp_path_factory.mktemp("lo-src")
    dupes = [CLIENTS_HEADER + ["净收入"]] + [r + [r[-1] * 10] for r in clients_rows()]
    roster_1904 = [list(r) for r in ROSTER_GRID]
    roster_1904[3][4] = (dt.date(2013, 2, 10) - dt.date(1904, 1, 1)).days     # B1, row 4: a 1904 serial
    formula = [list(r) for r in CLIENTS_GRID]
    cases = {
        "dupes": book(dupes, "客户资产", hidden_cols=[8]),
        "epoch": book(roster_1904, "花名册", date_1904=True),
        "hidden": book(CLIENTS_GRID, "客户资产", hidden_rows=[1, 3, 4]),
        "formula": book(formula, "客户资产", extra={(5, 9): "=1+1"}),
    }
    for name, data in cases.items():
        (src / f"{name}.xlsx").write_bytes(data)
    out = {}
    for fmt in ("xls", "ods"):
        conv = libreoffice.convert(sorted(src.glob("*.xlsx")), fmt, tmp_path_factory.mktemp(f"lo-{fmt}"))
        for name in cases:
            out[(name, fmt)] = conv[f"{name}.xlsx"]
    return out


# --------------------------------------------------------------------------------------------- 1. two columns, one field

@pytest.mark.parametrize("fmt", ["xlsx", "csv", "parquet"])
def test_two_columns_for_one_field_is_an_error_naming_both(tmp_path: Path, fmt: str) -> None:
    # a second 净收入 in column I (hidden in the .xlsx) holding ×10 values: 10000 → 100000
    header = CLIENTS_HEADER + ["净收入"]
    rows = [r + [r[-1] * 10] for r in clients_rows()]
    if fmt == "xlsx":
        data = book([header, *rows], "客户资产", hidden_cols=[8])
    elif fmt == "csv":
        data = csv_text([header, *rows])
    else:
        header[-1] = "net_income"
        buf = io.BytesIO()
        pl.DataFrame([[str(v) for v in col] for col in zip(*rows)], schema=header, orient="col").write_parquet(buf)
        data = buf.getvalue()
    inp, out = month_with(tmp_path, {f"clients.{fmt}": data})
    proc = run(inp, out)
    if fmt == "parquet":
        refused(proc, out, f"clients.{fmt}", "two columns for one field", "'净收入' (column 8)",
                "'net_income' (column 9)")
    else:
        refused(proc, out, f"clients.{fmt}", "two columns for one field", "'净收入' (column H)",
                "'净收入' (column I)")


def test_chinese_and_english_header_of_one_field_are_two_columns(tmp_path: Path) -> None:
    grid = [ROSTER_HEADER + ["MANAGER_ID "]] + [r + [r[0]] for r in roster_rows()]
    inp, out = month_with(tmp_path, {"roster.xlsx": book(grid, "花名册")})
    refused(run(inp, out), out, "roster.xlsx", "sheet 花名册", "row 1", "'工号' (column A)",
            "'MANAGER_ID' (column I)")


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_two_columns_for_one_field_saved_by_libreoffice(lo_files, tmp_path: Path, fmt: str) -> None:
    inp, out = month_with(tmp_path, {f"clients.{fmt}": lo_files[("dupes", fmt)].read_bytes()})
    refused(run(inp, out), out, f"clients.{fmt}", "'净收入' (column H)", "'净收入' (column I)")


# --------------------------------------------------------------------------------------------- 2. 1904 date system

def test_serial_dates_of_a_1904_workbook(tmp_path: Path) -> None:
    # B1's hire date typed as a number in a 1904 workbook: 39,853 days after 1904-01-01 is
    # 2013-02-10, after the month (on the 1900 epoch it would read 2009-02-09 and pass)
    grid = [list(r) for r in ROSTER_GRID]
    grid[3][4] = (dt.date(2013, 2, 10) - dt.date(1904, 1, 1)).days
    assert grid[3][4] == 39_853
    inp, out = month_with(tmp_path, {"roster.xlsx": book(grid, "花名册", date_1904=True)})
    refused(run(inp, out), out, "roster.xlsx", "row 4", "入职日期", "hire date 2013-02-10 is after the end of 2013-01")


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_serial_dates_of_a_1904_workbook_saved_by_libreoffice(lo_files, tmp_path: Path, fmt: str) -> None:
    inp, out = month_with(tmp_path, {f"roster.{fmt}": lo_files[("epoch", fmt)].read_bytes()})
    refused(run(inp, out), out, f"roster.{fmt}", "row 4", "hire date 2013-02-10 is after the end of 2013-01")


def test_serial_dates_of_an_ods_with_its_null_date(tmp_path: Path) -> None:
    grid = [list(r) for r in ROSTER_GRID]
    grid[3][4] = 39_853                               # 1904-01-01 + 39,853 days = 2013-02-10
    inp, out = month_with(tmp_path, {"roster.ods": ods(grid, "花名册", null_date="1904-01-01")})
    refused(run(inp, out), out, "roster.ods", "row 4", "hire date 2013-02-10 is after the end of 2013-01")


# --------------------------------------------------------------------------------------------- 3. compatibility digits

def test_superscript_circled_and_subscript_digits_are_not_digits(tmp_path: Path) -> None:
    clients = [list(r) for r in CLIENTS_GRID]
    clients[2][7] = "¹⁵⁰⁰"            # row 3, 净收入: NFKC would read 1500
    roster = [list(r) for r in ROSTER_GRID]
    roster[1][4] = "2011-0③-01"       # row 2, 入职日期: NFKC would read 2011-03-01
    roster[2][5] = "A₁"               # row 3, 片区经理工号: NFKC would read A1
    inp, out = month_with(tmp_path, {"clients.xlsx": book(clients, "客户资产"), "roster.xlsx": book(roster, "花名册")})
    proc = run(inp, out)
    refused(proc, out, "clients.xlsx, sheet 客户资产, row 3, column 净收入: not an amount",
            "roster.xlsx, sheet 花名册, row 2, column 入职日期: not a date",
            "roster.xlsx, sheet 花名册, row 3, column 片区经理工号: not a valid id", "superscript")


# --------------------------------------------------------------------------------------------- 4. dates with text after them

def test_a_date_with_text_after_it_is_not_a_date(tmp_path: Path) -> None:
    roster = [list(r) for r in ROSTER_GRID]
    roster[1][4] = "2011-03-01 00:00:00"        # a datetime as exports write it: accepted
    roster[2][4] = "2012-05-10T10:30"           # accepted
    roster[3][4] = "2010-07-15 待定"             # row 4: not a date
    inp, out = month_with(tmp_path, {"roster.xlsx": book(roster, "花名册")})
    proc = run(inp, out)
    refused(proc, out, "1 input error", "row 4, column 入职日期: not a date", "2010-07-15 待定")


# --------------------------------------------------------------------------------------------- 5. .ods: percentages, CRC

def test_ods_percentage_in_an_amount_column(tmp_path: Path) -> None:
    clients = [list(r) for r in CLIENTS_GRID]
    clients[2][7] = ("percentage", "0.25")      # row 3, 净收入 shown as 25%
    inp, out = month_with(tmp_path, {"clients.ods": ods(clients, "客户资产")})
    refused(run(inp, out), out, "clients.ods", "row 3", "净收入", "a percentage in an amount column")


def test_ods_with_a_flipped_byte_is_damaged(tmp_path: Path) -> None:
    data = ods(CLIENTS_GRID, "客户资产", stored=True)
    bad = flip_in_stored(data, b'office:value="1500"', b'office:value="9500"')    # C2's 净收入
    inp, out = month_with(tmp_path, {"clients.ods": bad})
    refused(run(inp, out), out, "clients.ods", "damaged", "content.xml")


def test_xlsx_renamed_ods_with_a_flipped_byte_is_damaged(tmp_path: Path) -> None:
    data = restored(book(CLIENTS_GRID, "客户资产"), "xl/worksheets/sheet1.xml")
    bad = flip_in_stored(data, b"<v>1500</v>", b"<v>9500</v>")
    inp, out = month_with(tmp_path, {"clients.ods": bad})
    refused(run(inp, out), out, "clients.ods", "damaged", "sheet1.xml")


# --------------------------------------------------------------------------------------------- 6. hidden rows

HIDDEN_MSG = "第 2、4–5 行在 Excel 中为隐藏行:照常读入计算(Excel 的合计也包含隐藏行),请确认"


def test_hidden_rows_are_read_and_listed_as_a_warning(tmp_path: Path) -> None:
    inp, out = month_with(tmp_path, {"clients.xlsx": book(CLIENTS_GRID, "客户资产", hidden_rows=[1, 3, 4])})
    proc = run(inp, out)
    assert proc.returncode == 0, report(proc)
    assert f"clients.xlsx(工作表 客户资产){HIDDEN_MSG}" in exceptions_text(out)


def test_hidden_rows_of_an_ods(tmp_path: Path) -> None:
    attrs = {2: ' table:visibility="collapse"', 4: ' table:visibility="filter" table:number-rows-repeated="1"',
             5: ' table:visibility="collapse"'}
    inp, out = month_with(tmp_path, {"clients.ods": ods(CLIENTS_GRID, "客户资产", row_attrs=attrs)})
    proc = run(inp, out)
    assert proc.returncode == 0, report(proc)
    assert f"clients.ods(工作表 客户资产){HIDDEN_MSG}" in exceptions_text(out)


def test_hidden_rows_of_an_xls_saved_by_libreoffice(lo_files, tmp_path: Path) -> None:
    inp, out = month_with(tmp_path, {"clients.xls": lo_files[("hidden", "xls")].read_bytes()})
    proc = run(inp, out)
    assert proc.returncode == 0, report(proc)
    assert f"clients.xls(工作表 客户资产){HIDDEN_MSG}" in exceptions_text(out)


# --------------------------------------------------------------------------------------------- 7. used range

def test_a_stray_cell_at_xfd1048576_is_refused_before_it_is_allocated(tmp_path: Path) -> None:
    data = book(CLIENTS_GRID, "客户资产", extra={(1048575, 16383): "x"})
    assert len(data) < 10_000
    inp, out = month_with(tmp_path, {"clients.xlsx": data})
    refused(run(inp, out), out, "clients.xlsx", "sheet 客户资产", "A1:XFD1048576", "17,179,869,184 cells",
            "the limit is 50,000,000", "delete the stray cell XFD1048576")


def test_a_cell_record_far_out_in_an_xls_is_refused(lo_files, tmp_path: Path) -> None:
    # one NUMBER/RK/LABELSST record of the sheet moved to row 65536, column 65535 (BIFF stores both
    # as 16 bits; calamine would allocate 65,536 × 65,535 cells)
    import olefile
    path = tmp_path / "far.xls"
    shutil.copy(lo_files[("hidden", "xls")], path)
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        st = bytearray(ole.openstream("Workbook").read())
        pos, patched = 0, False
        while pos + 4 <= len(st):
            rid, size = struct.unpack_from("<HH", st, pos)
            if rid in (0x0203, 0x027E, 0x00FD) and not patched and pos > 0x400:
                struct.pack_into("<HH", st, pos + 4, 0xFFFF, 0xFFFE)
                patched = True
            pos += 4 + size
        assert patched
        ole.write_stream("Workbook", bytes(st))
    inp, out = month_with(tmp_path, {"clients.xls": path.read_bytes()})
    refused(run(inp, out), out, "clients.xls", "sheet 客户资产", "A1:", "4,294,901,760 cells")


def test_ods_rows_repeated_beyond_a_sheet_are_refused(tmp_path: Path) -> None:
    # a 1 KB .ods whose last client row is repeated 2,000,000 times
    data = ods(CLIENTS_GRID, "客户资产", row_attrs={5: ' table:number-rows-repeated="2000000"'})
    assert len(data) < 2_000
    inp, out = month_with(tmp_path, {"clients.ods": data})
    refused(run(inp, out), out, "clients.ods", "sheet 客户资产", "2,000,004", "beyond the 1,048,576 rows")


# --------------------------------------------------------------------------------------------- 8. a Rust panic

def _truncate_ptgexp(xls: bytes, tmp: Path) -> bytes:
    """The first FORMULA record of the workbook gets a PtgExp token (0x01) with a 2-byte operand
    instead of 4 (cce = 3), as in calamine's tests/ptgexp-truncated-operand.xls."""
    import olefile
    p = tmp / "ptg.xls"
    p.write_bytes(xls)
    with olefile.OleFileIO(str(p), write_mode=True) as ole:
        st = bytearray(ole.openstream("Workbook").read())
        pos = 0
        while pos + 4 <= len(st):
            rid, size = struct.unpack_from("<HH", st, pos)
            if rid == 0x0006 and size >= 23:
                struct.pack_into("<HBBB", st, pos + 4 + 20, 3, 0x01, 0, 0)
                break
            pos += 4 + size
        else:
            raise AssertionError("no FORMULA record")
        ole.write_stream("Workbook", bytes(st))
    return p.read_bytes()


def test_a_reader_panic_is_an_input_error(lo_files, tmp_path: Path) -> None:
    data = _truncate_ptgexp(lo_files[("formula", "xls")].read_bytes(), tmp_path)
    inp, out = month_with(tmp_path, {"clients.xls": data})
    proc = run(inp, out, env={"RUST_BACKTRACE": "1"})
    refused(proc, out, "clients.xls", "cannot read this file")
    assert "Traceback" not in proc.stderr and "backtrace" not in proc.stderr, report(proc)


# --------------------------------------------------------------------------------------------- 9. memory

def _deflate_spaces(n_blocks: int, block: int = 1 << 24) -> bytes:
    """A raw deflate stream of n_blocks × block spaces, made cheaply: after a full flush the
    compressor's state is reset, so every block compresses to the same bytes."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    spaces = b" " * block
    one = c.compress(spaces) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(spaces) + c.flush(zlib.Z_FULL_FLUSH)
    assert one == again
    return one * n_blocks + c.flush(zlib.Z_FINISH)


def _with_part(data: bytes, name: str, deflated: bytes, file_size: int, crc: int = 0) -> bytes:
    """The package with `name` replaced by a raw deflate stream and the sizes/CRC given (declared
    in the local header and the central directory as given, true or not)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out, central = io.BytesIO(), io.BytesIO()
    entries = []
    for info in src.infolist():
        fname = info.filename.encode()
        if info.filename == name:
            body, method, size, c = deflated, 8, file_size, crc
        else:
            raw = src.read(info)
            body = zlib.compressobj(6, zlib.DEFLATED, -15).compress(raw)
            comp = zlib.compressobj(6, zlib.DEFLATED, -15)
            body = comp.compress(raw) + comp.flush()
            method, size, c = 8, len(raw), zlib.crc32(raw)
        off = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, c, len(body), size, len(fname), 0))
        out.write(fname)
        out.write(body)
        entries.append((fname, method, c, len(body), size, off))
    for fname, method, c, csize, size, off in entries:
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, c, csize, size,
                                  len(fname), 0, 0, 0, 0, 0, off))
        central.write(fname)
    cd = central.getvalue()
    return out.getvalue() + cd + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(cd),
                                             out.tell(), 0)


def test_a_workbook_inflating_beyond_the_limit_is_refused(tmp_path: Path) -> None:
    # 1.9 GiB of spaces in the sheet, declared honestly; 10 MB of random bytes (a thumbnail) keep the
    # compression ratio below 200 (the ratio check alone lets it through)
    n = 122                                                  # 122 × 16 MiB = 1.906 GiB
    base = book(CLIENTS_GRID, "客户资产")
    bomb = _with_part(base, "xl/worksheets/sheet1.xml", _deflate_spaces(n), n << 24)
    buf = io.BytesIO(bomb)
    with zipfile.ZipFile(buf, "a") as z:
        z.writestr("docProps/thumbnail.jpeg", os.urandom(10_500_000), zipfile.ZIP_STORED)
    data = buf.getvalue()
    assert (n << 24) / len(data) < 200
    inp, out = month_with(tmp_path, {"clients.xlsx": data})
    refused(run(inp, out), out, "clients.xlsx", "declares that it inflates to 2,057,", "the limit is 1,879,048,192")


def test_a_zip_bomb_with_patched_sizes_is_refused(tmp_path: Path) -> None:
    # the sheet inflates to 4 GiB (256 × 16 MiB) but both headers declare 300 bytes
    base = book(CLIENTS_GRID, "客户资产")
    data = _with_part(base, "xl/worksheets/sheet1.xml", _deflate_spaces(256), 300, crc=0x12345678)
    assert len(data) < 5_000_000
    inp, out = month_with(tmp_path, {"clients.xlsx": data})
    refused(run(inp, out), out, "clients.xlsx", "damaged", "sheet1.xml")


def test_a_parquet_with_more_rows_than_the_limit_is_refused_from_its_metadata(tmp_path: Path) -> None:
    path = tmp_path / "clients.parquet"
    n = 20_000_000
    pl.LazyFrame().select(pl.int_range(0, n).alias("i")).select(
        pl.lit("A1").alias("工号"), pl.format("C{}", pl.col("i") % 1000).alias("客户号"),
        pl.lit("自行开发").alias("客户来源"), pl.lit("否").alias("新增客户"),
        *(pl.lit(1, pl.Int64).alias(h) for h in CLIENTS_HEADER[4:])).sink_parquet(path, row_group_size=1_000_000)
    assert path.stat().st_size < 1_000_000
    inp, out = month_with(tmp_path, {"clients.parquet": path.read_bytes()})
    refused(run(inp, out), out, "clients.parquet", "20,000,000 rows", "the limit is 10,000,000")


def test_errors_of_one_file_are_capped_and_counted(tmp_path: Path) -> None:
    # 5,000 client rows whose 净收入 is not an amount: the first 1,000 listed, then a count
    rows = [["A1", f"C{i}", "自行开发", "否", 1, 1, 1, "abc"] for i in range(5000)]
    inp, out = month_with(tmp_path, {"clients.csv": csv_text([CLIENTS_HEADER, *rows])})
    proc = run(inp, out, "--json")
    refused(proc, out, "clients.csv", "… and 4,000 more of the same kind")
    errors = json.loads(proc.stdout)["errors"]
    listed = [e for e in errors if e["column"] == "净收入" and e["message"].startswith("not an amount")]
    assert len(listed) == 1000 and len(errors) == 1001, len(errors)
    assert len(proc.stdout) < 400_000


# --------------------------------------------------------------------------------------------- 10. wide headers

def test_twenty_thousand_extra_header_columns(tmp_path: Path) -> None:
    grid = [ROSTER_HEADER + [f"备注{i}" for i in range(20_000)]] + roster_rows()
    inp, out = month_with(tmp_path, {"roster.csv": csv_text(grid)})
    proc = run(inp, out)                        # today's code: more than 300 s (the timeout)
    assert proc.returncode == 0, report(proc)


# --------------------------------------------------------------------------------------------- 11. 1e999999

def test_a_number_beyond_decimal_range_is_not_an_amount(tmp_path: Path) -> None:
    clients = [list(r) for r in CLIENTS_GRID]
    clients[3][7] = "1e999999"                  # row 4, 净收入
    inp, out = month_with(tmp_path, {"clients.xlsx": book(clients, "客户资产")})
    refused(run(inp, out), out, "clients.xlsx, sheet 客户资产, row 4, column 净收入: not an amount", "1e999999")


# --------------------------------------------------------------------------------------------- 12. reader warnings

def test_reader_warnings_are_listed_not_printed(tmp_path: Path) -> None:
    # 2,000,000 empty rows repeated after the table (as some writers pad a sheet): calamine logs
    # "ods row repeat count capped"; no data is dropped
    tail = '<table:table-row table:number-rows-repeated="2000000"><table:table-cell/></table:table-row>'
    inp, out = month_with(tmp_path, {"clients.ods": ods(CLIENTS_GRID, "客户资产", tail=tail)})
    proc = run(inp, out)
    assert proc.returncode == 0, report(proc)
    assert "capped" not in proc.stderr and "WARNING" not in proc.stderr, report(proc)
    assert "读取器提示「ods row repeat count capped" in exceptions_text(out)


# --------------------------------------------------------------------------------------------- 13. CSV quotes

def test_a_bare_quote_in_a_csv_names_its_row(tmp_path: Path) -> None:
    text = csv_text(CLIENTS_GRID).decode().splitlines()
    text[2] = text[2].replace(",1500", ',15"00')            # line 3: A1,C2,…,15"00
    inp, out = month_with(tmp_path, {"clients.csv": ("\r\n".join(text) + "\r\n").encode()})
    refused(run(inp, out), out, "clients.csv, row 3", "quote", "save the file again")
