"""The translate stage per language pair: approved translations first, then cache and engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.document import Block, Document, Span
from pipeline.engines.registry import EngineSet
from pipeline.jobs import DocumentJob, Progress, RunOptions, TargetResult
from pipeline.memory import TranslationMemory
from pipeline.segment import segment_document
from pipeline.translate import translate_all
from tests.fixtures.engines import BracketEngine

APPROVED_SOURCE = "Long live the strike."
OTHER_SOURCE = "The miners stand together."


def _job(tmp_path: Path, texts: list[str]) -> DocumentJob:
    doc = Document(
        blocks=[Block(kind="paragraph", spans=[Span(text=t)]) for t in texts],
        lang="en",
        lang_confidence=1.0,
    )
    job = DocumentJob(path=tmp_path / "statement.md", stem="statement", out_dir=tmp_path)
    job.doc = doc
    job.segmented = segment_document(doc, "en")
    job.targets["es"] = TargetResult(lang="es")
    return job


@pytest.fixture
def memory(tmp_path: Path):
    with TranslationMemory(tmp_path / "memory.sqlite3") as tm:
        yield tm


def test_an_approved_segment_never_reaches_the_engine_and_counts_as_approved(tmp_path, memory):
    memory.approve("en", "es", APPROVED_SOURCE, "¡Viva la huelga!", "ana")
    job = _job(tmp_path, [APPROVED_SOURCE, OTHER_SOURCE])
    engine = BracketEngine()
    options = RunOptions(paths=[], targets=["es"])

    translate_all(
        [job], options, EngineSet.with_engines("test", {"test": engine}), Progress(), memory
    )

    sent = [text for _, _, texts in engine.calls for text in texts]
    assert sent == [OTHER_SOURCE]  # one batch for the pair, without the approved segment
    target = job.targets["es"]
    assert target.translations[0] == "¡Viva la huelga!"
    assert target.origins == ["approved", "machine"]
    assert (target.approved, target.machine_translated, target.from_memory) == (1, 1, 0)
    assert target.error is None and target.route is not None and target.route.engine == "test"


def test_approved_segments_are_used_even_when_no_engine_covers_the_pair(tmp_path, memory):
    memory.approve("en", "es", APPROVED_SOURCE, "¡Viva la huelga!", "ana")
    job = _job(tmp_path, [APPROVED_SOURCE])
    engine = BracketEngine(pairs=[("en", "ja")])  # nothing for en→es
    options = RunOptions(paths=[], targets=["es"])

    translate_all(
        [job], options, EngineSet.with_engines("test", {"test": engine}), Progress(), memory
    )

    target = job.targets["es"]
    assert engine.calls == []
    assert target.translations == ["¡Viva la huelga!"] and target.approved == 1
    assert target.error is None and target.route is not None and target.route.engine == "memory"


def test_force_still_uses_approved_but_bypasses_the_cache(tmp_path, memory):
    memory.approve("en", "es", APPROVED_SOURCE, "¡Viva la huelga!", "ana")
    engines = EngineSet.with_engines("test", {"test": BracketEngine()})
    translate_all(
        [_job(tmp_path, [APPROVED_SOURCE, OTHER_SOURCE])],
        RunOptions(paths=[], targets=["es"]),
        engines,
        Progress(),
        memory,
    )
    again = _job(tmp_path, [APPROVED_SOURCE, OTHER_SOURCE])
    translate_all([again], RunOptions(paths=[], targets=["es"]), engines, Progress(), memory)
    assert again.targets["es"].origins == ["approved", "cache"]

    forced = _job(tmp_path, [APPROVED_SOURCE, OTHER_SOURCE])
    options = RunOptions(paths=[], targets=["es"], force=True)
    translate_all([forced], options, engines, Progress(), memory)
    assert forced.targets["es"].origins == ["approved", "machine"]
