"""The ledger: the state carried between months, every version of every month, verified on open.

Layout under the output root:

    .ledger/HEAD.json                       the one commit point: months → current version + hash
    .ledger/months/<YYYY-MM>/v<N>/          state.parquet, pay.parquet, exceptions.parquet,
                                            manifest.json (file hashes and column types, inputs,
                                            rulebook, outputs, the previous month's manifest hash: a
                                            chain; the replaced version's manifest hash)
    .ledger/JOURNAL.json                    present only while a commit is being applied
    <YYYY-MM>/                              the month's current outputs (what the clerk opens)
    history/<YYYY-MM>/v<N>/                 earlier versions of a month's outputs (never deleted)

A commit stages everything in `.staging/<id>/`, writes the journal (the list of renames and the new
HEAD), applies it, writes HEAD atomically and removes the journal. A run that dies before the journal
is written leaves the old state untouched (its staging folder is removed by the next run); one that
dies after is rolled forward by the next run. Every file the HEAD points to is checked by sha256
when the ledger is opened, so a corrupted or deleted ledger is detected, never worked around.

Nothing in the output root is trusted (issue 12): every field of HEAD, JOURNAL and the manifests is
checked against its declaration (ledger_schema.py), the Parquet files' columns and types against the
rulebook's schemas and what the manifest recorded, every pending correction against the two versions
of the month whose difference it is (corrections.trace_pending), and HEAD's pending list against the
digest the last commit recorded in the latest manifest. The managed paths (.lock, .ledger and
everything in it, .staging, history/, the month folders) must be plain files and folders: they are
opened without following symbolic links (the output root itself may be one), special files (FIFOs,
devices) are refused before they are read, and JSON files are size-checked (fstat) first.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import io
import json
import os
import re
import shutil
import stat
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from cm_payroll import ledger_schema as schema
from cm_payroll.errors import LedgerDamaged, Locked, RefusedError, UsageError
from cm_payroll.faults import point
from cm_payroll.months import fmt_month, parse_month

FORMAT = 1
FORMATS = (1,)                  # HEAD formats this release reads
LEDGER = ".ledger"
STAGING = ".staging"
MONTH_FILES = ("state.parquet", "pay.parquet", "exceptions.parquet")
RULEBOOKS = "rulebooks"                  # .ledger/rulebooks/<sha256>.toml: every rulebook a run used

# Size caps, checked (fstat) before a file is read. HEAD holds the pending corrections (~150 bytes
# each: 400,000 fit), a manifest one line per output file (~100 bytes: 100,000 managers with
# xlsx, html and pdf slips take 30 MB). The writer refuses to write a file beyond its cap.
HEAD_MAX = 64 << 20
RULEBOOK_MAX = 8 << 20
MANIFEST_MAX = 128 << 20
JOURNAL_MAX = HEAD_MAX + (1 << 20)
PARQUET_MAX = 16 << 30

_RESTORE = "restore the output folder from a backup; nothing was changed"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_atomic(path: Path, data: bytes, mode: int = 0o666) -> None:
    """Write to a temporary file beside `path`, fsync, rename over it (no temporary file is left
    behind when writing fails, e.g. on a full disk). The temporary file is created new (O_EXCL,
    never through a symbolic link someone left under its name)."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
        with open(fd, "wb") as f:
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


def pending_digest(pending: list[dict]) -> str:
    """The sha256 of a list of pending corrections, as the last commit's latest manifest records it."""
    return sha256_bytes(dumps(pending))


class OutputError(RefusedError):
    """The output root cannot be written (disk full, read-only, no permission): exit 3, like the other
    refusals that the operator, not the clerk's input, must fix."""

    reason = "output_unwritable"


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


# ------------------------------------------------------------------------------- paths we can trust

class UnsafePath(LedgerDamaged):
    """A managed path of the output root is a symbolic link, a special file or of the wrong kind."""

    def __init__(self, path: Path | str, what: str):
        self.path, self.what = str(path), what
        super().__init__(f"{path} is {what}; cm-payroll writes only plain files and folders there and never "
                         f"follows a link or reads a special file in the output folder. Remove it (or restore "
                         f"the output folder from a backup) and run again; nothing was changed")


