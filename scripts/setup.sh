#!/usr/bin/env bash
# Idempotent setup for a fresh Debian 12 machine (Python 3.11).
#   scripts/setup.sh          what running the pipeline needs
#   scripts/setup.sh test     plus what the test suite needs
# As root it apt-get installs the missing Debian packages; otherwise it uses sudo when that
# needs no password, else prints the apt-get command to run and goes on.
# Python packages go into $VIRTUAL_ENV when one is active, else into ./.venv.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}

# LibreOffice lays out the PDF of a DOCX/ODT translated in place (without it: Typst), and
# Impress that of a PPTX/ODP; python3-uno lets one LibreOffice stay up for a batch (without it:
# a soffice per document).
debian=(python3-venv apertium apertium-eng-spa poppler-utils fonts-noto-cjk fonts-noto-core
  libreoffice-writer-nogui libreoffice-impress python3-uno)
if [ "$mode" = test ]; then
  debian+=(omegat)  # the OmegaT round-trip tests (console mode)
  debian+=(chromium)  # the review workbench's browser tests (Playwright drives /usr/bin/chromium)
fi

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${debian[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
fi
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}
can_be_root() {
  [ "$(id -u)" = 0 ] || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }
}
# apt waits for another apt or dpkg (an unattended upgrade, a second shell) instead of failing
# on its lock: dpkg's lock through DPkg::Lock::Timeout, the package lists' lock by retrying.
apt_wait=(-o DPkg::Lock::Timeout=600)
apt_update() {
  local err i
  for i in $(seq 1 120); do
    if err=$(as_root apt-get "${apt_wait[@]}" update -qq 2>&1 >/dev/null); then return 0; fi
    case $err in
      *"Could not get lock"*|*"Unable to lock"*|*"is held by process"*) sleep "${SETUP_APT_RETRY_SECONDS:-5}" ;;
      *) echo "$err" >&2; return 1 ;;
    esac
  done
  echo "setup: apt's lock was still held after 10 minutes" >&2
  return 1
}
if [ ${#missing[@]} -gt 0 ]; then
  if can_be_root; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt_update || echo "setup: apt-get update failed; installing from the package lists there are" >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get "${apt_wait[@]}" install -y -qq \
      --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages (not root, no sudo): ${missing[*]}" >&2
    echo "setup: install them with: sudo apt-get install -o DPkg::Lock::Timeout=600 ${missing[*]}" >&2
  fi
fi

# The official OASIS XLIFF 1.2 schema the tests validate review exports against. It ships in
# Debian's php-symfony-translation; `apt-get download` (no root needed) fetches the .deb and
# dpkg -x unpacks it, so PHP is never installed. Third-party files: git-ignored, not committed.
fetch_xliff_schema() {
  local dest=tests/.schemas
  local schemas=usr/share/php/Symfony/Component/Translation/Resources/schemas
  [ -f "$dest/xliff-core-1.2-strict.xsd" ] && [ -f "$dest/xml.xsd" ] && return 0
  local tmp
  tmp=$(mktemp -d)
  download() { (cd "$tmp" && apt-get download php-symfony-translation) >>"$tmp/log" 2>&1; }
  # A machine whose package lists were never fetched needs an update first.
  download || { can_be_root && apt_update >>"$tmp/log" 2>&1 && download; } || true
  if (cd "$tmp" && dpkg -x php-symfony-translation_*.deb unpacked) >>"$tmp/log" 2>&1 &&
     [ -f "$tmp/unpacked/$schemas/xliff-core-1.2-strict.xsd" ]; then
    mkdir -p "$dest"
    cp "$tmp/unpacked/$schemas/xliff-core-1.2-strict.xsd" "$tmp/unpacked/$schemas/xml.xsd" "$dest/"
    echo "setup: XLIFF 1.2 schema copied to $dest/"
  else
    echo "setup: could not fetch the XLIFF schema (apt-get download php-symfony-translation" \
      "failed; try apt-get update); its validation tests will skip" >&2
  fi
  rm -rf "$tmp"
}
if [ "$mode" = test ]; then
  fetch_xliff_schema
fi

if [ -n "${VIRTUAL_ENV:-}" ]; then
  venv=$VIRTUAL_ENV
else
  venv=.venv
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
fi

extra=""
[ "$mode" = test ] && extra="[test,cluster]"  # the cluster tests start a real Dask scheduler
stamp="$venv/.pipeline-$(cat pyproject.toml | sha256sum | cut -c1-16)-$mode"
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python packages into $venv"
  log="$venv/pip-install.log"
  if ! { "$venv/bin/python" -m pip install --upgrade pip &&
         "$venv/bin/python" -m pip install -e ".$extra"; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "setup: pip install failed (full log: $log)" >&2
    exit 1
  fi
  touch "$stamp"
fi
