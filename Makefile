# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit docs docs-png bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

DEMO_OUT := demo-output

demo: $(STAMP)
	$(BIN)/mne-workbook validate sample_plans/demo.yaml sample_plans/kosovo-2015-2019.yaml
	$(BIN)/mne-workbook generate sample_plans/demo.yaml --period 2026-Q3 --out $(DEMO_OUT)/demo --overwrite --key-file $(DEMO_OUT)/demo.key
	$(BIN)/mne-workbook generate sample_plans/kosovo-2015-2019.yaml --period 2019-Q4 --out $(DEMO_OUT)/kosovo --overwrite --key-file $(DEMO_OUT)/demo.key
	$(BIN)/python scripts/make_demo_returns.py $(DEMO_OUT)/demo $(DEMO_OUT)/returns $(DEMO_OUT)/demo.key
	-$(BIN)/mne-workbook consolidate sample_plans/demo.yaml $(DEMO_OUT)/returns --period 2026-Q3 \
		--as-of 2026-11-28 --out $(DEMO_OUT)/consolidated-2026-Q3.xlsx --csv $(DEMO_OUT)/csv \
		--json $(DEMO_OUT)/consolidated-2026-Q3.json --overwrite --key-file $(DEMO_OUT)/demo.key $(if $(shell command -v soffice),--pdf,)
	rm -f $(DEMO_OUT)/mne.sqlite && rm -rf $(DEMO_OUT)/mne-archive
	-$(BIN)/mne-workbook ingest $(DEMO_OUT)/returns --plan sample_plans/demo.yaml --db $(DEMO_OUT)/mne.sqlite --key-file $(DEMO_OUT)/demo.key
	$(BIN)/mne-workbook status --plan sample_plans/demo.yaml --db $(DEMO_OUT)/mne.sqlite --as-of 2026-11-28
	$(BIN)/mne-workbook report --plan sample_plans/demo.yaml --db $(DEMO_OUT)/mne.sqlite --year 2026 --out $(DEMO_OUT)/yearly-2026.xlsx --overwrite
	@echo "Open $(DEMO_OUT)/consolidated-2026-Q3.xlsx and $(DEMO_OUT)/yearly-2026.xlsx (exit code 1 above: one example return is refused on purpose)"

lint: $(STAMP)
	$(BIN)/ruff check mne_workbook tests scripts benchmarks
	$(BIN)/ruff format --check mne_workbook tests scripts benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck unit

docs: $(STAMP)
	$(BIN)/python scripts/cli_docs.py > docs/cli.md

# The picture in the README: a generated SO sheet as LibreOffice prints it (A3 landscape).
docs-png: $(STAMP)
	rm -rf $(DEMO_OUT)/png && mkdir -p $(DEMO_OUT)/png
	$(BIN)/mne-workbook generate sample_plans/demo.yaml --period 2026-Q4 --institution kp --no-master --out $(DEMO_OUT)/png
	soffice --headless --convert-to pdf --outdir $(DEMO_OUT)/png $(DEMO_OUT)/png/KP_2026-Q4.xlsx
	pdftoppm -r 90 -f 2 -l 2 -png -singlefile $(DEMO_OUT)/png/KP_2026-Q4.pdf docs/so-sheet-printed

# Speed and scale against raw library floors; outside `make test` (no timing assertions).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf $(VENV) build *.egg-info demo-output
