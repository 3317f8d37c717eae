"""The month's life (SPEC 6; S-Art.32–35): draft → reviewed (审核) → rechecked (复核) → approved (签批)
→ released (发放), kept in the ledger's HEAD beside each month's version (ledger.MonthEntry).

- A run writes drafts (pipeline.execute asks `after_compute` what each month's entry becomes: a draft
  re-run stays a draft; a signed month re-run loses its signatures, listed as `signoff_discarded`; a
  released month keeps its paid version's signatures and release; `--paid-through` releases the
  months it covers without signatures).
- `sign`: one role at a time, in order, by different people (the rulebook's signoff.distinct_people);
  refused when an output file differs from what the run wrote, or (签批) while a case that needs an
  approval has no 审批号.
- `approve`: approvals recorded after the run, written to approvals_YYYY-MM.xlsx beside the outputs.
- `release`: 资金申请单 and 发放清单; withheld pay released later with its own list.
- `status`, `audit`: read-only.

Every change is one journaled ledger commit (ledger.commit), under the run lock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from cm_payroll import units
from cm_payroll.errors import InputErrors, InputIssue, RefusedError, UsageError
from cm_payroll.ledger import (LEDGER, Ledger, MonthEntry, commit, dumps, head_document, new_staging, run_lock,
                               sha256_bytes, sha256_file)
from cm_payroll.months import fmt_month, parse_month
from cm_payroll.rulebook import Rulebook, load_rulebook, rulebook_from_bytes
from cm_payroll.rulebooks.base import EXCEPTION_SCHEMA
from cm_payroll.rulebooks.shared import approvals as appr

ROLES = ("审核", "复核", "签批")
STATE_AFTER = {"审核": "reviewed", "复核": "rechecked", "签批": "approved"}
STATE_BEFORE = {"审核": "draft", "复核": "reviewed", "签批": "rechecked"}
SIGNED = ("reviewed", "rechecked", "approved")
STATE_ZH = {"draft": "草稿", "reviewed": "已审核", "rechecked": "已复核", "approved": "已签批", "released": "已发放"}
ROLE_EN = {"计算": "prepared", "审核": "reviewed", "复核": "rechecked", "签批": "approved"}
ROLE_ALIASES = {"审核": "审核", "review": "审核", "reviewed": "审核", "复核": "复核", "recheck": "复核",
                "rechecked": "复核", "签批": "签批", "approve": "签批", "approved": "签批", "sign": "签批"}


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def outputs_digest(outputs: dict[str, str]) -> str:
    """The sha256 a signature records for a month's output files: of the sorted map file → sha256."""
    return hashlib.sha256(json.dumps(dict(sorted(outputs.items())), sort_keys=True,
                                     separators=(",", ":")).encode()).hexdigest()


def approvals_file(month: str) -> str:
    return f"approvals_{month}.xlsx"


def paid_amount(pay: pl.DataFrame) -> pl.Expr:
    """What a payment list pays: 实发合计 when net pay is computed, else 应发合计."""
    return pl.col("net_pay") if "net_pay" in pay.columns else pl.col("gross_pay")


def distinct_people(rb: Rulebook, month: int) -> int:
    v = (rb.at(month).get("signoff") or {}).get("distinct_people", 4)
    if v not in (3, 4):
        raise UsageError(f"rulebook {rb.source}: signoff.distinct_people is {v}; it may be 4 (计算、审核、复核、签批 "
                         f"four people, S-Art.32) or 3 (审核 and 复核 by one person)")
    return int(v)


# --------------------------------------------------------------------------------- during a run

@dataclass
class Life:
    """What a run makes of each month's HEAD entry (pipeline.write_run asks it)."""
    by: str
    old: dict[str, MonthEntry] = field(default_factory=dict)
    paid_through: int | None = None
    ledger_only: set[str] = field(default_factory=set)         # recomputed the same: outputs kept
    discarded: list[dict] = field(default_factory=list)        # signatures discarded: month, role, by
    approvals: dict[str, list[dict]] = field(default_factory=dict)   # recorded approvals still valid

    def entry(self, name: str, version: int, sha: str, extra: dict[str, str], kept: bool) -> MonthEntry:
        old = self.old.get(name)
        if old is None:
            if self.paid_through is not None and parse_month(name) <= self.paid_through:
                rel = {"at": now(), "by": self.by, "version": version, "paid_through": True, "files": {}}
                return MonthEntry(name, version, sha, state="released", by=self.by, release=rel)
            return MonthEntry(name, version, sha, state="draft", by=self.by, extra_outputs=extra)
        if kept:
            return replace(old, version=version, manifest_sha256=sha, legacy=False)
        kept_approvals = self.approvals.get(name, [])
        if old.state == "released":     # the paid version's signatures and release stay with it
            return MonthEntry(name, version, sha, state="released", by=self.by, signatures=old.signatures,
                              approvals=kept_approvals, release=old.release, withheld_paid=old.withheld_paid,
                              extra_outputs=extra)
        return MonthEntry(name, version, sha, state="draft", by=self.by, approvals=kept_approvals,
                          extra_outputs=extra)

    def write_extra(self, name: str, out_dir: Path, c, rb: Rulebook) -> dict[str, str]:
        """The approvals workbook of a re-run month whose recorded approvals still hold."""
        recorded = self.approvals.get(name)
        if not recorded:
            return {}
        data = approvals_workbook(c.result.exceptions, recorded, rb, name)
        (out_dir / approvals_file(name)).write_bytes(data)
        return {approvals_file(name): sha256_bytes(data)}


