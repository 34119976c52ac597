"""The ``ctranslate2`` engine: installed family models (OPUS-MT, NLLB-200, M2M-100).

One engine object either picks, per pair, the first installed model that covers it (default
order: single-direction OPUS-MT models, then NLLB-200, then M2M-100; ``engines.yml`` orders
them by name), or is bound to one model (``only``), which is how ``engines.yml`` names a model
between other engines. Each model is loaded once and translates all segments of a pair in one
batched call (``ct2_batch``, shared with the Argos engine). Nothing here opens a network
connection.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

from pipeline.engines.base import EngineError, Progress, Route, Strategy, Translation
from pipeline.engines.ct2_batch import BEAM_SIZE, GUARDED_OPTIONS
from pipeline.engines.ct2_models import FamilyModel, family_models_for, installed_family_models
from pipeline.engines.ct2_runtime import LoadedFamilyModel, load_family_model

ENGINE_NAME = "ctranslate2"


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
    ) -> None:
        self._models = list(models) if models is not None else None
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
                self._models = installed_family_models()
            except OSError as exc:
                raise EngineError(f"cannot read the models folder ({exc})") from exc
        if self.only is not None:
            return [m for m in self._models if m.name == self.only]
        return self._models

    def available(self) -> bool:
        return bool(self.models)

    def model_for(self, src: str, tgt: str) -> FamilyModel | None:
        """The model this engine uses for src→tgt, or None."""
        found = family_models_for(src, tgt, self.models)
        return found[0] if found else None

    def route(self, src: str, tgt: str) -> Route | None:
        model = self.model_for(src, tgt) if src != tgt else None
        if model is None:
            return None
        return Route(engine=self.name, model=model.name, version=model.manifest.version or None)

    def translate(
        self, texts: Sequence[str], src: str, tgt: str, progress: Progress | None = None
    ) -> list[Translation]:
        if not texts:
            return []
        loaded = self._load_for(src, tgt)
        results = loaded.translate(texts, src, tgt, self.beam_size, progress)
        return [Translation(alternatives[0]) for alternatives in results]

    def redecode(self, texts: Sequence[str], src: str, tgt: str) -> list[list[str]]:
        """Decode again with CTranslate2's guards against loops (``GUARDED_OPTIONS``:
        repetition penalty, no repeated 3-grams, several alternatives per segment, best first),
        for the degenerate-output guard's second try."""
        if not texts:
            return []
        loaded = self._load_for(src, tgt)
        return loaded.translate(texts, src, tgt, self.beam_size, extra=dict(GUARDED_OPTIONS))

    def _load_for(self, src: str, tgt: str) -> LoadedFamilyModel:
        model = self.model_for(src, tgt)
        if model is None:
            which = f"the model {self.only}" if self.only else "no installed model"
            raise EngineError(
                f"{which} cannot translate {src}→{tgt}: install one with "
                "`pipeline models install FILE.zip` (OPUS-MT) or `pipeline models install FOLDER`"
            )
        with self._lock:
            if model.name not in self._loaded:
                self._loaded[model.name] = load_family_model(
                    model.manifest, model.path, self.inter_threads, self.intra_threads
                )
            return self._loaded[model.name]