def _kind(path: Path | str) -> str | None:
    """What is at `path` (not following a link), for a message; None when nothing is."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISLNK(st.st_mode):
        try:
            return f"a symbolic link (to {os.readlink(path)})"
        except OSError:
            return "a symbolic link"
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISREG, "a file"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(st.st_mode):
            return name
    return "a special file"


def open_under(root: Path, rel: str, directory: bool = False) -> int:
    """A file descriptor of root/rel opened without following a symbolic link anywhere below `root`
    (the root itself may be one: that is the user's choice), and only if it is a regular file (a
    folder with `directory`). FileNotFoundError when it does not exist; UnsafePath for a link, a
    FIFO, a device. A FIFO is opened non-blocking, so it never hangs the run."""
    parts = [p for p in rel.split("/") if p]
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            want_dir = directory or not last
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | (os.O_DIRECTORY if want_dir else os.O_NONBLOCK)
            try:
                nfd = os.open(part, flags, dir_fd=fd)
            except FileNotFoundError:
                raise FileNotFoundError(errno.ENOENT, "No such file or directory",
                                        str(root.joinpath(*parts))) from None
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.ENXIO, errno.EISDIR):
                    here = root.joinpath(*parts[: i + 1])
                    raise UnsafePath(here, (_kind(here) or "not what cm-payroll wrote")
                                     + ("" if not want_dir else ", not a folder")) from None
                raise
            os.close(fd)
            fd = nfd
        st = os.fstat(fd)
        if not (stat.S_ISDIR(st.st_mode) if directory else stat.S_ISREG(st.st_mode)):
            path = root.joinpath(*parts)
            raise UnsafePath(path, f"{_kind(path) or 'a special file'}, not a regular "
                                   f"{'folder' if directory else 'file'}")
        return fd
    except BaseException:
        os.close(fd)
        raise


def read_under(root: Path, rel: str, cap: int) -> bytes:
    """The bytes of root/rel (see open_under), refused when the file is larger than `cap`."""
    fd = open_under(root, rel)
    try:
        size = os.fstat(fd).st_size
        if size > cap:
            raise LedgerDamaged(f"{root / rel} is {size:,} bytes, more than cm-payroll writes there "
                               f"({cap:,}); the ledger is damaged: {_RESTORE}")
        chunks, got = [], 0
        while b := os.read(fd, 1 << 24):
            chunks.append(b)
            got += len(b)
            if got > cap:
                raise LedgerDamaged(f"{root / rel} grows while it is read; the ledger is damaged: {_RESTORE}")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _hash_fd(fd: int, size_hint: int = 1 << 20) -> str:
    h = hashlib.sha256()
    n = min(max(size_hint + 1, 1 << 12), 1 << 22)         # a small file in one read
    while b := os.read(fd, n):
        h.update(b)
    return h.hexdigest()


_VERSION_DIR = re.compile(r"v([1-9][0-9]{0,5})")


def _check_tree(root: Path) -> None:
    """Refuse links and special files in the managed paths before anything is read or written:
    .ledger and what it holds, .staging, history/<M>/v<N>, the month folders. Only lstat/readdir."""
    if not root.is_dir():
        return
    problems: list[str] = []

    def ok(path: Path, want_dir: bool) -> bool:
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return False
        if stat.S_ISDIR(st.st_mode) if want_dir else stat.S_ISREG(st.st_mode):
            return True
        problems.append(f"{path.relative_to(root)} is {_kind(path)}, not a {'folder' if want_dir else 'file'}")
        return False

    def entries(path: Path) -> list[os.DirEntry]:
        try:
            with os.scandir(path) as it:
                return sorted(it, key=lambda e: e.name)
        except OSError:
            return []

    for e in entries(root):
        if _is_month(e.name):
            ok(Path(e.path), True)
    if _kind(root / STAGING) != "a file":        # a plain file there: the write fails, "cannot write"
        ok(root / STAGING, True)
    led = root / LEDGER
    if ok(led, True):
        for name in ("HEAD.json", "JOURNAL.json"):
            ok(led / name, False)
        if ok(led / RULEBOOKS, True):
            for f in entries(led / RULEBOOKS):
                ok(Path(f.path), False)
        if ok(led / "months", True):
            for m in entries(led / "months"):
                if _is_month(m.name) and ok(Path(m.path), True):
                    for v in entries(Path(m.path)):
                        if _VERSION_DIR.fullmatch(v.name) and ok(Path(v.path), True):
                            for f in entries(Path(v.path)):
                                ok(Path(f.path), False)
    hist = root / "history"
    if ok(hist, True):
        for m in entries(hist):
            if _is_month(m.name) and ok(Path(m.path), True):
                for v in entries(Path(m.path)):
                    if _VERSION_DIR.fullmatch(v.name):
                        ok(Path(v.path), True)
    if problems:
        shown = problems[:20] + ([f"… and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise LedgerDamaged(f"{root}: the output folder holds links or special files where cm-payroll keeps its "
                           f"own files and folders (it never follows them):\n  " + "\n  ".join(shown)
                           + "\nRemove them (or restore the output folder from a backup) and run again; "
                             "nothing was changed.")


# ------------------------------------------------------------------------------------------- locks

_HELD: set[str] = set()          # output roots whose run lock this process holds


def _key(root: Path) -> str:
    return os.path.realpath(root)


def _open_lock_file(path: Path, flags: int) -> int:
    """Open the lock file (O_CREAT in `flags`: create it), never through a link, and only a regular
    file (a FIFO in its place would block or swallow what is written)."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO):
            raise UnsafePath(path, _kind(path) or "a symbolic link") from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnsafePath(path, f"{_kind(path) or 'a special file'}, not the lock file")
    return fd


def _is_at(fd: int, path: Path) -> bool:
    """The locked file is still the one at `path` (not removed or replaced while we waited)."""
    try:
        a, b = os.fstat(fd), os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _holder(fd: int) -> str:
    try:
        return os.read(fd, 200).decode("utf-8", "replace").strip() or "another process"
    except OSError:
        return "another process"


