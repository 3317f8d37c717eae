#!/usr/bin/env bash
# Re-make the PNG renders of the month's-life workbooks under docs/ from the committed sample:
#   docs/life_fund_request_libreoffice.png   2013-01/资金申请单_2013-01.xlsx (release)
#   docs/life_payment_list_libreoffice.png   2013-01/发放清单_2013-01.xlsx, printed page 1
#   docs/life_approvals_libreoffice.png      2013-05/approvals_2013-05.xlsx (approve)
#   docs/life_audit_libreoffice.png          the audit report of the sample root
# Needs: the venv (make setup), poppler-utils, libreoffice-calc-nogui. Usage: bash docs/make_evidence_life.sh
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
BIN=.venv/bin
OUT="$WORK/out"
$BIN/cm-payroll month 2013-12 --input sample_data/securities --output "$OUT" --by 张计算 --quiet
for r in "审核 李审核" "复核 王复核" "签批 赵经理"; do
  set -- $r; $BIN/cm-payroll sign 2013-01 --role "$1" --by "$2" --output "$OUT" --quiet
done
$BIN/cm-payroll release 2013-01 --output "$OUT" --by 出纳 --quiet
$BIN/cm-payroll approve 2013-05 --file docs/approvals_2013-05.csv --output "$OUT" --quiet
$BIN/cm-payroll audit "$OUT" --report "$WORK/audit.xlsx" --quiet || true
export HOME="$WORK"
render() { # workbook name
  cp "$1" "$WORK/$2.xlsx"
  soffice --headless --convert-to pdf --outdir "$WORK" "$WORK/$2.xlsx" >/dev/null 2>&1
  pdftoppm -r 70 -png -singlefile -f 1 -l 1 "$WORK/$2.pdf" "docs/$2"
}
render "$OUT/2013-01/资金申请单_2013-01.xlsx" life_fund_request_libreoffice
render "$OUT/2013-01/发放清单_2013-01.xlsx" life_payment_list_libreoffice
render "$OUT/2013-05/approvals_2013-05.xlsx" life_approvals_libreoffice
render "$WORK/audit.xlsx" life_audit_libreoffice
echo "docs/life_*.png written"
