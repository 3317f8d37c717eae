"""A clerk's first hour (issue 16): the README's examples run as written, every message in Chinese
under --lang zh, whole lines without a terminal, --json answers for every outcome (reason, the
success keys, usage errors too), --wait for the lock, Ctrl-C, `--force` without differences, the
--help texts, and WeasyPrint's .notdef warning once per character."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cm_payroll import i18n
from cm_payroll.cli import REASONS, app
from cm_payroll.i18n_help import HELP_ZH
from tests.helpers import ROOT, cli_path, make_inputs

runner = CliRunner()
BASE_ENV = {"CM_PAYROLL_LANG": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8", "NO_COLOR": "1"}


def _invoke(*args: str, env: dict | None = None):
    return runner.invoke(app, list(args), env={**BASE_ENV, "COLUMNS": "200", **(env or {})})


def _run(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: int = 180):
    """The installed command with stdout and stderr pipes (no terminal, as under cron)."""
    full = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "CM_PAYROLL_FAULT")}
    full.update(BASE_ENV)
    full.update(env or {})
    return subprocess.run(cli_path() + list(args), capture_output=True, text=True, env=full, cwd=cwd,
                          timeout=timeout)


# ------------------------------------------------------------------ the README's examples, as written

def readme_blocks() -> list[str]:
    """The ```sh blocks of README.md (a block fenced ```sh setup holds the set-up commands themselves,
    `make run` and `make test`: the test does what `make run` does instead)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```sh\n(.*?)^```$", text, flags=re.S | re.M)


def _expected_exit(line: str) -> int:
    """0, unless the line's comment says "(exit N" (diff of two different workbooks: exit 1)."""
    m = re.search(r"#.*\(exit (\d+)", line)
    return int(m.group(1)) if m else 0


def test_readme_examples_run_as_written(tmp_path: Path) -> None:
    """The repository's folder as the two first commands leave it: `.venv/bin/cm-payroll`, the inputs,
    the rulebooks and `out/securities` computed by `make run`'s own command; then every line of every
    ```sh block, in order, in one shell per block (an `export` holds for the rest of its block)."""
    blocks = readme_blocks()
    assert len(blocks) >= 4 and any("explain" in b for b in blocks)
    venv_bin = Path(sys.executable).parent
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "bin").symlink_to(venv_bin)
    for name in ("sample_data", "cm_payroll", "templates", "bench", "docs"):
        (tmp_path / name).symlink_to(ROOT / name)
    make_run = (ROOT / "Makefile").read_text(encoding="utf-8").split("\nrun: ", 1)[1].split("\n")[1].strip()
    make_run = make_run.replace("$(BIN)", ".venv/bin").replace("$(MONTH)", "2013-12").replace("$(OUT)", "out")
    r = subprocess.run(["bash", "-c", make_run], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "CM_PAYROLL_FAULT", "CM_PAYROLL_SLIP_SECRET")}
    env["CM_PAYROLL_PDF_WORKERS"] = "1"
    ran = 0
    for block in blocks:
        script = []
        for line in block.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            want = _expected_exit(line)
            script.append(f"{line}\nrc=$?; if [ $rc -ne {want} ]; then echo 'README example failed (exit '$rc', "
                          f"expected {want}): {line.replace(chr(39), '')}' >&2; exit 99; fi")
            ran += 1
        r = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, capture_output=True, text=True,
                           env=env, timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
    assert ran >= 12
    # what they wrote: a new output folder, the what-if workbook, the sample tree, the rcc year, PDF slips
    assert (tmp_path / "out/first/2013-12/payroll_2013-12.xlsx").is_file()
    assert (tmp_path / "whatif/whatif_2013-12.xlsx").is_file()
    assert (tmp_path / "my_sample/2013-03").is_dir()
    assert (tmp_path / "out/rcc/2013-12").is_dir()
    assert (tmp_path / "out/securities/2013-12/slips/ZS002.pdf").is_file() or \
        (tmp_path / "out/securities/history").is_dir()


# ------------------------------------------------------------------ Chinese everywhere

