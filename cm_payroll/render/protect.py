"""`--protect-slips`: every slip encrypted with a per-manager password (policy in the rulebook).

Policy `hmac-sha256` (the only one; `[slip_protection]` of the rulebook TOML):

    password = first `length` characters of base32( HMAC-SHA256(key = branch secret, msg = manager_id) ),
               lower-case, letters a–z and digits 2–7

The branch secret is read from the environment variable named by `secret_env` (default
`CM_PAYROLL_SLIP_SECRET`) and is never written anywhere. The same secret and manager id always give
the same password, so the clerk can re-issue a list; without the secret nobody can derive one (an id
or a birthday is no password). `.xlsx` slips are encrypted with msoffcrypto-tool (ECMA-376 agile
encryption, AES-256), PDF slips with pypdf (AES-256; the owner password is a second HMAC, never
handed out, so the manager can print and copy but not change the slip). HTML cannot be protected.

Determinism: both libraries draw fresh random salts, keys and IVs for every file and expose no way to
fix them, so protected slips are the one output that is NOT byte-for-byte reproducible (the
password list is). Reconcile with unprotected runs.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import os
from dataclasses import dataclass

from cm_payroll.errors import UsageError

DEFAULTS = {"policy": "hmac-sha256", "secret_env": "CM_PAYROLL_SLIP_SECRET", "length": 10,
            "password_list": "passwords.csv", "min_secret_length": 12}


@dataclass(frozen=True)
class Protection:
    secret: bytes
    length: int = 10
    password_list: str = "passwords.csv"

    def password(self, manager_id: str) -> str:
        digest = hmac.new(self.secret, manager_id.encode("utf-8"), hashlib.sha256).digest()
        return base64.b32encode(digest).decode("ascii").lower()[: self.length]

    def owner_password(self, manager_id: str) -> str:
        digest = hmac.new(self.secret, b"owner\x00" + manager_id.encode("utf-8"), hashlib.sha256).digest()
        return base64.b32encode(digest).decode("ascii").lower()

    def encrypt(self, fmt: str, data: bytes, manager_id: str) -> bytes:
        if fmt == "xlsx":
            return encrypt_xlsx(data, self.password(manager_id))
        if fmt == "pdf":
            return encrypt_pdf(data, self.password(manager_id), self.owner_password(manager_id))
        raise UsageError(f"--protect-slips cannot protect {fmt} slips; use --format xlsx,pdf")


def policy_of(raw: dict) -> dict:
    """The `[slip_protection]` table of a rulebook document, with defaults for a file that lacks it."""
    table = dict(DEFAULTS)
    table.update(raw.get("slip_protection", {}) or {})
    return table


def from_rulebook(raw: dict, environ: dict | None = None) -> Protection:
    """Build the protection of a run; a usage error (exit 2) when the policy or secret is unusable."""
    env = os.environ if environ is None else environ
    t = policy_of(raw)
    if t["policy"] != "hmac-sha256":
        raise UsageError(f"[slip_protection] policy {t['policy']!r}: the only policy is \"hmac-sha256\"")
    try:
        length = int(t["length"])
    except (TypeError, ValueError):
        raise UsageError(f"[slip_protection] length {t['length']!r} is not a number") from None
    if not 6 <= length <= 52:
        raise UsageError(f"[slip_protection] length {length}: choose 6 … 52 characters")
    name = str(t["secret_env"])
    secret = env.get(name, "")
    if not secret:
        raise UsageError(f"--protect-slips needs the branch secret in the environment variable {name} "
                         f"(see [slip_protection] in the rulebook and the README)")
    if len(secret) < int(t["min_secret_length"]):
        raise UsageError(f"--protect-slips: the secret in {name} is shorter than "
                         f"{t['min_secret_length']} characters")
    listname = str(t["password_list"])
    if "/" in listname or "\\" in listname or listname.startswith(".") or not listname.endswith(".csv"):
        raise UsageError(f"[slip_protection] password_list {listname!r}: a plain file name ending in .csv")
    return Protection(secret.encode("utf-8"), length, listname)


def encrypt_xlsx(data: bytes, password: str) -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


def encrypt_pdf(data: bytes, password: str, owner_password: str | None = None) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.constants import UserAccessPermissions as P
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    perms = P.PRINT | P.EXTRACT | P.EXTRACT_TEXT_AND_GRAPHICS | P.PRINT_TO_REPRESENTATION
    writer.encrypt(password, owner_password or password, permissions_flag=perms, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# OWASP "CSV Injection": a spreadsheet takes a cell beginning with one of these for a formula (ASVS
# 1.2.10 adds NUL). Such a cell gets a leading single quote, and every cell is quoted, so that no
# separator inside a name can start a new cell either (a ';' list separator in some locales).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")


def inert_cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text: `=HYPERLINK(…)` becomes `'=HYPERLINK(…)`."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def password_list(rows: list[tuple[str, str, str, str]]) -> bytes:
    """工号, 姓名, 营业部, 密码 — UTF-8 with a BOM so that Excel shows the Chinese names; every cell
    quoted and made inert (inert_cell)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    w.writerow(["工号", "姓名", "营业部", "密码"])
    w.writerows([inert_cell(c) for c in r] for r in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def write_private(path, data: bytes) -> None:
    """Write a file only its owner may read (mode 0600, whatever the umask), never through a link.
    The mode stays when the file is moved (staging → month folder → history/)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


__all__ = ["FORMULA_START", "Protection", "encrypt_pdf", "encrypt_xlsx", "from_rulebook", "inert_cell", "password_list",
           "policy_of", "write_private"]