def _rows(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame([{k: r.get(k) for k in EXCEPTION_SCHEMA} for r in rows], schema=EXCEPTION_SCHEMA,
                        orient="row")


def after_compute(ledger: Ledger, rb: Rulebook, computed: list, plan, by: str) -> Life:
    """Decide each computed month's life before it is written: the month asked for is written anew;
    a later one that came out the same keeps its outputs; a signed one that changed loses its
    signatures (a `signoff_discarded` row each); recorded approvals whose case is gone are dropped
    (an `input_warning` each)."""
    from cm_payroll.pipeline import finalize_exceptions

    life = Life(by=by, old=dict(ledger.months), paid_through=plan.paid_through)
    for c in computed:
        name = fmt_month(c.month)
        e = ledger.months.get(name)
        if e is None:
            continue
        if c.month != plan.target and _same(ledger, name, c):
            life.ledger_only.add(name)
            continue
        extra = []
        if e.state in SIGNED:
            for s in e.signatures:
                life.discarded.append({"month": name, "role": s["role"], "by": s["by"]})
                extra.append({"type": "signoff_discarded", "article": "",
                              "description": f"{name} 第 {e.version} 版的{s['role']}签字({s['by']},{s['at'][:10]})"
                                             f"作废:本月已重新计算(第 {e.version} 版之后),须重新审核、复核、签批"})
        keep, dropped = _still_open(c.result.exceptions, e.approvals)
        life.approvals[name] = keep
        for a in dropped:
            extra.append({"type": "input_warning", "article": "S-Art.34", "manager_id": a["manager_id"],
                          "description": f"审批 {a['ref']}({a['manager_id']} {rb.exceptions[a['type']].label if a['type'] in rb.exceptions else a['type']}"
                                         f"{' ' + a['item'] if a['item'] else ''})所对应的事项在重新计算后已不存在,"
                                         f"该审批记录已删除"})
        if extra:
            rows = [{"manager_id": None, "name": None, "amount": None, "approval_needed": False,
                     "approval_ref": None, **x} for x in extra]
            c.result.exceptions = finalize_exceptions(pl.concat([c.result.exceptions, _rows(rows)]), rb)
    return life


def _same(ledger: Ledger, name: str, c) -> bool:
    """The recomputed month's outputs are those of its current version: the same inputs read, the same
    pay, exceptions and corrections (what the workbooks and slips are written from). The state carried
    to the next month may differ (e.g. a year-to-date figure after an earlier month changed): the new
    ledger version records it, the outputs and their signatures stay."""
    man = ledger.manifest(name)
    if sorted((i["file"], i["sha256"]) for i in man["inputs"]) != sorted((i["file"], i["sha256"]) for i in c.inputs.files()):
        return False
    frames = {"pay": c.result.pay, "exceptions": c.result.exceptions}
    if c.ctx.corrections is not None:
        frames["corrections"] = c.ctx.corrections
    elif "corrections.parquet" in man["files"]:
        return False
    return all(f"{k}.parquet" in man["files"] and ledger.read(name, k).equals(v) for k, v in frames.items())


def _still_open(exceptions: pl.DataFrame, recorded: list[dict]) -> tuple[list[dict], list[dict]]:
    """Recorded approvals whose case the (recomputed) month still has, and those it lost."""
    if not recorded:
        return [], []
    found = set(appr.hits(appr.recorded_frame(recorded), appr.cases(exceptions)).get_column("_i").to_list())
    return ([a for i, a in enumerate(recorded) if i in found],
            [a for i, a in enumerate(recorded) if i not in found])


# ------------------------------------------------------------------------------- commands

def _open_month(root: Path, month: str) -> tuple[Ledger, MonthEntry]:
    parse_month(month)
    led = Ledger.open(root)
    if month not in led.months:
        months = ", ".join(sorted(led.months)) or "none"
        raise UsageError(f"{month} is not computed in {root} (computed months: {months}); run "
                         f"`cm-payroll month {month}` first")
    return led, led.months[month]


def _rulebook_of(led: Ledger, month: str) -> Rulebook:
    man = led.manifest(month)
    data = led.rulebook_bytes(man["rulebook_sha256"])
    if data is not None:
        return rulebook_from_bytes(data, man["rulebook_source"])
    return load_rulebook(man["rulebook_source"].removeprefix("builtin:"))


def _commit_head(root: Path, led: Ledger, months: dict[str, MonthEntry],
                 files: list[tuple[str, bytes, str | None]] = ()) -> None:
    """One journaled commit of a new HEAD (and files written beside a month's outputs: (destination
    relative to the root, bytes, where the file it replaces is kept))."""
    staging = new_staging(root, uuid.uuid4().hex[:12])
    try:
        staged = []
        for dst, data, keep in files:
            p = staging / "rel" / dst
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
            staged.append((p, dst, keep))
        head = head_document(led.rulebook_id, led.first_month, months, led.pending_corrections,
                             rulebook_sha256=led.head_rulebook_sha256, start_month=led.start_month)
        commit(root, led, [], head, staging, files=staged)
    except BaseException:
        if not (root / LEDGER / "JOURNAL.json").exists():
            shutil.rmtree(staging, ignore_errors=True)
        raise


def _changed(led: Ledger, month: str) -> list[str]:
    out = []
    for ch in led.changed_outputs(month):
        if ch.change == "added":
            continue
        out.append(f"{month}/{ch.file}({'已被修改' if ch.change == 'edited' else '已被删除'})")
    return out


def _people(e: MonthEntry) -> dict[str, str]:
    d = {"计算": e.by or "?"}
    d.update({s["role"]: s["by"] for s in e.signatures})
    return d


def sign(root: Path, month: str, role: str, by: str) -> MonthEntry:
    """Sign `month` in `role` (SPEC 6): in order, by a person holding no other role of the month
    (unless the rulebook lets 审核 and 复核 be one person), over outputs exactly as the run wrote them;
    签批 only when every case that needs an approval has its 审批号."""
    root = Path(root)
    role = ROLE_ALIASES.get(role.strip(), role.strip()) if role else role
    if role not in ROLES:
        raise UsageError(f"--role {role}: one of 审核 (review), 复核 (recheck), 签批 (approve)")
    by = (by or "").strip()
    if not by:
        raise UsageError("--by: the name of the person who signs")
    with run_lock(root):
        led, e = _open_month(root, month)
        if e.state == "released":
            raise RefusedError(f"{month} is released (paid); its sign-off is complete")
        want = STATE_BEFORE[role]
        if e.state != want:
            done = {s["role"]: s for s in e.signatures}
            if role in done:
                raise RefusedError(f"{month}: {role} is signed already ({done[role]['by']}, {done[role]['at']})")
            missing = [r for r in ROLES[:ROLES.index(role)] if r not in done]
            raise RefusedError(f"{month}: {role} comes after {'、'.join(missing)}, which "
                               f"{'is' if len(missing) == 1 else 'are'} not signed yet (S-Art.32: 计算、审核、复核、签批)")
        rb = _rulebook_of(led, month)
        n = distinct_people(rb, parse_month(month))
        for other, who in _people(e).items():
            if who == by and not (n == 3 and {other, role} == {"审核", "复核"}):
                raise RefusedError(f"{month}: {by} holds the role {other} of this month already; {role} must be "
                                   f"signed by another person (S-Art.32, signoff.distinct_people = {n})")
        changed = _changed(led, month)
        if changed:
            raise RefusedError(f"{month}: the outputs differ from what the run wrote, so they cannot be signed: "
                               + "; ".join(changed[:10]) + (f" … and {len(changed) - 10} more" if len(changed) > 10 else "")
                               + f". Restore them, or run `cm-payroll month {month}` again")
        if role == "签批":
            left = appr.open_cases(led.read(month, "exceptions"), e.approvals)
            if left.height:
                shown = "; ".join(f"{r['manager_id']} {rb.exceptions[r['type']].label if r['type'] in rb.exceptions else r['type']}"
                                  for r in left.head(10).iter_rows(named=True))
                raise RefusedError(f"{month}: {left.height} case(s) need an approval (需审批 = 是) and have no 审批号: "
                                   f"{shown}. Record them with `cm-payroll approve {month} --file 审批.xlsx` "
                                   f"(工号, 类型代码, 项目, 审批号, 说明), then sign again")
        man = led.manifest(month)
        sig = {"role": role, "by": by, "at": now(), "version": e.version,
               "outputs_sha256": outputs_digest(man["outputs"]),
               "approvals_sha256": e.extra_outputs.get(approvals_file(month))}
        new = replace(e, state=STATE_AFTER[role], signatures=e.signatures + [sig], legacy=False)
        months = dict(led.months)
        months[month] = new
        _commit_head(root, led, months)
        return new


def read_approvals_file(path: Path, rb: Rulebook) -> pl.DataFrame:
    """An approvals file (工号, 类型代码, 项目, 审批号, 说明) in any input format; InputErrors naming file,
    sheet, row and column."""
    from cm_payroll.load import read_table
    from cm_payroll.validate import cap_issues, type_table
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"--file {path}: no such file")
    raw, issues = read_table(path, appr.APPROVALS, rb.sheet)
    if raw is None:
        raise InputErrors(issues)
    frame, issues = type_table(raw)
    if issues:
        raise InputErrors(cap_issues(issues, 200))
    if frame.height == 0:
        raise InputErrors([InputIssue(path.name, raw.sheet, message="no data rows")])
    return frame.with_columns(pl.lit(raw.sheet).alias("_sheet_name"))


