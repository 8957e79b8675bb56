# Quorum: `make run` runs the main job on embedded defaults, `make test` checks everything.
# Both bootstrap from a fresh clone: find Python 3.12, install Poetry if missing, install
# the locked dependencies into .venv, then run.
SHELL := /bin/bash
.DEFAULT_GOAL := help

POETRY_HOME ?= $(HOME)/.local/share/quorum/poetry
POETRY_VERSION ?= 2.5.1
# Poetry runs through tools/poetry_lock.py: see that file for why (package proxy quirk).
POETRY = $(POETRY_HOME)/bin/python tools/poetry_lock.py
VENV := .venv
STAMP := $(VENV)/.quorum-installed
WARM = $(VENV)/bin/python -c 'from quorum.analysis import warm_up_kernels; warm_up_kernels()'
export POETRY_VIRTUALENVS_IN_PROJECT := true
export POETRY_NO_INTERACTION := 1
export LITELLM_LOCAL_MODEL_COST_MAP := True

.PHONY: help install run test lint types lock clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(POETRY_HOME)/bin/poetry:
	@python=$$(tools/find-python.sh) && \
	echo "installing Poetry $(POETRY_VERSION) into $(POETRY_HOME) with $$python" && \
	"$$python" -m venv "$(POETRY_HOME)" && \
	"$(POETRY_HOME)/bin/pip" install --quiet "poetry==$(POETRY_VERSION)"

$(STAMP): pyproject.toml poetry.lock | $(POETRY_HOME)/bin/poetry
	@python=$$(tools/find-python.sh) && $(POETRY) env use "$$python" >/dev/null
	$(POETRY) sync
	@# Bytecode for the environment and our code, once: imports read .pyc files even where
	@# PYTHONDONTWRITEBYTECODE stops Python from writing them (every process would otherwise
	@# compile LangGraph, litellm, pandas … from source: ~5 s CPU per process here).
	$(VENV)/bin/python -m compileall -q -j 0 $(VENV)/lib libs apps >/dev/null
	@# The numba kernels compiled once (a cold compile costs the first scan 12-17 s of CPU),
	@# into the cache `quorum` reads here (NUMBA_CACHE_DIR, else numba's own next to the
	@# sources) and into the one tools/test.sh reads (.cache/numba).
	@for cache in "$${NUMBA_CACHE_DIR:-}" "$(CURDIR)/.cache/numba"; do \
	  NUMBA_CACHE_DIR="$$cache" $(WARM) || exit 1; \
	done
	@touch $@

install: $(STAMP)  ## create .venv with the locked dependencies

run: $(STAMP)  ## the main job on embedded defaults (offline)
	$(VENV)/bin/quorum run

test: $(STAMP)  ## lint, format, mypy --strict, import contracts, dead code, all tests + coverage floors
	tools/test.sh

lint: $(STAMP)  ## ruff check and format check only
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

types: $(STAMP)  ## mypy --strict only
	$(VENV)/bin/mypy

lock: | $(POETRY_HOME)/bin/poetry  ## re-resolve poetry.lock after editing pyproject.toml
	$(POETRY) lock

clean:  ## remove the virtualenv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .cache .coverage
