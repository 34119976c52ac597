"""The engine interface: the one seam where implementations vary."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from pipeline.errors import PipelineError


class EngineError(PipelineError):
    """An engine cannot translate: the message is one line a user can act on."""


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
