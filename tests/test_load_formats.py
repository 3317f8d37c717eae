"""Loading (SPEC 2): the same month read from CSV (UTF-8, GBK), .xlsx with Chinese headers and a title
row, and Parquet gives the same pay; header aliases ignore case, spaces and full-width forms."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import xlsxwriter

from cm_payroll.load import read_table
from cm_payroll.pipeline import load_result, run_month
from cm_payroll.rulebooks.securities.inputs import CLIENTS
from tests.helpers import basic_spec, make_inputs

COMPONENTS = ["base_salary", "allowance", "performance_bonus", "supervision_reward", "gross_pay", "net_income"]


def _pay(inp: Path, out: Path) -> pl.DataFrame:
    run_month("2013-01", inp, out)
    return load_result(out, "2013-01", "pay").select("manager_id", *COMPONENTS)


def test_parquet_and_gbk_and_xlsx_give_the_same_pay(tmp_path: Path) -> None:
    spec = basic_spec(["2013-01"])
    base = make_inputs(tmp_path / "csv", spec)
    expected = _pay(base, tmp_path / "o1")

    # Parquet clients with typed columns (floats for money, booleans for is_new)
    pq = make_inputs(tmp_path / "pq", spec)
    clients = pl.read_csv(pq / "2013-01" / "clients.csv")
    (pq / "2013-01" / "clients.csv").unlink()
    clients.with_columns(pl.col("is_new") == "是").write_parquet(pq / "2013-01" / "clients.parquet")
    assert _pay(pq, tmp_path / "o2").equals(expected)

    # GBK CSV with Chinese headers (as Chinese Excel saves it)
    gbk = make_inputs(tmp_path / "gbk", spec)
    text = (gbk / "2013-01" / "roster.csv").read_text("utf-8")
    text = text.replace("manager_id", "工号").replace("name", "姓名").replace("branch", "营业部") \
        .replace("track", "类别").replace("hire_date", "入职日期").replace("supervisor_id", "片区经理工号") \
        .replace("certified", "证券从业资格").replace("sales", "销售类").replace("advisor", "理财类")
    (gbk / "2013-01" / "roster.csv").write_bytes(text.encode("gbk"))
    assert _pay(gbk, tmp_path / "o3").equals(expected)

    # .xlsx: a merged title row above the header, Chinese headers in full-width/odd case, real dates,
    # a blank row and a 合计 row at the bottom
    xl = make_inputs(tmp_path / "xl", spec)
    rows = pl.read_csv(xl / "2013-01" / "scores.csv").rows()
    (xl / "2013-01" / "scores.csv").unlink()
    wb = xlsxwriter.Workbook(str(xl / "2013-01" / "scores.xlsx"))
    ws = wb.add_worksheet("积分明细")
    ws.merge_range(0, 0, 0, 1, "浙商证券 2013年1月 客户经理积分")
    ws.write_row(1, 0, [" 工号 ", "积分"])
    for i, (mid, score) in enumerate(rows, start=2):
        ws.write_string(i, 0, mid)
        ws.write_number(i, 1, score)
    ws.write_row(len(rows) + 3, 0, ["合计", sum(r[1] for r in rows)])
    wb.close()
    assert _pay(xl, tmp_path / "o4").equals(expected)


def test_header_aliases_and_row_numbers(tmp_path: Path) -> None:
    p = tmp_path / "clients.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet("客户")
    ws.write_row(2, 1, ["ＭＡＮＡＧＥＲ_ＩＤ", "客户号 ", "Origin", "新增客户", "期初资产", "期末资产", "日均资产", "净收入", "备注"])
    ws.write_row(3, 1, ["A1", "C1", "自行开发", "否", 1, 2, 3, "1,234.56"])
    ws.write_datetime(4, 10, dt.datetime(2013, 1, 5))
    wb.close()
    raw, issues = read_table(p, CLIENTS)
    assert not issues
    assert raw.frame.get_column("_row").to_list()[0] == 4            # Excel row of the first data row
    assert raw.headers["manager_id"] == "ＭＡＮＡＧＥＲ_ＩＤ"
    assert raw.frame.get_column("net_income").to_list()[0] == "1,234.56"
