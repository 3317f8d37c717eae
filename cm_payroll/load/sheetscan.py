"""The SpreadsheetML scanner: the sheet XML of an .xlsx/.xlsm streamed and searched, before and
while calamine loads it, for what calamine reads wrongly in silence or must not allocate."""

from __future__ import annotations

import re
import threading

from cm_payroll.errors import InputIssue
from cm_payroll.load.common import CellFlag, EPOCH_1900, EPOCH_1904, MAX_FLAGS, PCT_BUILTIN, Refused, col_index, col_letters, extent_issue, input_limits
from cm_payroll.load.zipparts import Damaged, TooBig, ZipParts


# --------------------------------------------------------------------------------------------- cell checks

# What calamine does not tell: a formula cell without a calculated value reads as blank, and a
# number shown as a percentage (25%) reads as 0.25. Both would be paid silently, so the sheet XML of
# an .xlsx/.xlsm is streamed once (zipfile) and searched, in the columns the table reads, for such
# cells, which become errors. An export without formulas or percent formats costs one inflate and a
# few byte searches (see README, Robustness, for the cost on a 1M-row sheet).
_CHUNK = 1 << 22
_ATTR_R = re.compile(rb'\br="([A-Za-z]{1,3})(\d+)"')
_ATTR_T = re.compile(rb'\bt="(\w+)"')
_ATTR_S = re.compile(rb'\bs="(\d+)"')
_F_OPEN = re.compile(rb"<(?:\w+:)?f[\s>/]")                          # a cell's formula element
_F_REST = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)\s*"
                     rb"(<(?:\w+:)?v\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?v>))?")
_CELL_ANY = re.compile(rb"<(?:\w+:)?c\b([^>]*)>")


def _part_path(target: str) -> str:
    target = target.replace("\\", "/")
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for p in ("xl/" + target).split("/"):
        if p == "..":
            if parts:
                parts.pop()
        elif p not in ("", "."):
            parts.append(p)
    return "/".join(parts)


_ROW_NUM = re.compile(rb'<(?:\w+:)?row\b(?:[^>]*?\sr="(\d+)")?')
_ROW_FIRST = re.compile(rb'<row r="(\d+)"')
_ROW_BIG = re.compile(rb'<row r="(\d{7,})"')
_WIDE_ANY = re.compile(rb'c r="(?:[A-Z]{2}|[A-Z]\d{7})')      # the prefix of a _WIDE_REF match
_WIDE_REF = re.compile(rb'<(?:\w+:)?c r="(?:([A-Z]{2,3})(\d+)|[A-Z](\d{7,}))"')
_HIDDEN_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\bhidden="(?:1|true)"[^>]*>')
_ROW_R = re.compile(rb'\sr="(\d+)"')
def _hidden_rows(seg: bytes, hidden: list[int]) -> None:
    for m in _HIDDEN_ROW.finditer(seg):
        r = _ROW_R.search(m.group())
        if r:
            hidden.append(int(r.group(1)))


RLESS_FAST = 47          # cells a row without references may hold before its cells are counted


