"""Issue 16, what the clerk sees: Chinese punctuation and grouped amounts in texts (render/text.py),
red negatives and the negative-income basis on slips, a small summary's 小计 per 营业部 and its cell
layout worked by hand, the exceptions' 说明 amounts, diff across punctuation, the kept render pool.
Expectations are written out by hand here, not produced by the code under test."""

from __future__ import annotations

import dataclasses
import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from cm_payroll.diff import diff_workbooks, render
from cm_payroll.render.documents import SlipDocuments, batch_document, negatives
from cm_payroll.render.pool import ordered_map
from cm_payroll.render.slip_xlsx import slip_workbook
from cm_payroll.render.tables import exceptions_report, summary_workbook
from cm_payroll.render.text import money_in_text, zh_punct, zh_text


@pytest.mark.parametrize("text, shown", [
    ("9(内部转入 3 户不计,S-Art.36)", "9（内部转入 3 户不计，S-Art.36）"),
    ("仅发基础工资,不发营销绩效奖(S-Art.20)", "仅发基础工资，不发营销绩效奖（S-Art.20）"),
    ("1,780.00;仅发基础工资,不发放", "1,780.00；仅发基础工资，不发放"),
    ("状态:仅发基础工资", "状态：仅发基础工资"),
    ("业绩造假,取消当月营销绩效奖(S-Art.8(4))", "业绩造假，取消当月营销绩效奖（S-Art.8(4)）"),
    # formulas, numbers, times and article lists keep their ASCII marks
    ("max(实际净收入, 0) = 0.00 × 30%", "max(实际净收入, 0) = 0.00 × 30%"),
    ("98,000.00 × (20% + 司龄 1%)", "98,000.00 × (20% + 司龄 1%)"),
    ("S-Art.8, S-Art.20", "S-Art.8, S-Art.20"),
    ("12:30 到账", "12:30 到账"),
    ("ZS009", "ZS009"),
])
def test_chinese_punctuation(text: str, shown: str) -> None:
    assert zh_punct(text) == shown
    assert zh_punct(shown) == shown                              # idempotent


def test_bare_amounts_in_a_text_are_grouped_like_the_money_column() -> None:
    said = "年终奖计算结果 -59600.00 元;结转亏空合计 59600.00 元,在下一年度扣回"
    assert zh_text(said) == "年终奖计算结果 -59,600.00 元；结转亏空合计 59,600.00 元，在下一年度扣回"
    # already grouped amounts, small amounts, dates, articles and scores are left as they are
    assert money_in_text("1,600.00 元 400.00 元 2013-01 S-Art.14 108,000") == "1,600.00 元 400.00 元 2013-01 S-Art.14 108,000"
    assert money_in_text("1234567.5 与 1234567.89") == "1234567.5 与 1,234,567.89"


def test_negatives_in_a_text_are_marked_red() -> None:
    html = str(negatives("20,000.00 × 32% − 66,000.00 = -59,600.00;S-Art.14,2013-01 <b>"))
    assert html.count('<span class="neg">') == 1 and '<span class="neg">-59,600.00</span>' in html
    assert "&lt;b&gt;" in html                                    # escaped


def test_slip_texts_in_html_chinese_punctuation_red_negatives_and_max(sample_slips) -> None:
    rb, slips, _ = sample_slips
    docs = SlipDocuments("2013-12", rulebook_title=rb.title)
    pages = {s.manager_id: docs.html(s) for s in slips}
    cjk_ascii = re.compile(r"[\u4e00-\u9fff][,;:]|[,;:][\u4e00-\u9fff]|[\u4e00-\u9fff]\(")
    for mid, html in pages.items():
        body = re.sub(r"<[^>]+>", " ", html.split("<body>", 1)[1])       # cells apart
        body = re.sub(r"max\([^()]*\)", "", body)                 # a formula keeps its ASCII marks
        assert not cjk_ascii.search(body), (mid, cjk_ascii.search(body))
    zs021 = pages["ZS021"]                                     # net income -200,000.00 in 2013-12
    assert '<td class="neg">-200,000.00</td>' in zs021
    # 营销绩效奖 = max(实际净收入, 0) × 30% = max(-200,000.00, 0) × 30% = 0.00
    assert 'max(实际净收入, 0) = max(<span class="neg">-200,000.00</span>, 0) = 0.00 × 30%' in zs021
    # 年终奖: 20,000.00 × (30% + 2%) − 66,000.00 = 6,400.00 − 66,000.00 = -59,600.00 (red)
    assert '<span class="neg">-59,600.00</span>' in zs021
    zs009 = pages["ZS009"]                                     # 仅发基础工资, paid on time
    assert "<td>正常（按时发放，未暂扣；各项金额已按状态“仅发基础工资”计算）</td>" in zs009


