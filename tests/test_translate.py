"""The translate stage per language pair: approved translations first, then cache and engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.engines.registry import EngineSet
from pipeline.memory import TranslationMemory
from tests.fixtures.engines import BracketEngine
from tests.fixtures.stages import prepared, translate

APPROVED_SOURCE = "Long live the strike."
OTHER_SOURCE = "The miners stand together."


@pytest.fixture
def memory(tmp_path: Path):
    with TranslationMemory(tmp_path / "memory.sqlite3") as tm:
        yield tm


def test_an_approved_segment_never_reaches_the_engine_and_counts_as_approved(tmp_path, memory):
    memory.approve("en", "es", APPROVED_SOURCE, "¡Viva la huelga!", "ana")
    job = prepared(tmp_path, [APPROVED_SOURCE, OTHER_SOURCE])
    engine = BracketEngine()

    [targets] = translate([job], EngineSet.with_engines("test", {"test": engine}), memory)

    sent = [text for _, _, texts in engine.calls for text in texts]
    assert sent == [OTHER_SOURCE]  # one batch for the pair, without the approved segment
    target = targets["es"]
    assert target.translations[0] == "¡Viva la huelga!"
    assert target.origins == ["approved", "machine"]
    assert (target.approved, target.machine_translated, target.from_memory) == (1, 1, 0)
    assert target.error is None and target.route is not None and target.route.engine == "test"


def test_approved_segments_are_used_even_when_no_engine_covers_the_pair(tmp_path, memory):
    memory.approve("en", "es", APPROVED_SOURCE, "¡Viva la huelga!", "ana")
    job = prepared(tmp_path, [APPROVED_SOURCE])
    engine = BracketEngine(pairs=[("en", "ja")])  # nothing for en→es

    [targets] = translate([job], EngineSet.with_engines("test", {"test": engine}), memory)

    target = targets["es"]
    assert engine.calls == []
    assert target.translations == ["¡Viva la huelga!"] and target.approved == 1
    assert target.error is None and target.route is not None and target.route.engine == "memory"


def test_force_still_uses_approved_but_bypasses_the_cache(tmp_path, memory):
    memory.approve("en", "es", APPROVED_SOURCE, "¡Viva la huelga!", "ana")
    engines = EngineSet.with_engines("test", {"test": BracketEngine()})
    translate([prepared(tmp_path, [APPROVED_SOURCE, OTHER_SOURCE])], engines, memory)
    [again] = translate([prepared(tmp_path, [APPROVED_SOURCE, OTHER_SOURCE])], engines, memory)
    assert again["es"].origins == ["approved", "cache"]

    forced = prepared(tmp_path, [APPROVED_SOURCE, OTHER_SOURCE])
    [forced_targets] = translate([forced], engines, memory, force=True)
    assert forced_targets["es"].origins == ["approved", "machine"]
