"""Rulebook parameter files: TOML, every number with its article, origin and dated values.

A parameter's value for month M is the entry with the latest `from` not after M (OpenFisca-style
dated parameters). TOML floats are parsed as Decimal, so rates stay exact.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

from cm_payroll.errors import UsageError
from cm_payroll.months import MonthFormatError, fmt_month, parse_month
from cm_payroll.units import to_fen, to_ppm, to_score_units

BUILTIN = ("securities", "rcc")
# Rulebooks applied after a pay rulebook's gross (SPEC 9: `tax`); loadable by id or from a branch's file,
# never a month's `--rules` (they have no rulebook module of their own).
ADDITIONAL = ("tax",)


@dataclass(frozen=True)
class DatedValue:
    start: int          # month index
    value: Any


class Values:
    """Parameter values in force, in the units the rules compute with (fen, ppm, score units, exact
    ratios), read by attribute: `p.standby_rate`, `p.probation.min_score`, `p.levels[0].base_salary`.
    Made from the rulebook file by `Rulebook.values(month)` following each parameter's `unit(s)`:
    nothing maps the file a second time."""

    __slots__ = ("_d",)

    def __init__(self, d: dict[str, Any]):
        object.__setattr__(self, "_d", d)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._d[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        raise AttributeError("parameter values are read-only")

    def replace(self, **changes: Any) -> Values:
        """A copy with some values changed (tests, what-if variations)."""
        return Values({**self._d, **changes})

    def __contains__(self, name: str) -> bool:
        return name in self._d

    def __eq__(self, other) -> bool:
        return isinstance(other, Values) and other._d == self._d

    def __hash__(self) -> int:
        return hash(repr(self))

    def __repr__(self) -> str:
        return f"Values({self._d!r})"

    def __reduce__(self):
        return (Values, (self._d,))


def _integral(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, Decimal, str)):
        raise ValueError(f"not a whole number: {v!r}")
    d = Decimal(str(v))
    if d != d.to_integral_value():
        raise ValueError(f"not a whole number: {v!r}")
    return int(d)


def _boolean(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ValueError(f"not true/false: {v!r}")
    return v


def _number(v: Any) -> Fraction:
    if isinstance(v, bool):
        raise ValueError(f"not a number: {v!r}")
    return Fraction(Decimal(str(v)))


UNIT_READERS = {"money": to_fen, "rate": to_ppm, "score": to_score_units, "int": _integral, "bool": _boolean,
                "number": _number, "text": str}


def convert(value: Any, unit: Any, where: str) -> Any:
    """A TOML value read in its unit (a list element by element; a table field by field with `units`;
    a list of tables likewise). No unit: the value as written."""
    if unit is None:
        return value
    if isinstance(unit, dict):
        if isinstance(value, list):
            return [convert(v, unit, f"{where}[{i}]") for i, v in enumerate(value)]
        if not isinstance(value, dict):
            raise ValueError(f"{where}: expected a table {{ {', '.join(unit)} }}")
        missing = sorted(set(unit) - set(value))
        extra = sorted(set(value) - set(unit))
        if missing or extra:
            raise ValueError(f"{where}: " + "; ".join(
                ([f"missing {', '.join(missing)}"] if missing else []) + ([f"unknown {', '.join(extra)}"] if extra else [])))
        return Values({k: convert(value[k], u, f"{where}.{k}") for k, u in unit.items()})
    if isinstance(value, list):
        return [convert(v, unit, f"{where}[{i}]") for i, v in enumerate(value)]
    reader = UNIT_READERS.get(unit)
    if reader is None:
        raise ValueError(f"{where}: unknown unit {unit!r} (one of {', '.join(UNIT_READERS)})")
    try:
        return reader(value)
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise ValueError(f"{where}: {unit} expected, got {value!r} ({exc})") from None


@dataclass(frozen=True)
class Parameter:
    name: str
    article: str
    origin: str         # "S" (seed) or "D" (our default)
    description: str
    values: tuple[DatedValue, ...]
    unit: Any = None    # str, or {field: unit} for a table value (see convert)

    def at(self, month: int) -> DatedValue:
        chosen = None
        for dv in self.values:
            if dv.start <= month:
                chosen = dv
        if chosen is None:
            raise UsageError(f"parameter {self.name} has no value in force in {fmt_month(month)}")
        return chosen


@dataclass(frozen=True)
class ExceptionType:
    code: str
    label: str
    article: str
    approval: bool


@dataclass
class Rulebook:
    id: str
    title: str
    tracks: tuple[str, ...]
    sheet: str
    parameters: dict[str, Parameter]
    exceptions: dict[str, ExceptionType]
    source: str                      # "builtin:securities" or the path given
    sha256: str
    raw: dict = field(repr=False, default_factory=dict)
    data: bytes = field(repr=False, default=b"")     # the file's bytes (kept in the ledger by each run)

    def at(self, month: int) -> dict[str, Any]:
        """All parameter values in force in `month`, as written in the file."""
        return {name: p.at(month).value for name, p in self.parameters.items()}

    def values(self, month: int) -> Values:
        """All parameter values in force in `month`, in the units the rules compute with."""
        return Values({name: convert(p.at(month).value, p.unit, f"parameters.{name}")
                       for name, p in self.parameters.items()})

    def used(self, month: int) -> list[dict]:
        """The values used for `month`, with where they come from (for run.json and explain)."""
        out = []
        for name, p in sorted(self.parameters.items()):
            dv = p.at(month)
            out.append({"name": name, "article": p.article, "origin": p.origin,
                        "effective_from": fmt_month(dv.start), "value": _jsonable(dv.value)})
        return out

    def exception(self, code: str) -> ExceptionType:
        return self.exceptions[code]


def _jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def builtin_path(name: str) -> Path:
    return Path(str(resources.files("cm_payroll") / "rulebooks" / name / "rulebook.toml"))


def load_rulebook(spec: str) -> Rulebook:
    """`spec` is a built-in name (securities, rcc; tax, SPEC 9) or a path to a branch's own TOML file."""
    if spec in BUILTIN + ADDITIONAL:
        path = builtin_path(spec)
        source = f"builtin:{spec}"
    else:
        path = Path(spec)
        source = str(path)
        if not path.is_file():
            raise UsageError(f"--rules: {spec!r} is neither a built-in rulebook ({', '.join(BUILTIN)}) "
                             f"nor an existing TOML file")
    return rulebook_from_bytes(path.read_bytes(), source)


