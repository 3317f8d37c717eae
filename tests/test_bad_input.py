"""Bad input for the securities rulebook, through the real command line (SPEC 2, 7, 8).

Each case starts from a small valid 2013-01 month (tests/bad_input/month.py: roster, scores and clients
of three managers as .xlsx), breaks one thing and runs `python -m cm_payroll month 2013-01` in a
subprocess. A bad input must end with exit code 1, a message on stderr naming the file, the sheet (for
.xlsx), the Excel row number and the column header as the clerk wrote it, no traceback, and no month
folder in the output root. Positive controls (odd but acceptable input) must exit 0.

An error's location is checked as the CLI renders it, `file, sheet S, row R, column C:` (whitespace
ignored: the console wraps long lines).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import helpers
from tests.bad_input.month import (ADJUSTMENTS_HEADER, ENGLISH, EVENTS_HEADER, MONTH, OVERRIDES_HEADER,
                                   Month, Sheet, csv_bytes, optional_file, replace_in_xlsx, valid_month,
                                   zip_bomb)

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120

R, S, C = "roster.xlsx", "scores.xlsx", "clients.xlsx"
RS, SS, CS = "花名册", "积分", "客户资产"          # their sheet names


# ------------------------------------------------------------------------------------------- running

def cli(*args: str) -> subprocess.CompletedProcess:
    return helpers.cli(*args, timeout=TIMEOUT)


def run_month(inp: Path, out: Path) -> subprocess.CompletedProcess:
    return cli("month", MONTH, "--input", str(inp), "--output", str(out))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pay_frame(out: Path):
    from cm_payroll.pipeline import load_result
    return load_result(out, MONTH, "pay")


@dataclass(frozen=True)
class Loc:
    """Where an error must point, rendered like the CLI (`file, sheet S, row R, column C:`)."""

    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def render(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts) + ":"

    def matches(self, err: dict) -> bool:
        return (err.get("file"), err.get("sheet"), err.get("row"), err.get("column")) == (
            self.file, self.sheet, self.row, self.column)


@dataclass
class Case:
    id: str
    edit: Callable[[Month], None] | None = None     # change the month's data before it is written
    raw: Callable[[Path], None] | None = None       # change the written month folder (bytes on disk)
    locs: list[Loc] = field(default_factory=list)   # errors that must be reported (exit 1)
    text: list[str] = field(default_factory=list)   # words the stderr must also hold
    ok: bool = False                                # positive control: exit 0
    check: Callable[[Path], None] | None = None     # positive control: look at the computed month
    xfail: str | None = None
    exact: bool = True                              # exactly len(locs) errors (no spurious ones)
    count: int | None = None                        # the number of errors when locs is empty
    max_seconds: float | None = None
    max_stderr: int | None = None

    @property
    def expected_count(self) -> int | None:
        if self.count is not None:
            return self.count
        return len(self.locs) if self.locs and self.exact else None

    def param(self):
        marks = [pytest.mark.xfail(reason=self.xfail, strict=True)] if self.xfail else []
        return pytest.param(self, id=self.id, marks=marks)


def prepare(case: Case, base: Path) -> tuple[Path, Path]:
    inp, out = base / "input", base / "output"
    month = valid_month()
    if case.edit:
        case.edit(month)
    folder = month.write(inp)
    if case.raw:
        case.raw(folder)
    return inp, out


def assert_nothing_written(out: Path) -> None:
    assert not (out / MONTH).exists(), f"{out / MONTH} was written after an input error"
    left = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert set(left) <= {".lock"}, f"the output root holds {left} after an input error"


# ------------------------------------------------------------------------------------------- edits

def setcell(stem: str, row: int, header: str, value) -> Callable[[Month], None]:
    def edit(m: Month) -> None:
        m.sheet(stem).set(row, header, value)
    return edit


def addrow(stem: str, row: list) -> Callable[[Month], None]:
    def edit(m: Month) -> None:
        m.sheet(stem).add(row)
    return edit


def remove(stem: str) -> Callable[[Month], None]:
    def edit(m: Month) -> None:
        del m.files[stem]
    return edit


def with_file(stem: str, header: list[str], rows: list[list], english: bool = False) -> Callable[[Month], None]:
    def edit(m: Month) -> None:
        m.files[stem] = optional_file(stem, header, rows)
        if english:
            m.sheet(stem).rename(ENGLISH)
    return edit


def chain(*edits: Callable[[Month], None]) -> Callable[[Month], None]:
    def edit(m: Month) -> None:
        for e in edits:
            e(m)
    return edit


def english_headers(m: Month) -> None:
    for f in m.files.values():
        for s in f.sheets:
            s.rename(ENGLISH)


def english_values(m: Month) -> None:
    r, c = m.sheet("roster"), m.sheet("clients")
    tr = {"销售类": "sales", "理财类": "advisor"}
    yn = {"是": "yes", "否": "no"}
    og = {"自行开发": "developed", "内部转入": "transferred"}
    for row in r.rows:
        row[r.col("类别")] = tr[row[r.col("类别")]]
        row[r.col("证券从业资格")] = yn[row[r.col("证券从业资格")]]
    for row in c.rows:
        row[c.col("客户来源")] = og[row[c.col("客户来源")]]
        row[c.col("新增客户")] = yn[row[c.col("新增客户")]]


def odd_header_spellings(m: Month) -> None:
    m.sheet("roster").rename({"工号": " 工号 ", "入职日期": "*入职日期", "类别": "TRACK"})
    m.sheet("scores").rename({"工号": "ＭＡＮＡＧＥＲ＿ＩＤ", "积分": " Score "})


def as_csv(stem: str, encoding: str = "utf-8") -> Callable[[Month], None]:
    def edit(m: Month) -> None:
        m[stem].fmt = "csv"
        m[stem].encoding = encoding
    return edit


def title_rows(m: Month) -> None:
    """A title and a blank row above the header, a 合计 row at the bottom (as exports have them)."""
    for stem, title in (("roster", "2013年1月 客户经理花名册"), ("scores", "2013年1月 积分"),
                        ("clients", "2013年1月 客户资产明细")):
        s = m.sheet(stem)
        s.above = [[title] + [None] * (len(s.header) - 1), [None] * len(s.header)]
    sc, cl, ro = m.sheet("scores"), m.sheet("clients"), m.sheet("roster")
    sc.below = [["合计", sum(r[1] for r in sc.rows)]]
    cl.below = [["合计", None, None, None] + [sum(r[j] for r in cl.rows) for j in range(4, 8)]]
    ro.below = [["合计", f"{len(ro.rows)}人", None, None, None, None, None, None]]


def numeric_ids(m: Month) -> None:
    """工号 typed as numbers in Excel (10001), as HR systems export them."""
    ids = {"A1": 10001, "A2": 10002, "B1": 20001}
    for stem in ("roster", "scores", "clients"):
        for r in m.sheet(stem).rows:
            r[0] = ids[r[0]]
    m.sheet("roster").set(3, "片区经理工号", 10001)


def text_dates(m: Month) -> None:
    r = m.sheet("roster")
    r.set(2, "入职日期", "2011/3/1")
    r.set(3, "入职日期", "2012年5月10日")
    r.set(4, "入职日期", "20100715")
    m.sheet("clients").set(2, "净收入", "１２３４.５６")


def clerk_spellings(m: Month) -> None:
    """English category values, header case/spaces/full-width/star, numeric 工号, dates as text in
    three forms, full-width digits in an amount, an amount with 3 decimals (half-up to the fen), and a
    roster manager without a scores row (a warning, score 0)."""
    english_values(m)
    text_dates(m)
    numeric_ids(m)
    m.sheet("clients").set(4, "净收入", "1000.005")
    m.sheet("scores").rows.pop()
    odd_header_spellings(m)          # last: the edits above find the columns by their usual headers


def serial_column_totals(m: Month) -> None:
    """A leading 序号 column; the 合计 row has its label there and sums in the money columns."""
    for stem in ("roster", "scores", "clients"):
        s = m.sheet(stem)
        s.header.insert(0, "序号")
        for i, r in enumerate(s.rows, 1):
            r.insert(0, i)
    c = m.sheet("clients")
    c.below = [["合计", None, None, None, None] + [sum(r[j] for r in c.rows) for j in range(5, 9)]]
    sc = m.sheet("scores")
    sc.below = [["合计", None, sum(r[2] for r in sc.rows)]]


def split_roster(m: Month) -> None:
    """The roster continues on a second sheet with the same header; its row 2 has a bad date."""
    r = m.sheet("roster")
    rest = Sheet("花名册(续)", list(r.header), [r.rows.pop()])
    rest.set(2, "入职日期", "2010-02-30")
    m["roster"].sheets.append(rest)


def roster_huge_name(m: Month) -> None:
    m["roster"].fmt = "csv"
    m.sheet("roster").set(2, "姓名", "张" * 3_500_000)          # ≈ 10.5 MB of UTF-8 in one cell


def huge_name_in_xlsx(folder: Path) -> None:
    replace_in_xlsx(folder / R, "王五", "王" * 3_500_000)     # row 4: ≈ 10.5 MB in one shared string


def write_bytes(name: str, data: bytes) -> Callable[[Path], None]:
    def raw(folder: Path) -> None:
        (folder / name).write_bytes(data)
    return raw


def truncated(name: str) -> Callable[[Path], None]:
    def raw(folder: Path) -> None:
        b = (folder / name).read_bytes()
        (folder / name).write_bytes(b[: len(b) // 2])
    return raw


def zip_not_workbook(folder: Path) -> None:
    with zipfile.ZipFile(folder / R, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("readme.txt", "这不是工作簿 / not a workbook\n" * 50)


def csv_twin_of_roster(folder: Path) -> None:
    m = valid_month()
    (folder / "roster.csv").write_bytes(csv_bytes(m.sheet("roster").grid()))


def bomb(folder: Path) -> None:
    (folder / C).unlink()
    zip_bomb(folder / C)


# ------------------------------------------------------------------------------------------- checks

def managers(*ids: str) -> Callable[[Path], None]:
    def check(out: Path) -> None:
        assert sorted(pay_frame(out).get_column("manager_id").to_list()) == sorted(ids)
    return check


def net_income(mid: str, fen: int) -> Callable[[Path], None]:
    def check(out: Path) -> None:
        pay = pay_frame(out)
        got = pay.filter(pay["manager_id"] == mid).get_column("net_income").to_list()
        assert got == [fen], f"{mid} net_income {got}, expected {[fen]} fen"
    return check


def name_of(mid: str, name: str) -> Callable[[Path], None]:
    def check(out: Path) -> None:
        pay = pay_frame(out)
        assert pay.filter(pay["manager_id"] == mid).get_column("name").to_list() == [name]
    return check


def hire_dates(expected: dict[str, dt.date]) -> Callable[[Path], None]:
    def check(out: Path) -> None:
        pay = pay_frame(out)
        assert dict(pay.select("manager_id", "hire_date").iter_rows()) == expected
    return check


def all_of(*checks: Callable[[Path], None]) -> Callable[[Path], None]:
    def check(out: Path) -> None:
        for c in checks:
            c(out)
    return check


ALL = managers("A1", "A2", "B1")
EV = optional_file("events", EVENTS_HEADER, []).sheet.name          # 事件
ADJ = optional_file("adjustments", ADJUSTMENTS_HEADER, []).sheet.name   # 调整
OV = optional_file("overrides", OVERRIDES_HEADER, []).sheet.name       # 特殊处理

# ------------------------------------------------------------------------------------------- cases

CASES = [
    # --- positive controls ------------------------------------------------------------------------
    Case("good_month", ok=True, check=ALL),
    Case("english_headers", edit=english_headers, ok=True, check=ALL),
    Case("money_thousands_separator", edit=setcell("clients", 4, "净收入", "1,234.56"), ok=True,
         check=net_income("A2", 123456)),
    Case("money_yuan_sign_and_suffix", edit=setcell("clients", 4, "净收入", "¥1,234.56元"), ok=True,
         check=net_income("A2", 123456)),
    Case("header_only_events_optional", edit=with_file("events", EVENTS_HEADER, []), ok=True, check=ALL),
    Case("csv_gbk", edit=as_csv("roster", "gbk"), ok=True, check=all_of(ALL, name_of("A1", "张三"))),
    Case("csv_utf8_bom", edit=as_csv("roster", "utf-8-sig"), ok=True, check=all_of(ALL, name_of("B1", "王五"))),
    Case("title_row_and_totals_row", edit=title_rows, ok=True,
         check=all_of(ALL, net_income("A1", 1000000))),
    # several spellings a clerk's export may have, in one month (each is checked by its effect)
    Case("clerk_spellings_accepted", edit=clerk_spellings, ok=True,
         check=all_of(managers("10001", "10002", "20001"), net_income("10001", 123456),
                      net_income("10002", 100001), hire_dates({"10001": dt.date(2011, 3, 1),
                                                               "10002": dt.date(2012, 5, 10),
                                                               "20001": dt.date(2010, 7, 15)}))),
    Case("totals_row_label_in_a_serial_number_column", edit=serial_column_totals, ok=True, check=ALL),

    # --- files ---------------------------------------------------------------------------------------
    Case("missing_roster", edit=remove("roster"), locs=[Loc(R)], text=["roster", "missing"]),
    Case("missing_scores", edit=remove("scores"), locs=[Loc(S)], text=["scores", "missing"]),
    Case("missing_clients", edit=remove("clients"), locs=[Loc(C)], text=["clients", "missing"]),
    Case("two_files_for_one_stem", raw=csv_twin_of_roster, text=["roster.csv", "roster.xlsx"], count=1),
    Case("empty_file_xlsx_0_bytes", raw=write_bytes(R, b""), locs=[Loc(R)], text=["empty"]),
    Case("csv_in_utf16_unicode_text", edit=as_csv("roster", "utf-16"), locs=[Loc("roster.csv")]),
    Case("header_only_roster_required", edit=lambda m: m.sheet("roster").rows.clear(), locs=[Loc(R, RS)]),
    Case("xlsx_that_is_a_text_file",
         raw=write_bytes(R, csv_bytes(valid_month().sheet("roster").grid())), locs=[Loc(R)]),
    Case("xlsx_truncated_half", raw=truncated(R), locs=[Loc(R)]),
    Case("xlsx_zip_bomb_300MB", raw=bomb, locs=[Loc(C)], max_seconds=15),
    Case("xlsx_encrypted_ole_container", raw=write_bytes(R, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096),
         locs=[Loc(R)]),
    Case("xlsx_zip_without_workbook", raw=zip_not_workbook, locs=[Loc(R)]),

    # --- columns -------------------------------------------------------------------------------------
    Case("missing_required_column_hire_date",
         edit=lambda m: m.sheet("roster").drop_column("入职日期"),
         locs=[Loc(R, RS, None, "入职日期")], text=["入职日期", "hire_date"]),

    # --- keys and references -------------------------------------------------------------------------
    Case("duplicate_manager_in_roster",
         edit=addrow("roster", ["A1", "张三丰", "杭州营业部", "销售类", dt.date(2012, 1, 1), None, "是", "否"]),
         locs=[Loc(R, RS, 2, "工号"), Loc(R, RS, 5, "工号")], text=["A1"]),
    Case("duplicate_manager_in_scores", edit=addrow("scores", ["A2", 100]),
         locs=[Loc(S, SS, 3, "工号"), Loc(S, SS, 5, "工号")], text=["A2"]),
    Case("duplicate_client_of_one_manager",
         edit=addrow("clients", ["A1", "C1", "自行开发", "否", 1, 1, 1, 1]),
         locs=[Loc(C, CS, 2, "客户号"), Loc(C, CS, 6, "客户号")], text=["C1"]),
    Case("scores_manager_not_in_roster", edit=addrow("scores", ["Z9", 100]),
         locs=[Loc(S, SS, 5, "工号")], text=["Z9"]),
    Case("clients_manager_not_in_roster", edit=addrow("clients", ["Z9", "C1", "自行开发", "否", 1, 1, 1, 1]),
         locs=[Loc(C, CS, 6, "工号")], text=["Z9"]),
    Case("event_for_unknown_manager",
         edit=with_file("events", EVENTS_HEADER, [["A1", "休假", dt.date(2013, 1, 10), None, None],
                                                  ["Z9", "辞职申请", dt.date(2013, 1, 15), None, None]]),
         locs=[Loc("events.xlsx", EV, 3, "工号")], text=["Z9"]),
    Case("id_with_space", edit=setcell("roster", 3, "工号", "A 2"), locs=[Loc(R, RS, 3, "工号")]),
    Case("id_with_slash", edit=setcell("roster", 4, "工号", "../x"), locs=[Loc(R, RS, 4, "工号")]),

    # --- values --------------------------------------------------------------------------------------
    Case("unknown_track", edit=setcell("roster", 3, "类别", "管理类"), locs=[Loc(R, RS, 3, "类别")],
         text=["管理类"]),
    Case("unknown_origin", edit=setcell("clients", 4, "客户来源", "朋友介绍"), locs=[Loc(C, CS, 4, "客户来源")],
         text=["朋友介绍"]),
    Case("bad_yes_no", edit=setcell("clients", 3, "新增客户", "有"), locs=[Loc(C, CS, 3, "新增客户")]),
    Case("unknown_event_value",
         edit=with_file("events", EVENTS_HEADER, [["A1", "请假", dt.date(2013, 1, 10), None, None]]),
         locs=[Loc("events.xlsx", EV, 2, "事件")], text=["请假"]),
    Case("negative_opening_assets", edit=setcell("clients", 3, "期初资产", -100),
         locs=[Loc(C, CS, 3, "期初资产")]),
    Case("non_numeric_net_income", edit=setcell("clients", 5, "净收入", "abc"), locs=[Loc(C, CS, 5, "净收入")],
         text=["abc"]),
    Case("blank_required_cell", edit=setcell("clients", 3, "期末资产", None), locs=[Loc(C, CS, 3, "期末资产")]),
    Case("score_with_5_decimals", edit=setcell("scores", 3, "积分", "2500.12345"), locs=[Loc(S, SS, 3, "积分")]),
    Case("bad_date", edit=setcell("roster", 3, "入职日期", "2013-13-45"), locs=[Loc(R, RS, 3, "入职日期")],
         text=["2013-13-45"]),
    Case("hire_date_after_month_end", edit=setcell("roster", 4, "入职日期", dt.date(2013, 2, 1)),
         locs=[Loc(R, RS, 4, "入职日期")]),
    Case("text_cell_of_10MB_in_csv", edit=roster_huge_name, locs=[Loc("roster.csv", None, 2, "姓名")],
         max_stderr=20_000),
    Case("text_cell_of_10MB_in_xlsx", raw=huge_name_in_xlsx, locs=[Loc(R, RS, 4, "姓名")], max_stderr=20_000),
    Case("adjustment_negative_amount",
         edit=with_file("adjustments", ADJUSTMENTS_HEADER, [["A1", "其他奖励", -500, "奖励", "AP-1"]]),
         locs=[Loc("adjustments.xlsx", ADJ, 2, "金额")]),

    # --- overrides (decision 25) -----------------------------------------------------------------
    Case("override_without_approval_ref",
         edit=with_file("overrides", OVERRIDES_HEADER, [["A1", "status", "在岗", "总经理特批", None]]),
         locs=[Loc("overrides.xlsx", OV, 2, "审批号")]),
    Case("override_unknown_field",
         edit=with_file("overrides", OVERRIDES_HEADER, [["A1", "奖金系数", "1.2", "特批", "SP-2013-001"]]),
         locs=[Loc("overrides.xlsx", OV, 2, "项目")], text=["奖金系数"]),

    # --- row numbers and headers as the clerk sees them -------------------------------------------
    Case("row_number_below_title_rows",
         edit=chain(title_rows, setcell("clients", 6, "净收入", "abc")), locs=[Loc(C, CS, 6, "净收入")]),
    Case("row_number_in_csv", edit=chain(as_csv("clients"), setcell("clients", 4, "日均资产", "n/a")),
         locs=[Loc("clients.csv", None, 4, "日均资产")]),
    Case("row_number_on_continuation_sheet", edit=split_roster, locs=[Loc(R, "花名册(续)", 2, "入职日期")],
         exact=False),
    Case("continuation_sheet_no_false_error_on_first_sheet", edit=split_roster,
         locs=[Loc(R, "花名册(续)", 2, "入职日期")]),
    Case("column_named_by_english_header",
         edit=chain(setcell("roster", 3, "入职日期", "2013-13-45"), english_headers),
         locs=[Loc(R, RS, 3, "hire_date")]),
    Case("override_column_named_by_english_header",
         edit=chain(with_file("overrides", OVERRIDES_HEADER, [["A1", "奖金系数", "1.2", "特批", "SP-2013-001"]],
                              english=True), lambda m: m.sheet("overrides").rename({"项目": "field"})),
         locs=[Loc("overrides.xlsx", OV, 2, "field")]),
]

BY_ID = {c.id: c for c in CASES}
assert len(BY_ID) == len(CASES), "duplicate case id"


# ------------------------------------------------------------------------------------------- tests

@dataclass
class Run:
    proc: subprocess.CompletedProcess
    seconds: float
    out: Path


def run_case(case: Case, base: Path) -> Run:
    inp, out = prepare(case, base)
    t0 = time.perf_counter()
    proc = run_month(inp, out)
    return Run(proc, time.perf_counter() - t0, out)


def validate_case(case: Case, base: Path) -> Run:
    inp, out = prepare(case, base)
    t0 = time.perf_counter()
    proc = cli("validate", MONTH, "--input", str(inp), "--json")
    return Run(proc, time.perf_counter() - t0, out)


JOBS = {"test_month_cli": run_case, "test_validate_json_bad_month": validate_case}


@pytest.fixture(scope="module")
def prefetched(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Start the CLI runs of every selected case at once, two or so at a time (still one subprocess per
    case); each test then waits for its own run. Under pytest-xdist the workers share the cases out
    instead, and each test runs its own subprocess."""
    if hasattr(request.config, "workerinput"):
        yield {}
        return
    pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2))
    futures: dict[tuple[str, str], Future] = {}
    for item in request.session.items:
        name = getattr(item, "originalname", "")
        if item.module.__name__ == __name__ and name in JOBS:
            case = item.callspec.params["case"]
            base = tmp_path_factory.mktemp(f"{name}-{case.id}")
            futures[(name, case.id)] = pool.submit(JOBS[name], case, base)
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