def approve(root: Path, month: str, file: Path, by: str | None = None) -> list[dict]:
    """Record the approvals of `file` for `month` (accepted until 签批); each row must name one case
    of the month that needs an approval. Returns the approvals recorded."""
    root = Path(root)
    with run_lock(root):
        led, e = _open_month(root, month)
        if e.state in ("approved", "released"):
            raise RefusedError(f"{month} is {STATE_ZH[e.state]} ({e.state}); approvals are accepted until 签批")
        rb = _rulebook_of(led, month)
        frame = read_approvals_file(Path(file), rb)
        exc = led.read(month, "exceptions")
        labels = {code: x.label for code, x in rb.exceptions.items()}
        sheet = frame.get_column("_sheet_name")[0] if frame.height else None
        matched, issues = appr.match(frame.drop("_sheet_name"), exc, labels, Path(file).name, sheet)
        cases = appr.cases(exc)
        recorded = {(a["manager_id"], a["type"], a["item"]): a for a in e.approvals}
        new = []
        at = now()
        rows = matched.join(cases.select("case", pl.col("approval_ref").alias("_given")), on="case", how="left")
        for r in rows.iter_rows(named=True):
            key = (r["manager_id"], r["type"], r["item"] or "")
            given = r["_given"] or (recorded[key]["ref"] if key in recorded else None)
            if given is not None and given != r["approval_ref"]:
                issues.append(InputIssue(Path(file).name, sheet, r.get("_row"), "审批号", message=(
                    f"{r['manager_id']} {labels.get(r['type'], r['type'])} 已有审批号 {given},与本行的 "
                    f"{r['approval_ref']} 不同;一项事项只有一个审批号")))
                continue
            if given is not None:
                continue            # recorded already (the same file given twice)
            new.append({"manager_id": r["manager_id"], "type": r["type"], "item": r["item"] or "",
                        "ref": r["approval_ref"], "note": r["note"] or "", "at": at,
                        "source": Path(file).name[:300]})
        if issues:
            raise InputErrors(issues, month)
        if not new:
            return []
        all_ = e.approvals + new
        data = approvals_workbook(exc, all_, rb, month)
        months = dict(led.months)
        rel = approvals_file(month)
        months[month] = replace(e, approvals=all_, extra_outputs={**e.extra_outputs, rel: sha256_bytes(data)},
                                legacy=False)
        keep = f"history/{month}/after-v{e.version}-{len(e.approvals)}/{rel}"
        _commit_head(root, led, months, [(f"{month}/{rel}", data, keep)])
        return new