def test_one_batch_document_only_for_pages_that_share_a_head() -> None:
    page = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>{t}</title><style>{css}</style>'
            '</head><body><p>{t}</p></body></html>')
    same = [page.format(t=t, css="p{color:red}") for t in ("A", "B", "C")]
    doc = batch_document(same)
    assert doc is not None and doc.count('class="cm-slip-start"') == 3
    assert doc.count("<title>") == 1 and "<p>A</p>" in doc and "<p>C</p>" in doc
    own_css = [page.format(t=t, css=f"@page{{@bottom-center{{content:'{t}'}}}}") for t in ("A", "B")]
    assert batch_document(own_css) is None                     # laid out slip by slip


def test_small_summary_subtotals_and_cell_layout(tmp_path: Path) -> None:
    frame = pl.DataFrame({
        "manager_id": ["A1", "A2", "B1"], "name": ["甲", "乙", "丙"], "branch": ["杭州营业部", "杭州营业部", "宁波营业部"],
        "status_zh": ["在岗", "在岗", "见习"], "level_zh": ["普通客户经理", None, "见习客户经理"],
        "base": [300000, 250000, 200000], "gross_pay": [412345, 250000, 199999],
    })
    columns = [("manager_id", "工号", "text"), ("name", "姓名", "text"), ("branch", "营业部", "text"),
               ("status_zh", "状态", "text"), ("level_zh", "级别", "text"),
               ("base", "基础工资", "money"), ("gross_pay", "应发合计", "money")]
    p = tmp_path / "s.xlsx"
    p.write_bytes(summary_workbook("测试", frame, columns, rank_key="base"))
    wb = openpyxl.load_workbook(p, data_only=True)
    sub = {r[0]: r for r in wb["按营业部汇总"].iter_rows(min_row=2, values_only=True)}
    # 杭州: 2 人, 3,000.00 + 2,500.00 = 5,500.00, 4,123.45 + 2,500.00 = 6,623.45; 宁波: 1 人
    assert sub["杭州营业部"][1:] == ("小计", 2, 5500, 6623.45)
    assert sub["宁波营业部"][1:] == ("小计", 1, 2000, 1999.99)
    assert sub["合计"][2:] == (3, 7500, 8623.44)
    ws = openpyxl.load_workbook(p)["工资汇总"]
    name, money = ws.cell(2, 2), ws.cell(2, 7)
    assert name.alignment.vertical == "center" and name.alignment.indent == 1
    assert money.alignment.vertical == "center" and money.number_format.startswith("#,##0.00_ ")
    assert ws.cell(2, 1).font.name == "等线" and ws.page_setup.paperSize == 9
    assert ws.page_setup.orientation == "landscape"
    levels = [r[0] for r in wb["图表数据"].iter_rows(min_row=2, values_only=True)]
    assert levels == ["见习客户经理", "普通客户经理", "（不分级别）"]   # by base salary, 不分级别 last


