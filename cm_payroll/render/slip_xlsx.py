"""Pay slips fast: the bytes xlsxwriter writes for a slip, without xlsxwriter's cost per file (issue 5).

A slip workbook is ten small XML parts in a zip. Seven are the same for every slip whose cell formats
are first used in the same order (its "shape": xf style indices follow that order, and styles.xml with
them); they are taken from a workbook xlsxwriter writes for the first slip of each shape, and kept.
For each slip this module writes only what changes — the worksheet's cells, the shared strings and the
title in docProps/core.xml — by xlsxwriter's rules (shared strings in the order written, style indices
in the order first met row by row, row spans per block of 16 rows, the same escaping), and zips the
parts as xlsxwriter does (same order, timestamps, compression). So a slip is byte-for-byte the file
`slips.slip_workbook_xlsxwriter` writes: the first slip of each shape is compared with it, and the
tests compare every slip of the samples and generated ones.

The layout itself is not repeated here: `slips.lay_out` writes the cells, to an xlsxwriter worksheet
or to the recorder below. A slip this writer does not reproduce (a string beyond Excel's cell limit,
a number that is not finite) is written by xlsxwriter.

A string that looks like rich-text XML (`<r>…</r>`) is written by xlsx.text as a rich string of plain
fragments (xlsxwriter would put it into the XML unescaped); such a slip is left to xlsxwriter.
"""

from __future__ import annotations

import io
import math
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache

from xlsxwriter.utility import xl_col_to_name

from cm_payroll.render import slips

# Three small rules of xlsxwriter's XML, owned here (xlsxwriter keeps them private): the first slip of
# every shape is compared with xlsxwriter's own file (`_learn`), and tests/test_slip_writer.py checks
# these against xlsxwriter's functions over hostile strings.
_CONTROL_ESCAPED = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_EDGE_SPACE = (re.compile(r"^\s"), re.compile(r"\s$"))


def _escape_control(data: str) -> str:
    """Control characters as _xHHHH_, a literal _xHHHH_ with its underscore escaped (as Excel does)."""
    data = _CONTROL_ESCAPED.sub(r"_x005F\1", data)
    data = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", data)
    return data.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")


def _preserve_whitespace(s: str) -> bool:
    """A string with leading or trailing white space needs xml:space="preserve"."""
    return bool(_EDGE_SPACE[0].search(s) or _EDGE_SPACE[1].search(s))


def _utf16_len(s: str) -> int:
    """Length in UTF-16 units (Excel's limits count a character above U+FFFF twice)."""
    return len(s.encode("utf-16-le", "surrogatepass")) // 2

_XML_ESCAPES = re.compile('["&<>\n]')
_FORMAT_NAMES = ("title", "head", "label", "cell", "money", "total", "total_l")   # slips.slip_formats
_MAX_CHARS = 32767                                           # Excel's cell limit in UTF-16 units
_DEFAULT_ROW_PX = 20                                          # xlsxwriter's default row height
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)                             # xlsxwriter's member timestamp
_LETTERS = [chr(65 + i) for i in range(26)]


def _escape_data(s: str) -> str:
    if not _XML_ESCAPES.search(s):
        return s
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@lru_cache(maxsize=1 << 16)
def _si(s: str) -> str:
    """A shared string's <si> element as xlsxwriter writes it (labels and articles repeat: cached)."""
    s = _escape_control(s)
    space = ' xml:space="preserve"' if _preserve_whitespace(s) else ""
    return f"<si><t{space}>{_escape_data(s)}</t></si>"


class Unsupported(Exception):
    """A slip this writer does not reproduce: xlsxwriter writes it."""


