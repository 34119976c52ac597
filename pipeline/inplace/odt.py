"""In-place ODT (placeholder until written)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.document import Document


@dataclass
class OdtSkeleton:
    source: str
    tracked_changes: int = 0


def read(path: Path) -> tuple[Document, OdtSkeleton]:
    raise NotImplementedError


def write(skeleton: OdtSkeleton, translated: Document, lang: str, path: Path) -> None:
    raise NotImplementedError
