"""The payroll summary and the exceptions report: one table per workbook, written with xlsxwriter."""

from __future__ import annotations

import io
from decimal import Decimal

import polars as pl
from xlsxwriter.utility import xl_rowcol_to_cell

from cm_payroll.money import RATE_SCALE, SCORE_SCALE
from cm_payroll.render.xlsx import (INT_FMT, MONEY_FMT, RATE_FMT, SCORE_FMT, col_width, new_workbook,
                                    number, text)

SIGN_OFF = ("计算", "审核", "复核", "签批")     # S-Art.32: 计算、审核、复核、签批


def _cell_value(kind: str, v):
    if v is None:
        return None
    if kind == "money":
        return Decimal(v) / 100
    if kind == "score":
        return Decimal(v) / SCORE_SCALE
    if kind == "x100":
        return Decimal(v) / 100
    if kind == "rate":
        return Decimal(v) / RATE_SCALE
    return v


def table_workbook(title: str, sheet: str, frame: pl.DataFrame, columns: list[tuple[str, str, str]],
                   totals: bool = True, sign_off: bool = True, notes: list[str] | None = None) -> bytes:
    """A titled table (header row 1 as SPEC 5 says), a totals row with formulas and cached values,
    frozen header, autofilter, A4 landscape, the sign-off block below."""
    buf = io.BytesIO()
    wb = new_workbook(buf, title)
    ws = wb.add_worksheet(sheet)
    f_head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                            "align": "center", "valign": "vcenter"})
    fmts = {
        "money": wb.add_format({"num_format": MONEY_FMT, "border": 1}),
        "rate": wb.add_format({"num_format": RATE_FMT, "border": 1}),
        "score": wb.add_format({"num_format": "#,##0.####", "border": 1}),
        "x100": wb.add_format({"num_format": SCORE_FMT, "border": 1}),
        "int": wb.add_format({"num_format": INT_FMT, "border": 1}),
        "text": wb.add_format({"border": 1}),
    }
    f_total_money = wb.add_format({"num_format": MONEY_FMT, "bold": True, "top": 2, "border": 1})
    f_total_text = wb.add_format({"bold": True, "top": 2, "border": 1})
    for j, (_, header, _) in enumerate(columns):
        ws.write_string(0, j, header, f_head)
    rows = frame.select([k for k, _, _ in columns]).rows()
    for i, row in enumerate(rows, start=1):
        for j, ((_, _, kind), v) in enumerate(zip(columns, row)):
            val = _cell_value(kind, v)
            if val is None:
                ws.write_blank(i, j, None, fmts.get(kind, fmts["text"]))
            elif kind in ("money", "rate", "score", "x100", "int"):
                ws.write_number(i, j, number(val), fmts[kind])
            else:
                text(ws, i, j, val, fmts["text"])
    last = len(rows)
    if totals:
        t = last + 1
        ws.write_string(t, 0, "合计", f_total_text)
        for j in range(1, len(columns)):
            ws.write_blank(t, j, None, f_total_text)
        for j, (key, _, kind) in enumerate(columns):
            if kind != "money":
                continue
            total = sum((v for v in frame.get_column(key).to_list() if v is not None), 0)
            rng = f"{xl_rowcol_to_cell(1, j)}:{xl_rowcol_to_cell(max(last, 1), j)}"
            ws.write_formula(t, j, f"=SUM({rng})", f_total_money, number(Decimal(total) / 100))
        after = t + 2
    else:
        after = last + 2
    for n in notes or []:
        ws.write_string(after, 0, n)
        after += 1
    if sign_off:
        after += 1
        f_sign = wb.add_format({"bold": True})
        for k, label in enumerate(SIGN_OFF):
            ws.write_string(after, k * 3, f"{label}:", f_sign)
            ws.write_string(after, k * 3 + 1, "____________")
        ws.write_string(after + 2, 0, "日期:")
        ws.write_string(after + 2, 1, "____________")
    # layout
    for j, (key, header, kind) in enumerate(columns):
        sample = [header] + [str(x) for x in frame.get_column(key).head(200).to_list() if x is not None]
        width = col_width(sample, minimum=12 if kind == "money" else 6, maximum=50)
        ws.set_column(j, j, width)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(last, 1), len(columns) - 1)
    ws.set_landscape()
    ws.set_paper(9)                      # A4
    ws.repeat_rows(0)
    ws.fit_to_pages(1, 0)
    ws.set_header(f"&C{title}")
    ws.set_footer("&C第 &P 页,共 &N 页")
    wb.close()
    return buf.getvalue()