class Recorder:
    """The worksheet calls slips.lay_out makes, recorded with xlsxwriter's semantics: cells by row and
    column (a later write replaces an earlier one), shared strings numbered in the order written,
    the used range, merged ranges. Formats are their names in slips.slip_formats."""

    def __init__(self) -> None:
        self.table: dict[int, dict[int, tuple[str, object, str | None]]] = {}
        self.sst: dict[str, int] = {}
        self.count = 0
        self.merges: list[tuple[int, int, int, int]] = []
        self.heights: dict[int, int] = {}           # row → height in pixels (set_row)

    def write_string(self, r: int, c: int, s: str, fmt: str | None = None) -> None:
        if len(s) > _MAX_CHARS // 2 and _utf16_len(s) > _MAX_CHARS:
            raise Unsupported("a string longer than an Excel cell holds")
        sst = self.sst
        idx = sst.get(s)
        if idx is None:
            idx = sst[s] = len(sst)
        self.count += 1
        row = self.table.get(r)
        if row is None:
            row = self.table[r] = {}
        row[c] = ("s", idx, fmt)

    def write_number(self, r: int, c: int, n, fmt: str | None = None) -> None:
        if type(n) not in (int, float) or not math.isfinite(n):
            raise Unsupported(f"number {n!r}")
        self.table.setdefault(r, {})[c] = ("n", n, fmt)

    def write_rich_string(self, *_args) -> None:
        raise Unsupported("a rich string")

    def write_blank(self, r: int, c: int, _value=None, fmt: str | None = None) -> None:
        if fmt is None:                       # xlsxwriter writes no cell for a blank without a format
            return
        self.table.setdefault(r, {})[c] = ("b", None, fmt)

    def set_row(self, r: int, height: float | None = None, fmt=None, options=None) -> None:
        """A row's height, as xlsxwriter's set_row stores it (pixels). Only rows that hold cells
        (then the used range is unchanged); formats and options on rows are not reproduced."""
        if fmt is not None or options or height is None or r not in self.table:
            raise Unsupported("set_row beyond a height for a row with cells")
        self.heights[r] = int(height * 4.0 / 3.0 + 0.5)

    def merge_range(self, r1: int, c1: int, r2: int, c2: int, data, fmt: str | None = None) -> None:
        self.merges.append((r1, c1, r2, c2))
        if data is None or data == "":
            self.write_blank(r1, c1, None, fmt)
        elif isinstance(data, str):
            self.write_string(r1, c1, data, fmt)
        else:
            self.write_number(r1, c1, data, fmt)
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                if (r, c) != (r1, c1):
                    self.write_blank(r, c, None, fmt)

    # ------------------------------------------------------------------ what changes from slip to slip

    def shape(self) -> tuple[str, ...]:
        """The formats in the order xlsxwriter numbers them: first met row by row, column by column."""
        order: dict[str, None] = {}
        for r in sorted(self.table):
            row = self.table[r]
            for c in sorted(row):
                fmt = row[c][2]
                if fmt is not None and fmt not in order:
                    order[fmt] = None
        return tuple(order)

    def sheet_data(self, xf: dict[str, int]) -> str:
        spans: dict[int, str] = {}
        for r, row in self.table.items():
            b = r // 16
            lo, hi = min(row), max(row)
            if b in spans:
                a, z = spans[b]
                lo, hi = min(lo, a), max(hi, z)
            spans[b] = (lo, hi)
        span = {b: f"{lo + 1}:{hi + 1}" for b, (lo, hi) in spans.items()}
        letters = _LETTERS
        heights = self.heights
        out = []
        for r in sorted(self.table):
            row = self.table[r]
            n = r + 1
            px = heights.get(r, _DEFAULT_ROW_PX)
            if px != _DEFAULT_ROW_PX:            # xlsxwriter: ht in points, customHeight
                out.append(f'<row r="{n}" spans="{span[r // 16]}" ht="{px * 0.75:.16g}" customHeight="1">')
            else:
                out.append(f'<row r="{n}" spans="{span[r // 16]}">')
            for c in sorted(row):
                kind, value, fmt = row[c]
                s = f' s="{xf[fmt]}"' if fmt is not None else ""
                ref = f"{letters[c] if c < 26 else xl_col_to_name(c)}{n}"
                if kind == "s":
                    out.append(f'<c r="{ref}"{s} t="s"><v>{value}</v></c>')
                elif kind == "n":
                    out.append(f'<c r="{ref}"{s}><v>{value:.16G}</v></c>')
                else:
                    out.append(f'<c r="{ref}"{s}/>')
            out.append("</row>")
        return "".join(out)

    def dimension(self) -> str:
        """The used range: every cell written and the corners of merged ranges (xlsxwriter's rule)."""
        rows = [*self.table, *(m[0] for m in self.merges), *(m[2] for m in self.merges)]
        cols = [c for row in self.table.values() for c in row]
        cols += [m[1] for m in self.merges] + [m[3] for m in self.merges]
        rmin, rmax, cmin, cmax = min(rows), max(rows), min(cols), max(cols)
        a = f"{xl_col_to_name(cmin)}{rmin + 1}"
        if rmin == rmax and cmin == cmax:
            return a
        return f"{a}:{xl_col_to_name(cmax)}{rmax + 1}"

    def shared_strings(self) -> str:
        # dicts keep insertion order: the shared-string order
        items = "".join(map(_si, self.sst))
        return f' count="{self.count}" uniqueCount="{len(self.sst)}">{items}</sst>'


