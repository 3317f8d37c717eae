"""Seeded, deterministic synthetic input tree for the securities rulebook (SPEC sections 2, 3, 8).

`generate()` writes one folder per month, `<out_dir>/<YYYY-MM>/`, holding

- `roster.xlsx`, `scores.xlsx`, `clients.xlsx` every month;
- `events.csv` (UTF-8) and `adjustments.csv` (GBK) only in months that have rows;
- `overrides.xlsx` only in months that have rows.

The branch has a scripted *cast* (ZS001..ZS024 with the default size) whose months were worked by
hand against SPEC section 3 so that every securities rule fires at least once between 2013-01 and
2014-03 (see `sample_data/securities/README.md` for the table), plus random "ordinary" filler managers
up to `managers`. Fillers are built so that they never trip a rule by accident: their monthly scores
stay inside one level bracket (so the commission rate is constant and the year-end bonus positive),
they are hired either before 2008 (veterans all year) or between 2009-04 and 2012-08. The cast is
always written in full (`managers` below its size adds no filler); with 1,000 or more managers the
ids get four digits (ZS0001..). Ids with a 4-digit width keep the cast's roles (ZS0001 = ZS001).

Before writing a month folder, files of that folder with an input stem (roster, scores, clients,
events, adjustments, overrides) are removed, so a regenerated tree holds no stale optional file.

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

from cm_payroll.months import fmt_month, parse_month
from cm_payroll.sample.writers import write_csv as _write_csv
from cm_payroll.sample.writers import write_xlsx as _write_xlsx

__all__ = ["generate", "CAST_SIZE"]

HZ = "杭州营业部"
NB = "宁波营业部"
SALES = "销售类"
ADVISOR = "理财类"
DEVELOPED = "自行开发"
TRANSFERRED = "内部转入"
YES = "是"
NO = "否"

_STEMS = ("roster", "scores", "clients", "events", "adjustments", "overrides")
_EXTS = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".parquet")

ROSTER_HEADERS = ["工号", "姓名", "营业部", "类别", "入职日期", "片区经理工号", "证券从业资格"]
SCORES_HEADERS = ["工号", "积分"]
CLIENTS_HEADERS = ["工号", "客户号", "客户来源", "新增客户", "期初资产", "期末资产", "日均资产", "净收入"]
EVENTS_HEADERS = ["工号", "事件", "日期", "说明", "审批号"]
ADJUSTMENTS_HEADERS = ["工号", "项目", "金额", "说明", "审批号"]
OVERRIDES_HEADERS = ["工号", "项目", "值", "原因", "审批号"]

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


# ----------------------------------------------------------------------------------------- helpers

def _months(start: str, end: str) -> list[str]:
    first, last = parse_month(start), parse_month(end)
    if first > last:
        raise ValueError(f"start {start} is after end {end}")
    return [fmt_month(k) for k in range(first, last + 1)]


def _month_of(d: datetime.date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def _fen(yuan: float | int) -> int:
    return int(round(yuan * 100))


def _yuan_text(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


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
    score: object = 0                        # int | (lo, hi) | dict {"*": default, month: value}
    ni: object = 0                           # yuan, same forms as score
    book: int = 10_000_000                   # yuan, initial counted (developed, not new) assets
    n_clients: int = 12
    growth: dict[str, float] = field(default_factory=dict)       # month → aggregate stock factor
    new: dict[str, list[int]] = field(default_factory=dict)      # month → new clients' closing (yuan)
    random_new: bool = True
    transferred: list[tuple[str, int, bool]] = field(default_factory=list)  # (from month, yuan, new?)
    negative_rest: int = 10_000              # yuan: Σ of the other clients in a negative month
    filler: bool = False
    market: bool = False                     # stock clients follow _MARKET
    bracket: str = ""                        # fillers: the level bracket their scores stay in
    base_score: int = 0                      # fillers: monthly score = base ±12%
    ni_base: float = 0.0                     # fillers: monthly net income = base ±15% (yuan)
    balances: list[int] = field(default_factory=list)            # fillers: initial book (yuan)
    clients: list[_Client] = field(default_factory=list)
    started: bool = False

    def on_roster(self, month: str) -> bool:
        return _month_of(self.hired) <= month and (self.last is None or month <= self.last)

    def track_in(self, month: str) -> str:
        track = self.track
        for m in sorted(self.track_from):
            if m <= month:
                track = self.track_from[m]
        return track

    def value(self, spec: object, month: str) -> float:
        if isinstance(spec, dict):
            spec = spec.get(month, spec.get("*", 0))
        if isinstance(spec, tuple):
            lo, hi = spec
            return self.rng.randint(int(lo) // 100, int(hi) // 100) * 100
        return spec  # type: ignore[return-value]


class _Ids:
    def __init__(self) -> None:
        self.n = {HZ: 0, NB: 0}

    def next(self, branch: str) -> str:
        self.n[branch] += 1
        return ("3301" if branch == HZ else "3302") + f"{self.n[branch]:08d}"


# ---------------------------------------------------------------------------------------- the cast

# Each entry: the manager's script. Months not named take "*". Money in yuan. Worked by hand in
# sample_data/securities/README.md; `_check_cast` re-checks the asset thresholds after generation.
def _cast_specs() -> list[dict]:
    return [
        dict(name="王老将", branch=HZ, track=SALES, hired="2006-08-21", cert=True,
             score=(19_000, 22_000), ni=(40_000, 52_000), book=32_000_000, n=30,
             transferred=[("2013-01", 3_200_000, False)]),
        dict(name="李老成", branch=HZ, track=SALES, hired="2007-03-10", cert=True,
             score=10_000, ni=20_000, book=18_000_000, n=16,
             transferred=[("2013-01", 4_800_000, False)], transferred_ni=50_000),
        dict(name="张明星", branch=HZ, track=SALES, hired="2009-05-06", cert=True,
             score=28_000, ni=55_000, book=45_000_000, n=36),
        dict(name="陈见通", branch=HZ, track=SALES, hired="2013-03-11", cert=False, sup=1,
             score={"2013-03": 1_800, "2013-04": 2_000, "2013-05": 2_200, "2013-06": 2_500,
                    "2014-01": 5_000, "2014-02": 5_000, "2014-03": 5_000, "*": 4_500},
             ni={"2013-03": 3_000, "2013-04": 4_500, "2013-05": 6_000, "2013-06": 8_000, "*": 10_000},
             book=10_500_000, n=8, random_new=False,
             new={"2013-03": [300_000, 200_000], "2013-04": [450_000], "2013-05": [350_000, 250_000],
                  "2013-09": [600_000], "2013-11": [280_000]}),
        dict(name="刘见退", branch=HZ, track=SALES, hired="2013-02-18", cert=False, sup=1,
             last="2013-07",
             score={"2013-02": 1_600, "2013-03": 1_900, "2013-04": 2_000, "2013-05": 2_100,
                    "2013-06": 800, "2013-07": 500},
             ni={"2013-02": 2_500, "2013-03": 3_500, "2013-04": 4_000, "2013-05": 4_500,
                 "2013-06": 2_000, "2013-07": 1_500},
             book=5_600_000, n=5, random_new=False,
             new={"2013-02": [400_000], "2013-03": [300_000, 200_000], "2013-04": [400_000]},
             transferred=[("2013-04", 2_600_000, True), ("2013-04", 2_400_000, True)],
             events=[("2013-07-31", "解除完成", "见习期考核未通过,解除劳动合同", "HZ2013-071")]),
        dict(name="杨新年", branch=NB, track=SALES, hired="2013-11-04", cert=True, sup=24,
             score={"2013-11": 2_500, "2013-12": 4_000, "2014-01": 3_200, "2014-02": 3_500,
                    "2014-03": 5_000},
             ni={"2013-11": 2_000, "2013-12": 5_000, "2014-01": 5_500, "2014-02": 6_000,
                 "2014-03": 9_000},
             book=10_000_000, n=8, random_new=False,
             new={"2013-11": [500_000], "2013-12": [300_000], "2014-01": [400_000]}),
        dict(name="赵待过", branch=HZ, track=SALES, hired="2011-05-16", cert=True,
             score={"2013-01": 4_000, "2013-02": 3_800, "2013-03": 2_000, "2013-04": 1_500,
                    "2013-05": 2_000, "2013-06": 8_000, "2013-07": 6_000, "2014-01": 5_000,
                    "2014-02": 5_000, "2014-03": 5_000, "*": 5_500},
             ni=12_000, book=19_000_000, n=20),
        dict(name="黄补分", branch=HZ, track=SALES, hired="2010-10-11", cert=False,
             score={"2013-08": 1_000, "2013-09": 6_000, "2013-10": 3_600, "2013-11": 3_600,
                    "2013-12": 3_600, "2014-01": 4_000, "2014-02": 4_000, "2014-03": 4_000,
                    "*": 3_200},
             ni=8_000, book=8_000_000, n=12),
        dict(name="周待败", branch=HZ, track=SALES, hired="2012-03-05", cert=False, sup=1,
             last="2014-01",
             score={"2013-01": 3_900, "2013-02": 3_700, "2013-03": 3_500, "2013-04": 3_300,
                    "2013-05": 3_100, "2013-06": 2_900, "2013-07": 2_700, "2013-08": 2_500,
                    "2013-09": 1_000, "2013-10": 800, "2013-11": 1_000, "2013-12": 1_200,
                    "2014-01": 600},
             ni={"2014-01": 3_000, "2013-11": 9_000, "2013-12": 9_000, "*": 8_000},
             book=6_000_000, n=9, random_new=False,
             transferred=[("2013-01", 4_900_000, False), ("2013-01", 4_600_000, False),
                          ("2013-06", 1_200_000, False)],
             events=[("2014-01-24", "解除完成", "待岗培训未通过,解除劳动合同", "HZ2014-004")]),
        dict(name="吴再犯", branch=HZ, track=SALES, hired="2010-09-13", cert=True, last="2013-10",
             score={"2013-01": 3_200, "2013-02": 2_400, "2013-03": 2_000, "2013-04": 8_000,
                    "2013-05": 4_000, "2013-06": 3_000, "2013-07": 800, "2013-08": 0,
                    "2013-09": 500, "2013-10": 300},
             ni={"2013-08": 6_000, "2013-09": 5_000, "2013-10": 4_000, "*": 9_000},
             book=17_000_000, n=14, random_new=False,
             events=[("2013-10-25", "解除完成", "近12个月内第二次触发待岗培训,解除劳动合同",
                      "HZ2013-102")]),
        dict(name="徐转成", branch=HZ, track=SALES, hired="2009-06-15", cert=True,
             track_from={"2013-07": ADVISOR}, score=14_000, ni=30_000, book=28_000_000, n=26,
             events=[("2013-06-14", "转理财类", "申请转为理财类客户经理", "")]),
        dict(name="孙无证", branch=HZ, track=SALES, hired="2010-07-05", cert=False,
             score=12_500, ni=25_000, book=24_000_000, n=22,
             events=[("2013-04-10", "转理财类", "申请转为理财类客户经理", "")]),
        dict(name="胡特批", branch=HZ, track=SALES, hired="2010-04-12", cert=True,
             track_from={"2013-10": ADVISOR}, score=8_000, ni=16_000, book=20_000_000, n=18,
             events=[("2013-09-09", "转理财类", "申请转为理财类客户经理", "")],
             overrides=[("2013-09", "convert_to_advisor", YES,
                         "营业部经营班子会议同意破格转为理财类客户经理", "HZ2013-093")]),
        dict(name="朱回流", branch=HZ, track=ADVISOR, hired="2011-08-08", cert=True,
             track_from={"2013-05": SALES},
             score={"2013-01": 3_300, "2013-02": 2_300, "2013-03": 2_500, "2013-04": 8_000,
                    "*": 4_500},
             ni=6_000, book=17_000_000, n=15, random_new=False, growth={"2013-04": 0.85}),
        dict(name="高多调", branch=HZ, track=ADVISOR, hired="2010-03-22", cert=True,
             score=6_500, ni=14_000, book=21_000_000, n=20,
             events=[("2013-02-05", "转岗申请", "申请调往宁波营业部", ""),
                     ("2013-06-10", "转岗申请", "申请调往总部财富管理中心", ""),
                     ("2013-09-16", "转岗申请", "再次申请调往宁波营业部", "")]),
        dict(name="林新调", branch=HZ, track=ADVISOR, hired="2013-02-20", cert=True,
             score=5_000, ni={"2013-02": 3_000, "2013-03": 5_000, "*": 7_000},
             book=4_000_000, n=6,
             new={"2013-02": [350_000, 200_000], "2013-03": [500_000], "2013-05": [300_000]},
             events=[("2013-04-08", "转岗申请", "申请调往宁波营业部", ""),
                     ("2013-07-15", "转岗申请", "申请调往总部财富管理中心", "")]),
        dict(name="何造假", branch=HZ, track=SALES, hired="2010-11-08", cert=True, sup=1,
             score=7_000, ni=15_000, book=15_000_000, n=16,
             events=[("2013-05-20", "业绩造假", "虚增客户交易量及新开户数,经稽核核实", "HZ2013-052")]),
        dict(name="郭违规", branch=HZ, track=SALES, hired="2012-02-13", cert=True,
             score=5_000, ni=10_000, book=11_000_000, n=12,
             events=[("2013-08-12", "违规", "违规代客操作证券账户,合规部通报", "HZ2013-081")]),
        dict(name="马辞职", branch=HZ, track=SALES, hired="2011-04-06", cert=True, last="2013-11",
             score={"2013-11": 5_000, "*": 6_500}, ni=12_000, book=14_000_000, n=14,
             events=[("2013-09-16", "辞职申请", "个人原因申请辞职", ""),
                     ("2013-10-31", "交接未完成", "客户资料及印章尚未交接", ""),
                     ("2013-11-15", "解除完成", "交接完成,解除劳动合同", "HZ2013-111")]),
        dict(name="罗休假", branch=HZ, track=SALES, hired="2009-09-01", cert=True,
             score={"2013-07": 0, "*": 9_000}, ni={"2013-07": 6_000, "*": 18_000},
             book=20_000_000, n=18,
             events=[("2013-07-08", "休假", "婚假,7月8日至7月26日", "")]),
        dict(name="梁亏空", branch=HZ, track=SALES, hired="2011-01-05", cert=True,
             score=9_000,
             ni={"2013-12": -200_000, "2014-01": 3_000, "2014-02": 20_000, "2014-03": 18_000,
                 "*": 20_000},
             book=22_000_000, n=20, negative_rest=15_000),
        dict(name="宋特殊", branch=HZ, track=SALES, hired="2011-09-19", cert=True,
             score=7_500, ni=15_000, book=16_000_000, n=15,
             overrides=[("2013-10", "performance_bonus", 2_000,
                         "客户投诉属实,经营业部经营班子会议决定核减当月营销绩效奖", "HZ2013-104")]),
        dict(name="郑调整", branch=HZ, track=SALES, hired="2012-06-11", cert=True,
             score=4_800, ni=9_000, book=9_000_000, n=11,
             adjustments=[("2013-03", "补发", 420.00, "补发2月交通通讯补贴差额", "HZ2013-031"),
                          ("2013-07", "其他奖励", 1_500.00, "上半年新开户竞赛三等奖", "HZ2013-074"),
                          ("2013-09", "扣款", 300.00, "扣回8月多发的展业补贴", "HZ2013-095"),
                          ("2014-02", "补发", 680.50, "补发2014年1月漏计的绩效督导奖励", "HZ2014-021")]),
        dict(name="钱片区", branch=NB, track=SALES, hired="2010-01-18", cert=True,
             score=11_000, ni=22_000, book=26_000_000, n=24),
    ]


# Adjustments on the cast that belong to other rules' demonstrations.
_CAST_ADJUSTMENTS = [
    (7, "2013-05", "其他奖励", 800.00, "一季度客户回访竞赛参与奖", "HZ2013-053"),
    (3, "2013-06", "其他奖励", 5_000.00, "上半年营销竞赛一等奖", "HZ2013-061"),
]

CAST_SIZE = len(_cast_specs())


# ---------------------------------------------------------------------------------------- generate

def generate(out_dir: Path, *, seed: int = 2013, managers: int = 60,
             start: str = "2013-01", end: str = "2014-03") -> list[Path]:
    """Write <out_dir>/<YYYY-MM>/{roster,scores,clients}.xlsx and events/adjustments/overrides files; return the paths written (sorted)."""
    out_dir = Path(out_dir)
    months = _months(start, end)
    master = random.Random(seed)
    width = max(3, len(str(max(managers, CAST_SIZE))))
    ids = _Ids()

    def mid_of(i: int) -> str:
        return f"ZS{i:0{width}d}"

    # Child generators, drawn in a fixed order: cast first, so the cast's rows do not depend on the
    # number of fillers.
    cast_seeds = [master.getrandbits(64) for _ in range(CAST_SIZE)]
    filler_seed = master.getrandbits(64)

    mgrs: list[_Manager] = []
    events: list[tuple[str, str, str, str, str, str]] = []         # month, id, event, date, note, ref
    adjustments: list[tuple[str, str, str, int, str, str]] = []    # month, id, comp, fen, note, ref
    overrides: list[tuple[str, str, str, object, str, str]] = []   # month, id, field, value, reason, ref
    transferred_ni: dict[str, int] = {}

    for i, spec in enumerate(_cast_specs(), start=1):
        m = _Manager(mid=mid_of(i), name=spec["name"], branch=spec["branch"], track=spec["track"],
                     hired=_date(spec["hired"]), certified=spec["cert"],
                     rng=random.Random(cast_seeds[i - 1]),
                     supervisor=mid_of(spec["sup"]) if spec.get("sup") else None,
                     last=spec.get("last"), track_from=dict(spec.get("track_from", {})),
                     score=spec["score"], ni=spec["ni"], book=spec["book"], n_clients=spec["n"],
                     growth=dict(spec.get("growth", {})), new=dict(spec.get("new", {})),
                     random_new=spec.get("random_new", True),
                     transferred=list(spec.get("transferred", [])),
                     negative_rest=spec.get("negative_rest", 10_000))
        if "transferred_ni" in spec:
            transferred_ni[m.mid] = _fen(spec["transferred_ni"])
        mgrs.append(m)
        for date, ev, note, ref in spec.get("events", []):
            events.append((date[:7], m.mid, ev, date, note, ref))
        for month, fld, value, reason, ref in spec.get("overrides", []):
            overrides.append((month, m.mid, fld, value, reason, ref))
        for month, comp, amount, note, ref in spec.get("adjustments", []):
            adjustments.append((month, m.mid, comp, _fen(amount), note, ref))
    for i, month, comp, amount, note, ref in _CAST_ADJUSTMENTS:
        adjustments.append((month, mid_of(i), comp, _fen(amount), note, ref))

    frng = random.Random(filler_seed)
    fillers = _make_fillers(frng, [mid_of(i) for i in range(CAST_SIZE + 1, managers + 1)])
    mgrs.extend(fillers)
    _assign_supervisors(frng, fillers, mid_of)
    _filler_events(frng, fillers, months, events, adjustments)

    by_id = {m.mid: m for m in mgrs}
    # Clients of a manager who left are handed to colleagues of the branch as 内部转入.
    orphans: dict[str, list[_Client]] = {}

    written: list[Path] = []
    sizes: dict[str, dict[str, dict[str, int]]] = {}
    for month in months:
        folder = out_dir / month
        folder.mkdir(parents=True, exist_ok=True)
        for p in sorted(folder.iterdir()):
            if p.is_file() and p.stem in _STEMS and p.suffix.casefold() in _EXTS:
                p.unlink()

        present = [m for m in mgrs if m.on_roster(month)]
        _hand_over(frng, orphans, present, month)

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
            rows = _month_clients(m, month, ids, transferred_ni.get(m.mid))
            client_rows.extend(rows)
            sizes[month][m.mid] = _aggregates(rows)
            if m.last == month:
                orphans[m.branch] = orphans.get(m.branch, []) + [
                    _Client(c.cid, TRANSFERRED, c.balance, ni_rate=m.rng.uniform(0.0006, 0.0012))
                    for c in m.clients]

        written.append(_write_xlsx(folder / "roster.xlsx", "花名册", ROSTER_HEADERS, roster_rows,
                                   ["text", "text", "text", "text", "date", "text", "text"]))
        written.append(_write_xlsx(folder / "scores.xlsx", "积分", SCORES_HEADERS, score_rows,
                                   ["text", "int"]))
        written.append(_write_xlsx(folder / "clients.xlsx", "客户明细", CLIENTS_HEADERS, client_rows,
                                   ["text", "text", "text", "text", "money", "money", "money", "money"]))

        on = {m.mid for m in present}
        ev_rows = [[mid, ev, date, note, ref] for (mo, mid, ev, date, note, ref) in events
                   if mo == month and mid in on]
        ev_rows.sort(key=lambda r: (r[2], r[0], r[1]))
        if ev_rows:
            written.append(_write_csv(folder / "events.csv", EVENTS_HEADERS, ev_rows, "utf-8"))
        adj_rows = [[mid, comp, _yuan_text(fen), note, ref]
                    for (mo, mid, comp, fen, note, ref) in adjustments if mo == month and mid in on]
        adj_rows.sort(key=lambda r: (r[0], r[1]))
        if adj_rows:
            written.append(_write_csv(folder / "adjustments.csv", ADJUSTMENTS_HEADERS, adj_rows, "gbk"))
        ov_rows = [[mid, fld, value if isinstance(value, str) else _yuan_text(_fen(value)), reason, ref]
                   for (mo, mid, fld, value, reason, ref) in overrides if mo == month and mid in on]
        ov_rows.sort(key=lambda r: (r[0], r[1]))
        if ov_rows:
            written.append(_write_xlsx(folder / "overrides.xlsx", "特殊处理", OVERRIDES_HEADERS,
                                       ov_rows, ["text"] * 5))

    _check_cast(sizes, mid_of)
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
                     market=True, bracket=bracket, base_score=base, ni_base=ni_base,
                     balances=balances)
        if rng.random() < 0.25:
            m.transferred = [("", int(_lognormal(rng)), False) for _ in range(rng.randint(1, 3))]
        out.append(m)
    return out


def _lognormal(rng: random.Random) -> int:
    return int(min(max(rng.lognormvariate(math.log(800_000), 0.8), 100_000), 5_000_000))


def _assign_supervisors(rng: random.Random, fillers: list[_Manager], mid_of) -> None:
    """ZS001 and ZS017 (杭州) and ZS024 (宁波) supervise a few fillers; about one filler in eight
    (confirmed sales, above ordinary) is a 片区经理 of its branch's fillers too."""
    hz_sales = [m for m in fillers if m.branch == HZ and m.track == SALES]
    hz_adv = [m for m in fillers if m.branch == HZ and m.track == ADVISOR]
    nb = [m for m in fillers if m.branch == NB]
    fixed: dict[str, str] = {}
    for m in hz_sales[:3] + hz_adv[:1]:
        fixed[m.mid] = mid_of(1)
    for m in hz_sales[3:5]:
        fixed[m.mid] = mid_of(17)
    for m in nb[:3]:
        fixed[m.mid] = mid_of(24)
    rest = [m for m in fillers if m.mid not in fixed]
    candidates = [m for m in rest if m.track == SALES and m.bracket != "ordinary"]
    step = max(1, round(len(candidates) * 8 / max(len(rest), 1)))
    heads = candidates[::step]
    head_ids = [m.mid for m in heads]
    for m in fillers:
        if m.mid in fixed:
            m.supervisor = fixed[m.mid]
        elif m.mid not in head_ids and rng.random() < 0.7:
            pool = [h.mid for h in heads if h.branch == m.branch]
            if pool:
                m.supervisor = rng.choice(pool)