def approvals_workbook(exc: pl.DataFrame, recorded: list[dict], rb: Rulebook, month: str) -> bytes:
    """approvals_YYYY-MM.xlsx: every case of the month that needs an approval, its 审批号 and where it
    comes from (the input row, or the approvals recorded after the run), open cases marked 待审批."""
    from cm_payroll.render.tables import table_workbook
    c = appr.cases(exc)
    labels = {code: x.label for code, x in rb.exceptions.items()}
    # a case's 审批号: its input row's, else the first approval recorded for it
    rec = (appr.hits(appr.recorded_frame(recorded), c).sort("_i").unique("case", keep="first")
           .select("case", "ref", "source", "note", pl.col("at").str.slice(0, 10)))
    f = c.join(rec, on="case", how="left").sort("case")
    own = pl.col("approval_ref").is_not_null() & (pl.col("approval_ref") != "")
    frame = f.select(
        "manager_id", "name", pl.col("type").replace_strict(labels, default=pl.col("type")).alias("type_zh"),
        "description",
        pl.when(own).then(pl.col("approval_ref")).otherwise(pl.col("ref").fill_null("")).alias("ref"),
        pl.when(own | pl.col("ref").is_not_null()).then(pl.lit("已审批")).otherwise(pl.lit("待审批")).alias("status"),
        pl.when(own).then(pl.lit("输入行")).otherwise(pl.col("source").fill_null("")).alias("source"),
        pl.when(own).then(pl.lit("")).otherwise(pl.col("note").fill_null("")).alias("note"),
        pl.when(own).then(pl.lit("")).otherwise(pl.col("at").fill_null("")).alias("at"),
        "type")
    columns = [("manager_id", "工号", "text"), ("name", "姓名", "text"), ("type_zh", "类型", "text"),
               ("description", "说明", "text"), ("ref", "审批号", "text"), ("status", "状态", "text"),
               ("source", "来源", "text"), ("note", "审批说明", "text"), ("at", "记录日期", "text"),
               ("type", "类型代码", "text")]
    n_open = frame.filter(pl.col("status") == "待审批").height
    notes = [f"需审批事项 {frame.height} 项,已审批 {frame.height - n_open} 项,待审批 {n_open} 项(S-Art.34)。"]
    return table_workbook(f"{rb.title} {month} 特殊事项审批记录", "审批记录", frame, columns, totals=False,
                          sign_off=False, notes=notes)


# --------------------------------------------------------------------------------------- release

def _bank_accounts(led: Ledger, month: str, rb: Rulebook, input_dir: Path | None) -> dict[str, str]:
    """银行账号 per manager from the roster the run read (an optional column), when it still hashes as
    the run recorded; {} when the roster has no such column."""
    from cm_payroll.load import find_file, read_table
    from cm_payroll.schema import ID, Column, FileSpec
    man = led.manifest(month)
    if input_dir is None:
        try:
            run = json.loads((led.root / month / "run.json").read_text("utf-8"))
            input_dir = Path(run["run"]["input_dir"])
        except (OSError, ValueError, KeyError, TypeError):
            return {}
    path, _ = find_file(Path(input_dir) / month, "roster")
    if path is None:
        return {}
    recorded = {i["file"]: i["sha256"] for i in man["inputs"]}
    if path.name in recorded and sha256_file(path) != recorded[path.name]:
        raise RefusedError(f"{path}: the roster changed since {month} was computed; the payment list takes the "
                           f"bank accounts (银行账号) from the roster the run read. Restore it, or re-run the month")
    spec = FileSpec("roster", "花名册", (Column("manager_id", "工号", ID, required=True),
                                         Column("bank_account", "银行账号", "text", nullable=True)))
    raw, _ = read_table(path, spec, rb.sheet)
    if raw is None or "bank_account" not in raw.frame.columns:
        return {}
    f = raw.frame.select(pl.col("manager_id").cast(pl.String).str.strip_chars(),
                         pl.col("bank_account").cast(pl.String).str.strip_chars())
    return {k: v for k, v in f.iter_rows() if k and v}


def release(root: Path, month: str, by: str, input_dir: Path | None = None) -> dict:
    """Release an approved month whose earlier months are released (SPEC 6): write 资金申请单 and
    发放清单 beside its outputs and close it. Returns {files, paid, withheld, total}."""
    root = Path(root)
    by = (by or "").strip() or "?"
    with run_lock(root):
        led, e = _open_month(root, month)
        if e.state == "released":
            raise RefusedError(f"{month} is released already ({(e.release or {}).get('at', 'before sign-off was recorded')})")
        if e.state != "approved":
            missing = [r for r in ROLES if r not in {s["role"] for s in e.signatures}]
            raise RefusedError(f"{month} is {STATE_ZH[e.state]} ({e.state}): only a month signed by 签批 is released; "
                               f"missing: {'、'.join(missing)}")
        before = [m for m in sorted(led.months) if m < month and led.months[m].state != "released"]
        if before:
            raise RefusedError(f"{month}: the earlier month(s) {', '.join(before)} are not released; months are "
                               f"released in order")
        changed = _changed(led, month)
        if changed:
            raise RefusedError(f"{month}: the outputs differ from what was signed: " + "; ".join(changed[:10]))
        rb = _rulebook_of(led, month)
        pay = led.read(month, "pay")
        banks = _bank_accounts(led, month, rb, input_dir)
        files = release_files(pay, rb, month, banks, e)
        months = dict(led.months)
        hashes = {name: sha256_bytes(data) for name, data in files.items()}
        rel = {"at": now(), "by": by, "version": e.version, "paid_through": False, "files": hashes}
        months[month] = replace(e, state="released", release=rel, extra_outputs={**e.extra_outputs, **hashes},
                                legacy=False)
        _commit_head(root, led, months, [(f"{month}/{n}", d, None) for n, d in files.items()])
        amount = paid_amount(pay)
        paid = pay.filter(pl.col("payment_status") != "withheld")
        return {"month": month, "files": sorted(files), "paid": paid.height,
                "withheld": pay.height - paid.height, "total_fen": int(paid.select(amount.sum()).item() or 0)}


