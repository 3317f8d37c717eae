"""The ledger: the state carried between months, every version of every month, verified on open.

Layout under the output root:

    .ledger/HEAD.json                       the one commit point: months → current version + hash
    .ledger/months/<YYYY-MM>/v<N>/          state.parquet, pay.parquet, exceptions.parquet,
                                            manifest.json (file hashes, inputs, rulebook, the
                                            previous month's manifest hash: a chain)
    .ledger/JOURNAL.json                    present only while a commit is being applied
    <YYYY-MM>/                              the month's current outputs (what the clerk opens)
    history/<YYYY-MM>/v<N>/                 earlier versions of a month's outputs (never deleted)

A commit stages everything in `.staging/<id>/`, writes the journal (the list of renames and the new
HEAD), applies it, writes HEAD atomically and removes the journal. A run that dies before the journal
is written leaves the old state untouched (its staging folder is removed by the next run); one that
dies after is rolled forward by the next run. Every file the HEAD points to is checked by sha256
when the ledger is opened, so a corrupted or deleted ledger is detected, never worked around.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from cm_payroll.errors import RefusedError
from cm_payroll.faults import point
from cm_payroll.months import fmt_month, parse_month

FORMAT = 1
LEDGER = ".ledger"
STAGING = ".staging"
MONTH_FILES = ("state.parquet", "pay.parquet", "exceptions.parquet")
RULEBOOKS = "rulebooks"                  # .ledger/rulebooks/<sha256>.toml: every rulebook a run used


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, fsync, rename over it (no temporary file is left
    behind when writing fails, e.g. on a full disk)."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def dumps(obj) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


class OutputError(RefusedError):
    """The output root cannot be written (disk full, read-only, no permission): exit 3, like the other
    refusals that the operator, not the clerk's input, must fix."""


_CAUSES = {errno.ENOSPC: "no space left on the disk", errno.EDQUOT: "the disk quota is exhausted",
           errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
           errno.EPERM: "operation not permitted", errno.EFBIG: "the file is too large for this file system "
           "or a size limit"}


def output_error(exc: OSError, root: Path) -> OutputError:
    """A clear message for an OSError met while writing under the output root: the path, the cause,
    and what became of the run (nothing changed, or a journaled commit the next run completes)."""
    cause = _CAUSES.get(exc.errno) or exc.strerror or str(exc) or type(exc).__name__
    path = exc.filename or root
    if (root / LEDGER / "JOURNAL.json").exists():
        state = ("The commit was journaled: the next run completes it once the cause is fixed; until then "
                 "the ledger keeps the earlier months")
    else:
        state = "Nothing was changed: the outputs and the ledger are as they were before this run"
    return OutputError(f"cannot write {path}: {cause}. {state}. Fix the cause (free space, write permission, "
                       f"a writable output folder) and run again")


_HELD: set[str] = set()          # output roots whose run lock this process holds


def _key(root: Path) -> str:
    return os.path.realpath(root)


class Lock:
    """One run per output root (SPEC 7). flock is released by the kernel if the process dies, so a
    stale lock of a dead process never blocks the next run. Readers (explain, what-if) take the same
    lock shared while they open the ledger (`Ledger.open`), so a run never changes it under them."""

    def __init__(self, root: Path):
        self.path = root / ".lock"
        self.fd: int | None = None

    def __enter__(self) -> Lock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise RefusedError(f"another cm-payroll process holds the lock on {self.path.parent} (last "
                               f"run: {holder}); wait for it to finish and run again") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}".encode())
        self.fd = fd
        _HELD.add(_key(self.path.parent))
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            _HELD.discard(_key(self.path.parent))
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