def _filler_events(rng: random.Random, fillers: list[_Manager], months: list[str],
                   events: list, adjustments: list) -> None:
    n = 0
    for m in fillers:
        for month in months:
            r = rng.random()
            if r < 0.012:
                day = rng.randint(1, 20)
                events.append((month, m.mid, "休假", f"{month}-{day:02d}",
                               rng.choice(["年休假3天", "年休假5天", "病假2天", "事假1天"]), ""))
            r = rng.random()
            if r < 0.03:
                n += 1
                comp, lo, hi, notes = rng.choice([
                    ("其他奖励", 200, 2_000, ["季度优秀服务奖", "客户回访竞赛奖", "新开户竞赛奖"]),
                    ("补发", 50, 800, ["补发上月交通通讯补贴", "补发上月展业补贴差额"]),
                    ("扣款", 50, 500, ["扣回上月多发补贴", "考勤扣款", "工牌遗失工本费"]),
                ])
                amount = rng.randint(lo, hi) * 100 + rng.choice([0, 0, 50])
                adjustments.append((month, m.mid, comp, amount, rng.choice(notes),
                                    f"{'HZ' if m.branch == HZ else 'NB'}{month[:4]}-{500 + n:03d}"))


def _hand_over(rng: random.Random, orphans: dict[str, list[_Client]], present: list[_Manager],
               month: str) -> None:
    for branch in sorted(orphans):
        takers = [m for m in present if m.filler and m.branch == branch and m.started
                  and len(m.clients) < 38]
        for c in orphans[branch]:
            if takers:
                rng.choice(takers).clients.append(c)
        orphans[branch] = []


