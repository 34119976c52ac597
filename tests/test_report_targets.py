"""report.json's ``targets`` entries for targets that did not run: a language no engine covers
is not reported as translated by ``identity``."""

from __future__ import annotations

from pathlib import Path

from pipeline.document import Block, Document, Span
from pipeline.engines.apertium import ApertiumEngine
from pipeline.engines.registry import EngineSet
from pipeline.jobs import DocumentJob, Progress, RunOptions, TargetResult
from pipeline.report import collect_qa, report_data
from pipeline.segment import segment_document
from pipeline.translate import translate_all
from tests.conftest import requires_apertium


@requires_apertium
def test_a_target_no_engine_covers_names_no_engine(tmp_path: Path) -> None:
    doc = Document(
        blocks=[Block(kind="paragraph", spans=[Span(text="The union calls a general strike.")])],
        lang="en",
        lang_confidence=1.0,
    )
    job = DocumentJob(path=tmp_path / "s.txt", stem="s", out_dir=tmp_path / "out")
    job.doc = doc
    job.segmented = segment_document(doc, "en")
    for lang in ("es", "ja"):
        job.targets[lang] = TargetResult(lang=lang)
    engines = EngineSet.with_engines("auto", {"apertium": ApertiumEngine()})
    translate_all([job], RunOptions(paths=[], targets=["es", "ja"]), engines, Progress(), None)
    for target in job.targets.values():
        collect_qa(job, target, None)
    data = report_data(job)
    es, ja = data["targets"]["es"], data["targets"]["ja"]
    assert es["engine"] == "apertium" and "error" not in es
    assert "no engine can translate en→ja" in ja["error"]
    assert ja["engine"] is None and ja["model"] is None and ja["pivot"] is None
