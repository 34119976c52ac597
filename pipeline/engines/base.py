"""The engine interface: the one seam where implementations vary."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

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


Progress = Callable[[int], None]
"""Called with the number of segments just finished."""


class Engine(Protocol):
    """A machine translation engine.

    ``markup`` says whether the engine carries inline markers (``<g1>…</g1>``, ``<x1/>``)
    through translation itself; when False the pipeline strips them before and puts the
    formatting back afterwards.
    """

    name: str
    markup: bool

    def route(self, src: str, tgt: str) -> Route | None:
        """How this engine would translate src→tgt, or None when it cannot."""
        ...

    def translate(
        self, texts: Sequence[str], src: str, tgt: str, progress: Progress | None = None
    ) -> list[Translation]:
        """Translate a batch of segments; the result has one entry per input, in order."""
        ...
