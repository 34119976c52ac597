"""The ``ctranslate2`` engine: installed family models (OPUS-MT, NLLB-200, M2M-100).

One engine object either picks, per pair, the first installed model that covers it (default
order: single-direction OPUS-MT models, then NLLB-200, then M2M-100; ``engines.yml`` orders
them by name), or is bound to one model (``only``), which is how ``engines.yml`` names a model
between other engines. A pair no model covers goes through English when two models do
(``Route.pivot == "en"``, as with Argos). Each model is loaded once and translates all segments of a pair in one
batched call (``ct2_batch``, shared with the Argos engine). Nothing here opens a network
connection.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from pipeline.engines import ct2_batch
from pipeline.engines.base import EngineError, Progress, Route, Strategy, Translation
from pipeline.engines.ct2_batch import BEAM_SIZE, GUARDED_OPTIONS
from pipeline.engines.ct2_models import FamilyModel, family_models_for, installed_family_models
from pipeline.engines.ct2_runtime import LoadedFamilyModel, load_family_model

ENGINE_NAME = "ctranslate2"
PIVOT = "en"


class FamilyEngine:
    """Offline neural translation with installed CTranslate2 family models."""

    name = ENGINE_NAME
    markup = False  # like Argos models: markers are stripped and re-placed by the pipeline
    glossary_strategy = Strategy(names="token", terms="token")

    def __init__(
        self,
        models: Sequence[FamilyModel] | None = None,
        only: str | None = None,
        inter_threads: int | None = None,
        intra_threads: int = 1,
        beam_size: int = BEAM_SIZE,
        root: Path | None = None,
    ) -> None:
        """``root``: the models folder (``EnginePaths.models``; None: as the environment
        names it when the models are first listed)."""
        self._models = list(models) if models is not None else None
        self.root = root
        self.only = only
        self.inter_threads = inter_threads or os.cpu_count() or 1
        self.intra_threads = intra_threads
        self.beam_size = beam_size
        self._loaded: dict[str, LoadedFamilyModel] = {}
        self._lock = threading.Lock()

    @property
    def models(self) -> list[FamilyModel]:
        """Installed family models (``only``: that one, if installed), read once."""
        if self._models is None:
            try:
                self._models = installed_family_models(self.root)
            except OSError as exc:
                raise EngineError(f"cannot read the models folder ({exc})") from exc
        if self.only is not None:
            return [m for m in self._models if m.name == self.only]
        return self._models

    def available(self) -> bool:
        return bool(self.models)

    def model_for(self, src: str, tgt: str) -> FamilyModel | None:
        """The model this engine uses for src→tgt directly, or None."""
        found = family_models_for(src, tgt, self.models)
        return found[0] if found else None

    def hops(self, src: str, tgt: str) -> list[tuple[FamilyModel, str, str]]:
        """The models for src→tgt: one that covers it, or two through English (an OPUS-MT
        es→en and an en→ja model); [] when there are none."""
        if src == tgt:
            return []
        direct = self.model_for(src, tgt)
        if direct is not None:
            return [(direct, src, tgt)]
        if PIVOT in (src, tgt):
            return []
        first, second = self.model_for(src, PIVOT), self.model_for(PIVOT, tgt)
        if first is None or second is None:
            return []
        return [(first, src, PIVOT), (second, PIVOT, tgt)]

    def route(self, src: str, tgt: str) -> Route | None:
        hops = self.hops(src, tgt)
        if not hops:
            return None
        versions = [m.manifest.version for m, _, _ in hops]
        return Route(
            engine=self.name,
            model="+".join(m.name for m, _, _ in hops),
            version="+".join(versions) if any(versions) else None,
            pivot=PIVOT if len(hops) == 2 else None,
            settings=ct2_batch.Decoding(beam_size=self.beam_size).describe(),
        )

    def translate(
        self, texts: Sequence[str], src: str, tgt: str, progress: Progress | None = None
    ) -> list[Translation]:
        if not texts:
            return []
        current = list(texts)
        hops = self._hops_or_fail(src, tgt)
        for i, (model, a, b) in enumerate(hops):
            last = i == len(hops) - 1
            results = self._load(model).translate(
                current, a, b, self.beam_size, progress if last else None
            )
            current = [alternatives[0] for alternatives in results]
        return [Translation(text) for text in current]

    def redecode(self, texts: Sequence[str], src: str, tgt: str) -> list[list[str]]:
        """Decode again with CTranslate2's guards against loops (``GUARDED_OPTIONS``:
        repetition penalty, no repeated 3-grams, several alternatives per segment, best first),
        for the degenerate-output guard's second try (through English: the last hop)."""
        hops = self.hops(src, tgt)
        if not hops or not texts:
            return [[] for _ in texts]
        current = list(texts)
        for model, a, b in hops[:-1]:
            current = [
                alts[0] for alts in self._load(model).translate(current, a, b, self.beam_size)
            ]
        model, a, b = hops[-1]
        return self._load(model).translate(
            current, a, b, self.beam_size, extra=dict(GUARDED_OPTIONS)
        )

    def _hops_or_fail(self, src: str, tgt: str) -> list[tuple[FamilyModel, str, str]]:
        hops = self.hops(src, tgt)
        if not hops:
            which = f"the model {self.only}" if self.only else "no installed model"
            raise EngineError(
                f"{which} cannot translate {src}→{tgt}: install one with "
                "`pipeline models install FILE.zip` (OPUS-MT) or `pipeline models install FOLDER`"
            )
        return hops

    def _load(self, model: FamilyModel) -> LoadedFamilyModel:
        with self._lock:
            if model.name not in self._loaded:
                self._loaded[model.name] = load_family_model(
                    model.manifest, model.path, self.inter_threads, self.intra_threads
                )
            return self._loaded[model.name]