# ------------------------------------------------------------------------------------------ clients

def _month_clients(m: _Manager, month: str, ids: _Ids, transferred_ni: int | None) -> list[list]:
    rng = m.rng
    first = not m.started
    if first:
        m.started = True
        if m.filler:
            bal = m.balances
        else:
            w = [rng.uniform(0.4, 1.6) for _ in range(m.n_clients)]
            bal = [b / 100 for b in _split(_fen(m.book), w)]
        for b in bal:
            m.clients.append(_Client(ids.next(m.branch), DEVELOPED, _fen(b)))
    for start, yuan, new in m.transferred:
        if start == month or (start == "" and first):
            m.clients.append(_Client(ids.next(m.branch), TRANSFERRED, _fen(yuan),
                                     new_in=month if new else None,
                                     ni_rate=rng.uniform(0.0008, 0.0015)))
    new_amounts = list(m.new.get(month, []))
    if m.random_new and len(m.clients) < 38 and rng.random() < 0.3:
        new_amounts += [rng.randint(10, 80) * 10_000 + rng.randint(0, 9_999)
                        for _ in range(rng.choice((1, 1, 2)))]
    for yuan in new_amounts:
        m.clients.append(_Client(ids.next(m.branch), DEVELOPED, _fen(yuan), new_in=month))

    # Aggregate factor for the month's stock clients.
    if month in m.growth:
        g = m.growth[month]
    elif m.market:
        g = 1 + _MARKET.get(month, 0.0) / 2 + rng.uniform(-0.01, 0.015)
    else:
        g = rng.uniform(0.995, 1.01)

    rows = []
    counted = []
    for c in m.clients:
        is_new = c.new_in == month
        if c.new_in == month and c.origin == DEVELOPED:
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
        elif transferred_ni is not None:
            row[7] = transferred_ni
        else:
            row[7] = int(daily * c.ni_rate)

    if m.filler:
        target = _fen(m.ni_base * rng.uniform(0.85, 1.15))
        target = (target // 100) * 100 + rng.choice([0, 0, rng.randint(0, 99)])
    else:
        target = _fen(m.value(m.ni, month))
    weights = [max(r[6], 1) * rng.uniform(0.5, 1.5) for r in counted]
    if target >= 0:
        parts = _split(target, weights)
    else:
        # A big negative client (e.g. a commission rebate clawed back) and the rest positive.
        rest = _fen(m.negative_rest)
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
        "all_client_assets": sum(r[5] for r in rows),
        "all_relationship_assets": sum(r[6] for r in rows),
    }


