"""An engine whose process dies on a batch (``EngineCrashed``: a Dask worker killed by it
again and again) fails only the document that kills it: the batch's documents are translated
again one by one, and the others get the drafts they would have had alone."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pipeline.engines.base import EngineCrashed, Progress, Translation
from pipeline.engines.registry import EngineSet
from tests.fixtures.engines import BracketEngine
from tests.fixtures.stages import prepared, translate

POISON = "POISON-SEGMENT"


class CrashingEngine(BracketEngine):
    """The bracket engine, whose process dies on any batch holding ``POISON``."""

    def translate(
        self, texts: Sequence[str], src: str, tgt: str, progress: Progress | None = None
    ) -> list[Translation]:
        if any(POISON in text for text in texts):
            self.calls.append((src, tgt, list(texts)))
            raise EngineCrashed(f"{src}→{tgt}: its segments killed the engine's process")
        return super().translate(texts, src, tgt, progress)


def test_only_the_document_that_kills_the_engine_fails(tmp_path: Path) -> None:
    engine = CrashingEngine()
    engines = EngineSet.with_engines("test", {"test": engine})
    texts = [["The miners were jailed."], [f"{POISON} breaks it."], ["We demand their release."]]
    documents = [prepared(tmp_path, t, name=f"s{n}.md") for n, t in enumerate(texts)]
    first, poisoned, last = (targets["es"] for targets in translate(documents, engines))
    assert poisoned.draft.error is not None and "killed the engine" in poisoned.draft.error
    assert first.draft.error is None and last.draft.error is None
    alone = translate([documents[0]], EngineSet.with_engines("test", {"test": BracketEngine()}))
    assert first.translations == alone[0]["es"].translations == ["⟦The⟧ ⟦miners⟧ ⟦were⟧ ⟦jailed⟧."]
    assert [len(call[2]) for call in engine.calls] == [3, 1, 1, 1]  # the batch, then one by one


def test_a_crash_on_one_document_is_not_tried_again(tmp_path: Path) -> None:
    engine = CrashingEngine()
    engines = EngineSet.with_engines("test", {"test": engine})
    (only,) = translate([prepared(tmp_path, [f"{POISON} breaks it."])], engines)
    assert only["es"].draft.error is not None
    assert len(engine.calls) == 1
