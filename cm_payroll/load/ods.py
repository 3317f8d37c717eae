"""The cell scanner of .ods workbooks (content.xml, styles.xml): percentages, hidden rows, the used
range with its repeated rows and columns, the null date."""

from __future__ import annotations

import datetime as dt
from xml.parsers.expat import ExpatError, ParserCreate

from cm_payroll.errors import InputIssue
from cm_payroll.load.common import CellFlag, EPOCH_1900, MAX_FLAGS, Refused, SHEET_COLS, SHEET_ROWS, col_letters, extent_issue, input_limits
from cm_payroll.load.zipparts import Damaged, TooBig, ZipParts


_T = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_O = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_S = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
_N = "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"


class OdsCells:
    """What calamine does not tell about an .ods: cells shown as percentages (office:value-type
    "percentage", or a percent data style), hidden rows (table:visibility collapse/filter), the used
    range with table:number-rows-repeated / number-columns-repeated expanded, the null date (day 0
    of serial numbers). Every part is inflated through ZipParts (sizes and CRC-32 checked)."""

    def __init__(self, file: str, data: bytes, lim: dict | None = None):
        self.file, self.lim = file, input_limits(lim)
        self.zip = ZipParts(file, data, self.lim["max_inflated_bytes"])
        self.epoch = EPOCH_1900
        self.pct_styles: set[str] = set()
        self.flags: dict[str, list[CellFlag]] = {}
        self.hidden: dict[str, list[int]] = {}
        self.failure: list[InputIssue] | None = None
        self._data_pct: set[str] = set()
        self._cell_data: dict[str, str] = {}
        names = [i.filename for i in self.zip.infos]
        order = [n for n in names if n == "styles.xml"] + [n for n in names if n not in ("styles.xml", "content.xml")]
        order += [n for n in names if n == "content.xml"]
        try:
            for name in order:
                if name in ("styles.xml", "content.xml"):
                    self._parse(name)
                else:
                    self.zip.drain(name)
        except Damaged as exc:
            self.failure = [self.zip.damaged_issue(str(exc))]
        except TooBig:
            self.failure = [self.zip.too_big_issue(self.zip.cap)]
        except Refused as exc:
            self.failure = exc.issues
        except ExpatError as exc:
            self.failure = [InputIssue(file, message=f"the workbook is damaged (not well-formed XML: {exc}); "
                                       "save it again")]

    def wait(self, sheet: str | None) -> list[InputIssue] | None:
        return self.failure

    def scan(self, sheet: str | None, cols: set[int], pct_cols: set[int]) -> list[CellFlag]:
        return [f for f in self.flags.get(sheet or "", []) if f.col in pct_cols][:MAX_FLAGS + 1]

    def _parse(self, name: str) -> None:
        p = ParserCreate(namespace_separator=" ")
        st = {"table": None, "row": 0, "rep": 1, "col": 0, "vis": "", "cell": None, "text": False,
              "row_max": -1, "max_row": 0, "max_col": -1, "rows_total": 0}
        lim, file = self.lim, self.file

        def start(tag, a):
            if tag == f"{_T} table-cell" or tag == f"{_T} covered-table-cell":
                rep = int(a.get(f"{_T} number-columns-repeated", "1") or 1)
                vt = a.get(f"{_O} value-type")
                style = a.get(f"{_T} style-name", "")
                st["cell"] = (st["col"], rep, vt, style)
                st["text"] = False
            elif tag == f"{_T} table-row":
                st["rep"] = max(1, int(a.get(f"{_T} number-rows-repeated", "1") or 1))
                st["vis"] = a.get(f"{_T} visibility", "")
                st["col"], st["row_max"] = 0, -1
            elif tag == f"{_T} table":
                st["table"] = a.get(f"{_T} name", "")
                st["row"], st["max_row"], st["max_col"] = 0, 0, -1
            elif tag == f"{_T} null-date":
                v = a.get(f"{_T} date-value", "")
                try:
                    self.epoch = dt.date.fromisoformat(v[:10])
                except ValueError:
                    pass
            elif tag == f"{_N} percentage-style":
                self._data_pct.add(a.get(f"{_S} name", ""))
            elif tag == f"{_S} style" and a.get(f"{_S} data-style-name"):
                self._cell_data[a.get(f"{_S} name", "")] = a.get(f"{_S} data-style-name", "")
            elif st["cell"] is not None and tag.startswith("urn:oasis:names:tc:opendocument:xmlns:text"):
                st["text"] = True

        def chars(s):
            if st["cell"] is not None and s.strip():
                st["text"] = True

        def end(tag):
            if tag == f"{_T} table-cell" or tag == f"{_T} covered-table-cell":
                col, rep, vt, style = st["cell"]
                if vt is not None or st["text"]:
                    st["row_max"] = col + rep - 1
                    pct = vt == "percentage" or (vt in ("float", "percentage") and self._is_pct(style))
                    if pct:
                        fl = self.flags.setdefault(st["table"] or "", [])
                        for r in range(st["row"] + 1, st["row"] + 1 + min(st["rep"], MAX_FLAGS)):
                            for c in range(col, col + min(rep, 256)):
                                if len(fl) <= MAX_FLAGS:
                                    fl.append(CellFlag(r, c, "percent"))
                st["col"] = col + rep
                st["cell"] = None
            elif tag == f"{_T} table-row":
                first = st["row"] + 1
                st["row"] += st["rep"]
                if st["row_max"] >= 0:
                    if st["row"] > SHEET_ROWS or st["row_max"] >= SHEET_COLS:
                        far = f"{col_letters(min(st['row_max'], SHEET_COLS))}{st['row']:,}"
                        raise Refused([InputIssue(file, st["table"], message=(
                            f"the sheet holds content up to {far} (repeated rows or columns), beyond the "
                            f"{SHEET_ROWS:,} rows × {SHEET_COLS:,} columns of a sheet: the reader would drop it; "
                            "delete the repeated rows or columns, or save the file again"))])
                    st["max_row"] = st["row"]
                    st["max_col"] = max(st["max_col"], st["row_max"])
                    if st["vis"] in ("collapse", "filter"):
                        h = self.hidden.setdefault(st["table"] or "", [])
                        h.extend(range(first, first + min(st["rep"], 100_000)))
                    issue = extent_issue(file, st["table"], st["max_row"], st["max_col"] + 1, lim,
                                         st["rows_total"] + st["max_row"])
                    if issue is not None:
                        raise Refused([issue])
            elif tag == f"{_T} table":
                st["rows_total"] += st["max_row"]

        p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, chars
        for chunk in self.zip.stream(name):
            p.Parse(chunk, False)
        p.Parse(b"", True)

    def _is_pct(self, style: str) -> bool:
        return self._cell_data.get(style, "") in self._data_pct
