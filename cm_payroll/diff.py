"""`cm-payroll diff A.xlsx B.xlsx`: cell-level reconciliation of two output workbooks.

Tables with a 工号 header (payroll summaries, exceptions reports) are matched by 工号, not by position
(a 工号 that occurs several times, as in an exceptions report, is matched by 工号 + 类型代码 + its
occurrence); columns are matched by header. Slips are matched by their labels: a fact or
year-to-date figure by the label cell to its left (they stand two pairs to a row: A|B, C|D), a
component line by its 项目 with its columns named 金额(元), 条款, 计算依据; a figure shown as text
("9,000.00", "25%") compares as the number it shows, so an older slip written as text and a newer
one written as numbers differ only where the amounts do.
Anything else is compared cell by cell. Money differences within `--tolerance` count as equal.
Labels, headers and texts are compared in their NFKC form, so that a slip written with ASCII
punctuation (金额(元), 户不计,S-Art.36) and one written with Chinese punctuation (金额（元）, 户不计，S-Art.36)
differ only where the words or the figures do. Numbers are shown with thousands separators.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import openpyxl

from cm_payroll.errors import UsageError

KEY_HEADER = "工号"
TOTAL_MARKERS = {"合计", "总计"}
# sheets computed from another sheet of the same workbook (formulas): their differences are those of
# the sheet they sum, so they are not compared again (按营业部汇总: SUMIF over 工资汇总)
DERIVED_SHEETS = {"按营业部汇总"}


@dataclass
class CellChange:
    sheet: str
    key: str
    column: str
    old: object
    new: object
    delta: Decimal | None = None


@dataclass
class DiffResult:
    a: str
    b: str
    changes: list[CellChange] = field(default_factory=list)
    added: list[tuple[str, str]] = field(default_factory=list)      # (sheet, key)
    removed: list[tuple[str, str]] = field(default_factory=list)
    sheets_added: list[str] = field(default_factory=list)
    sheets_removed: list[str] = field(default_factory=list)
    totals: dict[str, Decimal] = field(default_factory=dict)        # "sheet/column" → Σ(new − old)

    @property
    def equal(self) -> bool:
        return not (self.changes or self.added or self.removed or self.sheets_added or self.sheets_removed)

    def as_dict(self) -> dict:
        return {
            "a": self.a, "b": self.b, "equal": self.equal,
            "changes": [{"sheet": c.sheet, "key": c.key, "column": c.column, "old": _j(c.old), "new": _j(c.new),
                         "delta": _j(c.delta)} for c in self.changes],
            "added": [{"sheet": s, "key": k} for s, k in self.added],
            "removed": [{"sheet": s, "key": k} for s, k in self.removed],
            "sheets_added": self.sheets_added, "sheets_removed": self.sheets_removed,
            "totals": {k: str(v) for k, v in self.totals.items()},
        }


def _norm(v):
    """A label, header or text in its NFKC form (full-width punctuation as ASCII); others unchanged."""
    return unicodedata.normalize("NFKC", v) if isinstance(v, str) else v


def _j(v):
    if isinstance(v, Decimal):
        return str(v)
    if v is None or isinstance(v, (str, int, bool)):
        return v
    return str(v)


def _num(v) -> Decimal | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
    return None


def _load(path: Path) -> dict[str, list[tuple]]:
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001
        raise UsageError(f"{path}: not a readable .xlsx workbook ({exc})") from None
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = [tuple(r) for r in ws.iter_rows(values_only=True)]
    wb.close()
    return out


def _keyed(rows: list[tuple]) -> tuple[list[str], dict[str, dict[str, object]]] | None:
    """Rows under a 工号 header, keyed; None when the sheet has no such table."""
    hdr = None
    for i, r in enumerate(rows[:15]):
        if r and KEY_HEADER in [str(c).strip() if c is not None else None for c in r]:
            hdr = i
            break
    if hdr is None:
        return None
    headers = [_norm(str(c).strip()) if c is not None else f"#{j + 1}" for j, c in enumerate(rows[hdr])]
    k = headers.index(KEY_HEADER)
    code_col = headers.index("类型代码") if "类型代码" in headers else (headers.index("类型") if "类型" in headers else None)
    seen: Counter = Counter()
    table: dict[str, dict[str, object]] = {}
    for r in rows[hdr + 1:]:
        if not r or r[k] is None or str(r[k]).strip() == "":
            break
        key = str(r[k]).strip()
        if key in TOTAL_MARKERS:
            table["合计"] = dict(zip(headers, r))
            break
        if code_col is not None:
            base = f"{key}/{r[code_col]}"
            seen[base] += 1
            key = f"{base}#{seen[base]}" if seen[base] > 1 else base
        table[key] = dict(zip(headers, r))
    return headers, table


_NUMBER_TEXT = re.compile(r"^-?[0-9][0-9,]*(\.[0-9]+)?%?$")


def _text_number(v) -> Decimal | None:
    """The number a slip's text cell shows when it shows nothing else: 9,000.00, -1,780.00, 1,200, 25%."""
    if not isinstance(v, str):
        return None
    t = v.strip().replace("\u2212", "-")
    if not _NUMBER_TEXT.match(t):
        return None
    pct = t.endswith("%")
    d = Decimal(t.rstrip("%").replace(",", ""))
    return d / 100 if pct else d


