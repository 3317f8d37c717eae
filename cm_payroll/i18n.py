"""Every message a person reads, in Chinese and English (`--lang zh|en`).

- MESSAGES: what cli.py itself prints (headings, the summary lines, progress stage names, its own
  errors), by key, in both languages.
- HELP_ZH (i18n_help.py): the `--help` texts, keyed by their English text (cli.py declares them in
  English; the group swaps them in before Click formats the help).
- CATALOG (i18n_catalog.py): the messages raised by the library (input errors naming
  file/sheet/row/column, refusals, usage errors) and by the libraries under it (Click, polars,
  fastexcel, openpyxl), as regular expressions over the English text with their Chinese; `translate`
  applies them at the edge, where a message is printed. A message the catalog does not know is shown
  as it is (English), never dropped.

The language is, first found: `--lang`, the environment variable CM_PAYROLL_LANG, the locale (LC_ALL,
LC_MESSAGES, LANG: zh_* → zh), else English.
"""

from __future__ import annotations

import os
import re

LANGS = ("zh", "en")

MESSAGES: dict[str, dict[str, str]] = {
    # the month's life (lifecycle.py)
    "life.title": {"en": "{root}: months", "zh": "{root}:各月状态"},
    "life.col.state": {"en": "state", "zh": "状态"},
    "life.col.by": {"en": "prepared by", "zh": "计算"},
    "life.col.signatures": {"en": "signatures", "zh": "签字"},
    "life.col.open": {"en": "open approvals", "zh": "待审批"},
    "life.col.corrections": {"en": "corrections", "zh": "更正"},
    "life.pending": {"en": "pending corrections (booked in the next month computed): {n}",
                     "zh": "待入账更正(计入下一个计算的月份):{n} 笔"},
    "life.signed": {"en": "{month}: {role} signed by {by}; the month is now {state}",
                    "zh": "{month}:{role}已由 {by} 签字,本月状态:{state}"},
    "life.approved": {"en": "{month}: {n} approval(s) recorded; list of approvals: {path}",
                      "zh": "{month}:已记录 {n} 项审批;审批记录:{path}"},
    "life.approved_none": {"en": "{month}: every approval of the file was recorded already",
                           "zh": "{month}:文件中的审批均已记录,无新增"},
    "life.released": {"en": "{month} released: {paid} paid, {withheld} withheld, {total} 元 in all",
                      "zh": "{month} 已发放:发放 {paid} 人,暂扣 {withheld} 人,合计 {total} 元"},
    "life.released_withheld": {"en": "{month}: withheld pay of {manager} released, {amount} 元: {path}",
                               "zh": "{month}:{manager} 的暂扣薪酬已发放,{amount} 元:{path}"},
    "life.file": {"en": "  {path}", "zh": "  {path}"},
    "life.correction": {"en": "correction {kind} {manager} {amount} 元 (difference in {corrects}) booked in {booked}",
                        "zh": "更正 {kind} {manager} {amount} 元({corrects} 的差额)计入 {booked}"},
    "life.correction_next": {"en": "the next month computed", "zh": "下一个计算的月份"},
    "life.discarded": {"en": "{month}: the signature {role} ({by}) was discarded; the month is a draft again",
                       "zh": "{month}:{role}签字({by})已作废,本月重新成为草稿"},
    "life.unchanged": {"en": "recomputed with the same result (outputs and signatures kept): {months}",
                       "zh": "重新计算结果不变(输出文件与签字保留):{months}"},
    "life.audit_clean": {"en": "audit: no findings ({notes} note(s)) in {roots} output folder(s)",
                         "zh": "审计:{roots} 个输出目录未发现问题(说明 {notes} 项)"},
    "life.audit_findings": {"en": "audit: {n} finding(s), {notes} note(s)", "zh": "审计:发现问题 {n} 项,说明 {notes} 项"},
    "life.report": {"en": "audit report: {path}", "zh": "审计报告:{path}"},

    # run summary
    "table.title": {"en": "cm-payroll — {rulebook}", "zh": "cm-payroll — {rulebook}"},
    "col.month": {"en": "month", "zh": "月份"},
    "col.version": {"en": "version", "zh": "版本"},
    "col.managers": {"en": "managers", "zh": "人数"},
    "col.exceptions": {"en": "exceptions", "zh": "例外事项"},
    "col.gross": {"en": "gross pay (元)", "zh": "应发合计(元)"},
    "col.folder": {"en": "folder", "zh": "目录"},
    "out.summary": {"en": "payroll summary: {path}", "zh": "工资汇总表：    {path}"},
    "out.slips": {"en": "pay slips:       {path}/", "zh": "薪酬单：        {path}/"},
    "out.exceptions": {"en": "exceptions:      {path}", "zh": "例外事项报告：  {path}"},
    "out.passwords": {"en": "slip passwords:  {path}  (keep apart from the slips)",
                      "zh": "薪酬单密码表：  {path}(请与薪酬单分开保管)"},
    "out.nothing_to_do": {"en": "nothing to do: every month with input files is computed and its inputs are "
                                "unchanged", "zh": "无需计算：有输入文件的月份均已计算，且输入未变"},
    "out.pending": {"en": "pending (no input files yet): {months}", "zh": "待处理(尚无输入文件)：{months}"},
    "out.rulebook_changed": {"en": "the rulebook changed: {n} parameter(s) listed in the exceptions report and "
                                   "run.json", "zh": "规则已变更：{n} 项参数变更已列入例外事项报告和 run.json"},
    "out.output_changed": {"en": "warning: {month}/{file} was {change} after its run (listed as output_changed "
                                 "in the exceptions report)",
                           "zh": "警告：{month}/{file} 在运行后{change}(已列入例外事项报告：输出文件被改动)"},
    "change.edited": {"en": "edited", "zh": "被修改"},
    "change.deleted": {"en": "deleted", "zh": "被删除"},
    "change.added": {"en": "added", "zh": "被加入"},
    # errors
    "err.input": {"en": "{n} input error(s){where}; nothing was written.",
                  "zh": "输入文件有 {n} 处错误{where}，未写出任何文件。"},
    "err.input.sep": {"en": " ", "zh": ""},
    "err.input.where": {"en": " in {month}", "zh": "({month})"},
    "err.input.fix": {"en": "Fix them and run again:", "zh": "请改正后重新运行："},
    "err.more": {"en": "… and {n} more (use --json for all)", "zh": "…… 另有 {n} 处(用 --json 查看全部)"},
    "err.error": {"en": "error:", "zh": "错误："},
    "err.interrupted": {"en": "interrupted; nothing was changed", "zh": "已中断，未作任何更改"},
    "err.interrupted.journaled": {"en": "interrupted during the commit, which was journaled: the next run (or any "
                                        "cm-payroll command on this output folder) completes it",
                                  "zh": "在提交过程中中断；提交已记入日志，下一次运行(或对该输出目录运行任何 "
                                        "cm-payroll 命令)会完成它"},
    "err.wait": {"en": "--wait {value!r}: give a number of seconds (--wait=60) or none (--wait: no limit)",
                 "zh": "--wait {value!r}：请给出秒数(--wait=60)，或不给(--wait：一直等待)"},
    "wait.waiting": {"en": "another cm-payroll run holds the output folder; waiting for it to finish{limit} …",
                     "zh": "另一个 cm-payroll 正在处理该输出目录，等待其结束{limit}……"},
    "wait.limit": {"en": " (at most {n} s)", "zh": "(最多 {n} 秒)"},
    "out.no_differences": {"en": "no differences: the recomputed month(s) {months} give the same payroll "
                                 "summary and exceptions report as before; no correction was booked",
                           "zh": "没有差异：重新计算的月份 {months} 的工资汇总表和例外事项报告与之前完全相同，"
                                 "未产生差错更正"},
    "sample.no_generator": {"en": "no sample generator for rulebook {rules!r}",
                            "zh": "规则 {rules!r} 没有样例数据生成器"},
    "sample.exists": {"en": "{path} already holds month folders; use --force to replace them",
                      "zh": "{path} 中已有月份文件夹；如需替换请加 --force"},
    "sample.done": {"en": "wrote {n} files under {path}", "zh": "已在 {path} 下写出 {n} 个文件"},
    "whatif.workbook": {"en": "what-if comparison: {path}", "zh": "模拟测算对比表：{path}"},
    "whatif.gross": {"en": "gross pay difference (元): {amount}", "zh": "应发合计差额(元)：{amount}"},
    # progress stages
    "stage.load": {"en": "loading and validating", "zh": "读取并校验输入"},
    "stage.rules": {"en": "applying the rules", "zh": "计算薪酬"},
    "stage.write": {"en": "writing outputs", "zh": "写出报表"},
    "stage.slips": {"en": "pay slips", "zh": "薪酬单"},
    "stage.commit": {"en": "committing the ledger", "zh": "提交台账"},
    "stage.compute": {"en": "computing", "zh": "逐月计算"},
    # validate
    "validate.ok": {"en": "ok  {file}  ({rows} rows)", "zh": "通过  {file}({rows} 行)"},
    "validate.warning": {"en": "warning: {message}", "zh": "警告：{message}"},
    # init
    "init.done": {"en": "scaffolded a branch in {dir}: {months} month folders, {rules}, {readme}",
                  "zh": "已在 {dir} 建立营业部目录：{months} 个月份文件夹、{rules}、{readme}"},
    "init.next": {"en": "next: put the month's exports into {first}/ and run\n  cm-payroll month {month} "
                        "--input {dir} --output {dir}/out --rules {rules}",
                  "zh": "下一步：把当月导出的文件放入 {first}/，然后运行\n  cm-payroll month {month} "
                        "--input {dir} --output {dir}/out --rules {rules}"},
    "init.exists": {"en": "{path} already exists; use --force to overwrite the scaffold's files "
                          "(month folders and their files are never touched)",
                    "zh": "{path} 已存在；如需覆盖模板文件请加 --force(月份文件夹及其中文件不会被改动)"},
    # help rules
    "rules.title": {"en": "{title} — parameters in force in {month} ({source})",
                    "zh": "{title} — {month} 适用的参数({source})"},
    "rules.col.name": {"en": "parameter", "zh": "参数"},
    "rules.col.article": {"en": "article", "zh": "条款"},
    "rules.col.origin": {"en": "origin", "zh": "来源"},
    "rules.col.from": {"en": "in force from", "zh": "生效月份"},
    "rules.col.value": {"en": "value", "zh": "取值"},
    "rules.col.description": {"en": "description", "zh": "说明"},
    "rules.origin.S": {"en": "S seed", "zh": "S 原文"},
    "rules.origin.D": {"en": "D default", "zh": "D 默认"},
    "rules.footer": {"en": "S = the number is in the regulation; D = our default where the regulation is "
                           "silent. Edit a copy of {path} and pass --rules FILE.",
                     "zh": "S = 细则原文中的数值；D = 细则未规定时的默认值。复制并修改 {path}，运行时加 "
                           "--rules 文件路径。"},
    "rules.exceptions": {"en": "exception types", "zh": "例外事项类型"},
    "rules.col.code": {"en": "code", "zh": "代码"},
    "rules.col.label": {"en": "label", "zh": "名称"},
    "rules.col.approval": {"en": "approval", "zh": "需审批"},
    # diff
    "diff.identical": {"en": "identical: {a} = {b}", "zh": "完全相同：{a} = {b}"},
    "diff.changed": {"en": "changed cells (old → new)", "zh": "变化的单元格(旧值 → 新值)"},
    "diff.rows": {"en": "rows added / removed", "zh": "新增 / 减少的行"},
    "diff.totals": {"en": "totals of the differences (B − A)", "zh": "差额合计(B − A)"},
    "diff.col.sheet": {"en": "sheet", "zh": "工作表"},
    "diff.col.key": {"en": "工号/key", "zh": "工号/键"},
    "diff.col.column": {"en": "column", "zh": "列"},
    "diff.col.old": {"en": "old", "zh": "旧值"},
    "diff.col.new": {"en": "new", "zh": "新值"},
    "diff.col.difference": {"en": "difference", "zh": "差额"},
    "diff.col.sheet_column": {"en": "sheet/column", "zh": "工作表/列"},
    "diff.col.sum": {"en": "Σ difference", "zh": "差额合计"},
    "diff.added": {"en": "+ added", "zh": "+ 新增"},
    "diff.removed": {"en": "- removed", "zh": "- 减少"},
    "diff.sheet_added": {"en": "sheet added: {sheet}", "zh": "新增工作表：{sheet}"},
    "diff.sheet_removed": {"en": "sheet removed: {sheet}", "zh": "减少工作表：{sheet}"},
    "yes": {"en": "yes", "zh": "是"},
    "no": {"en": "no", "zh": "否"},
}

