"""Corruption of the output root (issue 6): each damage is reported — exit 3, a message that says what
to do — and nothing is rebuilt or changed in silence (the folder is byte for byte as before).

The base root holds 2013-01..03 computed, then 2013-02 re-run with --force (versions v2 of 02 and 03,
the earlier outputs in history/). The next run (2013-04) meets one damage at a time. The cases run
through the command line in-process (typer's runner); one of them also as a real subprocess.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cm_payroll.cli import app
from cm_payroll.pipeline import run_month
from tests.helpers import basic_spec, make_inputs
from tests.robustness.util import assert_clean_failure, check_root, cli, tree

MONTHS = ["2013-01", "2013-02", "2013-03", "2013-04"]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    d = tmp_path_factory.mktemp("corruption")
    inp = make_inputs(d, basic_spec(MONTHS))
    root = d / "root"
    run_month("2013-01", inp, root)
    head_jan = (root / ".ledger" / "HEAD.json").read_bytes()
    run_month("2013-03", inp, root)
    run_month("2013-02", inp, root, force=True)
    check_root(root)
    (d / "HEAD_2013-01.json").write_bytes(head_jan)
    return d, inp, root


def L(root: Path, *parts: str) -> Path:
    return root.joinpath(".ledger", *parts)


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _head_edit(fn: Callable[[dict], object]) -> Callable[[Path], None]:
    def corrupt(root: Path) -> None:
        p = L(root, "HEAD.json")
        doc = json.loads(p.read_text("utf-8"))
        doc = fn(doc) or doc
        p.write_text(json.dumps(doc), encoding="utf-8")
    return corrupt


def _set(path: list, value):
    def fn(doc: dict) -> None:
        d = doc
        for k in path[:-1]:
            d = d[k]
        d[path[-1]] = value
    return fn


def _rename_month(doc: dict) -> None:
    doc["months"]["../../x"] = doc["months"].pop("2013-02")


def _flip(p: Path) -> None:
    b = bytearray(p.read_bytes())
    b[len(b) // 2] ^= 0x01
    p.write_bytes(bytes(b))


def _older_version_in_head(root: Path) -> None:
    """HEAD edited by hand to point 2013-02 back at v1 (consistently: the manifest hash of v1)."""
    p = L(root, "HEAD.json")
    doc = json.loads(p.read_text("utf-8"))
    import hashlib
    doc["months"]["2013-02"] = {"version": 1, "manifest_sha256": hashlib.sha256(
        L(root, "months", "2013-02", "v1", "manifest.json").read_bytes()).hexdigest()}
    p.write_text(json.dumps(doc), encoding="utf-8")


def _journal(content: bytes) -> Callable[[Path], None]:
    def corrupt(root: Path) -> None:
        L(root, "JOURNAL.json").write_bytes(content)
    return corrupt


def _hostile_journal(root: Path) -> None:
    """A journal that would move a file from outside the output root into it."""
    outside = root.parent / "outside.txt"
    outside.write_text("not yours")
    head = json.loads(L(root, "HEAD.json").read_text("utf-8"))
    L(root, "JOURNAL.json").write_text(json.dumps({
        "ops": [{"op": "move", "src": "../outside.txt", "dst": "2013-09"}], "head": head,
        "staging": ".staging/abc"}), encoding="utf-8")


def _lock_dir(root: Path) -> None:
    (root / ".lock").unlink(missing_ok=True)
    (root / ".lock").mkdir()


def _staging_file(root: Path) -> None:
    shutil.rmtree(root / ".staging", ignore_errors=True)
    (root / ".staging").write_text("x")


def _extra_month(root: Path) -> None:
    shutil.copytree(root / "2013-01", root / "2013-07")


CASES: dict[str, tuple[Callable[[Path], None], list[str]]] = {
    "head_truncated": (lambda r: _truncate(L(r, "HEAD.json")), ["HEAD.json", "damaged", "backup"]),
    "head_empty": (lambda r: L(r, "HEAD.json").write_bytes(b""), ["HEAD.json", "damaged", "backup"]),
    "head_not_an_object": (lambda r: L(r, "HEAD.json").write_text("[1, 2]"), ["HEAD.json", "format", "backup"]),
    "head_months_a_list": (_head_edit(_set(["months"], ["2013-01"])), ["HEAD.json", "damaged", "backup"]),
    "head_version_not_a_number": (_head_edit(_set(["months", "2013-02", "version"], "two")),
                                  ["HEAD.json", "damaged", "backup"]),
    "head_month_named_like_a_path": (_head_edit(_rename_month), ["HEAD.json", "damaged", "backup"]),
    "head_points_to_a_missing_version": (_head_edit(_set(["months", "2013-02", "version"], 9)),
                                         ["2013-02", "manifest.json is missing", "backup"]),
    "head_points_back_to_an_older_version": (_older_version_in_head, ["chain", "broken", "backup"]),
    "head_deleted": (lambda r: L(r, "HEAD.json").unlink(), ["HEAD.json", "missing", "backup"]),
    "head_of_an_older_backup": (None, ["2013-02", "not in the ledger", "backup"]),
    "ledger_deleted": (lambda r: shutil.rmtree(L(r)), ["ledger", "missing", "backup"]),
    "version_folder_deleted": (lambda r: shutil.rmtree(L(r, "months", "2013-02", "v2")),
                               ["2013-02", "manifest.json is missing", "backup"]),
    "earlier_version_folder_deleted_is_fine_to_miss": (None, []),
    "pay_replaced_by_another_months": (lambda r: shutil.copy(L(r, "months", "2013-01", "v1", "pay.parquet"),
                                                             L(r, "months", "2013-02", "v2", "pay.parquet")),
                                       ["2013-02", "pay.parquet", "corrupted", "backup"]),
    "state_bit_flipped": (lambda r: _flip(L(r, "months", "2013-03", "v2", "state.parquet")),
                          ["2013-03", "state.parquet", "corrupted"]),
    "exceptions_deleted": (lambda r: L(r, "months", "2013-01", "v1", "exceptions.parquet").unlink(),
                           ["2013-01", "exceptions.parquet", "missing"]),
    "manifest_edited": (lambda r: L(r, "months", "2013-03", "v2", "manifest.json").write_text(
        L(r, "months", "2013-03", "v2", "manifest.json").read_text("utf-8").replace("securities", "rcc")),
        ["2013-03", "manifest.json does not match"]),
    "journal_garbage": (_journal(b"\x00\xff{garbage"), ["JOURNAL.json", "damaged journal", "backup"]),
    "journal_truncated": (_journal(b'{"ops": [{"op": "move", "src": ".stag'), ["JOURNAL.json", "damaged journal"]),
    "journal_empty_object": (_journal(b"{}"), ["JOURNAL.json", "damaged journal", "backup"]),
    "journal_moving_a_file_from_outside": (_hostile_journal, ["JOURNAL.json", "damaged journal", "unexpected"]),
    "month_output_folder_deleted": (lambda r: shutil.rmtree(r / "2013-02"), ["2013-02", "missing", "backup"]),
    "month_folder_not_in_the_ledger": (_extra_month, ["2013-07", "not in the ledger", "move them out"]),
    "lock_is_a_directory": (_lock_dir, [".lock", "cannot write", "run again"]),
    "staging_is_a_file": (_staging_file, [".staging", "cannot write", "nothing was changed"]),
}
CASES.pop("earlier_version_folder_deleted_is_fine_to_miss")


def _apply(case: str, base_dir: Path, root: Path) -> None:
    corrupt = CASES[case][0]
    if case == "head_of_an_older_backup":
        L(root, "HEAD.json").write_bytes((base_dir / "HEAD_2013-01.json").read_bytes())
    else:
        corrupt(root)


@pytest.mark.parametrize("case", sorted(CASES))
def test_corruption_is_reported_and_nothing_is_rebuilt(base, tmp_path: Path, case: str) -> None:
    base_dir, inp, src = base
    root = tmp_path / "root"
    shutil.copytree(src, root)
    _apply(case, base_dir, root)
    before = tree(root)
    outside = sorted(p.name for p in tmp_path.iterdir())
    res = CliRunner().invoke(app, ["month", "2013-04", "-i", str(inp), "-o", str(root)])
    text = "".join(res.output.split())            # the console wraps long lines anywhere
    assert res.exit_code == 3, (case, res.output, res.exception)
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    for word in CASES[case][1]:
        assert "".join(word.split()).lower() in text.lower(), (case, word, res.output)
    assert tree(root) == before, f"{case}: the output root was changed"
    assert sorted(p.name for p in tmp_path.iterdir()) == outside
    if (tmp_path / "outside.txt").exists():
        assert (tmp_path / "outside.txt").read_text() == "not yours"


def test_corruption_through_a_real_subprocess(base, tmp_path: Path) -> None:
    base_dir, inp, src = base
    root = tmp_path / "root"
    shutil.copytree(src, root)
    _truncate(L(root, "HEAD.json"))
    before = tree(root)
    proc = cli("month", "2013-04", "-i", str(inp), "-o", str(root))
    assert_clean_failure(proc, 3, "HEAD.json", "damaged", "restore")
    assert tree(root) == before


def test_an_undamaged_copy_runs_on(base, tmp_path: Path) -> None:
    """The control: the same base, undamaged, runs the next month."""
    _, inp, src = base
    root = tmp_path / "root"
    shutil.copytree(src, root)
    run_month("2013-04", inp, root)
    assert sorted(check_root(root).months) == MONTHS