def rulebook_from_bytes(data: bytes, source: str) -> Rulebook:
    """A rulebook from its file's bytes (a file given with --rules, or one kept in a ledger)."""
    try:
        doc = tomllib.loads(data.decode("utf-8"), parse_float=Decimal)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"rulebook {source}: not valid TOML: {exc}") from exc
    rb = _build(doc, source, hashlib.sha256(data).hexdigest())
    rb.data = data
    return rb


def parameter_changes(old: Rulebook, new: Rulebook, month: int) -> list[dict]:
    """The parameters whose value in force in `month` differs between two rulebooks (added and removed
    ones included), as {name, article, old, new} with JSON values. Exception labels, comments and the
    slip protection are not parameters: a file that differs only there has no change."""
    def values(rb: Rulebook) -> dict:
        out = {}
        for name, p in rb.parameters.items():
            try:
                out[name] = (_jsonable(p.at(month).value), p.article)
            except UsageError:
                out[name] = (None, p.article)
        return out
    a, b = values(old), values(new)
    changes = []
    for name in sorted(set(a) | set(b)):
        va, vb = a.get(name, (None, "")), b.get(name, (None, ""))
        if va[0] != vb[0]:
            changes.append({"name": name, "article": vb[1] or va[1], "old": va[0], "new": vb[0]})
    return changes


def _build(doc: dict, source: str, sha: str) -> Rulebook:
    problems: list[str] = []
    head = doc.get("rulebook", {})
    rb_id = head.get("id")
    if rb_id not in BUILTIN + ADDITIONAL:
        raise UsageError(f"rulebook {source}: [rulebook] id must be one of {', '.join(BUILTIN + ADDITIONAL)}, "
                         f"got {rb_id!r}")
    params: dict[str, Parameter] = {}
    base = None
    if not source.startswith("builtin:"):
        base = tomllib.loads(builtin_path(rb_id).read_text("utf-8"), parse_float=Decimal)
    for name, p in doc.get("parameters", {}).items():
        vals = []
        for i, entry in enumerate(p.get("values", [])):
            try:
                start = parse_month(str(entry["from"]))
            except (KeyError, MonthFormatError):
                problems.append(f"parameters.{name}.values[{i}]: needs from = \"YYYY-MM\"")
                continue
            if "value" not in entry:
                problems.append(f"parameters.{name}.values[{i}]: needs value")
                continue
            vals.append(DatedValue(start, entry["value"]))
        if not vals:
            problems.append(f"parameters.{name}: no dated values")
        for key in ("article", "origin"):
            if key not in p:
                problems.append(f"parameters.{name}: needs {key}")
        unit = p.get("units", p.get("unit"))
        if base is not None and name in base.get("parameters", {}):
            # the unit is the parameter's meaning, not a local standard: the built-in file's holds
            want = base["parameters"][name].get("units", base["parameters"][name].get("unit"))
            if unit is not None and unit != want:
                problems.append(f"parameters.{name}: unit {unit!r} differs from the built-in {want!r}")
            unit = want
        for dv in vals:
            try:
                convert(dv.value, unit, f"parameters.{name} (from {fmt_month(dv.start)})")
            except ValueError as exc:
                problems.append(str(exc))
        params[name] = Parameter(name, str(p.get("article", "")), str(p.get("origin", "")),
                                 str(p.get("description", "")),
                                 tuple(sorted(vals, key=lambda v: v.start)), unit)
    # A branch file must be complete: compare with the built-in file of the same id.
    if base is not None:
        missing = sorted(set(base.get("parameters", {})) - set(params))
        for m in missing:
            problems.append(f"parameters.{m}: missing (copy it from the built-in {rb_id} rulebook)")
        unknown = sorted(set(params) - set(base.get("parameters", {})))
        for u in unknown:
            problems.append(f"parameters.{u}: unknown parameter for rulebook {rb_id}")
    excs = {}
    table = dict(doc.get("exceptions", {}))
    if not source.startswith("builtin:"):
        base_excs = tomllib.loads(builtin_path(rb_id).read_text("utf-8"), parse_float=Decimal).get("exceptions", {})
        table = {**base_excs, **table}
    for code, e in table.items():
        excs[code] = ExceptionType(code, str(e.get("label", code)), str(e.get("article", "")),
                                   bool(e.get("approval", False)))
    if problems:
        raise UsageError(f"rulebook {source}:\n" + "\n".join("  " + p for p in problems))
    return Rulebook(id=rb_id, title=str(head.get("title", rb_id)),
                    tracks=tuple(head.get("tracks", ())), sheet=str(head.get("sheet", "")),
                    parameters=params, exceptions=excs, source=source, sha256=sha, raw=doc)
