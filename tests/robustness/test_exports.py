"""Real exports, as back-office systems and Excel/WPS write them (issue 6).

The month is the small valid 2013-01 of tests/bad_input/month.py (roster, scores, clients of A1, A2,
B1). Each case lays the same data out as a clerk's file does — title rows merged above the header,
blank rows, a 合计 row, a notes sheet first and an old hidden sheet, numbers typed as text with
thousands separators, full-width digits, 元/¥/RMB, dates as Excel serials or 2013/1/5 or 2013年1月5日,
percentages — writes it as LibreOffice's own flat ODF (.fods) or as CSV, and has LibreOffice
(`soffice --headless --convert-to`) turn it into .xlsx and .xls (BIFF8), as a clerk's "Save as" does.
Raw CSV (UTF-8 with/without BOM, GBK, GB18030) and Parquet are written directly.

Each file either loads to the hand-checked values below (typed: ids, codes, dates, fen, score units;
and for a few, the computed pay equals the pay of the plain month) or fails with a clear error naming
file, sheet, row and column. Counts are reported by test_export_counts.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from cm_payroll.months import parse_month
from cm_payroll.rulebooks import module_for
from cm_payroll.validate import load_month
from tests.bad_input.month import valid_month

MONTH = "2013-01"
MOD = module_for("securities")

# --------------------------------------------------------------------------------------------- expectations
# Checked by hand against tests/bad_input/month.py: money in fen, scores in 1/10,000.
ROSTER = {
    "A1": ("张三", "杭州营业部", "sales", dt.date(2011, 3, 1), None, True, False),
    "A2": ("李四", "杭州营业部", "sales", dt.date(2012, 5, 10), "A1", True, False),
    "B1": ("王五", "宁波营业部", "advisor", dt.date(2010, 7, 15), None, False, False),
}
SCORES = {"A1": 30_000_000, "A2": 25_005_000, "B1": 40_000_000}
CLIENTS = {
    ("A1", "C1"): ("developed", False, 200_000_000, 210_000_000, 205_000_000, 1_000_000),
    ("A1", "C2"): ("transferred", False, 30_000_000, 30_000_000, 30_000_000, 150_000),
    ("A2", "C1"): ("developed", True, 0, 50_000_000, 25_000_000, 300_050),
    ("B1", "C9"): ("developed", False, 500_000_000, 500_000_000, 500_000_000, 800_000),
}
R_COLS = ["name", "branch", "track", "hire_date", "supervisor_id", "certified", "dedicated_collection"]
C_COLS = ["origin", "is_new", "opening_assets", "closing_assets", "daily_avg_assets", "net_income"]
ROSTER_H = ["工号", "姓名", "营业部", "类别", "入职日期", "片区经理工号", "证券从业资格", "专责清收"]
SCORES_H = ["工号", "积分"]
CLIENTS_H = ["工号", "客户号", "客户来源", "新增客户", "期初资产", "期末资产", "日均资产", "净收入"]


def typed(folder: Path):
    return load_month(folder, parse_month(MONTH), MOD.FILES, "", MOD.TRACKS)


def assert_expected(folder: Path) -> None:
    inputs, issues = typed(folder)
    assert not issues, "\n".join(i.render() for i in issues)
    r = inputs["roster"]
    assert {row[0]: tuple(row[1:]) for row in r.select("manager_id", *R_COLS).iter_rows()} == ROSTER
    s = inputs["scores"]
    assert dict(s.select("manager_id", "score").iter_rows()) == SCORES
    c = inputs["clients"]
    assert {(row[0], row[1]): tuple(row[2:]) for row in c.select("manager_id", "client_id", *C_COLS).iter_rows()} \
        == CLIENTS


# --------------------------------------------------------------------------------------------- flat ODF

@dataclass
class Pct:
    value: str                      # "0.25": a number shown as 25%


@dataclass
class Serial:
    days: int                       # an Excel date serial typed as a plain number


@dataclass
class Formula:
    of: str                         # OpenFormula, e.g. "of:=[.E4]+[.F4]"
    value: Decimal                  # the value LibreOffice shows (and caches)


@dataclass
class Title:
    text: str
    span: int                       # merged across this many columns


def _cell(v) -> str:
    if v is None:
        return "<table:table-cell/>"
    if isinstance(v, Title):
        return (f'<table:table-cell table:number-columns-spanned="{v.span}" office:value-type="string">'
                f"<text:p>{html.escape(v.text)}</text:p></table:table-cell>"
                + "<table:covered-table-cell/>" * (v.span - 1))
    if isinstance(v, str):
        return f'<table:table-cell office:value-type="string"><text:p>{html.escape(v)}</text:p></table:table-cell>'
    if isinstance(v, dt.date):
        return (f'<table:table-cell table:style-name="ce_date" office:value-type="date" '
                f'office:date-value="{v.isoformat()}"><text:p>{v.isoformat()}</text:p></table:table-cell>')
    if isinstance(v, Pct):
        return (f'<table:table-cell table:style-name="ce_pct" office:value-type="percentage" '
                f'office:value="{v.value}"><text:p>{Decimal(v.value) * 100:f}%</text:p></table:table-cell>')
    if isinstance(v, Serial):
        return f'<table:table-cell office:value-type="float" office:value="{v.days}"><text:p>{v.days}</text:p></table:table-cell>'
    if isinstance(v, Formula):
        return (f'<table:table-cell table:style-name="ce_grp" table:formula="{html.escape(v.of)}" '
                f'office:value-type="float" office:value="{v.value}"><text:p>{v.value:,}</text:p></table:table-cell>')
    if isinstance(v, (int, float, Decimal)):
        return (f'<table:table-cell table:style-name="ce_grp" office:value-type="float" office:value="{v}">'
                f"<text:p>{v:,}</text:p></table:table-cell>")
    raise TypeError(v)


def fods(sheets: list[tuple[str, list[list], bool]]) -> str:
    """A flat ODF spreadsheet: [(sheet name, rows, hidden)]."""
    tables = []
    for name, rows, hidden in sheets:
        body = "".join(f"<table:table-row>{''.join(_cell(v) for v in row) or '<table:table-cell/>'}</table:table-row>"
                       for row in rows)
        tables.append(f'<table:table table:name="{html.escape(name)}" table:style-name="{"ta_hide" if hidden else "ta_show"}">'
                      f"{body}</table:table>")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2"
 office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
<office:automatic-styles>
 <number:number-style style:name="N_grp"><number:number number:decimal-places="2" number:min-integer-digits="1" number:grouping="true"/></number:number-style>
 <number:percentage-style style:name="N_pct"><number:number number:decimal-places="0" number:min-integer-digits="1"/><number:text>%</number:text></number:percentage-style>
 <number:date-style style:name="N_date"><number:year number:style="long"/><number:text>-</number:text><number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/></number:date-style>
 <style:style style:name="ce_grp" style:family="table-cell" style:data-style-name="N_grp"/>
 <style:style style:name="ce_pct" style:family="table-cell" style:data-style-name="N_pct"/>
 <style:style style:name="ce_date" style:family="table-cell" style:data-style-name="N_date"/>
 <style:style style:name="ta_show" style:family="table"><style:table-properties table:display="true"/></style:style>
 <style:style style:name="ta_hide" style:family="table"><style:table-properties table:display="false"/></style:style>
</office:automatic-styles>
<office:body><office:spreadsheet>{"".join(tables)}</office:spreadsheet></office:body></office:document>
"""