class Lock:
    """One run per output root (SPEC 7). flock is released by the kernel if the process dies, so a
    stale lock of a dead process never blocks the next run. Readers (explain, what-if) take the same
    lock shared while they open the ledger (`Ledger.open`), so a run never changes it under them.

    `created`: the folders this run created for the root (innermost last, see `run_lock`). When the
    lock is released and the run committed nothing (the root holds only the lock file and an empty
    staging folder), the lock file and those folders are removed again: a refused run leaves nothing."""

    def __init__(self, root: Path, created: Iterable[Path] = ()):
        self.root = Path(root)
        self.path = self.root / ".lock"
        self.created = [Path(p) for p in created]
        self.fd: int | None = None

    def __enter__(self) -> Lock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(50):
            fd = _open_lock_file(self.path, os.O_RDWR | os.O_CREAT)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                os.close(fd)
                raise Locked(f"another cm-payroll process holds the lock on {self.path.parent} (last "
                                   f"run: {holder}); wait for it to finish and run again") from None
            if _is_at(fd, self.path):
                break
            os.close(fd)            # removed by the run that held it (its root was cleaned up): again
        else:
            raise RefusedError(f"{self.path}: the lock file keeps being replaced; is another program "
                               f"removing it? Nothing was changed")
        if os.fstat(fd).st_nlink == 1:       # a hard link elsewhere is never written through
            os.ftruncate(fd, 0)
            os.write(fd, f"pid {os.getpid()}".encode())
        self.fd = fd
        _HELD.add(_key(self.path.parent))
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is None:
            return
        cleanup = bool(self.created) and _nothing_committed(self.root)
        try:
            if cleanup:
                with contextlib.suppress(OSError):
                    os.unlink(self.path)
                with contextlib.suppress(OSError):
                    os.rmdir(self.root / STAGING)
        finally:
            _HELD.discard(_key(self.path.parent))
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
        if cleanup:
            _remove_created(self.created)


def _nothing_committed(root: Path) -> bool:
    """The root holds nothing but the lock file and an empty staging folder."""
    try:
        names = set(os.listdir(root))
    except OSError:
        return False
    if not names <= {".lock", STAGING}:
        return False
    if STAGING in names:
        st = root / STAGING
        return st.is_dir() and not st.is_symlink() and not os.listdir(st)
    return True


def _make_dirs(root: Path) -> list[Path]:
    """mkdir -p, returning the folders created (outermost first)."""
    missing = []
    p = Path(os.path.abspath(root))
    while not os.path.lexists(p):
        missing.append(p)
        p = p.parent
    created = []
    for d in reversed(missing):
        try:
            d.mkdir()
            created.append(d)
        except FileExistsError:
            pass
    return created


def _remove_created(created: list[Path]) -> None:
    for d in reversed(created):          # innermost first; stop at a folder someone filled
        try:
            os.rmdir(d)
        except OSError:
            return


@contextlib.contextmanager
def run_lock(root: Path) -> Iterator[Lock]:
    """The run lock on `root`, creating the root (and its missing parents) only when needed. If this
    call created the root and the run commits nothing (refused, input errors), the root is removed
    again with its lock file when the block ends: a refused run on a new output folder leaves none."""
    root = Path(root)
    created = _make_dirs(root)
    lock = Lock(root, created)
    try:
        lock.__enter__()
    except BaseException:
        _remove_created(created)
        raise
    try:
        yield lock
    finally:
        lock.__exit__()