def release_files(pay: pl.DataFrame, rb: Rulebook, month: str, banks: dict[str, str], e: MonthEntry) -> dict[str, bytes]:
    """资金申请单_YYYY-MM.xlsx (per branch: head count, gross, withheld, paid, and the four signatures) and
    发放清单_YYYY-MM.xlsx (工号, 姓名, 营业部, 银行账号, amount; withheld managers on a sheet of their own)."""
    from cm_payroll.render.tables import table_workbook
    amount = paid_amount(pay)
    net = "net_pay" in pay.columns
    f = pay.select("manager_id", "name", "branch", "payment_status", "gross_pay", amount.alias("amount")).with_columns(
        pl.col("manager_id").replace_strict(banks, default="").alias("bank"),
        (pl.col("payment_status") == "withheld").alias("withheld")).sort("branch", "manager_id")
    by_branch = f.group_by("branch").agg(
        (~pl.col("withheld")).sum().cast(pl.Int64).alias("heads"),
        pl.col("withheld").sum().cast(pl.Int64).alias("withheld_heads"),
        pl.col("gross_pay").sum().alias("gross"),
        pl.when(pl.col("withheld")).then(pl.col("amount")).otherwise(0).sum().alias("withheld_amount"),
        pl.when(~pl.col("withheld")).then(pl.col("amount")).otherwise(0).sum().alias("paid"),
    ).sort("branch")
    label = "实发合计" if net else "应发合计"
    request = fund_request_workbook(by_branch, rb, month, e, label)
    cols = [("manager_id", "工号", "text"), ("name", "姓名", "text"), ("branch", "营业部", "text"),
            ("bank", "银行账号", "text"), ("amount", f"发放金额({label})", "money")]
    paid = f.filter(~pl.col("withheld"))
    held = f.filter(pl.col("withheld"))
    more = [("暂扣名单", held, cols[:4] + [("amount", f"暂扣金额({label})", "money")])] if held.height else []
    plist = table_workbook(f"{rb.title} {month} 发放清单", "发放清单", paid, cols, totals=True, sign_off=False,
                           notes=[f"本清单 {paid.height} 人,暂扣 {held.height} 人另列(暂扣名单,不发放)。"], more=more)
    return {f"资金申请单_{month}.xlsx": request, f"发放清单_{month}.xlsx": plist}


def fund_request_workbook(by_branch: pl.DataFrame, rb: Rulebook, month: str, e: MonthEntry, label: str) -> bytes:
    """资金申请单: the form a branch sends to the finance department (S-Art.32 申请下划资金) — per 营业部 the
    head count paid, 应发合计, the withheld pay, the amount requested; totals; the four signatures."""
    from xlsxwriter.utility import xl_rowcol_to_cell

    from cm_payroll.render.xlsx import CJK_FONT, MONEY_FMT, new_workbook, paused_gc, text
    buf = io.BytesIO()
    with paused_gc():
        title = f"{rb.title} {month} 资金申请单"
        wb = new_workbook(buf, title)
        ws = wb.add_worksheet("资金申请单")
        base = {"font_name": CJK_FONT, "font_size": 11, "valign": "vcenter"}
        f_title = wb.add_format({**base, "bold": True, "font_size": 16, "align": "center"})
        f_head = wb.add_format({**base, "bold": True, "border": 1, "align": "center", "bg_color": "#DDEBF7",
                                "text_wrap": True})
        f_text = wb.add_format({**base, "border": 1})
        f_int = wb.add_format({**base, "border": 1, "num_format": "#,##0"})
        f_money = wb.add_format({**base, "border": 1, "num_format": MONEY_FMT})
        f_tot = wb.add_format({**base, "border": 1, "bold": True, "top": 2})
        f_tot_int = wb.add_format({**base, "border": 1, "bold": True, "top": 2, "num_format": "#,##0"})
        f_tot_money = wb.add_format({**base, "border": 1, "bold": True, "top": 2, "num_format": MONEY_FMT})
        f_note = wb.add_format({**base, "text_wrap": True, "valign": "top"})
        heads = ["营业部", "发放人数", "应发合计(元)", "暂扣人数", f"暂扣金额(元)", f"申请金额(元)"]
        widths = [18, 10, 16, 10, 16, 16]
        ws.merge_range(0, 0, 0, len(heads) - 1, title, f_title)
        ws.set_row(0, 30)
        text(ws, 1, 0, f"月份:{month}")
        text(ws, 1, 3, f"发放金额口径:{label}")
        for j, (h, w) in enumerate(zip(heads, widths)):
            ws.write_string(2, j, h, f_head)
            ws.set_column(j, j, w)
        ws.set_row(2, 32)
        rows = by_branch.select("branch", "heads", "gross", "withheld_heads", "withheld_amount", "paid").rows()
        for i, (branch, heads_n, gross, wh, wa, paid) in enumerate(rows, start=3):
            text(ws, i, 0, branch, f_text)
            ws.write_number(i, 1, heads_n, f_int)
            ws.write_number(i, 2, gross / 100, f_money)        # ok-float: display of exact fen
            ws.write_number(i, 3, wh, f_int)
            ws.write_number(i, 4, wa / 100, f_money)           # ok-float: display of exact fen
            ws.write_number(i, 5, paid / 100, f_money)         # ok-float: display of exact fen
            ws.set_row(i, 20)
        t = 3 + len(rows)
        ws.write_string(t, 0, "合计", f_tot)
        sums = [sum(r[k] for r in rows) for k in range(1, 6)]
        for j, (v, kind) in enumerate(zip(sums, ("int", "money", "int", "money", "money")), start=1):
            rng = f"{xl_rowcol_to_cell(3, j)}:{xl_rowcol_to_cell(max(t - 1, 3), j)}"
            if kind == "int":
                ws.write_formula(t, j, f"=SUM({rng})", f_tot_int, v)
            else:
                ws.write_formula(t, j, f"=SUM({rng})", f_tot_money, units.yuan_decimal(v))
        ws.set_row(t, 20)
        r = t + 2
        note = (f"兹申请下划 {month} 客户经理薪酬资金 {units.yuan(sums[4])} 元,发放 {sums[0]} 人;"
                f"暂扣 {sums[2]} 人、{units.yuan(sums[3])} 元暂不发放,交接完成并经审批后另行申请(S-Art.9、S-Art.32)。")
        ws.merge_range(r, 0, r + 1, len(heads) - 1, note, f_note)
        r += 3
        for j, h in enumerate(("签字环节", "姓名", "签字时间(UTC)")):
            ws.write_string(r, j * 2, h, f_head)
            ws.write_blank(r, j * 2 + 1, None, f_head)
            ws.merge_range(r, j * 2, r, j * 2 + 1, h, f_head)
        sigs = {x["role"]: x for x in e.signatures}
        people = [("计算", e.by or "", "")] + [(role, sigs[role]["by"] if role in sigs else "",
                                                 sigs[role]["at"].replace("T", " ")[:16] if role in sigs else "")
                                                for role in ROLES]
        for k, (role, who, at) in enumerate(people, start=1):
            for j, v in enumerate((role, who, at)):
                ws.merge_range(r + k, j * 2, r + k, j * 2 + 1, v, f_text)
            ws.set_row(r + k, 22)
        ws.set_portrait()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.6, right=0.6, top=0.8, bottom=0.8)
        ws.set_footer("&C第 &P 页,共 &N 页")
        wb.close()
    return buf.getvalue()


