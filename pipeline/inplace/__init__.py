"""In-place translation of Word (DOCX), LibreOffice (ODT) and PDF files.

``read(path)`` gives the translatable paragraphs as a ``Document`` plus a skeleton that knows
where each block came from; ``write(skeleton, translated, lang, path)`` writes the original
package with only those paragraphs' text replaced. A PDF's skeleton (``inplace.pdf``) holds
where each block stands on its pages; its writer is ``pipeline.export.pdf_inplace`` (it sets
text in the fonts that ``export`` finds), so ``render``/``write`` here are for DOCX and ODT.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.document import Document
from pipeline.inplace import docx, odt, pdf
from pipeline.inplace.common import MAX_FILE_BYTES, InplaceError, write_atomic

SUFFIXES = (".docx", ".odt", ".pdf")

Skeleton = docx.DocxSkeleton | odt.OdtSkeleton | pdf.PdfSkeleton


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
    """Read a .docx or .odt file for in-place translation; ``InplaceError`` says why not."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InplaceError(
            f"in-place translation needs a .docx, .odt or .pdf file, not {suffix or path.name}"
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InplaceError(f"cannot read: {exc.strerror or exc}") from exc
    if path.is_dir():
        raise InplaceError("is a folder, not a file")
    if size == 0:
        raise InplaceError("the file is empty")
    if size > MAX_FILE_BYTES:
        raise InplaceError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    skeleton: Skeleton
    if suffix == ".docx":
        document, skeleton = docx.read(path)
    elif suffix == ".odt":
        document, skeleton = odt.read(path)
    else:
        document, skeleton = pdf.read(path)
    source = InplaceSource(document, skeleton)
    if not any(block.text.strip() for block in source.document.blocks):
        raise InplaceError("no text found in the document")
    return source


def render(skeleton: Skeleton, translated: Document, lang: str, *, offline: bool = False) -> bytes:
    """The source package with ``translated``'s text (same blocks as read, in ``lang``).

    ``offline`` makes a copy for a converter (LibreOffice): external resources it would load
    (linked pictures, objects, templates) point at nothing, so converting fetches nothing.
    """
    if isinstance(skeleton, docx.DocxSkeleton):
        return docx.render(skeleton, translated, lang, offline=offline)
    if isinstance(skeleton, pdf.PdfSkeleton):
        raise InplaceError("a PDF is written in place by pipeline.export.pdf_inplace")
    return odt.render(skeleton, translated, lang, offline=offline)


def offline_source(skeleton: Skeleton) -> bytes:
    """The source package as it was read, made safe to convert (nothing it links to outside
    itself can be fetched): for laying the source out to count its pages."""
    if isinstance(skeleton, docx.DocxSkeleton):
        return docx.offline_copy(skeleton)
    if isinstance(skeleton, pdf.PdfSkeleton):
        return skeleton.data  # read with PyMuPDF, never converted by LibreOffice
    return odt.offline_copy(skeleton)


def write(
    skeleton: Skeleton, translated: Document, lang: str, path: Path, *, offline: bool = False
) -> None:
    """Write ``translated`` (the same blocks as read, in ``lang``) into a copy of the source."""
    write_atomic(Path(path), render(skeleton, translated, lang, offline=offline))


def body_document(skeleton: Skeleton, doc: Document) -> Document:
    """``doc`` without the blocks of headers, footers and comments: what a re-rendered PDF or
    a leaflet shows (the body, its text boxes and tables, and its notes)."""
    areas = [ref.area for ref in skeleton.blocks]
    keep = [b for b, area in zip(doc.blocks, areas, strict=True) if area in ("body", "note")]
    return replace(doc, blocks=keep)


__all__ = [
    "SUFFIXES",
    "InplaceError",
    "InplaceSource",
    "Skeleton",
    "body_document",
    "read",
    "render",
    "supports",
    "write",
]