class _ReadLock:
    """The run lock taken shared by a reader; `exclusive` when it could be had alone (then a dead
    run's interrupted commit may be completed). A folder where no lock file can be made (read-only
    media) is read without one: no run can be writing there."""

    def __init__(self, root: Path, want_exclusive: bool):
        self.path, self.want, self.fd, self.exclusive = root / ".lock", want_exclusive, None, False

    def _open(self) -> int | None:
        try:
            return _open_lock_file(self.path, os.O_RDWR | os.O_CREAT)
        except UnsafePath:
            raise
        except OSError:
            try:
                return _open_lock_file(self.path, os.O_RDONLY)
            except UnsafePath:
                raise
            except OSError:
                return None

    def __enter__(self) -> _ReadLock:
        for _ in range(50):
            self.fd = self._open()
            if self.fd is None:
                return self
            try:
                fcntl.flock(self.fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(self.fd)
                self.__exit__()
                raise Locked(f"a cm-payroll run is in progress on {self.path.parent} ({holder}); try "
                                   f"again when it has finished") from None
            if _is_at(self.fd, self.path):
                break
            self.__exit__()
        if self.want and self.fd is not None:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.exclusive = True
            except BlockingIOError:
                try:        # a failed conversion may have dropped the shared lock: take it again
                    fcntl.flock(self.fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    self.__exit__()
                    raise Locked(f"a cm-payroll run is in progress on {self.path.parent}; try again "
                                       f"when it has finished") from None
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


# ------------------------------------------------------------------------------- frame schemas

def _dtype_list(s) -> list[list[str]]:
    return [[c, str(t)] for c, t in s.items()]


@functools.lru_cache(maxsize=8)
def _expected_frames(rulebook_id: str) -> dict[str, tuple[dict, bool]]:
    """{frame name: (columns → dtype string, exact)} the rulebook's code declares; `exact` False: the
    frame must hold at least these (pay: the components)."""
    from cm_payroll.rulebooks.base import EXCEPTION_SCHEMA
    from cm_payroll.corrections import CORRECTION_SCHEMA
    from cm_payroll.rulebooks import module_for
    mod = module_for(rulebook_id)

    def names(d: dict) -> dict:
        return {k: str(v) for k, v in d.items()}

    out = {"state": (names(mod.STATE_SCHEMA), frozenset(getattr(mod, "STATE_ADDED", ()))), "exceptions": (names(EXCEPTION_SCHEMA), True),
           "corrections": (names(CORRECTION_SCHEMA), True),
           "pay": ({"manager_id": "String", "name": "String", **{c.key: "Int64" for c in mod.COMPONENTS}}, False)}
    aux = dict(getattr(mod, "AUX_SCHEMAS", {}) or {})
    if rulebook_id == "rcc" and not aux:
        from cm_payroll.rulebooks.rcc import compliance_checks, month, overdue
        aux = {month.AUX_CHARGED: overdue.CHARGED_SCHEMA, month.AUX_VISITS: compliance_checks.VISITS_SCHEMA}
    out.update({f"aux_{k}": (names(v), True) for k, v in aux.items()})
    return out


def _frame_problems(name: str, actual: list[list[str]], manifest: dict) -> list[str]:
    """What is wrong with the columns of ledger file `name` (state.parquet …)."""
    problems = []
    recorded = (manifest.get("schemas") or {}).get(name)
    if recorded is not None and [list(x) for x in recorded] != actual:
        problems.append(f"{name}: the columns or their types differ from those the manifest records")
    try:
        expected = _expected_frames(manifest["rulebook_id"])
    except KeyError:
        return problems + [f"unknown rulebook {manifest['rulebook_id']!r}"]
    spec = expected.get(name.removesuffix(".parquet"))
    if spec is None:
        return problems
    want, exact = spec
    have = dict((c, t) for c, t in actual)
    added = exact if isinstance(exact, frozenset) else frozenset()   # columns older ledgers lack
    for col, t in want.items():
        if col not in have and col in added:
            continue
        if col not in have:
            problems.append(f"{name}: column {col} is missing")
        elif have[col] != t:
            problems.append(f"{name}: column {col} is {have[col]}, expected {t}")
    if exact:
        problems += [f"{name}: unexpected column {c}" for c in have if c not in want]
    return problems[:10]


def _parquet_columns(data: bytes) -> list[list[str]]:
    return _dtype_list(pl.read_parquet_schema(io.BytesIO(data)))


# ------------------------------------------------------------------------------------------ ledger

@dataclass
class MonthEntry:
    """A month of HEAD: its current version and, SPEC 6, where it stands in its life (lifecycle.py)."""
    month: str
    version: int
    manifest_sha256: str
    state: str = "released"                  # draft … released; HEADs before SPEC 6 lack it: paid
    by: str | None = None                    # 计算: who ran the current version
    signatures: list[dict] = field(default_factory=list)
    approvals: list[dict] = field(default_factory=list)
    release: dict | None = None              # the paid version: at, by, version, paid_through, files
    withheld_paid: list[dict] = field(default_factory=list)
    extra_outputs: dict[str, str] = field(default_factory=dict)   # written after the run
    legacy: bool = False                     # read from a HEAD written before SPEC 6

    def as_head(self) -> dict:
        d = {"version": self.version, "manifest_sha256": self.manifest_sha256, "state": self.state,
             "by": self.by, "signatures": self.signatures, "approvals": self.approvals,
             "release": self.release, "withheld_paid": self.withheld_paid,
             "extra_outputs": dict(sorted(self.extra_outputs.items()))}
        return d

    @property
    def rel(self) -> str:
        return f"months/{self.month}/v{self.version}"


@dataclass(frozen=True)
class OutputChange:
    """A file of a closed month's folder that differs from what its run wrote (the manifest)."""
    month: str
    file: str            # relative to the month folder, e.g. slips/A1.xlsx
    change: str          # "edited", "deleted" or "added"
    detail: str = ""     # e.g. "replaced by a symbolic link (to …)"


@dataclass
class Ledger:
    root: Path                               # the output root
    rulebook_id: str | None = None
    first_month: str | None = None
    months: dict[str, MonthEntry] = field(default_factory=dict)
    pending_corrections: list[dict] = field(default_factory=list)
    start_month: str | None = None           # the root was begun with --start (its opening file)
    head_rulebook_sha256: str | None = None  # the rulebook the last run used (HEAD; older HEADs lack it)
    pending_sha256: str | None = None        # of HEAD's pending list as read
    _manifests: dict[tuple[str, int], dict] = field(default_factory=dict, repr=False)

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
        repair = os.path.lexists(journal) or (staging.is_dir() and not staging.is_symlink()
                                             and any(staging.iterdir()))
        with _ReadLock(root, repair) as lock:
            if lock.exclusive:
                recover(root)
            elif os.path.lexists(journal):
                raise Locked(f"{root}: a cm-payroll run's commit is not complete yet; try again in a "
                                   f"moment (a `cm-payroll month` run completes it)")
            return cls._load(root)

    @classmethod
    def _load(cls, root: Path) -> Ledger:
        led = cls(root)
        _check_tree(root)
        head = led.dir / "HEAD.json"
        month_dirs = sorted(p.name for p in root.iterdir() if p.is_dir() and _is_month(p.name)) if root.is_dir() else []
        try:
            data = read_under(root, f"{LEDGER}/HEAD.json", HEAD_MAX)
        except FileNotFoundError:
            if month_dirs:
                raise LedgerDamaged(
                    f"{root}: the ledger (.ledger/HEAD.json) is missing but closed months exist "
                    f"({', '.join(month_dirs)}). It was deleted or moved: restore it from a backup, or "
                    f"start again in a new, empty output folder") from None
            return led
        try:
            doc = schema.loads(data)
        except ValueError as exc:
            raise LedgerDamaged(f"{head}: the ledger head is damaged ({exc}); {_RESTORE}") from None
        fmt = doc.get("format") if isinstance(doc, dict) else None
        if not isinstance(fmt, int) or isinstance(fmt, bool) or fmt not in FORMATS:
            raise LedgerDamaged(f"{head}: unknown ledger format "
                               f"{schema.show(fmt) if isinstance(doc, dict) else type(doc).__name__!r}; {_RESTORE}")
        try:
            schema.check(schema.HEAD, doc)
        except schema.SchemaError as exc:
            raise LedgerDamaged(f"{head}: the ledger head is damaged ({exc}); {_RESTORE}") from None
        led.rulebook_id = doc["rulebook_id"]
        led.first_month = doc["first_month"]
        led.start_month = doc.get("start_month")
        led.head_rulebook_sha256 = doc.get("rulebook_sha256")
        led.pending_corrections = [dict(e) for e in doc["pending_corrections"]]
        led.pending_sha256 = pending_digest(doc["pending_corrections"])
        for mon, e in sorted(doc["months"].items()):
            led.months[mon] = MonthEntry(
                mon, e["version"], e["manifest_sha256"], state=e.get("state", "released"), by=e.get("by"),
                signatures=[dict(x) for x in e.get("signatures", [])],
                approvals=[dict(x) for x in e.get("approvals", [])], release=e.get("release"),
                withheld_paid=[dict(x) for x in e.get("withheld_paid", [])],
                extra_outputs=dict(e.get("extra_outputs", {})), legacy="state" not in e)
        led.verify()
        missing_out = [m for m in led.months if not (root / m).is_dir()]
        if missing_out:
            raise LedgerDamaged(f"{root}: the outputs of closed month(s) {', '.join(missing_out)} are missing "
                               f"though the ledger lists them; restore them from a backup")
        unknown = [m for m in month_dirs if m not in led.months]
        if unknown:
            raise LedgerDamaged(f"{root}: month folder(s) {', '.join(unknown)} are not in the ledger; they "
                               f"were not written by cm-payroll or the ledger is out of date (an older "
                               f".ledger restored?). Move them out of the output folder, or restore the whole "
                               f"output folder from one backup; nothing was changed")
        led._check_pending()
        return led

    def _read_manifest(self, month: str, version: int, sha: str | None) -> dict:
        """A version's manifest, checked against `sha` (when known) and its declaration; LookupError
        (with the problem) when it is missing or damaged."""
        rel = f"months/{month}/v{version}/manifest.json"
        try:
            data = read_under(self.root, f"{LEDGER}/{rel}", MANIFEST_MAX)
        except FileNotFoundError:
            raise LookupError(f"{month}: {rel} is missing") from None
        if sha is not None and sha256_bytes(data) != sha:
            raise LookupError(f"{month}: manifest.json does not match the ledger head (modified)"
                              if version == self.months[month].version
                              else f"{month}: {rel} does not match the hash the next version records (modified)")
        try:
            man = schema.loads(data)
            schema.check(schema.MANIFEST, man)
        except ValueError as exc:
            raise LookupError(f"{month}: {rel} is damaged ({exc})") from None
        if (man["month"], man["version"]) != (month, version):
            raise LookupError(f"{month}: {rel} is the manifest of {man['month']} v{man['version']}")
        if self.rulebook_id is not None and man["rulebook_id"] != self.rulebook_id:
            raise LookupError(f"{month}: {rel} names the rulebook {man['rulebook_id']!r}, the ledger "
                              f"{self.rulebook_id!r}")
        missing = [f for f in MONTH_FILES if f not in man["files"]]
        if missing:
            raise LookupError(f"{month}: {rel} lists no {', '.join(missing)}")
        return man

    def verify(self) -> None:
        prev_sha = None
        problems = []
        for mon in sorted(self.months):
            e = self.months[mon]
            try:
                man = self._read_manifest(mon, e.version, e.manifest_sha256)
            except LookupError as exc:
                problems.append(str(exc.args[0]))
                continue
            self._manifests[(mon, e.version)] = man
            problems += self._check_files(mon, e.version, man)
            if man.get("previous_manifest_sha256") != prev_sha:
                problems.append(f"{mon}: the chain to the previous month is broken")
            prev_sha = e.manifest_sha256
        if problems:
            raise LedgerDamaged(f"{self.dir}: the ledger failed verification:\n  " + "\n  ".join(problems)
                               + "\nRestore the output folder from a backup; nothing was changed.")

    def _check_files(self, mon: str, version: int, man: dict) -> list[str]:
        problems = []
        rel = f"months/{mon}/v{version}"
        for name, sha in man["files"].items():
            try:
                data = read_under(self.root, f"{LEDGER}/{rel}/{name}", PARQUET_MAX)
            except FileNotFoundError:
                problems.append(f"{mon}: {rel}/{name} is missing")
                continue
            if sha256_bytes(data) != sha:
                problems.append(f"{mon}: {rel}/{name} is corrupted (sha256 differs)")
                continue
            try:
                cols = _parquet_columns(data)
            except Exception as exc:        # noqa: BLE001 - any reader error: not a Parquet file we wrote
                problems.append(f"{mon}: {rel}/{name} is not a readable Parquet file ({type(exc).__name__})")
                continue
            problems += [f"{mon}: {rel}/{p}" for p in _frame_problems(name, cols, man)]
        return problems

    def _check_pending(self) -> None:
        """HEAD's pending corrections: the list the last commit recorded (its digest in the latest
        manifest), each entry the difference between two recorded versions of its month."""
        head = self.dir / "HEAD.json"
        if self.months:
            latest = max(self.months)
            recorded = self._manifests[(latest, self.months[latest].version)].get("pending_corrections_sha256")
            if recorded is not None and recorded != self.pending_sha256:
                raise LedgerDamaged(f"{head}: the pending corrections differ from those the last run recorded "
                                   f"(manifest of {latest} v{self.months[latest].version}): they were edited. "
                                   f"{_RESTORE[0].upper()}{_RESTORE[1:]}")
        elif self.pending_corrections:
            raise LedgerDamaged(f"{head}: pending corrections but no closed month; {_RESTORE}")
        if self.pending_corrections:
            from cm_payroll.corrections import trace_pending
            problems = trace_pending(self)
            if problems:
                shown = problems[:10] + ([f"… and {len(problems) - 10} more"] if len(problems) > 10 else [])
                raise LedgerDamaged(f"{head}: pending corrections that no re-run booked (forged or damaged):\n  "
                                   + "\n  ".join(shown) + f"\n{_RESTORE[0].upper()}{_RESTORE[1:]}.")

    # ------------------------------------------------------------------ reads
    def closed(self, month: str) -> bool:
        return month in self.months

    def last_month(self) -> str | None:
        return max(self.months) if self.months else None

    def month_dir(self, month: str, version: int | None = None) -> Path:
        e = self.months[month]
        v = e.version if version is None else version
        return self.dir / "months" / month / f"v{v}"

    def manifest(self, month: str, version: int | None = None) -> dict:
        """A version's manifest. The current one is verified through HEAD; an earlier one through the
        chain of `replaces` hashes from the current one (ledgers written before issue 12 lack it:
        then it is read as it is, checked against its declaration). UsageError when the month has no
        such version, RefusedError when it is damaged."""
        if month not in self.months:
            raise UsageError(f"{month} is not closed in {self.root}")
        cur = self.months[month]
        v = cur.version if version is None else int(version)
        try:
            return self._manifest_at(month, v)
        except LookupError as exc:
            msg = str(exc.args[0])
            if msg.startswith("no version"):
                raise UsageError(f"{month} has {msg} in {self.root}") from None
            raise LedgerDamaged(f"{self.dir}: {msg}; {_RESTORE}") from None

    def _manifest_at(self, month: str, v: int) -> dict:
        """Version `v`'s manifest, verified along the `replaces` chain from the current version;
        LookupError with the problem."""
        if (month, v) in self._manifests:
            return self._manifests[(month, v)]
        cur = self.months[month]
        if not 1 <= v <= cur.version:
            raise LookupError(f"no version {v} (versions 1 … {cur.version})")
        if v == cur.version:
            man = self._read_manifest(month, v, cur.manifest_sha256)
        else:
            w = cur.version
            while True:
                rep = self._manifest_at(month, w).get("replaces", False)
                if rep is False:                # written before issue 12: read as it is
                    man = self._read_manifest(month, v, None)
                    break
                if rep is None or rep["version"] < v:
                    raise LookupError(f"no version {v} (not among the versions the ledger records)")
                if rep["version"] == v:
                    man = self._read_manifest(month, v, rep["manifest_sha256"])
                    break
                w = rep["version"]
        self._manifests[(month, v)] = man
        return man

    def previous_version(self, month: str, version: int) -> int:
        """The version that `version` of `month` replaced (0: none, a first version). LookupError
        when the version's manifest is missing or damaged."""
        rep = self._manifest_at(month, version).get("replaces", False)
        if rep is False:                        # written before issue 12: versions are consecutive
            return version - 1
        return 0 if rep is None else rep["version"]

    def has(self, month: str, what: str, version: int | None = None) -> bool:
        return f"{what}.parquet" in self.manifest(month, version)["files"]

    def read(self, month: str, what: str, version: int | None = None) -> pl.DataFrame:
        """A ledger frame, read through a checked descriptor and verified against its manifest."""
        man = self.manifest(month, version)
        v = man["version"]
        name = f"{what}.parquet"
        rel = f"months/{month}/v{v}/{name}"
        if name not in man["files"]:
            raise LedgerDamaged(f"{self.dir}: {rel} is not in the ledger (its manifest lists no such file)")
        try:
            data = read_under(self.root, f"{LEDGER}/{rel}", PARQUET_MAX)
        except FileNotFoundError:
            raise LedgerDamaged(f"{self.dir}: {rel} is missing; {_RESTORE}") from None
        if sha256_bytes(data) != man["files"][name]:
            raise LedgerDamaged(f"{self.dir}: {rel} is corrupted (sha256 differs); {_RESTORE}")
        frame = pl.read_parquet(io.BytesIO(data))
        problems = _frame_problems(name, _dtype_list(frame.schema), man)
        if problems:
            raise LedgerDamaged(f"{self.dir}: {month} v{v}: {'; '.join(problems)}; {_RESTORE}")
        return frame

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
        last = max(earlier)
        names = sorted(n for n in self.manifest(last)["files"] if n.startswith("aux_"))
        return {n[4:].removesuffix(".parquet"): self.read(last, n.removesuffix(".parquet")) for n in names}

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
        if not _SHA.match(sha or ""):
            return None
        try:
            data = read_under(self.root, f"{LEDGER}/{RULEBOOKS}/{sha}.toml", RULEBOOK_MAX)
        except FileNotFoundError:
            return None
        if sha256_bytes(data) != sha:
            raise LedgerDamaged(f"{p}: the stored rulebook is corrupted (sha256 differs); restore the output "
                               f"folder from a backup; nothing was changed")
        return data

    def versions(self, month: str) -> list[int]:
        d = self.dir / "months" / month
        try:
            with os.scandir(d) as it:
                return sorted(int(e.name[1:]) for e in it if _VERSION_DIR.fullmatch(e.name)
                              and int(e.name[1:]) <= schema.MAX_VERSION)
        except (FileNotFoundError, NotADirectoryError):
            return []

    def next_version(self, month: str) -> int:
        """The number a new version of `month` gets (one above every version folder on disk)."""
        vs = self.versions(month)
        v = max(vs) + 1 if vs else 1
        if v > schema.MAX_VERSION:
            raise RefusedError(f"{month} has {schema.MAX_VERSION} versions already; use a new output folder")
        return v

    # ------------------------------------------------------------------ outputs
    def changed_outputs(self, month: str | Iterable[str] | None = None) -> list[OutputChange]:
        """Files of closed months' folders that differ from what their runs wrote (the manifest's
        `outputs`): edited (other bytes, or replaced by a link or a special file), deleted, or added.
        Every listed file is hashed (sizes and times prove nothing); nothing is followed through a
        symbolic link. Each folder is opened once (checked), its files relative to it: one open,
        fstat, read and close per file. `month`: one month or several (default: every closed one)."""
        months = sorted(self.months) if month is None else [month] if isinstance(month, str) else sorted(month)
        changes: list[OutputChange] = []
        for m in months:
            outputs = {**self.manifest(m)["outputs"], **self.months[m].extra_outputs}
            changes += [OutputChange(m, rel, "added", kind) for rel, kind in self._files_of(m) if rel not in outputs]
            by_dir: dict[str, list[tuple[str, str]]] = {}
            for rel, sha in outputs.items():
                parent, _, name = rel.rpartition("/")
                by_dir.setdefault(parent, []).append((name, sha))
            for parent, files in sorted(by_dir.items()):
                changes += self._dir_changes(m, parent, files)
        return sorted(changes, key=lambda c: (c.month, c.file))

    def _dir_changes(self, m: str, parent: str, files: list[tuple[str, str]]) -> list[OutputChange]:
        prefix = f"{parent}/" if parent else ""
        try:
            dfd = open_under(self.root, f"{m}/{parent}", directory=True)
        except FileNotFoundError:
            return [OutputChange(m, prefix + n, "deleted") for n, _ in files]
        except UnsafePath as exc:
            why = f"replaced: {Path(exc.path).relative_to(self.root)} is {exc.what}"
            return [OutputChange(m, prefix + n, "edited", why) for n, _ in files]
        try:
            # big folders (slips/) in a few batches, one thread each: reading files that are not in
            # the page cache any more waits for the disk, and hashlib releases the GIL
            workers = min(8, 2 * (os.cpu_count() or 1)) if len(files) >= 512 else 1
            batches = [files[i::workers] for i in range(workers)]
            with ThreadPoolExecutor(workers) as pool:
                done = list(pool.map(lambda b: self._batch_changes(m, prefix, dfd, b), batches))
        finally:
            os.close(dfd)
        return [c for part in done for c in part]

    def _batch_changes(self, m: str, prefix: str, dfd: int, files: list[tuple[str, str]]) -> list[OutputChange]:
        out = []
        for name, sha in files:
            rel = prefix + name
            try:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dfd)
            except FileNotFoundError:
                out.append(OutputChange(m, rel, "deleted"))
                continue
            except OSError as exc:
                what = _kind(self.root / m / rel)
                out.append(OutputChange(m, rel, "edited", f"replaced: {m}/{rel} is {what}" if what and exc.errno in (
                    errno.ELOOP, errno.ENXIO) else f"cannot be read: {exc.strerror or exc}"))
                continue
            try:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):
                    out.append(OutputChange(m, rel, "edited", f"replaced: {m}/{rel} is {_kind(self.root / m / rel)}"))
                elif _hash_fd(fd, st.st_size) != sha:
                    out.append(OutputChange(m, rel, "edited"))
            finally:
                os.close(fd)
        return out

    def _files_of(self, month: str) -> list[tuple[str, str]]:
        """(relative path, what it is unless a plain file) of everything in a month folder; folders
        are entered, never followed through a link."""
        out: list[tuple[str, str]] = []

        def walk(d: Path, prefix: str) -> None:
            try:
                with os.scandir(d) as it:
                    items = sorted(it, key=lambda e: e.name)
            except OSError:
                return
            for e in items:
                rel = f"{prefix}{e.name}"
                if e.is_dir(follow_symlinks=False):
                    walk(Path(e.path), rel + "/")
                else:
                    out.append((rel, "" if e.is_file(follow_symlinks=False) else _kind(e.path) or ""))

        walk(self.root / month, "")
        return out


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
    output_dir: Path | None   # staged outputs of the month (None: the outputs in place are kept)


