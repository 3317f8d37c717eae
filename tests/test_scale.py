"""Issue 5 at toy size: the benchmark tree generator's trees (bench/securities_tree.py) run through the pipeline, the .xlsx continues on
further sheets (a tiny sheet limit forces it), and slips written by worker processes are the files
one process writes. No timing here: `make bench` measures."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import fastexcel
import polars as pl
import pytest

from cm_payroll.months import parse_month
from cm_payroll.pipeline import compute, run_month
from cm_payroll.render.parallel import render_slips
from cm_payroll.rulebook import load_rulebook
from cm_payroll.rulebooks import module_for
from cm_payroll.validate import load_month

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import make_tree  # noqa: E402
import securities_tree  # noqa: E402

MANAGERS, PER, SHEET_ROWS = 200, 5, 300          # 1,000 client rows: 4 sheets of at most 299 rows


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("scale")
    securities_tree.generate(root, managers=MANAGERS, clients_per_manager=PER, months=2, formats=("parquet", "csv"),
                   xlsx_month="2013-02", sheet_rows=SHEET_ROWS)
    return root


def test_trees_and_counts(tree: Path) -> None:
    for fmt, ext in (("parquet", "parquet"), ("csv", "csv")):
        for month in ("2013-01", "2013-02"):
            folder = tree / fmt / month
            assert {p.stem for p in folder.iterdir()} >= {"roster", "scores", "clients"}
            assert all(p.suffix == f".{ext}" for p in folder.iterdir())
    assert not (tree / "xlsx" / "2013-01").exists() and (tree / "xlsx" / "2013-02" / "clients.xlsx").exists()
    clients = pl.read_csv(tree / "csv" / "2013-02" / "clients.csv", infer_schema=False)
    assert clients.height == MANAGERS * PER                        # exactly, whatever the spread
    assert clients.get_column("工号").n_unique() == MANAGERS
    assert not clients.select("工号", "客户号").is_duplicated().any()
    assert set(clients.get_column("客户来源")) == {"自行开发", "内部转入"}


def test_deterministic(tree: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    securities_tree.generate(again, managers=MANAGERS, clients_per_manager=PER, months=2, formats=("parquet", "csv"),
                   xlsx_month="2013-02", sheet_rows=SHEET_ROWS)
    for p in sorted(tree.rglob("*.*")):
        q = again / p.relative_to(tree)
        assert q.read_bytes() == p.read_bytes(), p


def test_multi_sheet_xlsx_reads_as_one_table(tree: Path) -> None:
    path = tree / "xlsx" / "2013-02" / "clients.xlsx"
    sheets = fastexcel.read_excel(str(path)).sheet_names
    assert sheets == ["客户资产", "客户资产2", "客户资产3", "客户资产4"]
    rb = load_rulebook("securities")
    mod = module_for(rb.id)
    m = parse_month("2013-02")
    x, issues = load_month(tree / "xlsx" / "2013-02", m, mod.FILES, rb.sheet, mod.TRACKS)
    assert issues == []
    c, issues = load_month(tree / "csv" / "2013-02", m, mod.FILES, rb.sheet, mod.TRACKS)
    assert issues == []
    xc, cc = x["clients"], c["clients"]
    assert xc.height == MANAGERS * PER
    # every continuation sheet repeats the header: its first data row is Excel row 2 of that sheet
    firsts = xc.group_by("_sheet", maintain_order=True).agg(pl.col("_row").min(), pl.len())
    assert firsts.get_column("_sheet").to_list() == sheets
    assert set(firsts.get_column("_row")) == {2}
    assert firsts.get_column("len").to_list() == [299, 299, 299, 103]
    data = [k for k in xc.columns if not k.startswith("_")]
    assert xc.select(data).equals(cc.select(data))
    for name in ("roster", "scores", "events", "adjustments"):
        cols = [k for k in x[name].columns if not k.startswith("_")]
        assert x[name].select(cols).equals(c[name].select(cols)), name


def test_months_run_through_the_pipeline(tree: Path, tmp_path: Path) -> None:
    totals = {}
    for fmt in ("parquet", "csv"):
        s = run_month("2013-02", tree / fmt, tmp_path / fmt)       # 2013-01 first, then 2013-02
        assert [m.month for m in s.months] == ["2013-01", "2013-02"]
        assert all(m.managers == MANAGERS for m in s.months)
        totals[fmt] = [m.gross_total_fen for m in s.months]
        assert len(list((tmp_path / fmt / "2013-02" / "slips").iterdir())) == MANAGERS
    assert totals["parquet"] == totals["csv"] and all(t > 0 for t in totals["csv"])
    a = (tmp_path / "parquet" / "2013-02" / "payroll_2013-02.xlsx").read_bytes()
    b = (tmp_path / "csv" / "2013-02" / "payroll_2013-02.xlsx").read_bytes()
    assert a == b


def test_slips_in_worker_processes_are_the_same_files(tree: Path, tmp_path: Path) -> None:
    rb = load_rulebook("securities")
    mod = module_for(rb.id)
    m = parse_month("2013-01")
    c = compute(rb, mod, [m], tree / "parquet", mod.empty_state(), m, {}, lambda *_: None)[0]
    p = c.ctx.params
    pay = c.result.pay.head(60).sample(fraction=1.0, shuffle=True, seed=1)     # order must not matter
    seen = {}
    for workers in (1, 2):
        dest = tmp_path / f"w{workers}"
        hashes: dict[str, str] = {}

        def put(rel: str, data: bytes, dest=dest, hashes=hashes) -> None:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            (dest / rel).write_bytes(data)
            hashes[rel] = hashlib.sha256(data).hexdigest()

        n = render_slips(mod.slips, pay, m, p, "2013-01", dest, put, hashes, None, rb.title, workers=workers)
        assert n == 60 and len(hashes) == 60
        for rel, sha in hashes.items():
            assert hashlib.sha256((dest / rel).read_bytes()).hexdigest() == sha
        seen[workers] = list(hashes.items())
    assert seen[1] == seen[2]                                       # same bytes, same order
    assert [r for r, _ in seen[2]] == sorted(r for r, _ in seen[2])


def make(*args: str) -> int:
    """bench/make_tree.py in this process: its exit status."""
    try:
        return make_tree.main(list(args))
    except SystemExit as exc:            # argparse's usage errors
        return exc.code


def test_make_tree(tmp_path: Path) -> None:
    out = tmp_path / "big"
    args = ["--output", str(out), "--managers", "50", "--per-manager", "3", "--months", "2", "--format", "csv",
            "--quiet"]
    assert make(*args) == 0
    assert sorted(p.name for p in (out / "csv").iterdir()) == ["2013-01", "2013-02"]
    assert not (out / "parquet").exists() and not (out / "xlsx").exists()
    assert make(*args) == 3                                                  # refuses to overwrite
    assert make(*args[:-3], "--format", "pdf", "--force") == 2
    assert (out / "csv" / "2013-02" / "clients.csv").exists()               # a usage error deletes nothing
    assert make(*args, "--force") == 0


def test_cli_sample_points_to_bench_for_large_trees(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cm_payroll.cli import app
    r = CliRunner().invoke(app, ["sample", "--output", str(tmp_path / "s"), "--managers", "5000"])
    assert r.exit_code == 2 and "bench/make_tree.py" in r.output
    assert not (tmp_path / "s").exists()
    r = CliRunner().invoke(app, ["sample", "--output", str(tmp_path / "s"), "--clients-per-manager", "3"])
    assert r.exit_code == 2                                                  # no benchmark options any more
