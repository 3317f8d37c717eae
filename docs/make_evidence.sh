#!/usr/bin/env bash
# Re-make the PNG renders under docs/ from the committed sample (2013-12):
#   docs/slip_pdf.png                     slips/ZS009.pdf, page 1, by pdftoppm (100 dpi)
#   docs/slip_html.png                    slips/ZS009.html as headless Chromium shows it (A4 width, 96 dpi);
#                                         without Chromium, the same HTML by WeasyPrint → PDF → pdftoppm
#   docs/slip_xlsx_libreoffice.png        slips/ZS009.xlsx as LibreOffice prints it
#   docs/summary_libreoffice.png          payroll_2013-12.xlsx (工资汇总), printed page 1 (工号 … 年化累计积分)
#   docs/summary_page2_libreoffice.png    its printed page 2 (工号/姓名 repeated, then the next columns;
#                                         the table prints as few pages wide as keep it ≥ 75 %)
#   docs/summary_branches_libreoffice.png its sheet 按营业部汇总 (小计 per 营业部)
#   docs/summary_chart_libreoffice.png    its chart sheet 图表
#   docs/exceptions_libreoffice.png       exceptions_2013-12.xlsx (例外事项)
#   docs/exceptions_summary_libreoffice.png  its sheet 汇总 (影响当月应发 / 备查金额)
# Needs: the venv (make setup), poppler-utils, libreoffice-calc-nogui, optionally chromium (Debian
# packages). Usage: bash docs/make_evidence.sh [SLIP_ID]
set -euo pipefail
cd "$(dirname "$0")/.."
ID="${1:-ZS009}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
BIN=.venv/bin
OUT="$WORK/out"

$BIN/cm-payroll month 2013-11 --input sample_data/securities --output "$OUT" --quiet
$BIN/cm-payroll month 2013-12 --input sample_data/securities --output "$OUT" --format xlsx,html,pdf --quiet
M="$OUT/2013-12"

# the page of a PDF whose text has a marker (LibreOffice prints every sheet into one PDF)
page_with() { # pdf marker
  local pages; pages=$(pdfinfo "$1" | awk '/^Pages:/ {print $2}')
  for p in $(seq 1 "$pages"); do
    if pdftotext -f "$p" -l "$p" "$1" - | grep -q "$2"; then echo "$p"; return; fi
  done
  echo 1
}

# slip, PDF
pdftoppm -r 100 -png -singlefile "$M/slips/$ID.pdf" docs/slip_pdf
# slip, HTML in a browser (A4 portrait at 96 dpi is 794 × 1123 px)
if command -v chromium >/dev/null; then
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --window-size=794,1123 --screenshot="$PWD/docs/slip_html.png" "file://$M/slips/$ID.html" 2>/dev/null
else
  echo "chromium not installed: docs/slip_html.png made by WeasyPrint (print media) instead" >&2
  $BIN/python -c "import sys, weasyprint; weasyprint.HTML(sys.argv[1]).write_pdf(sys.argv[2])" \
    "$M/slips/$ID.html" "$WORK/html.pdf"
  pdftoppm -r 96 -png -singlefile "$WORK/html.pdf" docs/slip_html
fi
# workbooks as LibreOffice prints them
if command -v soffice >/dev/null; then
  export HOME="$WORK"      # a throw-away LibreOffice profile
  soffice --headless --convert-to pdf --outdir "$WORK/pdf" "$M/payroll_2013-12.xlsx" \
    "$M/exceptions_2013-12.xlsx" "$M/slips/$ID.xlsx" >/dev/null
  S="$WORK/pdf/payroll_2013-12.pdf"
  pdftoppm -r 80 -png -f 1 -l 1 -singlefile "$S" docs/summary_libreoffice
  pdftoppm -r 80 -png -f 2 -l 2 -singlefile "$S" docs/summary_page2_libreoffice
  p=$(page_with "$S" "小计"); pdftoppm -r 80 -png -f "$p" -l "$p" -singlefile "$S" docs/summary_branches_libreoffice
  p=$(page_with "$S" "按级别与状态"); pdftoppm -r 80 -png -f "$p" -l "$p" -singlefile "$S" docs/summary_chart_libreoffice
  E="$WORK/pdf/exceptions_2013-12.pdf"
  pdftoppm -r 80 -png -f 1 -l 1 -singlefile "$E" docs/exceptions_libreoffice
  p=$(page_with "$E" "备查金额合计"); pdftoppm -r 80 -png -f "$p" -l "$p" -singlefile "$E" docs/exceptions_summary_libreoffice
  pdftoppm -r 90 -png -f 1 -l 1 -singlefile "$WORK/pdf/$ID.pdf" docs/slip_xlsx_libreoffice
else
  echo "LibreOffice not installed: the workbook renders were not re-made" >&2
fi
ls -l docs/*.png
