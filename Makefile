# The targets people expect. Everything runs in a local virtual environment (.venv).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA ?= ../shared/data

.PHONY: run test lint bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-base: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[serve,checker-model]'
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-base

install: $(VENV)/.installed-base

## run: install, then print the explainer of the bundled example article (built-in engine)
run: $(VENV)/.installed-base
	$(BIN)/storybrief explain --example

## test: install the test extras and run the whole suite
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/pip install -q ruff mypy
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

## bench: every benchmark, each printing its table (data from $(DATA)); engines needs .ci/llama.sh
bench: $(VENV)/.installed-test
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/extraction.py --data $(DATA)
	$(BIN)/python bench/sentences.py --data $(DATA)
	$(BIN)/python bench/summarization.py --data $(DATA)
	$(BIN)/python bench/roles.py --data $(DATA)
	$(BIN)/python bench/explainers.py --data $(DATA)
	$(BIN)/python bench/coherence.py --data $(DATA)
	$(BIN)/python bench/faithfulness.py --data $(DATA)
	$(BIN)/python bench/clustering.py --data $(DATA)
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/pipeline.py --data $(DATA)
	$(BIN)/python bench/capacity.py --data $(DATA)
	$(BIN)/python bench/cli_start.py
	$(BIN)/python bench/fuzz.py
	$(BIN)/python bench/engines.py --data $(DATA)
	$(BIN)/python bench/plot.py

clean:
	rm -rf $(VENV) build *.egg-info
