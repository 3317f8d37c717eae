"""Zip packages (.xlsx, .xlsm, .ods) inflated by us before calamine sees them: zlib's real output
counted against max_inflated_bytes, every part's CRC-32 and size checked."""

from __future__ import annotations

import io
import struct
import threading
import zipfile
import zlib

from cm_payroll.errors import InputIssue
from cm_payroll.load.common import Refused


MAX_RATIO = 200                          # … or with a compression ratio typical of zip bombs


# --------------------------------------------------------------------------------------------- zip packages

_IN_CHUNK = 1 << 20
_OUT_CHUNK = 1 << 22


class Damaged(Exception):
    pass


class TooBig(Exception):
    pass


class ZipParts:
    """The parts of a zip package, inflated by us as a stream — zlib's real output counted against
    max_inflated_bytes (declared sizes are never trusted: a part that inflates to more than its
    declared size is damaged), every part's CRC-32 and size checked — before calamine sees them."""

    def __init__(self, file: str, data: bytes, cap: int):
        self.file, self.data, self.cap = file, data, cap
        self.used = 0
        self._lock = threading.Lock()
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                self.infos = zf.infolist()
        except (zipfile.BadZipFile, ValueError, OSError):
            raise Refused([self.damaged_issue("(zip directory)")]) from None
        self.by_name = {i.filename: i for i in self.infos}
        declared = sum(i.file_size for i in self.infos)
        if declared > cap or declared > MAX_RATIO * max(len(data), 1) and declared > 50 * 1024**2:
            raise Refused([self.too_big_issue(declared, declared=True)])

    def damaged_issue(self, part: str) -> InputIssue:
        return InputIssue(self.file, message=f"the workbook is damaged (part {part} is corrupt); "
                          "save it again from Excel/WPS or ask for a new export")

    def too_big_issue(self, n: int, declared: bool = False) -> InputIssue:
        how = "declares that it inflates to" if declared else "inflates to more than"
        return InputIssue(self.file, message=f"refused: the workbook {how} {n:,} bytes from {len(self.data):,} "
                          f"(the limit is {self.cap:,}: a zip bomb or a corrupted file); "
                          "save it again from Excel/WPS, or split it")

    def _count(self, n: int) -> None:
        with self._lock:
            self.used += n
            if self.used > self.cap:
                raise TooBig()

    def stream(self, name: str, out_chunk: int = _OUT_CHUNK, count: bool = True):
        """The inflated bytes of one part, chunk by chunk; raises Damaged or TooBig. `count`:
        False for a part read again (counted once)."""
        info = self.by_name[name]
        data, off = self.data, info.header_offset
        if data[off:off + 4] != b"PK\x03\x04" or info.flag_bits & 1:
            raise Damaged(name)
        n, m = struct.unpack_from("<HH", data, off + 26)
        start = off + 30 + n + m
        end = start + info.compress_size
        if end > len(data):
            raise Damaged(name)
        raw = memoryview(data)[start:end]
        crc = total = 0
        if info.compress_type == zipfile.ZIP_STORED:
            for i in range(0, len(raw), out_chunk):
                piece = bytes(raw[i:i + out_chunk])
                total += len(piece)
                if total > info.file_size:
                    raise Damaged(name)
                if count:
                    self._count(len(piece))
                crc = zlib.crc32(piece, crc)
                yield piece
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            d = zlib.decompressobj(-15)
            pos = 0
            try:
                while not d.eof:
                    if d.unconsumed_tail:
                        piece = d.decompress(d.unconsumed_tail, out_chunk)
                    elif pos < len(raw):
                        piece = d.decompress(raw[pos:pos + _IN_CHUNK], out_chunk)
                        pos += _IN_CHUNK
                    else:
                        raise Damaged(name)          # the deflate stream ends before its end marker
                    if not piece:
                        continue
                    total += len(piece)
                    if total > info.file_size:
                        raise Damaged(name)          # more than declared: the sizes lie
                    if count:
                        self._count(len(piece))
                    crc = zlib.crc32(piece, crc)
                    yield piece
            except zlib.error:
                raise Damaged(name) from None
        else:
            raise Damaged(name)
        if total != info.file_size or crc != info.CRC:
            raise Damaged(name)

    def read(self, name: str) -> bytes:
        return b"".join(self.stream(name))

    def drain(self, name: str) -> None:
        for _ in self.stream(name):
            pass
