"""Seeded, deterministic synthetic input tree for the rcc rulebook (SPEC sections 2, 4; decisions 19–24, 28).

`generate()` writes one folder per month, `<out_dir>/<YYYY-MM>/`, holding

- `roster.xlsx`, `deposits.xlsx`, `loans.xlsx`, `targets.xlsx` and `visits.csv` (UTF-8) every month;
- `conduct.xlsx` from February on (January has none: the conduct item is full, decision 19);
- `management.xlsx` in March, June, September, December — and once by mistake in May (ignored with
  an input warning, decision 28);
- `events.csv` (UTF-8), `adjustments.csv` (GBK) and `overrides.xlsx` only in months that have rows.

Three co-ops (信用社) of the Zhongxiang RCC: 城关 (CG), 郢中 (YZ) and 胡集 (HJ). A scripted *cast*,
`rcc_cast.toml` (CG01–CG12, YZ01–YZ12, HJ01–HJ04), makes every rcc rule and every compliance finding
occur between 2013-01 and 2013-12 (the table is in `sample_data/rcc/README.md`); random *fillers*
(CG13.., YZ13..) make up `managers`. Loans follow the co-op's rule 当年发放当年收回 (Z-Art.10): issued
in 2013, due in 2013, bullet repayment with monthly interest; a borrower whose loan is repaid usually
borrows again the next month. Only the cast has overdue loans, cross-year loans, guarantee breaches
or missed visits; fillers repay on time, are visited every quarter (corporate borrowers every month),
and never exceed a guarantee limit — their deposit and interest results vary at random around target.

Determinism: only `random.Random(seed)` and child generators seeded from it in a fixed order;
workbooks carry a fixed creation time, so the same arguments give byte-identical files.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from pathlib import Path

from cm_payroll.months import fmt_month, month_end, month_start, parse_month
from cm_payroll.rulebooks.rcc.inputs import CONDUCT, DEPOSITS, LOANS, MANAGEMENT, TARGETS, VISITS
from cm_payroll.sample.writers import (ADJUSTMENTS, EVENTS, OVERRIDES, Layout, clear_inputs, fen, load_cast,
                                       month_range, scripted_rows, write_common)
from cm_payroll.schema import ROSTER

__all__ = ["generate"]

CG, YZ = "城关信用社", "郢中信用社"
FILLER_BRANCHES = (CG, YZ)                  # fillers alternate between them
CREDIT = "信贷类"
SMALL, CORP = "小额", "企业"
MG, MORTGAGE, PLEDGE = "客户经理保证", "抵押", "质押"
SMALL_RATE, CORP_RATE = 7_500, 6_000        # monthly interest, ppm of the outstanding

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建文辉玲斌宇浩凯健俊帆鹏鑫晨波宁琳欣颖佳婷雪倩"

ROSTER_FILE = Layout(ROSTER, {"manager_id": "text", "name": "text", "branch": "text", "track": "text",
                              "hire_date": "date", "dedicated_collection": "text"}, "花名册")
DEPOSITS_FILE = Layout(DEPOSITS, {"manager_id": "text", "daily_avg_balance": "money",
                                  "accumulated_balance": "money"}, "存款")
LOANS_FILE = Layout(LOANS, {"manager_id": "text", "loan_id": "text", "borrower_id": "text", "borrower_type": "text",
                            "guarantee": "text", "issue_date": "date", "due_date": "date", "principal": "money",
                            "outstanding": "money", "interest_collected": "money", "due_this_month": "money",
                            "recovered_this_month": "money"}, "贷款台账")
TARGETS_FILE = Layout(TARGETS, {"manager_id": "text", "deposit_target_avg": "money", "deposit_target_accum": "money",
                                "interest_target": "money"}, "考核目标")
VISITS_FILE = Layout(VISITS, dict.fromkeys(("manager_id", "borrower_id", "visit_date"), "text"))
CONDUCT_FILE = Layout(CONDUCT, {"manager_id": "text", "conduct_score": "number"}, "行为考核")
MANAGEMENT_FILE = Layout(MANAGEMENT, {"manager_id": "text", "management_score": "number"}, "管理考核")
LAYOUTS = (ROSTER_FILE, DEPOSITS_FILE, LOANS_FILE, TARGETS_FILE, VISITS_FILE, CONDUCT_FILE, MANAGEMENT_FILE,
           EVENTS, ADJUSTMENTS, OVERRIDES)


def _ym(d: datetime.date) -> str:
    return f"{d:%Y-%m}"


def _round100(fen: int, up: bool = False) -> int:
    """To whole hundreds of yuan (down, or up)."""
    step = 10_000
    return -(-fen // step) * step if up else fen // step * step


# ------------------------------------------------------------------------------------------- model

@dataclass
class _Loan:
    lid: str
    guarantee: str
    issue: datetime.date
    due: datetime.date
    principal: int                      # fen
    rate_ppm: int                       # monthly interest rate, ppm of the outstanding
    recover: dict[str, int] = field(default_factory=dict)   # month → fen recovered (default: all at due)

    def __post_init__(self) -> None:
        if not self.recover:
            self.recover = {_ym(self.due): self.principal}

    def outstanding_after(self, month: str) -> int:
        return self.principal - sum(v for k, v in self.recover.items() if k <= month)

    def outstanding_before(self, month: str) -> int:
        return self.principal - sum(v for k, v in self.recover.items() if k < month)

    def shown(self, month: str) -> bool:
        """In the month's loan file: issued by the month end and not repaid before the month."""
        return self.issue <= month_end(parse_month(month)) and self.outstanding_before(month) > 0

    def interest(self, month: str) -> int:
        """Interest collected in the month (按月结息): outstanding × rate × days held / days of the
        month; nothing while overdue (due before the month and not repaid)."""
        start, end = month_start(parse_month(month)), month_end(parse_month(month))
        if self.due < start or self.issue > end:
            return 0
        first = max(self.issue, start)
        last = min(self.due, end)
        days = (last - first).days + (0 if last == self.due else 1)
        num = self.outstanding_before(month) * self.rate_ppm * days
        den = 1_000_000 * end.day
        return (2 * num + den) // (2 * den)