# --------------------------------------------------------------------------------------------- layouts

def _base_rows(stem: str) -> list[list]:
    return [list(r) for r in valid_month().sheet(stem).rows]


def report_layout(stem: str) -> list[tuple[str, list[list], bool]]:
    """A notes sheet first, an old hidden sheet with the same header (wrong data), then the data: two
    merged title rows, a blank row, the header, the rows with a blank row among them, a 合计 row."""
    header = {"roster": ROSTER_H, "scores": SCORES_H, "clients": CLIENTS_H}[stem]
    rows = _base_rows(stem)
    n = len(header)
    old = [header] + [[r[0], *(["旧数据"] * (n - 1))] for r in rows]
    titles = {"roster": "浙商证券 2013年1月 客户经理花名册", "scores": "浙商证券 2013年1月 客户经理积分",
              "clients": "浙商证券 2013年12月 客户资产明细"}
    body = [[Title(titles[stem], n)], [Title("制表:财务部   单位:元   导出时间:2013-02-01 08:30", n)], [],
            header, *rows[:2], [], *rows[2:]]
    first = 5                                   # Excel row of the first data row
    last = first + len(rows)                   # one blank row among them
    if stem == "clients":
        body.append(["合计", None, None, None, *(Formula(f"of:=SUM([.{c}{first}:.{c}{last}])",
                                                         sum(Decimal(str(r[j])) for r in rows))
                                                 for j, c in zip(range(4, 8), "EFGH"))])
    elif stem == "scores":
        body.append(["合计", Formula(f"of:=SUM([.B{first}:.B{last}])", sum(Decimal(str(r[1])) for r in rows))])
    else:
        body.append(["合计", f"{len(rows)}人", *([None] * (n - 2))])
    return [("说明", [["本表由集中交易系统导出,请勿修改表头。"], ["数据截至 2013-01-31"]], False),
            ("旧版", old, True), ({"roster": "花名册", "scores": "积分", "clients": "客户资产"}[stem], body, False)]


