"""In-place translation of Word (DOCX) and LibreOffice (ODT) files.

``read(path)`` gives the translatable paragraphs as a ``Document`` plus a skeleton that knows
where each block came from; ``write(skeleton, translated, lang, path)`` writes the original
package with only those paragraphs' text replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.document import Document
from pipeline.inplace import docx, odt
from pipeline.inplace.common import InplaceError

SUFFIXES = (".docx", ".odt")

Skeleton = docx.DocxSkeleton | odt.OdtSkeleton


@dataclass
class InplaceSource:
    """A document read for in-place translation."""

    document: Document
    skeleton: Skeleton

    @property
    def tracked_changes(self) -> int:
        """How many tracked changes were accepted while reading (0: none)."""
        return self.skeleton.tracked_changes


def supports(path: Path) -> bool:
    return Path(path).suffix.lower() in SUFFIXES


def read(path: Path) -> InplaceSource:
    """Read a .docx or .odt file for in-place translation."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return InplaceSource(*docx.read(path))
    if suffix == ".odt":
        return InplaceSource(*odt.read(path))
    raise InplaceError(
        f"in-place translation needs a .docx or .odt file, not {suffix or path.name}"
    )


def write(skeleton: Skeleton, translated: Document, lang: str, path: Path) -> None:
    """Write ``translated`` (the same blocks as read, in ``lang``) into a copy of the source."""
    if isinstance(skeleton, docx.DocxSkeleton):
        docx.write(skeleton, translated, lang, Path(path))
    else:
        odt.write(skeleton, translated, lang, Path(path))


__all__ = ["InplaceError", "InplaceSource", "SUFFIXES", "Skeleton", "read", "supports", "write"]
