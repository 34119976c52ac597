"""A pivot through English across engines: ja→es as Argos ja→en, then Apertium en→es.

Argos and the CTranslate2 families pivot through English inside themselves when they hold both
legs; ``PivotEngine`` joins legs of *different* engines (Argos, a CTranslate2 model, Apertium,
a LibreTranslate server), each the engine ``--engine auto`` would choose for its leg
(``EngineSet.choose``). ``pipeline doctor`` asks the same ``EngineSet``, so it names the same
route the run takes.

Inline markers travel through both legs when both carry markup, else the pipeline strips and
re-places them (``markup`` False). Glossary terms travel as the legs' common strategy, or as
plain-text tokens (``ZXQ901``) when the legs differ: a token survives any engine as an
unknown word.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.engines.base import (
    Engine,
    Progress,
    Route,
    RouteChecking,
    RouteProblem,
    Strategy,
    Translation,
)

PIVOT = "en"
TOKENS = Strategy(names="token", terms="token")


class PivotEngine:
    """Two engines one after the other, through ``PIVOT``."""

    def __init__(self, first: Engine, second: Engine) -> None:
        self.first, self.second = first, second
        self.name = f"{first.name}+{second.name}"
        self.markup = first.markup and second.markup
        same = first.glossary_strategy == second.glossary_strategy
        self.glossary_strategy = first.glossary_strategy if same and self.markup else TOKENS

    def route(self, src: str, tgt: str) -> Route | None:
        if PIVOT in (src, tgt) or src == tgt:
            return None
        one, two = self.first.route(src, PIVOT), self.second.route(PIVOT, tgt)
        if one is None or two is None:
            return None
        return Route(
            engine=self.name,
            model=f"{one.model or one.engine}+{two.model or two.engine}",
            version="+".join(v for v in (one.version, two.version) if v) or None,
            pivot=PIVOT,
        )

    def translate(
        self, texts: Sequence[str], src: str, tgt: str, progress: Progress | None = None
    ) -> list[Translation]:
        # The first leg reports nothing (the segments are done after the second), but an
        # interrupted run still stops it at its next report.
        quiet: Progress | None = (lambda _n: progress(0)) if progress else None
        middle = self.first.translate(texts, src, PIVOT, quiet)
        final = self.second.translate([m.text for m in middle], PIVOT, tgt, progress)
        return [
            Translation(out.text, tuple(dict.fromkeys(mid.unknown_words + out.unknown_words)))
            for mid, out in zip(middle, final, strict=True)
        ]

    def check_route(self, src: str, tgt: str) -> RouteProblem | None:
        """A leg its engine does not trust makes the pivot suspect (or broken) too."""
        for engine, (a, b) in ((self.first, (src, PIVOT)), (self.second, (PIVOT, tgt))):
            if isinstance(engine, RouteChecking):
                problem = engine.check_route(a, b)
                if problem is not None:
                    return problem
        return None

    def legs(self) -> tuple[Engine, Engine]:
        return self.first, self.second
