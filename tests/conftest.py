"""Shared fixtures: the test data in ``tests/data``, the sample statements, and a CLI runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SAMPLE = DATA / "casapalca-miners.en.txt"
SOURCE_DOCS = ROOT / "source_docs"


@pytest.fixture
def sample_statement() -> Path:
    """The English solidarity statement the tests translate (``tests/data``)."""
    return SAMPLE


@pytest.fixture
def source_docs() -> Path:
    return SOURCE_DOCS


@pytest.fixture(scope="session", autouse=True)
def _layout_cache(tmp_path_factory: pytest.TempPathFactory):
    """The page counts LibreOffice gave sources (``export.layout_cache``) kept in the session's
    own folder, never the user's cache (the ``cli`` fixture gives each test its own)."""
    with pytest.MonkeyPatch.context() as patch:
        folder = tmp_path_factory.mktemp("layout-cache")
        patch.setenv("PIPELINE_LAYOUT_CACHE", str(folder / "layout.sqlite3"))
        yield


@pytest.fixture
def cli(tmp_path: Path):
    """Run ``python -m pipeline ARGS`` in a subprocess; returns the CompletedProcess."""

    def run(
        *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = str(ROOT)
        full_env.setdefault("PIPELINE_CACHE", str(tmp_path / "memory.sqlite3"))
        full_env.setdefault("PIPELINE_MODELS_DIR", str(tmp_path / "ct2-models"))  # none installed
        full_env["PIPELINE_LAYOUT_CACHE"] = str(tmp_path / "layout.sqlite3")
        full_env.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "pipeline", *args],
            capture_output=True,
            text=True,
            cwd=cwd or ROOT,
            env=full_env,
            timeout=600,
        )

    return run


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that runs ``python -m pipeline`` through the ``cli`` fixture is ``slow``, and
    so is every test that needs LibreOffice (it starts the office suite to convert a file).

    ``pytest -n 2 -m "not slow"`` is the fast inner loop; tests that start the CLI another way
    carry ``@pytest.mark.slow`` themselves.
    """
    for item in items:
        if "cli" in getattr(item, "fixturenames", ()) or _needs_libreoffice(item):
            item.add_marker(pytest.mark.slow)


def _needs_libreoffice(item: pytest.Item) -> bool:
    """A test skipped without LibreOffice (its skipif names soffice or LibreOffice)."""
    for mark in item.iter_markers("skipif"):
        reason = str(mark.kwargs.get("reason", ""))
        if "soffice" in reason or "LibreOffice" in reason:
            return True
    return False


def requires(binary: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(shutil.which(binary) is None, reason=f"{binary} is not installed")


requires_apertium = requires("apertium")
requires_poppler = requires("pdftotext")
