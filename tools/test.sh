#!/usr/bin/env bash
# What `make test` runs: lint, format check, types, import contracts, dead code, then every test
# against real Redis and PostgreSQL servers started here and stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
step() { printf '\n==> %s\n' "$*"; }

step "ruff check"; "$bin/ruff" check .
step "ruff format --check"; "$bin/ruff" format --check .
step "mypy --strict (libs, apps)"; "$bin/mypy"
step "import contracts (lint-imports)"; "$bin/lint-imports"
# Paths, confidence and framework waivers in [tool.vulture] of pyproject.toml; single names
# in tools/vulture_whitelist.py, each with its reason.
step "dead code (vulture)"; "$bin/vulture"
# pip-audit over poetry.lock; see tools/audit.py for why its own exit code is not trusted.
step "dependency audit (pip-audit)"; "$bin/python" tools/audit.py

state=$(mktemp -d "${TMPDIR:-/tmp}/quorum-services.XXXXXX")
cleanup() { tools/services.sh stop "$state" || true; }
trap cleanup EXIT
step "services (redis, postgresql)"
if ! tools/services.sh start "$state"; then
  if [ "${CI:-}" = "true" ]; then
    echo "error: a test service could not be started and CI=true: refusing to skip its tests" >&2
    exit 1
  fi
  echo "warning: some services are missing; their tests will be skipped (they fail under CI=true)" >&2
fi
set -a; . "$state/env"; set +a

step "pytest (with coverage of libs/quorum; [tool.coverage] in pyproject.toml)"
export NUMBA_CACHE_DIR=${NUMBA_CACHE_DIR:-$PWD/.cache/numba}
export LITELLM_LOCAL_MODEL_COST_MAP=True
set +e
"$bin/pytest" --cov --cov-report= "$@"
status=$?
set -e
if [ $status -eq 5 ]; then
  echo "error: pytest collected no tests; that is a failure, not a pass" >&2
  exit 1
fi
if [ $status -ne 0 ]; then
  exit $status
fi

# The floors hold for the whole suite; a run narrowed by arguments measures only part of it.
step "coverage floors (tools/coverage_gate.py: risk, scoring, execution >= 90 % each)"
if [ $# -gt 0 ]; then
  echo "skipped: pytest was given arguments ($*), so not every test ran"
  exit 0
fi
"$bin/coverage" report --format=total --precision=1 | sed 's/^/quorum total: /; s/$/ %/'
"$bin/python" tools/coverage_gate.py
