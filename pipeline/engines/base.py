"""The engine interface: the one seam where implementations vary."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from pipeline.errors import PipelineError


class EngineError(PipelineError):
    """An engine cannot translate: the message is one line a user can act on."""


class EngineCrashed(EngineError):
    """The process running the engine died on a batch (a Dask worker killed repeatedly by
    it): the batch's documents are translated again one by one, so only the document that
    kills the engine fails."""


@dataclass(frozen=True)
class Translation:
    """One translated segment. ``unknown_words`` lists source words the engine left as they were."""

    text: str
    unknown_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    """How an engine covers a language pair: which model, and through which pivot language."""

    engine: str
    model: str | None = None
    version: str | None = None
    pivot: str | None = None
    settings: str | None = field(default=None, compare=False)
    """What else a draft depends on besides the segment, the model and the glossary (decoding
    options, the engine's data): part of the memory key and of a document's fingerprint, so a
    changed setting makes new drafts; not part of which route it is."""


GlossaryMode = Literal["wrap", "empty", "token"]


@dataclass(frozen=True)
class Strategy:
    """How glossary terms travel through an engine (each engine declares its own).

    ``wrap``: the source term inside an inline span the engine translates in place and keeps
    (``<gN>…</gN>``); the span's content, i.e. the engine's own rendering, is then replaced by the
    glossary form and the article before it made to agree.
    ``empty``: an empty inline tag (``<xN/>``) the engine carries as markup; the form is inserted.
    ``token``: a plain-text token (``ZXQ901``) for engines that see no markup.
    ``names`` applies to kept items and proper names, ``terms`` to every other term.
    """

    names: GlossaryMode
    terms: GlossaryMode


Progress = Callable[[int], None]
"""Called with the number of segments just finished."""


class Engine(Protocol):
    """A machine translation engine.

    ``markup`` says whether the engine carries inline markers (``<g1>…</g1>``, ``<x1/>``)
    through translation itself; when False the pipeline strips them before and puts the
    formatting back afterwards. ``glossary_strategy`` says how glossary terms are protected
    around this engine's call (measured per engine: ``benchmarks/glossary_compliance.py``).
    """

    name: str
    markup: bool
    glossary_strategy: Strategy

    def route(self, src: str, tgt: str) -> Route | None:
        """How this engine would translate src→tgt, or None when it cannot."""
        ...

    def translate(
        self, texts: Sequence[str], src: str, tgt: str, progress: Progress | None = None
    ) -> list[Translation]:
        """Translate a batch of segments; the result has one entry per input, in order."""
        ...


@dataclass(frozen=True)
class RouteProblem:
    """Why a route should not be trusted, in one line. ``fatal``: the route cannot work at all
    (a model that does not load); otherwise it works but is suspect (a known-bad package)."""

    line: str
    fatal: bool = False


@runtime_checkable
class RouteChecking(Protocol):
    """An engine that can tell, before translating, that its route for a pair is not to be
    trusted; ``--engine auto`` then takes the next engine that covers the pair."""

    def check_route(self, src: str, tgt: str) -> RouteProblem | None: ...


@runtime_checkable
class Redecoding(Protocol):
    """An engine that can decode segments again with guards against loops; each segment gets
    a list of alternatives, best first (the degenerate-output guard picks the first good one)."""

    def redecode(self, texts: Sequence[str], src: str, tgt: str) -> list[list[str]]: ...
