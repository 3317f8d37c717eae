"""Issue 5 for rcc at toy size: `bench/make_tree.py --rules rcc` writes a seeded, byte-reproducible
tree (bench/rcc_tree.py) that `cm-payroll month` runs without an input error, from Parquet and from CSV alike, and loans fall overdue and are charged once. No timing
here: `make bench-rcc` measures."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from cm_payroll.cli import app
from cm_payroll.ledger import Ledger
from cm_payroll.pipeline import load_result

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import make_tree  # noqa: E402

MANAGERS, LOANS = 300, 20
MONTHS = ("2013-01", "2013-02")


def _sample(out: Path, *extra: str) -> int:
    """bench/make_tree.py --rules rcc in this process: its exit status."""
    return make_tree.main(["--rules", "rcc", "--output", str(out), "--managers", str(MANAGERS), "--per-manager",
                           str(LOANS), "--months", "2", "--format", "parquet,csv", "--quiet", *extra])


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("rcc_scale") / "tree"
    assert _sample(root) == 0
    return root


@pytest.fixture(scope="module")
def runs(tree: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rcc_scale_out")
    for fmt in ("parquet", "csv"):
        for month in MONTHS:
            r = CliRunner().invoke(app, ["month", month, "--rules", "rcc", "--input", str(tree / fmt),
                                         "--output", str(out / fmt), "--quiet"])
            assert r.exit_code == 0, r.output
    return out


def test_tree_files_and_counts(tree: Path) -> None:
    jan = {"roster", "deposits", "loans", "targets", "visits", "events", "adjustments"}
    for fmt in ("parquet", "csv"):
        assert sorted(p.name for p in (tree / fmt).iterdir()) == list(MONTHS)
        assert {p.stem for p in (tree / fmt / "2013-01").iterdir()} == jan
        assert {p.stem for p in (tree / fmt / "2013-02").iterdir()} == jan | {"conduct"}   # conduct from February
        assert all(p.suffix == f".{fmt}" for p in (tree / fmt).rglob("*.*"))
    assert not (tree / "xlsx").exists()
    for month in MONTHS:
        loans = pl.read_csv(tree / "csv" / month / "loans.csv", infer_schema=False)
        assert loans.height == MANAGERS * LOANS                      # exactly, whatever the spread
        assert loans.get_column("工号").n_unique() == MANAGERS
        assert loans.get_column("贷款号").n_unique() == loans.height
        assert set(loans.get_column("客户类型")) == {"小额", "企业"}
        # money written exactly, two decimals
        assert loans.get_column("本金").str.contains(r"^\d+\.\d\d$").all()
    jan_ids = set(pl.read_csv(tree / "csv" / "2013-01" / "loans.csv", infer_schema=False).get_column("贷款号"))
    feb_ids = set(pl.read_csv(tree / "csv" / "2013-02" / "loans.csv", infer_schema=False).get_column("贷款号"))
    assert len(jan_ids & feb_ids) > 0.8 * len(jan_ids)            # loans persist month to month
    assert feb_ids - jan_ids                                       # and repaid ones are followed by new ones


def test_same_seed_same_bytes(tree: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert _sample(again) == 0
    files = sorted(p.relative_to(tree) for p in tree.rglob("*.*"))
    assert files == sorted(p.relative_to(again) for p in again.rglob("*.*"))
    for rel in files:
        assert (again / rel).read_bytes() == (tree / rel).read_bytes(), rel
    other = tmp_path / "other"
    assert _sample(other, "--seed", "7") == 0
    loans = Path("csv") / "2013-02" / "loans.csv"
    assert (other / loans).read_bytes() != (tree / loans).read_bytes()
    assert _sample(again) == 3                                      # refuses to overwrite


def test_months_run_and_overdue_loans_are_charged_once(tree: Path, runs: Path) -> None:
    # loans overdue at the end of February in the input: due_date ≤ month end and outstanding > 0
    loans = pl.read_parquet(tree / "parquet" / "2013-02" / "loans.parquet")
    overdue = loans.filter((pl.col("到期日") <= pl.date(2013, 2, 28)) & (pl.col("余额") > 0))
    assert overdue.height > 0
    ledger = Ledger.open(runs / "parquet")
    charged = {m: ledger.read(m, "aux_charged_loans") for m in MONTHS}
    assert charged["2013-01"].height > 0                       # last year's overdue loans, in the first month
    assert charged["2013-02"].height > charged["2013-01"].height    # the ledger grows: new overdue loans
    assert charged["2013-02"].get_column("loan_id").is_unique().all()
    assert set(overdue.get_column("贷款号")) <= set(charged["2013-02"].get_column("loan_id"))
    feb = load_result(runs / "parquet", "2013-02", "exceptions")
    liab = set(feb.filter(pl.col("type") == "overdue_liability").get_column("manager_id"))
    assert liab and len(liab) == load_result(runs / "parquet", "2013-02", "pay").filter(
        pl.col("overdue_new") > 0).height
    pay = load_result(runs / "parquet", "2013-02", "pay")
    assert pay.height == MANAGERS
    assert pay.get_column("overdue_penalty").sum() < 0
    assert pay.get_column("overdue_new").sum() == charged["2013-02"].height - charged["2013-01"].height
    types = set(feb.get_column("type"))
    assert {"overdue_liability", "guarantee_over_limit", "due_in_other_year"} <= types
    # Parquet and CSV inputs give the same workbooks
    for month in MONTHS:
        name = f"payroll_{month}.xlsx"
        assert (runs / "parquet" / month / name).read_bytes() == (runs / "csv" / month / name).read_bytes()