# A sentence of English: three or more English words in a row, once file names, paths, options,
# quoted values, `commands`, codes such as manager_id, the program's name and the technical detail a
# reader library or the ledger check gives (shown as it is, marked 技术信息：…) are taken out.
_NOT_PROSE = re.compile(r"`[^`]*`|'[^']*'|\"[^\"]*\"|\S*[/\\]\S*|\S+\.(?:xlsx|xls|csv|parquet|json|toml|md)\b"
                        r"|--[\w-]+(?:=\S+)?|\b\w+_\w+\b|cm-payroll|YYYY-MM|\bS-Art\.\S+|技术信息：[^)）]*")
_ENGLISH = re.compile(r"\b[A-Za-z]{2,}(?: +[A-Za-z]{2,}){2,}\b")


def english_sentences(text: str) -> list[str]:
    """The English sentences of a text (the usage line, Click's "Usage: PROG [OPTIONS]", is syntax)."""
    found = []
    for line in text.splitlines():
        if line.lstrip().startswith("Usage: "):
            continue
        rest = _NOT_PROSE.sub(" ", line)
        found += _ENGLISH.findall(rest)
    return found


def test_english_heuristic_itself() -> None:
    assert english_sentences("2013-12 is already closed (version 1)") == ["is already closed"]
    assert english_sentences("scores.csv,第 2 行,列 score：不是数字(最多四位小数)；实际为 'not a number'") == []
    assert english_sentences("错误：--input /no/such folder：没有这个文件夹") == []


def _zh_case(tmp_path: Path, name: str, setup) -> tuple[int, str]:
    inp = make_inputs(tmp_path / name)
    args = setup(inp, tmp_path / name / "out")
    r = _invoke(*args, "--lang", "zh")
    return r.exit_code, r.output


def _write(path: Path, text: str) -> None:
    for old in path.parent.glob(path.stem + ".*"):
        old.unlink()
    path.write_text(text, encoding="utf-8")


