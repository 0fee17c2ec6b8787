# cfresearch: every target sets up what it needs (a virtual environment in .venv with the project
# installed editable), so `make report` and `make test` work on a fresh clone with Python 3.11.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.cfresearch-installed
JOBS   ?= 2

.PHONY: help setup report test bench lab sample-data notebooks browser java lint clean screenshots

help:
	@echo "make report       run every study on the sample data, write reports/index.html"
	@echo "make test         the whole test suite (unit, validation, notebooks, end-to-end)"
	@echo "make lab          JupyterLab on a working copy of the notebooks (lab/), the project installed"
	@echo "make bench        benchmarks against peer libraries"
	@echo "make sample-data  regenerate data/sample (byte-identical)"
	@echo "make notebooks    re-execute the notebooks on the sample data and keep their outputs"

setup: $(STAMP)

# uv (from PyPI) installs the stack in seconds; plain pip is the fallback. The spark extra (PySpark, Ibis'
# PySpark backend) is for the engine-equality test of the profitability ledger; it needs Java (`make java`).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv >/dev/null 2>&1 || true
	@if [ -x $(BIN)/uv ]; then \
		$(BIN)/uv pip install -q --python $(BIN)/python -e '.[dev,spark]'; \
	else \
		$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev,spark]'; \
	fi
	@touch $(STAMP)

report: setup
	$(BIN)/cfresearch run --all -j $(JOBS)

# Headless Chromium for the end-to-end report test (Debian's package; no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		echo "installing Debian's chromium for the end-to-end test"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# A Java runtime for PySpark in local mode (the ledger's Spark test), from Debian's packages like chromium.
java:
	@command -v java >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		echo "installing Debian's openjdk-17-jre-headless for the Spark test"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
			openjdk-17-jre-headless >/dev/null; }

test: setup browser java
	$(BIN)/python -m pytest

bench: setup
	@failed=""; for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || failed="$$failed $$b"; done; \
	if [ -n "$$failed" ]; then echo "== targets missed in:$$failed"; exit 1; fi

# JupyterLab on a working copy of the study notebooks in lab/ (ignored by git; same depth as notebooks/, so
# their relative data paths hold): edit and Run All there freely, the committed notebooks stay as they are
# (`make notebooks` refreshes those). A copy you already have is never overwritten. Root (containers, dev
# boxes) needs --allow-root.
lab: setup
	@mkdir -p lab
	@for nb in notebooks/[0-9]*.ipynb; do test -e "lab/$$(basename $$nb)" || cp "$$nb" lab/; done
	$(BIN)/jupyter lab lab/ $$(if [ "$$(id -u)" = 0 ]; then echo --allow-root; fi)

sample-data: setup
	$(BIN)/cfresearch sample-data

notebooks: setup
	$(BIN)/cfresearch store-outputs --all

# Screenshots of the survey report for the README (docs/screenshots/), at 390 px and 1280 px.
screenshots: setup browser
	$(BIN)/python docs/screenshots.py

lint: setup
	$(BIN)/ruff check src tests bench

clean:
	rm -rf $(VENV) reports/*/ reports/index.html reports/.tmp