def new_staging(root: Path, run_id: str) -> Path:
    d = root / STAGING / run_id
    d.mkdir(parents=True, exist_ok=False)
    return d


class LedgerWriteError(RuntimeError):
    """cm-payroll was about to write a ledger it would refuse to read back: a bug, never the input's."""


def write_month_files(dest: Path, frames: dict[str, pl.DataFrame], manifest: dict) -> str:
    """Write the ledger files of one month version; return the manifest's sha256. The manifest
    records every file's sha256 and its columns and types as written."""
    dest.mkdir(parents=True, exist_ok=True)
    files, schemas = {}, {}
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
        data = p.read_bytes()           # (a path is a glob pattern to Polars: "[x]" in a folder name)
        files[p.name] = sha256_bytes(data)
        schemas[p.name] = _parquet_columns(data)
    manifest = dict(manifest, files=files, schemas=schemas)
    try:
        schema.check(schema.MANIFEST, manifest)
    except schema.SchemaError as exc:
        raise LedgerWriteError(f"the manifest of {manifest.get('month')} would not pass its own check: {exc}") from None
    problems = [p for name, cols in schemas.items() for p in _frame_problems(name, cols, manifest)]
    if problems:
        raise LedgerWriteError(f"the ledger files of {manifest.get('month')} do not fit the rulebook's schemas: "
                               + "; ".join(problems))
    data = dumps(manifest)
    if len(data) > MANIFEST_MAX:
        raise RefusedError(f"the manifest of {manifest.get('month')} would be {len(data):,} bytes, more than the "
                           f"{MANIFEST_MAX:,} the ledger accepts; nothing was changed")
    write_atomic(dest / "manifest.json", data)
    return sha256_bytes(data)


