"""The glossary through the real Argos engine with identity models (output == input).

Protected terms and inline markers must come back exactly, Japanese source included. The
engine cannot carry markers (``markup = False``), so this follows the pipeline: protect, strip
the markers, translate, restore, put the markers back with ``segment.repair_markers``.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import pytest

from pipeline.glossary import load_glossary, protect, restore

ROOT = Path(__file__).resolve().parents[1]

if (
    importlib.util.find_spec("pipeline.engines.argos") is None
    or importlib.util.find_spec("tests.fixtures.argos_models") is None
):
    pytest.skip(
        "the Argos engine and its identity test models are not here yet", allow_module_level=True
    )

from tests.fixtures import argos_models as fx  # noqa: E402


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    # imported by name: these modules arrive with the argos branch
    models = importlib.import_module("pipeline.engines.argos_packages")
    argos = importlib.import_module("pipeline.engines.argos")

    folder = fx.install_identity_packages(tmp_path_factory.mktemp("argos-glossary"))
    return argos.ArgosEngine(models=models.installed_models([folder]))


def through_pipeline(engine, texts: list[str], src: str, tgt: str) -> tuple[list[str], int]:  # noqa: ANN001
    from pipeline import markers
    from pipeline.segment import repair_markers

    glossary = load_glossary(ROOT / "glossary.yml")
    protected = protect(glossary, texts, src, tgt, engine.glossary_strategy)
    sent = [markers.strip(t) for t in protected.texts] if not engine.markup else protected.texts
    drafts = [t.text for t in engine.translate(sent, src, tgt)]
    restored = restore(drafts, protected)
    return [repair_markers(s, t) for s, t in zip(texts, restored, strict=True)], protected.repairs


def test_identity_argos_terms_and_markers_exact(engine) -> None:  # noqa: ANN001
    texts = [
        "Comrades of the <g1>FLTI</g1> support the Peruvian miners’ unions!",
        "<g1>Alan Garcia</g1> enforced the free trade agreement with the United States.",
        "Japanese monopoly capitalists impose <g1>massive sackings</g1> and poverty.<x2/>",
    ]
    out, repairs = through_pipeline(engine, texts, "en", "es")
    assert repairs == 0
    assert out == [
        "Compañeros of the <g1>FLTI</g1> support the sindicatos mineros peruanos!",
        "<g1>Alan García</g1> enforced the tratado de libre comercio with Estados Unidos.",
        "Capitalistas monopolistas japoneses impose <g1>despidos masivos</g1> and pobreza.<x2/>",
    ]


def test_identity_argos_japanese_source_and_target(engine) -> None:  # noqa: ANN001
    out, repairs = through_pipeline(
        engine, ["同志たちは<g1>労働組合</g1>とストライキで帝国主義と闘う。"], "ja", "en"
    )
    assert repairs == 0
    assert out == ["Comradeたちは<g1>union</g1>とstrikeでimperialismと闘う。"]
    out, repairs = through_pipeline(
        engine, ["Solidarity with the <g1>toiling masses</g1> against imperialism!"], "en", "ja"
    )
    assert repairs == 0
    # no space next to a Japanese term (only Latin words keep spaces between them)
    assert out == ["連帯with the<g1>勤労大衆</g1>against帝国主義!"]
