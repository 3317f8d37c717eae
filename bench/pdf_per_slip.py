#!/usr/bin/env python3
# CPU seconds per PDF slip, rendering only (bench/README.md "PDF slips"): usage
#   .venv/bin/python bench/pdf_per_slip.py OUTPUT/2013-12/slips LABEL   (the slips written with --format html)
# 100 slips (the month's slips repeated) in batches as the program cuts them, one process, after one
# warm-up batch; run the same with PYTHONPATH=<other checkout> for a before/after on the same slips.
import sys, time
from pathlib import Path
from cm_payroll.render import documents as D
htmls = [p.read_text() for p in sorted(Path(sys.argv[1]).glob("*.html"))]
htmls = (htmls * 2)[:100]
base = str(D.builtin_templates()) + "/"
D._render_pdfs(htmls[:2], base)
t = time.process_time()
for i in range(0, len(htmls), D.PDF_BATCH):
    D._render_pdfs(htmls[i:i + D.PDF_BATCH], base)
print(f"{sys.argv[2]}: {(time.process_time() - t) / len(htmls):.4f} s/slip")
