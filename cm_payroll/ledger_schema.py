"""What the ledger's JSON files may hold, declared field by field, and a strict JSON reader.

Every field of `.ledger/HEAD.json`, `.ledger/JOURNAL.json` and each version's `manifest.json` is
checked against the declarations below when the ledger is opened (SPEC 7: a damaged ledger is
refused, exit 3). A field added later is one line in its `Obj({...})`; `Opt(...)` marks a field a
ledger written by an earlier release lacks. Unknown keys are damage, as are values of the wrong
type, numbers out of range, over-long strings and containers with too many items.

The reader refuses what Python's `json` would accept but no ledger holds: a byte-order mark,
invalid UTF-8, duplicate keys (json keeps the last one silently), NaN/Infinity, numbers with a
fraction or an exponent (`1e999999` is infinity), integers of more than 20 digits, and nesting
too deep for the parser (RecursionError).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any


class SchemaError(ValueError):
    """A field that does not fit its declaration: `path` locates it (months.2013-02.version)."""

    def __init__(self, path: str, problem: str):
        self.path, self.problem = path, problem
        super().__init__(f"field {path}: {problem}" if path else problem)


def show(v: Any) -> str:
    """A short description of a value for a message (never a 10 MB string or a 400-digit number)."""
    if isinstance(v, Rejected):
        return v.problem
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, int):
        return str(v) if -10**20 < v < 10**20 else "a number of more than 20 digits"
    if isinstance(v, str):
        return json.dumps(v[:40], ensure_ascii=False) + (f"… ({len(v)} characters)" if len(v) > 40 else "")
    if isinstance(v, float):
        return repr(v)
    return {dict: "an object", list: "a list"}.get(type(v), type(v).__name__)


def _join(path: str, key: Any) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))


class Rejected:
    """What the parser put in place of a value no ledger holds (NaN, 1e999999, a 400-digit number),
    so that the schema check can say which field held it."""

    def __init__(self, problem: str):
        self.problem = problem


class _Dups(dict):
    """An object in which a key occurred more than once (json would silently keep the last)."""

    dups: list[str]


class Node:
    def check(self, v: Any, path: str) -> None:
        if isinstance(v, Rejected):
            raise SchemaError(path, v.problem)
        if isinstance(v, _Dups):
            raise SchemaError(_join(path, v.dups[0]), "duplicate key (JSON would keep only the last one)")
        self._check(v, path)

    def _check(self, v: Any, path: str) -> None:
        raise NotImplementedError


class Int(Node):
    """A whole number in lo … hi (a boolean is not a number here)."""

    def __init__(self, lo: int, hi: int):
        self.lo, self.hi = lo, hi

    def _check(self, v, path):
        if isinstance(v, bool) or not isinstance(v, int):
            raise SchemaError(path, f"{show(v)} is not a whole number")
        if not self.lo <= v <= self.hi:
            raise SchemaError(path, f"{show(v)} is out of range ({self.lo} … {self.hi})")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Str(Node):
    """A string of at most `max_len` characters, matching `pattern` (whole) when given; no control
    characters unless `controls`; never a lone surrogate (it could not be written back as UTF-8)."""

    def __init__(self, max_len: int, pattern: str | None = None, controls: bool = False):
        self.max_len, self.pattern = max_len, re.compile(pattern) if pattern else None
        self.controls = controls

    def _check(self, v, path):
        if not isinstance(v, str):
            raise SchemaError(path, f"{show(v)} is not a string")
        if len(v) > self.max_len:
            raise SchemaError(path, f"{show(v)} is longer than {self.max_len} characters")
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            raise SchemaError(path, f"{show(v)} holds a lone surrogate (not text)") from None
        if not self.controls and _CONTROL.search(v):
            raise SchemaError(path, f"{show(v)} holds control characters")
        if self.pattern is not None and not self.pattern.fullmatch(v):
            raise SchemaError(path, f"{show(v)} is not of the expected form")


class Enum(Node):
    def __init__(self, *values):
        self.values = values

    def _check(self, v, path):
        if isinstance(v, bool) or not isinstance(v, (str, int)) or v not in self.values:
            raise SchemaError(path, f"{show(v)} is not one of {', '.join(json.dumps(x) for x in self.values)}")


class Nullable(Node):
    def __init__(self, node: Node):
        self.node = node

    def check(self, v, path):
        if v is not None:
            self.node.check(v, path)


class Opt(Node):
    """A key of an Obj that may be absent (ledgers written before the field existed)."""

    def __init__(self, node: Node):
        self.node = node

    def check(self, v, path):
        self.node.check(v, path)


class Obj(Node):
    """An object with exactly these keys (those wrapped in Opt may be absent)."""

    def __init__(self, fields: dict[str, Node]):
        self.fields = fields

    def _check(self, v, path):
        if not isinstance(v, dict):
            raise SchemaError(path, f"{show(v)} is not an object")
        for k in v:
            if k not in self.fields:
                raise SchemaError(_join(path, k), "unknown field")
        for k, node in self.fields.items():
            if k in v:
                node.check(v[k], _join(path, k))
            elif not isinstance(node, Opt):
                raise SchemaError(_join(path, k), "missing")


class Map(Node):
    """An object used as a map: every key fits `key`, every value `value`."""

    def __init__(self, key: Node, value: Node, max_items: int):
        self.key, self.value, self.max_items = key, value, max_items

    def _check(self, v, path):
        if not isinstance(v, dict):
            raise SchemaError(path, f"{show(v)} is not an object")
        if len(v) > self.max_items:
            raise SchemaError(path, f"{len(v)} entries, more than {self.max_items}")
        for k, x in v.items():
            self.key.check(k, _join(path, f"<key {show(k)}>"))
            self.value.check(x, _join(path, k))


class List(Node):
    def __init__(self, item: Node, max_items: int):
        self.item, self.max_items = item, max_items

    def _check(self, v, path):
        if not isinstance(v, list):
            raise SchemaError(path, f"{show(v)} is not a list")
        if len(v) > self.max_items:
            raise SchemaError(path, f"{len(v)} items, more than {self.max_items}")
        for i, x in enumerate(v):
            self.item.check(x, _join(path, i))


class Tuple(Node):
    def __init__(self, *items: Node):
        self.items = items

    def _check(self, v, path):
        if not isinstance(v, list) or len(v) != len(self.items):
            raise SchemaError(path, f"{show(v)} is not a list of {len(self.items)}")
        for i, (node, x) in enumerate(zip(self.items, v)):
            node.check(x, _join(path, i))


class Where(Node):
    """A node with an extra test: `test(v)` returns a problem, or None when the value is fine."""

    def __init__(self, node: Node, test: Callable[[Any], str | None]):
        self.node, self.test = node, test

    def _check(self, v, path):
        self.node.check(v, path)
        problem = self.test(v)
        if problem:
            raise SchemaError(path, f"{show(v)} {problem}")


def _relative_path(v: str) -> str | None:
    """An output file's path inside its month folder: relative, '/'-separated, no '.' or '..'."""
    parts = v.split("/")
    if v.startswith("/") or "\\" in v or any(p in ("", ".", "..") for p in parts):
        return "is not a plain relative path inside the month folder"
    if any(len(p.encode("utf-8")) > 255 for p in parts):
        return "has a file name longer than 255 bytes"
    return None


