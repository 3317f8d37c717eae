"""The payroll summary and the exceptions report, written with xlsxwriter.

Every table: header in row 1 (SPEC 5), column widths that fit Chinese text, frozen header (and the
工号/姓名 columns), autofilter, numbers with thousands separators and two decimals, negative money in
red, a totals row whose formulas carry their cached values (a reader that does not recalculate sees
the same sums), A4 landscape print with the header row repeated on every page and the sign-off block
(S-Art.32) below. The summary adds a chart sheet (gross pay by level and status) over a small data
sheet; the exceptions report, sorted by type, adds a 汇总 sheet with the count of each type.
All byte-for-byte deterministic (xlsx.py).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal

import polars as pl
from xlsxwriter.utility import quote_sheetname, xl_col_to_name, xl_rowcol_to_cell

from cm_payroll.units import RATE_SCALE, SCORE_SCALE
from cm_payroll.render.xlsx import (CJK_FONT, INT_FMT, LINE_HEIGHT, MONEY_FMT, RATE_FMT, ROW_HEIGHT,
                                    SCORE_FMT, TEXT_INDENT, col_width, lines_needed, new_workbook, number, paused_gc,
                                    row_height, text)
from cm_payroll.render.text import zh_text

SIGN_OFF = ("计算", "审核", "复核", "签批")     # S-Art.32: 计算、审核、复核、签批

NUMERIC = ("money", "rate", "score", "x100", "int")
HEADER_FILL = "#DDEBF7"
NO_LEVEL = "（不分级别）"
BRANCH_HEADER = "营业部"
BRANCH_SHEET = "按营业部汇总"
HEADER_HEIGHT = ROW_HEIGHT + LINE_HEIGHT + 4      # two lines of wrapped header
# A4 landscape, 0.4" margins: the printable width in points, for the print scale of a wide table
A4_LANDSCAPE_WIDTH_PT = (11.69 - 0.8) * 72

# What the 金额影响 of an exception means, by type code. "pay": the amount changes the month's gross
# pay (a forfeiture, a cancelled bonus, a correction, an override); "memo": it is recorded for the
# reader and does not change this month's pay (a deficit carried into next year, a withheld gross, a
# liability for a loan's principal). A type not listed here counts as memo (see 说明).
AMOUNT_MEANING = {
    "fraud": ("pay", "取消的奖金（减少当月应发）"),
    "compliance_forfeited": ("pay", "取消的合规奖励金"),
    "correction": ("pay", "补发（+）/追回（−）"),
    "override_applied": ("pay", "特殊处理后金额 − 规则计算金额"),
    "year_end_deficit": ("memo", "结转亏空，下年度扣回；不影响当月应发"),
    "payment_withheld": ("memo", "暂扣的应发金额（缓发，不是扣减）"),
    "overdue_liability": ("memo", "本金赔偿责任（备查；罚款已计入当月应发）"),
}


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


_SCALES = {"money": 100, "x100": 100, "score": SCORE_SCALE, "rate": RATE_SCALE}


def _display(kind: str, v) -> str:
    """The text a cell shows (for column widths)."""
    val = _cell_value(kind, v)
    if val is None:
        return ""
    if kind in ("money", "x100"):
        return f"-{-val:,.2f}" if val < 0 else f"{val:,.2f}"
    if kind == "rate":
        return f"{val * 100:.2f}%"
    if kind == "score":
        return f"{val:,}"
    if kind == "int":
        return f"{val:,}"
    return str(val)


def _formats(wb) -> dict:
    # body cells centred vertically (Chinese clear of the top and bottom borders), texts indented,
    # numbers padded on the right (xlsx.MONEY_FMT …)
    cell = {"border": 1, "valign": "vcenter"}
    f = {
        "head": wb.add_format({"bold": True, "bg_color": HEADER_FILL, "border": 1, "text_wrap": True,
                               "align": "center", "valign": "vcenter"}),
        "money": wb.add_format({"num_format": MONEY_FMT, **cell}),
        "rate": wb.add_format({"num_format": RATE_FMT, **cell}),
        "score": wb.add_format({"num_format": "#,##0.####_ ", **cell}),
        "x100": wb.add_format({"num_format": SCORE_FMT, **cell}),
        "int": wb.add_format({"num_format": INT_FMT, **cell}),
        "text": wb.add_format({"indent": TEXT_INDENT, **cell}),
        "wrap": wb.add_format({"text_wrap": True, "indent": TEXT_INDENT, **cell}),
        "total_money": wb.add_format({"num_format": MONEY_FMT, "bold": True, "top": 2, "border": 1,
                                      "bg_color": "#F2F2F2", "valign": "vcenter"}),
        "total_int": wb.add_format({"num_format": INT_FMT, "bold": True, "top": 2, "border": 1,
                                    "bg_color": "#F2F2F2", "valign": "vcenter"}),
        "total_text": wb.add_format({"bold": True, "top": 2, "border": 1, "bg_color": "#F2F2F2",
                                     "valign": "vcenter", "indent": TEXT_INDENT}),
        "bold": wb.add_format({"bold": True}),
        "link": wb.add_format({"border": 1, "font_color": "#0563C1", "underline": 1, "valign": "vcenter",
                               "indent": TEXT_INDENT}),
    }
    return f


def _print_setup(ws, title: str, header_rows: int = 1) -> None:
    ws.set_landscape()
    ws.set_paper(9)                      # A4
    ws.repeat_rows(0, header_rows - 1)
    ws.fit_to_pages(1, 0)                # one page wide, as many long as needed
    ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.7)
    ws.set_header("&C" + title.replace("&", "&&"))
    ws.set_footer("&C第 &P 页，共 &N 页")


def _write_table(wb, ws, fmts: dict, frame: pl.DataFrame, columns: Sequence[tuple[str, str, str]],
                 totals: bool, wrap_keys: Sequence[str] = (), freeze_cols: int = 0,
                 max_width: int = 50) -> int:
    """Header, rows, totals; returns the first free row after the table (totals row included)."""
    for j, (_, header, _) in enumerate(columns):
        ws.write_string(0, j, header, fmts["head"])
    # A number cell holds the double nearest the exact amount: the integer (fen, ppm, score units; all
    # below 2**53) divided by its scale with Python's int / int, which is correctly rounded, i.e. the
    # double nearest the exact decimal quotient (Polars divides a column by a constant through its
    # reciprocal: 113 / 100 gave 1.1300000000000001; tests/test_slip_writer.py). Display only.
    rows = frame.select([k for k, _, _ in columns]).rows()
    cell_fmts = [fmts["wrap"] if key in wrap_keys else fmts.get(kind, fmts["text"]) for key, _, kind in columns]
    scales = [_SCALES.get(kind, 1) if kind in NUMERIC else None for _, _, kind in columns]
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row):
            if v is None:
                ws.write_blank(i, j, None, cell_fmts[j])
            elif scales[j] is None:
                text(ws, i, j, v, cell_fmts[j])
            elif scales[j] == 1:
                ws.write_number(i, j, v, cell_fmts[j])
            else:
                ws.write_number(i, j, v / scales[j], cell_fmts[j])   # ok-float: see above
    last = len(rows)
    after = last + 1
    if totals:
        t = last + 1
        ws.write_string(t, 0, "合计", fmts["total_text"])
        for j in range(1, len(columns)):
            ws.write_blank(t, j, None, fmts["total_text"])
        if len(columns) > 1 and columns[1][2] == "text":
            # the number of rows, e.g. "57 人" under 姓名
            rng = f"{xl_rowcol_to_cell(1, 0)}:{xl_rowcol_to_cell(max(last, 1), 0)}"
            ws.write_formula(t, 1, f'=COUNTA({rng})&" 人"', fmts["total_text"], f"{last} 人")
        for j, (key, _, kind) in enumerate(columns):
            if kind != "money":
                continue
            total = sum((v for v in frame.get_column(key).to_list() if v is not None), 0)
            rng = f"{xl_rowcol_to_cell(1, j)}:{xl_rowcol_to_cell(max(last, 1), j)}"
            ws.write_formula(t, j, f"=SUM({rng})", fmts["total_money"], number(Decimal(total) / 100))
        after = t + 1
    # layout: widths from what the cells show (CJK characters count double)
    widths = {}
    for j, (key, header, kind) in enumerate(columns):
        shown = [_display(kind, v) for v in frame.get_column(key).head(500).to_list()]
        if totals and kind == "money":
            shown.append(_display(kind, sum((v for v in frame.get_column(key).to_list() if v is not None), 0)))
        head_w = col_width([header], minimum=4, maximum=max_width)
        body_w = col_width(shown, minimum=6, maximum=max_width)
        if kind not in NUMERIC:
            body_w = min(body_w + 1, max_width)        # the indent of a text cell
        else:
            body_w += 1                                 # the padding right of a number ("_ ")
        # a header of up to 7 Chinese characters on one line; a longer one wraps over two lines
        # rather than widening a narrow number column
        width = max(body_w, head_w if head_w <= 16 else (head_w + 1) // 2 + 2)
        widths[key] = width
        ws.set_column(j, j, width)
    ws.set_default_row(ROW_HEIGHT)       # Chinese clear of the borders (CJK font, 11 pt)
    ws.set_row(0, HEADER_HEIGHT)         # two lines of wrapped header
    # rows whose wrapped text needs more than one line get the height for it (no reader auto-fits
    # row heights on load reliably)
    for key in wrap_keys:
        if key not in widths:
            continue
        for i, v in enumerate(frame.get_column(key).to_list(), start=1):
            lines = lines_needed(v, widths[key] - TEXT_INDENT)
            if lines > 1:
                ws.set_row(i, row_height(min(lines, 12)))
    ws.freeze_panes(1, freeze_cols)
    ws.autofilter(0, 0, max(last, 1), len(columns) - 1)
    ws.widths = [widths[k] for k, _, _ in columns]       # for the print layout
    return after


def _sign_off(ws, fmts: dict, row: int, step: int = 3, start: int = 0, per_row: int = 4) -> None:
    """计算/审核/复核/签批 (S-Art.32), `per_row` to a row, each a label and a line to sign on; 日期 below."""
    for k, label in enumerate(SIGN_OFF):
        r, c = row + (k // per_row) * 2, start + (k % per_row) * step
        ws.write_string(r, c, f"{label}：", fmts["bold"])
        ws.write_string(r, c + 1, "____________")
    r = row + ((len(SIGN_OFF) - 1) // per_row + 1) * 2
    ws.write_string(r, start, "日期：", fmts["bold"])
    ws.write_string(r, start + 1, "____________")


@paused_gc()
def table_workbook(title: str, sheet: str, frame: pl.DataFrame, columns: list[tuple[str, str, str]],
                   totals: bool = True, sign_off: bool = True, notes: list[str] | None = None,
                   more: Sequence[tuple[str, pl.DataFrame, list[tuple[str, str, str]]]] = ()) -> bytes:
    """A table (header row 1 as SPEC 5 says), a totals row with formulas and cached values, frozen
    header, autofilter, A4 landscape, the sign-off block below; `more` tables [(sheet, frame,
    columns)] on further sheets the same way (totals, no sign-off)."""
    buf = io.BytesIO()
    wb = new_workbook(buf, title)
    ws = wb.add_worksheet(sheet)
    fmts = _formats(wb)
    after = _write_table(wb, ws, fmts, frame, columns, totals, freeze_cols=_id_columns(columns))
    _footer(ws, fmts, after + 1, notes, sign_off)
    _print_setup(ws, title)
    for name, f, cols in more:
        extra = wb.add_worksheet(name)
        _write_table(wb, extra, fmts, f, cols, totals)
        _print_setup(extra, f"{title} {name}")
    ws.activate()
    wb.close()
    return buf.getvalue()


def _id_columns(columns: Sequence[tuple[str, str, str]]) -> int:
    """Freeze 工号 (and 姓名) with the header so that a wide table scrolls under them."""
    heads = [h for _, h, _ in columns[:2]]
    return 2 if heads == ["工号", "姓名"] else (1 if heads[:1] == ["工号"] else 0)


def _footer(ws, fmts: dict, row: int, notes: list[str] | None, sign_off: bool, start: int = 0,
            step: int = 3, end: int | None = None) -> None:
    """Notes below the table, then the sign-off block in columns start … end − 1 (the first printed
    page's: as many of its four signatures to a row as fit there)."""
    for n in notes or []:
        ws.write_string(row, 0, n)
        row += 1
    if sign_off:
        per_row = 4 if end is None else max(1, min(4, (end - start) // step))
        _sign_off(ws, fmts, row + 1, step, start, per_row)


# ------------------------------------------------------------------------------------------- summary

@paused_gc()
def summary_workbook(title: str, frame: pl.DataFrame, columns: list[tuple[str, str, str]],
                     gross_key: str = "gross_pay", sheet: str = "工资汇总",
                     notes: list[str] | None = None, rank_key: str | None = None) -> bytes:
    """The payroll summary (SPEC 5: sheet 工资汇总, header in row 1, one row per manager by 工号, the
    contract's headers, a 合计 row) plus a sheet 按营业部汇总 with a 小计 row per 营业部 (SUMIF
    formulas over 工资汇总 with cached values; the sheet holds only subtotals, so its 合计 adds them
    without double counting and equals 工资汇总's), and a chart sheet 图表 of gross pay by level and
    status drawn from a small data sheet 图表数据 (levels × statuses, the sums as plain values). Levels
    are ordered by the lowest `rank_key` value among their managers (the base salary: rank order),
    不分级别 last. 工资汇总 prints on A4 landscape as few pages wide as keep it legible (_pages_wide),
    工号/姓名 and the header repeated."""
    buf = io.BytesIO()
    wb = new_workbook(buf, title)
    ws = wb.add_worksheet(sheet)
    fmts = _formats(wb)
    freeze = _id_columns(columns)
    after = _write_table(wb, ws, fmts, frame, columns, True, freeze_cols=freeze)
    _print_setup(ws, title)
    keys = [k for k, _, _ in columns]
    # a page that ends near 应发合计 ends right after it (with net pay, the deductions print apart)
    cuts = _pages_wide(ws, ws.widths, freeze, [kind for _, _, kind in columns],
                       prefer=[keys.index(gross_key) + 1] if gross_key in keys else [])
    # the sign-off block right of the repeated 工号/姓名 columns, on the first printed page
    _footer(ws, fmts, after + 1, notes, True, start=freeze, step=2, end=cuts[0] if cuts else None)
    keys = [k for k, _, _ in columns]
    heads = {h: (j, k) for j, (k, h, _) in enumerate(columns)}
    if BRANCH_HEADER in heads and frame.height:
        _branch_sheet(wb, fmts, title, sheet, frame, columns)
    if gross_key in keys and "状态" in heads and frame.height:
        _chart(wb, fmts, frame, gross_key, heads, rank_key)
    ws.activate()
    wb.close()
    return buf.getvalue()


def _pixels(width: float) -> float:
    """A column's printed width in pixels, from its width in characters: 9 px a character (等线 and
    its stand-ins are wider than the 7 px of Calibri's digits that column widths assume) and 5 px of
    padding; generous, so that a page never breaks by itself before the manual break."""
    return width * 9 + 5


MIN_PRINT_SCALE = 75        # %: the smallest print scale of a wide table (11 pt → 8.25 pt)
MAX_PAGES_WIDE = 4


def _page_scale(width_pts: float) -> int:
    """The print scale (%) at which a page `width_pts` wide fits A4 landscape, 8 % to spare."""
    return max(10, min(100, int(A4_LANDSCAPE_WIDTH_PT / max(width_pts, 1.0) * 92)))


def _pages_wide(ws, widths: list[float], repeat: int, kinds: list[str] | None = None,
                prefer: Sequence[int] = ()) -> list[int]:
    """A wide table on A4 landscape, legible: one page wide when the whole width fits at
    MIN_PRINT_SCALE or more (fit_to_pages(1, 0) stays); else as few pages wide as reach that scale
    (two, three, … at most MAX_PAGES_WIDE), the columns cut where the widest page is narrowest —
    before the block of pay components (the last run of three or more money columns) and at the
    `prefer`red column boundaries (after 应发合计) when that costs at most 8 points of scale and keeps
    MIN_PRINT_SCALE — the first `repeat` columns (工号, 姓名) and the header row
    printed on every page, pages across then down, one print scale for the sheet (at most 100 %);
    as many pages long as needed. Generic over the columns: nothing here counts them. Returns the
    columns the pages are cut before (none: one page wide)."""
    pts = [_pixels(w) * 0.75 for w in widths]
    n = len(pts)
    if n <= repeat + 2 or _page_scale(sum(pts)) >= MIN_PRINT_SCALE:
        return []
    prefix = [0.0]
    for p in pts:
        prefix.append(prefix[-1] + p)
    rep = prefix[repeat]
    block = None
    if kinds:
        runs, start = [], None
        for j, kind in enumerate(list(kinds) + ["end"]):
            if kind == "money" and start is None:
                start = j
            elif kind != "money" and start is not None:
                runs.append((start, j))
                start = None
        runs = [r for r in runs if r[1] - r[0] >= 3 and r[0] > repeat]
        if runs:
            block = runs[-1][0]

    wanted = {c for c in [block, *prefer] if c is not None and repeat < c < n}

    def widest(cuts: tuple[int, ...]) -> float:
        bounds = (0, *cuts, n)
        return max(prefix[b] - prefix[a] + (rep if a else 0.0) for a, b in zip(bounds, bounds[1:]))

    from itertools import combinations
    best: tuple[int, tuple[int, ...]] | None = None
    for k in range(2, MAX_PAGES_WIDE + 1):
        scored = [(_page_scale(widest(c)), c) for c in combinations(range(repeat + 1, n), k - 1)]
        if not scored:
            break
        top = max(sc for sc, _ in scored)
        floor = top - 8 if top < MIN_PRINT_SCALE else max(top - 8, MIN_PRINT_SCALE)
        near = [(sc, c) for sc, c in scored if sc >= floor]
        best = max(near, key=lambda item: (len(wanted & set(item[1])), item[0], tuple(-x for x in item[1])))
        if top >= MIN_PRINT_SCALE:
            break
    if best is None:
        return []
    scale, cuts = best
    # a print scale (which turns fit-to-page off: fit-to-page would override the manual breaks)
    ws.set_print_scale(scale)
    ws.set_v_pagebreaks(list(cuts))
    ws.print_across()                     # page 2 is the continuation of page 1's rows, and so on
    if repeat:
        ws.repeat_columns(0, repeat - 1)
    return list(cuts)


def _branch_sheet(wb, fmts: dict, title: str, sheet: str, frame: pl.DataFrame,
                  columns: list[tuple[str, str, str]]) -> None:
    """按营业部汇总: per 营业部 the number of managers and the sum of every money column of 工资汇总
    (a 小计 row each, SUMIF/COUNTIF formulas with cached values), then 合计."""
    keys = [k for k, _, _ in columns]
    j_branch = [h for _, h, _ in columns].index(BRANCH_HEADER)
    branch_key = keys[j_branch]
    money = [(j, k, h) for j, (k, h, kind) in enumerate(columns) if kind == "money"]
    n = frame.height
    src = quote_sheetname(sheet)

    def rng(j: int) -> str:
        col = xl_col_to_name(j)
        return f"{src}!${col}$2:${col}${n + 1}"

    agg = (frame.with_columns(pl.col(branch_key).fill_null(""))
           .group_by(branch_key).agg(pl.len().alias("__n"),
                                     *[pl.col(k).fill_null(0).sum().alias(k) for _, k, _ in money])
           .sort(branch_key))
    bs = wb.add_worksheet(BRANCH_SHEET)
    heads = [BRANCH_HEADER, "", "人数"] + [h for _, _, h in money]
    for c, h in enumerate(heads):
        bs.write_string(0, c, h, fmts["head"])
    rows = agg.rows()
    for r, row in enumerate(rows, start=1):
        branch, count, sums = row[0], row[1], row[2:]
        bs.write_string(r, 0, branch, fmts["text"])
        bs.write_string(r, 1, "小计", fmts["text"])
        ref = xl_rowcol_to_cell(r, 0, col_abs=True)
        bs.write_formula(r, 2, f"=COUNTIF({rng(j_branch)},{ref})", fmts["int"], count)
        for c, ((j, _, _), v) in enumerate(zip(money, sums), start=3):
            bs.write_formula(r, c, f"=SUMIF({rng(j_branch)},{ref},{rng(j)})", fmts["money"],
                             number(Decimal(v) / 100))
    t = len(rows) + 1
    bs.write_string(t, 0, "合计", fmts["total_text"])
    bs.write_blank(t, 1, None, fmts["total_text"])
    bs.write_formula(t, 2, f"=SUM(C2:C{t})", fmts["total_int"], n)
    for c, (_, k, _) in enumerate(money, start=3):
        col = xl_col_to_name(c)
        total = sum(v for v in frame.get_column(k).to_list() if v is not None)
        bs.write_formula(t, c, f"=SUM({col}2:{col}{t})", fmts["total_money"], number(Decimal(total) / 100))
    widths = [col_width([r[0] for r in rows] + [BRANCH_HEADER], minimum=12), 6, 7]
    for _, k, h in money:
        shown = [_display("money", v) for v in agg.get_column(k).to_list()]
        shown.append(_display("money", sum(v for v in frame.get_column(k).to_list() if v is not None)))
        hw = col_width([h], minimum=4)
        widths.append(max(col_width(shown, minimum=8), hw if hw <= 16 else (hw + 1) // 2 + 2))
    for c, w in enumerate(widths):
        bs.set_column(c, c, w)
    bs.set_default_row(ROW_HEIGHT)
    bs.set_row(0, HEADER_HEIGHT)
    bs.freeze_panes(1, 2)
    _print_setup(bs, f"{title} 按营业部汇总")
    _pages_wide(bs, widths, 3, ["text", "text", "int"] + ["money"] * len(money))


def _chart(wb, fmts, frame, gross_key, heads, rank_key) -> None:
    _, status_key = heads["状态"]
    level = heads.get("级别")
    f = frame.select(
        (pl.col(level[1]).fill_null(NO_LEVEL) if level else pl.lit(NO_LEVEL)).alias("lvl"),
        pl.col(status_key).fill_null("").alias("st"),
        pl.col(gross_key).fill_null(0).alias("g"),
        (pl.col(rank_key).fill_null(0) if rank_key in frame.columns else pl.lit(0)).alias("b"),
    )
    lv = (f.group_by("lvl").agg(pl.col("b").min(), pl.len().alias("n"))
          .with_columns(pl.col("lvl").str.contains("不分级别", literal=True).alias("none_last")).sort(["none_last", "b", "lvl"]))
    levels = lv.get_column("lvl").to_list()
    st = f.group_by("st").agg(pl.len().alias("n")).sort(["n", "st"], descending=[True, False])
    statuses = st.get_column("st").to_list()
    sums = {(a, b): g for a, b, g in f.group_by(["lvl", "st"]).agg(pl.col("g").sum()).iter_rows()}

    cs = wb.add_chartsheet("图表")              # the chart before its data in the sheet tabs
    data = wb.add_worksheet("图表数据")
    data.write_string(0, 0, "级别 \\ 状态", fmts["head"])
    for c, s in enumerate(statuses, start=1):
        data.write_string(0, c, s, fmts["head"])
    data.write_string(0, len(statuses) + 1, "合计", fmts["head"])
    # plain values, not formulas: a snapshot for the chart that survives any re-save of the workbook
    for r, lvl in enumerate(levels, start=1):
        data.write_string(r, 0, lvl, fmts["text"])
        for c, s in enumerate(statuses, start=1):
            data.write_number(r, c, number(Decimal(sums.get((lvl, s), 0)) / 100), fmts["money"])
        row_total = sum(sums.get((lvl, s), 0) for s in statuses)
        data.write_number(r, len(statuses) + 1, number(Decimal(row_total) / 100), fmts["money"])
    data.set_column(0, 0, col_width(levels + ["级别 \\ 状态"], minimum=10))
    data.set_column(1, len(statuses) + 1, max(14, *(col_width([s]) for s in statuses)))
    data.freeze_panes(1, 1)
    data.set_landscape()
    data.set_paper(9)

    chart = wb.add_chart({"type": "column", "subtype": "stacked"})
    for c, s in enumerate(statuses, start=1):
        chart.add_series({
            "name": ["图表数据", 0, c],
            "categories": ["图表数据", 1, 0, len(levels), 0],
            "values": ["图表数据", 1, c, len(levels), c],
            "gap": 60,
        })
    font = {"name": CJK_FONT}
    chart.set_title({"name": "应发合计：按级别与状态（元）", "name_font": {"size": 13, **font}})
    chart.set_x_axis({"name": "级别", "name_font": font, "num_font": font})
    chart.set_y_axis({"name": "元", "num_format": "#,##0", "major_gridlines": {"visible": True},
                      "name_font": font, "num_font": font})
    chart.set_legend({"position": "bottom", "font": font})
    cs.set_chart(chart)
    cs.set_landscape()
    cs.set_paper(9)


# ------------------------------------------------------------------------------------------- exceptions

def exceptions_report(title: str, frame: pl.DataFrame, columns: list[tuple[str, str, str]],
                      types: Sequence[tuple[str, str, str]], sheet: str = "例外事项",
                      type_key: str = "type", approval_key: str = "approval_zh",
                      amount_key: str = "amount", hidden_headers: Sequence[str] = ("类型代码",),
                      meanings: dict[str, tuple[str, str]] | None = None) -> bytes:
    """The exceptions report: rows grouped by type (the frame comes sorted by type), 说明 wrapped with
    row heights, the columns named in `hidden_headers` (the English 类型代码, kept last for programs)
    hidden; and a second sheet 汇总 counting every type of the rulebook [(code, label, article)], zero
    counts included, with COUNTIF/SUMIF formulas over the first sheet (cached values written) and a
    link to each group. The 金额影响 of a type is summed in one of two columns by what it means
    (`meanings`, default AMOUNT_MEANING): 影响当月应发 (a forfeiture, a correction…) or 备查金额 (a
    deficit carried into next year, a withheld gross…), each type saying what its amount is; the 合计
    row adds each column on its own, so a carried deficit is never added to the forfeitures."""
    meanings = AMOUNT_MEANING if meanings is None else meanings
    buf = io.BytesIO()
    wb = new_workbook(buf, title)
    ws = wb.add_worksheet(sheet)
    fmts = _formats(wb)
    wrap = [k for k, h, _ in columns if h == "说明"]
    if wrap and frame.height and frame.get_column(wrap[0]).dtype == pl.String:
        # amounts in 说明 grouped as the 金额影响 column shows them, Chinese punctuation (text.py)
        key = wrap[0]
        said = frame.get_column(key).unique().drop_nulls().to_list()
        frame = frame.with_columns(pl.col(key).replace_strict({s: zh_text(s) for s in said}, default=None,
                                                              return_dtype=pl.String))
    after = _write_table(wb, ws, fmts, frame, columns, False, wrap_keys=wrap,
                         freeze_cols=_id_columns(columns), max_width=60)
    for j, (_, h, _) in enumerate(columns):
        if h in hidden_headers:
            ws.set_column(j, j, ws.widths[j], None, {"hidden": True})
    _footer(ws, fmts, after + 1, None, True, step=2)
    _print_setup(ws, title)

    keys = [k for k, _, _ in columns]
    n = frame.height
    codes = frame.get_column(type_key).to_list() if type_key in keys else []
    first_row = {}
    for i, c in enumerate(codes, start=1):
        first_row.setdefault(c, i)
    src = quote_sheetname(sheet)

    def rng(key: str) -> str:
        col = xl_col_to_name(keys.index(key))
        return f"{src}!${col}$2:${col}${max(n, 1) + 1}"

    cs = wb.add_worksheet("汇总")
    heads = ["类型", "类型代码", "条款", "件数", "需审批", "影响当月应发合计", "备查金额合计", "金额含义", "明细"]
    for j, h in enumerate(heads):
        cs.write_string(0, j, h, fmts["head"])
    amounts = frame.group_by(type_key).agg(pl.col(amount_key).fill_null(0).sum()) if amount_key in keys \
        else pl.DataFrame({type_key: [], amount_key: []})
    amount_of = dict(amounts.iter_rows())
    approvals = {}
    if approval_key in keys:
        for c, a in frame.select(type_key, approval_key).iter_rows():
            approvals[c] = approvals.get(c, 0) + (a == "是")
    count_of = {c: codes.count(c) for c in set(codes)}
    known = [t[0] for t in types]
    all_types = list(types) + [(c, c, "") for c in sorted(set(codes) - set(known))]
    r = 0
    sums = {"pay": 0, "memo": 0}
    for r, (code, label, article) in enumerate(all_types, start=1):
        kind, meaning = meanings.get(code, ("memo", "见说明（未计入影响当月应发）"))
        cs.write_string(r, 0, label, fmts["text"])
        cs.write_string(r, 1, code, fmts["text"])
        text(cs, r, 2, article, fmts["text"])
        code_ref = xl_rowcol_to_cell(r, 1, col_abs=True)
        cs.write_formula(r, 3, f"=COUNTIF({rng(type_key)},{code_ref})" if type_key in keys else "=0",
                         fmts["int"], count_of.get(code, 0))
        if approval_key in keys:
            cs.write_formula(r, 4, f'=COUNTIFS({rng(type_key)},{code_ref},{rng(approval_key)},"是")',
                             fmts["int"], approvals.get(code, 0))
        else:
            cs.write_blank(r, 4, None, fmts["int"])
        value = amount_of.get(code, 0) or 0
        # a type whose rows carry amounts, or one known to carry them: its amount column is filled
        has_amount = amount_key in keys and (code in meanings or (code in count_of and frame.filter(
            pl.col(type_key) == code).get_column(amount_key).is_not_null().any()))
        for c, k in ((5, "pay"), (6, "memo")):
            if has_amount and k == kind:
                cs.write_formula(r, c, f"=SUMIF({rng(type_key)},{code_ref},{rng(amount_key)})", fmts["money"],
                                 number(Decimal(value) / 100))
            else:
                cs.write_blank(r, c, None, fmts["money"])
        sums[kind] += value
        text(cs, r, 7, meaning if has_amount else "", fmts["text"])
        if code in first_row:
            cs.write_url(r, 8, f"internal:{src}!A{first_row[code] + 1}", fmts["link"],
                         string=f"第 {first_row[code] + 1} 行起", tip=f"{label}：{count_of[code]} 件")
        else:
            cs.write_blank(r, 8, None, fmts["text"])
    t = r + 1
    cs.write_string(t, 0, "合计", fmts["total_text"])
    cs.write_blank(t, 1, None, fmts["total_text"])
    cs.write_blank(t, 2, None, fmts["total_text"])
    cs.write_formula(t, 3, f"=SUM(D2:D{t})", fmts["total_int"], n)
    cs.write_formula(t, 4, f"=SUM(E2:E{t})", fmts["total_int"], sum(approvals.values()))
    cs.write_formula(t, 5, f"=SUM(F2:F{t})", fmts["total_money"], number(Decimal(sums["pay"]) / 100))
    cs.write_formula(t, 6, f"=SUM(G2:G{t})", fmts["total_money"], number(Decimal(sums["memo"]) / 100))
    cs.write_string(t, 7, "两列分别相加，备查金额不计入影响当月应发", fmts["total_text"])
    cs.write_blank(t, 8, None, fmts["total_text"])
    cs.set_column(0, 0, col_width([t[1] for t in all_types] + ["类型"], minimum=10))
    # the English 类型代码 hidden, as on the first sheet (the formulas still read it)
    cs.set_column(1, 1, col_width([t[0] for t in all_types], minimum=10), None, {"hidden": True})
    cs.set_column(2, 2, col_width([t[2] for t in all_types], minimum=10))
    cs.set_column(3, 4, 9)
    cs.set_column(5, 6, 16)
    cs.set_column(7, 7, col_width([m for _, m in meanings.values()] + ["两列分别相加，备查金额不计入影响当月应发"],
                                  minimum=10, maximum=44))
    cs.set_column(8, 8, 12)
    cs.set_default_row(ROW_HEIGHT)
    cs.set_row(0, HEADER_HEIGHT)
    cs.freeze_panes(1, 0)
    cs.autofilter(0, 0, t - 1, len(heads) - 1)
    _print_setup(cs, f"{title} 汇总")
    ws.activate()
    wb.close()
    return buf.getvalue()


__all__ = ["SIGN_OFF", "exceptions_report", "summary_workbook", "table_workbook"]
