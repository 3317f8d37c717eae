"""`cm-payroll explain YYYY-MM MANAGER_ID`: every number of one manager's pay traced to its rule and
article, the parameter values used (with the date each took effect) and the input rows, down to file,
sheet and row. It reads the ledger (the amounts are the ones on the slip, to the fen) and re-reads
the month's input files to show the rows (checking their sha256 against the run's)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import polars as pl

from cm_payroll.errors import RefusedError, UsageError
from cm_payroll.ledger import Ledger, read_under
from cm_payroll import units
from cm_payroll.units import RATE_SCALE, SCORE_SCALE
from cm_payroll.months import parse_month
from cm_payroll.rulebook import load_rulebook, rulebook_from_bytes
from cm_payroll.rulebooks import module_for
from cm_payroll.load import load_month

STATUS = {"trainee": "见习", "active": "在岗", "standby": "待岗培训", "pending_termination": "待解除劳动合同",
          "base_only": "仅发基础工资"}


def _yuan(fen: int | None) -> str | None:
    return None if fen is None else str(units.yuan_decimal(fen))


def _figure(kind: str, v):
    if v is None:
        return None
    if kind == "money":
        return _yuan(v)
    if kind == "rate":
        return format((Decimal(v) / RATE_SCALE).normalize(), "f")
    if kind == "score":
        return format((Decimal(v) / SCORE_SCALE).normalize(), "f")
    if kind == "x100":
        return str((Decimal(v) / 100).quantize(Decimal("0.01")))
    if kind == "status":
        return f"{v} {STATUS.get(v, '')}".strip()
    return v if isinstance(v, (int, bool, str)) else str(v)


def _jsonable(v):
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def explain(output_dir: Path, month: str, manager_id: str, input_dir: Path | None = None,
            version: int | None = None) -> dict:
    from cm_payroll.pipeline import check_path
    output_dir = Path(output_dir)
    check_path(output_dir, "--output")
    led = Ledger.open(output_dir)
    if not led.closed(month):
        raise UsageError(f"{month} is not closed in {output_dir}; run `cm-payroll month {month}` first")
    pay = led.read(month, "pay", version).filter(pl.col("manager_id") == manager_id)
    if pay.height == 0:
        raise UsageError(f"manager {manager_id} has no pay in {month}")
    row = pay.to_dicts()[0]
    manifest = led.manifest(month, version)
    run = _run_json(output_dir, month) if version is None else {}
    rb = _rulebook_of(led, manifest)
    m = parse_month(month)
    params = {p["name"]: p for p in (rb.used(m) if rb is not None else run.get("parameters", []))}
    values = rb.values(m) if rb is not None else None
    mod = module_for(manifest["rulebook_id"])
    focus = getattr(mod, "explain_focus", None)
    # the month's input rows of this manager
    warnings: list[str] = []
    rows_by_file: dict[str, dict] = {}
    src = Path(input_dir) if input_dir else Path(run.get("run", {}).get("input_dir", ""))
    if src and (src / month).is_dir():
        inputs, issues = load_month(src / month, parse_month(month), mod.FILES, rb.sheet if rb else "", mod.TRACKS)
        recorded = {i["file"]: i["sha256"] for i in manifest.get("inputs", [])}
        for name, t in inputs.tables.items():
            if not t.present:
                continue
            if recorded.get(t.file) != t.sha256:
                warnings.append(f"{t.file} changed since the run (sha256 differs): rows shown are today's")
            f = t.frame
            key = "manager_id" if name != "roster" else "manager_id"
            mine = f.filter(pl.col(key) == manager_id) if key in f.columns else f.clear()
            if name == "roster":
                mine = f.filter((pl.col("manager_id") == manager_id) | (pl.col("supervisor_id") == manager_id))
            rows_by_file[name] = {
                "file": t.file, "sheet": t.sheet,
                "rows": [_jsonable({k: v for k, v in r.items() if k != "_sheet"} | {"sheet": r["_sheet"]})
                         for r in mine.sort("_row").to_dicts()],
            }
        if issues:
            warnings.append(f"the inputs have {len(issues)} error(s) today; the run used earlier versions")
    else:
        warnings.append("input folder not found: give --input to see the input rows")
    components = []
    total = 0
    for c in mod.COMPONENTS[:-1]:
        key = c.key
        amount = row[key]
        total += amount
        entry = {
            "key": key, "label": c.label, "amount": _yuan(amount), "article": c.article,
            "rule": c.rule(values) if values is not None else "",
            "parameters": [dict(params[p], value=focus(p, params[p]["value"], row)) if focus else params[p]
                           for p in c.params if p in params],
            "figures": [{"label": f.label, "value": _figure(f.kind, row.get(f.column))} for f in c.figures],
            "inputs": [_input_view(rows_by_file[f], f, manager_id) for f in c.inputs if f in rows_by_file],
        }
        rule_amount = row.get(f"rule_{key}")
        if rule_amount is not None and rule_amount != amount:
            entry["override"] = {"rule_amount": _yuan(rule_amount), "article": "S-Art.34"}
        components.append(entry)
    return {
        "month": month, "manager_id": manager_id, "name": row["name"], "branch": row["branch"],
        "version": version or led.months[month].version,
        "rulebook": {"id": manifest["rulebook_id"], "source": manifest["rulebook_source"],
                     "sha256": manifest["rulebook_sha256"]},
        "status": _figure("status", row["status"]), "track": row["track"],
        "payment_status": row.get("payment_status"),
        "components": components,
        "gross_pay": {"label": mod.COMPONENTS[-1].label, "amount": _yuan(row["gross_pay"]),
                      "sum_of_components": _yuan(total), "agrees": total == row["gross_pay"]},
        **_tax(row, rb, rows_by_file, manager_id),
        "warnings": warnings,
    }


def _tax(row: dict, rb, rows_by_file: dict, manager_id: str) -> dict:
    """SPEC 9 — the 代扣项目 of a month with a deductions file, each traced like a component (the tax
    parameters in force in the month of receipt, the figures of the computation, the deductions row);
    {} for a month without one."""
    if row.get("net_pay") is None:
        return {}
    from cm_payroll.rulebooks.tax.apply import tax_rulebook
    from cm_payroll.rulebooks.tax.components import TAX_COMPONENTS, article_of
    try:
        trb = tax_rulebook(rb) if rb is not None else None
    except UsageError:
        trb = None
    used = {p["name"]: p for p in trb.used(row["tax_receipt_month"])} if trb is not None else {}
    entries = []
    for c in TAX_COMPONENTS[:-1]:
        entries.append({
            "key": c.key, "label": c.label, "amount": _yuan(row[c.key]), "article": article_of(c, row),
            "rule": c.rule(None), "basis": c.basis(row, None, 0),
            "parameters": [used[p] for p in c.params if p in used],
            "figures": [{"label": f.label, "value": _figure(f.kind, row.get(f.column))} for f in c.figures],
            "inputs": [_input_view(rows_by_file[f], f, manager_id) for f in c.inputs if f in rows_by_file],
        })
    deducted = sum(row[c.key] for c in TAX_COMPONENTS[:-1])
    net = TAX_COMPONENTS[-1]
    return {"withholding": entries,
            "net_pay": {"label": net.label, "amount": _yuan(row["net_pay"]), "basis": net.basis(row, None, 0),
                        "gross_less_deductions": _yuan(row["gross_pay"] - deducted),
                        "carried_to_next_month": _yuan(row["carry_forward"]),
                        "agrees": max(row["gross_pay"] - deducted, 0) == row["net_pay"]}}


def _run_json(root: Path, month: str) -> dict:
    """The month's run.json (read without following links, size-capped), {} when unreadable."""
    try:
        return json.loads(read_under(root, f"{month}/run.json", 16 << 20))
    except (OSError, ValueError, RefusedError):
        return {}


