"""Argos Translate models run directly through CTranslate2 and SentencePiece.

``argostranslate.translate`` translates one paragraph at a time in batches of 32 tokens, and its
sentence splitter downloads a model on first use. This engine loads each package's CTranslate2
model and SentencePiece model itself, keeps one ``Translator`` per language pair for its whole
lifetime, and translates every segment of a pair in a single ``translate_batch`` call sorted by
length, with token-based batches (``ct2_batch``, shared with the other CTranslate2 families).
Nothing here opens a network connection.

A pair without a direct package goes through English (``Route.pivot == "en"``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.engines import argos_packages, ct2_batch
from pipeline.engines.base import (
    EngineError,
    Progress,
    Route,
    RouteProblem,
    Strategy,
    Translation,
)

BEAM_SIZE = ct2_batch.BEAM_SIZE
LENGTH_PENALTY = ct2_batch.LENGTH_PENALTY
MAX_BATCH_TOKENS = ct2_batch.MAX_BATCH_TOKENS
MAX_INPUT_TOKENS = ct2_batch.MAX_INPUT_TOKENS  # longer segments are cut into chunks
SPACE_MARK = ct2_batch.SPACE_MARK
decode_pieces = ct2_batch.decode_pieces
# The guard's second decoding of a degenerate segment (``redecode``): CTranslate2's own means
# against loops, and alternatives for the guard to choose from (shared with the families).
GUARDED_OPTIONS = ct2_batch.GUARDED_OPTIONS
GUARD_HYPOTHESES = int(GUARDED_OPTIONS["num_hypotheses"])
_PUNCTUATION = "\"'.,;:!?¿¡()[]{}«»“”‘’「」『』（）、。！？・…-–—"


def default_threads() -> tuple[int, int]:
    """(inter_threads, intra_threads): argostranslate settings when set, else from the core count.

    One ``translate_batch`` over many sentences is split into token batches; with
    ``inter_threads`` workers they run in parallel, which beats spreading each matrix product
    over cores for the short sentences of a statement (see benchmarks/argos_speed.py).
    """
    from argostranslate import settings

    cores = os.cpu_count() or 1
    inter = settings.get_setting("ARGOS_INTER_THREADS")
    intra = settings.get_setting("ARGOS_INTRA_THREADS")
    if inter is not None or intra is not None:
        return max(1, int(inter or 1)), max(0, int(intra or 0))
    return cores, 1


def default_beam_size() -> int:
    """argostranslate's ARGOS_BEAM_SIZE setting when set, else 4 like Argos."""
    from argostranslate import settings

    value = settings.get_setting("ARGOS_BEAM_SIZE")
    return max(1, int(value)) if value else BEAM_SIZE


@dataclass
class _PairModel:
    """A loaded package: its translator and tokenizer, kept for the engine's lifetime."""

    model: argos_packages.InstalledModel
    translator: Any
    tokenizer: Any
    target_prefix: str

    def encode(self, text: str) -> list[str]:
        pieces: list[str] = self.tokenizer.encode(text, out_type=str)
        return pieces

    def unknown_words(self, pieces: Sequence[str]) -> tuple[str, ...]:
        """Source words holding pieces outside the vocabulary (copied through as they are)."""
        unk = self.tokenizer.unk_id()
        words: list[list[str]] = []
        for piece in pieces:
            if piece.startswith(SPACE_MARK) or not words:
                words.append([])
            words[-1].append(piece)
        found: list[str] = []
        for word in words:
            missing = [
                p.replace(SPACE_MARK, "")
                for p in word
                if self.tokenizer.piece_to_id(p) == unk and any(c.isalpha() for c in p)
            ]
            if not missing:
                continue
            whole = "".join(word).replace(SPACE_MARK, "").strip(_PUNCTUATION)
            spaced = not any("\u3000" <= c <= "\u9fff" or c >= "\uff00" for c in whole)
            found.extend([whole] if spaced and len(whole) <= 40 else missing)
        return tuple(dict.fromkeys(w for w in found if w))