TEXT_MONEY = {   # (manager, client) → the four amounts typed as text, as exports and clerks spell them
    ("A1", "C1"): ["2,000,000.00", "¥2,100,000", "2050000元", "１０，０００"],
    ("A1", "C2"): ["RMB300,000", "300,000.00 元", "￥300000", "1,500.00"],
    ("A2", "C1"): ["0", "５０００００", "250,000", "3,000.50"],
    ("B1", "C9"): ["5,000,000", "5000000.00", "5,000,000.000", "8,000"],
}


def text_layout(stem: str) -> list[tuple[str, list[list], bool]]:
    """Numbers stored as text; hire dates as an Excel serial, 2012/5/10 and 2010年7月15日."""
    header = {"roster": ROSTER_H, "scores": SCORES_H, "clients": CLIENTS_H}[stem]
    rows = _base_rows(stem)
    if stem == "roster":
        rows[0][4] = Serial((dt.date(2011, 3, 1) - dt.date(1899, 12, 30)).days)
        rows[1][4] = "2012/5/10"
        rows[2][4] = "2010年7月15日"
    elif stem == "scores":
        for r, text in zip(rows, ["3,000", "2,500.5", "４０００"]):
            r[1] = text
    else:
        for r in rows:
            r[4:8] = TEXT_MONEY[(r[0], r[1])]
    return [({"roster": "花名册", "scores": "积分", "clients": "客户资产"}[stem], [header, *rows], False)]


def formula_layout(stem: str) -> list[tuple[str, list[list], bool]]:
    """Amounts computed by formulas in the sheet (cached values, as LibreOffice and Excel save them)."""
    sheets = text_layout("roster") if stem == "roster" else [(stem, [], False)]
    if stem == "clients":
        rows = _base_rows(stem)
        body = [CLIENTS_H]
        for i, r in enumerate(rows, start=2):
            closing = Decimal(str(r[5]))
            r[5] = Formula(f"of:=[.E{i}]+{closing - Decimal(str(r[4]))}", closing)
            r[6] = Formula(f"of:=([.E{i}]+[.F{i}])/2", (Decimal(str(r[4])) + closing) / 2)
            body.append(r)
        sheets = [("客户资产", body, False)]
    elif stem == "scores":
        sheets = [("积分", [SCORES_H, *_base_rows(stem)], False)]
    return sheets


def percent_layout(stem: str) -> list[tuple[str, list[list], bool]]:
    """A2's 净收入 typed as 25% (a percentage in an amount column)."""
    sheets = formula_layout(stem) if stem != "clients" else [("客户资产", [CLIENTS_H, *_base_rows(stem)], False)]
    if stem == "clients":
        sheets[0][1][3][7] = Pct("0.25")                # Excel row 4: A2, C1
    return sheets


def footnote_layout(stem: str) -> list[tuple[str, list[list], bool]]:
    """A footnote below the 合计 row of the clients export: not data, so it must be reported, not
    guessed away."""
    sheets = report_layout(stem)
    if stem == "clients":
        sheets[2][1].append(["注:内部转入客户不计入考核。", *([None] * 7)])
    return sheets


# A daily-average amount in the CSV is the mean of the other two; the CSV spells things as a clerk types
# them, and LibreOffice (en-US) recognises 1,234.56 and 2013-01-05 as numbers and dates, not 2013/1/5 or
# 2013年1月5日, which stay text.
CSV = {
    "roster": "工号,姓名,营业部,类别,入职日期,片区经理工号,证券从业资格,专责清收\r\n"
              "A1,张三,杭州营业部,销售类,2011-03-01,,是,否\r\n"
              "A2,李四,杭州营业部,销售类,2012/5/10,A1,是,否\r\n"
              "B1,王五,宁波营业部,理财类,2010年7月15日,,否,否\r\n",
    "scores": "工号,积分\r\nA1,\"3,000\"\r\nA2,2500.5\r\nB1,４０００\r\n",
    "clients": "工号,客户号,客户来源,新增客户,期初资产,期末资产,日均资产,净收入\r\n"
               "A1,C1,自行开发,否,\"2,000,000.00\",\"￥2,100,000\",2050000元,\"10,000\"\r\n"
               "A1,C2,内部转入,否,300000,300000,300000,1500\r\n"
               "A2,C1,自行开发,是,0,\"500,000\",\"250,000.00\",3000.50\r\n"
               "B1,C9,自行开发,否,5000000,5000000,5000000,8000\r\n",
}
CSV_PERCENT = CSV["clients"].replace(",3000.50\r\n", ",25%\r\n")

