"""The translation plan: which segment goes to which language pair, computed once.

For every prepared document and target language the plan says, per segment, whether it is
already in the target language (identity), a foreign block kept as it is, or translated by
a language pair; per pair, the route (engine, model, pivot) and the approved translations
the memory already holds. The translate stage, the incremental fingerprint, wave sizing and
the progress totals all read the plan: ``route_segment`` is the only place the rule lives.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from pipeline import detect
from pipeline.engines.base import Engine, Route
from pipeline.engines.registry import EngineSet
from pipeline.errors import PipelineError
from pipeline.jobs import Prepared
from pipeline.memory import ApprovedEntry, TranslationMemory
from pipeline.options import OutputMode

Pair = tuple[str, str]


@dataclass(frozen=True)
class Routing:
    """How one segment reaches one target language: through ``pair``, or kept as it is
    (``kept`` says why, for a foreign block). ``counted``: the progress bar counts it."""

    pair: Pair | None = None
    kept: str | None = None
    counted: bool = True


def route_segment(seg_lang: str, lang: str, doc_lang: str, keep_foreign: bool) -> Routing:
    """The routing rule. A segment already in ``lang`` is kept (and counted only in a target
    that is translated); a foreign block (not in the document's language) is kept with
    ``--keep-foreign``, when no engine can read its language, and always in the export into
    the document's own language (``detect.kept_as_written``); every other segment goes
    through the pair (its language, ``lang``)."""
    if seg_lang == lang:
        return Routing(counted=lang != doc_lang)
    why = detect.kept_as_written(seg_lang, doc_lang, lang, keep_foreign)  # the export into
    if why is not None:  # the document's own language is the original as written
        return Routing(kept=why)
    return Routing(pair=(seg_lang, lang))


@dataclass(frozen=True)
class PairRoute:
    """The engine and route chosen for one language pair (once per run), or why none can."""

    src: str
    tgt: str
    engine: Engine | None = None
    route: Route | None = None
    failure: str | None = None

    def fingerprint(self) -> object:
        """The route as the incremental fingerprint keeps it."""
        if self.route is None:
            return f"error: {self.failure}"
        route = self.route
        return [route.engine, route.model, route.version, route.pivot, route.settings]


class RouteTable:
    """``EngineSet.choose`` for each pair, asked once per run and kept."""

    def __init__(self, engines: EngineSet) -> None:
        self.engines = engines
        self._routes: dict[Pair, PairRoute] = {}

    def get(self, src: str, tgt: str) -> PairRoute:
        if (src, tgt) not in self._routes:
            try:
                engine, route = self.engines.choose(src, tgt)
                found = PairRoute(src, tgt, engine, route)
            except PipelineError as exc:
                found = PairRoute(src, tgt, failure=str(exc))
            self._routes[(src, tgt)] = found
        return self._routes[(src, tgt)]


@dataclass(frozen=True)
class PairPlan:
    """One document's segments for one language pair: their texts, the pair's route, and the
    approved translations the memory holds for them (``approval_error`` when it could not
    be asked)."""

    src: str
    tgt: str
    texts: tuple[str, ...]
    route: PairRoute
    approved: Mapping[str, ApprovedEntry] = field(default_factory=dict)
    approval_error: str | None = None


@dataclass(frozen=True)
class TargetPlan:
    """One document in one target language: the routing of each of its segments."""

    lang: str
    doc_lang: str
    routing: tuple[Routing, ...]

    @property
    def counted(self) -> int:
        """Segments the progress bar counts for this target."""
        return sum(r.counted for r in self.routing)


@dataclass(frozen=True)
class DocumentPlan:
    """The plan of one prepared document: per target and per language pair."""

    prepared: Prepared
    targets: Mapping[str, TargetPlan]
    pairs: Mapping[Pair, PairPlan]

    @property
    def tokens(self) -> int:
        """Engine tokens to translate (wave sizing)."""
        return sum(tokens(t) for pair in self.pairs.values() for t in pair.texts)

    @property
    def counted(self) -> int:
        """Segments the progress bar counts for this document."""
        return sum(t.counted for t in self.targets.values())


def plan_document(
    prepared: Prepared,
    mode: OutputMode,
    routes: RouteTable,
    memory: TranslationMemory | None,
) -> DocumentPlan:
    """The plan of one document for ``mode.targets``."""
    doc_lang = prepared.lang
    targets: dict[str, TargetPlan] = {}
    texts: dict[Pair, list[str]] = {}
    for lang in mode.targets:
        routings = tuple(
            route_segment(seg.lang, lang, doc_lang, mode.keep_foreign) for seg in prepared.segments
        )
        targets[lang] = TargetPlan(lang, doc_lang, routings)
    for target in targets.values():
        for seg, routing in zip(prepared.segments, target.routing, strict=True):
            if routing.pair is not None:
                texts.setdefault(routing.pair, []).append(seg.text)
    pairs = {pair: _pair_plan(pair, found, routes, memory) for pair, found in texts.items()}
    return DocumentPlan(prepared, targets, pairs)


def _pair_plan(
    pair: Pair, texts: Sequence[str], routes: RouteTable, memory: TranslationMemory | None
) -> PairPlan:
    src, tgt = pair
    route = routes.get(src, tgt)
    if memory is None:
        return PairPlan(src, tgt, tuple(texts), route)
    try:
        approved = memory.get_approved(src, tgt, texts)
    except PipelineError as exc:
        return PairPlan(src, tgt, tuple(texts), route, approval_error=str(exc))
    return PairPlan(src, tgt, tuple(texts), route, approved)


@dataclass(frozen=True)
class PlannedSegment:
    """One segment waiting for a pair's engine: its document (position in the plan), its
    flat segment index, its text, and the approval that translates it, if any."""

    document: int
    index: int
    text: str
    approved: ApprovedEntry | None = None


@dataclass(frozen=True)
class TranslationPlan:
    """The plan of one wave: its documents' plans, in order."""

    documents: tuple[DocumentPlan, ...]

    def pairs(self) -> dict[Pair, list[PlannedSegment]]:
        """Every segment to translate, per language pair, over all documents (in the order of
        documents, targets and segments)."""
        pending: dict[Pair, list[PlannedSegment]] = {}
        for n, plan in enumerate(self.documents):
            for target in plan.targets.values():
                for i, routing in enumerate(target.routing):
                    if routing.pair is None:
                        continue
                    text = plan.prepared.segments[i].text
                    entry = plan.pairs[routing.pair].approved.get(text)
                    pending.setdefault(routing.pair, []).append(PlannedSegment(n, i, text, entry))
        return pending

    def approval_errors(self) -> dict[Pair, str]:
        """Pairs whose approved translations could not be read from the memory."""
        return {
            pair: p.approval_error
            for plan in self.documents
            for pair, p in plan.pairs.items()
            if p.approval_error is not None
        }

    @property
    def counted(self) -> int:
        return sum(plan.counted for plan in self.documents)

    def __iter__(self) -> Iterator[DocumentPlan]:
        return iter(self.documents)


_CJK_CHARACTER = re.compile(r"[^\u0000-\u2fff]")


def tokens(text: str) -> int:
    """A rough count of engine tokens in ``text`` (words, and each CJK character)."""
    return len(text.split()) * 4 // 3 + len(_CJK_CHARACTER.findall(text))
