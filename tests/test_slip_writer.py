"""The fast slip writer (render/slip_xlsx.py, issue 5) writes byte-for-byte what xlsxwriter writes for
the same slip: every slip of both sample years, and generated slips with hostile text."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import openpyxl
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cm_payroll.months import fmt_month, parse_month
from cm_payroll.pipeline import load_result
from cm_payroll.render import slip_xlsx
from cm_payroll.render.slip_xlsx import slip_workbook
from cm_payroll.render.slips import (
    Slip,
    SlipLine,

    slip_workbook_xlsxwriter,
)
from cm_payroll.rulebook import load_rulebook
from cm_payroll.rulebooks import module_for



@pytest.mark.parametrize("rules", ["securities", "rcc"])
def test_every_sample_slip_is_the_xlsxwriter_file(request, rules: str) -> None:
    out = request.getfixturevalue(f"{rules}_year")
    rb = load_rulebook(rules)
    mod = module_for(rb.id)
    slip_xlsx._SHAPES.clear()
    n = 0
    for m in range(parse_month("2013-01"), parse_month("2013-12") + 1):
        pay = load_result(out, fmt_month(m))
        p = rb.values(m)
        reference = {}
        for slip in mod.slips(pay, m, p):
            reference[slip.manager_id] = slip_workbook_xlsxwriter(slip)
            assert slip_workbook(slip) == reference[slip.manager_id], (fmt_month(m), slip.manager_id)
            n += 1
        # and the files the run wrote are those bytes
        some = sorted((out / fmt_month(m) / "slips").glob("*.xlsx"))[:3]
        for f in some:
            assert f.read_bytes() == reference[f.stem]
    assert n > 400
    assert 1 <= len(slip_xlsx._SHAPES) <= 6          # a handful of shapes, all reproduced
    assert all(sh.members for sh in slip_xlsx._SHAPES.values())


hostile = st.one_of(
    st.text(alphabet=st.sampled_from(list("ab 中文&<>\"'\n\t\r_x0041_\x00\x01\x1f\ufffe\uffff😀=+-@¥")), max_size=12),
    st.sampled_from(["<r>x</r>", "<r><t>a</t></r>", "<r>", " <r>x</r>"]))
plain = st.text(alphabet=st.sampled_from(list("abc工资项目 ")), min_size=1, max_size=8)


def _slips():
    line = st.builds(SlipLine, plain, st.integers(-10**13, 10**13), st.one_of(hostile, plain), hostile)
    pair = st.tuples(st.one_of(plain, hostile.filter(bool)), st.one_of(st.none(), hostile, plain))
    return st.builds(
        Slip, st.just("M001"), st.one_of(plain, hostile.filter(bool)),
        st.lists(pair, max_size=9), st.lists(line, max_size=20), line,
        st.lists(st.tuples(plain, st.one_of(st.none(), hostile)), max_size=4),
        st.lists(hostile, max_size=25))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_slips())
def test_generated_slips_are_the_xlsxwriter_file(slip: Slip) -> None:
    fast, reference = slip_workbook(slip), slip_workbook_xlsxwriter(slip)
    assert fast == reference


def test_text_that_looks_like_rich_text_xml_reads_back_as_written() -> None:
    evil = "<r>x</t></r>"            # xlsxwriter's write_string would put this into the XML as it is
    slip = Slip("M1", "标题", [("姓名", evil)], [SlipLine(evil, 100, "S-Art.1", evil)],
                SlipLine("应发合计", 100, "", ""), notes=[evil])
    data = slip_workbook(slip)
    assert data == slip_workbook_xlsxwriter(slip)
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws["B3"].value == evil and ws["A6"].value == evil and ws["D6"].value == evil
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None


def test_the_fast_slip_reads_back_with_its_formats() -> None:
    slip = Slip("M1", "某营业部 2013年12月 薪酬单", [("工号", "M1"), ("姓名", " 张三 ")],
                [SlipLine("绩效奖金", 185_185, "S-Art.13", "12,345.67 × 15%"), SlipLine("扣款", -1, "", "")],
                SlipLine("应发合计", 185_184, "S-Art.20", "各项之和"), [("累计应发", "1,851.84")], ["说明"])
    data = slip_workbook(slip)
    assert data == slip_workbook_xlsxwriter(slip)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["薪酬单"]
    assert ws["A1"].value == slip.title and "A1:D1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["B3"].value == "M1" and ws["D3"].value == " 张三 "
    assert ws["B6"].value == 1851.85 and ws["B6"].number_format.startswith("#,##0.00")
    assert ws["B7"].value == -0.01 and ws["B8"].value == 1851.84 and ws["B8"].font.b
    assert wb.properties.title == slip.title


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(-(2**53) + 1, 2**53 - 1), st.integers(-(2**53) + 1, 2**53 - 1),
                          st.integers(-(2**53) + 1, 2**53 - 1)), min_size=1, max_size=60))
def test_table_cells_hold_the_double_nearest_the_amount(values) -> None:
    """render/tables.py writes each amount (fen, ppm, score units) as the double nearest the exact
    decimal (Polars' division of a column by a constant is not always: [113, 57] / 100 gave
    1.1300000000000001, 0.5700000000000001): the cells of a table workbook, read back."""
    from cm_payroll.render.tables import table_workbook
    from cm_payroll.units import RATE_SCALE, SCORE_SCALE
    columns = [("m", "金额", "money"), ("r", "比例", "rate"), ("s", "积分", "score")]
    frame = pl.DataFrame(values, schema={"m": pl.Int64, "r": pl.Int64, "s": pl.Int64}, orient="row")
    ws = openpyxl.load_workbook(io.BytesIO(table_workbook("t", "表", frame, columns, totals=False,
                                                          sign_off=False))).active
    cells = [row for row in ws.iter_rows(min_row=2, max_row=len(values) + 1, values_only=True)]
    assert cells == [(float(Decimal(m) / 100), float(Decimal(r) / RATE_SCALE), float(Decimal(s) / SCORE_SCALE))
                     for m, r, s in values]


HOSTILE = ["", " lead", "trail ", "\tx", "x\n", "_x0000_", "a\x00b\x1fc", "\ufffe\uffff", "🙂" * 3, "普通 文本",
           "_x005F_x0041_", "\x0b\x0c", "=SUM(A1)"]


@pytest.mark.parametrize("s", HOSTILE)
def test_owned_xml_rules_equal_xlsxwriters(s: str) -> None:
    """slip_xlsx owns three rules xlsxwriter keeps private; they must agree with xlsxwriter's."""
    from xlsxwriter.utility import _preserve_whitespace, _utf16_len
    from xlsxwriter.xmlwriter import XMLwriter
    assert slip_xlsx._escape_control(s) == XMLwriter._escape_control_characters(s)
    assert slip_xlsx._preserve_whitespace(s) == bool(_preserve_whitespace(s))
    assert slip_xlsx._utf16_len(s) == _utf16_len(s)