def _check_cast(sizes: dict[str, dict[str, dict[str, int]]], mid_of) -> None:
    """The cast's asset-based decisions hold with a clear margin (guards against seed changes)."""
    def agg(i: int, month: str, key: str) -> int | None:
        return sizes.get(month, {}).get(mid_of(i), {}).get(key)

    def need(ok: bool, what: str) -> None:
        if not ok:
            raise AssertionError(f"sample cast broken: {what}")

    def loss(i: int, month: str) -> float:
        o, c = agg(i, month, "stock_opening"), agg(i, month, "stock_closing")
        return 1 - c / o if o else 0.0

    y = 100  # fen per yuan
    if agg(4, "2013-06", "client_assets") is not None:
        need(agg(4, "2013-06", "client_assets") >= 11_000_000 * y, "ZS004 month-4 assets")
        need(sum(agg(4, m, "new_client_assets") for m in ("2013-03", "2013-04", "2013-05", "2013-06"))
             >= 1_200_000 * y, "ZS004 new assets")
    if agg(5, "2013-05", "client_assets") is not None:
        need(agg(5, "2013-05", "client_assets") <= 8_500_000 * y, "ZS005 month-4 assets low")
        need(agg(5, "2013-05", "all_client_assets") >= 10_500_000 * y, "ZS005 assets with transfers")
        need(sum(agg(5, m, "new_client_assets") for m in ("2013-02", "2013-03", "2013-04", "2013-05"))
             >= 1_100_000 * y, "ZS005 new assets")
    if agg(6, "2014-02", "client_assets") is not None:
        need(agg(6, "2014-02", "client_assets") >= 10_400_000 * y, "ZS006 month-4 assets")
    if agg(7, "2013-05", "relationship_assets") is not None:
        need(agg(7, "2013-05", "relationship_assets") >= 15_500_000 * y, "ZS007 relationship assets")
    if agg(8, "2013-09", "relationship_assets") is not None:
        need(agg(8, "2013-09", "relationship_assets") <= 12_000_000 * y, "ZS008 relationship low")
    if agg(9, "2013-10", "relationship_assets") is not None:
        need(agg(9, "2013-10", "relationship_assets") <= 9_000_000 * y, "ZS009 relationship low")
        need(agg(9, "2013-10", "all_relationship_assets") >= 15_000_000 * y, "ZS009 with transfers")
    if agg(10, "2013-03", "relationship_assets") is not None:
        need(agg(10, "2013-03", "relationship_assets") >= 15_000_000 * y, "ZS010 relationship assets")
    if agg(14, "2013-04", "stock_opening") is not None:
        need(agg(14, "2013-03", "relationship_assets") >= 15_000_000 * y, "ZS014 relationship")
        need(loss(14, "2013-04") >= 0.12, "ZS014 April stock loss")
        for m in ("2013-02", "2013-03"):
            need(loss(14, m) <= 0.05, f"ZS014 {m} stock loss")
    for i in (11, 13, 15, 16):
        for month in sizes:
            if agg(i, month, "stock_opening"):
                need(loss(i, month) <= 0.05, f"ZS{i:03d} stock loss {month}")


# ------------------------------------------------------------------------------------------ writers