@dataclass
class _Borrower:
    bid: str
    btype: str
    owner: str                                  # manager id at the start
    moves: list[tuple[str, str]] = field(default_factory=list)    # (from month, new owner)
    visit_offset: int = 0                       # which month of the quarter the visit falls in
    loans: list[_Loan] = field(default_factory=list)

    def owner_in(self, month: str) -> str:
        o = self.owner
        for frm, new in self.moves:
            if month >= frm:
                o = new
        return o


@dataclass
class _Manager:
    mid: str
    name: str
    branch: str
    hired: datetime.date
    dedicated: bool = False
    last: str | None = None                     # last month on the roster
    deposit_base: int = 80_000_000              # fen; monthly average varies ±5% unless fixed
    deposit_fixed: bool = False
    deposit_missing: tuple[str, ...] = ()       # months without a deposits row
    target_avg: int | None = None               # explicit targets (None: blank cell, the default)
    target_accum: int | None = None
    interest_rule: str = "around"               # around | below | above
    conduct: dict[str, str] = field(default_factory=dict)      # month → score text (fixed)
    conduct_missing: tuple[str, ...] = ()
    management_missing: tuple[str, ...] = ()
    entry: dict = field(default_factory=dict)   # the cast entry (portfolio and visits), {} for fillers

    def on_roster(self, month: str) -> bool:
        return self.hired <= month_end(parse_month(month)) and (self.last is None or month <= self.last)


def _cast_manager(e: dict) -> _Manager:
    return _Manager(
        e["id"], e["name"], e["branch"], e["hired"], dedicated=e.get("dedicated", False), last=e.get("last"),
        deposit_base=fen(e.get("deposit", 800_000)), deposit_fixed="deposit" in e,
        deposit_missing=tuple(e.get("deposit_missing", ())),
        target_avg=fen(e["target_avg"]) if "target_avg" in e else None,
        target_accum=fen(e["target_accum"]) if "target_accum" in e else None,
        interest_rule=e.get("interest_target", "around"), conduct=dict(e.get("conduct", {})),
        conduct_missing=tuple(e.get("conduct_missing", ())),
        management_missing=tuple(e.get("management_missing", ())), entry=e)


class _Ids:
    def __init__(self) -> None:
        self.loan = 0
        self.borrower: dict[str, int] = {}

    def next_loan(self, year: int = 2013) -> str:
        self.loan += 1
        return f"DK{year}{self.loan:06d}"

    def next_borrower(self, code: str) -> str:
        n = self.borrower.get(code, 0) + 1
        self.borrower[code] = n
        return f"{code}{n:05d}"


# ------------------------------------------------------------------------------------------ generate

