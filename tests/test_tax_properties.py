"""Property tests of the income tax engine: a whole year of random months for a few managers, computed
by compute_tax and by an independent model written here in plain Python `Decimal` from the text of
SPEC 9 (it shares nothing with the module: its own tables, its own loop over months and managers).
Both eras are drawn: monthly (2011 table and 3,500; the 2018-10 table and 5,000) and cumulative (2019+,
全年6万减除 from 2020-07, the bonus under 财税〔2018〕164号 through 2027-12, wages after).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cm_payroll.rulebook import load_rulebook
from cm_payroll.rulebooks.tax import compute_tax, params_at

TAX = load_rulebook("tax")
D = Decimal
CENT = D("0.01")

# SPEC 9, as quoted: (upper bound, rate, quick deduction); None = above.
MONTHLY_2011 = [(1500, "0.03", 0), (4500, "0.10", 105), (9000, "0.20", 555), (35000, "0.25", 1005),
                (55000, "0.30", 2755), (80000, "0.35", 5505), (None, "0.45", 13505)]
MONTHLY_2018 = [(3000, "0.03", 0), (12000, "0.10", 210), (25000, "0.20", 1410), (35000, "0.25", 2660),
                (55000, "0.30", 4410), (80000, "0.35", 7160), (None, "0.45", 15160)]
ANNUAL = [(36000, "0.03", 0), (144000, "0.10", 2520), (300000, "0.20", 16920), (420000, "0.25", 31920),
          (660000, "0.30", 52920), (960000, "0.35", 85920), (None, "0.45", 181920)]


def bracket(base: Decimal, table, divisor: int = 1) -> int:
    """The first bracket whose bound the base (÷ divisor: "B ÷ 12 finds the rate") does not exceed."""
    for i, (upto, _, _) in enumerate(table):
        if upto is None or base / divisor <= upto:
            return i
    raise AssertionError


def tax_in(base: Decimal, table, i: int) -> Decimal:
    _, rate, quick = table[i]
    return max(D(0), (base * D(rate) - quick).quantize(CENT, rounding=ROUND_HALF_UP))


def tax_by(base: Decimal, table, divisor: int = 1) -> Decimal:
    return tax_in(base, table, bracket(base, table, divisor))


def yuan(fen: int) -> Decimal:
    return D(fen) / 100


def fen(y: Decimal) -> int:
    return int((y * 100).to_integral_value())


@dataclass
class Person:
    year_income: Decimal = D(0)
    year_ins: Decimal = D(0)
    year_sa: Decimal = D(0)
    months: int = 0
    withheld: Decimal = D(0)
    carried: Decimal = D(0)
    flag: bool = False          # 全年6万减除 as last given this year (a month without a row keeps it)
    withheld_path: list = field(default_factory=list)


def model_month(year: int, month: int, p: Person, pay: dict, ded: dict | None, computed: bool) -> dict:
    """One manager's month of receipt by SPEC 9's text."""
    gross, y, rec, pb = (yuan(pay[k]) for k in ("gross", "bonus", "recovery", "pb"))
    # What is taxed: the paid Y less max(0, |recovery| − performance_bonus); wages are the rest of gross
    taxed_bonus = max(D(0), y - max(D(0), abs(rec) - pb))
    wages = gross - taxed_bonus
    d = {k: yuan(v) for k, v in (ded or {}).items() if k != "flag"}
    social = d.get("pension", D(0)) + d.get("medical", D(0)) + d.get("unemployment", D(0))
    fund, sa, other = d.get("fund", D(0)), d.get("sa", D(0)), d.get("other", D(0))
    ins = social + fund
    ym = (year, month)
    apart = taxed_bonus > 0 and ym < (2028, 1)          # 164号 extended through 2027-12
    if not apart:
        wages += taxed_bonus
    wage_tax = bonus_tax = D(0)
    trap = None
    if ym < (2019, 1):
        basic, table = (3500, MONTHLY_2011) if ym < (2018, 10) else (5000, MONTHLY_2018)
        if computed:
            wage_tax = tax_by(max(D(0), wages - ins - basic), table)
        shortfall = max(D(0), basic - (wages - ins))
        base = max(D(0), taxed_bonus - shortfall)
    else:
        table = MONTHLY_2018                             # the monthly-converted table of 2018-10
        p.year_income += wages
        p.year_ins += ins
        p.year_sa += sa
        p.months += 1
        if ded is not None:
            p.flag = bool(ded["flag"])
        deduction = D(60000) if p.flag and ym >= (2020, 7) else D(5000) * p.months
        taxable = max(D(0), p.year_income - deduction - p.year_ins - p.year_sa)
        if computed:
            wage_tax = max(D(0), tax_by(taxable, ANNUAL) - p.withheld)
            p.withheld += wage_tax
        base = taxed_bonus
    if apart and computed:
        bonus_tax = tax_by(base, table, 12)
        k = bracket(base, table, 12)
        if k > 0:
            # the boundary amount: the bonus lowered until B ÷ 12 is the bound below
            b0 = D(12 * table[k - 1][0])
            at_boundary = (taxed_bonus - (base - b0)) - tax_in(b0, table, k - 1)
            lost = at_boundary - (taxed_bonus - bonus_tax)
            trap = lost if lost > 0 else None
    p.withheld_path.append(p.withheld)
    if not computed:
        return {"income_tax": D(0), "bonus_tax": D(0), "net_pay": None, "carry_forward": p.carried, "trap": None}
    raw = gross - social - fund - wage_tax - bonus_tax - other - p.carried
    p.carried = max(D(0), -raw)
    return {"income_tax": wage_tax, "bonus_tax": bonus_tax, "net_pay": max(D(0), raw), "carry_forward": p.carried,
            "trap": trap}


money = st.integers(min_value=0, max_value=8_000_000)


@st.composite
def scenario(draw):
    year = draw(st.sampled_from([2012, 2013, 2016, 2018, 2019, 2020, 2021, 2024, 2027, 2028]))
    n = draw(st.integers(min_value=1, max_value=4))
    ids = [f"M{i}" for i in range(n)]
    flags = {m: draw(st.booleans()) for m in ids}
    months = []
    for month in range(1, 13):
        file_present = draw(st.booleans()) or draw(st.booleans())            # 3 months in 4
        pay, ded = {}, {}
        for m in ids:
            if not draw(st.integers(0, 9)):                                 # absent 1 month in 10
                continue
            base = draw(st.integers(min_value=-300_000, max_value=9_000_000))
            pb = draw(st.integers(min_value=0, max_value=5_000_000))
            y = draw(st.sampled_from([0, 1_800_000, 1_800_100, 3_600_000, 3_600_100])
                     | st.integers(min_value=0, max_value=40_000_000)) if month == 12 else 0
            deficit = draw(st.integers(min_value=0, max_value=6_000_000)) if month == 12 else 0
            rec = -min(deficit, pb + y)
            pay[m] = {"gross": base + pb + y + rec, "bonus": y, "recovery": rec, "pb": pb}
            if file_present and draw(st.integers(0, 9)):
                ded[m] = {"pension": draw(money) // 20, "medical": draw(money) // 80, "unemployment": draw(money) // 400,
                          "fund": draw(money) // 16, "sa": draw(money) // 20,
                          "other": draw(st.sampled_from([0, 0, 0, 2_000_000]) | money), "flag": flags[m]}
        months.append((month, pay, ded if file_present else None))
    return year, ids, months


def frames(pay: dict, ded: dict | None):
    ids = sorted(pay)
    pay_f = pl.DataFrame({"manager_id": ids, "gross_pay": [pay[m]["gross"] for m in ids],
                          "year_end_bonus": [pay[m]["bonus"] for m in ids],
                          "recovery": [pay[m]["recovery"] for m in ids],
                          "performance_bonus": [pay[m]["pb"] for m in ids]},
                         schema={"manager_id": pl.String, "gross_pay": pl.Int64, "year_end_bonus": pl.Int64,
                                 "recovery": pl.Int64, "performance_bonus": pl.Int64})
    if ded is None:
        return pay_f, None
    keys = {"pension": "pension_insurance", "medical": "medical_insurance", "unemployment": "unemployment_insurance",
            "fund": "housing_fund", "sa": "special_additional", "other": "other_deduction"}
    dids = sorted(ded)
    ded_f = pl.DataFrame({"manager_id": dids, **{v: [ded[m][k] for m in dids] for k, v in keys.items()},
                          "full_year_deduction": [ded[m]["flag"] for m in dids]},
                         schema={"manager_id": pl.String, **{v: pl.Int64 for v in keys.values()},
                                 "full_year_deduction": pl.Boolean})
    return pay_f, ded_f


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenario())
def test_a_random_year_agrees_with_an_independent_decimal_model(case) -> None:
    year, ids, months = case
    people = {m: Person() for m in ids}
    state = None
    last_withheld: dict[str, int] = {}
    for month, pay, ded in months:
        if not pay:
            continue
        pay_f, ded_f = frames(pay, ded)
        r = compute_tax(pay_f, ded_f, state, params_at(TAX, year * 12 + month - 1))
        state = r.state
        lines = {row["manager_id"]: row for row in r.lines.iter_rows(named=True)}
        traps = dict(r.exceptions.filter(pl.col("type") == "bonus_tax_trap").select("manager_id", "amount").rows())
        for m in sorted(pay):
            want = model_month(year, month, people[m], pay[m], (ded or {}).get(m), ded is not None)
            got = lines[m]
            where = f"{year}-{month:02d} {m}"
            assert got["income_tax"] == fen(want["income_tax"]), where
            assert got["bonus_tax"] == fen(want["bonus_tax"]), where
            assert got["net_pay"] == (None if want["net_pay"] is None else fen(want["net_pay"])), where
            assert got["carry_forward"] == fen(want["carry_forward"]), where
            assert traps.get(m) == (None if want["trap"] is None else fen(want["trap"])), where
            # properties: taxes never negative; net = gross − every deduction (paid as 0 below, the rest carried)
            assert got["income_tax"] >= 0 and got["bonus_tax"] >= 0
            if got["net_pay"] is not None:
                deducted = sum(got[k] for k in ("social_insurance", "housing_fund", "income_tax", "bonus_tax",
                                                "other_deduction", "carried_deduction"))
                assert got["net_pay"] - got["carry_forward"] == got["gross_pay"] - deducted
                assert got["net_pay"] >= 0 and got["carry_forward"] >= 0
                assert got["net_pay"] == 0 or got["carry_forward"] == 0
        # cumulative tax withheld never decreases within the year
        for m, w in state.select("manager_id", "cum_tax_withheld").rows():
            assert w >= last_withheld.get(m, 0)
            last_withheld[m] = w
