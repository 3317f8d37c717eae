"""Rule functions changed by issue 11 (decisions 34–43), each checked on a few hand-made rows, and the
texts the clerk reads (Chinese, the article, the parameter values in force)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
import yaml

from cm_payroll.errors import InputErrors
from cm_payroll.months import parse_month
from cm_payroll.pipeline import load_result, run_month
from cm_payroll.rulebook import builtin_path, load_rulebook
from cm_payroll.rulebooks.shared import employment as common
from cm_payroll.rulebooks.shared import pay
from cm_payroll.rulebooks.rcc import compliance_checks
from cm_payroll.rulebooks.securities import advisors, present, status, supervision, year_end
from cm_payroll.rulebooks.securities.employment import STATE_ADDED, STATE_SCHEMA, join_state
from cm_payroll.validate import MonthInputs, Table, common_checks, empty_frame
from cm_payroll.schema import COMMON
from tests.scenario_runner import write_inputs

SCENARIOS = Path(__file__).parent / "scenarios"
D = dt.date


# ------------------------------------------------------------------------------------ decision 34

def test_status_override_confirms_a_trainee_only_to_active_or_standby() -> None:
    df = pl.DataFrame({"trainee": [True, True, True, True, False],
                       "ov_status": ["active", "standby", "pending_termination", None, "active"]})
    out = status.confirmed_by_override(df)
    assert out.get_column("trainee").to_list() == [False, False, True, True, False]
    assert out.get_column("confirmed_by_override").to_list() == [True, True, False, False, False]


# ------------------------------------------------------------------------------------ decision 35

def test_supervisor_warning_names_advisors_and_trainees_in_chinese() -> None:
    df = pl.DataFrame({"manager_id": ["A", "T", "S", "N"], "track_eff": ["advisor", "sales", "sales", "advisor"],
                       "trainee": [False, True, False, False], "supervisees": [2, 1, 3, 0]})
    w = supervision.supervisor_warnings(df)
    assert w.get_column("manager_id").to_list() == ["A", "T"]
    a, t = w.get_column("message").to_list()
    assert "2 名督导对象" in a and "理财类客户经理" in a and "S-Art.15" in a
    assert "见习客户经理" in t
    assert "decision" not in a + t


def test_conversion_request_of_an_advisor_is_rejected_not_converted() -> None:
    p = load_rulebook("securities").values(parse_month("2013-01"))
    df = pl.DataFrame({"ev_convert_to_advisor": [True, True, False], "track_eff": ["advisor", "sales", "sales"],
                       "status": ["active", "active", "active"], "certified": [True, True, True],
                       "ov_convert_to_advisor": [None, None, None], "cum": [10**9] * 3, "n": [1, 1, 1]},
                      schema_overrides={"ov_convert_to_advisor": pl.Boolean})
    out = advisors.conversion(df, p, lambda t: (pl.col("cum") * 12) >= t * pl.col("n"))
    assert out.get_column("conversion_rejected").to_list() == [True, False, False]
    assert out.get_column("converted").to_list() == [False, True, False]


# ------------------------------------------------------------------------------------ decision 37

def test_standby_month_is_held_while_the_manager_was_off_the_roster() -> None:
    state = pl.DataFrame({"manager_id": ["H1"], "hire_date": [D(2011, 1, 1)], "hire_month": [2011 * 12],
                          "track": ["sales"], "status": ["active"], "confirmed": [True], "last_month": [2013 * 12 + 1],
                          "standby_next": [True], "terminated": [False]},
                         schema_overrides={"hire_month": pl.Int32, "last_month": pl.Int32})
    roster = pl.DataFrame({"manager_id": ["H1"], "hire_date": [D(2011, 1, 1)], "track": ["sales"],
                           "_row": [2], "_sheet": [None]}, schema_overrides={"_sheet": pl.String})
    april = 2013 * 12 + 3                      # last on the roster in February, absent in March
    df, issues, _ = join_state(roster, state, april, 2013 * 12, "roster.csv")
    assert not issues and df.get_column("standby_month").to_list() == [True]


# ------------------------------------------------------------------------------------ decision 38

def _notice_frame(resigned_before: list, res_this: list, term: list) -> pl.DataFrame:
    n = len(term)
    return pl.DataFrame({
        "new_employment": [False] * n, "s_resigned": [r is not None for r in resigned_before],
        "s_resignation_date": resigned_before, "ev_resignation": [r is not None for r in res_this],
        "ev_resignation_date": res_this, "ev_handover_incomplete": [False] * n,
        "ev_terminated": [t is not None for t in term], "ev_terminated_date": term,
    }, schema_overrides={"s_resignation_date": pl.Date, "ev_resignation_date": pl.Date, "ev_terminated_date": pl.Date})


def test_notice_is_one_calendar_month_clamped_to_the_month_end() -> None:
    df = _notice_frame(
        resigned_before=[D(2013, 1, 31), D(2013, 1, 31), D(2012, 1, 31), D(2012, 1, 31), None, None, D(2013, 1, 10)],
        res_this=[None, None, None, None, D(2013, 3, 10), None, None],
        term=[D(2013, 2, 27), D(2013, 2, 28), D(2012, 2, 28), D(2012, 2, 29), D(2013, 3, 31), D(2013, 3, 1), None])
    out = pay.payment_status(df)
    # 2013-01-31 + 1 month = 2013-02-28; 2012-01-31 + 1 month = 2012-02-29 (leap year); a termination
    # without any resignation is a dismissal (no notice rule); no termination, nothing to judge.
    assert out.get_column("payment_status").to_list() == [
        "withheld", "normal", "withheld", "normal", "withheld", "normal", "normal"]
    assert out.get_column("resignation_date").to_list()[4] == D(2013, 3, 10)
    text = out.filter(pl.col("withheld_notice")).select(pay.withheld_text()).to_series().to_list()[0]
    assert text == "辞职未提前一个月申请(辞职申请 2013-01-31,解除 2013-02-27,不足一个月),本月薪酬暂扣"


def test_the_earliest_resignation_of_the_employment_counts() -> None:
    # a second resignation row in the termination month does not shorten the notice given earlier
    out = pay.payment_status(_notice_frame([D(2013, 1, 5)], [D(2013, 2, 20)], [D(2013, 2, 25)]))
    assert out.get_column("payment_status").to_list() == ["normal"]
    assert out.get_column("resignation_date").to_list() == [D(2013, 1, 5)]


# ------------------------------------------------------------------------------------ decision 43

def test_year_sums_leave_out_positive_fraud_months_only() -> None:
    df = pl.DataFrame({"new_employment": [False, False, False], "s_year": [2013, 2013, 2013],
                       "s_ytd_net_income": [1000, 1000, 1000], "s_ytd_performance_bonus": [100, 100, 100],
                       "s_ytd_fraud_excluded": [0, 50, None], "net_income": [700, -700, 700],
                       "performance_bonus": [0, 0, 175], "ev_fraud": [True, True, False]})
    out = year_end.year_sums(df, 2013 * 12 + 11)
    assert out.get_column("ytd_net_income").to_list() == [1000, 300, 1700]
    assert out.get_column("ytd_fraud_excluded").to_list() == [700, 50, 0]
    assert out.get_column("ytd_performance_bonus").to_list() == [100, 100, 275]


def _run_scenario_file(rel: str, tmp: Path) -> Path:
    spec = yaml.safe_load((SCENARIOS / rel).read_text("utf-8"))
    inp, out = tmp / "input", tmp / "output"
    months = write_inputs(spec, inp)
    for last in sorted({m[:4]: m for m in months}.values()):
        run_month(last, inp, out, spec.get("rulebook", "securities"))
    return out


def test_december_slip_states_the_fraud_exclusion(tmp_path: Path) -> None:
    out = _run_scenario_file("securities/d43_fraud_month_out_of_year_end.yaml", tmp_path)
    m = parse_month("2013-12")
    p = load_rulebook("securities").values(m)
    slips = {s.manager_id: s for s in present.slips(load_result(out, "2013-12", "pay"), m, p)}
    z1 = next(line for line in slips["Z1"].lines if line.label == "年终奖")
    assert "不含业绩造假月份净收入 10,000.00" in z1.basis and "S-Art.8(4)" in z1.basis
    assert z1.basis.startswith("本年净收入 10,000.00")
    assert any("10,000.00" in n and "S-Art.8(4)" in n for n in slips["Z1"].notes)
    # Z2's fraud month had a negative net income: it stays in, nothing is said
    z2 = next(line for line in slips["Z2"].lines if line.label == "年终奖")
    assert "业绩造假" not in z2.basis


def test_slip_notes_state_the_standby_rate_in_force() -> None:
    p = load_rulebook("securities").values(parse_month("2013-01"))
    row = {"status": "standby", "trigger": False, "ev_fraud": False, "payment_status": "normal",
           "converted": False, "transferred_back": False, "missing_score": False, "year_end_y": None}
    assert any("按15%计提" in n for n in present._notes(row, p))
    p12 = p.replace(standby_rate=120_000)
    assert any("按12%计提" in n for n in present._notes(row, p12))


# ------------------------------------------------------------------------------------ decision 36

def _inputs(month: str, roster_ids: list[str], events: list[tuple[str, str]]) -> MonthInputs:
    specs = {s.name: s for s in COMMON}
    roster = empty_frame(specs["roster"]).vstack(pl.DataFrame(
        {"_row": list(range(2, 2 + len(roster_ids))), "_sheet": [None] * len(roster_ids), "manager_id": roster_ids,
         "name": roster_ids, "branch": ["b"] * len(roster_ids), "track": ["sales"] * len(roster_ids),
         "hire_date": [D(2011, 1, 1)] * len(roster_ids)}).pipe(
        lambda f: f.with_columns([pl.lit(None, t).alias(c) for c, t in empty_frame(specs["roster"]).schema.items()
                                  if c not in f.columns]).select(empty_frame(specs["roster"]).columns)
        .cast(empty_frame(specs["roster"]).schema)))
    ev = empty_frame(specs["events"])
    ev = ev.vstack(pl.DataFrame({"_row": list(range(2, 2 + len(events))), "_sheet": [None] * len(events),
                                 "manager_id": [e[0] for e in events], "event": [e[1] for e in events],
                                 "date": [D(int(month[:4]), int(month[5:]), 2)] * len(events)}).with_columns(
        [pl.lit(None, t).alias(c) for c, t in ev.schema.items() if c not in ("_row", "_sheet", "manager_id", "event",
                                                                             "date")]).select(ev.columns).cast(ev.schema))
    tables = {name: Table(spec, empty_frame(spec)) for name, spec in specs.items()}
    tables["roster"] = Table(specs["roster"], roster, "roster.csv")
    tables["events"] = Table(specs["events"], ev, "events.csv")
    return MonthInputs(parse_month(month), Path("."), tables)


def _state(rows: list[tuple[str, int, bool, bool]]) -> pl.DataFrame:
    return pl.DataFrame({"manager_id": [r[0] for r in rows], "name": [f"名{r[0]}" for r in rows],
                         "last_month": [r[1] for r in rows], "terminated": [r[2] for r in rows],
                         "resigned": [r[3] for r in rows]}, schema_overrides={"last_month": pl.Int32})


def test_termination_of_a_manager_off_the_roster_is_not_an_unknown_id() -> None:
    nov = parse_month("2013-11")
    state = _state([("G1", nov, False, False), ("G2", nov, True, False)])
    inputs = _inputs("2013-12", ["A1"], [("G1", "terminated"), ("G1", "leave"), ("G2", "terminated"),
                                         ("X9", "resignation")])
    issues = common_checks(inputs, ("sales", "advisor"), state=state)
    unknown = sorted(i.message.split()[1] for i in issues)
    # G1's leave, G2 (already terminated) and X9 (never seen) stay unknown-id errors
    assert unknown == ["G1", "G2", "X9"]
    assert len(common_checks(inputs, ("sales", "advisor"))) == 4          # no ledger: every row unknown


def test_december_missing_names_the_manager_the_file_and_the_cure() -> None:
    dec, nov = parse_month("2013-12"), parse_month("2013-11")
    state = _state([("G1", nov, False, False), ("G2", nov, False, True), ("G3", nov - 1, False, False),
                    ("G4", nov, False, False), ("A1", nov, False, False)])
    inputs = _inputs("2013-12", ["A1"], [("G4", "terminated")])
    issues = common.december_missing(state, inputs, dec)
    assert [i.message.split()[1] for i in issues] == ["G1"]          # G2 resigned, G3 left in October, G4 cured
    msg = issues[0].message
    assert issues[0].file == "roster.csv" and "名G1" in msg and "2013-11" in msg
    assert "terminated" in msg and "resignation" in msg and "events.csv" in msg
    assert common.december_missing(state, inputs, nov) == []        # only the closing month


def test_old_ledger_state_gets_the_new_columns() -> None:
    old = pl.DataFrame({"manager_id": ["A"], "terminated": [False]})
    out = common.conform_state(old, STATE_SCHEMA, STATE_ADDED)
    assert set(STATE_ADDED) <= set(out.columns)         # only the columns added after the first release
    assert out.schema["resignation_date"] == pl.Date and out.get_column("ytd_fraud_excluded").to_list() == [None]


def test_close_ended_terminates_and_forfeits_but_keeps_the_deficit() -> None:
    state = pl.DataFrame({"manager_id": ["A", "B"], "terminated": [False, False], "resigned": [False, False],
                          "resignation_date": [None, None], "reserve": [500, 700], "deficit": [300, 0]},
                         schema_overrides={"resignation_date": pl.Date})
    ended = pl.DataFrame({"manager_id": ["A"], "end_resignation": [True], "end_resignation_date": [D(2013, 12, 2)]})
    out = common.close_ended(state, ended).sort("manager_id")
    assert out.row(0) == ("A", True, True, D(2013, 12, 2), 0, 300)
    assert out.row(1) == ("B", False, False, None, 700, 0)


# ------------------------------------------------------------------------------------ decisions 39, 41

def _rcc_params(**changes) -> object:
    return load_rulebook("rcc").values(parse_month("2013-12")).replace(**changes)


def test_guarantee_and_year_findings_read_only_their_candidate_loans() -> None:
    facts = pl.DataFrame({
        "manager_id": ["M", "M", "M", "M"], "loan_id": ["L1", "L2", "L3", "L4"], "borrower_id": ["B"] * 4,
        "guarantee": ["other", "mortgage", "pledge", "manager_guarantee"],
        "issue_date": [D(2013, 1, 1), D(2013, 2, 1), D(2012, 2, 1), D(2013, 3, 1)],
        "due_date": [D(2013, 6, 1)] * 4, "principal": [100, 200, 300, 400], "outstanding": [0, 50, 60, 0]})
    df = pl.DataFrame({"manager_id": ["M"], "name": ["甲"]})
    g = compliance_checks.guarantee_not_allowed(df, facts)
    assert g.get_column("type").to_list() == ["guarantee_not_allowed"] and "L1" in g.item(0, "description")
    dec = compliance_checks.not_recovered_in_year(df, facts, parse_month("2013-12"))
    assert dec.get_column("description").str.extract(r"贷款 (L\d)").to_list() == ["L2"]   # L3 issued 2012
    assert compliance_checks.not_recovered_in_year(df, facts, parse_month("2013-11")).height == 0


def test_interest_below_wage_states_the_figures_and_parameter() -> None:
    df = pl.DataFrame({"manager_id": ["A", "B", "C"], "name": ["甲", "乙", "丙"],
                       "dedicated_collection": [False, True, None], "interest_collected": [300_000, 0, 450_000],
                       "gross_pay": [350_000, 350_000, 350_000]})
    out = compliance_checks.interest_below_wage(df, _rcc_params(per_head_expenses=100_000))
    assert out.get_column("manager_id").to_list() == ["A"]                         # C: 4,500 = 3,500 + 1,000
    assert out.item(0, "description") == ("本月收息 3,000.00 元,低于个人工资(应发合计)3,500.00 元与人平四项费用 "
                                           "1,000.00 元之和 4,500.00 元,差 1,500.00 元")


def test_interest_below_wage_uses_the_per_head_expenses_in_force(tmp_path: Path) -> None:
    """A co-op that sets 人平四项费用 to 500 from 2013-01 sees 500 in the text and I3 (collected 3,500 =
    gross 3,500) listed too: 3,500 < 3,500 + 500."""
    text = builtin_path("rcc").read_text("utf-8")
    old = '[[parameters.per_head_expenses.values]]\nfrom = "2000-01"\nvalue = "0"\n'
    assert old in text
    rules = tmp_path / "rcc_local.toml"
    rules.write_text(text.replace(old, old + '[[parameters.per_head_expenses.values]]\nfrom = "2013-01"\n'
                                            'value = "500"\n'), "utf-8")
    spec = yaml.safe_load((SCENARIOS / "rcc/d41_interest_below_wage.yaml").read_text("utf-8"))
    inp, out = tmp_path / "input", tmp_path / "output"
    write_inputs(spec, inp)
    run_month("2013-01", inp, out, str(rules))
    exc = load_result(out, "2013-01", "exceptions").filter(pl.col("type") == "interest_below_wage")
    assert exc.get_column("manager_id").to_list() == ["I1", "I3"]
    assert all("人平四项费用 500.00 元" in d for d in exc.get_column("description").to_list())


def test_december_error_stops_the_rcc_run_with_the_cure(tmp_path: Path) -> None:
    with pytest.raises(InputErrors) as err:
        _run_scenario_file("rcc/d36_december_missing_is_error.yaml", tmp_path)
    assert "R2" in str(err.value) and "辞职申请" in str(err.value)
