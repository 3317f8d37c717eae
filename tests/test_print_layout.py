"""Issue 16: workbooks and slips that print well — CJK default font, 按营业部汇总 subtotals, the A4
print layout, the slip workbook's numbers and row heights, exceptions' pay-effect vs memo amounts,
PDF batches (one page each, own text, deterministic), diff labels of slips, what-if per month.
Every expectation is worked out here from the data, not taken from the code under test."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from cm_payroll.diff import diff_workbooks
from cm_payroll.render.documents import SlipDocuments, is_negative
from cm_payroll.render.slip_xlsx import slip_workbook
from cm_payroll.render.text import zh_text
from cm_payroll.rulebooks import module_for

PAY_EFFECT = {"fraud", "compliance_forfeited", "correction", "override_applied"}


def _styles(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/styles.xml").decode("utf-8")


def test_every_font_of_the_workbooks_is_dengxian(sample_month: Path) -> None:
    for p in [sample_month / "payroll_2013-12.xlsx", sample_month / "exceptions_2013-12.xlsx",
              next((sample_month / "slips").glob("*.xlsx"))]:
        styles = _styles(p)
        fonts = re.findall(r"<font>.*?</font>", styles)
        assert fonts and all('<name val="等线"/>' in f for f in fonts), p.name
        assert "Calibri" not in styles and "<scheme" not in styles     # no theme font overriding 等线


def test_branch_subtotals_equal_the_sums_of_the_detail_rows(sample_month: Path) -> None:
    p = sample_month / "payroll_2013-12.xlsx"
    cached = openpyxl.load_workbook(p, data_only=True)
    main = list(cached["工资汇总"].iter_rows(values_only=True))
    header = list(main[0])
    rows = [r for r in main[1:] if r[0] and str(r[0]).startswith("ZS")]
    ids = [r[0] for r in rows]
    assert ids == sorted(ids) and len(ids) == len(set(ids))             # SPEC 5: one row per manager
    b = header.index("营业部")
    money = [h for h in header if h in ("实际净收入", "基础工资", "年终奖", "应发合计")]
    expected: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for r in rows:
        for h in money:
            expected[r[b]][h] += Decimal(repr(r[header.index(h)]))
    sub = list(cached["按营业部汇总"].iter_rows(values_only=True))
    sh = list(sub[0])
    got = {r[0]: r for r in sub[1:] if r[1] == "小计"}
    assert set(got) == set(expected) == {"杭州营业部", "宁波营业部"}
    for branch, sums in expected.items():
        assert got[branch][sh.index("人数")] == sum(1 for r in rows if r[b] == branch)
        for h, v in sums.items():
            assert Decimal(repr(got[branch][sh.index(h)])).quantize(Decimal("0.01")) == v.quantize(Decimal("0.01"))
    total = next(r for r in sub[1:] if r[0] == "合计")
    grand = next(r for r in main[1:] if r[0] == "合计")
    for h in money:                                                      # no double counting
        t = Decimal(repr(total[sh.index(h)])).quantize(Decimal("0.01"))
        assert t == sum(expected[x][h] for x in expected).quantize(Decimal("0.01"))
        assert t == Decimal(repr(grand[header.index(h)])).quantize(Decimal("0.01"))
    formulas = openpyxl.load_workbook(p)["按营业部汇总"]
    assert formulas.cell(2, sh.index("应发合计") + 1).value.startswith("=SUMIF('工资汇总'!") or \
        formulas.cell(2, sh.index("应发合计") + 1).value.startswith("=SUMIF(工资汇总!")


def test_summary_prints_two_pages_wide_with_ids_repeated(sample_month: Path) -> None:
    wb = openpyxl.load_workbook(sample_month / "payroll_2013-12.xlsx")
    ws = wb["工资汇总"]
    header = [c.value for c in ws[1]]
    assert ws.print_title_cols == "$A:$B" and ws.print_title_rows == "$1:$1"
    breaks = [b.id for b in ws.col_breaks.brk]
    assert 1 <= len(breaks) <= 3 and breaks == sorted(breaks) and breaks[0] > 2   # 2–4 pages wide
    assert not ws.sheet_properties.pageSetUpPr or not ws.sheet_properties.pageSetUpPr.fitToPage
    assert 75 <= ws.page_setup.scale <= 100                      # ≈ 6 pt before: now ≥ 8.25 pt
    # every page, with the repeated 工号/姓名, fits the A4 landscape width at that scale (column
    # widths in characters: ≤ 9 px each plus 5 px padding, 0.75 pt a pixel; 0.4" margins)
    widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(j + 1)].width for j in range(len(header))]
    pages = list(zip([0, *breaks], [*breaks, len(header)]))
    for a, b in pages:
        cols = ([0, 1] if a else []) + list(range(a, b))
        assert sum((widths[j] * 9 + 5) * 0.75 for j in cols) * ws.page_setup.scale / 100 <= (11.69 - 0.8) * 72
    assert ws.page_setup.pageOrder == "overThenDown"
    assert ws.sheet_format.defaultRowHeight >= 18 and ws.row_dimensions[1].height >= 30
    data = list(wb["图表数据"].iter_rows(values_only=True))
    assert "不分级别" in data[-1][0]                              # the chart's last level


def test_slip_workbook_numbers_and_row_heights(sample_slips) -> None:  # noqa: F811
    _, slips, _ = sample_slips
    slip = next(s for s in slips if s.manager_id == "ZS009")
    ws = openpyxl.load_workbook(io.BytesIO(slip_workbook(slip))).active
    cells = {ws.cell(r, c).value: (r, c) for r in range(1, ws.max_row + 1) for c in (1, 3)}
    for label, shown in slip.ytd:
        r, c = cells[label]
        v = ws.cell(r, c + 1)
        assert isinstance(v.value, (int, float)) and "#,##0.00" in v.number_format, label
        assert Decimal(repr(v.value)).quantize(Decimal("0.01")) == Decimal(shown.replace(",", ""))
    facts = {k: zh_text(v) for k, v in slip.facts}                 # Chinese punctuation on the slip
    assert facts["计入客户数"] == "9（内部转入 3 户不计，S-Art.36）"
    r, c = cells["计入客户数"]
    assert ws.cell(r, c + 1).value == facts["计入客户数"] and ws.cell(r, c + 1).alignment.wrap_text
    # the text needs more than one line of its column: its row is taller than one line
    width = ws.column_dimensions[openpyxl.utils.get_column_letter(c + 1)].width
    need = sum(2 if ord(ch) > 0x2E80 else 1 for ch in facts["计入客户数"])
    assert need > width - 1 and ws.row_dimensions[r].height >= 30
    basis = next(line for line in slip.lines if line.label == "年终奖")
    r, _ = cells["年终奖"]
    assert ws.cell(r, 4).value == zh_text(basis.basis) and ws.cell(r, 4).alignment.wrap_text
    assert ws.row_dimensions[r].height >= 30


def test_exceptions_pay_effect_and_memo_are_summed_apart(sample_month: Path) -> None:
    p = sample_month / "exceptions_2013-12.xlsx"
    wb = openpyxl.load_workbook(p, data_only=True)
    ws = wb["例外事项"]
    header = [c.value for c in ws[1]]
    j = header.index("类型代码")
    assert j == len(header) - 1
    assert openpyxl.load_workbook(p)["例外事项"].column_dimensions[openpyxl.utils.get_column_letter(j + 1)].hidden
    rows = [r for r in ws.iter_rows(min_row=2, values_only=True) if r[j]]
    amount = header.index("金额影响")
    pay = sum(Decimal(repr(r[amount])) for r in rows if r[j] in PAY_EFFECT and r[amount] is not None)
    memo = sum(Decimal(repr(r[amount])) for r in rows if r[j] not in PAY_EFFECT and r[amount] is not None)
    assert any(r[j] == "year_end_deficit" for r in rows)          # the sample carries a deficit (ZS021)
    s = list(wb["汇总"].iter_rows(values_only=True))
    sh = list(s[0])
    by_code = {r[1]: r for r in s[1:] if r[0] != "合计"}
    deficit = by_code["year_end_deficit"]
    assert deficit[sh.index("影响当月应发合计")] is None and deficit[sh.index("备查金额合计")] < 0
    total = next(r for r in s[1:] if r[0] == "合计")
    assert Decimal(repr(total[sh.index("影响当月应发合计")])).quantize(Decimal("0.01")) == pay
    assert Decimal(repr(total[sh.index("备查金额合计")])).quantize(Decimal("0.01")) == memo
    long = [i for i, r in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2)
            if r[header.index("说明")] and len(r[header.index("说明")]) > 40]
    assert long and all(ws.row_dimensions[i].height and ws.row_dimensions[i].height > 20 for i in long)


def test_negative_values_are_flagged_for_red() -> None:
    assert is_negative(-1) and is_negative("-1,780.00") and is_negative("−59,600.00(结转)")
    assert not is_negative(0) and not is_negative("2013-01") and not is_negative("-") and not is_negative("1")


@pytest.fixture(scope="module")
def batch(sample_slips):
    rb, slips, _ = sample_slips
    docs = SlipDocuments("2013-12", rulebook_title=rb.title)
    chosen = slips[:3]
    htmls = [docs.html(s) for s in chosen]
    return docs, chosen, htmls, list(docs.pdfs(htmls, [s.manager_id for s in chosen]))


def test_pdf_batch_one_page_each_own_text_and_order_independent(batch, tmp_path: Path) -> None:
    from pypdf import PdfReader
    docs, chosen, htmls, pdfs = batch
    for slip, data in zip(chosen, pdfs):
        r = PdfReader(io.BytesIO(data))
        assert len(r.pages) == 1 and r.metadata.title == slip.title
        text = r.pages[0].extract_text()
        name = dict(slip.facts)["姓名"]
        assert slip.manager_id in text and name in text
        others = [dict(o.facts)["姓名"] for o in chosen if o is not slip]
        font_maps = b"".join(f["/ToUnicode"].get_object().get_data()
                             for f in (v.get_object() for v in r.pages[0]["/Resources"]["/Font"].values()))
        own = set(text)
        for other in others:                                     # nothing of the other slips' text
            for ch in set(other) - own:
                assert f"<{ord(ch):04x}>".encode() not in font_maps.lower()
    again = list(docs.pdfs(htmls[::-1], [s.manager_id for s in chosen][::-1]))
    assert again[::-1] == pdfs                                   # batches cut in 工号 order
    if shutil.which("pdffonts"):
        p = tmp_path / "a.pdf"
        p.write_bytes(pdfs[0])
        out = subprocess.run(["pdffonts", str(p)], check=True, capture_output=True, text=True).stdout
        assert "CJK" in out and all(line.split()[-5] == "yes" for line in out.splitlines()[2:])


def test_diff_of_two_slips_names_the_real_label(sample_slips, tmp_path: Path) -> None:  # noqa: F811
    import dataclasses
    _, slips, _ = sample_slips
    slip = next(s for s in slips if s.manager_id == "ZS009")
    facts = [(k, v) for k, v in slip.facts]
    i = next(n for n, (k, _) in enumerate(facts) if k == "年化累计积分")
    assert i % 2 == 1                                            # the right-hand pair of its row
    changed = list(facts)
    changed[i] = ("年化累计积分", "1.00")
    ytd = [(k, v) for k, v in slip.ytd]
    ytd[0] = (ytd[0][0], "1,000.00")
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    a.write_bytes(slip_workbook(slip))
    b.write_bytes(slip_workbook(dataclasses.replace(slip, facts=changed, ytd=ytd)))
    res = diff_workbooks(a, b)
    keys = {(c.key, c.column) for c in res.changes}
    assert keys == {("年化累计积分", "值"), (slip.ytd[0][0], "值")}
    d = next(c for c in res.changes if c.key == slip.ytd[0][0])
    assert d.delta == Decimal("1000") - Decimal(slip.ytd[0][1].replace(",", ""))
