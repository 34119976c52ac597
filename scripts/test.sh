#!/usr/bin/env bash
# Set everything up for the tests, lint, and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
py=${VIRTUAL_ENV:-.venv}/bin/python
"$py" -m ruff check pipeline tests benchmarks
"$py" -m ruff format --check pipeline tests benchmarks
exec "$py" -m pytest -q "$@"
