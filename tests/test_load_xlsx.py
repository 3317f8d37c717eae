"""The .xlsx reader's integrity check and cell survey (issue 5 moved them into one pass that runs in a
thread beside calamine, and large multi-sheet workbooks are read in two threads): the results must be
those of the plain, sequential reading."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from cm_payroll import load
from cm_payroll.load import read as load_read
from cm_payroll.load import sheetscan
from cm_payroll.rulebooks.securities.inputs import CLIENTS

HEADERS = ["工号", "客户号", "客户来源", "新增客户", "期初资产", "期末资产", "日均资产", "净收入", "备注"]


def _workbook(sheets: int = 1, rows: int = 5, percent: bool = True) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    pct = wb.add_format({"num_format": "0%"})
    n = 0
    for s in range(sheets):
        ws = wb.add_worksheet(f"客户资产{s + 1}")
        ws.write_row(0, 0, HEADERS)
        for r in range(1, rows + 1):
            n += 1
            ws.write_row(r, 0, [f"M{n % 3}", f"K{n}", "自行开发", "否", 100 + n, 200, 150])
            ws.write_formula(r, 7, "=1+1", None, 2)          # 净收入: a formula with its cached value
            ws.write_formula(r, 8, "=2+2", None, 4)          # 备注: a column the table does not read
        if s == 0 and percent:
            ws.write_number(2, 6, 0.25, pct)                 # 日均资产 shown as 25%
    wb.close()
    # as Excel saves it: calculated (xlsxwriter asks for a recalculation on opening, i.e. stale values)
    return _rewrite(buf.getvalue(), "xl/workbook.xml", lambda b: b.replace(b' fullCalcOnLoad="1"', b""))


def _rewrite(data: bytes, part: str, edit, stored: bool = False) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == part:
                body = edit(body)
            z.writestr(info.filename, body, compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _drop_cached_values(body: bytes) -> bytes:
    # row 4: 净收入 (H4, read) and 备注 (I4, not read) lose their calculated values
    return re.sub(rb'(<c r="[HI]4"[^>]*>\s*<f>[^<]*</f>)\s*<v>[^<]*</v>', rb"\1", body)


def _read(tmp_path: Path, data: bytes, name: str = "clients.xlsx"):
    p = tmp_path / name
    p.write_bytes(data)
    return load.read_table(p, CLIENTS)


def _rendered(issues) -> list[str]:
    return [i.render() for i in issues]


def test_a_flipped_byte_in_a_stored_sheet_is_found_though_calamine_reads_it(tmp_path: Path) -> None:
    data = _rewrite(_workbook(percent=False), "", lambda b: b, stored=True)
    raw, issues = _read(tmp_path, data)
    assert raw is not None and issues == []
    sheet = next(n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("xl/worksheets/"))
    i = data.find(b"<v>101</v>")
    bad = data[:i + 3] + b"9" + data[i + 4:]                  # 101 → 901, the zip's CRC-32 no longer fits
    raw, issues = _read(tmp_path, bad)
    assert raw is None
    assert any("damaged" in m and sheet in m for m in _rendered(issues)), _rendered(issues)


def test_a_flipped_byte_in_another_part_is_found(tmp_path: Path) -> None:
    data = _rewrite(_workbook(percent=False), "", lambda b: b, stored=True)
    i = data.find(b"<Application>")
    bad = data[:i + 1] + b"B" + data[i + 2:]
    raw, issues = _read(tmp_path, bad)
    assert raw is None and any("docProps/app.xml" in m for m in _rendered(issues)), _rendered(issues)


@pytest.mark.parametrize("survey_cap", [sheetscan.SURVEY_MAX_FLAGS, -1])
def test_flagged_cells_are_the_same_from_the_survey_and_from_a_search_per_sheet(tmp_path: Path, monkeypatch,
                                                                                 survey_cap: int) -> None:
    """-1: the survey keeps nothing, so scan() searches the sheet again (the path of a sheet with more
    than SURVEY_MAX_FLAGS flagged cells)."""
    monkeypatch.setattr(sheetscan, "SURVEY_MAX_FLAGS", survey_cap)
    sheet = "xl/worksheets/sheet1.xml"
    raw, issues = _read(tmp_path, _rewrite(_workbook(), sheet, _drop_cached_values))
    msgs = _rendered(issues)
    assert raw is None
    assert len(msgs) == 2, msgs
    assert any("row 4" in m and "净收入" in m for m in msgs), msgs          # the formula without a value
    assert any("row 3" in m and "日均资产" in m and "25%" in m for m in msgs), msgs
    assert not any("备注" in m for m in msgs), msgs                          # a column not read


def test_sheets_read_in_two_threads_give_the_sequential_table(tmp_path: Path, monkeypatch) -> None:
    data = _workbook(sheets=5, rows=7, percent=False)
    monkeypatch.setattr(load_read, "PARALLEL_SHEETS_BYTES", 10**12)
    one, i1 = _read(tmp_path, data)
    monkeypatch.setattr(load_read, "PARALLEL_SHEETS_BYTES", 0)
    two, i2 = _read(tmp_path, data)
    assert i1 == i2 == []
    assert one.frame.equals(two.frame)
    assert one.frame.get_column("_sheet").unique(maintain_order=True).to_list() == [f"客户资产{s}" for s in range(1, 6)]
    assert one.frame.height == 35