def _labelled(rows: list[tuple]) -> dict[str, dict[str, object]] | None:
    """A slip: label → its value(s). Above the 项目 header and after 本年累计, (label, value) pairs two
    to a row; under 项目, one line per row (金额(元), 条款, 计算依据 by the header's names); a row of
    one text (the title, a note) under its own text's kind."""
    head = next((i for i, r in enumerate(rows) if r and r[0] == "项目"), None)
    if head is None:
        return None
    names = [_norm(str(c)) if c is not None else f"col{j + 1}" for j, c in enumerate(rows[head])][1:]
    out: dict[str, dict[str, object]] = {}
    seen: Counter = Counter()

    def put(label, values: dict[str, object]) -> None:
        label = _norm(str(label))
        seen[label] += 1
        out[label if seen[label] == 1 else f"{label}#{seen[label]}"] = values

    lines = False
    for i, r in enumerate(rows):
        cells = list(r or ())
        if i == head:
            lines = True
            continue
        if not any(c is not None and c != "" for c in cells):
            lines = False                        # a blank row ends the component lines
            continue
        if lines:
            put(cells[0], {names[j - 1] if j - 1 < len(names) else f"col{j + 1}": cells[j]
                           for j in range(1, len(cells))})
            continue
        filled = [j for j, c in enumerate(cells) if c is not None and c != ""]
        if i == 0 or filled == [0]:
            put("标题" if i == 0 else "说明", {"值": cells[0]})
            continue
        for j in range(0, len(cells), 2):
            if cells[j] is None or cells[j] == "":
                continue
            put(cells[j], {"值": cells[j + 1] if j + 1 < len(cells) else None})
    return out


def _compare_values(res: DiffResult, sheet: str, key: str, col: str, old, new, tol: Decimal,
                    text_numbers: bool = False) -> None:
    a, b = _num(old), _num(new)
    if text_numbers:
        a = a if a is not None else _text_number(old)
        b = b if b is not None else _text_number(new)
    if a is not None and b is not None:
        d = b - a
        if abs(d) > tol:
            res.changes.append(CellChange(sheet, key, col, old, new, d))
        return
    if _norm(old if old != "" else None) != _norm(new if new != "" else None):
        res.changes.append(CellChange(sheet, key, col, old, new, None))