def result_of(test: str, case: Case, tmp_path: Path, prefetched: dict) -> Run:
    fut = prefetched.get((test, case.id))
    return fut.result() if fut is not None else JOBS[test](case, tmp_path)


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_month_cli(case: Case, tmp_path: Path, prefetched: dict[str, Future]) -> None:
    run = result_of("test_month_cli", case, tmp_path, prefetched)
    proc, out = run.proc, run.out
    report = f"exit {proc.returncode}\n--- stderr ---\n{proc.stderr[:4000]}\n--- stdout ---\n{proc.stdout[:2000]}"
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, report
    if case.ok:
        assert proc.returncode == 0, report
        assert (out / MONTH).is_dir()
        if case.check:
            case.check(out)
        return
    assert proc.returncode == 1, report
    err = squash(proc.stderr)
    for loc in case.locs:
        assert squash(loc.render()) in err, f"stderr lacks {loc.render()!r}\n{report}"
    for word in case.text:
        assert squash(word) in err, f"stderr lacks {word!r}\n{report}"
    if case.expected_count is not None:
        assert squash(f"{case.expected_count} input error(s)") in err, \
            f"expected exactly {case.expected_count} error(s)\n{report}"
    assert_nothing_written(out)
    if case.max_seconds is not None:
        assert run.seconds < case.max_seconds, f"took {run.seconds:.1f} s"
    if case.max_stderr is not None:
        assert len(proc.stderr) < case.max_stderr, f"stderr is {len(proc.stderr)} characters long"