CASES = {
    # name: (how to make it, exit code, Chinese that must be shown)
    "not_a_number": (lambda inp, out: (_write(inp / "2013-01/scores.csv", "manager_id,score\nA1,abc\nA2,1\nB1,1\n"),
                                       ("validate", "2013-01", "-i", str(inp)))[1],
                     1, ["输入文件有 1 处错误", "，未写出任何文件。请改正后重新运行：", "第 2 行", "不是数字(最多四位小数)",
                         "实际为 'abc'"]),
    "duplicate": (lambda inp, out: (_write(inp / "2013-01/scores.csv", "manager_id,score\nA1,1\nA1,2\nA2,1\nB1,1\n"),
                                    ("validate", "2013-01", "-i", str(inp)))[1],
                  1, ["重复的工号：A1"]),
    "not_in_roster": (lambda inp, out: (_write(inp / "2013-01/scores.csv",
                                               "manager_id,score\nA1,1\nA2,1\nB1,1\nZZ9,1\n"),
                                        ("validate", "2013-01", "-i", str(inp)))[1],
                      1, ["客户经理 ZZ9 不在 2013-01 的花名册中"]),
    "missing_file": (lambda inp, out: ([p.unlink() for p in (inp / "2013-01").glob("scores.*")],
                                       ("validate", "2013-01", "-i", str(inp)))[1],
                     1, ["中缺少必需的文件"]),
    "bad_month": (lambda inp, out: ("month", "2013-13", "-i", str(inp), "-o", str(out)), 2,
                  ["不是月份(应为 YYYY-MM)"]),
    "no_folder": (lambda inp, out: ("month", "2013-01", "-i", str(inp / "nope"), "-o", str(out)), 2,
                  ["没有这个文件夹"]),
    "no_such_option": (lambda inp, out: ("month", "2013-01", "--formt", "x"), 2, ["没有这个选项：--formt"]),
    "bad_format": (lambda inp, out: ("month", "2013-01", "-i", str(inp), "-o", str(out), "--format", "doc"), 2,
                   ["请从 xlsx,html,pdf 中选择"]),
    "bad_lang_value": (lambda inp, out: ("month", "2013-01", "-i", str(inp), "-o", str(out), "--wait=soon"), 2,
                       ["请给出秒数"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_error_messages_in_chinese(tmp_path: Path, name: str) -> None:
    setup, code, expected = CASES[name]
    got, text = _zh_case(tmp_path, name, setup)
    assert got == code, text
    for e in expected:
        assert e in re.sub(r"\s*\n\s*│?\s*", "", text) or e in text, f"{e!r} not in\n{text}"
    assert english_sentences(text) == [], text
    assert "。 " not in text and "： " not in text


def test_refusals_in_chinese(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    out = tmp_path / "out"
    assert _invoke("month", "2013-01", "-i", str(inp), "-o", str(out), "--lang", "zh",
                   "--paid-through", "2013-01").exit_code == 0
    r = _invoke("month", "2013-01", "-i", str(inp), "-o", str(out), "--lang", "zh")
    assert r.exit_code == 3
    assert "2013-01 已发放(第 1 版)。如需按改正后的输入重新计算，请运行 `cm-payroll month 2013-01 --force`" in r.output
    assert english_sentences(r.output) == [], r.output
    r = _invoke("month", "2013-01", "-i", str(inp), "-o", str(out), "--force", "--lang", "zh")
    assert r.exit_code == 0 and "没有差异" in r.output, r.output
    r = _invoke("month", "2013-01", "-i", str(inp), "-o", str(out), "--force", "--lang", "en")
    assert r.exit_code == 0 and "no differences" in r.output
    (out / ".ledger" / "HEAD.json").write_text("{", encoding="utf-8")
    r = _invoke("month", "2013-02", "-i", str(inp), "-o", str(out), "--lang", "zh", "--json")
    doc = json.loads(r.stdout)
    assert r.exit_code == 3 and doc["reason"] == "ledger_damaged" and "台账头文件已损坏" in doc["error"]


def test_explain_in_the_clerks_words(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    out = tmp_path / "out"
    assert _invoke("month", "2013-01", "-i", str(inp), "-o", str(out)).exit_code == 0
    r = _invoke("explain", "2013-01", "A1", "-o", str(out), "--lang", "zh")
    assert r.exit_code == 0, r.output
    head = r.output.splitlines()[0]
    assert "状态 在岗" in head and "发放状态 正常" in head, head
    assert "active" not in r.output and "normal" not in r.output and "False" not in r.output
    assert "业绩造假: 否" in r.output
    # the parameters as a table: a header row, then one row per parameter with its origin in words
    assert re.search(r"参数\s+取值\s+条款\s+来源\s+生效月份", r.output)
    assert re.search(r"standby_rate\s+0\.15\s+S-Art\.20\s+S 细则原文\s+2000-01", r.output)
    assert '{"' not in r.output                   # no raw JSON
    r = _invoke("explain", "2013-01", "A1", "-o", str(out), "--lang", "en")
    assert "status active" in r.output.splitlines()[0] and "parameter" in r.output
    r = _invoke("explain", "2013-01", "A1", "-o", str(out), "--quiet", "--input", str(inp))
    assert r.exit_code == 0 and r.output == ""
    r = _invoke("diff", str(out / "2013-01/payroll_2013-01.xlsx"), str(out / "2013-01/payroll_2013-01.xlsx"),
                "--lang", "zh")
    assert r.exit_code == 0 and "完全相同" in r.output
    r = _invoke("diff", str(out / "2013-01/payroll_2013-01.xlsx"), str(out / "2013-01/payroll_2013-01.xlsx"),
                "--quiet")
    assert r.exit_code == 0 and r.output == ""


def test_every_help_text_has_chinese_and_no_markup_garbles_it() -> None:
    import typer.main
    missing = []

    def walk(cmd) -> None:
        for text in [cmd.help] + [getattr(p, "help", None) for p in cmd.params]:
            text = getattr(cmd, "_en_help", None) if text is cmd.help and hasattr(cmd, "_en_help") else text
            if text and " ".join(text.split()) not in HELP_ZH:
                missing.append(text)
        for sub in getattr(cmd, "commands", {}).values():
            walk(sub)
    i18n.set_lang("en")
    walk(typer.main.get_command(app))
    assert missing == [], "add the Chinese of these --help texts to cm_payroll/i18n_help.py:\n" + "\n".join(missing)
    r = _invoke("month", "--help", "--lang", "zh", env={"COLUMNS": "300"})
    assert r.exit_code == 0 and "计算一个月的薪酬" in r.output and "选项" in r.output
    assert "规则中的 [slip_protection]" in r.output
    r = _invoke("month", "--help", "--lang", "en", env={"COLUMNS": "300"})
    assert "password ([slip_protection] of the rulebook;" in r.output


# ------------------------------------------------------------------ without a terminal: whole lines

def test_no_wrapping_without_a_terminal(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    out = tmp_path / ("a-rather-long-folder-name-for-the-output-root-" * 3) / "branch-hangzhou"
    r = _run("month", "2013-01", "-i", str(inp), "-o", str(out), "--lang", "en", "--paid-through", "2013-01")
    assert r.returncode == 0, r.stderr
    assert len(str(out)) > 120
    assert f"payroll summary: {out}/2013-01/payroll_2013-01.xlsx" in r.stdout.splitlines()
    assert f"exceptions:      {out}/2013-01/exceptions_2013-01.xlsx" in r.stdout.splitlines()
    branch = tmp_path / ("a-branch-folder-with-a-long-name-" * 3)
    r = _run("init", str(branch), "--year", "2013", "--lang", "en")
    assert r.returncode == 0, r.stderr
    suggested = f"  cm-payroll month 2013-01 --input {branch} --output {branch}/out --rules {branch}/rulebook.toml"
    assert suggested in r.stdout.splitlines(), r.stdout
    r = _run("month", "2013-01", "-i", str(inp), "-o", str(out), "--lang", "en")      # a refusal, whole
    assert r.returncode == 3 and f"`cm-payroll month 2013-01 --force`" in r.stderr.replace("\n", "\n")
    assert any("is released" in line and "--force`" in line for line in r.stderr.splitlines())


# ------------------------------------------------------------------ --json for every outcome

def test_json_answers_carry_reason_and_the_success_keys(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    out = tmp_path / "out"
    ok = json.loads(_invoke("month", "2013-01", "-i", str(inp), "-o", str(out), "--json",
                            "--paid-through", "2013-01").stdout)
    assert ok["ok"] is True and ok["reason"] is None and ok["errors"] == []
    closed = json.loads(_invoke("month", "2013-01", "-i", str(inp), "-o", str(out), "--json").stdout)
    assert closed["ok"] is False and closed["exit_code"] == 3 and closed["reason"] == "closed"
    assert set(ok) <= set(closed) and closed["months"] == []
    r = _invoke("month", "2013-01", "-i", str(inp), "-o", str(out), "--json", "--formt", "x")
    usage = json.loads(r.stdout)
    assert r.exit_code == 2 and usage["reason"] == "usage" and "--formt" in usage["error"] and set(ok) <= set(usage)
    r = _invoke("month", "--json", "-i", str(inp))            # a missing argument under --json
    assert r.exit_code == 2 and json.loads(r.stdout)["reason"] == "usage"
    w_ok = json.loads(_invoke("month", "2013-01", "-i", str(inp), "-o", str(out), "--what-if", str(tmp_path / "wi"),
                              "--json").stdout)
    w_bad = json.loads(_invoke("month", "2013-01", "-i", str(inp), "-o", str(out), "--what-if", str(tmp_path / "wi"),
                               "--force", "--json").stdout)
    assert w_ok["ok"] is True and w_bad["reason"] == "usage" and set(w_ok) <= set(w_bad), set(w_ok) - set(w_bad)
    v_ok = json.loads(_invoke("validate", "2013-01", "-i", str(inp), "--json").stdout)
    _write(inp / "2013-01/scores.csv", "manager_id,score\nA1,abc\nA2,1\nB1,1\n")
    v_bad = json.loads(_invoke("validate", "2013-01", "-i", str(inp), "--json").stdout)
    assert v_bad["reason"] == "input_errors" and v_bad["errors"][0]["row"] == 2 and set(v_ok) <= set(v_bad)
    e_ok = json.loads(_invoke("explain", "2013-01", "A1", "-o", str(out), "--json").stdout)
    e_bad = json.loads(_invoke("explain", "2013-01", "NOBODY", "-o", str(out), "--json").stdout)
    assert e_ok["ok"] is True and e_bad["ok"] is False and e_bad["reason"] == "usage"
    assert set(e_ok) <= set(e_bad), set(e_ok) - set(e_bad)
    d = json.loads(_invoke("diff", str(out / "x.xlsx"), str(out / "y.xlsx"), "--json").stdout)
    assert d["ok"] is False and d["exit_code"] in (1, 2) and d["reason"] in ("input_errors", "usage")
    assert {"changes", "added", "removed", "totals"} <= set(d)
    assert {closed["reason"], usage["reason"], v_bad["reason"], d["reason"]} <= set(REASONS)


def test_wait_for_the_lock(tmp_path: Path) -> None:
    from cm_payroll.ledger import run_lock
    inp = make_inputs(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    with run_lock(out):
        r = _run("month", "2013-01", "-i", str(inp), "-o", str(out), "--json")
        assert r.returncode == 3 and json.loads(r.stdout)["reason"] == "locked"
        t0 = time.monotonic()
        r = _run("month", "2013-01", "-i", str(inp), "-o", str(out), "--wait=1", "--lang", "zh")
        assert r.returncode == 3 and time.monotonic() - t0 >= 1
        assert "另一个 cm-payroll 正在处理该输出目录，等待其结束(最多 1 秒)" in r.stderr
        assert "另一个 cm-payroll 进程正在使用" in r.stderr
    # waiting without a limit: the lock is released once the run says it waits, then the run goes through
    held, go = threading.Event(), threading.Event()

    def hold() -> None:
        with run_lock(out):
            held.set()
            go.wait(120)
    th = threading.Thread(target=hold)
    th.start()
    held.wait(10)
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "CM_PAYROLL_FAULT")}
    env.update(BASE_ENV, CM_PAYROLL_LANG="en")
    proc = subprocess.Popen(cli_path() + ["month", "2013-01", "-i", str(inp), "-o", str(out), "--wait"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    first = proc.stderr.readline()
    time.sleep(1)                                 # still waiting a second later
    assert proc.poll() is None
    go.set()
    th.join()
    stdout, rest = proc.communicate(timeout=120)
    assert proc.returncode == 0, first + rest
    assert "waiting for it to finish …" in first and (out / "2013-01/payroll_2013-01.xlsx").is_file()


def test_ctrl_c_says_nothing_was_changed(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    out = tmp_path / "out"
    hold = tmp_path / "never"
    for lang, point, text in (("en", "locked", "interrupted; nothing was changed"),
                              ("zh", "locked", "已中断，未作任何更改"),
                              ("en", "journal", "interrupted during the commit, which was journaled: the next run")):
        env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
        env.update(BASE_ENV, CM_PAYROLL_FAULT=f"{point}:wait={hold}", CM_PAYROLL_LANG=lang)
        proc = subprocess.Popen(cli_path() + ["month", "2013-01", "-i", str(inp), "-o", str(out)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        deadline = time.monotonic() + 60
        while not (out / ".lock").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130, stderr
        assert text in stderr and "Traceback" not in stderr, stderr
        if point == "locked":
            assert not (out / "2013-01").exists()
    # the journaled commit is completed by the next run: 2013-01 is there, and 2013-02 is computed after it
    r = _run("month", "2013-02", "-i", str(inp), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert (out / "2013-01/payroll_2013-01.xlsx").is_file() and (out / "2013-02/payroll_2013-02.xlsx").is_file()


# ------------------------------------------------------------------ shell completion, .notdef

def test_shell_completion_does_not_depend_on_the_login_shell() -> None:
    for shell, marker in (("bash", "complete_bash"), ("zsh", "complete_zsh")):
        for login in ("/bin/sh", "/usr/bin/fish", None):
            env = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
            full = {k: v for k, v in os.environ.items() if k != "SHELL"}
            full.update(env)
            if login:
                full["SHELL"] = login
            r = subprocess.run(cli_path() + ["--show-completion", shell], capture_output=True, text=True,
                               env=full, timeout=60)
            assert r.returncode == 0 and marker in r.stdout, (shell, login, r.stderr)


def test_notdef_warning_once_per_character(caplog) -> None:
    from cm_payroll.render.documents import _quiet_notdef
    _quiet_notdef()
    _quiet_notdef()                          # installed once, whatever the number of calls
    logger = logging.getLogger("weasyprint")
    msg = '.notdef glyph rendered for Unicode string unsupported by fonts: "%s" (U+%04X)'
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        for _ in range(50):
            for ch in "工资":
                logger.warning(msg, ch, ord(ch))
        logger.warning("another warning")
        logger.warning("another warning")
    texts = [r.getMessage() for r in caplog.records if r.name == "weasyprint"]
    assert sum(".notdef" in x for x in texts) == 2
    assert texts.count("another warning") == 2


def test_make_targets_that_need_system_packages_set_them_up() -> None:
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^test: system-deps ", make, flags=re.M)
    assert re.search(r"^setup: system-deps ", make, flags=re.M)
    assert "setting up $(VENV)/" in make                     # make run says what pip is doing
    shutil.which("make") and subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, check=True)
