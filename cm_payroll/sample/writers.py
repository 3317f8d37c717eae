"""File writers shared by the sample generators: deterministic .xlsx (fixed creation time) and CSV."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

import xlsxwriter

CREATED = datetime.datetime(2013, 1, 1)
WIDTHS = {"text": 14, "money": 16, "date": 12, "number": 10, "int": 10}


def write_xlsx(path: Path, sheet: str, headers: list[str], rows: list[list], kinds: list[str]) -> Path:
    """One sheet, header in row 1; kinds: text, money (fen → yuan cell), date, int, number."""
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": CREATED})
    ws = wb.add_worksheet(sheet)
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    money = wb.add_format({"num_format": "#,##0.00"})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    integer = wb.add_format({"num_format": "0"})
    for c, kind in enumerate(kinds):
        ws.set_column(c, c, WIDTHS[kind] if headers[c] not in ("原因", "说明") else 44)
    ws.freeze_panes(1, 0)
    ws.write_row(0, 0, headers, head)
    for r, row in enumerate(rows, start=1):
        for c, (v, kind) in enumerate(zip(row, kinds)):
            if v is None or v == "":
                continue
            if kind == "money":
                ws.write_number(r, c, v / 100, money)      # ok-float: the cell of an exact fen amount
            elif kind == "date":
                ws.write_datetime(r, c, datetime.datetime(v.year, v.month, v.day), date)
            elif kind == "int":
                ws.write_number(r, c, v, integer)
            elif kind == "number":
                ws.write_number(r, c, int(v) if str(v).isdigit() else float(v))   # ok-float: 8.5 is exact
            else:
                ws.write_string(r, c, str(v))
    wb.close()
    return path


def write_csv(path: Path, headers: list[str], rows: list[list], encoding: str) -> Path:
    with open(path, "w", encoding=encoding, newline="\n") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(headers)
        w.writerows(rows)
    return path