def stage_rulebook(staging_dir: Path, sha: str, data: bytes) -> Path:
    """The rulebook of a run, staged to be kept under .ledger/rulebooks/ (for `audit` and for listing a
    changed rulebook's parameters old → new)."""
    p = staging_dir / RULEBOOKS / f"{sha}.toml"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p




def _check_head_to_write(root: Path, ledger: Ledger, staged: list[StagedMonth], head: dict) -> bytes:
    """The writer never writes a HEAD the reader would refuse: its fields fit, its size fits, and its
    pending corrections are those the latest month's manifest records."""
    try:
        schema.check(schema.HEAD, head)
    except schema.SchemaError as exc:
        raise LedgerWriteError(f"the ledger head would not pass its own check: {exc}") from None
    data = dumps(head)
    if len(data) > HEAD_MAX:
        raise RefusedError(f"the ledger head would be {len(data):,} bytes, more than the {HEAD_MAX:,} it may "
                           f"hold (too many pending corrections?); nothing was changed")
    if head["months"]:
        latest = max(head["months"])
        digest = pending_digest(head["pending_corrections"])
        mine = [s for s in staged if s.month == latest]
        if mine:
            recorded = schema.loads((mine[0].ledger_dir / "manifest.json").read_bytes()).get(
                "pending_corrections_sha256")
            if recorded != digest:
                raise LedgerWriteError(f"the manifest of {latest}, the latest month, must record the sha256 of "
                                       f"the pending corrections the commit writes (pending_digest)")
        elif ledger.closed(latest):
            recorded = ledger.manifest(latest).get("pending_corrections_sha256")
            if recorded is not None and recorded != digest:
                raise LedgerWriteError("a commit that changes the pending corrections must write the latest month")
    return data


