# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo serve test lint typecheck unit docs docs-png docs-plan-png docs-web bench bench-scale bench-web clean mutation golden

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

DEMO_OUT := demo-output
# consolidate and ingest exit 1 when a return is refused; the demo refuses one on purpose
# ('notes from MEST.xlsx' is text, not a workbook), so exit 1 is explained and any other failure stops make.
EXPECT_REFUSED = rc=$$?; if [ $$rc -eq 1 ]; then echo "(exit code 1 as expected: the demo's example return 'notes from MEST.xlsx' (a CSV text saved as .xlsx) is refused on purpose, see 'refused' above)"; elif [ $$rc -ne 0 ]; then exit $$rc; fi

demo: $(STAMP)
	$(BIN)/mne-workbook validate sample_plans/demo.yaml sample_plans/kosovo-2015-2019.yaml
	mkdir -p $(DEMO_OUT) && (test -f $(DEMO_OUT)/demo.key || $(BIN)/mne-workbook key new --key-file $(DEMO_OUT)/demo.key)
	$(BIN)/mne-workbook generate sample_plans/demo.yaml --period 2026-Q3 --out $(DEMO_OUT)/demo --overwrite --key-file $(DEMO_OUT)/demo.key
	$(BIN)/mne-workbook generate sample_plans/kosovo-2015-2019.yaml --period 2019-Q4 --out $(DEMO_OUT)/kosovo --overwrite --key-file $(DEMO_OUT)/demo.key
	$(BIN)/python scripts/make_demo_returns.py $(DEMO_OUT)/demo $(DEMO_OUT)/returns $(DEMO_OUT)/demo.key
	$(BIN)/mne-workbook consolidate sample_plans/demo.yaml $(DEMO_OUT)/returns --period 2026-Q3 \
		--as-of 2026-11-28 --out $(DEMO_OUT)/consolidated-2026-Q3.xlsx --csv $(DEMO_OUT)/csv \
		--json $(DEMO_OUT)/consolidated-2026-Q3.json --overwrite --key-file $(DEMO_OUT)/demo.key \
		$(if $(shell command -v soffice),--pdf,); $(EXPECT_REFUSED)
	rm -f $(DEMO_OUT)/mne.sqlite && rm -rf $(DEMO_OUT)/mne-archive
	$(BIN)/mne-workbook ingest sample_plans/demo.yaml $(DEMO_OUT)/returns --db $(DEMO_OUT)/mne.sqlite --key-file $(DEMO_OUT)/demo.key; $(EXPECT_REFUSED)
	$(BIN)/mne-workbook status sample_plans/demo.yaml --db $(DEMO_OUT)/mne.sqlite --as-of 2026-11-28
	$(BIN)/mne-workbook report sample_plans/demo.yaml --db $(DEMO_OUT)/mne.sqlite --year 2026 --out $(DEMO_OUT)/yearly-2026.xlsx --overwrite
	@echo "Open $(DEMO_OUT)/consolidated-2026-Q3.xlsx and $(DEMO_OUT)/yearly-2026.xlsx."
	@echo "Run the CLI yourself with .venv/bin/mne-workbook (or: source .venv/bin/activate)."
	@echo "The web desk on this demo store: make serve (it prints the address and a demo password)."

# The web desk on the demo store (make demo first); Ctrl+C stops it. PORT=8001 make serve.
PORT ?= 8000
serve: $(STAMP)
	test -f $(DEMO_OUT)/mne.sqlite || $(MAKE) demo
	$(BIN)/python scripts/serve_demo.py $(DEMO_OUT) $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check mne_workbook tests scripts benchmarks
	$(BIN)/ruff format --check mne_workbook tests scripts benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck unit

# docs/cli.md (each command's --help) and docs/codes.md (the catalog); tests fail on drift.
docs: $(STAMP)
	$(BIN)/python scripts/cli_docs.py > docs/cli.md
	$(BIN)/python scripts/codes_docs.py > docs/codes.md

# The pictures in the README: the meeting pack of the issue-12 case (full 2015-2019 plan, 2019-Q4,
# realistic returns from all carriers but two) as LibreOffice prints it; the first page and a
# cropped region of a matrix page. Needs LibreOffice, poppler and fonts-crosextra-carlito.
docs-png: $(STAMP)
	rm -rf $(DEMO_OUT)/png && mkdir -p $(DEMO_OUT)/png
	$(BIN)/python scripts/meeting_pack.py $(DEMO_OUT)/png --pdf
	pdftoppm -r 80 -f 1 -l 1 -png -singlefile $(DEMO_OUT)/png/consolidated-2019-Q4.pdf docs/meeting-page
	# the matrix picture is the first page of sheet SO1 (its footer names the sheet)
	pdf=$(DEMO_OUT)/png/consolidated-2019-Q4.pdf; \
	page=$$(for i in $$(seq 1 60); do pdftotext -f $$i -l $$i $$pdf - 2>/dev/null | tr -d '\f' | grep -v '^\s*$$' | tail -n 1 | grep -qx 'SO1' && { echo $$i; break; }; done); \
	pdftoppm -r 110 -f $$page -l $$page -x 0 -y 0 -W 1500 -H 900 -png -singlefile $$pdf docs/matrix-page

# Mutation testing (mutmut) of signing, the file gate, value parsing and consolidation flags,
# one target at a time under a time limit (outside `make test`): make mutation [TARGETS="signing values"]
# MUTATION_CHILDREN (default 1) and MUTATION_MINUTES (default 20 per target) bound the run.
mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,mutation]'
	$(BIN)/python scripts/mutation.py $(TARGETS)

# Rewrite the golden XML parts of tests/golden/ after a deliberate change to the writer.
golden: $(STAMP)
	$(BIN)/python tests/golden.py

# Screenshots of every page of the web desk, taken in headless Chromium (docs/web/*.png).
docs-web: $(STAMP)
	$(BIN)/python scripts/web_screenshots.py docs/web

# Speed and scale against raw library floors; outside `make test` (no timing assertions).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/bench.py

# The CLI's consolidate and ingest on 1,000, 3,000 and 10,000 distinct returns: time, peak
# memory and memory over the run (benchmarks/results-scale.json; about an hour on 2 cores).
bench-scale: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/bench.py --scale 1000,3000,10000

# The web desk under load on 127.0.0.1: 50 uploads from 10 simulated institutions.
bench-web: $(STAMP)
	$(BIN)/python benchmarks/web_load.py

clean:
	rm -rf $(VENV) build *.egg-info demo-output mutants

# The plan-workbook picture in the README: the demo plan's Activities sheet as LibreOffice prints it.
docs-plan-png: $(STAMP)
	rm -rf $(DEMO_OUT)/plan-png && mkdir -p $(DEMO_OUT)/plan-png
	$(BIN)/mne-workbook plan export sample_plans/demo.yaml --out $(DEMO_OUT)/plan-png/demo-plan.xlsx
	soffice --headless --convert-to pdf --outdir $(DEMO_OUT)/plan-png $(DEMO_OUT)/plan-png/demo-plan.xlsx
	pdftoppm -r 80 -f 7 -l 7 -x 0 -y 30 -W 1130 -H 330 -png -singlefile $(DEMO_OUT)/plan-png/demo-plan.pdf docs/plan-workbook-activities
