"""units.py against an independent computation (Python's Decimal, ROUND_HALF_UP), Python and Polars
sides alike."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from cm_payroll import units

FEN = st.integers(min_value=-(10**15), max_value=10**15)


@settings(max_examples=300, deadline=None)
@given(FEN)
def test_yuan_text_is_decimals(fen: int) -> None:
    d = Decimal(fen) / 100
    assert units.yuan(fen) == f"{d:,.2f}"
    assert units.yuan(fen, grouped=False) == f"{d:.2f}"
    assert units.yuan_decimal(fen) == d.quantize(Decimal("0.01"))


@settings(max_examples=50, deadline=None)
@given(st.lists(FEN, min_size=1, max_size=50))
def test_polars_texts_equal_python_texts(values: list[int]) -> None:
    f = pl.DataFrame({"v": values}, schema={"v": pl.Int64})
    got = f.select(units.yuan_expr("v").alias("g"), units.yuan_expr("v", grouped=False).alias("u"),
                   units.yuan_expr("v", signed=False).alias("a"), units.hundredths_expr("v").alias("h"),
                   units.score_expr("v").alias("s"))
    assert got.get_column("g").to_list() == [units.yuan(v) for v in values]
    assert got.get_column("u").to_list() == [units.yuan(v, grouped=False) for v in values]
    assert got.get_column("a").to_list() == [units.yuan(abs(v)) for v in values]
    assert got.get_column("h").to_list() == [units.hundredths(v, grouped=False) for v in values]
    assert got.get_column("s").to_list() == [units.score(v, grouped=False) for v in values]


@settings(max_examples=300, deadline=None)
@given(FEN, st.integers(min_value=0, max_value=2_000_000))
def test_apply_rate_rounds_half_up_per_product(fen: int, ppm: int) -> None:
    want = int((Decimal(fen) * Decimal(ppm) / 1_000_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    got = pl.DataFrame({"f": [fen]}).select(units.apply_rate(pl.col("f"), ppm)).item()
    assert got == want


def test_rate_and_score_texts() -> None:
    assert units.rate(150_000) == "15%" and units.rate(3_000) == "0.3%" and units.rate(3_000, permille=True) == "3‰"
    assert units.rate(70_000, permille=True) == "7%" and units.rate(None) == ""
    assert units.score(76_005_000) == "7,600.5" and units.score(76_000_000) == "7,600"
    assert units.hundredths(10_238) == "102.38" and units.hundredths(-5) == "-0.05"