def generate(out_dir: Path, *, seed: int = 2013, managers: int = 40,
             start: str = "2013-01", end: str = "2013-12") -> list[Path]:
    """Write <out_dir>/<YYYY-MM>/ input files for the rcc rulebook; return the paths written (sorted)."""
    out_dir = Path(out_dir)
    months = month_range(start, end)
    data = load_cast("rcc")
    master = random.Random(seed)
    cast_seed, filler_seed, loan_seed, month_seed = (master.getrandbits(64) for _ in range(4))
    ids = _Ids()

    mgrs: list[_Manager] = []
    events: list[tuple] = []
    adjustments: list[tuple] = []
    overrides: list[tuple] = []
    crng = random.Random(cast_seed)
    for e in data["manager"]:
        m = _cast_manager(e)
        if not m.deposit_fixed:
            m.deposit_base = crng.randint(55_000_000, 105_000_000)
        mgrs.append(m)
        scripted_rows(e, m.mid, events, adjustments, overrides)
    codes = {m.branch: m.mid[:2] for m in mgrs}
    counters = {b: sum(m.branch == b for m in mgrs) for b in FILLER_BRANCHES}
    frng = random.Random(filler_seed)
    for k in range(max(0, managers - len(mgrs))):
        branch = FILLER_BRANCHES[k % 2]
        counters[branch] += 1
        name = frng.choice(_SURNAMES) + "".join(frng.choice(_GIVEN) for _ in range(frng.choice((1, 2))))
        hired = datetime.date(frng.randint(2003, 2012), frng.randint(1, 12), frng.randint(1, 28))
        m = _Manager(f"{codes[branch]}{counters[branch]:02d}", name, branch, hired,
                     deposit_base=frng.randint(45_000_000, 110_000_000))
        if k % 5 == 4:                        # a few have explicit (non-default) deposit targets
            m.target_avg, m.target_accum = 80_000_000, 2_000_000_000
        mgrs.append(m)

    borrowers = _portfolio(random.Random(loan_seed), mgrs, codes, ids, months)
    borrowers += _special_borrowers(data["borrower"], ids)
    targets = _interest_targets(mgrs, borrowers, months, crng)
    skip_month, skip_quarter, visited_by = _visit_script(mgrs)

    mrng = random.Random(month_seed)
    written: list[Path] = []
    for month in months:
        folder = out_dir / month
        clear_inputs(folder, LAYOUTS)
        present = [m for m in mgrs if m.on_roster(month)]
        on = {m.mid for m in present}
        mo = int(month[5:7])

        roster = [[m.mid, m.name, m.branch, CREDIT, m.hired, "是" if m.dedicated else "否"] for m in present]
        written.append(ROSTER_FILE.xlsx(folder, roster))

        dep_rows = []
        days = month_end(parse_month(month)).day
        for m in present:
            if month in m.deposit_missing:
                continue
            avg = m.deposit_base if m.deposit_fixed else m.deposit_base * mrng.randint(9500, 10500) // 10000
            dep_rows.append([m.mid, avg, avg * days])
        written.append(DEPOSITS_FILE.xlsx(folder, dep_rows))

        loan_rows = []
        for b in borrowers:
            for ln in b.loans:
                if not ln.shown(month):
                    continue
                due_now = ln.principal if _ym(ln.due) == month else 0
                rec = ln.recover.get(month, 0)
                loan_rows.append([b.owner_in(month), ln.lid, b.bid, b.btype, ln.guarantee, ln.issue, ln.due,
                                  ln.principal, ln.outstanding_after(month), ln.interest(month),
                                  due_now if due_now else None, rec if rec else None])
        loan_rows.sort(key=lambda r: (r[0], r[1]))
        written.append(LOANS_FILE.xlsx(folder, loan_rows))

        tgt_rows = [[m.mid, m.target_avg, m.target_accum, targets[m.mid][month]] for m in present]
        written.append(TARGETS_FILE.xlsx(folder, tgt_rows))

        visit_rows = _visits(mrng, borrowers, month, on, skip_month, skip_quarter, visited_by)
        written.append(VISITS_FILE.csv(folder, visit_rows, "utf-8"))

        if mo >= 2:
            rows = []
            for m in present:
                if month in m.conduct_missing:
                    continue
                score = m.conduct.get(month) or mrng.choice(("8", "8.5", "9", "9", "9.5", "10", "10"))
                rows.append([m.mid, score])
            written.append(CONDUCT_FILE.xlsx(folder, rows))
        if mo % 3 == 0 or month in data.get("management_also_in", ()):
            rows = [[m.mid, str(mrng.randint(70, 98)) if mrng.random() < 0.8 else f"{mrng.randint(70, 97)}.5"]
                    for m in present if month not in m.management_missing]
            written.append(MANAGEMENT_FILE.xlsx(folder, rows))
        written += write_common(folder, month, on, events, adjustments, overrides)
    return sorted(written)


