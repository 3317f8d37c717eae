"""Seeded, deterministic synthetic input tree for the rcc rulebook (SPEC sections 2, 4; decisions 19–24, 28).

`generate()` writes one folder per month, `<out_dir>/<YYYY-MM>/`, holding

- `roster.xlsx`, `deposits.xlsx`, `loans.xlsx`, `targets.xlsx` and `visits.csv` (UTF-8) every month;
- `conduct.xlsx` from February on (January has none: the conduct item is full, decision 19);
- `management.xlsx` in March, June, September, December — and once by mistake in May (ignored with
  an input warning, decision 28);
- `events.csv` (UTF-8), `adjustments.csv` (GBK) and `overrides.xlsx` only in months that have rows.

Three co-ops (信用社) of the Zhongxiang RCC: 城关 (CG), 郢中 (YZ) and 胡集 (HJ). A scripted *cast*
(CG01–CG12, YZ01–YZ12, HJ01–HJ04) makes every rcc rule and every compliance finding occur between
2013-01 and 2013-12 (the table is in `sample_data/rcc/README.md`); random *fillers* (CG13.., YZ13..)
make up `managers`. Loans follow the co-op's rule 当年发放当年收回 (Z-Art.10): issued in 2013, due in
2013, bullet repayment with monthly interest; a borrower whose loan is repaid usually borrows again
the next month. Only the cast has overdue loans, cross-year loans, guarantee breaches or missed
visits; fillers repay on time, are visited every quarter (corporate borrowers every month), and
never exceed a guarantee limit — their deposit and interest results vary at random around target.

Determinism: only `random.Random(seed)` and child generators seeded from it in a fixed order;
workbooks carry a fixed creation time, so the same arguments give byte-identical files.
"""

from __future__ import annotations

import calendar
import datetime
import random
from dataclasses import dataclass, field
from pathlib import Path

from cm_payroll.months import fmt_month, parse_month
from cm_payroll.sample.writers import write_csv as _write_csv
from cm_payroll.sample.writers import write_xlsx as _write_xlsx

__all__ = ["generate", "CAST"]

_STEMS = ("roster", "deposits", "loans", "targets", "visits", "conduct", "management", "events",
          "adjustments", "overrides")
_EXTS = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".parquet")

CG, YZ, HJ = "城关信用社", "郢中信用社", "胡集信用社"
CREDIT = "信贷类"
SMALL, CORP = "小额", "企业"
MG, MORTGAGE, PLEDGE, OTHER = "客户经理保证", "抵押", "质押", "其他"

ROSTER_HEADERS = ["工号", "姓名", "营业部", "类别", "入职日期", "专责清收"]
DEPOSITS_HEADERS = ["工号", "日均余额", "积数"]
LOANS_HEADERS = ["工号", "贷款号", "借款人", "客户类型", "担保方式", "发放日", "到期日", "本金", "余额", "本月收息",
                 "本月到期应收", "本月收回"]
TARGETS_HEADERS = ["工号", "存款保底日均", "存款积数目标", "收息目标"]
VISITS_HEADERS = ["工号", "借款人", "走访日期"]
CONDUCT_HEADERS = ["工号", "行为得分"]
MANAGEMENT_HEADERS = ["工号", "管理考核得分"]
EVENTS_HEADERS = ["工号", "事件", "日期", "说明", "审批号"]
ADJUSTMENTS_HEADERS = ["工号", "项目", "金额", "说明", "审批号"]
OVERRIDES_HEADERS = ["工号", "项目", "值", "原因", "审批号"]

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建文辉玲斌宇浩凯健俊帆鹏鑫晨波宁琳欣颖佳婷雪倩"


# ----------------------------------------------------------------------------------------- helpers

def _months(start: str, end: str) -> list[str]:
    first, last = parse_month(start), parse_month(end)
    if first > last:
        raise ValueError(f"start {start} is after end {end}")
    return [fmt_month(k) for k in range(first, last + 1)]