def diff_workbooks(a: Path, b: Path, tolerance: Decimal = Decimal(0)) -> DiffResult:
    wa, wb = _load(Path(a)), _load(Path(b))
    res = DiffResult(str(a), str(b))
    res.sheets_removed = [s for s in wa if s not in wb]
    res.sheets_added = [s for s in wb if s not in wa]
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for sheet in [s for s in wa if s in wb and s not in DERIVED_SHEETS]:
        ra, rb = wa[sheet], wb[sheet]
        la, lb = _labelled(ra), _labelled(rb)
        if la is not None and lb is not None:
            for key in la:
                if key not in lb:
                    res.removed.append((sheet, key))
                    continue
                for c in list(dict.fromkeys([*la[key], *lb[key]])):
                    _compare_values(res, sheet, key, c, la[key].get(c), lb[key].get(c), tolerance, True)
            res.added += [(sheet, k) for k in lb if k not in la]
            continue
        ka, kb = _keyed(ra), _keyed(rb)
        if ka is not None and kb is not None:
            (ha, ta), (hb, tb) = ka, kb
            cols = [h for h in ha if h in hb and h != KEY_HEADER]
            for key in ta:
                if key == "合计":
                    continue
                if key not in tb:
                    res.removed.append((sheet, key))
                    for c in cols:
                        if (n := _num(ta[key].get(c))) is not None:
                            totals[f"{sheet}/{c}"] -= n
                    continue
                for c in cols:
                    _compare_values(res, sheet, key, c, ta[key].get(c), tb[key].get(c), tolerance)
                    x, y = _num(ta[key].get(c)), _num(tb[key].get(c))
                    if x is not None and y is not None:
                        totals[f"{sheet}/{c}"] += y - x
            for key in tb:
                if key != "合计" and key not in ta:
                    res.added.append((sheet, key))
                    for c in cols:
                        if (n := _num(tb[key].get(c))) is not None:
                            totals[f"{sheet}/{c}"] += n
            for c in [h for h in ha if h not in hb]:
                res.changes.append(CellChange(sheet, "(header)", c, c, None))
            for c in [h for h in hb if h not in ha]:
                res.changes.append(CellChange(sheet, "(header)", c, None, c))
            continue
        for i in range(max(len(ra), len(rb))):
            x = ra[i] if i < len(ra) else ()
            y = rb[i] if i < len(rb) else ()
            for j in range(max(len(x), len(y))):
                old = x[j] if j < len(x) else None
                new = y[j] if j < len(y) else None
                _compare_values(res, sheet, f"R{i + 1}", openpyxl.utils.get_column_letter(j + 1), old, new, tolerance)
    res.totals = {k: v for k, v in sorted(totals.items()) if v > tolerance or v < -tolerance}
    return res


def _shown(v) -> str:
    """A cell's value for the terminal: a number with thousands separators (20,000, -59,600.5)."""
    n = _num(v)
    return f"{n:,}" if n is not None else ("" if v is None else str(v))


def render(res: DiffResult):
    """Rich renderables for the terminal, in the language of this run."""
    from rich.markup import escape
    from rich.table import Table

    from cm_payroll.i18n import t as say
    items = []
    if res.equal:
        from rich.text import Text
        return [Text(say("diff.identical", a=res.a, b=res.b))]
    if res.changes:
        t = Table(title=say("diff.changed"))
        for c in ("sheet", "key", "column", "old", "new", "difference"):
            t.add_column(say(f"diff.col.{c}"))
        for c in res.changes:
            t.add_row(escape(str(c.sheet)), escape(str(c.key)), escape(str(c.column)), escape(_shown(c.old)),
                      escape(_shown(c.new)), "" if c.delta is None else f"{c.delta:+,}")
        items.append(t)
    if res.added or res.removed:
        t = Table(title=say("diff.rows"))
        t.add_column("")
        t.add_column(say("diff.col.sheet"))
        t.add_column(say("diff.col.key"))
        for s, k in res.added:
            t.add_row(say("diff.added"), escape(str(s)), escape(str(k)))
        for s, k in res.removed:
            t.add_row(say("diff.removed"), escape(str(s)), escape(str(k)))
        items.append(t)
    if res.totals:
        t = Table(title=say("diff.totals"))
        t.add_column(say("diff.col.sheet_column"))
        t.add_column(say("diff.col.sum"), justify="right")
        for k, v in res.totals.items():
            t.add_row(escape(str(k)), f"{v:+,}")
        items.append(t)
    for s in res.sheets_added:
        items.append(escape(say("diff.sheet_added", sheet=s)))
    for s in res.sheets_removed:
        items.append(escape(say("diff.sheet_removed", sheet=s)))
    return items


def parse_tolerance(text: str) -> Decimal:
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise UsageError(f"--tolerance {text!r}: not a number") from None
    if d < 0:
        raise UsageError("--tolerance must not be negative")
    return d
