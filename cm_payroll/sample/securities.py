"""Seeded, deterministic synthetic input tree for the securities rulebook (SPEC sections 2, 3, 8).

`generate()` writes one folder per month, `<out_dir>/<YYYY-MM>/`, holding

- `roster.xlsx`, `scores.xlsx`, `clients.xlsx` every month;
- `events.csv` (UTF-8) and `adjustments.csv` (GBK) only in months that have rows;
- `overrides.xlsx` only in months that have rows.

The branch has a scripted *cast*, `securities_cast.toml` (ZS001..ZS024), whose months were worked by
hand against SPEC section 3 so that every securities rule fires at least once between 2013-01 and
2014-03 (`sample_data/securities/README.md` has the table), plus random "ordinary" filler managers up
to `managers`. Fillers never trip a rule by accident: their monthly scores stay inside one level
bracket (so the commission rate is constant and the year-end bonus positive), and they are hired
either before 2008 (veterans all year) or between 2009-04 and 2012-08. The cast is always written in
full; with 1,000 or more managers the ids get four digits (ZS0001 = ZS001).

Determinism: only `random.Random(seed)` (and child generators seeded from it in a fixed order) is
used, never the global generator, the clock or set iteration; workbooks carry a fixed creation
timestamp, so the same arguments give byte-identical files.
"""

from __future__ import annotations

import datetime
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from cm_payroll.rulebooks.securities.inputs import CLIENTS, SCORES
from cm_payroll.sample.writers import (ADJUSTMENTS, DEDUCTIONS, EVENTS, OVERRIDES, Deductions, Layout, clear_inputs,
                                       fen, load_cast, month_range, scripted_rows, write_common)
from cm_payroll.schema import ROSTER

__all__ = ["generate"]

HZ = "杭州营业部"
NB = "宁波营业部"
SALES = "销售类"
ADVISOR = "理财类"
DEVELOPED = "自行开发"
TRANSFERRED = "内部转入"
YES = "是"
NO = "否"

ROSTER_FILE = Layout(ROSTER, {"manager_id": "text", "name": "text", "branch": "text", "track": "text",
                              "hire_date": "date", "supervisor_id": "text", "certified": "text"}, "花名册")
SCORES_FILE = Layout(SCORES, {"manager_id": "text", "score": "int"}, "积分")
CLIENTS_FILE = Layout(CLIENTS, {"manager_id": "text", "client_id": "text", "origin": "text", "is_new": "text",
                                "opening_assets": "money", "closing_assets": "money", "daily_avg_assets": "money",
                                "net_income": "money"}, "客户明细")
LAYOUTS = (ROSTER_FILE, SCORES_FILE, CLIENTS_FILE, EVENTS, ADJUSTMENTS, OVERRIDES, DEDUCTIONS)

# Market moves of 2013/14 (Shanghai composite, monthly), halved because client assets also hold cash
# and bonds. Fillers' stock clients follow it; the cast does not (its thresholds must hold).
_MARKET = {
    "2013-01": 0.051, "2013-02": -0.008, "2013-03": -0.055, "2013-04": -0.026, "2013-05": 0.056,
    "2013-06": -0.140, "2013-07": 0.007, "2013-08": 0.052, "2013-09": 0.036, "2013-10": -0.015,
    "2013-11": 0.037, "2013-12": -0.047, "2014-01": -0.039, "2014-02": 0.011, "2014-03": -0.011,
}

_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
             "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严")
_GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建文辉玲斌宇浩凯健俊帆鹏鑫晨波宁琳欣颖佳婷雪倩"
          "慧峰亮志红燕丹萍瑶晓琪蕾洁鸣昊然泽楠轩哲睿嘉怡晴彤雯")
_REPORT_TRACKS = {"sales": (SALES,), "advisors": (ADVISOR,), "any": (SALES, ADVISOR)}


def _split(total: int, weights: list[float]) -> list[int]:
    """Split `total` fen (>= 0) over `weights` exactly (largest remainder)."""
    if not weights:
        return []
    s = sum(weights)
    if s <= 0:
        weights, s = [1.0] * len(weights), float(len(weights))  # ok-float: sampling weights, not money
    raw = [total * w / s for w in weights]
    parts = [math.floor(r) for r in raw]
    rest = total - sum(parts)
    order = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in order[:rest]:
        parts[i] += 1
    return parts


# ------------------------------------------------------------------------------------------- model

