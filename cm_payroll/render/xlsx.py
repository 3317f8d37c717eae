"""Deterministic, injection-safe xlsxwriter workbooks.

Byte-for-byte determinism: a fixed creation time in the document properties (xlsxwriter writes fixed
zip entry times). Safety: every text cell is written with write_string, so a value starting with
= + - @ is text, never a formula (formula injection).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import io
from decimal import Decimal

import xlsxwriter

FIXED_TIME = dt.datetime(2000, 1, 1, 0, 0, 0)

# The workbook's default font, so every cell uses it: 等线 (DengXian), the default font of Chinese
# Excel (2016 on) and WPS, with the GB2312 charset; no theme scheme, which would make Excel show the
# theme's Latin font (Calibri) instead of the name. A machine without 等线 (LibreOffice on Linux)
# falls back to its Chinese sans-serif (Noto Sans CJK).
CJK_FONT = "等线"
DEFAULT_FONT = {"font_name": CJK_FONT, "font_size": 11, "font_charset": 134, "font_scheme": "none"}
ROW_HEIGHT = 18.0            # points: one line of 11 pt Chinese with room above and below
LINE_HEIGHT = 14.5           # points per further line of wrapped text

# number formats keep a space's width right of the digits ("_ "), so that a number never touches the
# cell border nor runs into the text of the next column
MONEY_FMT = "#,##0.00_ ;[Red]-#,##0.00_ "
RATE_FMT = "0.00%_ "
SCORE_FMT = "#,##0.00_ "
INT_FMT = "#,##0_ "
TEXT_INDENT = 1              # text cells indented by one level: clear of the left border


@contextlib.contextmanager
def paused_gc():
    """Python's cyclic garbage collector paused while a large workbook is written (also a decorator).
    xlsxwriter keeps every cell as a small object until close(); the collector's full passes then walk
    those millions of live objects again and again (about a fifth of the time of a 30,000-row summary),
    and none of them is garbage. The collector comes back on only if it was on."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def new_workbook(buf: io.BytesIO, title: str = "") -> xlsxwriter.Workbook:
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                   "strings_to_numbers": False, "strings_to_urls": False,
                                   "default_format_properties": dict(DEFAULT_FONT)})
    wb.set_properties({"created": FIXED_TIME, "title": title, "author": "cm-payroll", "company": ""})
    wb.set_calc_mode("auto")
    return wb


def number(value) -> int | float:
    """A Decimal as the number type xlsxwriter writes; display-only (money stays exact in the ledger)."""
    if isinstance(value, Decimal):
        return float(value)  # ok-float: the cell value of an exact decimal, shortest repr
    return value


def looks_like_rich_text(s: str) -> bool:
    """xlsxwriter writes a string that starts with <r> and ends with </r> into the XML unescaped, as a
    rich-text run: text from an input file could then break the workbook."""
    return s.startswith("<r>") and s.endswith("</r>")


def text(ws, row: int, col: int, value, fmt=None) -> None:
    if value is None:
        ws.write_blank(row, col, None, fmt)
        return
    s = str(value)
    if looks_like_rich_text(s):
        # written as a rich string of plain fragments, which xlsxwriter escapes: the cell shows s
        ws.write_rich_string(row, col, s[:1], s[1:2], s[2:], fmt)
    else:
        ws.write_string(row, col, s, fmt)


def text_width(s: str) -> int:
    """Width of a text in column units (a CJK or full-width character is two units wide)."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def lines_needed(s: str | None, width: float) -> int:
    """Lines a wrapped text needs in a column `width` units wide (explicit newlines included)."""
    if not s:
        return 1
    per_line = max(int(width) - 1, 1)
    return sum(max(1, -(-text_width(part) // per_line)) for part in str(s).split("\n"))


def row_height(lines: int) -> float:
    return ROW_HEIGHT + LINE_HEIGHT * (max(lines, 1) - 1)


def col_width(values: list[str], minimum: int = 6, maximum: int = 60) -> float:
    """Excel column width that fits CJK text (a CJK character is two units wide)."""
    best = minimum
    for v in values:
        w = sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(v))
        best = max(best, w + 2)
    return min(best, maximum)
