"""The month's events per manager (SPEC 2 events; 3.10): flags and counts joined to the roster."""

from __future__ import annotations

import polars as pl

FLAGS = ("resignation", "handover_incomplete", "fraud", "compliance_violation", "leave",
         "convert_to_advisor", "terminated", "rehired")
# Events whose date a rule reads (S-Art.9 notice): the earliest of the month, per manager.
DATED = ("resignation", "terminated")


def with_events(df: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    agg = events.group_by("manager_id").agg(
        *[(pl.col("event") == f).any().alias(f"ev_{f}") for f in FLAGS],
        *[pl.col("date").filter(pl.col("event") == f).min().alias(f"ev_{f}_date") for f in DATED],
        (pl.col("event") == "transfer_request").sum().cast(pl.Int32).alias("requests_filed"),
    )
    df = df.join(agg, on="manager_id", how="left")
    return df.with_columns([pl.col(f"ev_{f}").fill_null(False) for f in FLAGS]
                           + [pl.col(f"ev_{f}_date").cast(pl.Date) for f in DATED]
                           + [pl.col("requests_filed").fill_null(0)])