def release_withheld(root: Path, month: str, manager_id: str, approval: str, by: str) -> dict:
    """Pay a withheld manager of a released month once the handover is done (SPEC 6): a payment list
    of its own, recorded in the ledger."""
    from cm_payroll.render.tables import table_workbook
    root = Path(root)
    approval = (approval or "").strip()
    if not approval:
        raise UsageError("--approval: the 审批号 that releases the withheld pay")
    with run_lock(root):
        led, e = _open_month(root, month)
        if e.state != "released":
            raise RefusedError(f"{month} is not released yet; withheld pay is released after the month")
        pay = led.read(month, "pay")
        row = pay.filter(pl.col("manager_id") == manager_id)
        if row.height == 0 or row.get_column("payment_status")[0] != "withheld":
            raise UsageError(f"{manager_id}: not withheld in {month}")
        if any(w["manager_id"] == manager_id for w in e.withheld_paid):
            raise RefusedError(f"{month}: the withheld pay of {manager_id} is released already")
        rb = _rulebook_of(led, month)
        banks = _bank_accounts(led, month, rb, None)
        amount = int(row.select(paid_amount(pay)).item() or 0)
        frame = row.select("manager_id", "name", "branch", paid_amount(pay).alias("amount")).with_columns(
            pl.col("manager_id").replace_strict(banks, default="").alias("bank"))
        name = f"发放清单_{month}_暂扣_{manager_id}.xlsx"
        data = table_workbook(f"{rb.title} {month} 暂扣薪酬发放清单", "发放清单", frame,
                              [("manager_id", "工号", "text"), ("name", "姓名", "text"), ("branch", "营业部", "text"),
                               ("bank", "银行账号", "text"), ("amount", "发放金额", "money")],
                              totals=True, sign_off=True, notes=[f"{month} 暂扣薪酬,交接完成后发放;审批号 {approval}。"])
        w = {"manager_id": manager_id, "ref": approval, "at": now(), "by": (by or "?").strip() or "?",
             "amount": amount, "file": name}
        months = dict(led.months)
        months[month] = replace(e, withheld_paid=e.withheld_paid + [w],
                                extra_outputs={**e.extra_outputs, name: sha256_bytes(data)}, legacy=False)
        _commit_head(root, led, months, [(f"{month}/{name}", data, None)])
        return {"month": month, "manager_id": manager_id, "amount_fen": amount, "file": name}


# --------------------------------------------------------------------------------------- status

