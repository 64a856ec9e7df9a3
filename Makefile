# `make demo` and `make test` work on a fresh clone: each creates .venv and installs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test serve seed schema bench bench-quality clean

demo: $(VENV)/.installed
	$(BIN)/analytics-gateway demo

test: $(VENV)/.installed-test
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -p no:cacheprovider

serve: $(VENV)/.installed
	$(BIN)/analytics-gateway serve

schema: $(VENV)/.installed
	$(BIN)/analytics-gateway export-schema

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

bench: $(VENV)/.installed
	$(BIN)/python bench/portfolio.py
	$(BIN)/python bench/forecast.py
	$(BIN)/python bench/work.py
	$(BIN)/python bench/floor.py
	$(BIN)/python bench/clients.py
	$(BIN)/python bench/attribution.py

# forecast accuracy and interval coverage on real and demo series (about half an hour on 2 cores)
bench-quality: $(VENV)/.installed
	$(BIN)/python bench/forecast_quality.py

clean:
	rm -rf $(VENV) var build *.egg-info
