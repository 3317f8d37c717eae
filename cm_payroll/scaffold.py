"""`cm-payroll init DIR`: lay out a branch's folder for the clerk.

    DIR/
      README.md            使用说明 (Chinese): what to put where, the commands, what comes out
      rulebook.toml        an editable copy of the built-in rulebook, comments included
      YYYY-01/ … YYYY-12/  one input folder per month of the year (empty)
      templates/           only with --templates: copies of the slip templates, used automatically
                           when DIR is the --input folder (edit them to change the slip's layout)

Month folders and anything in them are never overwritten; the scaffold's own files only with force.
On a folder already scaffolded, `--with-templates` alone adds the templates and keeps the rest.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

from cm_payroll.errors import RefusedError, UsageError
from cm_payroll.rulebook import BUILTIN, builtin_path, load_rulebook

KINDS = {"id": "工号", "text": "文字", "category": "选项", "bool": "是/否", "date": "日期",
         "money": "金额(元)", "money_nonneg": "金额(元,不小于0)", "score": "数值"}


@dataclass
class Scaffold:
    root: Path
    months: list[Path]
    rulebook: Path
    readme: Path
    templates: Path | None


def init_branch(root: Path, rules: str = "securities", year: int | None = None, force: bool = False,
                with_templates: bool = False, today: dt.date | None = None) -> Scaffold:
    if rules not in BUILTIN:
        raise UsageError(f"--rules {rules!r}: init copies a built-in rulebook ({', '.join(BUILTIN)})")
    src = builtin_path(rules)
    if not src.is_file():
        raise UsageError(f"the built-in rulebook {rules!r} is not installed")
    year = year or (today or dt.date.today()).year
    if not 1990 <= year <= 2100:
        raise UsageError(f"--year {year}: out of range")
    root = Path(root)
    rb_file, readme = root / "rulebook.toml", root / "README.md"
    existing = [p for p in (rb_file, readme) if p.exists()]
    keep = bool(existing) and not force and with_templates      # add the templates to a branch
    if existing and not force and not with_templates:
        raise RefusedError(f"{existing[0]} already exists; use --force to overwrite the scaffold's files "
                           f"(month folders and their files are never touched)")
    root.mkdir(parents=True, exist_ok=True)
    months = []
    for k in range(1, 13):
        d = root / f"{year}-{k:02d}"
        d.mkdir(exist_ok=True)
        months.append(d)
    if not keep:
        rb_file.write_bytes(src.read_bytes())
        rb = load_rulebook(str(rb_file))      # the copy must load as a branch file
        readme.write_text(_readme(rb, rules, year), encoding="utf-8")
    tdir = None
    if with_templates:
        from cm_payroll.render.documents import builtin_templates
        tdir = root / "templates"
        tdir.mkdir(exist_ok=True)
        for f in sorted(builtin_templates().iterdir()):
            if f.is_file() and (force or not (tdir / f.name).exists()):
                shutil.copyfile(f, tdir / f.name)
    return Scaffold(root, months, rb_file, readme, tdir)


def _files_table(rules: str) -> str:
    from cm_payroll.rulebooks import module_for
    try:
        mod = module_for(rules)
    except (KeyError, ImportError):
        return ""
    lines = ["| 文件名 | 内容 | 是否必需 | 列(* 为必需列) |", "|---|---|---|---|"]
    for spec in mod.FILES:
        cols = "、".join(f"{c.zh}{'*' if c.required else ''}({KINDS.get(c.kind, c.kind)})"
                        for c in spec.columns)
        when = "每月必需" if spec.required else ("季末月份" if spec.months == "quarter_end" else "有则提供")
        lines.append(f"| `{spec.name}` | {spec.zh} | {when} | {cols} |")
    return "\n".join(lines)


def _readme(rb, rules: str, year: int) -> str:
    first = f"{year}-01"
    return f"""# {rb.title} — 营业部薪酬计算目录

本目录由 `cm-payroll init` 生成,供薪酬经办人每月使用。

## 目录结构

```
README.md          本说明
rulebook.toml      本营业部的参数文件(由内置规则复制而来,可修改,见下文)
{year}-01/ … {year}-12/  每月一个文件夹,放入当月从后台系统导出的文件
out/               计算结果(首次运行时自动生成)
```

## 每月操作

1. 把当月导出的文件放入对应月份文件夹,例如 `{first}/`。文件按名称识别,可以是 `.xlsx`、`.xls`、
   `.csv`(UTF-8 或 GBK)或 `.parquet`;表头可用中文或英文;表头上方的标题行、空行和“合计”行可以保留。
2. 先检查输入(不写出任何文件):

   ```sh
   cm-payroll validate {first} --input . --rules rulebook.toml
   ```

   每个错误都会指出文件、工作表、Excel 行号和列名。全部改正后再计算。
3. 计算当月薪酬:

   ```sh
   cm-payroll month {first} --input . --output out --rules rulebook.toml
   ```

   如需 PDF 或网页版薪酬单:加 `--format xlsx,html,pdf`。如需给每份薪酬单加密码:加 `--protect-slips`
   (见下文“薪酬单密码”)。同一年中前面未计算的月份会先按顺序计算。
4. 结果在 `out/<月份>/`:
   - `payroll_<月份>.xlsx`:工资汇总表(含合计行、签字栏;“图表”页为按级别与状态的应发合计)
   - `slips/<工号>.xlsx`(及 `.html`、`.pdf`):每人一张 A4 薪酬单
   - `exceptions_<月份>.xlsx`:需要人工处理或审批的例外事项(“汇总”页为各类型件数)
   - `run.json`:本次运行所用参数、输入输出文件的校验值
5. 已计算(已关闭)的月份不能直接重算。输入有误需要更正时,改正输入后运行
   `cm-payroll month <月份> --force …`:旧结果保存在 `out/history/`,差额作为补发/追回计入下一个未关闭月份。

退出码:0 成功;1 输入有错误(未写出任何文件);2 用法错误;3 被拒绝(月份已关闭、另一进程正在运行、台账损坏)。

## 输入文件

{_files_table(rules)}

## 参数文件 rulebook.toml

每个参数都注明条款(article)和来源(origin:S 为细则原文,D 为默认值),并按生效月份(from)记录取值。
本营业部的本地标准(S-Art.2)在这里修改:改一个取值,或增加一条新的 `{{ from = "YYYY-MM", value = … }}`
使新标准从某月起生效。查看当前生效的参数及其条款:

```sh
cm-payroll help rules --rules rulebook.toml
```

## 薪酬单样式

薪酬单的网页版和 PDF 版由模板生成。要修改样式,运行 `cm-payroll init . --with-templates`
把内置模板复制到 `templates/`(已有的 README.md、rulebook.toml 保持不变;本目录作为 `--input` 时自动使用模板),然后修改 `templates/slip.html.j2`
或 `templates/slip.css`;也可以用 `--templates 文件夹` 指定其他位置。

## 薪酬单密码(--protect-slips)

每份薪酬单(.xlsx、.pdf)用本人密码加密。密码由营业部密钥和工号算出(见 rulebook.toml 的
`[slip_protection]`),密钥放在环境变量 `CM_PAYROLL_SLIP_SECRET` 中,不要写进任何文件。
密码表 `out/<月份>/passwords.csv` 只给经办人使用:**不要随薪酬单一起发出**,请把密码单独告知本人,
用完后妥善保管或删除。加密的薪酬单每次生成的文件内容都不同(加密使用随机数),这是正常的。
"""


__all__ = ["Scaffold", "init_branch"]