class ArgosEngine:
    """Offline neural translation with installed Argos packages."""

    name = "argos"
    markup = False  # Argos models garble <g1>…</g1>; the pipeline strips and re-places them
    glossary_strategy = Strategy(names="token", terms="token")

    def __init__(
        self,
        models: Sequence[argos_packages.InstalledModel] | None = None,
        inter_threads: int | None = None,
        intra_threads: int | None = None,
        max_batch_tokens: int = MAX_BATCH_TOKENS,
        beam_size: int | None = None,
        data_dir: Path | None = None,
    ) -> None:
        """``data_dir``: argostranslate's data folder (``EnginePaths.argos_data``; None: as the
        environment names it when the packages are first listed)."""
        self._models = list(models) if models is not None else None
        self.data_dir = data_dir
        default_inter, default_intra = default_threads()
        self.inter_threads = inter_threads or default_inter
        self.intra_threads = intra_threads if intra_threads is not None else default_intra
        self.max_batch_tokens = max_batch_tokens
        self.beam_size = beam_size or default_beam_size()
        self._loaded: dict[tuple[str, str], _PairModel] = {}
        self._lock = threading.Lock()

    @property
    def models(self) -> list[argos_packages.InstalledModel]:
        """Installed packages, read once (``reload()`` reads them again)."""
        if self._models is None:
            try:
                self._models = argos_packages.installed_models(
                    argos_packages.package_dirs(self.data_dir)
                )
            except OSError as exc:
                raise EngineError(f"cannot read the Argos packages folder ({exc})") from exc
        return self._models

    def reload(self) -> None:
        """Forget the installed-package list and loaded models (after installing one)."""
        self._models = None
        self._loaded.clear()

    def available(self) -> bool:
        return bool(self.models)

    def route(self, src: str, tgt: str) -> Route | None:
        if src == tgt:
            return None
        hops = argos_packages.find_route(src, tgt, self.models)
        if not hops:
            return None
        return Route(
            engine=self.name,
            model="+".join(m.package_id for m in hops),
            version="+".join(m.version for m in hops),
            pivot=argos_packages.PIVOT if len(hops) == 2 else None,
            settings=ct2_batch.Decoding(beam_size=self.beam_size).describe(),
        )

    def translate(
        self, texts: Sequence[str], src: str, tgt: str, progress: Progress | None = None
    ) -> list[Translation]:
        if not texts:
            return []
        hops = argos_packages.find_route(src, tgt, self.models)
        if not hops:
            raise EngineError(
                f"no Argos model for {src}→{tgt}: "
                f"run `{argos_packages.install_command(src, tgt)}` "
                "(or install a .argosmodel file with `pipeline models install FILE`)"
            )
        current = list(texts)
        unknown: list[tuple[str, ...]] = [()] * len(current)
        for i, hop in enumerate(hops):
            last = i == len(hops) - 1
            outputs, hop_unknown = self._translate_pair(hop, current, progress if last else None)
            current = [alternatives[0] for alternatives in outputs]
            if i == 0:
                unknown = hop_unknown
        return [Translation(text, unk) for text, unk in zip(current, unknown, strict=True)]

    def _load(self, model: argos_packages.InstalledModel) -> _PairModel:
        key = (model.from_code, model.to_code)
        with self._lock:
            if key in self._loaded:
                return self._loaded[key]
            import ctranslate2
            import sentencepiece as spm
            from argostranslate import settings
            from argostranslate.package import Package

            kwargs: dict[str, Any] = {
                "device": settings.get_setting("ARGOS_DEVICE_TYPE") or "cpu",
                "inter_threads": self.inter_threads,
                "intra_threads": self.intra_threads,
            }
            compute_type = settings.get_setting("ARGOS_COMPUTE_TYPE")
            if compute_type and compute_type != "auto":
                kwargs["compute_type"] = compute_type
            try:
                package = Package(model.path)
                translator = ctranslate2.Translator(str(model.path / "model"), **kwargs)
                tokenizer = spm.SentencePieceProcessor(
                    model_file=str(model.path / "sentencepiece.model")
                )
            except (OSError, RuntimeError, ValueError) as exc:
                fix = argos_packages.install_command(model.from_code, model.to_code)
                raise EngineError(
                    f"cannot load the Argos model {model.package_id} from {model.path} ({exc}); "
                    f"reinstall it with `{fix}`"
                ) from exc
            loaded = _PairModel(model, translator, tokenizer, package.target_prefix or "")
            self._loaded[key] = loaded
            return loaded

    def redecode(self, texts: Sequence[str], src: str, tgt: str) -> list[list[str]]:
        """Decode again with CTranslate2's guards against loops (the degenerate-output guard's
        second try): ``repetition_penalty``, ``no_repeat_ngram_size`` and ``GUARD_HYPOTHESES``
        alternatives per segment, best first."""
        hops = argos_packages.find_route(src, tgt, self.models)
        if not hops or not texts:
            return [[] for _ in texts]
        current = list(texts)
        for hop in hops[:-1]:
            outputs = self._translate_pair(hop, current, None, GUARDED_OPTIONS)[0]
            current = [alts[0] for alts in outputs]
        return self._translate_pair(hops[-1], current, None, GUARDED_OPTIONS)[0]

    def check_route(self, src: str, tgt: str) -> RouteProblem | None:
        """Why the src→tgt route should not be trusted: a model that does not load (fatal) or
        a package on the known-bad list; None when it is fine. Loaded models are kept."""
        hops = argos_packages.find_route(src, tgt, self.models) or []
        try:
            for hop in hops:
                self._load(hop)
        except EngineError as exc:
            return RouteProblem(str(exc), fatal=True)
        for model, bad in argos_packages.known_bad_installed(hops):
            return RouteProblem(
                f"{model.package_id} {model.version} is a known-bad model: {bad.describe()}"
            )
        return None

    def _translate_pair(
        self,
        model: argos_packages.InstalledModel,
        texts: list[str],
        progress: Progress | None,
        extra: Mapping[str, Any] | None = None,
    ) -> tuple[list[list[str]], list[tuple[str, ...]]]:
        """Every text's translations (alternatives, best first: one unless ``extra`` asks for
        ``num_hypotheses``) and its unknown words, in one batched call (``ct2_batch``)."""
        pair = self._load(model)
        pieces = [pair.encode(text) if text.strip() else [] for text in texts]
        unknown = [pair.unknown_words(p) for p in pieces]
        decoding = ct2_batch.Decoding(
            beam_size=self.beam_size,
            max_batch_tokens=self.max_batch_tokens,
            max_input_tokens=MAX_INPUT_TOKENS,
            extra=extra or {},
        )
        wrapping = ct2_batch.Wrapping(
            target_prefix=(pair.target_prefix,) if pair.target_prefix else ()
        )
        results = ct2_batch.translate_pieces(
            pair.translator, pieces, wrapping, decoding, f"Argos model {model.package_id}", progress
        )
        outputs = [
            [decode_pieces(h) for h in hypotheses] if p else [text]
            for text, p, hypotheses in zip(texts, pieces, results, strict=True)
        ]
        return outputs, unknown
