"""The BIFF8 cell-flag parser: the records of an .xls Workbook stream (olefile), read before calamine."""

from __future__ import annotations

import io
import re
import struct

from cm_payroll.errors import InputIssue
from cm_payroll.load.common import CellFlag, EPOCH_1900, EPOCH_1904, MAX_FLAGS, PCT_BUILTIN, extent_issue, input_limits


def _percent_code(code: str) -> bool:
    return "%" in re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code)


class XlsCells:
    """What calamine does not tell about an .xls (BIFF8) workbook, from the Workbook stream's
    records, read before calamine: percent-formatted numbers (FORMAT and XF records give the
    percent formats, then a sheet's NUMBER, RK, MULRK, FORMULA cells that use one; calamine reads
    them as 0.25), hidden rows (ROW fDyZero), the date system (DATEMODE), and each sheet's used
    range from its cell records (DIMENSIONS can lie; calamine reserves room for what it declares,
    so a declared range beyond the limits is refused too). Needs olefile."""

    def __init__(self, file: str, data: bytes, lim: dict | None = None):
        self.file, self.lim = file, input_limits(lim)
        self.sheets: dict[str, int] = {}
        self.pct: set[int] = set()
        self.flags: dict[str, list[CellFlag]] = {}
        self.hidden: dict[str, list[int]] = {}
        self.epoch = EPOCH_1900
        self.issues: list[InputIssue] = []
        self.stream = b""
        try:
            import olefile
            with olefile.OleFileIO(io.BytesIO(data)) as ole:
                name = next((n for n in ("Workbook", "Book") if ole.exists(n)), None)
                if name is None:
                    return
                self.stream = ole.openstream(name).read()
        except Exception:  # noqa: BLE001 — no olefile, or a stream calamine read and olefile cannot
            return
        st, pos = self.stream, 0
        formats: dict[int, str] = {}
        xfs: list[int] = []
        try:
            while pos + 4 <= len(st):
                rid, size = struct.unpack_from("<HH", st, pos)
                body = st[pos + 4:pos + 4 + size]
                pos += 4 + size
                if rid == 0x041E and len(body) >= 5:                 # FORMAT
                    ifmt, cch, flags = struct.unpack_from("<HHB", body, 0)
                    raw = body[5:]
                    formats[ifmt] = (raw[:2 * cch].decode("utf-16-le", "replace") if flags & 1
                                     else raw[:cch].decode("latin-1"))
                elif rid == 0x00E0 and len(body) >= 4:               # XF
                    xfs.append(struct.unpack_from("<H", body, 2)[0])
                elif rid == 0x0022 and len(body) >= 2:               # DATEMODE
                    if struct.unpack_from("<H", body, 0)[0] == 1:
                        self.epoch = EPOCH_1904
                elif rid == 0x0085 and len(body) >= 8:               # BOUNDSHEET8
                    offset = struct.unpack_from("<I", body, 0)[0]
                    cch, flags = body[6], body[7]
                    name = (body[8:8 + 2 * cch].decode("utf-16-le", "replace") if flags & 1
                            else body[8:8 + cch].decode("latin-1"))
                    self.sheets[name] = offset
                elif rid == 0x000A:                                  # EOF of the globals
                    break
        except struct.error:
            return
        self.pct = {i for i, f in enumerate(xfs) if f in PCT_BUILTIN or _percent_code(formats.get(f, ""))}
        rows_total = 0
        for name, offset in self.sheets.items():
            rows, cols, declared = self._sheet(name, offset)
            rows_total += rows
            issue = (extent_issue(file, name, rows, cols, self.lim, rows_total)
                     or extent_issue(file, name, declared[0], declared[1], self.lim, 0))
            if issue is not None:
                self.issues.append(issue)
                break

    def _sheet(self, sheet: str, pos: int) -> tuple[int, int, tuple[int, int]]:
        """(rows, columns) of the cells present, the DIMENSIONS declared; flags and hidden rows kept."""
        st = self.stream
        flags: list[CellFlag] = []
        hidden: list[int] = []
        max_row = max_col = -1
        declared = (0, 0)
        depth = 0
        try:
            while pos + 4 <= len(st):
                rid, size = struct.unpack_from("<HH", st, pos)
                body = st[pos + 4:pos + 4 + size]
                pos += 4 + size
                if rid == 0x0809 and pos - 4 - size > self.sheets[sheet]:   # BOF of an embedded substream
                    depth += 1
                    continue
                if rid == 0x000A:
                    if depth == 0:
                        break
                    depth -= 1
                    continue
                if depth:
                    continue
                if rid in (0x0203, 0x027E, 0x0006, 0x0204, 0x00FD, 0x0205, 0x00D6) and len(body) >= 6:
                    row, col, xf = struct.unpack_from("<HHH", body, 0)
                    max_row, max_col = max(max_row, row), max(max_col, col)
                    if (rid in (0x0203, 0x027E, 0x0006) and xf in self.pct and len(flags) <= MAX_FLAGS
                            and not (rid == 0x0006 and body[12:14] == b"\xff\xff")):
                        flags.append(CellFlag(row + 1, col, "percent"))
                elif rid == 0x00BD and len(body) >= 6:                     # MULRK
                    row, first = struct.unpack_from("<HH", body, 0)
                    n = (len(body) - 6) // 6
                    max_row, max_col = max(max_row, row), max(max_col, first + n - 1)
                    for i in range(n):
                        xf = struct.unpack_from("<H", body, 4 + 6 * i)[0]
                        if xf in self.pct and len(flags) <= MAX_FLAGS:
                            flags.append(CellFlag(row + 1, first + i, "percent"))
                elif rid == 0x0208 and len(body) >= 16:                    # ROW
                    if struct.unpack_from("<H", body, 12)[0] & 0x20:
                        hidden.append(struct.unpack_from("<H", body, 0)[0] + 1)
                elif rid == 0x0200:                                        # DIMENSIONS
                    if len(body) >= 14:
                        rf, rl, cf, cl = struct.unpack_from("<IIHH", body, 0)
                    elif len(body) >= 10:
                        rf, rl, cf, cl = struct.unpack_from("<HHHH", body, 0)
                    else:
                        continue
                    declared = (abs(rl - rf) + 1, abs(cl - cf) + 1)
        except struct.error:
            pass
        self.flags[sheet] = flags
        if hidden:
            self.hidden[sheet] = hidden
        return max_row + 1, max_col + 1, declared

    def scan(self, sheet: str | None, cols: set[int], pct_cols: set[int]) -> list[CellFlag]:
        if not self.pct or not pct_cols:
            return []
        return [f for f in self.flags.get(sheet or "", []) if f.col in pct_cols][:MAX_FLAGS + 1]
