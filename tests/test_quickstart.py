"""The Quick start's first command on a fresh offline machine: apt waits for its lock, no
model can be fetched, and the run ends 0 with everything the installed engines can do and one
line per missing pair naming the command that installs its model."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, requires_apertium

FAKE_APT = """#!/usr/bin/env bash
echo "$*" >> "$APT_LOG"
if [ "${*: -1}" = update ] || [[ " $* " == *" update "* ]]; then
  if [ ! -f "$APT_LOG.locked-once" ]; then
    touch "$APT_LOG.locked-once"
    echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)" >&2
    exit 100
  fi
fi
exit 0
"""


def _project(tmp_path: Path) -> Path:
    """A copy of what the Quick start touches: scripts, source_docs, glossary, pyproject."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(ROOT / "scripts", project / "scripts")
    shutil.copytree(ROOT / "source_docs", project / "source_docs")
    for name in ("glossary.yml", "pyproject.toml", "engines.yml"):
        if (ROOT / name).is_file():
            shutil.copy(ROOT / name, project / name)
    return project


def _venv(tmp_path: Path, project: Path) -> Path:
    """A virtualenv stand-in: its python runs this checkout, its stamp says it is set up."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
    python.chmod(0o755)
    digest = hashlib.sha256((project / "pyproject.toml").read_bytes()).hexdigest()[:16]
    (venv / f".pipeline-{digest}-run").touch()
    return venv


@requires_apertium
@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="setup.sh installs Debian packages as root")
def test_quickstart_offline_waits_for_apt_and_ends_0(tmp_path: Path) -> None:
    project = _project(tmp_path)
    venv = _venv(tmp_path, project)
    fake = tmp_path / "fake-bin"
    fake.mkdir()
    (fake / "apt-get").write_text(FAKE_APT, encoding="utf-8")
    (fake / "dpkg-query").write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")  # all missing
    for tool in fake.iterdir():
        tool.chmod(0o755)
    log = tmp_path / "apt.log"
    env = {
        **os.environ,
        "PATH": f"{fake}:{os.environ['PATH']}",
        "VIRTUAL_ENV": str(venv),
        "APT_LOG": str(log),
        "SETUP_APT_RETRY_SECONDS": "0",
        "PYTHONPATH": str(ROOT),
        "ARGOS_PACKAGES_DIR": str(tmp_path / "argos"),  # no Argos model
        "ARGOS_PACKAGE_INDEX": "http://127.0.0.1:9/",  # offline: the index is unreachable
        "PIPELINE_MODELS_DIR": str(tmp_path / "ct2-models"),
        "PIPELINE_CACHE": str(tmp_path / "memory.sqlite3"),
    }
    done = subprocess.run(
        ["bash", str(project / "scripts" / "quickstart.sh")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    calls = log.read_text(encoding="utf-8").splitlines()
    assert [c for c in calls if "update" in c] == ["-o DPkg::Lock::Timeout=600 update -qq"] * 2
    assert any("-o DPkg::Lock::Timeout=600 install" in c for c in calls)
    missing = [line for line in done.stderr.splitlines() if "not available" in line]
    pairs = {line.split("no engine can translate ")[1].split(":")[0] for line in missing}
    assert pairs == {"es→ja", "ja→en", "ja→es", "en→ja"}
    assert len(missing) == len(pairs)  # one line per missing pair
    assert all("pipeline models install" in line for line in missing)
    out = project / "output"
    for written in (
        "solidarity-statement/solidarity-statement.es.pdf",
        "solidarity-statement/solidarity-statement.en.docx",
        "declaracion-solidaridad/declaracion-solidaridad.en.pdf",
        "seimei-ja/seimei-ja.ja.pdf",
    ):
        assert (out / written).is_file(), written
