"""The CTranslate2 calls for every segment of a language pair: the batching every CTranslate2
model shares (Argos packages, OPUS-MT, NLLB-200, M2M-100).

Segments arrive as SentencePiece pieces. Each is cut into chunks of at most ``max_input_tokens``
pieces (a long segment is never truncated), the chunks are wrapped in the model's source prefix
and suffix tokens (NLLB: ``eng_Latn`` … ``</s>``) and sent in one asynchronous
``translate_batch`` per input length, with token-based batches. Chunks of one call have the
same length, so none is padded, and decoding is bounded by twice that length: a segment's
draft depends on the segment and the decoding settings (``Decoding.describe``), never on what
it is batched with. The target prefix (``spa_Latn``, Argos's own prefix) is forced and removed
from every hypothesis, and chunk outputs are joined again. Pieces become text with
``decode_pieces``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.engines.base import EngineError, Progress

BEAM_SIZE = 4  # as Argos
LENGTH_PENALTY = 0.2  # as Argos
MAX_BATCH_TOKENS = 1024  # measured with benchmarks/argos_speed.py (2 cores, Argos-sized model)
MAX_INPUT_TOKENS = 1000  # longer segments are cut into chunks of this many pieces
# A second, guarded decoding of degenerate segments (the degenerate-output guard's retry):
# CTranslate2's own means against loops, and alternatives to choose from, best first.
GUARDED_OPTIONS: Mapping[str, Any] = {
    "repetition_penalty": 1.5,
    "no_repeat_ngram_size": 3,
    "num_hypotheses": 4,
}
_BYTE_PIECE = re.compile(r"<0x([0-9A-Fa-f]{2})>")
SPACE_MARK = "\u2581"


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


@dataclass(frozen=True)
class Decoding:
    """How one batch is decoded. ``extra`` adds CTranslate2 options (e.g. a guarded second try
    with ``repetition_penalty`` and ``num_hypotheses``)."""

    beam_size: int = BEAM_SIZE
    max_batch_tokens: int = MAX_BATCH_TOKENS
    max_input_tokens: int = MAX_INPUT_TOKENS
    length_penalty: float = LENGTH_PENALTY
    extra: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """What of the decoding a draft depends on (batch sizes are not: see translate_pieces)."""
        return (
            f"beam {self.beam_size}, length penalty {self.length_penalty}, "
            f"chunks of {self.max_input_tokens}, bound 2n+16, one call per length"
        )


@dataclass(frozen=True)
class Wrapping:
    """The model's special tokens around every chunk: ``source_prefix`` + pieces +
    ``source_suffix`` on the source side, ``target_prefix`` forced at the start of the output."""

    source_prefix: tuple[str, ...] = ()
    source_suffix: tuple[str, ...] = ()
    target_prefix: tuple[str, ...] = ()


Chunk = tuple[int, int, list[str]]  # segment index, chunk number, pieces


def translate_pieces(
    translator: Any,
    pieces: Sequence[Sequence[str]],
    wrapping: Wrapping,
    decoding: Decoding,
    model_name: str,
    progress: Progress | None = None,
) -> list[list[list[str]]]:
    """Every segment's hypotheses (pieces, best first; one unless ``num_hypotheses``).

    An empty segment gets ``[[]]`` and no model call. Raises EngineError naming ``model_name``
    when CTranslate2 fails.
    """
    outputs: list[list[list[str]]] = [[[]] for _ in pieces]
    chunks = _chunks(pieces, max(1, decoding.max_input_tokens))
    empty = sum(1 for p in pieces if not p)
    try:
        submitted = _submit_by_length(translator, chunks, wrapping, decoding)
        target = list(wrapping.target_prefix)
        remaining = Counter(index for index, _, _ in chunks)
        produced: dict[int, dict[int, list[list[str]]]] = {}
        done_since_report = 0
        for (index, part, _), result in submitted:
            hypotheses = [_without_prefix(h, target) for h in result.result().hypotheses]
            produced.setdefault(index, {})[part] = hypotheses
            remaining[index] -= 1
            if remaining[index]:
                continue
            outputs[index] = _joined(produced.pop(index))
            done_since_report += 1
            if progress and done_since_report >= 16:
                progress(done_since_report)
                done_since_report = 0
    except RuntimeError as exc:
        raise EngineError(f"{model_name} failed: {exc}") from exc
    if progress:
        progress(done_since_report + empty)
    return outputs


def _chunks(pieces: Sequence[Sequence[str]], size: int) -> list[Chunk]:
    """Segments cut into chunks of at most ``size`` pieces (a long one is never truncated)."""
    return [
        (i, k, list(p[start : start + size]))
        for i, p in enumerate(pieces)
        for k, start in enumerate(range(0, len(p), size))
    ]


def _submit_by_length(
    translator: Any, chunks: Sequence[Chunk], wrapping: Wrapping, decoding: Decoding
) -> list[tuple[Chunk, Any]]:
    """One asynchronous call per input length, shortest first: no chunk is padded, and each
    decoding bound depends on the chunk's own length only, so a segment's draft never
    depends on what it is batched with."""
    by_length: dict[int, list[Chunk]] = {}
    for chunk in chunks:
        by_length.setdefault(len(chunk[2]), []).append(chunk)
    prefix, suffix = list(wrapping.source_prefix), list(wrapping.source_suffix)
    target = list(wrapping.target_prefix)
    submitted: list[tuple[Chunk, Any]] = []
    for length in sorted(by_length):
        group = by_length[length]
        batch = [prefix + chunk[2] + suffix for chunk in group]
        options = _options(decoding, target, len(batch), len(batch[0]))
        submitted.extend(zip(group, translator.translate_batch(batch, **options), strict=True))
    return submitted


def _without_prefix(hypothesis: list[str], target: list[str]) -> list[str]:
    return (
        hypothesis[len(target) :] if target and hypothesis[: len(target)] == target else hypothesis
    )


def _joined(parts: dict[int, list[list[str]]]) -> list[list[str]]:
    """Alternative k joins every chunk's k-th hypothesis (or its best one)."""
    return [
        [p for c in sorted(parts) for p in parts[c][min(k, len(parts[c]) - 1)]]
        for k in range(max(len(h) for h in parts.values()))
    ]


def _options(decoding: Decoding, target: list[str], count: int, length: int) -> dict[str, Any]:
    """CTranslate2's options for ``count`` inputs of ``length`` tokens each."""
    options: dict[str, Any] = {
        "beam_size": decoding.beam_size,
        "length_penalty": decoding.length_penalty,
        "batch_type": "tokens",
        "max_batch_size": decoding.max_batch_tokens,
        # Decoding stops at twice the source length (+16 for very short ones): a looping
        # model cannot run away.
        "max_decoding_length": 2 * length + 16,
        "max_input_length": 0,
        "replace_unknowns": True,
        "asynchronous": True,
        **decoding.extra,
    }
    if options.get("num_hypotheses", 1) > options["beam_size"]:
        options["beam_size"] = options["num_hypotheses"]
    if target:
        options["target_prefix"] = [target] * count
    return options
