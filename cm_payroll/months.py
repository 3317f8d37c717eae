"""Months as integers: index = year * 12 + (month - 1). Employment month 1 is the hire month."""

from __future__ import annotations

import datetime as dt
import re

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class MonthFormatError(ValueError):
    pass


def parse_month(text: str) -> int:
    m = _MONTH_RE.match(text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise MonthFormatError(f"not a month (YYYY-MM): {text!r}")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def fmt_month(idx: int) -> str:
    return f"{idx // 12:04d}-{idx % 12 + 1:02d}"


def month_of(idx: int) -> int:
    """Calendar month 1..12."""
    return idx % 12 + 1


def january_of(idx: int) -> int:
    return idx - idx % 12


def month_end(idx: int) -> dt.date:
    y, m = idx // 12, idx % 12 + 1
    nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def month_start(idx: int) -> dt.date:
    return dt.date(idx // 12, idx % 12 + 1, 1)

