"""HTML and PDF slips (templates/), slip protection, and the polished summary/exceptions workbooks.

Timing: every sample manager's slip of 2013-12 is rendered as HTML; PDF (≈ 0.4 s a slip with
WeasyPrint) for a handful of them and the small three-manager runs.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import os
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import openpyxl
import pytest

from cm_payroll.errors import UsageError
from cm_payroll.pipeline import run_month
from cm_payroll.render.documents import (SlipDocuments, builtin_templates, parse_formats,
                                         template_search_path)
from cm_payroll.render.text import zh_text
from cm_payroll.rulebook import load_rulebook
from tests.helpers import ROOT, make_inputs, tree

SAMPLE = ROOT / "sample_data" / "securities"
PDF_SAMPLE = ("ZS001", "ZS009", "ZS021", "ZS022", "ZS034")   # veteran, base only, deficit, override, filler
SECRET = "test-branch-secret-2013"


@pytest.fixture(scope="module")
def sample_docs(sample_slips):
    rb, _, _ = sample_slips
    return SlipDocuments("2013-12", rulebook_title=rb.title)


# ------------------------------------------------------------------------------------------- HTML

def test_every_sample_slip_renders_as_html(sample_slips, sample_docs) -> None:
    _, slips, _ = sample_slips
    assert len(slips) >= 50
    for slip in slips:
        html = sample_docs.html(slip)
        assert html == sample_docs.html(slip)                       # deterministic
        assert "2013年12月 客户经理薪酬单" in html and "<!DOCTYPE html>" in html
        facts = dict(slip.facts)
        assert f"<b>{slip.manager_id}</b>" in html and facts["姓名"] in html and facts["营业部"] in html
        for line in slip.lines + [slip.total]:                     # every component: article and basis
            row = re.search(rf"<td>{re.escape(zh_text(line.label))}</td><td class=\"num\">([^<]*)</td>\s*"
                            rf"<td class=\"art\">([^<]*)</td><td class=\"basis\">(.*?)</td>", html)
            assert row, (slip.manager_id, line.label)
            assert row.group(1) == f"{line.amount / 100:,.2f}" and row.group(2) == line.article
            assert unescape(_unspan(row.group(3))) == zh_text(line.basis)    # the text a browser shows
        for label, value in slip.ytd:
            cell = re.search(rf"<th>{re.escape(zh_text(label))}</th><td>(.*?)</td>", html)
            assert cell and unescape(_unspan(cell.group(1))) == zh_text(value), (slip.manager_id, label)
        items = [unescape(_unspan(t)) for t in re.findall(r"<li>(.*?)</li>", html)]
        for note in slip.notes:                                     # status and reason of any reduction
            assert zh_text(note) in items, (slip.manager_id, note)
        if not slip.notes:
            assert "本月无减发" in html
        for label in ("计算", "审核", "复核", "签批", "本人签收"):     # the sign-off block
            assert f"<th>{label}</th>" in html
        assert "dcterms.created" in html and "2000-01-01" in html


def _unspan(s: str) -> str:
    return re.sub(r'</?span[^>]*>', "", s)


def test_reductions_are_explained_on_the_slip(sample_slips, sample_docs) -> None:
    _, slips, _ = sample_slips
    by_id = {s.manager_id: s for s in slips}
    html = sample_docs.html(by_id["ZS009"])                         # 仅发基础工资 in 2013-12 (S-Art.20)
    assert "仅发基础工资" in html and "S-Art.20" in html and 'class="status reduced"' in html


# ------------------------------------------------------------------------------------------- PDF

@pytest.fixture(scope="module")
def sample_pdfs(sample_slips, sample_docs, tmp_path_factory) -> dict[str, Path]:
    _, slips, _ = sample_slips
    d = tmp_path_factory.mktemp("pdf")
    out = {}
    for slip in slips:
        if slip.manager_id in PDF_SAMPLE:
            p = d / f"{slip.manager_id}.pdf"
            p.write_bytes(sample_docs.pdf(sample_docs.html(slip)))
            out[slip.manager_id] = p
    assert sorted(out) == sorted(PDF_SAMPLE)
    return out


def test_pdf_slips_are_one_a4_page_with_metadata(sample_pdfs) -> None:
    from pypdf import PdfReader
    for mid, p in sample_pdfs.items():
        r = PdfReader(p)
        assert len(r.pages) == 1, f"{mid}: the slip runs over one page"
        box = r.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)    # A4 in points
        assert r.metadata.creation_date.year == 2000 and r.metadata.modification_date.year == 2000
        assert "2013年12月" in (r.metadata.title or "")


def test_pdf_is_byte_for_byte_deterministic_across_processes(sample_slips, sample_docs, sample_pdfs,
                                                              tmp_path) -> None:
    _, slips, _ = sample_slips
    slip = next(s for s in slips if s.manager_id == "ZS001")
    assert sample_docs.pdf(sample_docs.html(slip)) == sample_pdfs["ZS001"].read_bytes()
    html = tmp_path / "slip.html"
    html.write_text(sample_docs.html(slip), encoding="utf-8")
    code = ("import sys; from pathlib import Path; from cm_payroll.render.documents import SlipDocuments; "
            "d = SlipDocuments('2013-12'); "
            "Path(sys.argv[2]).write_bytes(d.pdf(Path(sys.argv[1]).read_text('utf-8')))")
    env = dict(os.environ, PYTHONHASHSEED="12345")
    subprocess.run([sys.executable, "-c", code, str(html), str(tmp_path / "other.pdf")], check=True, env=env,
                   cwd=tmp_path, timeout=120)
    assert (tmp_path / "other.pdf").read_bytes() == sample_pdfs["ZS001"].read_bytes()


def test_pdf_fonts_are_real_cjk_fonts_not_tofu(sample_pdfs, tmp_path) -> None:
    """pdftoppm renders the page; pdftotext must read the Chinese labels back; pdffonts must list an
    embedded Noto Sans CJK font (a missing font shows as boxes and fails here)."""
    if not shutil.which("pdftoppm") or not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftoppm, pdftotext) is not installed; `make setup` installs it")
    pdf = sample_pdfs["ZS001"]
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=60)
    png = (tmp_path / "page.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert abs(width / height - 210 / 297) < 0.01
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          timeout=60).stdout.decode("utf-8")
    for label in ("客户经理薪酬单", "基础工资", "营销绩效奖", "应发合计", "本年累计", "状态与说明", "签字确认",
                  "王老将", "杭州营业部", "S-Art.13"):
        assert label in text, f"{label!r} not in the PDF's text (font without CJK glyphs?)"
    assert "\ufffd" not in text
    if shutil.which("pdffonts"):
        fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, timeout=60).stdout
        assert b"Noto-Sans-CJK" in fonts or b"NotoSansCJK" in fonts, fonts.decode()


# ------------------------------------------------------------------------------------------- pipeline

def test_month_writes_html_and_pdf_next_to_xlsx_deterministically(tmp_path: Path, monkeypatch) -> None:
    inp = make_inputs(tmp_path)
    run_month("2013-01", inp, tmp_path / "a", formats="xlsx,html,pdf")
    monkeypatch.setenv("CM_PAYROLL_PDF_WORKERS", "2")             # the process pool gives the same bytes
    run_month("2013-01", inp, tmp_path / "b", formats="pdf,html,xlsx")
    a, b = tree(tmp_path / "a", skip_run_json=True), tree(tmp_path / "b", skip_run_json=True)
    assert sorted(p.name for p in (tmp_path / "a" / "2013-01" / "slips").iterdir()) == \
        [f"{i}.{x}" for i in ("A1", "A2", "B1") for x in ("html", "pdf", "xlsx")]
    assert a.keys() == b.keys() and [k for k in a if a[k] != b[k]] == []
    import json
    run = json.loads((tmp_path / "a" / "2013-01" / "run.json").read_text("utf-8"))
    assert {"slips/A1.html", "slips/A1.pdf", "slips/A1.xlsx"} <= {o["file"] for o in run["outputs"]}


def test_default_format_is_xlsx_only(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    run_month("2013-01", inp, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out" / "2013-01" / "slips").iterdir()) == \
        ["A1.xlsx", "A2.xlsx", "B1.xlsx"]


def test_a_branch_replaces_the_template_without_code(tmp_path: Path) -> None:
    inp = make_inputs(tmp_path)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "slip.html.j2").write_text("<html><body>分行样式 {{ slip.manager_id }} {{ month_label }} "
                                       "{{ slip.total.amount | money }}</body></html>", encoding="utf-8")
    run_month("2013-01", inp, tmp_path / "o1", formats="html", templates=mine)
    assert (tmp_path / "o1" / "2013-01" / "slips" / "A1.html").read_text("utf-8").startswith(
        "<html><body>分行样式 A1 2013年1月 ")
    # only the stylesheet, in <input>/templates/: the built-in page is kept and uses it
    (inp / "templates").mkdir()
    (inp / "templates" / "slip.css").write_text("body { color: #123456; }\n", encoding="utf-8")
    run_month("2013-01", inp, tmp_path / "o2", formats="html")
    html = (tmp_path / "o2" / "2013-01" / "slips" / "A1.html").read_text("utf-8")
    assert "#123456" in html and "客户经理薪酬单" in html
    assert template_search_path(None, inp)[0] == inp / "templates"


def test_builtin_templates_ship_with_the_package() -> None:
    d = builtin_templates()
    assert (d / "slip.html.j2").is_file() and (d / "slip.css").is_file()
    assert (d / "slip.html.j2").read_bytes() == (ROOT / "templates" / "slip.html.j2").read_bytes()
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    assert '"templates/*"' in pyproject


def test_slip_option_errors_are_usage_errors(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from cm_payroll.cli import app
    inp = make_inputs(tmp_path)
    with pytest.raises(UsageError, match="--format"):
        parse_formats("xlsx,docx")
    assert parse_formats("PDF, xlsx") == ("xlsx", "pdf")
    monkeypatch.delenv("CM_PAYROLL_SLIP_SECRET", raising=False)
    out = tmp_path / "out"
    for args, words in ((["--format", "docx"], "--format"), (["--format", "html", "--protect-slips"], "HTML"),
                        (["--templates", str(tmp_path / "nowhere"), "--format", "html"], "--templates"),
                        (["--protect-slips"], "CM_PAYROLL_SLIP_SECRET")):
        r = CliRunner().invoke(app, ["month", "2013-01", "-i", str(inp), "-o", str(out), "--lang", "en", *args])
        assert r.exit_code == 2, (args, r.output)
        assert words in r.output and "Traceback" not in r.output and not (out / "2013-01").exists()


# ------------------------------------------------------------------------------------------- protection

def _expected_password(mid: str) -> str:
    digest = hmac.new(SECRET.encode(), mid.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:10]


def test_protected_slips_open_with_the_listed_password(tmp_path: Path, monkeypatch) -> None:
    import msoffcrypto
    from pypdf import PdfReader
    monkeypatch.setenv("CM_PAYROLL_SLIP_SECRET", SECRET)
    inp = make_inputs(tmp_path)
    run_month("2013-01", inp, tmp_path / "out", formats="xlsx,pdf", protect_slips=True)
    month = tmp_path / "out" / "2013-01"
    raw = (month / "passwords.csv").read_bytes()
    assert raw.startswith("\ufeff".encode())                       # Excel reads the Chinese names
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["工号"] for r in rows] == ["A1", "A2", "B1"] and rows[0]["姓名"] == "张三"
    assert not list((month / "slips").glob("*.csv"))               # the list is not among the slips
    for r in rows:
        assert r["密码"] == _expected_password(r["工号"])            # the documented policy
        office = msoffcrypto.OfficeFile(open(month / "slips" / f"{r['工号']}.xlsx", "rb"))
        assert office.is_encrypted()
        plain = io.BytesIO()
        office.load_key(password=r["密码"])
        office.decrypt(plain)
        assert "薪酬单" in openpyxl.load_workbook(plain).active["A1"].value
        pdf = PdfReader(month / "slips" / f"{r['工号']}.pdf")
        assert pdf.is_encrypted
        assert not pdf.decrypt("wrong-password")
        assert pdf.decrypt(r["密码"])
        assert "客户经理薪酬单" in pdf.pages[0].extract_text()
    office = msoffcrypto.OfficeFile(open(month / "slips" / "A1.xlsx", "rb"))
    office.load_key(password="wrong-password")
    with pytest.raises(Exception):
        office.decrypt(io.BytesIO())


def test_protection_policy_from_the_rulebook() -> None:
    rb = load_rulebook("securities")
    assert rb.raw["slip_protection"]["secret_env"] == "CM_PAYROLL_SLIP_SECRET"
    from cm_payroll.render.protect import from_rulebook
    with pytest.raises(UsageError, match="CM_PAYROLL_SLIP_SECRET"):
        from_rulebook(rb.raw, {})
    with pytest.raises(UsageError, match="shorter"):
        from_rulebook(rb.raw, {"CM_PAYROLL_SLIP_SECRET": "short"})
    p = from_rulebook({"slip_protection": {"length": 8, "secret_env": "X"}}, {"X": SECRET})
    assert p.password("A1") == _expected_password("A1")[:8]


# ------------------------------------------------------------------------------------------- workbooks

def test_summary_workbook_layout(sample_month: Path) -> None:
    wb = openpyxl.load_workbook(sample_month / "payroll_2013-12.xlsx")
    assert wb.sheetnames == ["工资汇总", "按营业部汇总", "图表", "图表数据"]
    ws = wb["工资汇总"]
    header = [c.value for c in ws[1]]
    assert header[:2] == ["工号", "姓名"] and "应发合计" in header
    assert ws.freeze_panes == "C2"
    assert ws.auto_filter.ref.startswith("A1:")
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.print_title_rows == "$1:$1"
    gross = header.index("应发合计") + 1
    assert "#,##0.00" in ws.cell(2, gross).number_format and "[Red]" in ws.cell(2, gross).number_format
    ids = [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
    last = ids.index("合计") + 1
    formula = ws.cell(last + 1, gross).value
    assert formula.startswith("=SUM(")
    assert ws.column_dimensions["B"].width >= 8                     # 姓名: CJK fits
    cached = openpyxl.load_workbook(sample_month / "payroll_2013-12.xlsx", data_only=True)
    cws = cached["工资汇总"]
    total = sum(cws.cell(r, gross).value for r in range(2, last + 1))
    assert round(cws.cell(last + 1, gross).value, 2) == round(total, 2)
    assert cws.cell(last + 1, 2).value == f"{last - 1} 人"
    data = cached["图表数据"]
    rows = list(data.iter_rows(values_only=True))
    assert rows[0][0] == "级别 \\ 状态" and rows[0][-1] == "合计"
    assert round(sum(r[-1] for r in rows[1:]), 2) == round(total, 2)
    levels = [r[0] for r in rows[1:]]
    assert levels.index("见习客户经理") < levels.index("资深客户经理二级")     # rank order
    assert isinstance(wb["图表数据"].cell(2, 2).value, (int, float))       # a snapshot, survives re-saving


def test_exceptions_report_counts_by_type(sample_month: Path) -> None:
    wb = openpyxl.load_workbook(sample_month / "exceptions_2013-12.xlsx", data_only=True)
    assert wb.sheetnames == ["例外事项", "汇总"]
    ws = wb["例外事项"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["工号", "姓名", "类型", "条款"] and ws.freeze_panes == "C2"
    rows = [r for r in ws.iter_rows(min_row=2, values_only=True) if r[header.index("类型代码")]]
    codes = [r[header.index("类型代码")] for r in rows]
    # grouped: each type's rows are together
    seen: list[str] = []
    for c in codes:
        if not seen or seen[-1] != c:
            assert c not in seen, f"{c} rows are not together"
            seen.append(c)
    counts = wb["汇总"]
    table = list(counts.iter_rows(min_row=2, values_only=True))
    by_code = {r[1]: r for r in table if r[0] != "合计"}
    rb = load_rulebook("securities")
    assert set(rb.exceptions) <= set(by_code)                       # every type, zero counts included
    for code in set(codes):
        assert by_code[code][3] == codes.count(code)
        assert by_code[code][4] == sum(1 for r in rows if r[header.index("类型代码")] == code
                                       and r[header.index("需审批")] == "是")
    total = next(r for r in table if r[0] == "合计")
    assert total[3] == len(rows)
    formulas = openpyxl.load_workbook(sample_month / "exceptions_2013-12.xlsx")["汇总"]
    assert formulas.cell(2, 4).value.startswith("=COUNTIF(")
