#!/usr/bin/env bash
# Re-make the PNG renders under docs/ from the committed sample (2013-12):
#   docs/slip_html.png         slips/ZS009.html as headless Chromium shows it (A4 width, 96 dpi)
#   docs/slip_pdf.png          slips/ZS009.pdf, page 1, by pdftoppm (100 dpi)
#   docs/summary_libreoffice.png         payroll_2013-12.xlsx (工资汇总) as LibreOffice prints it
#   docs/summary_chart_libreoffice.png   its chart sheet 图表
#   docs/exceptions_libreoffice.png      exceptions_2013-12.xlsx (例外事项)
# Needs: the venv (make setup), poppler-utils, chromium, libreoffice-calc-nogui (Debian packages:
# apt-get install chromium libreoffice-calc-nogui). Usage: bash docs/make_evidence.sh [SLIP_ID]
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

# slip, PDF
pdftoppm -r 100 -png -singlefile "$M/slips/$ID.pdf" docs/slip_pdf
# slip, HTML in a browser (A4 portrait at 96 dpi is 794 × 1123 px)
if command -v chromium >/dev/null; then
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --window-size=794,1123 --screenshot="$PWD/docs/slip_html.png" "file://$M/slips/$ID.html" 2>/dev/null
else
  echo "chromium not installed: docs/slip_html.png not re-made" >&2
fi
# workbooks as LibreOffice prints them
if command -v soffice >/dev/null; then
  export HOME="$WORK"      # a throw-away LibreOffice profile
  soffice --headless --convert-to pdf --outdir "$WORK/pdf" "$M/payroll_2013-12.xlsx" "$M/exceptions_2013-12.xlsx" >/dev/null
  pdftoppm -r 110 -png -f 1 -l 1 -singlefile "$WORK/pdf/payroll_2013-12.pdf" docs/summary_libreoffice
  pages=$(pdfinfo "$WORK/pdf/payroll_2013-12.pdf" | awk '/^Pages:/ {print $2}')
  # the chart sheet is the page after the summary's pages: find the page whose text has the chart title
  for p in $(seq 1 "$pages"); do
    if pdftotext -f "$p" -l "$p" "$WORK/pdf/payroll_2013-12.pdf" - | grep -q "按级别与状态"; then
      pdftoppm -r 80 -png -f "$p" -l "$p" -singlefile "$WORK/pdf/payroll_2013-12.pdf" docs/summary_chart_libreoffice
      break
    fi
  done
  pdftoppm -r 80 -png -f 1 -l 1 -singlefile "$WORK/pdf/exceptions_2013-12.pdf" docs/exceptions_libreoffice
else
  echo "LibreOffice not installed: the workbook renders were not re-made" >&2
fi
ls -l docs/*.png