LAYOUTS = {"report": report_layout, "text": text_layout, "formulas": formula_layout, "percent": percent_layout,
           "footnote": footnote_layout}


@pytest.fixture(scope="module")
def converted(libreoffice, shared_cache) -> dict[tuple[str, str, str], Path]:
    """{(layout, stem, format): file made by LibreOffice} for every layout as .xlsx and .xls, and the
    CSV months (plain and with 25%) as .xlsx and .xls; converted once per test session."""
    with shared_cache("libreoffice-exports") as (folder, fresh):
        if fresh:
            src = folder / "sources"
            src.mkdir()
            fods_files, csv_files = [], []
            for name, layout in LAYOUTS.items():
                for stem in ("roster", "scores", "clients"):
                    p = src / f"{name}__{stem}.fods"
                    p.write_text(fods(layout(stem)), encoding="utf-8")
                    fods_files.append(p)
            for name, text in {"csv__roster": CSV["roster"], "csv__scores": CSV["scores"],
                               "csv__clients": CSV["clients"], "csvpct__clients": CSV_PERCENT}.items():
                p = src / f"{name}.csv"
                p.write_text(text, encoding="utf-8")
                csv_files.append(p)
            for fmt in ("xlsx", "xls"):
                libreoffice.convert(fods_files, fmt, folder / fmt)
                libreoffice.convert(csv_files, fmt, folder / fmt, infilter="CSV:44,34,76,1")
        out = {}
        for fmt in ("xlsx", "xls"):
            for path in sorted((folder / fmt).glob(f"*.{fmt}")):
                layout, stem = path.stem.split("__")
                out[(layout, stem, fmt)] = path
        return out


def month_of(tmp: Path, files: dict[str, Path | bytes]) -> Path:
    """A 2013-01 folder: the plain month's files, with `files` (stem → file or bytes) in their place."""
    folder = valid_month().write(tmp / "in")
    for stem, f in files.items():
        for old in folder.glob(f"{stem}.*"):
            old.unlink()
        if isinstance(f, Path):
            (folder / f"{stem}{f.suffix}").write_bytes(f.read_bytes())
        else:
            name, data = f
            (folder / name).write_bytes(data)
    return folder


@pytest.fixture(scope="module")
def reference_pay(tmp_path_factory) -> pl.DataFrame:
    from cm_payroll.pipeline import load_result, run_month
    base = tmp_path_factory.mktemp("ref")
    valid_month().write(base / "in")
    run_month(MONTH, base / "in", base / "out")
    return load_result(base / "out", MONTH, "pay")


def same_pay(folder: Path, reference: pl.DataFrame) -> None:
    from cm_payroll.pipeline import load_result, run_month
    out = folder.parent.parent / "out"
    run_month(MONTH, folder.parent, out)
    assert load_result(out, MONTH, "pay").equals(reference)


# --------------------------------------------------------------------------------------------- cases

LOADS = [(layout, fmt) for layout in ("report", "text", "formulas", "csv") for fmt in ("xlsx", "xls")]


@pytest.mark.parametrize("layout,fmt", LOADS, ids=[f"{a}-{b}" for a, b in LOADS])
def test_libreoffice_export_loads(converted, reference_pay, tmp_path: Path, layout: str, fmt: str) -> None:
    folder = month_of(tmp_path, {stem: converted[(layout, stem, fmt)] for stem in ("roster", "scores", "clients")})
    assert_expected(folder)
    if layout in ("report", "text"):
        same_pay(folder, reference_pay)


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_libreoffice_percentage_in_an_amount_column_is_an_error(converted, tmp_path: Path, fmt: str) -> None:
    for source in ("percent", "csvpct"):
        folder = month_of(tmp_path / source, {"clients": converted[(source, "clients", fmt)]})
        _, issues = typed(folder)
        assert [(i.file, i.row, i.column) for i in issues] == [(f"clients.{fmt}", 4, "净收入")], \
            [i.render() for i in issues]
        assert "percentage" in issues[0].message and "25%" in issues[0].message


