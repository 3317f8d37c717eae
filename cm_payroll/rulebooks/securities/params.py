"""The securities parameters of one month, converted once to exact integers.

Money → fen, rates → ppm, scores → score units (1/10,000). The values come from rulebook.toml; this
module only changes their representation, never their meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cm_payroll.units import SCORE_SCALE, to_fen, to_ppm


@dataclass(frozen=True)
class Level:
    key: str
    name: str
    min_score: int        # score units
    base_salary: int      # fen
    allowance: int        # fen


@dataclass(frozen=True)
class Params:
    levels: tuple[Level, ...]
    advisor_base: int
    advisor_allowance: int
    prob_months: int
    prob_min_score: int
    prob_min_new_assets: int
    prob_min_client_assets: int
    trigger_window: int
    max_triggers: int
    pass_relationship_assets: int
    thresholds: tuple[int, ...]
    sales_rates: tuple[int, ...]
    advisor_rates: tuple[int, ...]
    standby_rate: int
    veteran_tenure: int
    veteran_below: int
    veteran_rate: int
    tenure_rates: tuple[int, ...]
    year_end_month: int
    supervision_per_head: int
    accrual_rate: int
    payout_month: int
    conversion_min: int
    conversion_certified: bool
    max_stock_loss: int
    request_window: int
    requests_allowed: int
    requests_allowed_first_year: int

    @property
    def ordinary_min(self) -> int:
        return self.level("ordinary").min_score

    def level(self, key: str) -> Level:
        for lv in self.levels:
            if lv.key == key:
                return lv
        raise KeyError(key)

    @property
    def level_names(self) -> dict[str, str]:
        return {lv.key: lv.name for lv in self.levels}


def _units(x: Any) -> int:
    return int(x) * SCORE_SCALE if isinstance(x, int) else int(round(x * SCORE_SCALE))


def build(p: dict[str, Any]) -> Params:
    levels = tuple(Level(str(lv["key"]), str(lv["name"]), _units(lv["min_score"]),
                         to_fen(lv["base_salary"]), to_fen(lv["allowance"])) for lv in p["levels"])
    prob, sb, com = p["probation"], p["standby"], p["commission"]
    vet, comp, conv, adv = p["veteran"], p["compliance"], p["conversion"], p["advisor_review"]
    thresholds = tuple(_units(t) for t in com["thresholds"])
    sales = tuple(to_ppm(r) for r in com["sales"])
    advisor = tuple(to_ppm(r) for r in com["advisor"])
    if not (len(thresholds) == len(sales) == len(advisor)) or list(thresholds) != sorted(thresholds):
        raise ValueError("commission: thresholds, sales and advisor must have the same length, "
                         "thresholds ascending")
    return Params(
        levels=levels,
        advisor_base=to_fen(p["advisor_pay"]["base_salary"]),
        advisor_allowance=to_fen(p["advisor_pay"]["allowance"]),
        prob_months=int(prob["months"]),
        prob_min_score=_units(prob["min_score"]),
        prob_min_new_assets=to_fen(prob["min_new_client_assets"]),
        prob_min_client_assets=to_fen(prob["min_client_assets"]),
        trigger_window=int(sb["trigger_window_months"]),
        max_triggers=int(sb["max_triggers"]),
        pass_relationship_assets=to_fen(sb["pass_relationship_assets"]),
        thresholds=thresholds, sales_rates=sales, advisor_rates=advisor,
        standby_rate=to_ppm(p["standby_rate"]),
        veteran_tenure=int(vet["min_tenure_years"]),
        veteran_below=_units(vet["below_score"]),
        veteran_rate=to_ppm(vet["rate"]),
        tenure_rates=tuple(to_ppm(r) for r in p["year_end"]["tenure_rates"]),
        year_end_month=int(p["year_end"]["month"]),
        supervision_per_head=to_fen(p["supervision"]["per_head"]),
        accrual_rate=to_ppm(comp["accrual_rate"]),
        payout_month=int(comp["payout_month"]),
        conversion_min=_units(conv["min_score"]),
        conversion_certified=bool(conv["require_certified"]),
        max_stock_loss=to_ppm(adv["max_stock_loss"]),
        request_window=int(adv["request_window_months"]),
        requests_allowed=int(adv["requests_allowed"]),
        requests_allowed_first_year=int(adv["requests_allowed_first_year"]),
    )
