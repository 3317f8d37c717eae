"""The validator's fast paths (issue 5) give exactly what the general parser gives.

- a numeric column spelled plainly is read by a Decimal cast instead of the regex parser;
- a Parquet Decimal / integer column is read without a text round trip;
- a low-cardinality column (工号, categories, yes/no, dates) is typed once per distinct value.
Each is compared, on generated columns, with the row-wise expressions and with Python's Decimal.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cm_payroll import validate
from cm_payroll.load import RawTable
from cm_payroll.rulebooks.securities.inputs import CLIENTS
from cm_payroll.schema import Column

MONEY = Column("x", "金额", "money")
SCORE = Column("x", "积分", "score")


def _general(col: Column, values: list[str | None]) -> list[int | None]:
    df = pl.DataFrame({"x": values}, schema={"x": pl.String})
    val, ok, _ = validate._typed_column(col, pl.col("x"))
    return df.select(pl.when(ok).then(val)).to_series().to_list()


def _fast(col: Column, values: list[str | None]) -> list[int | None]:
    df = pl.DataFrame({"x": values}, schema={"x": pl.String})
    results = []
    for places in (validate._decimals(col), validate._max_places(col)):
        if df.select(pl.col("x").str.contains(validate._plain_pattern(col, places)).fill_null(True).all()).item():
            results.append(df.select(validate._exact_number(col, pl.col("x"), pl.String, places)).to_series().to_list())
    assert results and all(r == results[0] for r in results)     # both casts agree where both apply
    return results[0]


def _half_up(s: str, places: int) -> int:
    return int((Decimal(s) * 10 ** places).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def digits(least: int, most: int) -> st.SearchStrategy[str]:
    """ASCII digits, `least` to `most` of them (st.from_regex is ten times slower to draw)."""
    return st.text(alphabet="0123456789", min_size=least, max_size=most)


plain_money = st.builds(
    lambda neg, ip, fp: ("-" if neg else "") + ip + (("." + fp) if fp else ""),
    st.booleans(), digits(1, 13),
    st.one_of(digits(0, 2), digits(0, 18)))


@settings(max_examples=150, deadline=None)
@given(st.lists(plain_money, min_size=1, max_size=30))
def test_plain_money_fast_path_equals_general_parser_and_decimal(values) -> None:
    fast = _fast(MONEY, values)
    assert fast == _general(MONEY, values)
    assert fast == [_half_up(v, 2) for v in values]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.builds(lambda neg, ip, fp: ("-" if neg else "") + ip + (("." + fp) if fp else ""),
                          st.booleans(), digits(1, 13), digits(0, 4)),
                min_size=1, max_size=30))
def test_plain_score_fast_path_equals_general_parser(values) -> None:
    fast = _fast(SCORE, values)
    assert fast == _general(SCORE, values)
    assert fast == [int(Decimal(v) * 10_000) for v in values]


def test_float_artifacts_round_half_up_from_the_full_digits() -> None:
    values = ["224071.58000000002", "853.9200000000001", "1.2349", "-1.2351", "-0.005", "0.004999999999999999"]
    assert _fast(MONEY, values) == [22407158, 85392, 123, -124, -1, 0]


@pytest.mark.parametrize("spelling", ["1,234.56", "¥12", "1.2E+03", "+5", ".5", "12.", "１２３"])
def test_other_spellings_leave_the_fast_path(spelling) -> None:
    df = pl.DataFrame({"x": [spelling]})
    assert not df.select(pl.col("x").str.contains(validate._plain_pattern(MONEY, validate._max_places(MONEY)))).item()


def _raw(frame: pl.DataFrame) -> RawTable:
    frame = frame.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("_row") + 2,
                               pl.lit(None, pl.String).alias("_sheet"))
    return RawTable(CLIENTS, Path("clients.csv"), None, frame, {}, "0" * 64)


def test_parquet_decimal_and_integer_columns_are_read_exactly() -> None:
    text = pl.DataFrame({
        "manager_id": ["M1", "M1", "M2"], "client_id": ["a", "b", "c"], "origin": ["自行开发"] * 3,
        "is_new": ["否"] * 3, "opening_assets": ["1.50", "0.05", "123456789.99"],
        "closing_assets": ["7", "0", "12"], "daily_avg_assets": ["1", "2", "3"],
        "net_income": ["-0.01", "5.00", "-123.45"]})
    typed = text.with_columns(
        pl.col("opening_assets").cast(pl.Decimal(18, 2)), pl.col("closing_assets").cast(pl.Int32),
        pl.col("daily_avg_assets").cast(pl.Decimal(10, 0)), pl.col("net_income").cast(pl.Decimal(38, 1 + 1)))
    a, ia = validate.type_table(_raw(text))
    b, ib = validate.type_table(_raw(typed))
    assert ia == ib == []
    assert a.equals(b)
    assert b.get_column("opening_assets").to_list() == [150, 5, 12345678999]


id_like = st.sampled_from(["ZS000001", "ZS000002", "zs000002", " M7 ", "ＡＢ12", "a b", "CON", "x/y", "", "M-1_2"])
origin_like = st.sampled_from(["自行开发", "内部转入", " 内部转入", "营销活动", "unknown", "ＭＡＲＫＥＴＩＮＧ", ""])
yes_no_like = st.sampled_from(["是", "否", "Y", "n", " yes", "maybe", ""])


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_typing_by_distinct_values_equals_row_wise(data) -> None:
    n = data.draw(st.integers(8, 60))
    frame = pl.DataFrame({
        "manager_id": data.draw(st.lists(id_like, min_size=n, max_size=n)),
        "client_id": [f"K{i}" for i in range(n)],
        "origin": data.draw(st.lists(origin_like, min_size=n, max_size=n)),
        "is_new": data.draw(st.lists(yes_no_like, min_size=n, max_size=n)),
        "opening_assets": ["1"] * n, "closing_assets": ["1"] * n, "daily_avg_assets": ["1"] * n,
        "net_income": ["1"] * n,
    }).with_columns(pl.all().replace("", None))
    old = validate.DISTINCT_MIN_ROWS
    try:
        validate.DISTINCT_MIN_ROWS = 10**9          # row-wise everywhere
        a, ia = validate.type_table(_raw(frame))
        validate.DISTINCT_MIN_ROWS = 1              # by distinct value wherever it repeats
        b, ib = validate.type_table(_raw(frame))
    finally:
        validate.DISTINCT_MIN_ROWS = old
    assert a.equals(b)
    assert [i.render() for i in ia] == [i.render() for i in ib]


totals_alphabet = st.sampled_from(list("合计總总小计tTsSuUmMoOaAlL ＴＯＴＡＬｓｕｍ\u3000\u00a0ſK1-") + ["合计", "total", "Sum"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(totals_alphabet, max_size=6).map("".join), st.text(max_size=6)),
                min_size=1, max_size=40))
def test_totals_marker_equals_the_nfkc_test_on_every_cell(cells) -> None:
    from cm_payroll.load import grid
    s = pl.Series("c", cells, dtype=pl.String)
    expected = pl.select(grid._is_total(pl.lit(s)).fill_null(False)).to_series()
    assert grid._total_rows(s.to_frame()).to_list() == expected.to_list()


def test_out_of_range_parquet_numbers_are_reported_not_wrapped() -> None:
    n = 3
    base = {"manager_id": ["M1", "M2", "M3"], "client_id": ["a", "b", "c"], "origin": ["自行开发"] * n,
            "is_new": ["否"] * n, "daily_avg_assets": ["1"] * n, "net_income": ["1"] * n}
    frame = pl.DataFrame(base).with_columns(
        pl.Series("opening_assets", [2**63 - 1, -(2**63), 5], dtype=pl.Int64),
        pl.Series("closing_assets", [10**36, 7, 10**12], dtype=pl.Decimal(38, 0)))
    typed, issues = validate.type_table(_raw(frame))
    msgs = [i.render() for i in issues]
    assert len([m for m in msgs if "opening_assets" in m]) == 2, msgs          # both Int64 extremes
    assert len([m for m in msgs if "closing_assets" in m]) == 1, msgs          # 10**36 yuan
    assert typed.get_column("opening_assets").to_list()[2] == 500
    assert typed.get_column("closing_assets").to_list()[1:] == [700, 10**14]