def status(root: Path, month: str | None = None) -> dict:
    """Each computed month's state, signatures, open approvals and the corrections it books."""
    root = Path(root)
    led = Ledger.open(root)
    if month is not None:
        parse_month(month)
        if month not in led.months:
            raise UsageError(f"{month} is not computed in {root}")
    out = []
    for m in sorted(led.months):
        if month is not None and m != month:
            continue
        e = led.months[m]
        exc = led.read(m, "exceptions")
        open_ = appr.open_cases(exc, e.approvals)
        corr = led.read(m, "corrections") if led.has(m, "corrections") else None
        out.append({
            "month": m, "version": e.version, "state": e.state, "state_zh": STATE_ZH[e.state],
            "prepared_by": e.by, "legacy": e.legacy,
            "signatures": [{"role": s["role"], "by": s["by"], "at": s["at"]} for s in e.signatures],
            "open_approvals": [{"manager_id": r["manager_id"], "type": r["type"]} for r in open_.iter_rows(named=True)],
            "approvals_recorded": len(e.approvals),
            "corrections_booked": 0 if corr is None else corr.height,
            "corrections_total": units.yuan(0 if corr is None else int(corr.get_column("amount").sum() or 0), grouped=False),
            "released": ({"at": e.release["at"], "by": e.release["by"], "paid_through": e.release["paid_through"]}
                         if e.release else None),
            "withheld_paid": [{"manager_id": w["manager_id"], "ref": w["ref"]} for w in e.withheld_paid],
        })
    pending = [{"manager_id": p["manager_id"], "corrects": p["corrects"], "amount": units.yuan(p["amount"], grouped=False)}
               for p in led.pending_corrections]
    return {"output_root": str(root), "months": out, "pending_corrections": pending}


# --------------------------------------------------------------------------------------- audit

@dataclass
class Finding:
    root: str
    month: str
    kind: str          # "finding" (exit 1) or "note"
    check: str         # ledger | outputs | inputs | recompute | approvals | signoff
    item: str          # a file or a manager
    message: str


RUN_NOTES = ("rulebook_changed", "output_changed", "signoff_discarded")

CHECK_ZH = {"ledger": "台账校验", "outputs": "输出文件", "inputs": "输入文件", "recompute": "重新计算",
            "approvals": "特殊事项审批", "signoff": "签字", "state": "月份状态"}


def audit(roots: list[Path], input_dir: Path | None = None, recompute: bool = True) -> list[Finding]:
    """S-Art.35 spot check of output roots: per root and month — the ledger verifies; the output files
    are those the run (and the signatures) recorded; the inputs still hash as the run recorded and,
    recomputed, give the same outputs; every case that needs an approval has its 审批号; released months
    are signed completely, in order, by distinct people. Read-only."""
    out: list[Finding] = []
    for root in roots:
        root = Path(root)
        r = str(root)
        try:
            led = Ledger.open(root)
        except (RefusedError, UsageError) as exc:
            out.append(Finding(r, "", "finding", "ledger", ".ledger", str(exc).split("\n")[0][:600]))
            continue
        if not led.months:
            out.append(Finding(r, "", "finding", "ledger", ".ledger", "no computed month in this output folder"))
            continue
        for m in sorted(led.months):
            out += _audit_month(led, m, input_dir, recompute)
    return out


def _audit_month(led: Ledger, m: str, input_dir: Path | None, recompute: bool) -> list[Finding]:
    r = str(led.root)
    e = led.months[m]
    out: list[Finding] = []

    def add(kind, check, item, msg):
        out.append(Finding(r, m, kind, check, item, msg))

    for ch in led.changed_outputs(m):
        if ch.change == "added":
            if not Path(ch.file).name.startswith(("~$", ".~lock")):
                add("note", "outputs", ch.file, "运行后加入的文件(不在台账记录中)")
            continue
        add("finding", "outputs", f"{m}/{ch.file}", "输出文件与运行时写出的不一致(已被修改)" if ch.change == "edited"
            else "输出文件已被删除")
    man = led.manifest(m)
    # the paid version of a released month that was corrected since: its outputs in history/
    if e.release and not e.release["paid_through"] and e.release["version"] != e.version:
        out += _audit_paid_version(led, m, e)
    # the inputs, and the recomputation
    run_dir = input_dir
    if run_dir is None:
        try:
            run_dir = Path(json.loads((led.root / m / "run.json").read_text("utf-8"))["run"]["input_dir"])
        except (OSError, ValueError, KeyError, TypeError):
            run_dir = None
    inputs_ok = run_dir is not None
    if run_dir is None:
        add("finding", "inputs", f"{m}/run.json", "无法确定输入目录(run.json 不可读);请用 --input 指定")
    else:
        for i in man["inputs"]:
            p = Path(run_dir) / m / i["file"]
            if not p.is_file():
                add("finding", "inputs", str(p), "输入文件已不存在")
                inputs_ok = False
            elif sha256_file(p) != i["sha256"]:
                add("finding", "inputs", str(p), "输入文件在运行后被修改(校验值与 run.json 记录的不同)")
                inputs_ok = False
    if inputs_ok and recompute:
        out += _recompute(led, m, Path(run_dir))
    # approvals
    left = appr.open_cases(led.read(m, "exceptions"), e.approvals)
    try:
        labels = {code: x.label for code, x in _rulebook_of(led, m).exceptions.items()}
    except (UsageError, RefusedError):
        labels = {}
    for row in left.iter_rows(named=True):
        add("finding" if e.state in ("approved", "released") else "note", "approvals", row["manager_id"],
            f"需审批事项「{labels.get(row['type'], row['type'])}」({row['type']})没有审批号(S-Art.34)")
    # sign-off
    if e.legacy:
        add("note", "signoff", m, "本月在记录签字流程之前已结账(旧版台账),视为已发放,无签字记录")
    elif e.state == "released" and e.release and e.release["paid_through"]:
        add("note", "signoff", m, "以 --paid-through 标记为已发放(在本工具之外发放),无签字记录")
    elif e.state == "released":
        roles = [s["role"] for s in e.signatures]
        if roles != list(ROLES):
            add("finding", "signoff", m, f"签字不完整或顺序不对:{'、'.join(roles) or '无'}(应为 审核、复核、签批)")
        people = [e.by] + [s["by"] for s in e.signatures]
        try:
            n = distinct_people(_rulebook_of(led, m), parse_month(m))
        except (UsageError, RefusedError):
            n = 4
        if len(set(people)) < min(n, len(people)):
            add("finding", "signoff", m, f"签字人员不足 {n} 人:{'、'.join(str(p) for p in people)}")
        paid_v = e.release["version"] if e.release else e.version
        for s in e.signatures:
            if s["version"] != paid_v:
                add("finding", "signoff", m, f"{s['role']}签字针对第 {s['version']} 版,发放的是第 {paid_v} 版")
        if e.release["version"] == e.version:
            digest = outputs_digest(man["outputs"])
            for s in e.signatures:
                if s["outputs_sha256"] != digest:
                    add("finding", "signoff", m, f"{s['role']}签字所记录的输出文件校验值与台账不一致")
    else:
        add("note", "state", m, f"本月状态:{STATE_ZH[e.state]}(未发放)")
    return out


