"""Blocking findings hold back print-ready outputs; placeholder debris never reaches a file.

The engine is real Apertium wrapped so that it behaves as engines were seen to: a glossary
token mangled into ``ZXQgen03``, a marker-like tag ``<extra466>`` left in a draft, one
sentence answered in the source language. The document is the Casapalca statement."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from pipeline import blocking, debris
from pipeline.cli.summary import failure_lines
from pipeline.engines.apertium import ApertiumEngine
from pipeline.engines.base import Progress, Route, Strategy, Translation
from pipeline.engines.registry import EngineSet
from pipeline.glossary import load_glossary
from pipeline.run import run_batch
from tests.conftest import SAMPLE, requires_apertium
from tests.fixtures.stages import batch

GLOSSARY = """\
version: 1
terms:
  - keep: [JRCL, RMF]
    gender: f
  - en: [Casapalca mine]
    es: mina de Casapalca
    ja: カサパルカ鉱山
"""
TAG = "<extra466>"
WRONG = "The charge is false"  # the sentence the engine answers in English


class ManglingApertium:
    """Apertium through plain-text glossary tokens, leaving debris as real engines do."""

    name = "mangling"
    markup = False
    glossary_strategy = Strategy(names="token", terms="token")

    def __init__(self) -> None:
        self.inner = ApertiumEngine()

    def route(self, src: str, tgt: str) -> Route | None:
        found = self.inner.route(src, tgt)
        return Route("mangling", found.model, "1") if found else None

    def translate(
        self, texts: Sequence[str], src: str, tgt: str, progress: Progress | None = None
    ) -> list[Translation]:
        answers = self.inner.translate(texts, src, tgt, progress)
        out = []
        mangled = tagged = False
        for text, answer in zip(texts, answers, strict=True):
            draft = answer.text
            if not mangled and re.search(r"ZXQ\d+", draft):
                draft, mangled = re.sub(r"ZXQ\d+", "ZXQgen03", draft, count=1), True
            elif not tagged and "police" in text:
                draft, tagged = draft.replace(" ", f" {TAG} ", 1), True
            if text.startswith(WRONG):
                draft = text
            out.append(Translation(draft, answer.unknown_words))
        return out


def _run(tmp_path: Path, **options: object):  # noqa: ANN202
    src = tmp_path / "campaign"
    src.mkdir(exist_ok=True)
    (src / "casapalca.txt").write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "glossary.yml").write_text(GLOSSARY, encoding="utf-8")
    run_options = batch(
        paths=[src],
        targets=["es"],
        out_dir=tmp_path / "out",
        glossary=load_glossary(tmp_path / "glossary.yml"),
        **options,  # type: ignore[arg-type]
    )
    engines = EngineSet.with_engines("mangling", {"mangling": ManglingApertium()})
    result = run_batch(run_options, engines=engines)
    report = json.loads((tmp_path / "out" / "casapalca" / "report.json").read_text())
    return result, report


def _docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("word/document.xml").decode()


@requires_apertium
def test_blocking_findings_hold_back_the_pdf_and_leaflet_and_exit_1(tmp_path: Path) -> None:
    result, report = _run(tmp_path, layout="leaflet-a5")
    target = report["targets"]["es"]
    kinds = {blocking.kind(f) for f in target["blocking"]}
    assert {"placeholder debris", "wrong language"} <= kinds or (
        "degenerate draft left as the source" in kinds
    ), target["blocking"]
    assert target["held_back"] == ["pdf", "leaflet"]
    assert set(target["outputs"]) == {"docx"}  # review material: the DOCX draft only
    out = tmp_path / "out" / "casapalca"
    assert not list(out.glob("*.pdf"))
    assert result.exit_code == 1
    (line,) = failure_lines(result)
    assert "PDF and leaflet not written" in line and "--allow-blocking" in line
    for finding in target["blocking"]:
        assert finding["segment"] in line
    text = _docx_text(out / "casapalca.es.docx")
    assert "ZXQ" not in text and "extra466" not in text  # no debris in any output


@requires_apertium
def test_allow_blocking_prints_anyway_without_debris(tmp_path: Path) -> None:
    result, report = _run(tmp_path, allow_blocking=True)
    target = report["targets"]["es"]
    assert target["blocking"] and target["held_back"] == []
    assert set(target["outputs"]) == {"docx", "pdf"}
    assert result.exit_code == 0
    pdf = subprocess.run(
        ["pdftotext", target["outputs"]["pdf"], "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "ZXQ" not in pdf and "extra466" not in pdf
    for path in (tmp_path / "out").rglob("*"):  # report.json, the sidecar, the DOCX
        if path.is_file() and path.suffix != ".pdf":
            data = _docx_text(path) if path.suffix == ".docx" else path.read_text("utf-8")
            assert "ZXQ" not in data and "extra466" not in data, path


@requires_apertium
def test_a_clean_draft_is_printed_and_exits_0(tmp_path: Path) -> None:
    """Unknown words Apertium left are QA findings, not blocking ones."""
    src = tmp_path / "s"
    src.mkdir()
    (src / "casapalca.txt").write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    options = batch(paths=[src], targets=["es"], out_dir=tmp_path / "out")
    result = run_batch(options, engines=EngineSet.with_engines("apertium", {}))
    report = json.loads((tmp_path / "out" / "casapalca" / "report.json").read_text())
    target = report["targets"]["es"]
    assert target["qa"] and target["blocking"] == [] and target["held_back"] == []
    assert set(target["outputs"]) == {"docx", "pdf"}
    assert result.exit_code == 0


@pytest.mark.parametrize(
    ("source", "draft", "clean"),
    [
        ("The JRCL calls.", "La ZXQgen03 llama.", "La llama."),
        ("a <g1>b</g1> c", "una <g1>b</g1> <extra466> c", "una <g1>b</g1> c"),
        ("x", "ZXQ 903, y zxq-904 ahora", ", y ahora"),
        ("労働者", "労働者ZXQ901の", "労働者の"),
        ("x", "<x 12/>Hola <g1>mundo</g1>.", "Hola <g1>mundo</g1>."),
    ],
)
def test_debris_is_removed(source: str, draft: str, clean: str) -> None:
    assert debris.clean(source, draft)[0] == clean


def test_text_the_source_has_is_not_debris() -> None:
    assert debris.clean("Use <h1> and ZXQ-42 here", "Usa <h1> y ZXQ-42 aquí") == (
        "Usa <h1> y ZXQ-42 aquí",
        [],
    )


def test_which_findings_block() -> None:
    def f(check: str, detail: str) -> dict[str, str]:
        return {"segment": "b1.s1", "check": check, "detail": detail}

    assert not blocking.is_blocking(f("leftover", "left untranslated by the engine: waging"))
    assert blocking.is_blocking(
        f("leftover", "left untranslated by the engine: x; <g2> not closed")
    )
    assert blocking.is_blocking(f("leftover", "placeholder left in draft: ZXQ901"))
    assert blocking.is_blocking(f("untranslated", "draft looks like en, not es (confidence 0.99)"))
    assert not blocking.is_blocking(
        f("untranslated", "draft looks like es, not en (confidence 0.74)")
    )
    assert blocking.is_blocking(f("untranslated", "draft is identical to the source"))
    assert blocking.is_blocking(f("degenerate", "argos: loops; left as the source text"))
    assert not blocking.is_blocking(f("degenerate", "argos: loops; this draft is from apertium"))
    assert not blocking.is_blocking(f("numbers", "numbers differ: missing in draft: 48"))
    assert not blocking.is_blocking(f("length", "draft is unusually long"))


@requires_apertium
def test_a_blocked_document_is_built_and_said_again_not_skipped(tmp_path: Path) -> None:
    _run(tmp_path)
    again, _ = _run(tmp_path)
    assert not again.unchanged and again.exit_code == 1
    allowed, _ = _run(tmp_path, allow_blocking=True)
    assert allowed.exit_code == 0
    skipped, _ = _run(tmp_path, allow_blocking=True)  # printed anyway, nothing changed
    assert len(skipped.unchanged) == 1 and skipped.exit_code == 0
    strict, _ = _run(tmp_path)  # not allowed this time: built and blocked again
    assert not strict.unchanged and strict.exit_code == 1


def test_rebuild_rule_reads_report_json() -> None:
    held = {"targets": {"es": {"blocking": [{"check": "leftover"}], "held_back": ["pdf"]}}}
    printed = {"targets": {"es": {"blocking": [{"check": "leftover"}], "held_back": []}}}
    clean = {"targets": {"es": {"blocking": [], "held_back": []}}}
    assert blocking.rebuild_for_blocking(held, allowed=True)
    assert blocking.rebuild_for_blocking(printed, allowed=False)
    assert not blocking.rebuild_for_blocking(printed, allowed=True)
    assert not blocking.rebuild_for_blocking(clean, allowed=False)