# --------------------------------------------------------------------------------------------- shapes

@dataclass
class _Member:
    """One part of the zip as zipfile wrote it for xlsxwriter: its local header and compressed data,
    and its central-directory record (the offset, and for a changing part CRC and sizes, are patched)."""

    name: str
    local: bytes
    data: bytes
    central: bytes


@dataclass
class _Shape:
    """The parts of a slip workbook of one shape, as xlsxwriter wrote them for its first slip."""

    members: list[_Member]                      # every part, in xlsxwriter's zip order
    end: bytes                                  # the end-of-central-directory record
    xf: dict[str, int]                          # format name → xf index
    sheet_head: str                             # worksheet XML up to the dimension's reference
    sheet_mid: str                              # from after the dimension to <sheetData>
    sheet_tail: str                             # after </mergeCells>
    sst_head: str                               # shared strings XML up to the count attribute
    core_head: str                              # core.xml up to the title
    core_tail: str                              # core.xml after the title


def _zip_members(data: bytes) -> tuple[list[_Member], bytes]:
    """The members of a zip written by zipfile (no zip64, no comment), with their raw bytes."""
    end = data[-22:]
    sig, _, _, n, _, _, cd_off, comment = struct.unpack("<4s4H2LH", end)
    if sig != b"PK\x05\x06" or comment:
        raise ValueError("unexpected zip layout")
    members, pos = [], cd_off
    for _ in range(n):
        fixed = struct.unpack("<4s4B4HL2L5H2L", data[pos:pos + 46])
        name_len, extra_len, comment_len, offset = fixed[12], fixed[13], fixed[14], fixed[18]
        central = data[pos:pos + 46 + name_len + extra_len + comment_len]
        name = central[46:46 + name_len].decode("utf-8")
        l_name, l_extra = struct.unpack("<2H", data[offset + 26:offset + 30])
        head = 30 + l_name + l_extra
        members.append(_Member(name, data[offset:offset + head], data[offset + head:offset + head + fixed[10]], central))
        pos += len(central)
    return members, end


_SHAPES: dict[tuple[str, ...], _Shape] = {}
_SHEET = "xl/worksheets/sheet1.xml"
_SST = "xl/sharedStrings.xml"
_CORE = "docProps/core.xml"