def test_exceptions_texts_and_hidden_codes(tmp_path: Path) -> None:
    frame = pl.DataFrame({
        "manager_id": ["A1", "A2"], "name": ["甲", "乙"], "type_zh": ["年终奖亏空结转", "合规奖励金取消"],
        "article": ["S-Art.14", "S-Art.16"],
        "text": ["结转亏空合计 59600.00 元,下年度扣回", "合规奖励金 1600.00 元取消"],
        "amount": [-5960000, -160000], "approval_zh": ["否", "是"],
        "type": ["year_end_deficit", "compliance_forfeited"]})
    columns = [("manager_id", "工号", "text"), ("name", "姓名", "text"), ("type_zh", "类型", "text"),
               ("article", "条款", "text"), ("text", "说明", "text"), ("amount", "金额影响", "money"),
               ("approval_zh", "需审批", "text"), ("type", "类型代码", "text")]
    types = [("year_end_deficit", "年终奖亏空结转", "S-Art.14"), ("compliance_forfeited", "合规奖励金取消", "S-Art.16")]
    p = tmp_path / "e.xlsx"
    p.write_bytes(exceptions_report("测试", frame, columns, types))
    wb = openpyxl.load_workbook(p)
    ws = wb["例外事项"]
    assert [ws.cell(r, 5).value for r in (2, 3)] == ["结转亏空合计 59,600.00 元，下年度扣回", "合规奖励金 1,600.00 元取消"]
    assert ws.column_dimensions["H"].hidden
    summary = wb["汇总"]
    assert summary.cell(1, 2).value == "类型代码" and summary.column_dimensions["B"].hidden
    cached = openpyxl.load_workbook(p, data_only=True)["汇总"]
    rows = {r[1]: r for r in cached.iter_rows(min_row=2, values_only=True)}
    # the forfeiture is a pay effect (影响当月应发), the carried deficit a memo (备查金额): never added
    assert rows["compliance_forfeited"][5] == -1600 and rows["compliance_forfeited"][6] is None
    assert rows["year_end_deficit"][5] is None and rows["year_end_deficit"][6] == -59600
    total = next(r for r in cached.iter_rows(min_row=2, values_only=True) if r[0] == "合计")
    assert total[5:7] == (-1600, -59600)


def test_diff_ignores_punctuation_and_shows_grouped_numbers(sample_slips, tmp_path: Path) -> None:
    _, slips, _ = sample_slips
    slip = next(s for s in slips if s.manager_id == "ZS021")
    a, b, c = tmp_path / "a.xlsx", tmp_path / "b.xlsx", tmp_path / "c.xlsx"
    a.write_bytes(slip_workbook(slip))
    # the same slip as an older version wrote it: ASCII punctuation in every label and text
    wb = openpyxl.load_workbook(a)
    ascii_marks = str.maketrans({"，": ",", "；": ";", "：": ":", "（": "(", "）": ")"})
    for row in wb.active.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.value = cell.value.translate(ascii_marks)
    wb.save(b)
    assert "金额(元)" in [wb.active.cell(r, 2).value for r in range(1, 30)]
    assert diff_workbooks(a, b).equal
    lines = [dataclasses.replace(ln, amount=ln.amount + 1234500) if ln.label == "基础工资" else ln
             for ln in slip.lines]
    c.write_bytes(slip_workbook(dataclasses.replace(slip, lines=lines)))
    res = diff_workbooks(b, c)
    change = next(ch for ch in res.changes if ch.key == "基础工资")
    assert change.delta == Decimal("12345")
    console_text = io.StringIO()
    from rich.console import Console
    Console(file=console_text, width=200).print(*render(res))
    assert "3,000" in console_text.getvalue() and "15,345" in console_text.getvalue() \
        and "+12,345" in console_text.getvalue()


def _pid_after(job: int) -> tuple[int, int]:
    import os
    return job, os.getpid()


def test_render_pool_keeps_order_and_its_workers() -> None:
    import os
    first = list(ordered_map(_pid_after, list(range(8)), 2))
    second = list(ordered_map(_pid_after, list(range(8)), 2))
    assert [j for j, _ in first] == list(range(8)) == [j for j, _ in second]
    workers = {p for _, p in first + second} - {os.getpid()}
    assert len(workers) <= 1                                      # one spawned worker, kept for the second call


def test_a_long_slip_keeps_its_pages_in_a_batch(sample_slips) -> None:
    from pypdf import PdfReader
    rb, slips, _ = sample_slips
    docs = SlipDocuments("2013-12", rulebook_title=rb.title)
    chosen = list(slips[:3])
    chosen[1] = dataclasses.replace(chosen[1], notes=[f"说明第 {k} 条：本月特殊情况，见附件。" for k in range(80)])
    pdfs = list(docs.pdfs([docs.html(s) for s in chosen], [s.manager_id for s in chosen]))
    pages = [PdfReader(io.BytesIO(p)).pages for p in pdfs]
    assert [len(p) > 1 for p in pages] == [False, True, False]
    for slip, own in zip(chosen, pages):
        text = "".join(pg.extract_text() for pg in own)
        assert f"{slip.manager_id} · 2013-12" in text              # the footer of its own pages
        assert all(o.manager_id not in text for o in chosen if o is not slip)
