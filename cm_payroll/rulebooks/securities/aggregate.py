"""S-Art.36 and SPEC 3.1: the month's client figures per manager.

S-Art.36: 从公司内部其它营业部转入的客户不得确认为客户经理开发的客户,不作为新增有效户,其资产不计入
新增客户的市值或日均资产,其所创收入不作为收入计算额。
"""

from __future__ import annotations

import polars as pl

AGGREGATE_COLUMNS = ("net_income", "client_assets", "new_client_assets", "relationship_assets",
                     "stock_opening", "stock_closing", "clients_counted", "clients_transferred")


def client_aggregates(clients: pl.DataFrame) -> pl.DataFrame:
    """# S-Art.36 — transferred-in clients are excluded from every figure; one row per manager."""
    counted = pl.col("origin") != "transferred"
    stock = counted & ~pl.col("is_new")
    return clients.group_by("manager_id").agg(
        pl.col("net_income").filter(counted).sum().alias("net_income"),
        pl.col("closing_assets").filter(counted).sum().alias("client_assets"),
        pl.col("closing_assets").filter(counted & pl.col("is_new")).sum().alias("new_client_assets"),
        pl.col("daily_avg_assets").filter(counted).sum().alias("relationship_assets"),
        pl.col("opening_assets").filter(stock).sum().alias("stock_opening"),
        pl.col("closing_assets").filter(stock).sum().alias("stock_closing"),
        counted.sum().cast(pl.Int64).alias("clients_counted"),
        (~counted).sum().cast(pl.Int64).alias("clients_transferred"),
    )
