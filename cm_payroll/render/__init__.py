"""Stage 6 — render: workbooks, slips and run.json from the month's frames. Writers know nothing of
rules: the rulebook hands them columns (key, header, kind) and per-manager slip lines."""