@dataclass
class _Client:
    cid: str
    origin: str
    balance: int                 # fen; the closing of the last month shown (opening of the next)
    new_in: str | None = None    # month in which the client is shown with 新增客户=是
    ni_rate: float = 0.001       # monthly income / assets, for transferred clients


@dataclass
class _Manager:
    mid: str
    name: str
    branch: str
    track: str                               # roster 类别 at hire
    hired: datetime.date
    certified: bool
    rng: random.Random
    supervisor: str | None = None
    last: str | None = None                  # last month on the roster (None: stays)
    track_from: dict[str, str] = field(default_factory=dict)     # month → roster 类别 from then on
    score: dict = field(default_factory=dict)   # month | "*" → number or (lo, hi)
    ni: dict = field(default_factory=dict)      # yuan, same form as score
    book: int = 10_000_000                   # yuan, initial counted (developed, not new) assets
    n_clients: int = 12
    growth: dict[str, float] = field(default_factory=dict)       # month → aggregate stock factor
    new: dict[str, list[int]] = field(default_factory=dict)      # month → new clients' closing (yuan)
    random_new: bool = True
    transferred: list[tuple[str, int, bool]] = field(default_factory=list)  # (from month, yuan, new?)
    transferred_ni: int | None = None        # fen a month per transferred client (None: by its rate)
    negative_rest: int = 10_000              # yuan: Σ of the other clients in a negative month
    filler: bool = False
    bracket: str = ""                        # fillers: the level bracket their scores stay in
    base_score: int = 0                      # fillers: monthly score = base ±12%
    ni_base: float = 0.0                     # fillers: monthly net income = base ±15% (yuan)
    balances: list[int] = field(default_factory=list)            # fillers: initial book (yuan)
    clients: list[_Client] = field(default_factory=list)
    started: bool = False

    def on_roster(self, month: str) -> bool:
        return f"{self.hired:%Y-%m}" <= month and (self.last is None or month <= self.last)

    def track_in(self, month: str) -> str:
        track = self.track
        for m in sorted(self.track_from):
            if m <= month:
                track = self.track_from[m]
        return track

    def value(self, spec: dict, month: str) -> float:
        v = spec.get(month, spec.get("*", 0))
        if isinstance(v, tuple):
            lo, hi = v
            return self.rng.randint(int(lo) // 100, int(hi) // 100) * 100
        return v


class _Ids:
    def __init__(self) -> None:
        self.n = {HZ: 0, NB: 0}

    def next(self, branch: str) -> str:
        self.n[branch] += 1
        return ("3301" if branch == HZ else "3302") + f"{self.n[branch]:08d}"


def _cast_manager(entry: dict, mid_of, seed: int) -> _Manager:
    """A cast entry of securities_cast.toml as a manager (its rng seeded with `seed`)."""
    months = entry.get("months", {})

    def by_month(key: str) -> dict:
        default = entry.get(key, 0)
        return {"*": tuple(default) if isinstance(default, list) else default,
                **{mo: v[key] for mo, v in months.items() if key in v}}

    sup = entry.get("supervisor")
    return _Manager(
        mid=mid_of(entry["id"]), name=entry["name"], branch=entry["branch"], track=entry["track"],
        hired=entry["hired"], certified=entry["certified"], rng=random.Random(seed),
        supervisor=mid_of(sup) if sup else None, last=entry.get("last"),
        track_from=dict(entry.get("track_from", {})), score=by_month("score"), ni=by_month("net_income"),
        book=entry["book"], n_clients=entry["clients"],
        growth={mo: v["growth"] for mo, v in months.items() if "growth" in v},
        new={mo: v["new"] for mo, v in months.items() if "new" in v},
        random_new=entry.get("random_new", True),
        transferred=[(t["month"], t["assets"], t.get("new", False)) for t in entry.get("transferred", ())],
        transferred_ni=fen(entry["transferred_net_income"]) if "transferred_net_income" in entry else None,
        negative_rest=entry.get("negative_rest", 10_000))


# ---------------------------------------------------------------------------------------- generate

def generate(out_dir: Path, *, seed: int = 2013, managers: int = 60,
             start: str = "2013-01", end: str = "2014-03") -> list[Path]:
    """Write <out_dir>/<YYYY-MM>/{roster,scores,clients}.xlsx and events/adjustments/overrides files; return the paths written (sorted)."""
    out_dir = Path(out_dir)
    months = month_range(start, end)
    cast = load_cast("securities")["manager"]
    master = random.Random(seed)
    width = max(3, len(str(max(managers, len(cast)))))
    ids = _Ids()

    def mid_of(i: int | str) -> str:              # a cast id ("ZS004") or a number in the id width
        return f"ZS{int(i[2:]) if isinstance(i, str) else i:0{width}d}"

    assert [int(e["id"][2:]) for e in cast] == list(range(1, len(cast) + 1)), "cast ids ZS001.. in order"
    # Child generators, drawn in a fixed order: cast first, so the cast's rows do not depend on the
    # number of fillers.
    cast_seeds = [master.getrandbits(64) for _ in cast]
    filler_seed = master.getrandbits(64)

    events: list[tuple] = []                  # month, id, event, date, note, ref
    adjustments: list[tuple] = []             # month, id, component, fen, note, ref
    overrides: list[tuple] = []               # month, id, field, value, reason, ref
    mgrs = [_cast_manager(entry, mid_of, s) for entry, s in zip(cast, cast_seeds)]
    for entry, m in zip(cast, mgrs):
        scripted_rows(entry, m.mid, events, adjustments, overrides)

    frng = random.Random(filler_seed)
    fillers = _make_fillers(frng, [mid_of(i) for i in range(len(cast) + 1, managers + 1)])
    _assign_supervisors(frng, fillers, [(m, e.get("filler_reports", {})) for m, e in zip(mgrs, cast)])
    mgrs.extend(fillers)
    _filler_events(frng, fillers, months, events, adjustments)

    by_id = {m.mid: m for m in mgrs}
    # Clients of a manager who left are handed to colleagues of the branch as 内部转入.
    orphans: dict[str, list[_Client]] = {}

    written: list[Path] = []
    deductions = Deductions(seed)          # SPEC 9: its own generator, the other files do not depend on it
    sizes: dict[str, dict[str, dict[str, int]]] = {}
    for month in months:
        folder = out_dir / month
        clear_inputs(folder, LAYOUTS)
        present = [m for m in mgrs if m.on_roster(month)]
        _hand_over(frng, orphans, present)

        roster_rows, score_rows, client_rows = [], [], []
        sizes[month] = {}
        for m in present:
            sup = m.supervisor if m.supervisor and m.supervisor in by_id \
                and by_id[m.supervisor].on_roster(month) else None
            roster_rows.append([m.mid, m.name, m.branch, m.track_in(month), m.hired, sup,
                                YES if m.certified else NO])
            if m.filler:  # within ±12% of a mid-bracket base: never leaves the bracket
                score = int(m.base_score * m.rng.uniform(0.88, 1.12))
            else:
                score = int(m.value(m.score, month))
            score_rows.append([m.mid, score])
            rows = _month_clients(m, month, ids)
            client_rows.extend(rows)
            sizes[month][m.mid] = _aggregates(rows)
            if m.last == month:
                orphans[m.branch] = orphans.get(m.branch, []) + [
                    _Client(c.cid, TRANSFERRED, c.balance, ni_rate=m.rng.uniform(0.0006, 0.0012))
                    for c in m.clients]

        written.append(ROSTER_FILE.xlsx(folder, roster_rows))
        written.append(SCORES_FILE.xlsx(folder, score_rows))
        written.append(CLIENTS_FILE.xlsx(folder, client_rows))
        written += write_common(folder, month, {m.mid for m in present}, events, adjustments, overrides)
        written.append(DEDUCTIONS.xlsx(folder, deductions.rows(month, [m.mid for m in present])))

    _check_cast(sizes, [(m.mid, e.get("checks", ())) for m, e in zip(mgrs, cast)])
    return sorted(written)


# ------------------------------------------------------------------------------------------ fillers

def _make_fillers(rng: random.Random, ids: list[str]) -> list[_Manager]:
    out = []
    for mid in ids:
        branch = HZ if rng.random() < 0.62 else NB
        track = ADVISOR if rng.random() < 0.15 else SALES
        if rng.random() < 0.15:
            hired = datetime.date(rng.randint(2003, 2007), rng.randint(1, 12), rng.randint(1, 28))
        else:
            k = rng.randint(0, 40)                      # 2009-04 .. 2012-08
            y, mo = divmod(2009 * 12 + 3 + k, 12)
            hired = datetime.date(y, mo + 1, rng.randint(1, 28))
        bracket = rng.choices(["ordinary", "senior_1", "senior_2"], weights=[45, 35, 20])[0]
        base = {"ordinary": rng.randint(42, 48), "senior_1": rng.randint(76, 84),
                "senior_2": rng.randint(125, 135)}[bracket] * 100
        name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))
        n = rng.randint(5, 34)
        balances = [_lognormal(rng) for _ in range(n)]
        book = sum(balances)
        ni_base = min(max(book * rng.uniform(0.0006, 0.0014), 5_000), 60_000)
        m = _Manager(mid=mid, name=name, branch=branch, track=track, hired=hired,
                     certified=track == ADVISOR or rng.random() < 0.6,
                     rng=random.Random(rng.getrandbits(64)), book=book, n_clients=n, filler=True,
                     bracket=bracket, base_score=base, ni_base=ni_base, balances=balances)
        if rng.random() < 0.25:
            m.transferred = [("", int(_lognormal(rng)), False) for _ in range(rng.randint(1, 3))]
        out.append(m)
    return out


