"""What the two sample generators (securities.py, rcc.py) share: the cast data files, the layout of
an input file as the sample writes it (headers taken from the input schemas), deterministic .xlsx
(fixed creation time) and CSV writers, and the common files (events, adjustments, overrides)."""

from __future__ import annotations

import csv
import datetime
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import xlsxwriter

from cm_payroll.load import EXTENSIONS
from cm_payroll.months import fmt_month, parse_month
from cm_payroll.rulebooks.tax.deductions import DEDUCTIONS as DEDUCTIONS_FILE
from cm_payroll.schema import ADJUSTMENTS_FILE, EVENTS_FILE, OVERRIDES_FILE, FileSpec

__all__ = ["DEDUCTIONS", "Deductions", "Layout", "load_cast", "month_range", "fen", "yuan_text", "clear_inputs", "scripted_rows",
           "write_common", "EVENTS", "ADJUSTMENTS", "OVERRIDES"]

CREATED = datetime.datetime(2013, 1, 1)
WIDTHS = {"text": 14, "money": 16, "date": 12, "number": 10, "int": 10}
WIDE = {"note", "reason"}                 # columns of free text: 44 characters wide


@dataclass(frozen=True)
class Layout:
    """One input file as the sample writes it: its schema (stem and headers), the columns written
    (schema keys, in order) with their cell kinds (text, money: fen → a yuan number cell, date, int,
    number; a CSV file writes every value as text) and the sheet name of the .xlsx."""
    spec: FileSpec
    kinds: dict[str, str]
    sheet: str = ""

    @property
    def headers(self) -> list[str]:
        return [self.spec.column(k).zh for k in self.kinds]

    def xlsx(self, folder: Path, rows: list[list]) -> Path:
        path = folder / f"{self.spec.name}.xlsx"
        wb = xlsxwriter.Workbook(str(path))
        wb.set_properties({"created": CREATED})
        ws = wb.add_worksheet(self.sheet)
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        money = wb.add_format({"num_format": "#,##0.00"})
        date = wb.add_format({"num_format": "yyyy-mm-dd"})
        integer = wb.add_format({"num_format": "0"})
        kinds = list(self.kinds.values())
        for c, (key, kind) in enumerate(self.kinds.items()):
            ws.set_column(c, c, 44 if key in WIDE else WIDTHS[kind])
        ws.freeze_panes(1, 0)
        ws.write_row(0, 0, self.headers, head)
        for r, row in enumerate(rows, start=1):
            for c, (v, kind) in enumerate(zip(row, kinds)):
                if v is None or v == "":
                    continue
                if kind == "money":
                    ws.write_number(r, c, v / 100, money)      # ok-float: the cell of an exact fen amount
                elif kind == "date":
                    ws.write_datetime(r, c, datetime.datetime(v.year, v.month, v.day), date)
                elif kind == "int":
                    ws.write_number(r, c, v, integer)
                elif kind == "number":
                    ws.write_number(r, c, int(v) if str(v).isdigit() else float(v))   # ok-float: 8.5 is exact
                else:
                    ws.write_string(r, c, str(v))
        wb.close()
        return path

    def csv(self, folder: Path, rows: list[list], encoding: str) -> Path:
        path = folder / f"{self.spec.name}.csv"
        with open(path, "w", encoding=encoding, newline="\n") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(self.headers)
            w.writerows(rows)
        return path


EVENTS = Layout(EVENTS_FILE, dict.fromkeys(("manager_id", "event", "date", "note", "approval_ref"), "text"))
ADJUSTMENTS = Layout(ADJUSTMENTS_FILE, dict.fromkeys(("manager_id", "component", "amount", "note", "approval_ref"), "text"))
OVERRIDES = Layout(OVERRIDES_FILE, dict.fromkeys(("manager_id", "field", "value", "reason", "approval_ref"), "text"),
                   "特殊处理")


DEDUCTIONS = Layout(DEDUCTIONS_FILE, {"manager_id": "text", "pension_insurance": "money", "medical_insurance": "money",
                                      "unemployment_insurance": "money", "housing_fund": "money",
                                      "special_additional": "money", "other_deduction": "money"}, "扣缴项目")