class _Extent:
    """The used range calamine will allocate for one sheet (rows × columns of the cells present,
    counted from A1), found from the cells themselves — never from <dimension>, which can lie. An
    upper bound. Columns: from references beyond Z, and for cells without a reference the cells of
    the row (a row's length over the 7 bytes a cell takes at least; counted exactly for long rows).
    Rows: exact rows are dear to find (a search of every <row r>), so the fast pass finds the rows
    of 7 digits and more and the last row of each segment, and bounds the others by 999,999; only
    when that bound is too large for the columns (a sheet wider than about 50 columns) is the part
    read again `exact`ly."""

    def __init__(self, exact: bool = False):
        self.exact = exact
        self.max_row = 0
        self.implicit = 0
        self.max_col = -1          # 0-based, from references
        self.far: str | None = None
        self._far_key = (-1, -1)
        self.short_refs = False    # references within A..Z
        self.rless = 0             # cells without a reference in one row, at most

    def add(self, seg: bytes) -> None:
        pieces = None
        if b"<c t=" in seg or b"<c s=" in seg or b"<c>" in seg:
            # cells without a reference: calamine counts them along the row
            pieces = seg.split(b"</row>")
            bound = max(map(len, pieces)) // 7
            if bound > RLESS_FAST:
                bound = max([RLESS_FAST] + [p.count(b"<c") for p in pieces if len(p) // 7 > RLESS_FAST])
            self.rless = max(self.rless, bound)
        closed = len(pieces) - 1 if pieces is not None else seg.count(b"</row>")
        if self.exact or seg.count(b'<row r="') != closed:
            rows = _ROW_NUM.findall(seg)      # rows with r elsewhere or without r: the general search
            self.implicit += rows.count(b"")
            rows = [r for r in rows if r]
        else:
            rows = _ROW_BIG.findall(seg)      # rows of 7 digits and more
            last = seg.rfind(b'<row r="')
            if last >= 0:
                m = _ROW_FIRST.match(seg, last)
                if m:
                    rows.append(m.group(1))
        if rows:
            self.max_row = max(self.max_row, max(map(int, rows)))
        if b'c r="' in seg:
            self.short_refs = True
            # the full pattern only where a reference beyond column Z or below row 999,999 occurs
            # (a search for its prefix is ten times cheaper than the pattern over every cell)
            wide = _WIDE_REF.findall(seg) if _WIDE_ANY.search(seg) else ()
            for letters, row, big in wide:
                r = int(row or big)
                c = col_index(letters) if letters else 25
                if letters and (c, r) > self._far_key:
                    self._far_key, self.far = (c, r), letters.decode() + row.decode()
                self.max_col = max(self.max_col, c)
                self.max_row = max(self.max_row, r)

    def rows(self) -> int:
        return self.max_row + self.implicit

    def row_bound(self) -> int:
        return self.rows() if self.exact else max(self.rows(), 999_999 + self.implicit)

    def cols(self) -> int:
        c = self.max_col + 1
        if self.short_refs:
            c = max(c, 26)
        if self.rless:
            c = c + self.rless if self.max_col >= 0 else max(c, self.rless)
        return c


SURVEY_MAX_FLAGS = 200_000   # beyond this the survey keeps no flags for the sheet: scan() searches again


class XlsxCells:
    """The cells of an .xlsx/.xlsm that calamine reads wrongly in silence: formula cells without a
    calculated value, formulas of a workbook that was never calculated (calcPr fullCalcOnLoad: written
    by a program, never saved by Excel/WPS/LibreOffice), numbers formatted as percentages; and what
    must be known before calamine reads a sheet: its used range (cells × rows), hidden rows, the
    date system (workbookPr date1904)."""

    def __init__(self, file: str, data: bytes, lim: dict | None = None):
        import xml.etree.ElementTree as ET
        self.lim = input_limits(lim)
        self.file, self.data = file, data
        self.zip = ZipParts(file, data, self.lim["max_inflated_bytes"])
        self.parts: dict[str, str] = {}
        self.names: list[str] = []
        self.surveyed: dict[str, list[CellFlag]] = {}      # sheet → flags in every column (survey())
        self.hidden: dict[str, list[int]] = {}             # sheet → hidden Excel rows
        self.stale = False
        self.epoch = EPOCH_1900
        self.pct: set[int] = set()
        self.failure: list[InputIssue] | None = None
        self._done: dict[str | None, threading.Event] = {None: threading.Event()}
        self._all = threading.Event()
        self._order: list[str] = []
        self._stop = False
        self._rows_total = 0
        meta = {}
        for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"):
            if name in self.zip.by_name:
                try:
                    meta[name] = self.zip.read(name)
                except Damaged:
                    raise Refused([self.zip.damaged_issue(name)]) from None
                except TooBig:
                    raise Refused([self.zip.too_big_issue(self.zip.cap)]) from None
        try:
            wb = ET.fromstring(meta["xl/workbook.xml"])
            rels = ET.fromstring(meta["xl/_rels/workbook.xml.rels"])
            styles = ET.fromstring(meta["xl/styles.xml"]) if "xl/styles.xml" in meta else None
        except (KeyError, ET.ParseError):
            return
        target = {r.get("Id"): r.get("Target", "") for r in rels}
        for el in wb.iter():
            if el.tag.endswith("}sheet"):
                rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
                self.names.append(el.get("name", ""))
                if rid in target:
                    self.parts[el.get("name", "")] = _part_path(target[rid])
            elif el.tag.endswith("}calcPr"):
                self.stale = el.get("fullCalcOnLoad", "").lower() in ("1", "true")
            elif el.tag.endswith("}workbookPr"):
                if el.get("date1904", "").lower() in ("1", "true"):
                    self.epoch = EPOCH_1904
        if styles is None:
            return
        pct_ids = set(PCT_BUILTIN)
        for el in styles.iter():
            if el.tag.endswith("}numFmt"):
                code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", el.get("formatCode", ""))
                if "%" in code and el.get("numFmtId", "").isdigit():
                    pct_ids.add(int(el.get("numFmtId", "")))
        for el in styles.iter():
            if el.tag.endswith("}cellXfs"):
                xfs = [x for x in el if x.tag.endswith("}xf")]
                self.pct = {i for i, x in enumerate(xfs)
                            if x.get("numFmtId", "0").isdigit() and int(x.get("numFmtId", "0")) in pct_ids}

    def sheet_order(self) -> list[str]:
        return list(self.names)

    def plan(self, order: list[str]) -> None:
        """The sheets calamine will load, in that order (before survey() starts)."""
        self._order = [n for n in order if n in self.parts]
        self._done.update({self.parts[n]: threading.Event() for n in self._order})

    # -- the gate

    def wait(self, sheet: str | None) -> list[InputIssue] | None:
        """Block until the parts calamine reads at opening (sheet None) or the part of `sheet` passed;
        the failure (issues) if the file is refused."""
        if self.failure:
            return self.failure
        ev = self._done.get(sheet if sheet is None else self.parts.get(sheet)) or self._all
        ev.wait()
        return self.failure

    def abandon(self) -> None:
        self._stop = True

    def _fail(self, issues: list[InputIssue]) -> None:
        if not self.failure:
            self.failure = issues
        for ev in self._done.values():
            ev.set()
        self._all.set()

    def survey(self) -> None:
        """Inflate every part of the package once, in the order calamine needs them: the parts it
        reads at opening (everything but the sheets), then the sheets in `order`, then the rest.
        Sheets are searched for flagged cells (kept for scan()), hidden rows and their used range."""
        try:
            self._survey()
        finally:
            for ev in self._done.values():
                ev.set()
            self._all.set()

    def _survey(self) -> None:
        sheet_parts = [self.parts[n] for n in self._order]
        all_sheets = set(self.parts.values())
        by_part = {p: name for name, p in self.parts.items()}
        first = [i.filename for i in self.zip.infos if i.filename not in all_sheets]
        rest = [p for p in all_sheets if p not in set(sheet_parts) and p in self.zip.by_name]
        sequence = first + [None] + [p for p in sheet_parts if p in self.zip.by_name] + rest
        again = []
        for name in sequence + ["(again)"]:
            if name is None:
                self._done[None].set()
                continue
            if self._stop:
                break
            try:
                if name == "(again)":
                    # the flagged cells and hidden rows, read while calamine loads the sheets
                    for part in again:
                        flags, complete = self._scan_part(part, by_part[part], SURVEY_MAX_FLAGS, mode="flags")
                        if complete:
                            self.surveyed[by_part[part]] = flags
                elif name in by_part:
                    self._scan_part(name, by_part[name], 0, mode="extent")      # before calamine reads it
                    again.append(name)
                elif name == "xl/sharedStrings.xml":
                    self._shared_strings(name)
                else:
                    self.zip.drain(name)
            except Damaged:
                self._fail([self.zip.damaged_issue(name)])
                return
            except TooBig:
                self._fail([self.zip.too_big_issue(self.zip.cap)])
                return
            except Refused as exc:
                self._fail(exc.issues)
                return
            if name in self._done:
                self._done[name].set()

    def _shared_strings(self, name: str) -> None:
        """calamine reserves room for the declared uniqueCount before reading a string: a count the
        part cannot hold (each <si/> takes 5 bytes) is refused."""
        size = self.zip.by_name[name].file_size
        head: bytes | None = b""
        for chunk in self.zip.stream(name):
            if head is None:
                continue
            head += chunk[:65536]
            at = head.find(b"sst")
            if (at >= 0 and head.find(b">", at) >= 0) or len(head) >= 65536:
                m = re.search(rb'<(?:\w+:)?sst\b[^>]*?\buniqueCount="(\d+)"', head)
                if m and int(m.group(1)) > size // 5 + 16:
                    raise Refused([InputIssue(self.file, message=f"the shared strings table declares "
                                               f"{int(m.group(1)):,} strings, more than its {size:,} bytes can "
                                               "hold (a damaged or hostile file); save it again from Excel/WPS")])
                head = None

    def scan(self, sheet: str | None, cols: set[int], pct_cols: set[int]) -> list[CellFlag]:
        """Flagged cells of `sheet` in the columns `cols` (percentages only in `pct_cols`)."""
        part = self.parts.get(sheet or "")
        if part is None or not cols:
            return []
        pct_cols = pct_cols if self.pct else set()
        if (sheet or "") in self.surveyed:
            return [f for f in self.surveyed[sheet or ""]
                    if f.col is None or f.col in (pct_cols if f.kind == "percent" else cols)][:MAX_FLAGS + 1]
        if part not in self.zip.by_name:
            return []
        return self._scan_part(part, sheet or "", MAX_FLAGS, cols, pct_cols, mode="flags")[0]

    def _scan_part(self, part: str, sheet: str, cap: int, cols: set[int] | None = None,
                   pct_cols: set[int] | None = None, mode: str = "flags") -> tuple[list[CellFlag], bool]:
        """mode "extent": the used range of one sheet part (refused beyond the limits: Refused),
        before calamine reads it. mode "flags": flagged cells in `cols` (None: every column) and the
        hidden rows, the part read again (not counted again); (flags, complete): complete is False
        when more than `cap` cells were flagged."""
        letters = (b"|".join(col_letters(c).encode() for c in sorted(cols)) if cols is not None
                   else b"[A-Za-z]{1,3}")
        formula_re = re.compile(rb'<c r="(' + letters + rb')(\d+)"([^>]*)>\s*' + _F_REST.pattern)
        pct_re, pct_tokens = None, []
        if self.pct and (pct_cols is None or pct_cols):
            styles = b"|".join(str(i).encode() for i in sorted(self.pct))
            pct_letters = (b"|".join(col_letters(c).encode() for c in sorted(pct_cols)) if pct_cols is not None
                           else b"[A-Za-z]{1,3}")
            pct_re = re.compile(rb'<c r="(' + pct_letters + rb')(\d+)"([^>]*?\bs="(?:' + styles + rb')"[^>]*)>')
            pct_tokens = [f's="{i}"'.encode() for i in sorted(self.pct)]
        flags: list[CellFlag] = []
        complete = True
        survey = cols is None
        ext = _Extent(exact=mode == "exact") if mode in ("extent", "exact") else None
        hidden: list[int] = []
        tail = b""
        for chunk in self.zip.stream(part, count=mode == "extent"):
            if self._stop and survey:
                return flags, False
            buf = tail + chunk
            cut = buf.rfind(b"row>") + 4
            if cut < 4:
                tail = buf
                continue
            seg, tail = buf[:cut], buf[cut:]
            if ext is not None:
                ext.add(seg)
                continue
            if survey and b'hidden="' in seg:
                _hidden_rows(seg, hidden)
            if complete:
                self._scan(seg, cols, pct_cols, formula_re, pct_re, pct_tokens, flags)
                if len(flags) > cap:
                    complete = False
        if tail:
            if ext is not None:
                ext.add(tail)
            else:
                if survey and b'hidden="' in tail:
                    _hidden_rows(tail, hidden)
                if complete:
                    self._scan(tail, cols, pct_cols, formula_re, pct_re, pct_tokens, flags)
                    complete = len(flags) <= cap
        if hidden:
            self.hidden[sheet] = hidden
        if ext is not None:
            if not ext.exact and ext.row_bound() * ext.cols() > self.lim["max_cells"]:
                return self._scan_part(part, sheet, cap, cols, pct_cols, mode="exact")
            self._rows_total += ext.rows()
            issue = extent_issue(self.file, sheet, ext.rows(), ext.cols(), self.lim, self._rows_total, ext.far)
            if issue is not None:
                raise Refused([issue])
        return flags, complete

    def _scan(self, seg: bytes, cols: set[int] | None, pct_cols: set[int] | None, formula_re, pct_re, pct_tokens,
              flags: list[CellFlag]) -> None:
        formulas = b"<f" in seg or b":f" in seg
        percents = pct_re is not None and any(t in seg for t in pct_tokens)
        # The patterns over whole cells need `<c r="…"` to open every cell (as Excel, WPS, LibreOffice
        # and the usual libraries write them); any other spelling takes the general search.
        fast = (formulas or percents) and b":c " not in seg and seg.count(b"<c ") == seg.count(b'<c r="')
        if formulas and fast and seg.count(b"<f") > 1000:
            # a column of formulas: one pattern over the cells of the columns read
            for col, row, attrs, v_el, v_text in (m.groups() for m in formula_re.finditer(seg)):
                t = _ATTR_T.search(attrs)
                no_value = v_el is None or (not v_text and (t.group(1) if t else b"") != b"str")
                if no_value or self.stale:
                    flags.append(CellFlag(int(row), col_index(col), "formula" if no_value else "stale"))
        elif formulas:
            # a few formulas (a 合计 row): each found by a byte search; its cell is the tag just before
            # it (a formula is a cell's first child)
            for m in _F_OPEN.finditer(seg):
                i = m.start()
                cs = seg.rfind(b"<", 0, i)
                ce = seg.find(b">", cs, i)
                if cs < 0 or ce < 0 or seg[ce + 1:i].strip():
                    continue
                tag = seg[cs + 1:ce].split(None, 1)
                if not tag or tag[0].split(b":")[-1] != b"c" or tag[-1].endswith(b"/"):
                    continue
                attrs = tag[1] if len(tag) > 1 else b""
                r = _ATTR_R.search(attrs)
                c = col_index(r.group(1)) if r else None
                if c is not None and cols is not None and c not in cols:
                    continue
                rest = _F_REST.match(seg, i)
                v_el, v_text = (rest.group(1), rest.group(2)) if rest else (None, None)
                t = _ATTR_T.search(attrs)
                no_value = v_el is None or (not v_text and (t.group(1) if t else b"") != b"str")
                if no_value or self.stale:
                    flags.append(CellFlag(int(r.group(2)) if r else None, c, "formula" if no_value else "stale"))
        if not percents:
            return
        if fast:
            found_p = [m.groups() for m in pct_re.finditer(seg)]
        else:
            found_p = []
            for m in _CELL_ANY.finditer(seg):
                sm = _ATTR_S.search(m.group(1))
                if sm and int(sm.group(1)) in self.pct:
                    r = _ATTR_R.search(m.group(1))
                    found_p.append((r.group(1) if r else None, r.group(2) if r else None, m.group(1)))
        for col, row, attrs in found_p:
            c = col_index(col) if col else None
            t = _ATTR_T.search(attrs)
            if attrs.endswith(b"/") or (t is not None and t.group(1) != b"n") or (
                    c is not None and pct_cols is not None and c not in pct_cols):
                continue
            flags.append(CellFlag(int(row) if row else None, c, "percent"))
