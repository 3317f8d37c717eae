"""Advisors (理财类, S-Art.22–26): transfer requests, conversion, transfer back (SPEC 3.7,
decisions 12–14, 30)."""

from __future__ import annotations

import polars as pl

from cm_payroll.rulebooks.shared.overrides import OverrideField
from cm_payroll.schema import YES_NO, norm_value

from cm_payroll.rulebooks.securities.params import Params

EMPTY_MONTHS = pl.lit([], pl.List(pl.Int32))


def transfer_requests(df: pl.DataFrame, m: int, p: Params) -> pl.DataFrame:
    """# S-Art.26(二) — 每12个自然月内,理财类客户经理有2次提出转岗申请机会(入职不满12个自然月的,
    可提出1次转岗申请)。超出限制的申请,将记做一次待岗培训。

    Only requests filed while the track is advisor count (decision 14); each one beyond the allowance
    in M−11..M is excess. Whether an excess request triggers standby is the status machine's call.
    """
    is_adv = pl.col("track_eff") == "advisor"
    window_from = m - p.advisor_review.request_window_months + 1
    earlier = pl.when(pl.col("new_employment")).then(EMPTY_MONTHS).otherwise(
        pl.col("s_request_months").fill_null(EMPTY_MONTHS))
    filed = pl.when(is_adv).then(pl.col("requests_filed")).otherwise(0)
    df = df.with_columns(filed.alias("requests_counted"),
                         earlier.list.eval(pl.element().filter(pl.element() >= window_from)).alias("_req_prev"))
    allowed = pl.when(pl.col("employment_month") < 12).then(p.advisor_review.requests_allowed_first_year).otherwise(
        p.advisor_review.requests_allowed)
    total = pl.col("_req_prev").list.len().cast(pl.Int32) + pl.col("requests_counted")
    excess = pl.min_horizontal(pl.max_horizontal(total - allowed, pl.lit(0, pl.Int32)), pl.col("requests_counted"))
    months = pl.concat_list(pl.col("_req_prev"),
                            pl.lit(m, pl.Int32).repeat_by(pl.col("requests_counted")).cast(pl.List(pl.Int32)))
    return df.with_columns(excess.cast(pl.Int32).alias("excess_requests"),
                           allowed.alias("requests_allowed"),
                           months.alias("request_months")).drop("_req_prev")


def conversion_override(tracks: dict[str, str]) -> OverrideField:
    """S-Art.34, decision 26: `convert_to_advisor = 是` forces a rejected conversion; only for a sales
    manager (`tracks`: manager_id → the track in force)."""
    def read(value: str, mid: str):
        if YES_NO.get(norm_value(value)) != "yes":
            return None, "convert_to_advisor takes 是 (to accept a rejected conversion)", False
        if tracks.get(mid) != "sales":
            return None, f"{mid} is not on the sales track: convert_to_advisor does not apply (decision 26)", True
        return True, None, False
    return OverrideField("convert_to_advisor", ("convert_to_advisor", "转理财类"), pl.Boolean, read)


def conversion(df: pl.DataFrame, p: Params, at_least) -> pl.DataFrame:
    """# S-Art.23 — 销售类转理财类: a `convert_to_advisor` event in M converts from M+1 when the manager
    is an active sales manager (decisions 12, 35: anyone else's request, an advisor's included, is
    rejected), certified (证券从业资格) and M's annualized score ≥ the
    conversion minimum [D]; else rejected. An override `convert_to_advisor = 是` forces it (decision 26).
    """
    sales = pl.col("track_eff") == "sales"
    asked = pl.col("ev_convert_to_advisor")          # by anyone: an advisor's request is rejected too (decision 35)
    ok = (sales & (pl.col("status") == "active") & at_least(p.conversion.min_score)
          & (pl.col("certified").fill_null(False) | (not p.conversion.require_certified)))
    forced = pl.col("ov_convert_to_advisor").fill_null(False) & sales
    return df.with_columns((asked & ~ok).alias("conversion_rejected"),
                           ((asked & ok) | forced).alias("converted"))


def transfer_back(df: pl.DataFrame, m: int, p: Params) -> pl.DataFrame:
    """# S-Art.26(一) — 理财类客户经理在考核月出现下述两个条件都未达到的情况…转回销售类:
    1. 存量客户资产流失在10%以内; 2. 连续2个日常定级考核期内达到普通级年化累计积分.

    Evaluated from the second advisor month, in active or standby months (decision 13); the loss test
    is exact: (Σopening − Σclosing) ≤ 10% × Σopening.
    """
    is_adv = pl.col("track_eff") == "advisor"
    since = pl.when(pl.col("new_employment")).then(None).otherwise(pl.col("s_advisor_since"))
    # Decision 30: a newly seen advisor (hired directly, or before the first processed month) is
    # checked from the second processed month.
    first_adv = pl.when(pl.col("new_employment") & is_adv).then(pl.lit(m, pl.Int32)).otherwise(since)
    df = df.with_columns(pl.when(is_adv).then(first_adv).otherwise(None).cast(pl.Int32).alias("advisor_since"))
    eligible = (is_adv & (pl.lit(m, pl.Int32) >= pl.col("advisor_since") + 1)
                & pl.col("status").is_in(["active", "standby"]))
    opening = pl.col("stock_opening").cast(pl.Int128)
    closing = pl.col("stock_closing").cast(pl.Int128)
    loss_ok = (opening - closing) * 1_000_000 <= pl.lit(p.advisor_review.max_stock_loss, pl.Int128) * opening
    prev_ok = (~pl.col("new_employment") & pl.col("s_ann_ok").fill_null(False)
               & (pl.col("s_last_month") == m - 1))
    score_ok = pl.col("ann_ok") & prev_ok
    return df.with_columns(loss_ok.alias("stock_loss_ok"),
                           (eligible & ~loss_ok & ~score_ok).alias("transferred_back"))


def notes(r: dict, _p: Params) -> list[str]:
    out = []
    if r["converted"]:
        out.append("转理财类已通过:下月起按理财类客户经理考核(S-Art.23)。")
    if r["transferred_back"]:
        out.append("下月起转回销售类客户经理(S-Art.26)。")
    return out