def _lognormal(rng: random.Random) -> int:
    return int(min(max(rng.lognormvariate(math.log(800_000), 0.8), 100_000), 5_000_000))


def _assign_supervisors(rng: random.Random, fillers: list[_Manager], heads: list[tuple[_Manager, dict]]) -> None:
    """The cast's `filler_reports` head the first fillers of their branch (and track), in cast order;
    about one filler in eight (confirmed sales, above ordinary) is a 片区经理 of its branch's fillers."""
    fixed: dict[str, str] = {}
    taken: dict[tuple[str, str], int] = {}
    for head, reports in heads:
        for kind, n in reports.items():
            pool = [m for m in fillers if m.branch == head.branch and m.track in _REPORT_TRACKS[kind]]
            first = taken.get((head.branch, kind), 0)
            for m in pool[first:first + n]:
                fixed[m.mid] = head.mid
            taken[(head.branch, kind)] = first + n
    rest = [m for m in fillers if m.mid not in fixed]
    candidates = [m for m in rest if m.track == SALES and m.bracket != "ordinary"]
    step = max(1, round(len(candidates) * 8 / max(len(rest), 1)))
    filler_heads = candidates[::step]
    head_ids = [m.mid for m in filler_heads]
    for m in fillers:
        if m.mid in fixed:
            m.supervisor = fixed[m.mid]
        elif m.mid not in head_ids and rng.random() < 0.7:
            pool = [h.mid for h in filler_heads if h.branch == m.branch]
            if pool:
                m.supervisor = rng.choice(pool)