def _rulebook_of(led: Ledger, manifest: dict):
    """The rulebook the run used: kept in the ledger (its sha256 in the manifest), else the file the
    manifest names when it still has that content; None when neither."""
    sha = manifest.get("rulebook_sha256", "")
    data = led.rulebook_bytes(sha)
    source = manifest.get("rulebook_source", "")
    if data is None:
        try:
            rb = load_rulebook(source.removeprefix("builtin:") if source.startswith("builtin:") else source)
        except UsageError:
            return None
        return rb if rb.sha256 == sha else None
    return rulebook_from_bytes(data, source)


def _input_view(block: dict, name: str, manager_id: str) -> dict:
    rows = block["rows"]
    view = {"file": block["file"], "sheet": block["sheet"]}
    if name == "clients":
        counted = [r for r in rows if r.get("origin") != "transferred"]
        excluded = [r for r in rows if r.get("origin") == "transferred"]
        view["rows"] = [r["_row"] for r in counted]
        view["excluded_rows"] = [r["_row"] for r in excluded]
        view["note"] = (f"{len(counted)} client row(s) counted, {len(excluded)} transferred-in row(s) "
                        f"excluded (S-Art.36)")
        view["detail"] = counted + excluded
    elif name == "roster":
        own = [r for r in rows if r["manager_id"] == manager_id]
        sup = [r for r in rows if r["manager_id"] != manager_id]
        view["rows"] = [r["_row"] for r in own]
        view["supervisee_rows"] = [r["_row"] for r in sup]
        view["detail"] = own + sup
    else:
        view["rows"] = [r["_row"] for r in rows]
        view["detail"] = rows
    return view


