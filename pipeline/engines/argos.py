"""Argos Translate models run directly through CTranslate2 and SentencePiece.

``argostranslate.translate`` translates one paragraph at a time in batches of 32 tokens, and its
sentence splitter downloads a model on first use. This engine loads each package's CTranslate2
model and SentencePiece model itself, keeps one ``Translator`` per language pair for its whole
lifetime, and translates every segment of a pair in a single ``translate_batch`` call sorted by
length, with token-based batches. Nothing here opens a network connection.

A pair without a direct package goes through English (``Route.pivot == "en"``).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.engines import argos_packages
from pipeline.engines.base import (
    EngineError,
    Progress,
    Route,
    RouteProblem,
    Strategy,
    Translation,
)

BEAM_SIZE = 4  # as Argos
LENGTH_PENALTY = 0.2  # as Argos
MAX_BATCH_TOKENS = 1024  # measured with benchmarks/argos_speed.py (2 cores, Argos-sized model)
MAX_INPUT_TOKENS = 1000  # longer segments are cut into chunks of this many pieces
# The guard's second decoding of a degenerate segment (``redecode``): CTranslate2's own means
# against loops, and alternatives for the guard to choose from.
GUARD_HYPOTHESES = 4
GUARDED_OPTIONS: dict[str, Any] = {
    "repetition_penalty": 1.5,
    "no_repeat_ngram_size": 3,
    "num_hypotheses": GUARD_HYPOTHESES,
}
_BYTE_PIECE = re.compile(r"<0x([0-9A-Fa-f]{2})>")
SPACE_MARK = "\u2581"
_PUNCTUATION = "\"'.,;:!?¿¡()[]{}«»“”‘’「」『』（）、。！？・…-–—"


def decode_pieces(pieces: Sequence[str]) -> str:
    """Turn SentencePiece pieces back into text, exactly.

    Unlike ``SentencePieceProcessor.decode_pieces`` this keeps pieces that are not in the
    vocabulary (CTranslate2's ``replace_unknowns`` puts the source piece there) instead of
    writing `` ⁇ ``, and unlike argostranslate it leaves underscores alone. Byte-fallback
    pieces (``<0xE3>``…) are joined and decoded as UTF-8.
    """
    out: list[str] = []
    pending = bytearray()
    for piece in pieces:
        match = _BYTE_PIECE.fullmatch(piece)
        if match:
            pending.append(int(match.group(1), 16))
            continue
        if pending:
            out.append(pending.decode("utf-8", errors="replace"))
            pending.clear()
        out.append(piece)
    if pending:
        out.append(pending.decode("utf-8", errors="replace"))
    return "".join(out).replace(SPACE_MARK, " ").strip()


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
        return self.tokenizer.encode(text, out_type=str)

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
    ) -> None:
        self._models = list(models) if models is not None else None
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
                self._models = argos_packages.installed_models()
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
            current = [alts[0] for alts in self._translate_pair(hop, current, None, True)[0]]
        return self._translate_pair(hops[-1], current, None, True)[0]

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
        guarded: bool = False,
    ) -> tuple[list[list[str]], list[tuple[str, ...]]]:
        """Every text's translations (one, or ``GUARD_HYPOTHESES`` when ``guarded``)."""
        pair = self._load(model)
        pieces = [pair.encode(text) if text.strip() else [] for text in texts]
        unknown = [pair.unknown_words(p) for p in pieces]
        outputs = [[text] if not p else [""] for text, p in zip(texts, pieces, strict=True)]
        # A segment longer than the model's input limit is cut into consecutive chunks (never
        # truncated); their outputs are joined again.
        chunks = [
            (i, k, p[start : start + MAX_INPUT_TOKENS])
            for i, p in enumerate(pieces)
            for k, start in enumerate(range(0, len(p), MAX_INPUT_TOKENS))
        ]
        chunks.sort(key=lambda chunk: len(chunk[2]))
        if not chunks:
            if progress:
                progress(len(texts))
            return outputs, unknown
        batch = [chunk[2] for chunk in chunks]
        options: dict[str, Any] = {
            "beam_size": self.beam_size,
            "length_penalty": LENGTH_PENALTY,
            "batch_type": "tokens",
            "max_batch_size": self.max_batch_tokens,
            # Decoding stops at twice the longest source (+16 for very short ones): a looping
            # model cannot run away. Inputs are sorted, so batches hold similar lengths.
            "max_decoding_length": 2 * len(batch[-1]) + 16,
            "max_input_length": 0,
            "replace_unknowns": True,
            "asynchronous": True,
        }
        if guarded:
            options.update(GUARDED_OPTIONS)
            options["beam_size"] = max(self.beam_size, GUARD_HYPOTHESES)
        if pair.target_prefix:
            options["target_prefix"] = [[pair.target_prefix]] * len(batch)
        produced: dict[int, dict[int, list[list[str]]]] = {}
        remaining = {i: len(range(0, len(p), MAX_INPUT_TOKENS)) for i, p in enumerate(pieces)}
        done_since_report = 0
        try:
            results = pair.translator.translate_batch(batch, **options)
            for (index, part, _), result in zip(chunks, results, strict=True):
                hypotheses = [
                    h[1:] if pair.target_prefix and h[:1] == [pair.target_prefix] else h
                    for h in result.result().hypotheses
                ]
                produced.setdefault(index, {})[part] = hypotheses
                remaining[index] -= 1
                if remaining[index]:
                    continue
                parts = produced.pop(index)
                # Alternative k joins every chunk's k-th hypothesis (or its best one).
                outputs[index] = [
                    decode_pieces(
                        [p for c in sorted(parts) for p in parts[c][min(k, len(parts[c]) - 1)]]
                    )
                    for k in range(max(len(h) for h in parts.values()))
                ]
                done_since_report += 1
                if progress and done_since_report >= 16:
                    progress(done_since_report)
                    done_since_report = 0
        except RuntimeError as exc:
            raise EngineError(f"Argos model {model.package_id} failed: {exc}") from exc
        if progress:
            progress(done_since_report + sum(1 for p in pieces if not p))
        return outputs, unknown
