"""A loaded CTranslate2 family model: SentencePiece in, one batched call, SentencePiece out.

The manifest's family decides the wrapping (``ct2_batch.Wrapping``): NLLB and M2M-100 get the
source language token first and ``</s>`` last, and the target language token as the forced
target prefix, removed from every hypothesis; Marian models get plain pieces (their converted
config appends ``</s>``), after the target label (``>>jpn<<``) for a multi-target model. The batching itself is ``ct2_batch.translate_pieces``, shared with
the Argos engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.engines import ct2_batch
from pipeline.engines.base import EngineError, Progress
from pipeline.engines.ct2_manifest import Manifest


@dataclass
class LoadedFamilyModel:
    """A family model's translator and tokenizers, kept for the engine's lifetime."""

    manifest: Manifest
    path: Path
    translator: Any
    source_sp: Any
    target_sp: Any
    eos: str = "</s>"
    add_source_eos: bool = False

    def wrapping(self, src: str, tgt: str) -> ct2_batch.Wrapping:
        """The tokens around every segment for src→tgt, as the family wants them."""
        spec = self.manifest.spec
        tokens = self.manifest.tokens
        prefix = (tokens[src],) if spec.source_token else ()
        if spec.target_label and tgt in tokens:
            prefix = (tokens[tgt], *prefix)
        suffix = (self.eos,) if spec.source_eos and not self.add_source_eos else ()
        target = (tokens[tgt],) if spec.target_token else ()
        return ct2_batch.Wrapping(prefix, suffix, target)

    def translate(
        self,
        texts: Sequence[str],
        src: str,
        tgt: str,
        beam_size: int = ct2_batch.BEAM_SIZE,
        progress: Progress | None = None,
        extra: dict[str, Any] | None = None,
    ) -> list[list[str]]:
        """Every text's translations (alternatives, best first); empty texts stay as they are."""
        if not self.manifest.covers(src, tgt):
            raise EngineError(f"the model {self.manifest.name} does not translate {src}→{tgt}")
        pieces = [self.source_sp.encode(t, out_type=str) if t.strip() else [] for t in texts]
        results = ct2_batch.translate_pieces(
            self.translator,
            pieces,
            self.wrapping(src, tgt),
            ct2_batch.Decoding(beam_size=beam_size, extra=extra or {}),
            f"the model {self.manifest.name} ({self.path})",
            progress,
        )
        return [
            [ct2_batch.decode_pieces(h) for h in hypotheses] if p else [text]
            for text, p, hypotheses in zip(texts, pieces, results, strict=True)
        ]


def load_family_model(
    manifest: Manifest, path: Path, inter_threads: int = 1, intra_threads: int = 0
) -> LoadedFamilyModel:
    """Load the CTranslate2 model and SentencePiece model(s) in ``path``; EngineError naming
    the folder when they cannot be loaded."""
    import json

    import ctranslate2
    import sentencepiece as spm

    try:
        translator = ctranslate2.Translator(
            str(path), device="cpu", inter_threads=inter_threads, intra_threads=intra_threads
        )
        source_sp = spm.SentencePieceProcessor(model_file=str(path / manifest.source_spm))
        target_sp = (
            source_sp
            if manifest.target_spm == manifest.source_spm
            else spm.SentencePieceProcessor(model_file=str(path / manifest.target_spm))
        )
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, RuntimeError, ValueError) as exc:
        raise EngineError(
            f"cannot load the model {manifest.name} from {path} ({exc}); install it again "
            "with `pipeline models install …`"
        ) from exc
    return LoadedFamilyModel(
        manifest,
        path,
        translator,
        source_sp,
        target_sp,
        eos=str(config.get("eos_token") or "</s>"),
        add_source_eos=bool(config.get("add_source_eos")),
    )
