"""A small valid securities month (3 managers) as editable data, written as .xlsx (xlsxwriter) or .csv.

The month is a dict of `InputFile`s by stem; each holds one or more `Sheet`s (a header row, data rows,
optional rows above the header and below the data). A test edits the data (`Sheet.set`, `add`, ...)
and then writes the folder with `Month.write(root)`; Excel row numbers of data rows follow from the
layout (`Sheet.excel_row`).
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

MONTH = "2013-01"


@dataclass
class Sheet:
    name: str
    header: list[str]
    rows: list[list]
    above: list[list] = field(default_factory=list)     # title / blank rows above the header
    below: list[list] = field(default_factory=list)     # a totals row (合计) and the like

    def grid(self) -> list[list]:
        return [*self.above, self.header, *self.rows, *self.below]

    def col(self, header: str) -> int:
        return self.header.index(header)

    def excel_row(self, i: int) -> int:
        """Excel row number of data row i (0-based; negative counts from the end)."""
        if i < 0:
            i += len(self.rows)
        return len(self.above) + 2 + i

    def row_index(self, excel_row: int) -> int:
        return excel_row - len(self.above) - 2

    def set(self, excel_row: int, header: str, value) -> None:
        self.rows[self.row_index(excel_row)][self.col(header)] = value

    def get(self, excel_row: int, header: str):
        return self.rows[self.row_index(excel_row)][self.col(header)]

    def add(self, row: list) -> int:
        """Append a data row; return its Excel row number."""
        assert len(row) == len(self.header), (row, self.header)
        self.rows.append(list(row))
        return self.excel_row(-1)

    def drop_column(self, header: str) -> None:
        j = self.col(header)
        del self.header[j]
        for r in self.rows:
            del r[j]

    def rename(self, mapping: dict[str, str]) -> None:
        self.header = [mapping.get(h, h) for h in self.header]


@dataclass
class InputFile:
    stem: str
    sheets: list[Sheet]
    fmt: str = "xlsx"              # xlsx | csv
    encoding: str = "utf-8"        # csv only: utf-8, utf-8-sig (BOM), gbk

    @property
    def name(self) -> str:
        return f"{self.stem}.{self.fmt}"

    @property
    def sheet(self) -> Sheet:
        return self.sheets[0]

    def to_bytes(self) -> bytes:
        if self.fmt == "csv":
            return csv_bytes(self.sheet.grid(), self.encoding)
        return xlsx_bytes([(s.name, s.grid()) for s in self.sheets])


class Month:
    """One month folder of inputs; `files` by stem."""

    def __init__(self, files: dict[str, InputFile]):
        self.files = files

    def __getitem__(self, stem: str) -> InputFile:
        return self.files[stem]

    def sheet(self, stem: str) -> Sheet:
        return self.files[stem].sheet

    def write(self, root: Path, month: str = MONTH) -> Path:
        d = root / month
        d.mkdir(parents=True, exist_ok=True)
        for f in self.files.values():
            (d / f.name).write_bytes(f.to_bytes())
        return d


ROSTER_HEADER = ["工号", "姓名", "营业部", "类别", "入职日期", "片区经理工号", "证券从业资格", "专责清收"]
SCORES_HEADER = ["工号", "积分"]
CLIENTS_HEADER = ["工号", "客户号", "客户来源", "新增客户", "期初资产", "期末资产", "日均资产", "净收入"]
EVENTS_HEADER = ["工号", "事件", "日期", "说明", "审批号"]
ADJUSTMENTS_HEADER = ["工号", "项目", "金额", "说明", "审批号"]
OVERRIDES_HEADER = ["工号", "项目", "值", "原因", "审批号"]

ENGLISH = {
    "工号": "manager_id", "姓名": "name", "营业部": "branch", "类别": "track", "入职日期": "hire_date",
    "片区经理工号": "supervisor_id", "证券从业资格": "certified", "专责清收": "dedicated_collection",
    "积分": "score", "客户号": "client_id", "客户来源": "origin", "新增客户": "is_new",
    "期初资产": "opening_assets", "期末资产": "closing_assets", "日均资产": "daily_avg_assets",
    "净收入": "net_income", "事件": "event", "日期": "date", "说明": "note", "审批号": "approval_ref",
    "值": "value", "原因": "reason",
}

SHEETS = {"roster": "花名册", "scores": "积分", "clients": "客户资产", "events": "事件",
          "adjustments": "调整", "overrides": "特殊处理"}

_BASE = {
    # Excel rows 2, 3, 4
    "roster": (ROSTER_HEADER, [
        ["A1", "张三", "杭州营业部", "销售类", dt.date(2011, 3, 1), None, "是", "否"],
        ["A2", "李四", "杭州营业部", "销售类", dt.date(2012, 5, 10), "A1", "是", "否"],
        ["B1", "王五", "宁波营业部", "理财类", dt.date(2010, 7, 15), None, "否", "否"],
    ]),
    # Excel rows 2, 3, 4
    "scores": (SCORES_HEADER, [["A1", 3000], ["A2", 2500.5], ["B1", 4000]]),
    # Excel rows 2, 3, 4, 5
    "clients": (CLIENTS_HEADER, [
        ["A1", "C1", "自行开发", "否", 2000000, 2100000, 2050000, 10000],
        ["A1", "C2", "内部转入", "否", 300000, 300000, 300000, 1500],
        ["A2", "C1", "自行开发", "是", 0, 500000, 250000, 3000.5],
        ["B1", "C9", "自行开发", "否", 5000000, 5000000, 5000000, 8000],
    ]),
}


def valid_month(fmt: str = "xlsx") -> Month:
    """roster, scores, clients of 2013-01 for A1, A2 (sales) and B1 (advisor); no optional file."""
    files = {}
    for stem, (header, rows) in _BASE.items():
        files[stem] = InputFile(stem, [Sheet(SHEETS[stem], list(header), copy.deepcopy(rows))], fmt)
    return Month(files)


def optional_file(stem: str, header: list[str], rows: list[list], fmt: str = "xlsx") -> InputFile:
    return InputFile(stem, [Sheet(SHEETS[stem], list(header), [list(r) for r in rows])], fmt)


# ------------------------------------------------------------------------------------------- writers

def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()[:10]
    return str(v)


def csv_bytes(grid: list[list], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for row in grid:
        w.writerow([_text(v) for v in row])
    return buf.getvalue().encode(encoding)


def xlsx_bytes(sheets: list[tuple[str, list[list]]]) -> bytes:
    """Strings as text cells, numbers as numbers, dates as real Excel dates (as a clerk's export)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for name, grid in sheets:
        ws = wb.add_worksheet(name)
        for i, row in enumerate(grid):
            for j, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, (dt.date, dt.datetime)):
                    ws.write_datetime(i, j, dt.datetime(v.year, v.month, v.day), date_fmt)
                elif isinstance(v, str):
                    rc = ws.write_string(i, j, v)
                    assert rc == 0, f"xlsxwriter refused the cell ({rc}); Excel holds ≤ 32,767 characters"
                else:
                    ws.write_number(i, j, v)
    wb.close()
    return buf.getvalue()


def zip_bomb(path: Path, inflated: int = 300 * 1024**2) -> None:
    """A zip named like a workbook whose sheet inflates to `inflated` bytes of zeros (≈ 300 KB on disk);
    written in 1 MiB chunks so that neither memory nor disk ever hold the inflated size."""
    chunk = b"\0" * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns='
                    '"http://schemas.openxmlformats.org/package/2006/content-types"/>')
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            for _ in range(inflated // len(chunk)):
                f.write(chunk)


def replace_in_xlsx(path: Path, placeholder: str, text: str) -> None:
    """Put `text` where a workbook holds the string `placeholder` (in its shared strings), beyond what
    xlsxwriter (and Excel, 32,767 characters a cell) would write: a generated or tampered workbook."""
    with zipfile.ZipFile(path) as zf:
        parts = [(i, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            if info.filename == "xl/sharedStrings.xml":
                assert placeholder.encode() in data
                data = data.replace(placeholder.encode(), text.encode("utf-8"))
            zf.writestr(info.filename, data)