def _ym(d: datetime.date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _end(month: str) -> datetime.date:
    y, m = int(month[:4]), int(month[5:7])
    return datetime.date(y, m, calendar.monthrange(y, m)[1])


def _start(month: str) -> datetime.date:
    return datetime.date(int(month[:4]), int(month[5:7]), 1)


def _add_months(month: str, k: int) -> str:
    y, m = int(month[:4]), int(month[5:7]) - 1 + k
    return f"{y + m // 12:04d}-{m % 12 + 1:02d}"


def _yuan(fen: int) -> str:
    return f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _round100(fen: int, up: bool = False) -> int:
    """To whole hundreds of yuan (down, or up)."""
    step = 10_000
    return -(-fen // step) * step if up else fen // step * step


# ------------------------------------------------------------------------------------------- model

@dataclass
class _Loan:
    lid: str
    bid: str
    btype: str
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
        return self.issue <= _end(month) and self.outstanding_before(month) > 0

    def interest(self, month: str) -> int:
        """Interest collected in the month (按月结息): outstanding × rate × days held / days of the
        month; nothing while overdue (due before the month and not repaid)."""
        start, end = _start(month), _end(month)
        if self.due < start or self.issue > end:
            return 0
        first = max(self.issue, start)
        last = min(self.due, end)
        days = (last - first).days + (0 if last == self.due else 1)
        base = self.outstanding_before(month)
        num = base * self.rate_ppm * days
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
    interest_rule: str = "around"               # around | below | above | zero
    conduct: dict[str, str] = field(default_factory=dict)      # month → score text (fixed)
    conduct_missing: tuple[str, ...] = ()
    management_missing: tuple[str, ...] = ()
    filler: bool = False

    def on_roster(self, month: str) -> bool:
        return self.hired <= _end(month) and (self.last is None or month <= self.last)


class _Ids:
    def __init__(self) -> None:
        self.loan = 0
        self.borrower: dict[str, int] = {}

    def next_loan(self, year: int = 2013) -> str:
        self.loan += 1
        return f"DK{year}{self.loan:06d}"

    def next_borrower(self, branch_code: str) -> str:
        n = self.borrower.get(branch_code, 0) + 1
        self.borrower[branch_code] = n
        return f"{branch_code}{n:05d}"


# ------------------------------------------------------------------------------------------- cast

CAST = (
    # id, name, branch, hired, extra
    ("CG01", "王小额", CG, "2006-03-01", {}),
    ("CG02", "李存优", CG, "2008-07-15", {"deposit_base": 90_000_000, "deposit_fixed": True}),
    ("CG03", "张欠存", CG, "2009-02-10", {"deposit_base": 60_000_000, "deposit_fixed": True}),
    ("CG04", "刘积数", CG, "2010-05-04", {"deposit_base": 85_000_000, "deposit_fixed": True,
                                         "target_accum": 3_000_000_000}),
    ("CG05", "陈收息", CG, "2007-09-01", {"interest_rule": "below"}),
    ("CG06", "杨欠息", CG, "2011-03-21", {"interest_rule": "above"}),
    ("CG07", "赵清收", CG, "2005-11-11", {"dedicated": True, "interest_rule": "below"}),
    ("CG08", "黄造假", CG, "2010-08-08", {"conduct": {"2013-08": "6"}}),
    ("CG09", "周特批", CG, "2012-01-09", {"interest_rule": "above"}),
    ("CG10", "吴跨年", CG, "2009-12-01", {}),
    ("CG11", "徐调整", CG, "2011-06-20", {}),
    ("CG12", "孙离岗", CG, "2008-04-16", {"last": "2013-10"}),
    ("YZ01", "郭逾期", YZ, "2009-03-02", {"interest_rule": "below"}),
    ("YZ02", "马旧贷", YZ, "2006-10-10", {"interest_rule": "below"}),
    ("YZ03", "罗部分", YZ, "2012-02-27", {}),
    ("YZ04", "梁保证", YZ, "2010-10-18", {}),
    ("YZ05", "宋辞职", YZ, "2011-09-05", {}),
    ("YZ06", "郑走访", YZ, "2008-01-14", {}),
    ("YZ07", "谢季访", YZ, "2012-06-11", {}),
    ("YZ08", "韩代访", YZ, "2009-08-24", {}),
    ("YZ09", "唐缺存", YZ, "2010-03-15", {"deposit_missing": ("2013-07",)}),
    ("YZ10", "冯缺评", YZ, "2011-11-01", {"conduct_missing": ("2013-05",)}),
    ("YZ11", "曹高分", YZ, "2004-06-30", {"deposit_base": 140_000_000, "deposit_fixed": True,
                                         "interest_rule": "below"}),
    ("YZ12", "彭休假", YZ, "2012-09-03", {}),
    ("HJ01", "蒋企业", HJ, "2007-04-02", {"management_missing": ("2013-09",)}),
    ("HJ02", "蔡承接", HJ, "2008-11-17", {}),
    ("HJ03", "余承接", HJ, "2010-07-07", {}),
    ("HJ04", "杜解除", HJ, "2011-05-23", {"last": "2013-06"}),
)

_BRANCH_CODE = {CG: "CG", YZ: "YZ", HJ: "HJ"}

# month, id, event, date, note, approval_ref
_EVENTS = (
    ("2013-03", "YZ12", "转岗申请", "2013-03-12", "申请调往证券营业部(不适用信用社,忽略)", ""),
    ("2013-06", "HJ04", "解除完成", "2013-06-28", "合同到期不再续签", "HJ2013-061"),
    ("2013-07", "YZ12", "休假", "2013-07-08", "年休假10天", ""),
    ("2013-08", "CG08", "业绩造假", "2013-08-16", "虚报存款日均余额,经稽核查实", "CG2013-081"),
    ("2013-10", "YZ05", "辞职申请", "2013-10-09", "本人申请辞职", "YZ2013-101"),
    ("2013-11", "YZ05", "交接未完成", "2013-11-29", "管户贷款档案未移交", ""),
    ("2013-12", "YZ05", "解除完成", "2013-12-20", "交接完毕,解除劳动合同", "YZ2013-121"),
)

# month, id, component, fen, note, approval_ref
_ADJUSTMENTS = (
    ("2013-04", "CG11", "其他奖励", 80_000, "一季度存款竞赛三等奖", "CG2013-041"),
    ("2013-06", "CG11", "补发", 35_000, "5月交通补贴漏发", "CG2013-062"),
    ("2013-10", "CG11", "扣款", 20_000, "遗失胸卡工本费", ""),
    ("2013-12", "YZ11", "其他奖励", 150_000, "年度清收能手", "YZ2013-122"),
)

# month, id, field, value, reason, approval_ref
_OVERRIDES = (
    ("2013-09", "CG09", "收息奖罚", "0", "借款企业集中于10月初结息,经联社批准本月不予处罚", "CG2013-093"),
)


# ------------------------------------------------------------------------------------------ generate

def generate(out_dir: Path, *, seed: int = 2013, managers: int = 40,
             start: str = "2013-01", end: str = "2013-12") -> list[Path]:
    """Write <out_dir>/<YYYY-MM>/ input files for the rcc rulebook; return the paths written (sorted)."""
    out_dir = Path(out_dir)
    months = _months(start, end)
    master = random.Random(seed)
    cast_seed, filler_seed, loan_seed, month_seed = (master.getrandbits(64) for _ in range(4))
    ids = _Ids()

    mgrs: list[_Manager] = []
    crng = random.Random(cast_seed)
    for mid, name, branch, hired, extra in CAST:
        m = _Manager(mid, name, branch, datetime.date.fromisoformat(hired), **extra)
        if not m.deposit_fixed:
            m.deposit_base = crng.randint(55_000_000, 105_000_000)
        mgrs.append(m)
    frng = random.Random(filler_seed)
    counters = {CG: 12, YZ: 12}
    for k in range(max(0, managers - len(CAST))):
        branch = CG if k % 2 == 0 else YZ
        counters[branch] += 1
        mid = f"{_BRANCH_CODE[branch]}{counters[branch]:02d}"
        name = frng.choice(_SURNAMES) + "".join(frng.choice(_GIVEN) for _ in range(frng.choice((1, 2))))
        hired = datetime.date(frng.randint(2003, 2012), frng.randint(1, 12), frng.randint(1, 28))
        m = _Manager(mid, name, branch, hired, deposit_base=frng.randint(45_000_000, 110_000_000), filler=True)
        if k % 5 == 4:                        # a few have explicit (non-default) deposit targets
            m.target_avg, m.target_accum = 80_000_000, 2_000_000_000
        mgrs.append(m)
    by_id = {m.mid: m for m in mgrs}

    borrowers = _portfolio(random.Random(loan_seed), mgrs, ids, months)
    targets = _interest_targets(mgrs, borrowers, months, crng)

    mrng = random.Random(month_seed)
    written: list[Path] = []
    for month in months:
        folder = out_dir / month
        folder.mkdir(parents=True, exist_ok=True)
        for p in sorted(folder.iterdir()):
            if p.is_file() and p.stem in _STEMS and p.suffix.casefold() in _EXTS:
                p.unlink()
        present = [m for m in mgrs if m.on_roster(month)]
        on = {m.mid for m in present}
        mo = int(month[5:7])

        roster = [[m.mid, m.name, m.branch, CREDIT, m.hired, "是" if m.dedicated else "否"] for m in present]
        written.append(_write_xlsx(folder / "roster.xlsx", "花名册", ROSTER_HEADERS, roster,
                                   ["text", "text", "text", "text", "date", "text"]))

        dep_rows = []
        for m in present:
            if month in m.deposit_missing:
                continue
            avg = m.deposit_base if m.deposit_fixed else m.deposit_base * mrng.randint(9500, 10500) // 10000
            dep_rows.append([m.mid, avg, avg * _end(month).day])
        written.append(_write_xlsx(folder / "deposits.xlsx", "存款", DEPOSITS_HEADERS, dep_rows,
                                   ["text", "money", "money"]))

        loan_rows = []
        for b in borrowers:
            for ln in b.loans:
                if not ln.shown(month):
                    continue
                owner = b.owner_in(month)
                due_now = ln.principal if _ym(ln.due) == month else 0
                rec = ln.recover.get(month, 0)
                loan_rows.append([owner, ln.lid, b.bid, b.btype, ln.guarantee, ln.issue, ln.due, ln.principal,
                                  ln.outstanding_after(month), ln.interest(month),
                                  due_now if due_now else None, rec if rec else None])
        loan_rows.sort(key=lambda r: (r[0], r[1]))
        written.append(_write_xlsx(folder / "loans.xlsx", "贷款台账", LOANS_HEADERS, loan_rows,
                                   ["text", "text", "text", "text", "text", "date", "date", "money", "money",
                                    "money", "money", "money"]))

        tgt_rows = [[m.mid, m.target_avg, m.target_accum, targets[m.mid][month]] for m in present]
        written.append(_write_xlsx(folder / "targets.xlsx", "考核目标", TARGETS_HEADERS, tgt_rows,
                                   ["text", "money", "money", "money"]))

        visit_rows = _visits(mrng, borrowers, month, on)
        written.append(_write_csv(folder / "visits.csv", VISITS_HEADERS, visit_rows, "utf-8"))

        if mo >= 2:
            rows = []
            for m in present:
                if month in m.conduct_missing:
                    continue
                score = m.conduct.get(month) or mrng.choice(("8", "8.5", "9", "9", "9.5", "10", "10"))
                rows.append([m.mid, score])
            written.append(_write_xlsx(folder / "conduct.xlsx", "行为考核", CONDUCT_HEADERS, rows,
                                       ["text", "number"]))
        if mo % 3 == 0 or month == "2013-05":
            rows = [[m.mid, str(mrng.randint(70, 98)) if mrng.random() < 0.8 else f"{mrng.randint(70, 97)}.5"]
                    for m in present if month not in m.management_missing]
            written.append(_write_xlsx(folder / "management.xlsx", "管理考核", MANAGEMENT_HEADERS, rows,
                                       ["text", "number"]))

        ev = sorted([[mid, e, d, note, ref] for (mm, mid, e, d, note, ref) in _EVENTS if mm == month and mid in on],
                    key=lambda r: (r[2], r[0]))
        if ev:
            written.append(_write_csv(folder / "events.csv", EVENTS_HEADERS, ev, "utf-8"))
        adj = [[mid, comp, _yuan(fen), note, ref] for (mm, mid, comp, fen, note, ref) in _ADJUSTMENTS
               if mm == month and mid in on]
        if adj:
            written.append(_write_csv(folder / "adjustments.csv", ADJUSTMENTS_HEADERS, adj, "gbk"))
        ov = [[mid, fld, val, why, ref] for (mm, mid, fld, val, why, ref) in _OVERRIDES if mm == month and mid in on]
        if ov:
            written.append(_write_xlsx(folder / "overrides.xlsx", "特殊处理", OVERRIDES_HEADERS, ov, ["text"] * 5))
    assert set(by_id) >= {c[0] for c in CAST}
    return sorted(written)


# ------------------------------------------------------------------------------------------ loans

def _small_loan(rng: random.Random, ids: _Ids, b: _Borrower, issue: datetime.date, last_due: datetime.date,
                guarantee: str | None = None, term: int | None = None) -> _Loan | None:
    """A 小额 loan issued on `issue`, due within the year (当年发放当年收回)."""
    term = term or rng.randint(3, 9)
    y, m = issue.year, issue.month + term
    if m > 12:
        m = 12
    due = datetime.date(y, m, min(issue.day, 28))
    if due > last_due:
        due = last_due
    if due <= issue or _ym(due) == _ym(issue):
        return None
    g = guarantee or rng.choice((MG, MG, PLEDGE, PLEDGE, MORTGAGE))
    principal = rng.randint(5, 50) * 100_000                 # 5,000 – 50,000 yuan
    return _Loan(ids.next_loan(), b.bid, SMALL, g, issue, due, principal, 7_500)


def _portfolio(rng: random.Random, mgrs: list[_Manager], ids: _Ids, months: list[str]) -> list[_Borrower]:
    """Every borrower and loan of the year, the cast's special cases included."""
    year = int(months[0][:4])
    year_end = datetime.date(year, 12, 31)
    out: list[_Borrower] = []

    def new_borrower(m: _Manager, btype: str) -> _Borrower:
        b = _Borrower(ids.next_borrower(_BRANCH_CODE[m.branch]), btype, m.mid, visit_offset=rng.randint(0, 2))
        out.append(b)
        return b

    def revolving(b: _Borrower, first: _Loan | None) -> None:
        """The borrower's loans: the first, then after each repayment (usually) a new one next month."""
        ln = first
        while ln is not None:
            b.loans.append(ln)
            nxt_month = _add_months(_ym(ln.due), 1)
            if nxt_month > months[-1] or int(nxt_month[5:7]) >= 12 or rng.random() > 0.85:
                break
            issue = datetime.date(int(nxt_month[:4]), int(nxt_month[5:7]), rng.randint(2, 25))
            ln = _small_loan(rng, ids, b, issue, year_end, guarantee=ln.guarantee)

    for m in mgrs:
        jan = datetime.date(year, 1, 1)
        if m.mid == "CG01":                  # 1,040 small borrowers (客户经理保证), January to December: over capacity
            for _ in range(1040):
                b = new_borrower(m, SMALL)
                issue = jan + datetime.timedelta(days=rng.randint(1, 20))
                b.loans.append(_Loan(ids.next_loan(), b.bid, SMALL, MG, issue,
                                     datetime.date(year, 12, rng.randint(5, 25)), rng.randint(10, 30) * 100_000, 7_500))
            continue
        if m.branch == HJ:
            n_corp = {"HJ01": 55, "HJ02": 30, "HJ03": 25, "HJ04": 0}[m.mid]
            n_small = {"HJ01": 60, "HJ02": 300, "HJ03": 300, "HJ04": 250}[m.mid]
            for _ in range(n_corp):          # corporate loans of the year, repaid in December
                b = new_borrower(m, CORP)
                issue = jan + datetime.timedelta(days=rng.randint(1, 20))
                b.loans.append(_Loan(ids.next_loan(), b.bid, CORP, rng.choice((MORTGAGE, PLEDGE)), issue,
                                     datetime.date(year, 12, rng.randint(10, 20)), rng.randint(20, 200) * 1_000_000,
                                     6_000))
            for k in range(n_small):
                b = new_borrower(m, SMALL)
                if m.mid == "HJ04":          # 杜解除 leaves after June: the borrowers go to HJ02 / HJ03
                    b.moves.append(("2013-07", "HJ02" if k % 2 == 0 else "HJ03"))
                issue = jan + datetime.timedelta(days=rng.randint(1, 24))
                revolving(b, _small_loan(rng, ids, b, issue, year_end))
            continue
        n_small = rng.randint(35, 50)
        n_corp = rng.randint(1, 3)
        for k in range(n_small):
            b = new_borrower(m, SMALL)
            if m.mid == "CG12":              # 孙离岗 disappears after October: CG11 takes the borrowers
                b.moves.append(("2013-11", "CG11"))
            issue = jan + datetime.timedelta(days=rng.randint(1, 24))
            revolving(b, _small_loan(rng, ids, b, issue, year_end))
        for k in range(n_corp):
            b = new_borrower(m, CORP)
            if m.mid == "CG12":
                b.moves.append(("2013-11", "CG11"))
            big = (m.mid == "YZ06" and k == 0) or rng.random() < 0.6
            principal = rng.randint(30, 200) * 1_000_000 if big else rng.randint(10, 25) * 1_000_000
            if m.mid == "YZ06" and k == 0:
                principal = 80_000_000        # 800,000: a borrower to visit every month (R-Art.11)
            issue = jan + datetime.timedelta(days=rng.randint(1, 20))
            b.loans.append(_Loan(ids.next_loan(), b.bid, CORP, rng.choice((MORTGAGE, PLEDGE)), issue,
                                 datetime.date(year, 12, rng.randint(10, 20)), principal, 6_000))
    _special_loans(ids, out)
    return out


def _special_loans(ids: _Ids, out: list[_Borrower]) -> None:
    """The cast's loans that make Z-Art.10 and Z-Art.19(3) happen (appended to `out`)."""
    def d(text: str) -> datetime.date:
        return datetime.date.fromisoformat(text)

    def borrower(mid: str) -> _Borrower:
        b = _Borrower(ids.next_borrower(mid[:2]), SMALL, mid)
        out.append(b)
        return b

    # YZ01 郭逾期: a loan of this year overdue May–August (penalty once, in May; reward blocked)
    b = borrower("YZ01")
    b.loans.append(_Loan("DK2013900001", b.bid, SMALL, MORTGAGE, d("2013-02-20"), d("2013-05-20"), 4_000_000, 7_500,
                         recover={"2013-09": 4_000_000}))
    # YZ02 马旧贷: a loan of 2012 due in 2013 (not 当年收回), overdue from March, recovered in two parts
    b = borrower("YZ02")
    b.loans.append(_Loan("DK2012900002", b.bid, SMALL, MORTGAGE, d("2012-09-10"), d("2013-03-15"), 6_000_000, 7_500,
                         recover={"2013-06": 2_000_000, "2013-08": 4_000_000}))
    # YZ03 罗部分: due in April, two thirds recovered on time, the rest in May (partial recovery)
    b = borrower("YZ03")
    b.loans.append(_Loan("DK2013900003", b.bid, SMALL, MORTGAGE, d("2013-01-18"), d("2013-04-18"), 3_000_000, 7_500,
                         recover={"2013-04": 2_000_000, "2013-05": 1_000_000}))
    # YZ04 梁保证: two manager-guarantee loans to one borrower, 30,000 + 25,000 > 50,000 (Z-Art.10)
    b = borrower("YZ04")
    b.loans.append(_Loan("DK2013900004", b.bid, SMALL, MG, d("2013-04-08"), d("2013-10-08"), 3_000_000, 7_500))
    b.loans.append(_Loan("DK2013900005", b.bid, SMALL, MG, d("2013-04-22"), d("2013-10-22"), 2_500_000, 7_500))
    # CG10 吴跨年: issued in November, due next May (not 当年发放当年收回), guaranteed 其他 (信用), which a
    # manager's loans may not be (Z-Art.10: 保证、抵押、质押 only)
    b = borrower("CG10")
    b.loans.append(_Loan("DK2013900006", b.bid, SMALL, OTHER, d("2013-11-15"), d("2014-05-15"), 5_000_000, 7_500))


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

# R-Art.11: the cast's missed visits (borrower index in the owner's list, month or quarter)
_SKIP_MONTH = {("YZ06", 0, "2013-04")}                     # the 800,000 corporate borrower, April
_SKIP_QUARTER = {("YZ07", k, 2) for k in range(3)}          # three small borrowers, Q2
_VISITED_BY = {("YZ08", k, 1): "YZ09" for k in range(2)}     # Q1 visits made by a colleague


def _visits(rng: random.Random, borrowers: list[_Borrower], month: str, on: set[str]) -> list[list]:
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
            if (b.owner, k, month) not in _SKIP_MONTH:
                rows.append([owner, b.bid, when])
        elif (mo - 1) % 3 == b.visit_offset and (b.owner, k, quarter) not in _SKIP_QUARTER:
            who = _VISITED_BY.get((b.owner, k, quarter), owner)
            rows.append([who if who in on else owner, b.bid, when])
    rows.sort(key=lambda r: (r[2], r[0], r[1]))
    return rows


# ------------------------------------------------------------------------------------------ writers