# --- several errors at once ---------------------------------------------------------------------------

def _four_bad_clients(m: Month) -> None:
    c = m.sheet("clients")
    c.set(2, "期初资产", -1)
    c.set(3, "净收入", "abc")
    c.set(4, "客户来源", "朋友介绍")
    c.set(5, "新增客户", "有")


FOUR = [Loc(C, CS, 2, "期初资产"), Loc(C, CS, 3, "净收入"), Loc(C, CS, 4, "客户来源"), Loc(C, CS, 5, "新增客户")]


def _assert_all(proc: subprocess.CompletedProcess, locs: list[Loc]) -> None:
    report = f"exit {proc.returncode}\n{proc.stderr[:4000]}"
    assert proc.returncode == 1, report
    assert "Traceback" not in proc.stderr, report
    err = squash(proc.stderr)
    missing = [loc.render() for loc in locs if squash(loc.render()) not in err]
    assert not missing, f"not reported: {missing}\n{report}"
    assert squash(f"{len(locs)} input error(s)") in err, report


def test_all_errors_of_one_file_and_of_two_files_in_one_run(tmp_path: Path) -> None:
    """Four bad cells of clients.xlsx and two of roster.xlsx: all six reported by one run."""
    edit = chain(_four_bad_clients, setcell("roster", 3, "入职日期", "2013-13-45"),
                 setcell("roster", 4, "类别", "管理类"))
    inp, out = prepare(Case("x", edit=edit), tmp_path)
    _assert_all(run_month(inp, out), FOUR + [Loc(R, RS, 3, "入职日期"), Loc(R, RS, 4, "类别")])
    assert_nothing_written(out)