def test_csv_percentage_in_an_amount_column_is_an_error(tmp_path: Path) -> None:
    folder = month_of(tmp_path, {"clients": ("clients.csv", CSV_PERCENT.encode("utf-8"))})
    _, issues = typed(folder)
    assert [(i.file, i.row, i.column) for i in issues] == [("clients.csv", 4, "净收入")]
    assert "'25%'" in issues[0].message and "not an amount" in issues[0].message


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_footnote_below_the_totals_row_is_reported(converted, tmp_path: Path, fmt: str) -> None:
    folder = month_of(tmp_path, {"clients": converted[("footnote", "clients", fmt)]})
    _, issues = typed(folder)
    where = {(i.file, i.sheet, i.row, i.column) for i in issues}
    assert (f"clients.{fmt}", "客户资产", 11, "工号") in where, [i.render() for i in issues]
    assert all(i.row == 11 for i in issues), [i.render() for i in issues]


# --------------------------------------------------------------------------------------------- CSV, Parquet

GB18030_ONLY = "王䶮"          # 䶮 (U+4DAE) is in GB18030, not in GBK


@pytest.mark.parametrize("encoding,bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gbk", b""),
                                          ("gb18030", b"")])
def test_csv_encodings_load(tmp_path: Path, reference_pay: pl.DataFrame, encoding: str, bom: bytes) -> None:
    files = {stem: (f"{stem}.csv", bom + CSV[stem].encode(encoding)) for stem in CSV}
    folder = month_of(tmp_path, files)
    assert_expected(folder)
    same_pay(folder, reference_pay)


def test_gb18030_name(tmp_path: Path) -> None:
    text = CSV["roster"].replace("王五", GB18030_ONLY)
    folder = month_of(tmp_path, {"roster": ("roster.csv", text.encode("gb18030"))})
    inputs, issues = typed(folder)
    assert not issues
    assert inputs["roster"].filter(pl.col("manager_id") == "B1")["name"].to_list() == [GB18030_ONLY]


def test_gbk_text_behind_a_utf8_bom_is_a_clear_error(tmp_path: Path) -> None:
    """A GBK BOM does not exist; a tool that puts the UTF-8 BOM before GBK text wrote a broken file."""
    folder = month_of(tmp_path, {"roster": ("roster.csv", b"\xef\xbb\xbf" + CSV["roster"].encode("gbk"))})
    _, issues = typed(folder)
    assert [(i.file, i.row) for i in issues] == [("roster.csv", None)]
    assert "UTF-8 or GBK" in issues[0].message


def test_parquet_with_typed_columns(tmp_path: Path, reference_pay: pl.DataFrame) -> None:
    """Parquet as a data warehouse writes it: Decimal and float money, integer scores, a Date column,
    booleans, English headers."""
    base = valid_month()
    r = base.sheet("roster")
    roster = pl.DataFrame({
        "manager_id": [x[0] for x in r.rows], "姓名": [x[1] for x in r.rows], "branch": [x[2] for x in r.rows],
        "track": [x[3] for x in r.rows], "hire_date": [x[4] for x in r.rows],
        "supervisor_id": [x[5] for x in r.rows], "certified": [x[6] == "是" for x in r.rows],
        "dedicated_collection": [False] * 3})
    c = base.sheet("clients")
    clients = pl.DataFrame({
        "manager_id": [x[0] for x in c.rows], "client_id": [x[1] for x in c.rows],
        "origin": [x[2] for x in c.rows], "is_new": [x[3] == "是" for x in c.rows],
        "opening_assets": pl.Series([Decimal(str(x[4])) for x in c.rows], dtype=pl.Decimal(18, 2)),
        "closing_assets": [float(x[5]) for x in c.rows], "daily_avg_assets": [int(x[6]) for x in c.rows],
        "net_income": pl.Series([Decimal(str(x[7])) for x in c.rows], dtype=pl.Decimal(20, 4))})
    scores = pl.DataFrame({"工号": ["A1", "A2", "B1"], "积分": [3000.0, 2500.5, 4000.0]})
    files = {}
    for stem, df in (("roster", roster), ("clients", clients), ("scores", scores)):
        p = tmp_path / f"{stem}.parquet"
        df.write_parquet(p)
        files[stem] = p
    folder = month_of(tmp_path, files)
    assert_expected(folder)
    same_pay(folder, reference_pay)
