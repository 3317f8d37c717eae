"""Which months a run computes (SPEC 6 "Adopting the tool mid-history", SPEC 7).

The months under one output root are consecutive, from the root's first month on:
- a **new root** first processes every earlier month that has an input folder, from the earliest (not
  only the months of M's year), unless `--start YYYY-MM` begins it later on purpose (then nothing
  before the start is read, and the start month may hold an `opening` file);
- a month between the first processed month and M without an input folder is a **gap**: an input
  error naming it, never skipped;
- `year YYYY` computes up to the last month of the year that has input files; later months whose
  folders are empty or missing (as `init` lays them out) are **pending**, not errors; a year already
  computed with unchanged inputs is "nothing to do".

Everything here reads the input folder's names and the ledger; nothing is computed or written.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from cm_payroll.errors import InputErrors, InputIssue, MonthClosed, UsageError
from cm_payroll.months import fmt_month, parse_month

_MONTH_DIR = re.compile(r"^\d{4}-\d{2}$")
_IGNORED = ("~$", ".~lock", ".")          # Office lock files, hidden files: not inputs


@dataclass
class Plan:
    months: list[int]                       # the months to compute, in order
    first: int                              # the first month of the output root
    start: int | None = None                # the root's --start month (its opening file is read)
    rerun: bool = False                     # computed months are recomputed (a draft re-run, --force)
    target: int | None = None               # the month asked for (always written anew)
    paid_through: int | None = None         # --paid-through: months up to it are released as computed
    pending: list[str] = field(default_factory=list)     # `year`: months without input files yet
    nothing_to_do: bool = False             # `year`: every month with inputs is computed, unchanged


def month_folders(input_dir: Path) -> dict[int, Path]:
    """The month folders (`YYYY-MM/`) of an input root, by month index."""
    out: dict[int, Path] = {}
    if not input_dir.is_dir():
        return out
    for p in input_dir.iterdir():
        if p.is_dir() and _MONTH_DIR.match(p.name):
            try:
                out[parse_month(p.name)] = p
            except ValueError:
                continue
    return out


def has_files(folder: Path) -> bool:
    """A month folder holds input files (an empty folder, as `init` lays them out, has none yet)."""
    try:
        return any(p.is_file() and not p.name.startswith(_IGNORED) for p in folder.iterdir())
    except OSError:
        return False


def _gap_errors(months: list[int], folders: dict[int, Path], input_dir: Path, first: int,
                empty_too: bool = False) -> list[InputIssue]:
    issues = []
    for k in months:
        name = fmt_month(k)
        if k not in folders:
            issues.append(InputIssue(str(input_dir / name), message=(
                f"no input folder for {name}: the months of an output folder are consecutive from its first "
                f"month {fmt_month(first)}, so {name} cannot be skipped. Put the month's files in "
                f"{input_dir / name}/")))
        elif empty_too and not has_files(folders[k]):
            issues.append(InputIssue(str(input_dir / name), message=(
                f"the folder {name} has no input files but a later month has: the months of an output "
                f"folder are consecutive, so {name} cannot be skipped")))
    return issues


def _adoption_hint(months: list[int], folders: dict[int, Path], target: int) -> str:
    """When the earliest months of a new root have no files: how to begin later on purpose."""
    empty = [k for k in months if k < target and k in folders and not has_files(folders[k])]
    if not empty or empty[0] != months[0]:
        return ""
    with_files = [k for k in months if k in folders and has_files(folders[k])]
    if not with_files:
        return ""
    return (f" To begin this output folder with {fmt_month(with_files[0])} (no older inputs kept), run with "
            f"--start {fmt_month(with_files[0])}")


def plan_month(ledger, m: int, input_dir: Path, force: bool = False, start: int | None = None,
               paid_through: int | None = None) -> Plan:
    """The months `month M` computes on this output root. `paid_through` (a new root only): the months
    up to it were paid outside the tool; they are released as computed (SPEC 6)."""
    p = _plan_month(ledger, m, input_dir, force, start)
    if paid_through is not None:
        if ledger.months:
            raise UsageError(f"--paid-through {fmt_month(paid_through)}: this output folder has computed months "
                             f"already; --paid-through is only for a new output folder")
        if not p.months[0] <= paid_through <= m:
            raise UsageError(f"--paid-through {fmt_month(paid_through)} must lie between the first month "
                             f"computed ({fmt_month(p.months[0])}) and {fmt_month(m)}")
        p.paid_through = paid_through
    return p


def _plan_month(ledger, m: int, input_dir: Path, force: bool, start: int | None) -> Plan:
    folders = month_folders(input_dir)
    name = fmt_month(m)
    if ledger.months:
        first = parse_month(ledger.first_month) if ledger.first_month else min(parse_month(x) for x in ledger.months)
        root_start = parse_month(ledger.start_month) if getattr(ledger, "start_month", None) else None
        if start is not None and start != (root_start if root_start is not None else first):
            raise UsageError(f"--start {fmt_month(start)}: this output folder already begins with "
                             f"{fmt_month(first)}; --start is only for a new output folder")
        if m < first:
            raise UsageError(f"{name} is before the first month {fmt_month(first)} of this output folder "
                             f"(nothing before it is computed here); use a new output folder for earlier months")
        if ledger.closed(name):
            refuse_signed(ledger, name, force)
            chain = sorted(parse_month(x) for x in ledger.months if x >= name)
            issues = _gap_errors(chain, folders, input_dir, first)
            if issues:
                raise InputErrors(issues, name)
            return Plan(chain, first, root_start, rerun=True, target=m)
        last = parse_month(ledger.last_month())
        months = list(range(last + 1, m + 1))
        issues = _gap_errors(months, folders, input_dir, first)
        if issues:
            raise InputErrors(issues, name)
        return Plan(months, first, root_start, target=m)
    if start is not None:
        if start > m:
            raise UsageError(f"--start {fmt_month(start)} is after {name}")
        months = list(range(start, m + 1))
        issues = _gap_errors(months, folders, input_dir, start)
        if issues:
            raise InputErrors(issues, name)
        return Plan(months, start, start, target=m)
    earlier = [k for k in folders if k <= m]
    if not earlier:
        raise InputErrors([InputIssue(str(input_dir / name), message=f"no input folder for {name}")], name)
    first = min(earlier)
    months = list(range(first, m + 1))
    issues = _gap_errors(months, folders, input_dir, first)
    if issues:
        raise InputErrors(issues, name)
    hint = _adoption_hint(months, folders, m)
    if hint:
        empty = [fmt_month(k) for k in months if not has_files(folders[k])]
        raise InputErrors([InputIssue(str(input_dir / x), message=(
            f"the folder {x} has no input files; a new output folder processes every earlier month that has "
            f"an input folder, from the earliest ({fmt_month(first)}).{hint}")) for x in empty], name)
    return Plan(months, first, target=m)


SIGNED = ("reviewed", "rechecked", "approved")


def refuse_signed(ledger, name: str, force: bool) -> None:
    """SPEC 6: a draft is re-run freely; a signed month needs --force (its signatures are discarded),
    a released month needs --force (the differences are booked as corrections)."""
    e = ledger.months[name]
    if force or e.state == "draft":
        return
    if e.state == "released":
        raise MonthClosed(
            f"{name} is released (paid, version {e.version}). To recompute it from corrected inputs run "
            f"`cm-payroll month {name} --force`: the paid outputs are kept as a numbered version and each "
            f"manager's difference is booked as a correction (补发/追回) in the first month not released")
    roles = "、".join(f"{s['role']} {s['by']}" for s in e.signatures)
    raise MonthClosed(
        f"{name} is signed ({roles}) but not released. To recompute it run `cm-payroll month {name} --force`: "
        f"its signatures are discarded (listed in the exceptions report as signoff_discarded) and it "
        f"becomes a draft to be signed again")


def plan_year(ledger, year: int, input_dir: Path, input_files) -> tuple[int | None, list[str], int | None]:
    """`year YYYY`: (the month to run from — a draft whose inputs changed — or up to, None when there is
    nothing to compute; the pending months; the month to run up to after re-running that draft). `input_files(month, folder)` gives the input files a month would read, as
    [(file name, sha256)], to tell whether a computed month's inputs changed."""
    folders = month_folders(input_dir)
    months = [year * 12 + k for k in range(12)]
    with_files = [k for k in months if k in folders and has_files(folders[k])]
    if not with_files:
        if not any(k in folders for k in months):
            raise UsageError(f"--input {input_dir}: no month folders of {year} (expected {year}-01 … {year}-12)")
        return None, [fmt_month(k) for k in months], None
    target = max(with_files)
    pending = [fmt_month(k) for k in months if k > target]
    first_of_root = parse_month(ledger.first_month) if ledger.months and ledger.first_month else None
    lo = max(months[0], first_of_root) if first_of_root is not None else min(with_files)
    issues = _gap_errors([k for k in months if lo <= k < target], folders, input_dir,
                         first_of_root if first_of_root is not None else lo, empty_too=True)
    if issues:
        raise InputErrors(issues, fmt_month(target))
    computed = [k for k in months if ledger.closed(fmt_month(k))]
    changed = [fmt_month(k) for k in computed if k in folders and inputs_changed(ledger, k, folders[k], input_files)]
    signed = [x for x in changed if ledger.months[x].state != "draft"]
    if signed:
        raise MonthClosed(
            f"the inputs of {', '.join(signed)} changed since {'it was' if len(signed) == 1 else 'they were'} "
            f"computed, and {'it is' if len(signed) == 1 else 'they are'} signed or released; `year` recomputes "
            f"drafts only. To recompute from corrected inputs run `cm-payroll month {signed[0]} --force`")
    if changed:         # drafts whose inputs changed: recomputed from the earliest (SPEC 6)
        return parse_month(changed[0]), pending, target
    if ledger.closed(fmt_month(target)):
        return None, pending, None
    return target, pending, None


def inputs_changed(ledger, m: int, folder: Path, input_files) -> bool:
    """The month's input files (names and sha256) differ from those its latest run recorded."""
    recorded = sorted((i["file"], i["sha256"]) for i in ledger.manifest(fmt_month(m)).get("inputs", []))
    return sorted(input_files(m, folder)) != recorded


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


__all__ = ["Plan", "SIGNED", "refuse_signed", "file_sha256", "has_files", "inputs_changed", "month_folders", "plan_month", "plan_year"]