class Deductions:
    """The sample's deductions files (SPEC 9): each manager's social-insurance base (缴费基数, drawn once,
    whole hundreds of yuan) × the personal rates below, rounded half-up to the fen; from 2019 a
    专项附加扣除 of 0/1,000/2,000/3,000 a month; now and then 工会会费 as 其他扣款. Drawn from a generator
    of its own (seeded from the sample's seed), so that the other files do not change with it."""

    # personal rates (‰): 养老 8%, 医疗 2%, 失业 0.5%, 住房公积金 10% — typical of Zhejiang 2013
    RATES = {"pension_insurance": 80, "medical_insurance": 20, "unemployment_insurance": 5, "housing_fund": 100}

    def __init__(self, seed: int) -> None:
        import random
        self.rng = random.Random(f"deductions-{seed}")
        self.who: dict[str, tuple[int, int, int]] = {}

    def _of(self, mid: str) -> tuple[int, int, int]:
        if mid not in self.who:
            base = self.rng.randint(30, 60) * 100 * 100                      # fen
            special = self.rng.choice((0, 0, 100_000, 200_000, 300_000))     # fen a month, 2019+
            union = 5_000 if self.rng.random() < 0.2 else 0                   # 工会会费 50.00
            self.who[mid] = (base, special, union)
        return self.who[mid]

    def rows(self, month: str, ids: list[str]) -> list[list]:
        out = []
        for mid in ids:
            base, special, union = self._of(mid)
            money = [(base * r * 2 + 1000) // 2000 for r in self.RATES.values()]
            out.append([mid, *money, special if month >= "2019-01" else 0, union])
        return out


def load_cast(rules: str) -> dict:
    """The scripted cast of a rulebook's sample: `cm_payroll/sample/<rules>_cast.toml`, as parsed."""
    return tomllib.loads(resources.files(__package__).joinpath(f"{rules}_cast.toml").read_text("utf-8"))


def month_range(start: str, end: str) -> list[str]:
    """The months start..end (YYYY-MM), both included."""
    first, last = parse_month(start), parse_month(end)
    if first > last:
        raise ValueError(f"start {start} is after end {end}")
    return [fmt_month(k) for k in range(first, last + 1)]


def fen(yuan: float | int) -> int:
    """Yuan (as written in a cast file) → integer fen."""
    return int(round(yuan * 100))


def yuan_text(amount: int) -> str:
    """Integer fen → '1234.56' ('-1234.56'), exact."""
    return f"{'-' if amount < 0 else ''}{abs(amount) // 100}.{abs(amount) % 100:02d}"


def clear_inputs(folder: Path, layouts) -> None:
    """Create `folder`, or remove from it the files of the layouts' stems in any format the loader
    reads, so that a regenerated month holds no stale optional file."""
    folder.mkdir(parents=True, exist_ok=True)
    stems = {lay.spec.name for lay in layouts}
    for p in folder.iterdir():
        if p.is_file() and p.stem.casefold() in stems and p.suffix.casefold() in EXTENSIONS:
            p.unlink()


def scripted_rows(entry: dict, mid: str, events: list, adjustments: list, overrides: list) -> None:
    """Append a cast entry's scripted rows, with their month first: events `(month, id, event, date,
    note, ref)`, adjustments `(month, id, component, fen, note, ref)`, overrides `(month, id, field,
    value, reason, ref)` (a number value is yuan, written as yuan text)."""
    for e in entry.get("events", ()):
        date = e["date"].isoformat()
        events.append((date[:7], mid, e["event"], date, e.get("note", ""), e.get("approval_ref", "")))
    for a in entry.get("adjustments", ()):
        adjustments.append((a["month"], mid, a["component"], fen(a["amount"]), a["note"], a.get("approval_ref", "")))
    for o in entry.get("overrides", ()):
        value = o["value"] if isinstance(o["value"], str) else yuan_text(fen(o["value"]))
        overrides.append((o["month"], mid, o["field"], value, o["reason"], o["approval_ref"]))


def write_common(folder: Path, month: str, on: set[str], events: list, adjustments: list,
                 overrides: list) -> list[Path]:
    """The month's events.csv (UTF-8), adjustments.csv (GBK) and overrides.xlsx, each only when it has
    rows of managers on the roster (`on`); rows as `scripted_rows` makes them."""
    def rows(table: list, key) -> list[list]:
        return sorted(([*r[1:]] for r in table if r[0] == month and r[1] in on), key=key)

    written = []
    ev = rows(events, lambda r: (r[2], r[0], r[1]))
    if ev:
        written.append(EVENTS.csv(folder, ev, "utf-8"))
    adj = [[mid, comp, yuan_text(amount), note, ref]
           for mid, comp, amount, note, ref in rows(adjustments, lambda r: (r[0], r[1]))]
    if adj:
        written.append(ADJUSTMENTS.csv(folder, adj, "gbk"))
    ov = rows(overrides, lambda r: (r[0], r[1]))
    if ov:
        written.append(OVERRIDES.xlsx(folder, ov))
    return written