def _learn(shape: tuple[str, ...], slip: slips.Slip) -> tuple[_Shape, bytes]:
    """The parts of `shape` from xlsxwriter's workbook for `slip`; the workbook too."""
    data = slips.slip_workbook_xlsxwriter(slip)
    members, end = _zip_members(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        parts = {m.name: zf.read(m.name) for m in members}
    sheet = parts[_SHEET].decode("utf-8")
    d0 = sheet.index('<dimension ref="') + len('<dimension ref="')
    d1 = sheet.index('"/>', d0)
    m_end = sheet.index("</mergeCells>") + len("</mergeCells>")
    sst = parts[_SST].decode("utf-8")
    core = parts[_CORE].decode("utf-8")
    t0 = core.index("<dc:title>") + len("<dc:title>")
    t1 = core.index("</dc:title>")
    found = _Shape(members, end, {name: i + 1 for i, name in enumerate(shape)}, sheet[:d0],
                   sheet[d1 + 3:sheet.index("<sheetData>")], sheet[m_end:], sst[:sst.index(' count="')],
                   core[:t0], core[t1:])
    return found, data


def _core_title(title: str) -> str:
    return _escape_control(_escape_data(title))


def _assemble(sh: _Shape, rec: Recorder, title: str) -> bytes:
    merges = "".join(f'<mergeCell ref="{xl_col_to_name(c1)}{r1 + 1}:{xl_col_to_name(c2)}{r2 + 1}"/>'
                     for r1, c1, r2, c2 in rec.merges)
    sheet = (f'{sh.sheet_head}{rec.dimension()}"/>{sh.sheet_mid}<sheetData>{rec.sheet_data(sh.xf)}</sheetData>'
             f'<mergeCells count="{len(rec.merges)}">{merges}</mergeCells>{sh.sheet_tail}')
    fresh = {_SHEET: sheet.encode("utf-8"), _SST: (sh.sst_head + rec.shared_strings()).encode("utf-8"),
             _CORE: (sh.core_head + _core_title(title) + sh.core_tail).encode("utf-8")}
    # The zip as zipfile writes it (xlsxwriter's way): the unchanged parts are copied compressed.
    out = bytearray()
    central = []
    for m in sh.members:
        offset = len(out)
        body = fresh.get(m.name)
        if body is None:
            out += m.local
            out += m.data
            record = bytearray(m.central)
        else:
            z = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
            packed = z.compress(body) + z.flush()
            crc = zlib.crc32(body)
            local = bytearray(m.local)
            struct.pack_into("<3L", local, 14, crc, len(packed), len(body))
            out += local
            out += packed
            record = bytearray(m.central)
            struct.pack_into("<3L", record, 16, crc, len(packed), len(body))
        struct.pack_into("<L", record, 42, offset)
        central.append(record)
    cd_offset = len(out)
    for record in central:
        out += record
    end = bytearray(sh.end)
    struct.pack_into("<2L", end, 12, len(out) - cd_offset, cd_offset)
    out += end
    return bytes(out)


def slip_workbook(slip: slips.Slip) -> bytes:
    """slips/<id>.xlsx, byte-for-byte what slips.slip_workbook_xlsxwriter writes (see the module note)."""
    rec = Recorder()
    try:
        slips.lay_out(rec, {name: name for name in _FORMAT_NAMES}, slip)
    except Unsupported:
        return slips.slip_workbook_xlsxwriter(slip)
    if not rec.merges:
        return slips.slip_workbook_xlsxwriter(slip)
    shape = rec.shape()
    sh = _SHAPES.get(shape)
    if sh is None:
        sh, reference = _learn(shape, slip)
        if _assemble(sh, rec, slip.title) != reference:
            # this writer does not reproduce the shape: leave it to xlsxwriter (never expected)
            sh = _Shape([], b"", {}, "", "", "", "", "", "")
        _SHAPES[shape] = sh
        return reference
    if not sh.members:
        return slips.slip_workbook_xlsxwriter(slip)
    return _assemble(sh, rec, slip.title)



fast_slip_workbook = slip_workbook      # the name the benchmarks and tests know
