"""The translation plan is the one place that says which segment goes to which language pair:
translation, the incremental fingerprint and the progress totals all read it, on a batch with
approved, cached, pivot, identity and kept (foreign) segments."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from pipeline import plan as plan_module
from pipeline.document import Block, Document, Span
from pipeline.engines.base import Progress as EngineProgress
from pipeline.engines.base import Route, Translation
from pipeline.engines.registry import EngineSet
from pipeline.incremental import fingerprint
from pipeline.jobs import Prepared, Progress
from pipeline.memory import MemoryKey, TranslationMemory
from pipeline.options import OutputMode, RunControl
from pipeline.plan import RouteTable, Routing, TranslationPlan, plan_document
from pipeline.translate import translate_plan
from tests.fixtures.engines import BracketEngine
from tests.fixtures.stages import prepare_document

APPROVED = "Long live the strike."
CACHED = "The miners stand together."
FOREIGN = "El pueblo unido jamás será vencido."
JAPANESE = "労働者は国境を越えて団結する。"
GERMAN = "Hoch die internationale Solidarität."


class PivotEngine(BracketEngine):
    """Every pair; es↔ja through an English pivot. Records what it was sent."""

    def route(self, src: str, tgt: str) -> Route | None:
        pivot = "en" if {src, tgt} == {"es", "ja"} else None
        return Route(engine="test", model="bracket", version="1", pivot=pivot)

    def translate(
        self, texts: Sequence[str], src: str, tgt: str, progress: EngineProgress | None = None
    ) -> list[Translation]:
        return super().translate(texts, src, tgt, progress)


class Counting(Progress):
    def __init__(self) -> None:
        self.done = 0

    def segments_done(self, n: int) -> None:
        self.done += n


def _documents(tmp_path: Path) -> list[Prepared]:
    english = Document(
        blocks=[
            Block("paragraph", [Span(APPROVED)]),
            Block("paragraph", [Span(CACHED)]),
            Block("paragraph", [Span(FOREIGN)], lang="es"),
            Block("paragraph", [Span(JAPANESE)], lang="ja"),
            Block("paragraph", [Span(GERMAN)], lang="de"),  # no engine reads German: kept
        ],
        lang="en",
        lang_confidence=1.0,
    )
    spanish = Document(
        blocks=[
            Block("paragraph", [Span(FOREIGN)]),
            Block("paragraph", [Span(APPROVED)], lang="en"),
        ],
        lang="es",
        lang_confidence=1.0,
    )
    return [
        prepare_document(tmp_path / "a", english, "english.md"),
        prepare_document(tmp_path / "b", spanish, "spanish.md"),
    ]


@pytest.fixture
def memory(tmp_path: Path):
    with TranslationMemory(tmp_path / "memory.sqlite3") as tm:
        tm.approve("en", "es", APPROVED, "¡Viva la huelga!", "ana")
        key = MemoryKey.from_route(PivotEngine().route("en", "es"), "en", "es", "")  # type: ignore[arg-type]
        tm.put_cached(key, [(CACHED, "Los mineros unidos.", ())])
        yield tm


def _run(tmp_path: Path, memory: TranslationMemory, engine: PivotEngine):
    mode = OutputMode(targets=("en", "es", "ja"))
    engines = EngineSet.with_engines("test", {"test": engine})
    routes = RouteTable(engines)
    plan = TranslationPlan(
        tuple(plan_document(p, mode, routes, memory) for p in _documents(tmp_path))
    )
    progress = Counting()
    drafts = translate_plan(plan, mode, RunControl(), engines, progress, memory)
    fingerprints = [fingerprint(p, mode, memory) for p in plan.documents]
    return plan, drafts, progress, fingerprints


def test_translation_fingerprints_and_progress_follow_the_plan(tmp_path, memory) -> None:
    engine = PivotEngine()
    plan, drafts, progress, fingerprints = _run(tmp_path, memory, engine)

    origins: set[str] = set()
    for n, doc in enumerate(plan.documents):
        for lang, target in doc.targets.items():
            draft = drafts[(n, lang)]
            assert draft.error is None
            for routing, record in zip(target.routing, draft.records, strict=True):
                origins.add(record.origin)
                # translated exactly when the plan sends it through a pair
                assert (record.origin != "identity") == (routing.pair is not None)
                assert record.kept == routing.kept
                if routing.pair is not None:
                    assert routing.pair == (record.segment.lang, lang)
    assert {"identity", "machine", "cache", "approved"} <= origins

    # the engine saw each pair's texts the plan lists, less approved and cached ones
    sent = {(src, tgt): set(texts) for src, tgt, texts in engine.calls}
    for (src, tgt), items in plan.pairs().items():
        cached = {CACHED} if (src, tgt) == ("en", "es") else set()
        wanted = {i.text for i in items if i.approved is None} - cached
        assert sent.get((src, tgt), set()) == wanted
    assert ("de", "es") not in sent and ("ja", "ja") not in sent

    # the fingerprint names the plan's pairs, with their routes (a pivot included)
    for doc, fp in zip(plan.documents, fingerprints, strict=True):
        assert set(fp["pairs"]) == {f"{s}-{t}" for s, t in doc.pairs}
        for (src, tgt), pair in doc.pairs.items():
            assert fp["pairs"][f"{src}-{tgt}"]["route"] == pair.route.fingerprint()
    assert fingerprints[1]["pairs"]["es-ja"]["route"][3] == "en"  # the pivot

    # the progress counts what the plan counts, and ends there
    assert progress.done == plan.counted
    ja = plan.documents[0].targets["ja"]
    assert ja.routing[3] == Routing(counted=True)  # Japanese in a translated target: identity
    en = plan.documents[0].targets["en"]
    assert en.routing[0] == Routing(counted=False)  # the source language's own segments


def test_the_routing_rule_lives_in_the_plan_only(tmp_path, memory, monkeypatch) -> None:
    """Change the rule (Spanish blocks kept in an English document) and translation, the
    fingerprint and the progress all follow."""
    rule = plan_module.route_segment

    def keep_spanish(seg_lang: str, lang: str, doc_lang: str, keep_foreign: bool) -> Routing:
        if seg_lang == "es" and doc_lang == "en" and lang != "es":
            return Routing(kept="--keep-foreign")
        return rule(seg_lang, lang, doc_lang, keep_foreign)

    monkeypatch.setattr(plan_module, "route_segment", keep_spanish)
    engine = PivotEngine()
    plan, drafts, progress, fingerprints = _run(tmp_path, memory, engine)
    english = plan.documents[0]
    assert ("es", "en") not in english.pairs and ("es", "ja") not in english.pairs
    assert "es-ja" not in fingerprints[0]["pairs"] and "es-en" not in fingerprints[0]["pairs"]
    foreign = [r for r in drafts[(0, "ja")].records if r.segment.text == FOREIGN]
    assert foreign[0].origin == "identity" and foreign[0].kept == "--keep-foreign"
    waiting = [i for (src, _), items in plan.pairs().items() if src == "es" for i in items]
    assert waiting and all(i.document == 1 for i in waiting)  # the Spanish document's only
    assert progress.done == plan.counted
