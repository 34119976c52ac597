"""report.json's ``targets`` entries for targets that did not run: a language no engine covers
is not reported as translated by ``identity``."""

from __future__ import annotations

from pathlib import Path

from pipeline.document import Block, Document, Span
from pipeline.engines.apertium import ApertiumEngine
from pipeline.engines.registry import EngineSet
from tests.conftest import requires_apertium
from tests.fixtures import stages


@requires_apertium
def test_a_target_no_engine_covers_names_no_engine(tmp_path: Path) -> None:
    doc = Document(
        blocks=[Block(kind="paragraph", spans=[Span(text="The union calls a general strike.")])],
        lang="en",
        lang_confidence=1.0,
    )
    job = stages.prepare_document(tmp_path, doc, "s.txt")
    engines = EngineSet.with_engines("auto", {"apertium": ApertiumEngine()})
    [targets] = stages.translate([job], engines, None, targets=("es", "ja"))
    data = stages.report(job, targets)
    es, ja = data["targets"]["es"], data["targets"]["ja"]
    assert es["engine"] == "apertium" and "error" not in es
    assert "no engine can translate en→ja" in ja["error"]
    assert ja["engine"] is None and ja["model"] is None and ja["pivot"] is None
