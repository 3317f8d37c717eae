#!/usr/bin/env python
"""A benchmark input tree (issue 5): many managers, one sibling tree per format.

    .venv/bin/python bench/make_tree.py --output /tmp/big --managers 100000 --per-manager 50 --months 12
    .venv/bin/python bench/make_tree.py --rules rcc --output /tmp/rcc --managers 20000 --months 2

writes <output>/parquet/YYYY-MM/, <output>/csv/YYYY-MM/ and (with xlsx in --format) the first month
as <output>/xlsx/YYYY-MM/, long files continued over several sheets. --per-manager is clients per
manager (securities, default 50) or loans per manager (rcc, default 100). Seeded: the same arguments
write the same bytes. Exit status 2 on a usage error, 3 when <output> already holds a tree (--force
replaces it). `make bench` and `make bench-rcc` make their own trees (cached under bench/data/).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import rcc_tree  # noqa: E402
import securities_tree  # noqa: E402
from treegen import FORMATS, clear_trees, has_trees  # noqa: E402

PER_MANAGER = {"securities": 50, "rcc": rcc_tree.LOANS_PER_MANAGER}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench/make_tree.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--rules", choices=sorted(PER_MANAGER), default="securities")
    ap.add_argument("--output", "-o", type=Path, required=True)
    ap.add_argument("--managers", type=int, required=True)
    ap.add_argument("--per-manager", type=int, help="clients (securities, 50) or loans (rcc, 100) per manager")
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--start", default="2013-01", help="first month, YYYY-MM")
    ap.add_argument("--seed", type=int, default=2013)
    ap.add_argument("--format", default="parquet,csv,xlsx",
                    help=f"trees to write, comma separated: {', '.join(FORMATS)} (xlsx: the first month only)")
    ap.add_argument("--force", action="store_true", help="replace an existing tree")
    ap.add_argument("--quiet", "-q", action="store_true")
    a = ap.parse_args(argv)
    per = a.per_manager or PER_MANAGER[a.rules]
    fmts = tuple(f.strip().lower() for f in a.format.split(",") if f.strip())
    if not fmts or set(fmts) - set(FORMATS):
        ap.error(f"--format {a.format}: choose from {', '.join(FORMATS)} (comma separated)")
    if has_trees(a.output):
        if not a.force:
            print(f"error: {a.output} already holds a tree; use --force to replace it", file=sys.stderr)
            return 3
        clear_trees(a.output)
    report = None if a.quiet else (lambda m: print(f"{m} written", file=sys.stderr))
    kw = dict(managers=a.managers, months=a.months, start=a.start, seed=a.seed, formats=fmts, progress=report)
    try:
        if a.rules == "rcc":
            paths = rcc_tree.generate(a.output, loans_per_manager=per, **kw)
        else:
            paths = securities_tree.generate(a.output, clients_per_manager=per, **kw)
    except ValueError as exc:
        ap.error(str(exc))
    if not a.quiet:
        unit = "loans" if a.rules == "rcc" else "clients"
        print(f"wrote {len(paths)} files under {a.output} ({a.managers:,} managers × {per} {unit}, {a.months} months: "
              f"{', '.join(sorted({p.parent.parent.name for p in paths}))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