# ------------------------------------------------------------------------------------------ loans

def _small_loan(rng: random.Random, ids: _Ids, issue: datetime.date, last_due: datetime.date,
                guarantee: str | None = None) -> _Loan | None:
    """A 小额 loan issued on `issue`, due within the year (当年发放当年收回)."""
    term = rng.randint(3, 9)
    due = datetime.date(issue.year, min(issue.month + term, 12), min(issue.day, 28))
    if due > last_due:
        due = last_due
    if due <= issue or _ym(due) == _ym(issue):
        return None
    g = guarantee or rng.choice((MG, MG, PLEDGE, PLEDGE, MORTGAGE))
    principal = rng.randint(5, 50) * 100_000                 # 5,000 – 50,000 yuan
    return _Loan(ids.next_loan(), g, issue, due, principal, SMALL_RATE)


def _portfolio(rng: random.Random, mgrs: list[_Manager], codes: dict[str, str], ids: _Ids,
               months: list[str]) -> list[_Borrower]:
    """Every borrower and loan of the year but the cast's special borrowers: per manager, the cast's
    year_loans, or its fixed numbers of corporate and small borrowers, or 35–50 small and 1–3
    corporate borrowers at random; hand_over moves them to colleagues."""
    year = int(months[0][:4])
    jan, year_end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    out: list[_Borrower] = []

    def new_borrower(m: _Manager, btype: str, k: int) -> _Borrower:
        b = _Borrower(ids.next_borrower(codes[m.branch]), btype, m.mid, visit_offset=rng.randint(0, 2))
        if "hand_over" in m.entry:           # the k-th borrower of its type goes to to[k % len(to)]
            to = m.entry["hand_over"]["to"]
            b.moves.append((m.entry["hand_over"]["month"], to[k % len(to)]))
        out.append(b)
        return b

    def revolving(b: _Borrower, issue: datetime.date) -> None:
        """The borrower's loans: the first, then after each repayment (usually) a new one next month."""
        ln = _small_loan(rng, ids, issue, year_end)
        while ln is not None:
            b.loans.append(ln)
            nxt_month = fmt_month(parse_month(_ym(ln.due)) + 1)
            if nxt_month > months[-1] or int(nxt_month[5:7]) >= 12 or rng.random() > 0.85:
                break
            issue = datetime.date(int(nxt_month[:4]), int(nxt_month[5:7]), rng.randint(2, 25))
            ln = _small_loan(rng, ids, issue, year_end, guarantee=ln.guarantee)

    def january(days: int) -> datetime.date:
        return jan + datetime.timedelta(days=rng.randint(1, days))

    for m in mgrs:
        e = m.entry
        if "year_loans" in e:               # 客户经理保证 loans from January to December
            for k in range(e["year_loans"]):
                b = new_borrower(m, SMALL, k)
                issue = january(20)
                b.loans.append(_Loan(ids.next_loan(), MG, issue, datetime.date(year, 12, rng.randint(5, 25)),
                                     rng.randint(10, 30) * 100_000, SMALL_RATE))
        elif "corporate" in e:              # fixed numbers: corporate loans of the year first
            for k in range(e["corporate"]):
                b = new_borrower(m, CORP, k)
                issue = january(20)
                b.loans.append(_Loan(ids.next_loan(), rng.choice((MORTGAGE, PLEDGE)), issue,
                                     datetime.date(year, 12, rng.randint(10, 20)),
                                     rng.randint(20, 200) * 1_000_000, CORP_RATE))
            for k in range(e["small"]):
                revolving(new_borrower(m, SMALL, k), january(24))
        else:
            n_small = rng.randint(35, 50)
            n_corp = rng.randint(1, 3)
            for k in range(n_small):
                revolving(new_borrower(m, SMALL, k), january(24))
            for k in range(n_corp):
                b = new_borrower(m, CORP, k)
                fixed = e.get("first_corporate") if k == 0 else None
                big = fixed is not None or rng.random() < 0.6
                principal = rng.randint(30, 200) * 1_000_000 if big else rng.randint(10, 25) * 1_000_000
                issue = january(20)
                b.loans.append(_Loan(ids.next_loan(), rng.choice((MORTGAGE, PLEDGE)), issue,
                                     datetime.date(year, 12, rng.randint(10, 20)),
                                     principal if fixed is None else fen(fixed), CORP_RATE))
    return out


