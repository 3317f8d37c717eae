"""The CLI's finish: --lang, progress bars (only on a terminal), init, help rules, completion, --version."""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from cm_payroll import __version__, i18n
from cm_payroll.cli import StageProgress, app
from cm_payroll.rulebook import builtin_path, load_rulebook
from tests.helpers import cli_path, make_inputs, run_cli

runner = CliRunner()


def _invoke(*args: str, env: dict | None = None):
    base = {"CM_PAYROLL_LANG": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8", "COLUMNS": "200",
            "NO_COLOR": "1"}
    return runner.invoke(app, list(args), env={**base, **(env or {})})


def test_version_and_completion() -> None:
    r = _invoke("--version")
    assert r.exit_code == 0 and r.stdout.strip() == f"cm-payroll {__version__}"
    # the shell named on the command line, whatever $SHELL or the parent process is (Typer's switch
    # that turns off its detection; tests/test_clerk.py tries other login shells)
    env = dict(os.environ, _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1", SHELL="/bin/sh")
    r = subprocess.run(cli_path() + ["--show-completion", "bash"], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 0 and "_CM_PAYROLL_COMPLETE=complete_bash" in r.stdout


def test_default_language_from_locale() -> None:
    assert i18n.default_lang({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert i18n.default_lang({"LANG": "en_US.UTF-8"}) == "en"
    assert i18n.default_lang({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}) == "zh"
    assert i18n.default_lang({"CM_PAYROLL_LANG": "en", "LANG": "zh_CN.UTF-8"}) == "en"
    assert i18n.default_lang({}) == "en"
    for key, entry in i18n.MESSAGES.items():               # every message in both languages
        assert set(entry) == {"zh", "en"}, key


def test_messages_in_chinese_and_english(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    r = _invoke("month", "2013-01", "-i", str(inp), "-o", str(tmp_path / "zh"), "--lang", "zh")
    assert r.exit_code == 0, r.output
    assert "工资汇总表" in r.stdout and "薪酬单" in r.stdout and "应发合计(元)" in r.stdout
    r = _invoke("month", "2013-01", "-i", str(inp), "-o", str(tmp_path / "en"), env={"LANG": "zh_CN.UTF-8"},
                )
    assert r.exit_code == 0 and "工资汇总表" in r.stdout          # the locale decides by default
    r = _invoke("--lang", "en", "month", "2013-01", "-i", str(inp), "-o", str(tmp_path / "en2"))
    assert r.exit_code == 0 and "payroll summary:" in r.stdout
    r = _invoke("month", "2013-01", "-i", str(inp), "-o", str(tmp_path / "x"), "--lang", "fr")
    assert r.exit_code == 2
    (inp / "2013-01" / "scores.csv").write_text("manager_id,score\nA1,abc\n", encoding="utf-8")
    r = _invoke("validate", "2013-01", "-i", str(inp), "--lang", "zh")
    assert r.exit_code == 1 and "输入文件有" in r.output and "scores.csv" in r.output


def test_progress_only_on_a_terminal(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    r = run_cli("month", "2013-02", "-i", str(inp), "-o", str(tmp_path / "out"))
    assert r.returncode == 0 and r.stderr == ""                  # not a TTY: no progress at all
    r = run_cli("month", "2013-02", "-i", str(inp), "-o", str(tmp_path / "out2"), "--json")
    assert json.loads(r.stdout)["ok"] is True and r.stderr == ""
    # on a terminal: bars for the stages, the slips of each month
    i18n.set_lang("en")
    buf = io.StringIO()
    p = StageProgress(Console(file=buf, force_terminal=True, width=120))
    p("plan", "2013-01,2013-02")
    for m in ("2013-01", "2013-02"):
        p("load", m)
        p("rules", m)
    for m in ("2013-01", "2013-02"):
        p("write", m)
        for k in range(1, 4):
            p.tick("slips", m, k, 3)
    p("commit", "2013-02")
    p.progress.refresh()
    shown = buf.getvalue()
    p.close()
    assert "computing" in shown and "writing outputs" in shown
    assert "pay slips" in shown and "3/3" in shown


def test_init_scaffolds_a_branch(tmp_path: Path) -> None:
    branch = tmp_path / "hz"
    r = _invoke("init", str(branch), "--year", "2013", "--lang", "zh")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in branch.iterdir() if p.is_dir()) == [f"2013-{k:02d}" for k in range(1, 13)]
    assert (branch / "rulebook.toml").read_bytes() == builtin_path("securities").read_bytes()   # comments kept
    assert load_rulebook(str(branch / "rulebook.toml")).id == "securities"
    readme = (branch / "README.md").read_text("utf-8")
    for words in ("cm-payroll month 2013-01", "cm-payroll validate", "rulebook.toml", "工号", "passwords.csv",
                  "--protect-slips", "help rules"):
        assert words in readme, words
    assert "已在" in r.stdout
    # a second init is refused; --force rewrites the scaffold but never a month's files
    (branch / "2013-01" / "roster.csv").write_text("keep", encoding="utf-8")
    r = _invoke("init", str(branch), "--year", "2013")
    assert r.exit_code == 3 and "--force" in r.output
    (branch / "rulebook.toml").write_text("# edited\n", encoding="utf-8")
    r = _invoke("init", str(branch), "--year", "2013", "--with-templates")   # adds templates, keeps the rest
    assert r.exit_code == 0 and (branch / "rulebook.toml").read_text("utf-8") == "# edited\n"
    assert (branch / "templates" / "slip.html.j2").is_file() and (branch / "templates" / "slip.css").is_file()
    r = _invoke("init", str(branch), "--year", "2013", "--force")
    assert r.exit_code == 0 and (branch / "2013-01" / "roster.csv").read_text("utf-8") == "keep"
    assert (branch / "rulebook.toml").read_bytes() == builtin_path("securities").read_bytes()


def test_scaffolded_branch_runs_with_its_own_rulebook_and_templates(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    r = _invoke("init", str(inp), "--year", "2013", "--with-templates", "--force")
    assert r.exit_code == 0, r.output
    css = inp / "templates" / "slip.css"
    css.write_text(css.read_text("utf-8") + "\n/* 本营业部样式 */\n", encoding="utf-8")
    r = _invoke("month", "2013-01", "-i", str(inp), "-o", str(tmp_path / "out"), "--rules",
                str(inp / "rulebook.toml"), "--format", "xlsx,html")
    assert r.exit_code == 0, r.output
    assert "本营业部样式" in (tmp_path / "out" / "2013-01" / "slips" / "A1.html").read_text("utf-8")


def test_help_rules_lists_parameters_with_articles() -> None:
    r = run_cli("help", "rules", "--month", "2013-12", "--lang", "en")      # COLUMNS=200: no wrapping
    assert r.returncode == 0, r.stderr
    rb = load_rulebook("securities")
    for name, p in rb.parameters.items():
        assert name in r.stdout
        for art in p.article.split(", "):
            assert art in r.stdout, (name, art)
    assert "S seed" in r.stdout and "D default" in r.stdout and "exception types" in r.stdout
    r = _invoke("help", "rules", "--lang", "zh", "--month", "2013-12")
    assert r.exit_code == 0 and "条款" in r.stdout and "生效月份" in r.stdout
    r = _invoke("help", "rules", "--rules", "nowhere.toml")
    assert r.exit_code == 2


def test_cli_usage_error_for_format_keeps_exit_codes(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    r = _invoke("month", "2013-01", "-i", str(inp), "-o", str(tmp_path / "o"), "--format", "xlsx,docx", "--json")
    assert r.exit_code == 2
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and "--format" in doc["error"]
    assert not (tmp_path / "o" / "2013-01").exists()
