#!/usr/bin/env bash
# Set everything up for the tests, lint, type-check, check the layering, and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
py=${VIRTUAL_ENV:-.venv}/bin/python
"$py" -m ruff check pipeline tests benchmarks
"$py" -m ruff format --check pipeline tests benchmarks
"$py" -m mypy                               # types (config in pyproject.toml)
"${VIRTUAL_ENV:-.venv}/bin/lint-imports"    # layering contracts (pyproject.toml)
exec "$py" -m pytest -q "$@"
