# cm-payroll — every target works on a fresh machine (python3 with venv).
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
MONTH   ?= 2013-12
OUT     ?= out

.PHONY: setup run run-2014 test test-fast sample bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

## Run the main job on the shipped sample data (processes 2013-01..2013-11 first).
run: $(STAMP)
	$(BIN)/cm-payroll month $(MONTH) --input sample_data/securities --output $(OUT)/securities

## Continue the sample into 2014 (deficit recovery months).
run-2014: run
	$(BIN)/cm-payroll month 2014-03 --input sample_data/securities --output $(OUT)/securities

## The whole test suite (what CI runs).
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 tests

## Re-create the committed sample data (seeded, deterministic).
sample: $(STAMP)
	$(BIN)/cm-payroll sample --output sample_data/securities --force

bench: $(STAMP)
	$(BIN)/python bench/run_bench.py

clean:
	rm -rf $(OUT) .pytest_cache .hypothesis