class _ReadLock:
    """The run lock taken shared by a reader; `exclusive` when it could be had alone (then a dead
    run's interrupted commit may be completed). A folder where no lock file can be made (read-only
    media) is read without one: no run can be writing there."""

    def __init__(self, root: Path, want_exclusive: bool):
        self.path, self.want, self.fd, self.exclusive = root / ".lock", want_exclusive, None, False

    def __enter__(self) -> _ReadLock:
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            try:
                self.fd = os.open(self.path, os.O_RDONLY)
            except OSError:
                return self
        try:
            fcntl.flock(self.fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(self.fd, 200).decode("utf-8", "replace").strip() or "another process"
            self.__exit__()
            raise RefusedError(f"a cm-payroll run is in progress on {self.path.parent} ({holder}); try "
                               f"again when it has finished") from None
        if self.want:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.exclusive = True
            except BlockingIOError:
                try:        # a failed conversion may have dropped the shared lock: take it again
                    fcntl.flock(self.fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    self.__exit__()
                    raise RefusedError(f"a cm-payroll run is in progress on {self.path.parent}; try again "
                                       f"when it has finished") from None
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


@dataclass
class MonthEntry:
    month: str
    version: int
    manifest_sha256: str

    @property
    def rel(self) -> str:
        return f"months/{self.month}/v{self.version}"


@dataclass
class Ledger:
    root: Path                               # the output root
    rulebook_id: str | None = None
    first_month: str | None = None
    months: dict[str, MonthEntry] = field(default_factory=dict)
    pending_corrections: list[dict] = field(default_factory=list)
    start_month: str | None = None           # the root was begun with --start (its opening file)
    head_rulebook_sha256: str | None = None  # the rulebook the last run used (HEAD; older HEADs lack it)

    @property
    def dir(self) -> Path:
        return self.root / LEDGER

    # ------------------------------------------------------------------ open & verify
    @classmethod
    def open(cls, root: Path) -> Ledger:
        """Recover an interrupted commit, then load HEAD and verify every file it points to. Only
        the holder of the run lock (or a reader alone with the folder) recovers: a reader never
        changes the folder under a run in progress."""
        if _key(root) in _HELD or not root.is_dir():
            recover(root)
            return cls._load(root)
        journal = root / LEDGER / "JOURNAL.json"
        staging = root / STAGING
        repair = journal.exists() or (staging.is_dir() and any(staging.iterdir()))
        with _ReadLock(root, repair) as lock:
            if lock.exclusive:
                recover(root)
            elif journal.exists():
                raise RefusedError(f"{root}: a cm-payroll run's commit is not complete yet; try again in a "
                                   f"moment (a `cm-payroll month` run completes it)")
            return cls._load(root)

    @classmethod
    def _load(cls, root: Path) -> Ledger:
        led = cls(root)
        head = led.dir / "HEAD.json"
        month_dirs = sorted(p.name for p in root.iterdir() if p.is_dir() and _is_month(p.name)) if root.is_dir() else []
        if not head.exists():
            if month_dirs:
                raise RefusedError(
                    f"{root}: the ledger (.ledger/HEAD.json) is missing but closed months exist "
                    f"({', '.join(month_dirs)}). It was deleted or moved: restore it from a backup, or "
                    f"start again in a new, empty output folder")
            return led
        try:
            doc = json.loads(head.read_text("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise RefusedError(f"{head}: the ledger head is damaged ({exc}); restore the output folder from a "
                               f"backup; nothing was changed") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise RefusedError(f"{head}: unknown ledger format "
                               f"{doc.get('format') if isinstance(doc, dict) else type(doc).__name__!r}; "
                               f"restore the output folder from a backup; nothing was changed")
        try:
            led.rulebook_id = doc.get("rulebook_id")
            led.first_month = doc.get("first_month")
            led.start_month = doc.get("start_month")
            led.head_rulebook_sha256 = doc.get("rulebook_sha256")
            led.pending_corrections = list(doc.get("pending_corrections", []))
            for mon, e in sorted(doc.get("months", {}).items()):
                entry = MonthEntry(mon, int(e["version"]), str(e["manifest_sha256"]))
                if not _is_month(mon) or entry.version < 1 or not _SHA.match(entry.manifest_sha256):
                    raise ValueError(f"bad entry for {mon!r}")
                led.months[mon] = entry
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise RefusedError(f"{head}: the ledger head is damaged ({exc}); restore the output folder from a "
                               f"backup; nothing was changed") from None
        led.verify()
        missing_out = [m for m in led.months if not (root / m).is_dir()]
        if missing_out:
            raise RefusedError(f"{root}: the outputs of closed month(s) {', '.join(missing_out)} are missing "
                               f"though the ledger lists them; restore them from a backup")
        unknown = [m for m in month_dirs if m not in led.months]
        if unknown:
            raise RefusedError(f"{root}: month folder(s) {', '.join(unknown)} are not in the ledger; they "
                               f"were not written by cm-payroll or the ledger is out of date (an older "
                               f".ledger restored?). Move them out of the output folder, or restore the whole "
                               f"output folder from one backup; nothing was changed")
        return led

    def verify(self) -> None:
        prev_sha = None
        problems = []
        for mon in sorted(self.months):
            e = self.months[mon]
            d = self.dir / e.rel
            mf = d / "manifest.json"
            if not mf.exists():
                problems.append(f"{mon}: {e.rel}/manifest.json is missing")
                continue
            if sha256_file(mf) != e.manifest_sha256:
                problems.append(f"{mon}: manifest.json does not match the ledger head (modified)")
                continue
            man = json.loads(mf.read_text("utf-8"))
            for name, sha in man["files"].items():
                p = d / name
                if not p.exists():
                    problems.append(f"{mon}: {e.rel}/{name} is missing")
                elif sha256_file(p) != sha:
                    problems.append(f"{mon}: {e.rel}/{name} is corrupted (sha256 differs)")
            if man.get("previous_manifest_sha256") != prev_sha:
                problems.append(f"{mon}: the chain to the previous month is broken")
            prev_sha = e.manifest_sha256
        if problems:
            raise RefusedError(f"{self.dir}: the ledger failed verification:\n  " + "\n  ".join(problems)
                               + "\nRestore the output folder from a backup; nothing was changed.")

    # ------------------------------------------------------------------ reads
    def closed(self, month: str) -> bool:
        return month in self.months

    def last_month(self) -> str | None:
        return max(self.months) if self.months else None

    def month_dir(self, month: str, version: int | None = None) -> Path:
        e = self.months[month]
        v = e.version if version is None else version
        return self.dir / "months" / month / f"v{v}"

    def read(self, month: str, what: str, version: int | None = None) -> pl.DataFrame:
        return pl.read_parquet(self.month_dir(month, version) / f"{what}.parquet")

    def manifest(self, month: str, version: int | None = None) -> dict:
        return json.loads((self.month_dir(month, version) / "manifest.json").read_text("utf-8"))

    def state_before(self, month: str) -> tuple[str | None, pl.DataFrame | None]:
        """The state after the latest closed month before `month`."""
        earlier = [m for m in self.months if m < month]
        if not earlier:
            return None, None
        last = max(earlier)
        return last, self.read(last, "state")

    def aux_before(self, month: str) -> dict[str, pl.DataFrame]:
        """The rulebook's other state frames after the latest closed month before `month`."""
        earlier = [m for m in self.months if m < month]
        if not earlier:
            return {}
        d = self.month_dir(max(earlier))
        return {p.stem[4:]: pl.read_parquet(p) for p in sorted(d.glob("aux_*.parquet"))}

    @property
    def rulebook_sha256(self) -> str | None:
        """The sha256 of the rulebook the last run used: HEAD's, else the latest month's manifest."""
        if self.head_rulebook_sha256:
            return self.head_rulebook_sha256
        if not self.months:
            return None
        return self.manifest(max(self.months)).get("rulebook_sha256")

    def rulebook_bytes(self, sha: str) -> bytes | None:
        """The content of a rulebook a run used (kept under .ledger/rulebooks/), when this ledger has it."""
        p = self.dir / RULEBOOKS / f"{sha}.toml"
        if not _SHA.match(sha or "") or not p.is_file():
            return None
        data = p.read_bytes()
        if sha256_bytes(data) != sha:
            raise RefusedError(f"{p}: the stored rulebook is corrupted (sha256 differs); restore the output "
                               f"folder from a backup; nothing was changed")
        return data

    def versions(self, month: str) -> list[int]:
        d = self.dir / "months" / month
        if not d.is_dir():
            return []
        return sorted(int(p.name[1:]) for p in d.iterdir() if p.name.startswith("v") and p.name[1:].isdigit())


def _is_month(name: str) -> bool:
    try:
        parse_month(name)
        return len(name) == 7
    except (TypeError, ValueError):
        return False


_SHA = re.compile(r"^[0-9a-f]{64}$")


# ---------------------------------------------------------------------------------------------- commit

@dataclass
class StagedMonth:
    month: str
    version: int
    ledger_dir: Path          # staged .ledger month version folder (state/pay/exceptions/manifest)
    output_dir: Path          # staged outputs of the month


def new_staging(root: Path, run_id: str) -> Path:
    d = root / STAGING / run_id
    d.mkdir(parents=True, exist_ok=False)
    return d


def write_month_files(dest: Path, frames: dict[str, pl.DataFrame], manifest: dict) -> str:
    """Write the ledger files of one month version; return the manifest's sha256."""
    dest.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, frame in frames.items():
        p = dest / f"{name}.parquet"
        try:
            frame.write_parquet(p, compression="zstd", statistics=False)
        except pl.exceptions.PolarsError as exc:
            # Polars reports a failed write (a full disk) as ComputeError "… (os error 28)": an OSError
            m = re.search(r"os error (\d+)", str(exc))
            if m is None:
                raise
            raise OSError(int(m.group(1)), os.strerror(int(m.group(1))), str(p)) from exc
        files[p.name] = sha256_file(p)
    manifest = dict(manifest, files=files)
    data = dumps(manifest)
    write_atomic(dest / "manifest.json", data)
    return sha256_bytes(data)


def stage_rulebook(staging_dir: Path, sha: str, data: bytes) -> Path:
    """The rulebook of a run, staged to be kept under .ledger/rulebooks/ (for `audit` and for listing a
    changed rulebook's parameters old → new)."""
    p = staging_dir / RULEBOOKS / f"{sha}.toml"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


def commit(root: Path, ledger: Ledger, staged: list[StagedMonth], head: dict, staging_dir: Path,
           rulebook: Path | None = None) -> None:
    """Apply a staged run: journal first, then renames, then HEAD (the commit point)."""
    ops = []
    if rulebook is not None and not (root / LEDGER / RULEBOOKS / rulebook.name).exists():
        ops.append({"op": "move", "src": str(rulebook.relative_to(root)),
                    "dst": f"{LEDGER}/{RULEBOOKS}/{rulebook.name}"})
    for s in staged:
        ops.append({"op": "move", "src": str(s.ledger_dir.relative_to(root)),
                    "dst": f"{LEDGER}/months/{s.month}/v{s.version}"})
        if (root / s.month).exists() and ledger.closed(s.month):
            old_v = ledger.months[s.month].version
            ops.append({"op": "move", "src": s.month, "dst": f"history/{s.month}/v{old_v}"})
        ops.append({"op": "move", "src": str(s.output_dir.relative_to(root)), "dst": s.month})
    journal = {"ops": ops, "head": head, "staging": str(staging_dir.relative_to(root))}
    (root / LEDGER).mkdir(parents=True, exist_ok=True)
    point("staged")
    write_atomic(root / LEDGER / "JOURNAL.json", dumps(journal))
    point("journal")
    _apply(root, journal)


def _apply(root: Path, journal: dict) -> None:
    for op in journal["ops"]:
        src, dst = root / op["src"], root / op["dst"]
        if src.exists() and not dst.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
            _fsync_dir(dst.parent)
        point("move")
    write_atomic(root / LEDGER / "HEAD.json", dumps(journal["head"]))
    point("head")
    (root / LEDGER / "JOURNAL.json").unlink(missing_ok=True)
    point("unjournal")
    shutil.rmtree(root / journal["staging"], ignore_errors=True)


_MONTH = r"\d{4}-\d{2}"
_OP_PATHS = {   # (src, dst) of the three kinds of move a commit makes
    (rf"{re.escape(STAGING)}/\w+/ledger/{_MONTH}", rf"{re.escape(LEDGER)}/months/{_MONTH}/v\d+"),
    (_MONTH, rf"history/{_MONTH}/v\d+"),
    (rf"{re.escape(STAGING)}/\w+/out/{_MONTH}", _MONTH),
    (rf"{re.escape(STAGING)}/\w+/{RULEBOOKS}/[0-9a-f]{{64}}\.toml", rf"{re.escape(LEDGER)}/{RULEBOOKS}/[0-9a-f]{{64}}\.toml"),
}


def _check_journal(journal) -> None:
    """A journal names only the moves a commit makes, inside the output root (a tampered journal
    must not move other files)."""
    if not isinstance(journal, dict) or not isinstance(journal.get("ops"), list) \
            or not isinstance(journal.get("head"), dict) or journal["head"].get("format") != FORMAT \
            or not re.fullmatch(rf"{re.escape(STAGING)}/\w+", str(journal.get("staging", ""))):
        raise ValueError("not a cm-payroll journal")
    for op in journal["ops"]:
        if not isinstance(op, dict) or op.get("op") != "move" or not any(
                re.fullmatch(s, str(op.get("src"))) and re.fullmatch(d, str(op.get("dst"))) for s, d in _OP_PATHS):
            raise ValueError(f"unexpected operation {op!r}"[:200])


def recover(root: Path) -> None:
    """Roll an interrupted commit forward; drop staging folders of runs that never committed and
    temporary files of writes that never finished."""
    jf = root / LEDGER / "JOURNAL.json"
    if jf.exists():
        try:
            journal = json.loads(jf.read_text("utf-8"))
            _check_journal(journal)
        except (ValueError, UnicodeDecodeError) as exc:
            raise RefusedError(f"{jf}: an interrupted commit left a damaged journal ({exc}); nothing was "
                               f"changed. Restore the output folder from a backup") from None
        _apply(root, journal)
    st = root / STAGING
    if st.is_dir():
        shutil.rmtree(st, ignore_errors=True)
    if (root / LEDGER).is_dir():
        for tmp in (root / LEDGER).glob(".*.json.tmp*"):
            tmp.unlink(missing_ok=True)


def head_document(rulebook_id: str, first_month: str, months: dict[str, MonthEntry],
                  pending: list[dict], rulebook_sha256: str | None = None, start_month: str | None = None) -> dict:
    return {
        "format": FORMAT,
        "rulebook_id": rulebook_id,
        "rulebook_sha256": rulebook_sha256,
        "start_month": start_month,
        "first_month": first_month,
        "months": {m: {"version": e.version, "manifest_sha256": e.manifest_sha256}
                   for m, e in sorted(months.items())},
        "pending_corrections": pending,
    }


__all__ = ["Ledger", "Lock", "OutputError", "StagedMonth", "commit", "fmt_month", "head_document",
           "new_staging", "output_error", "sha256_file", "write_atomic", "write_month_files"]
