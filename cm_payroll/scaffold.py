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
         "money": "金额(元)", "money_nonneg": "金额(元，不小于0)", "score": "数值"}


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


def _files(rules: str) -> list[dict]:
    """The rulebook's input files as the README's table shows them."""
    from cm_payroll.rulebooks import module_for
    try:
        mod = module_for(rules)
    except (KeyError, ImportError):
        return []
    return [{"name": spec.name, "zh": spec.zh,
             "when": "每月必需" if spec.required else ("季末月份" if spec.months == "quarter_end" else "有则提供"),
             "columns": [{"zh": c.zh, "required": c.required, "kind": KINDS.get(c.kind, c.kind)}
                         for c in spec.columns]}
            for spec in mod.FILES]


def _readme(rb, rules: str, year: int) -> str:
    """The branch's README.md, from the Jinja2 template templates/init/README.md.j2."""
    import jinja2
    from cm_payroll.render.documents import builtin_templates
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(builtin_templates() / "init")),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    return env.get_template("README.md.j2").render(title=rb.title, year=year, first=f"{year}-01",
                                                   files=_files(rules))


__all__ = ["Scaffold", "init_branch"]
