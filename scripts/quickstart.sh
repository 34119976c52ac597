#!/usr/bin/env bash
# Set everything up, fetch the Argos models when the model index is reachable, and translate
# every statement in source_docs/ into en, es and ja under output/. Extra arguments go to
# `pipeline translate` (e.g. --to es).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
py=${VIRTUAL_ENV:-.venv}/bin/python
if "$py" -m pipeline models --help >/dev/null 2>&1; then
  "$py" -m pipeline models install --defaults || true
fi
exec "$py" -m pipeline translate "$@"
