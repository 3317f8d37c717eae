"""The client aggregation (S-Art.36, SPEC 3.1) and the commission rate (S-Art.13, 14 note, 20; SPEC
3.6) in plain Python, one row at a time — what a first implementation without a dataframe library
would look like. Kept out of the package: it exists only so that `make bench` can show what Polars
buys (the honest answer to "why Polars"), and its results are checked against the package's.

Same integer representation as the package: money in fen, scores in 1/10,000 units, rates in ppm.
"""

from __future__ import annotations

from collections.abc import Iterable


def aggregate(rows: Iterable[tuple]) -> dict[str, list[int]]:
    """rows: (manager_id, origin, is_new, opening, closing, daily_avg, net_income) per client.
    Returns manager_id → [net_income, client_assets, new_client_assets, relationship_assets,
    stock_opening, stock_closing, clients_counted, clients_transferred]."""
    out: dict[str, list[int]] = {}
    for mid, origin, is_new, opening, closing, daily, income in rows:
        a = out.get(mid)
        if a is None:
            a = out[mid] = [0, 0, 0, 0, 0, 0, 0, 0]
        if origin == "transferred":          # S-Art.36: not counted anywhere
            a[7] += 1
            continue
        a[0] += income
        a[1] += closing
        a[3] += daily
        if is_new:
            a[2] += closing
        else:
            a[4] += opening
            a[5] += closing
        a[6] += 1
    return out


def commission_rates(managers: Iterable[tuple], thresholds: tuple[int, ...], sales: tuple[int, ...],
                     advisor: tuple[int, ...], standby_rate: int, veteran_tenure: int,
                     veteran_below: int, veteran_rate: int) -> dict[str, tuple[int, int, bool, int]]:
    """managers: (manager_id, track, status, tenure, cum, n). Returns manager_id → (table rate,
    year-end rate, veteran, applied rate), as commission.rates() computes them."""
    out = {}
    for mid, track, status, tenure, cum, n in managers:
        table = advisor if track == "advisor" else sales
        rate = table[0]
        for t, r in zip(thresholds, table):
            if cum * 12 >= t * n:             # annualized score ≥ t, exactly
                rate = r
        veteran = track == "sales" and tenure >= veteran_tenure and not (cum * 12 >= veteran_below * n)
        year_end = veteran_rate if veteran else rate
        if status == "base_only":
            applied = 0
        elif status in ("standby", "pending_termination"):
            applied = standby_rate
        else:
            applied = year_end
        out[mid] = (rate, year_end, veteran, applied)
    return out


def performance_bonus(net_income: int, rate_ppm: int, fraud: bool) -> int:
    """max(net_income, 0) × rate, half-up to the fen (S-Art.13); 0 in a fraud month."""
    if fraud:
        return 0
    q, r = divmod(max(net_income, 0) * rate_ppm, 1_000_000)
    return q + (1 if 2 * r >= 1_000_000 else 0)