# ------------------------------------------------------------------------------------------ fields

MAX_VERSION = 100_000                  # versions of one month
MAX_MONTHS = 12 * 200                  # months under one output root
MAX_ROWS = 10_000_000                  # pending corrections, outputs of a month, input rows
MAX_FEN = 10**17                       # money in fen, well inside Int64 (10**15 yuan)

MONTH = Str(7, r"\d{4}-(0[1-9]|1[0-2])")
SHA256 = Str(64, r"[0-9a-f]{64}")
VERSION = Int(1, MAX_VERSION)
FEN = Int(-MAX_FEN, MAX_FEN)
MANAGER_ID = Str(64, r"[0-9A-Za-z][0-9A-Za-z_\-]{0,63}")       # validate.ID_PATTERN
RULEBOOK_ID = Str(64, r"[a-z][a-z0-9_]{0,63}")
TEXT = Str(4000)
LEDGER_FILE = Str(80, r"(state|pay|exceptions|corrections|aux_[A-Za-z0-9_]{1,64})\.parquet")
OUTPUT_FILE = Where(Str(4096), _relative_path)
DTYPE = Str(1000)                      # a Polars dtype as str() gives it: "Int64", "Date", "List(String)"

# A correction booked by a re-run of a closed month (corrections.gross_differences): `amount` fen
# for `manager_id`, the difference in `corrects`' gross pay between `version` and the version it
# replaced. Entries of ledgers written before the version was recorded lack it.
PENDING = Obj({
    "manager_id": MANAGER_ID,
    "amount": FEN,
    "corrects": MONTH,
    "note": TEXT,
    "version": Opt(Int(2, MAX_VERSION)),
})

class Bool(Node):
    def _check(self, v, path):
        if not isinstance(v, bool):
            raise SchemaError(path, f"{show(v)} is not true or false")


NAME = Str(200)                        # a person's name as given to --by
TIME = Str(40, r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+\-Z0-9:]*")
ROLE = Enum("审核", "复核", "签批")
STATES = ("draft", "reviewed", "rechecked", "approved", "released")
FILE_NAME = Str(255, r"[^/\x00]+")
HASHES = Map(OUTPUT_FILE, SHA256, MAX_ROWS)

# SPEC 6, the month's life (lifecycle.py). Ledgers written before it lack every field: their months
# are read as released (they were "closed": paid).
SIGNATURE = Obj({"role": ROLE, "by": NAME, "at": TIME, "version": VERSION,
                 "outputs_sha256": SHA256, "approvals_sha256": Nullable(SHA256)})
