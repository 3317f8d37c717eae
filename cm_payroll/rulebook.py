"""Rulebook parameter files: TOML, every number with its article, origin and dated values.

A parameter's value for month M is the entry with the latest `from` not after M (OpenFisca-style
dated parameters). TOML floats are parsed as Decimal, so rates stay exact.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from cm_payroll.errors import UsageError
from cm_payroll.months import MonthFormatError, fmt_month, parse_month

BUILTIN = ("securities", "rcc")
# Rulebooks applied after a pay rulebook's gross (SPEC 9: `tax`); loadable by id or from a branch's file,
# never a month's `--rules` (they have no rulebook module of their own).
ADDITIONAL = ("tax",)


@dataclass(frozen=True)
class DatedValue:
    start: int          # month index
    value: Any


@dataclass(frozen=True)
class Parameter:
    name: str
    article: str
    origin: str         # "S" (seed) or "D" (our default)
    description: str
    values: tuple[DatedValue, ...]

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
        """All parameter values in force in `month`."""
        return {name: p.at(month).value for name, p in self.parameters.items()}

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
        params[name] = Parameter(name, str(p.get("article", "")), str(p.get("origin", "")),
                                 str(p.get("description", "")),
                                 tuple(sorted(vals, key=lambda v: v.start)))
    # A branch file must be complete: compare with the built-in file of the same id.
    if not source.startswith("builtin:"):
        base = tomllib.loads(builtin_path(rb_id).read_text("utf-8"), parse_float=Decimal)
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