def test_typing_error_and_unknown_manager_of_one_file_in_one_run(tmp_path: Path) -> None:
    edit = chain(setcell("scores", 2, "积分", "abc"), addrow("scores", ["Z9", 100]))
    inp, out = prepare(Case("x", edit=edit), tmp_path)
    _assert_all(run_month(inp, out), [Loc(S, SS, 2, "积分"), Loc(S, SS, 5, "工号")])


# --- validate -----------------------------------------------------------------------------------------

def test_validate_exit_codes(tmp_path: Path) -> None:
    good, _ = prepare(Case("good"), tmp_path / "good")
    proc = cli("validate", MONTH, "--input", str(good))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    bad, _ = prepare(BY_ID["bad_date"], tmp_path / "bad")
    proc = cli("validate", MONTH, "--input", str(bad))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert squash(Loc(R, RS, 3, "入职日期").render()) in squash(proc.stderr), proc.stderr
    assert not (tmp_path / "good" / "output").exists() and not (tmp_path / "bad" / "output").exists()


def test_validate_json_good_month(tmp_path: Path) -> None:
    inp, _ = prepare(Case("good"), tmp_path)
    proc = cli("validate", MONTH, "--input", str(inp), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["ok"] is True
    assert {f["file"] for f in doc["files"]} == {R, S, C}


VALIDATE_CASES = ["bad_date", "duplicate_client_of_one_manager", "event_for_unknown_manager",
                  "row_number_on_continuation_sheet", "row_number_in_csv", "missing_required_column_hire_date",
                  "xlsx_truncated_half"]


@pytest.mark.parametrize("case", [BY_ID[i].param() for i in VALIDATE_CASES])
def test_validate_json_bad_month(case: Case, tmp_path: Path, prefetched: dict) -> None:
    proc = result_of("test_validate_json_bad_month", case, tmp_path, prefetched).proc
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["ok"] is False and doc["exit_code"] == 1
    assert isinstance(doc["errors"], list) and doc["errors"]
    for e in doc["errors"]:
        assert {"file", "sheet", "row", "column", "message"} <= set(e), e
    for loc in case.locs:
        assert any(loc.matches(e) for e in doc["errors"]), f"{loc} not in {doc['errors']}"
    if case.expected_count is not None:
        assert len(doc["errors"]) == case.expected_count, doc["errors"]


def test_validate_json_lists_every_error(tmp_path: Path) -> None:
    inp, _ = prepare(Case("x", edit=_four_bad_clients), tmp_path)
    proc = cli("validate", MONTH, "--input", str(inp), "--json")
    assert proc.returncode == 1, proc.stderr
    errors = json.loads(proc.stdout)["errors"]
    assert len(errors) == len(FOUR), errors
    for loc in FOUR:
        assert any(loc.matches(e) for e in errors), f"{loc} not in {errors}"