def _audit_paid_version(led: Ledger, m: str, e: MonthEntry) -> list[Finding]:
    """A released month corrected since: its paid, signed outputs are kept in history/<M>/v<N>/."""
    r = str(led.root)
    paid = led.manifest(m, e.release["version"])["outputs"]
    run_sha = paid.get("run.json")
    hist = led.root / "history" / m
    folder = None
    for d in sorted(hist.iterdir()) if hist.is_dir() else []:
        if (d / "run.json").is_file() and sha256_file(d / "run.json") == run_sha:
            folder = d
            break
    if folder is None:
        return [Finding(r, m, "finding", "outputs", f"history/{m}", f"发放的第 {e.release['version']} 版输出文件找不到了")]
    out = []
    for rel, sha in sorted(paid.items()):
        p = folder / rel
        if not p.is_file() or sha256_file(p) != sha:
            out.append(Finding(r, m, "finding", "outputs", str(p.relative_to(led.root)),
                               "发放版本的输出文件与签字时不一致" if p.is_file() else "发放版本的输出文件已被删除"))
    return out


def _recompute(led: Ledger, m: str, input_dir: Path) -> list[Finding]:
    """Recompute month m from its inputs and the ledger's state before it; compare the outputs (run.json
    aside: it records when and where the run was) byte for byte."""
    from cm_payroll.pipeline import _noop, compute, render_month
    from cm_payroll.render.documents import make_options
    from cm_payroll.rulebooks import module_for
    r = str(led.root)
    man = led.manifest(m)
    rb = _rulebook_of(led, m)
    mod = module_for(rb.id)
    k = parse_month(m)
    _, state = led.state_before(m)
    if state is None:
        state = mod.empty_state()
    corr = {k: led.read(m, "corrections")} if led.has(m, "corrections") else {}
    first = parse_month(led.first_month or m)
    start = parse_month(led.start_month) if led.start_month else None
    try:
        c = compute(rb, mod, [k], input_dir, state, first, corr, _noop, led.aux_before(m), start=start)[0]
    except (InputErrors, UsageError, RefusedError) as exc:
        return [Finding(r, m, "finding", "recompute", m, f"重新计算失败:{str(exc).splitlines()[0][:300]}")]
    formats = sorted({Path(f).suffix.lstrip(".") for f in man["outputs"] if f.startswith("slips/")} & {"xlsx", "html", "pdf"})
    if any(f.endswith(".enc") or "password" in f for f in man["outputs"]):
        return [Finding(r, m, "note", "recompute", m, "工资条已加密,未逐字节比对")]
    opts = make_options(",".join(formats) or "xlsx", None, input_dir, False, rb.raw)
    from cm_payroll import pipeline
    pipeline.approvals_in_folders([c], rb)
    # the run's own notes (a rulebook change, outputs changed, signatures discarded) depend on the
    # ledger as the run found it: those rows are taken from the month's record
    notes = led.read(m, "exceptions").filter(pl.col("type").is_in(list(RUN_NOTES)))
    if notes.height:
        c.result.exceptions = pipeline.finalize_exceptions(pl.concat([c.result.exceptions, notes]), rb)
    with tempfile.TemporaryDirectory() as tmp:
        hashes = render_month(c, rb, mod, Path(tmp) / m, man["version"], {}, opts)
    out = []
    for rel, sha in sorted(man["outputs"].items()):
        if rel == "run.json":
            continue
        if hashes.get(rel) != sha:
            out.append(Finding(r, m, "finding", "recompute", f"{m}/{rel}",
                               "按现有输入重新计算,结果与记录的输出文件不同" if rel in hashes else "重新计算没有得到此文件"))
    if not out and not c.result.pay.equals(led.read(m, "pay")):
        out.append(Finding(r, m, "finding", "recompute", m, "按现有输入重新计算,薪酬数据与台账不同"))
    return out


def audit_workbook(findings: list[Finding], roots: list[Path]) -> bytes:
    from cm_payroll.render.tables import table_workbook
    rows = [{"root": f.root, "month": f.month, "kind": "问题" if f.kind == "finding" else "说明",
             "check": CHECK_ZH.get(f.check, f.check), "item": f.item, "message": f.message} for f in findings]
    frame = pl.DataFrame(rows, schema={k: pl.String for k in ("root", "month", "kind", "check", "item", "message")})
    n = sum(1 for f in findings if f.kind == "finding")
    notes = [f"抽查 {len(roots)} 个输出目录(S-Art.35):问题 {n} 项,说明 {len(findings) - n} 项。"]
    return table_workbook("薪酬抽查审计报告", "审计结果", frame,
                          [("root", "输出目录", "text"), ("month", "月份", "text"), ("kind", "类别", "text"),
                           ("check", "检查项", "text"), ("item", "对象", "text"), ("message", "说明", "text")],
                          totals=False, sign_off=False, notes=notes + ["抽查人:____________    日期:____________"])


__all__ = ["Finding", "Life", "ROLES", "STATE_ZH", "after_compute", "approve", "audit", "audit_workbook",
           "outputs_digest", "paid_amount", "release", "release_withheld", "sign", "status"]
