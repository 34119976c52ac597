#!/usr/bin/env bash
# Set everything up, fetch the Argos models when the model index is reachable, and translate
# every statement in source_docs/ into en, es and ja under output/: everything the installed
# engines can do. A language pair no installed engine covers is one line naming the command
# that installs its model, and does not fail the run (`--skip-unavailable`); anything else
# that goes wrong (a bad file, a blocking QA finding) still exits 1. Extra arguments go to
# `pipeline translate` (e.g. --to es).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
py=${VIRTUAL_ENV:-.venv}/bin/python
if "$py" -m pipeline models --help >/dev/null 2>&1; then
  # Offline, this says in one line that the model index cannot be reached, and goes on.
  "$py" -m pipeline models install --defaults || echo "quickstart: no models fetched; translating with the engines installed" >&2
fi
exec "$py" -m pipeline translate --skip-unavailable "$@"