APPROVAL = Obj({"manager_id": MANAGER_ID, "type": Str(64, r"[a-z][a-z0-9_]{0,63}"), "item": Str(200),
                "ref": Str(200), "note": TEXT, "at": TIME, "source": Str(300)})
RELEASE = Obj({"at": TIME, "by": NAME, "version": VERSION, "paid_through": Bool(),
               "files": Map(FILE_NAME, SHA256, 100)})
WITHHELD_PAID = Obj({"manager_id": MANAGER_ID, "ref": Str(200), "at": TIME, "by": NAME,
                     "amount": FEN, "file": FILE_NAME})

HEAD_MONTH = Obj({
    "version": VERSION,
    "manifest_sha256": SHA256,
    "state": Opt(Enum(*STATES)),
    "by": Opt(Nullable(NAME)),                           # 计算: who ran the current version
    "signatures": Opt(List(SIGNATURE, 3)),               # 审核, 复核, 签批 in order
    "approvals": Opt(List(APPROVAL, MAX_ROWS)),          # recorded by `approve` after the run
    "release": Opt(Nullable(RELEASE)),                   # the paid version (kept when re-run)
    "withheld_paid": Opt(List(WITHHELD_PAID, MAX_ROWS)),  # withheld pay released later
    "extra_outputs": Opt(HASHES),                        # files written after the run (approvals, release)
})

HEAD = Obj({
    "format": Enum(1),
    "rulebook_id": RULEBOOK_ID,
    "first_month": MONTH,
    "months": Map(MONTH, HEAD_MONTH, MAX_MONTHS),
    "pending_corrections": List(PENDING, MAX_ROWS),
    # since issue 11: the rulebook the last run used (kept in .ledger/rulebooks/), the --start month
    "rulebook_sha256": Opt(Nullable(SHA256)),
    "start_month": Opt(Nullable(MONTH)),
})

MANIFEST = Obj({
    "month": MONTH,
    "version": VERSION,
    "rulebook_id": RULEBOOK_ID,
    "rulebook_sha256": SHA256,
    "rulebook_source": Str(4096, controls=True),          # builtin:NAME or the path given to --rules
    "inputs": List(Obj({"file": Str(4096, controls=True), "sheet": Nullable(Str(4096, controls=True)), "sha256": SHA256,
                        "rows": Int(0, MAX_ROWS * 100)}), 10_000),
    "outputs": Map(OUTPUT_FILE, SHA256, MAX_ROWS),
    "previous_manifest_sha256": Nullable(SHA256),
    "files": Map(LEDGER_FILE, SHA256, 1000),
    # since issue 12: the columns and types of each ledger file as written
    "schemas": Opt(Map(LEDGER_FILE, List(Tuple(Str(1000), DTYPE), 100_000), 1000)),
    # the version of this month that this one replaced (a re-run), null for a first version
    "replaces": Opt(Nullable(Obj({"version": VERSION, "manifest_sha256": SHA256}))),
    # the sha256 of HEAD's pending_corrections as the commit that wrote this manifest left them
    # (on the latest month of the commit; see ledger.pending_digest)
    "pending_corrections_sha256": Opt(SHA256),
})

JOURNAL = Obj({
    "ops": List(Obj({"op": Enum("move"), "src": Str(300), "dst": Str(300)}), 3 * MAX_MONTHS),
    "head": HEAD,
    "staging": Str(300),
})


def check(node: Node, value: Any) -> None:
    """Raise SchemaError when `value` does not fit `node`."""
    node.check(value, "")


# ------------------------------------------------------------------------------------ strict JSON

def _pairs(pairs: list[tuple[str, Any]]) -> dict:
    d: dict = {}
    dups = []
    for k, v in pairs:
        if k in d:
            dups.append(k)
        d[k] = v
    if dups:
        d = _Dups(d)
        d.dups = dups
    return d


def _constant(name: str) -> Rejected:
    return Rejected(f"{name} is not a number a ledger holds")


def _float(text: str) -> Rejected:
    return Rejected(f"{text[:40]} is not a whole number (a ledger holds no fractions or exponents)")


def _int(text: str) -> int | Rejected:
    digits = len(text.lstrip("-"))
    return Rejected(f"a number of {digits} digits") if digits > 20 else int(text)


def loads(data: bytes) -> Any:
    """Parse ledger JSON strictly: ValueError for a BOM, invalid UTF-8, bad syntax or nesting too deep.
    NaN, Infinity, fractions, exponents, numbers of more than 20 digits and duplicate keys are kept
    as markers that `check` refuses with the field's path: always `check` what this returns."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise ValueError("the file begins with a byte-order mark (BOM); cm-payroll never writes one")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_float,
                          parse_int=_int)
    except RecursionError:
        raise ValueError("nested too deeply") from None


__all__ = ["HEAD", "JOURNAL", "MANIFEST", "PENDING", "SchemaError", "check", "loads", "show"]