PAYMENT = {"normal": "正常", "withheld": "暂扣"}
TRACK = {"sales": "销售类", "advisor": "理财类", "credit": "信贷类"}
_WORDS = {
    "status": ("status", "状态"), "payment": ("payment", "发放状态"), "rule": ("rule", "规则"),
    "parameters": ("parameters", "参数"), "figures": ("figures", "数据"), "input": ("input", "输入"),
    "rows": ("row(s)", "行"), "excluded": ("transferred-in, not counted: row(s)", "内部转入不计 行"),
    "supervisees": ("supervisees: row(s)", "督导对象 行"), "override": ("override (S-Art.34): the rules gave",
                                                                    "特殊处理(S-Art.34)：规则计算"),
    "yuan": ("元", "元"), "sum": ("= sum of the components", "= 各项之和"), "agrees": ("agrees", "一致"),
    "differs": ("DIFFERS", "不一致！"), "note": ("note", "注意"), "name": ("parameter", "参数"),
    "value": ("value", "取值"), "article": ("article", "条款"), "origin": ("origin", "来源"),
    "from": ("in force from", "生效月份"), "yes": ("yes", "是"), "no": ("no", "否"),
    "S": ("S seed", "S 细则原文"), "D": ("D default", "D 默认值"),
}


def _word(key: str, lang: str) -> str:
    return _WORDS[key][1 if lang == "zh" else 0]


def _labels(doc: dict) -> dict[str, str]:
    """Codes a clerk should read as words: statuses, payment statuses, tracks, and the level keys of the
    rulebook (from the `levels` parameters the explanation carries: key → Chinese name)."""
    names = {**STATUS, **PAYMENT, **TRACK}

    def walk(v) -> None:
        if isinstance(v, dict):
            if isinstance(v.get("key"), str) and isinstance(v.get("name"), str):
                names[v["key"]] = v["name"]
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    for c in doc["components"]:
        walk([p.get("value") for p in c["parameters"]])
    return names


def _shown(v, lang: str, names: dict[str, str]) -> str:
    """A figure or parameter value as a clerk reads it: 是/否 for booleans, words for codes, k = v for
    tables of values."""
    if isinstance(v, bool):
        return _word("yes" if v else "no", lang)
    if isinstance(v, dict):
        if isinstance(v.get("key"), str) and isinstance(v.get("name"), str):
            rest = ", ".join(f"{k} = {_shown(x, lang, names)}" for k, x in v.items() if k not in ("key", "name"))
            return f"{v['name']} ({v['key']})" + (f": {rest}" if rest else "")
        return "\n".join(f"{k} = {_shown(x, lang, names)}" for k, x in v.items())
    if isinstance(v, list):
        if v and all(isinstance(x, dict) for x in v):
            return "\n".join(_shown(x, lang, names) for x in v)
        return ", ".join(_shown(x, lang, names) for x in v)
    if v is None:
        return "—"
    text = str(v)
    if lang == "zh":
        code, _, label = text.partition(" ")
        if label and STATUS.get(code) == label:          # "active 在岗" → 在岗
            return label
        return names.get(text, text)
    return text