def commit(root: Path, ledger: Ledger, staged: list[StagedMonth], head: dict, staging_dir: Path,
           rulebook: Path | None = None, files: Iterable[tuple[Path, str, str | None]] = ()) -> None:
    """Apply a staged run: journal first, then renames, then HEAD (the commit point). `files`: files
    written after a month's run (staged path, destination relative to the root, and where the file it
    replaces is kept, relative to the root), e.g. a sign-off's approvals workbook; with no months and
    no files it commits a new HEAD alone (a signature)."""
    _check_head_to_write(root, ledger, staged, head)
    ops = []
    for src, dst, keep in files:
        if keep is not None and os.path.lexists(root / dst):
            ops.append({"op": "move", "src": dst, "dst": keep})
        ops.append({"op": "move", "src": str(src.relative_to(root)), "dst": dst})
    if rulebook is not None and not (root / LEDGER / RULEBOOKS / rulebook.name).exists():
        ops.append({"op": "move", "src": str(rulebook.relative_to(root)),
                    "dst": f"{LEDGER}/{RULEBOOKS}/{rulebook.name}"})
    for s in staged:
        ops.append({"op": "move", "src": str(s.ledger_dir.relative_to(root)),
                    "dst": f"{LEDGER}/months/{s.month}/v{s.version}"})
        if s.output_dir is None:
            continue
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
        if src.exists() and not os.path.lexists(dst):
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
    # a file written after the run (approvals, fund request, payment list: lifecycle.py), and the
    # earlier copy of such a file kept in history/
    (rf"{re.escape(STAGING)}/\w+/rel/{_MONTH}/[^/]+\.xlsx", rf"{_MONTH}/[^/]+\.xlsx"),
    (rf"{_MONTH}/[^/]+\.xlsx", rf"history/{_MONTH}/after-v\d+-\d+/[^/]+\.xlsx"),
}


