# cm-payroll — every target works on a fresh machine (python3 with venv).
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
MONTH   ?= 2013-12
OUT     ?= out

.PHONY: setup system-deps run run-2014 run-2019 run-rcc test test-fast sample bench bench-rcc clean

# System packages of PDF slips and their tests: a real CJK font (fonts-noto-cjk), poppler-utils
# (pdftoppm, pdftotext) and Pango/HarfBuzz (WeasyPrint); and LibreOffice Calc without a GUI
# (libreoffice-calc-nogui: `soffice --headless --convert-to`), with which tests/robustness makes
# .xlsx/.xls files the way clerks do. apt-get runs only when one is missing and we are root with apt
# (as CI is); otherwise a note says what to install.
SYSTEM_PKGS := fonts-noto-cjk poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
               libreoffice-calc-nogui

$(STAMP): pyproject.toml constraints.txt
	@echo "setting up $(VENV)/: a virtual environment with cm-payroll and its pinned dependencies"
	@echo "  (constraints.txt; about a minute the first time, then only when pyproject.toml or"
	@echo "  constraints.txt change) ..."
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --progress-bar off -c constraints.txt -e '.[test]'
	@echo "  installed: $$($(BIN)/cm-payroll --version)"
	touch $(STAMP)

setup: system-deps $(STAMP)

system-deps:
	@if command -v fc-list >/dev/null && fc-list :lang=zh family | grep -q "Noto Sans CJK" \
	    && command -v pdftoppm >/dev/null && command -v pdftotext >/dev/null \
	    && ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 && ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset \
	    && command -v soffice >/dev/null; then \
	  echo "system packages: ok (Noto Sans CJK, poppler-utils, Pango, LibreOffice)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "system packages: installing $(SYSTEM_PKGS) with apt-get (a few minutes) ..."; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -q && apt-get install -y -q --no-install-recommends $(SYSTEM_PKGS); \
	elif [ "$$(id -u)" != 0 ] && command -v sudo >/dev/null && sudo -n true 2>/dev/null && command -v apt-get >/dev/null; then \
	  echo "system packages: installing $(SYSTEM_PKGS) with sudo apt-get (a few minutes) ..."; \
	  sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update -q \
	    && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(SYSTEM_PKGS); \
	else \
	  echo "note: PDF slips need the Debian packages $(SYSTEM_PKGS);"; \
	  echo "      install them as root: apt-get install $(SYSTEM_PKGS)"; \
	fi

## Run the main job on the shipped sample data (processes 2013-01..2013-11 first).
run: $(STAMP)
	$(BIN)/cm-payroll month $(MONTH) --input sample_data/securities --output $(OUT)/securities

## Continue the sample into 2014 (deficit recovery months).
run-2014: run
	$(BIN)/cm-payroll month 2014-03 --input sample_data/securities --output $(OUT)/securities

## A short 2019 sample (2019-01..03): cumulative withholding of the income tax (累计预扣法, SPEC 9).
run-2019: $(STAMP)
	$(BIN)/cm-payroll month 2019-03 --input sample_data/tax2019 --output $(OUT)/tax2019

## The whole test suite (what CI runs). The PDF and robustness tests need the system packages.
test: system-deps $(STAMP)
	$(BIN)/python -m pytest -n 2 tests

## Re-create the committed sample data (seeded, deterministic).
sample: $(STAMP)
	$(BIN)/cm-payroll sample --output sample_data/securities --force
	$(BIN)/cm-payroll sample --rules rcc --output sample_data/rcc --force
	$(BIN)/cm-payroll sample --output sample_data/tax2019 --start 2019-01 --end 2019-03 --managers 30 --force

## The RCC sample year.
run-rcc: $(STAMP)
	$(BIN)/cm-payroll year 2013 --rules rcc --input sample_data/rcc --output $(OUT)/rcc

bench: $(STAMP)
	$(BIN)/python bench/run_bench.py
	$(BIN)/python bench/run_bench_rcc.py

## One rcc month: 20,000 credit managers × 100 loans (BENCH_RCC_SIZES to choose).
bench-rcc: $(STAMP)
	$(BIN)/python bench/run_bench_rcc.py

clean:
	rm -rf $(OUT) .pytest_cache .hypothesis