def _filler_events(rng: random.Random, fillers: list[_Manager], months: list[str],
                   events: list, adjustments: list) -> None:
    n = 0
    for m in fillers:
        for month in months:
            if rng.random() < 0.012:
                day = rng.randint(1, 20)
                events.append((month, m.mid, "休假", f"{month}-{day:02d}",
                               rng.choice(["年休假3天", "年休假5天", "病假2天", "事假1天"]), ""))
            if rng.random() < 0.03:
                n += 1
                comp, lo, hi, notes = rng.choice([
                    ("其他奖励", 200, 2_000, ["季度优秀服务奖", "客户回访竞赛奖", "新开户竞赛奖"]),
                    ("补发", 50, 800, ["补发上月交通通讯补贴", "补发上月展业补贴差额"]),
                    ("扣款", 50, 500, ["扣回上月多发补贴", "考勤扣款", "工牌遗失工本费"]),
                ])
                amount = rng.randint(lo, hi) * 100 + rng.choice([0, 0, 50])
                adjustments.append((month, m.mid, comp, amount, rng.choice(notes),
                                    f"{'HZ' if m.branch == HZ else 'NB'}{month[:4]}-{500 + n:03d}"))


def _hand_over(rng: random.Random, orphans: dict[str, list[_Client]], present: list[_Manager]) -> None:
    for branch in sorted(orphans):
        takers = [m for m in present if m.filler and m.branch == branch and m.started
                  and len(m.clients) < 38]
        for c in orphans[branch]:
            if takers:
                rng.choice(takers).clients.append(c)
        orphans[branch] = []


# ------------------------------------------------------------------------------------------ clients

