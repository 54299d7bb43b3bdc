# formflow: the two commands a newcomer needs are `make run` and `make test`.
# Each creates .venv on first use; nothing needs to be installed beforehand but Python 3.11+.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck pytest schemas clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("formflow needs Python 3.11+") if sys.version_info < (3, 11) else None'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/formflow serve

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check formflow tests
	$(BIN)/ruff format --check formflow tests

typecheck: $(STAMP)
	$(BIN)/mypy formflow

pytest: $(STAMP)
	$(BIN)/pytest --cov --cov-fail-under=90 -q

schemas: $(STAMP)
	$(BIN)/formflow schema

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .coverage
