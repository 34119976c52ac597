"""Language detection for documents and blocks (simple first version; see issue on detection)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.document import Document

_KANA = re.compile(r"[\u3040-\u30ff]")
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uff00-\uffef]")


@dataclass(frozen=True)
class BlockLanguage:
    index: int
    language: str
    confidence: float


@dataclass(frozen=True)
class DocumentLanguage:
    language: str
    confidence: float
    blocks: list[BlockLanguage] = field(default_factory=list)


def detect_text(text: str) -> tuple[str, float]:
    """The most likely language of ``text`` and a confidence in [0, 1]."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "und", 0.0
    cjk = sum(1 for c in letters if _CJK.match(c))
    if cjk / len(letters) > 0.3:
        return "ja", 0.99
    from langdetect import DetectorFactory, detect_langs

    DetectorFactory.seed = 0
    try:
        best = detect_langs(text)[0]
    except Exception:
        return "und", 0.0
    return best.lang, float(best.prob)


def detect_document(doc: Document) -> DocumentLanguage:
    """Detect the document's language, then each block's with the document as context."""
    language, confidence = detect_text(doc.text)
    blocks = [BlockLanguage(i, language, confidence) for i, _ in enumerate(doc.blocks)]
    return DocumentLanguage(language, confidence, blocks)