def _check_journal(journal) -> None:
    """A journal names only the moves a commit makes, inside the output root (a tampered journal
    must not move other files), and a head that fits its declaration."""
    if not isinstance(journal, dict) or not isinstance(journal.get("head"), dict) \
            or journal["head"].get("format") not in FORMATS:
        raise ValueError("not a cm-payroll journal")
    schema.check(schema.JOURNAL, journal)
    if not re.fullmatch(rf"{re.escape(STAGING)}/\w+", journal["staging"]):
        raise ValueError("not a cm-payroll journal")
    for op in journal["ops"]:
        if not any(re.fullmatch(s, op["src"]) and re.fullmatch(d, op["dst"]) for s, d in _OP_PATHS):
            raise ValueError(f"unexpected operation {op!r}"[:200])


def recover(root: Path) -> None:
    """Roll an interrupted commit forward; drop staging folders of runs that never committed and
    temporary files of writes that never finished."""
    _check_tree(root)
    jf = root / LEDGER / "JOURNAL.json"
    if os.path.lexists(jf):
        try:
            journal = schema.loads(read_under(root, f"{LEDGER}/JOURNAL.json", JOURNAL_MAX))
            _check_journal(journal)
        except ValueError as exc:
            raise LedgerDamaged(f"{jf}: an interrupted commit left a damaged journal ({exc}); nothing was "
                               f"changed. Restore the output folder from a backup") from None
        _apply(root, journal)
    st = root / STAGING
    if st.is_dir() and not st.is_symlink():
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
        "months": {m: e.as_head() for m, e in sorted(months.items())},
        "pending_corrections": pending,
    }


__all__ = ["Ledger", "LedgerWriteError", "Lock", "OutputChange", "OutputError", "StagedMonth", "UnsafePath",
           "commit", "fmt_month", "head_document", "new_staging", "open_under", "output_error", "pending_digest",
           "read_under", "run_lock", "sha256_file", "write_atomic", "write_month_files"]
