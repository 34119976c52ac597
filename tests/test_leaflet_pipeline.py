"""Issue 7's done-when path end to end: the sample statement → es and ja A5 leaflets + bilingual.

Spanish comes from Apertium (real translation). No real en→ja model can be had here, so the
Japanese "translation" comes from the identity Argos model the tests build: it proves the path
(engine choice, Japanese fonts and typography settings, fitting, report fields), not quality.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.cli import main
from tests.conftest import requires_apertium
from tests.fixtures import argos_models as fx

pytestmark = pytest.mark.slow  # the CLI end to end, in process


@requires_apertium
def test_sample_to_es_and_ja_a5_leaflets_and_bilingual(
    sample_statement: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "argos"))
    monkeypatch.setenv("PIPELINE_CACHE", str(tmp_path / "memory.sqlite3"))
    assert main(["models", "install", str(fx.cached_package("en", "ja"))]) == 0
    out = tmp_path / "out"
    # the en→ja model is an identity one (its drafts are English, which QA blocks)
    common = [str(sample_statement), "--formats", "pdf", "--out", str(out), "--allow-blocking"]
    assert main(["translate", *common, "--to", "es,ja", "--layout", "leaflet-a5"]) == 0
    report = json.loads((out / "casapalca-miners.en" / "report.json").read_text())
    es, ja = report["targets"]["es"], report["targets"]["ja"]
    assert es["engine"] == "apertium" and ja["engine"] == "argos"
    for target in (es, ja):
        leaflet = target["leaflet"]
        assert leaflet["pages"] <= 2 or "overflows" in leaflet["overflow"]
    assert main(["translate", *common, "--to", "es", "--layout", "bilingual"]) == 0
    folder = out / "casapalca-miners.en"
    for name in (
        "casapalca-miners.en.es.leaflet-a5.pdf",
        "casapalca-miners.en.ja.leaflet-a5.pdf",
        "casapalca-miners.en.en-es.bilingual.pdf",
    ):
        assert (folder / name).stat().st_size > 10_000