def render_tree(doc: dict, lang: str = "zh"):
    """A rich Tree for the terminal: labels in the clerk's words (在岗, 正常, 高级客户经理二级, 是/否 under
    zh), each component's parameters as a table."""
    from rich.markup import escape
    from rich.table import Table
    from rich.tree import Tree

    from cm_payroll.i18n import translate
    names = _labels(doc)
    w = lambda k: _word(k, lang)          # noqa: E731
    status = _shown(doc["status"], lang, names)
    payment = _shown(doc["payment_status"], lang, names)
    head = (f"[bold]{escape(doc['manager_id'])} {escape(str(doc['name']))}[/] {escape(str(doc['branch']))} "
            f"{doc['month']} (v{doc['version']}) — {w('status')} {escape(status)}, {w('payment')} {escape(payment)}")
    tree = Tree(head)
    for c in doc["components"]:
        node = tree.add(f"[bold]{escape(c['label'])}[/] {c['amount']} {w('yuan')}  [dim]{escape(c['article'])}[/]")
        node.add(f"{w('rule')}: {escape(c['rule'])}")
        if c.get("override"):
            node.add(f"[yellow]{w('override')} {c['override']['rule_amount']} {w('yuan')}[/]")
        if c["parameters"]:
            table = Table(show_lines=False, box=None, padding=(0, 1))
            for col in ("name", "value", "article", "origin", "from"):
                table.add_column(w(col), style="bold" if col == "name" else ("dim" if col != "value" else None),
                                 overflow="fold")
            for p in c["parameters"]:
                origin = p.get("origin", "")
                table.add_row(escape(p["name"]), escape(_shown(p["value"], lang, names)), escape(str(p["article"])),
                              w(origin) if origin in ("S", "D") else escape(str(origin)),
                              escape(str(p["effective_from"])))
            node.add(table)
        if c["figures"]:
            fn = node.add(w("figures"))
            for f in c["figures"]:
                fn.add(f"{escape(f['label'])}: {escape(_shown(f['value'], lang, names))}")
        for i in c["inputs"]:
            where = escape(f"{i['file']}" + (f" [{i['sheet']}]" if i.get("sheet") else ""))
            text = f"{w('input')} {where} {w('rows')} {', '.join(map(str, i['rows'])) or '—'}"
            sep = "；" if lang == "zh" else "; "
            if i.get("excluded_rows"):
                text += f"{sep}{w('excluded')} {', '.join(map(str, i['excluded_rows']))}"
            if i.get("supervisee_rows"):
                text += f"{sep}{w('supervisees')} {', '.join(map(str, i['supervisee_rows']))}"
            node.add(text)
    g = doc["gross_pay"]
    tree.add(f"[bold]{escape(g['label'])} {g['amount']} {w('yuan')}[/] {w('sum')} {g['sum_of_components']} "
             f"({w('agrees') if g['agrees'] else w('differs')})")
    if doc.get("withholding"):
        wn = tree.add("[bold]代扣项目[/]")
        for c in doc["withholding"]:
            node = wn.add(f"[bold]{escape(c['label'])}[/] {c['amount']} {w('yuan')}  [dim]{c['article']}[/]")
            node.add(f"规则: {c['rule']}")
            if c["basis"]:
                node.add(f"计算: {c['basis']}")
            if c["parameters"]:
                pn = node.add("参数")
                for p in c["parameters"]:
                    pn.add(f"{p['name']} = {json.dumps(p['value'], ensure_ascii=False)}  "
                           f"[dim]({p['article']}, {p['origin']}, 自 {p['effective_from']} 起)[/]")
            shown = [f for f in c["figures"] if f["value"] is not None]
            if shown:
                fn = node.add("数据")
                for f in shown:
                    fn.add(f"{f['label']}: {f['value']}")
            for i in c["inputs"]:
                where = f"{i['file']}" + (f" [{i['sheet']}]" if i.get("sheet") else "")
                node.add(f"输入 {where} 行 {', '.join(map(str, i['rows'])) or '—'}")
        n = doc["net_pay"]
        tree.add(f"[bold]{escape(n['label'])} {n['amount']} {w('yuan')}[/] = 应发合计 − 各代扣项目 {n['gross_less_deductions']} "
                 f"({'一致' if n['agrees'] else '不一致!'})")
    for note in doc["warnings"]:
        tree.add(f"[yellow]{w('note')}: {escape(translate(note, lang))}[/]")
    return tree