def _special_borrowers(entries: list[dict], ids: _Ids) -> list[_Borrower]:
    """The cast's [[borrower]] entries (Z-Art.10, Z-Art.19(3)): small borrowers with given loans."""
    out = []
    for e in entries:
        b = _Borrower(ids.next_borrower(e["manager"][:2]), SMALL, e["manager"])
        b.loans = [_Loan(ln["loan_id"], ln["guarantee"], ln["issue"], ln["due"], fen(ln["principal"]), SMALL_RATE,
                         recover={mo: fen(v) for mo, v in ln.get("recovered", {}).items()})
                   for ln in e["loan"]]
        out.append(b)
    return out


# ------------------------------------------------------------------------------------------ targets

def _interest_targets(mgrs: list[_Manager], borrowers: list[_Borrower], months: list[str],
                      rng: random.Random) -> dict[str, dict[str, int]]:
    """收息目标 per manager and month, set from the month's planned interest of the portfolio (Z-Art.12):
    around it (90%–112%, whole hundreds of yuan), or for the cast clearly below it (70%: a reward every
    month) or above it (130%: a penalty every month)."""
    per: dict[str, dict[str, int]] = {m.mid: {mo: 0 for mo in months} for m in mgrs}
    for b in borrowers:
        for ln in b.loans:
            for mo in months:
                if ln.shown(mo):
                    per.setdefault(b.owner_in(mo), {}).setdefault(mo, 0)
                    per[b.owner_in(mo)][mo] += ln.interest(mo)
    out: dict[str, dict[str, int]] = {}
    for m in mgrs:
        out[m.mid] = {}
        for mo in months:
            planned = per[m.mid][mo]
            if m.interest_rule == "below":
                out[m.mid][mo] = _round100(planned * 7 // 10)
            elif m.interest_rule == "above":
                out[m.mid][mo] = _round100(planned * 13 // 10, up=True)
            else:
                out[m.mid][mo] = _round100(planned * rng.randint(90, 112) // 100)
    return out


# ------------------------------------------------------------------------------------------ visits

def _visit_script(mgrs: list[_Manager]) -> tuple[set, set, dict]:
    """R-Art.11: the cast's missed visits and visits by a colleague, as (owner, index among the owner's
    borrowers of the type, month or quarter) keys."""
    skip_month, skip_quarter, visited_by = set(), set(), {}
    for m in mgrs:
        for v in m.entry.get("missed_visits", ()):
            skip_month |= {(m.mid, k, v["month"]) for k in v.get("corporate", ())}
            skip_quarter |= {(m.mid, k, v["quarter"]) for k in v.get("small", ())}
        for v in m.entry.get("visited_by", ()):
            visited_by |= {(m.mid, k, v["quarter"]): v["colleague"] for k in v["small"]}
    return skip_month, skip_quarter, visited_by


def _visits(rng: random.Random, borrowers: list[_Borrower], month: str, on: set[str], skip_month: set,
            skip_quarter: set, visited_by: dict) -> list[list]:
    """Corporate borrowers every month, small ones once a quarter in their visit month (R-Art.11),
    by the borrower's manager of that month, minus the cast's deliberate misses."""
    mo = int(month[5:7])
    quarter = (mo - 1) // 3 + 1
    rows = []
    seen: dict[tuple[str, str], int] = {}
    for b in borrowers:
        k = seen.get((b.owner, b.btype), 0)          # index among the original owner's borrowers of the type
        seen[(b.owner, b.btype)] = k + 1
        owner = b.owner_in(month)
        if owner not in on:
            continue
        day = rng.randint(1, 28)
        when = datetime.date(int(month[:4]), mo, day).isoformat()
        if b.btype == CORP:
            if (b.owner, k, month) not in skip_month:
                rows.append([owner, b.bid, when])
        elif (mo - 1) % 3 == b.visit_offset and (b.owner, k, quarter) not in skip_quarter:
            who = visited_by.get((b.owner, k, quarter), owner)
            rows.append([who if who in on else owner, b.bid, when])
    rows.sort(key=lambda r: (r[2], r[0], r[1]))
    return rows
