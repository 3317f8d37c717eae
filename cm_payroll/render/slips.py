"""Pay slips: one A4 workbook per manager (`slips/<manager_id>.xlsx`). The rulebook builds each
`Slip` (facts, component lines with article and basis, notes); this module only lays it out."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from cm_payroll.render.tables import SIGN_OFF
from cm_payroll.render.text import slip_text
from cm_payroll.render.xlsx import MONEY_FMT, lines_needed, new_workbook, number, row_height, text

SAFE_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_\-]{0,63}$")
RESERVED = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)} | {f"lpt{i}" for i in range(1, 10)}


@dataclass
class SlipLine:
    label: str
    amount: int            # fen
    article: str
    basis: str


@dataclass
class Slip:
    manager_id: str
    title: str                                   # 浙商证券 杭州营业部 2013年12月 薪酬单
    facts: list[tuple[str, str]]                 # (label, display value)
    lines: list[SlipLine]
    total: SlipLine
    ytd: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # 代扣项目 (SPEC 9): the deduction lines and 实发合计, in a month with a deductions file only
    withholding: list[SlipLine] = field(default_factory=list)
    net: SlipLine | None = None


def slip_filename(manager_id: str) -> str:
    """A manager id becomes a file name only when it is a plain id (validated on load too)."""
    if not SAFE_ID.match(manager_id) or manager_id.casefold() in RESERVED:
        raise ValueError(f"unsafe manager id for a file name: {manager_id!r}")
    return f"{manager_id}.xlsx"


SLIP_SHEET = "薪酬单"
# Columns A–D: fact label | value | fact label | value, and for the components 项目 | 金额 | 条款 | 计算依据.
COLUMN_WIDTHS = (22, 30, 24, 44)
TITLE_HEIGHT = 27.0
SIGN_HEIGHT = 26.0
# money on a slip: a space's width kept right of the digits (xlsx.MONEY_FMT), so that an amount
# never runs into the label of the next column (the pairs A|B, C|D: "9,000.00客户资产")
SLIP_MONEY_FMT = MONEY_FMT
# a display value that is an amount of money, e.g. 1,234.56 or -98,000.00: written as a number
MONEY_TEXT = re.compile(r"^-?[0-9]{1,3}(,[0-9]{3})*\.[0-9]{2}$")


INDENT = 2          # column units an indent of 1 takes from a text cell (labels and texts are indented)


def _lines(s, width: float) -> int:
    """Lines a wrapped, indented text needs in a column `width` units wide."""
    return lines_needed(s, width - INDENT)


def money_value(value) -> Decimal | None:
    """The amount a fact or year-to-date value shows when it is nothing but an amount, else None."""
    if isinstance(value, str) and MONEY_TEXT.match(value):
        return Decimal(value.replace(",", ""))
    return None


def slip_formats(wb) -> dict[str, object]:
    """The cell formats of a slip, by name (xlsxwriter Formats)."""
    return {
        "title": wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"}),
        "head": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "valign": "vcenter",
                               "indent": 1}),
        "label": wb.add_format({"bold": True, "border": 1, "text_wrap": True, "valign": "vcenter",
                                "bg_color": "#F2F6FA", "indent": 1}),
        "cell": wb.add_format({"border": 1, "text_wrap": True, "valign": "vcenter", "indent": 1}),
        "money": wb.add_format({"num_format": SLIP_MONEY_FMT, "border": 1, "valign": "vcenter"}),
        "total": wb.add_format({"num_format": SLIP_MONEY_FMT, "border": 1, "bold": True, "top": 2,
                                "valign": "vcenter"}),
        "total_l": wb.add_format({"border": 1, "bold": True, "top": 2, "valign": "vcenter", "indent": 1}),
    }


def _value(ws, f: dict, r: int, c: int, value) -> None:
    amount = money_value(value)
    if amount is not None:
        ws.write_number(r, c, number(amount), f["money"])
    else:
        text(ws, r, c, value, f["cell"])


def _pairs(ws, f: dict, r: int, items: list[tuple[str, str]]) -> int:
    """(label, value) pairs two to a row (A|B, C|D), each row as tall as its longest wrapped text."""
    for i in range(0, len(items), 2):
        lines = 1
        for k, (label, value) in enumerate(items[i:i + 2]):
            text(ws, r, k * 2, label, f["label"])
            _value(ws, f, r, k * 2 + 1, value)
            lines = max(lines, _lines(label, COLUMN_WIDTHS[k * 2]),
                        1 if money_value(value) is not None else _lines(value, COLUMN_WIDTHS[k * 2 + 1]))
        ws.set_row(r, row_height(lines))
        r += 1
    return r


def _line(ws, f: dict, r: int, line: SlipLine, total: bool = False) -> None:
    label, money = ("total_l", "total") if total else ("cell", "money")
    text(ws, r, 0, line.label, f[label])
    ws.write_number(r, 1, number(Decimal(line.amount) / 100), f[money])
    text(ws, r, 2, line.article, f[label])
    text(ws, r, 3, line.basis, f[label])
    ws.set_row(r, row_height(max(lines_needed(line.label, COLUMN_WIDTHS[0]),
                                 lines_needed(line.article, COLUMN_WIDTHS[2]),
                                 lines_needed(line.basis, COLUMN_WIDTHS[3]))))


def _withholding(ws, f: dict, r: int, slip: Slip) -> int:
    """代扣项目 (SPEC 9): the deduction lines under their heading, 实发合计 last; the next free row."""
    for j, h in enumerate(("代扣项目", "金额（元）", "条款", "计算依据")):
        ws.write_string(r, j, h, f["head"])
    ws.set_row(r, row_height(1))
    r += 1
    for line in slip.withholding:
        _line(ws, f, r, line)
        r += 1
    _line(ws, f, r, slip.net, total=True)
    return r + 2


def lay_out(ws, f: dict, slip: Slip) -> None:
    """The cells of a slip, written to `ws` with the formats `f` (slip_formats). `ws` is an
    xlsxwriter worksheet or slip_xlsx's recorder of the same calls (the fast writer). Every row
    that holds text is given the height its wrapped text needs (no reader auto-fits on load);
    amounts, year-to-date figures among them, are numbers in the money format. Texts are shown with
    Chinese punctuation and amounts grouped (text.slip_text)."""
    slip = slip_text(slip)
    ws.merge_range(0, 0, 0, 3, "", f["title"])
    text(ws, 0, 0, slip.title, f["title"])
    ws.set_row(0, TITLE_HEIGHT)
    r = _pairs(ws, f, 2, slip.facts)
    r += 1
    for j, h in enumerate(("项目", "金额（元）", "条款", "计算依据")):
        ws.write_string(r, j, h, f["head"])
    ws.set_row(r, row_height(1))
    r += 1
    for line in slip.lines:
        text(ws, r, 0, line.label, f["cell"])
        ws.write_number(r, 1, number(Decimal(line.amount) / 100), f["money"])
        text(ws, r, 2, line.article, f["cell"])
        text(ws, r, 3, line.basis, f["cell"])
        ws.set_row(r, row_height(max(_lines(line.label, COLUMN_WIDTHS[0]),
                                     _lines(line.article, COLUMN_WIDTHS[2]),
                                     _lines(line.basis, COLUMN_WIDTHS[3]))))
        r += 1
    text(ws, r, 0, slip.total.label, f["total_l"])
    ws.write_number(r, 1, number(Decimal(slip.total.amount) / 100), f["total"])
    text(ws, r, 2, slip.total.article, f["total_l"])
    text(ws, r, 3, slip.total.basis, f["total_l"])
    ws.set_row(r, row_height(_lines(slip.total.basis, COLUMN_WIDTHS[3])))
    r += 2
    if slip.net is not None:
        r = _withholding(ws, f, r, slip)
    if slip.ytd:
        ws.merge_range(r, 0, r, 3, "", f["head"])
        ws.write_string(r, 0, "本年累计", f["head"])
        ws.set_row(r, row_height(1))
        r = _pairs(ws, f, r + 1, slip.ytd)
        r += 1
    for note in slip.notes:
        ws.merge_range(r, 0, r, 3, "", f["cell"])
        text(ws, r, 0, note, f["cell"])
        ws.set_row(r, row_height(_lines(note, sum(COLUMN_WIDTHS))))
        r += 1
    r += 1
    for k, label in enumerate(SIGN_OFF):
        ws.write_string(r + k // 2, (k % 2) * 2, f"{label}：")
        ws.write_string(r + k // 2, (k % 2) * 2 + 1, "______________")
    ws.set_row(r, SIGN_HEIGHT)
    ws.set_row(r + 1, SIGN_HEIGHT)


def slip_workbook_xlsxwriter(slip: Slip) -> bytes:
    """A slip written by xlsxwriter: the reference the fast writer (slip_xlsx) reproduces byte for
    byte, and what it falls back to for a slip it does not handle."""
    buf = io.BytesIO()
    wb = new_workbook(buf, slip.title)
    ws = wb.add_worksheet(SLIP_SHEET)
    lay_out(ws, slip_formats(wb), slip)
    for c, w in enumerate(COLUMN_WIDTHS):
        ws.set_column(c, c, w)
    ws.set_paper(9)
    ws.set_portrait()
    ws.fit_to_pages(1, 1)
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    wb.close()
    return buf.getvalue()