_current: str | None = None

_STRAY_SPACE = re.compile(r"(?<=[\u3000-\u303f\uff00-\uffef])[ ]+(?=[\u4e00-\u9fff])")


def default_lang(environ: dict | None = None) -> str:
    env = os.environ if environ is None else environ
    explicit = env.get("CM_PAYROLL_LANG", "").strip().lower()
    if explicit in LANGS:
        return explicit
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def set_lang(lang: str | None) -> str:
    """Set the language for this process (None: the default); returns it."""
    global _current
    if lang is not None and lang not in LANGS:
        raise ValueError(f"--lang {lang!r}: choose zh or en")
    _current = lang or default_lang()
    return _current


def lang() -> str:
    return _current or default_lang()


def t(key: str, **kw) -> str:
    entry = MESSAGES[key]
    text = entry[lang()] if lang() in entry else entry["en"]
    return text.format(**kw) if kw else text


def translate(text: str, to: str | None = None) -> str:
    """A message of the library (or of Click, polars, fastexcel, openpyxl) in the language of this run:
    in Chinese, every pattern of the catalog that matches is replaced by its Chinese, the parts it
    captured (paths, numbers, names) kept, and translated themselves where they are messages too."""
    if (to or lang()) != "zh" or not text:
        return text
    from cm_payroll.i18n_catalog import compiled
    for rx, zh in compiled():
        text = rx.sub(lambda m, zh=zh: _fill(zh, m), text)
    return _STRAY_SPACE.sub("", text)