def _month_clients(m: _Manager, month: str, ids: _Ids) -> list[list]:
    rng = m.rng
    first = not m.started
    if first:
        m.started = True
        if m.filler:
            bal = m.balances
        else:
            w = [rng.uniform(0.4, 1.6) for _ in range(m.n_clients)]
            bal = [b / 100 for b in _split(fen(m.book), w)]
        for b in bal:
            m.clients.append(_Client(ids.next(m.branch), DEVELOPED, fen(b)))
    for start, yuan, new in m.transferred:
        if start == month or (start == "" and first):
            m.clients.append(_Client(ids.next(m.branch), TRANSFERRED, fen(yuan),
                                     new_in=month if new else None,
                                     ni_rate=rng.uniform(0.0008, 0.0015)))
    new_amounts = list(m.new.get(month, []))
    if m.random_new and len(m.clients) < 38 and rng.random() < 0.3:
        new_amounts += [rng.randint(10, 80) * 10_000 + rng.randint(0, 9_999)
                        for _ in range(rng.choice((1, 1, 2)))]
    for yuan in new_amounts:
        m.clients.append(_Client(ids.next(m.branch), DEVELOPED, fen(yuan), new_in=month))

    # Aggregate factor for the month's stock clients (fillers follow the market).
    if month in m.growth:
        g = m.growth[month]
    elif m.filler:
        g = 1 + _MARKET.get(month, 0.0) / 2 + rng.uniform(-0.01, 0.015)
    else:
        g = rng.uniform(0.995, 1.01)

    rows = []
    counted = []
    for c in m.clients:
        is_new = c.new_in == month
        if is_new and c.origin == DEVELOPED:
            opening, closing = 0, c.balance
            daily = int(closing * rng.uniform(0.35, 0.75))
        else:
            opening = c.balance
            closing = max(int(opening * g * rng.uniform(0.98, 1.02)), 0)
            daily = int((opening + closing) / 2 * rng.uniform(0.97, 1.03))
        c.balance = closing
        row = [m.mid, c.cid, c.origin, YES if is_new else NO, opening, closing, daily, 0]
        rows.append(row)
        if c.origin == DEVELOPED:
            counted.append(row)
        elif m.transferred_ni is not None:
            row[7] = m.transferred_ni
        else:
            row[7] = int(daily * c.ni_rate)

    if m.filler:
        target = fen(m.ni_base * rng.uniform(0.85, 1.15))
        target = (target // 100) * 100 + rng.choice([0, 0, rng.randint(0, 99)])
    else:
        target = fen(m.value(m.ni, month))
    weights = [max(r[6], 1) * rng.uniform(0.5, 1.5) for r in counted]
    if target >= 0:
        parts = _split(target, weights)
    else:
        # A big negative client (e.g. a commission rebate clawed back) and the rest positive.
        rest = fen(m.negative_rest)
        big = max(range(len(counted)), key=lambda i: counted[i][5])
        parts = _split(rest, [w for i, w in enumerate(weights) if i != big])
        parts.insert(big, target - rest)
    for r, p in zip(counted, parts):
        r[7] = p
    rows.sort(key=lambda r: r[1])
    return rows


def _aggregates(rows: list[list]) -> dict[str, int]:
    """SPEC 3.1 aggregates of one manager's month (fen), plus the same including transferred rows."""
    counted = [r for r in rows if r[2] == DEVELOPED]
    stock = [r for r in counted if r[3] == NO]
    return {
        "net_income": sum(r[7] for r in counted),
        "client_assets": sum(r[5] for r in counted),
        "new_client_assets": sum(r[5] for r in counted if r[3] == YES),
        "relationship_assets": sum(r[6] for r in counted),
        "stock_opening": sum(r[4] for r in stock),
        "stock_closing": sum(r[5] for r in stock),
        "client_assets_with_transferred": sum(r[5] for r in rows),
        "relationship_assets_with_transferred": sum(r[6] for r in rows),
    }


def _check_cast(sizes: dict[str, dict[str, dict[str, int]]], checks: list[tuple[str, list[dict]]]) -> None:
    """The cast's asset-based decisions hold with a clear margin (the `checks` of securities_cast.toml;
    guards against seed changes). A check of months not generated is skipped."""
    for mid, cast_checks in checks:
        shown = [mo for mo in sizes if mid in sizes[mo]]
        for c in cast_checks:
            what, spec = c["what"], c["months"]
            if spec == "*":
                spans = [[mo] for mo in shown]
            elif ".." in spec:
                spans = [month_range(*spec.split(".."))]
            else:
                spans = [[spec]]
            for span in spans:
                if not set(span) <= set(shown):
                    continue
                if what == "stock_loss":
                    a = sizes[span[0]][mid]
                    if not a["stock_opening"]:
                        continue
                    value, lo, hi = 1 - a["stock_closing"] / a["stock_opening"], c.get("min"), c.get("max")
                else:
                    value = sum(sizes[mo][mid][what] for mo in span)
                    lo, hi = (fen(c[k]) if k in c else None for k in ("min", "max"))
                if (lo is not None and value < lo) or (hi is not None and value > hi):
                    raise AssertionError(f"sample cast broken: {mid} {what} {'..'.join(span)}")