def _fill(template, m: re.Match) -> str:
    groups = {k: (v if v is not None else "") for k, v in m.groupdict().items()}
    return template(groups) if callable(template) else template.format(**groups)


def help_text(en: str | None) -> str | None:
    """A `--help` text in the language of this run (the English one when the catalog lacks it)."""
    if en is None or lang() != "zh":
        return en
    from cm_payroll.i18n_help import HELP_ZH
    return HELP_ZH.get(" ".join(en.split()), en)


_TYPER_EN: dict[str, str] = {}
_TYPER_ZH = {"ARGUMENTS_PANEL_TITLE": "参数", "OPTIONS_PANEL_TITLE": "选项", "COMMANDS_PANEL_TITLE": "命令",
             "ERRORS_PANEL_TITLE": "错误", "ABORTED_TEXT": "已中断。", "DEFAULT_STRING": "[默认：{}]",
             "REQUIRED_LONG_STRING": "[必填]", "ENVVAR_STRING": "[环境变量：{}]",
             "RICH_HELP": "运行 [blue]'{command_path} {help_option}'[/] 查看帮助。"}


def localize_typer() -> None:
    """Typer's own words in its help pages and error panels (Options, Error, …) in this run's language."""
    from typer import rich_utils
    for name, zh in _TYPER_ZH.items():
        _TYPER_EN.setdefault(name, getattr(rich_utils, name))
        setattr(rich_utils, name, zh if lang() == "zh" else _TYPER_EN[name])
    if not getattr(rich_utils._make_rich_text, "_folds", False):
        make = rich_utils._make_rich_text

        def make_rich_text(**kw):
            # Chinese has no spaces between words: a help text is one long "word" that Rich would cut
            # with "…" at the column's edge; folded, it continues on the next line
            text = make(**kw)
            if hasattr(text, "overflow"):
                text.overflow = "fold"
            return text
        make_rich_text._folds = True
        rich_utils._make_rich_text = make_rich_text


__all__ = ["LANGS", "MESSAGES", "default_lang", "help_text", "lang", "localize_typer", "set_lang", "t",
           "translate"]
