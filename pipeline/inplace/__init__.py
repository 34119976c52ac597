"""In-place translation of documents (DOCX, ODT, PDF), slide decks (PPTX, ODP) and subtitles
(SRT, WebVTT).

``read(path)`` gives the translatable paragraphs as a ``Document`` plus a skeleton that knows
where each block came from; ``write(skeleton, translated, lang, path)`` writes the original
file with only those paragraphs' text replaced. One module per format: ``docx``, ``odt`` (ODT
and ODP), ``pdf``, ``presentation`` (PPTX), ``subtitles`` (SRT and VTT). A PDF's skeleton (``inplace.pdf``) holds
where each block stands on its pages; its writer is ``pipeline.export.pdf_inplace`` (it sets
text in the fonts that ``export`` finds), so ``render``/``write`` here are for DOCX and ODT.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.document import Document, merge_spans
from pipeline.errors import ReadError
from pipeline.ingest.limits import Limits, check_regular_file, check_zip
from pipeline.inplace import docx, odt, pdf, presentation, subtitles
from pipeline.inplace.common import MAX_FILE_BYTES, InplaceError, write_atomic
from pipeline.inplace.stated_pages import stated_pages

SUFFIXES = (".docx", ".odt", ".pdf", ".pptx", ".odp", ".srt", ".vtt")
ZIPPED = (".docx", ".odt", ".pptx", ".odp")
"""The suffixes of zip packages (checked against zip bombs before they are read)."""
SUBTITLES = (".srt", ".vtt")
ONLY_IN_PLACE = (".pptx", ".odp", *SUBTITLES)
"""Read only here, also with ``--restyle`` (``text_of``): slide decks and subtitles."""

Skeleton = (
    docx.DocxSkeleton
    | odt.OdtSkeleton
    | pdf.PdfSkeleton
    | presentation.PptxSkeleton
    | subtitles.SubtitleSkeleton
)


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


def zipped(path: Path) -> bool:
    """Whether ``path`` names a zip package (DOCX, ODT, PPTX, ODP), not a text file or PDF."""
    return Path(path).suffix.lower() in ZIPPED


def only_in_place(path: Path) -> bool:
    """Whether ``path`` is a slide deck or subtitle file (no other reader takes it)."""
    return Path(path).suffix.lower() in ONLY_IN_PLACE


def text_of(path: Path, limits: Limits | None = None) -> Document:
    """A slide deck's or subtitle file's text as a document (no speaker notes, no cue
    boundaries), within the limits every reader keeps; ``ReadError`` says why not."""
    limits = limits or Limits.from_env()
    try:
        if check_regular_file(Path(path), limits).st_size and zipped(path):
            check_zip(Path(path), Path(path).suffix.lower().lstrip("."), limits)
        source = read(path)
    except InplaceError as exc:
        raise ReadError(str(exc)) from exc
    return body_document(source.skeleton, source.document)


def _read_format(path: Path, suffix: str) -> tuple[Document, Skeleton]:
    if suffix in (".docx", ".odt"):
        document, skeleton = docx.read(path) if suffix == ".docx" else odt.read(path)
        return document, replace(skeleton, stated_pages=stated_pages(path, skeleton.format))
    if suffix == ".pdf":
        return pdf.read(path)
    if suffix == ".pptx":
        return presentation.read(path)
    if suffix in SUBTITLES:
        return subtitles.read(path)
    return odt.read(path)  # .odt and .odp


def read(path: Path) -> InplaceSource:
    """Read a file of one of ``SUFFIXES`` for in-place translation; ``InplaceError`` says
    why not."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InplaceError(
            f"in-place translation needs one of {', '.join(SUFFIXES)}, not {suffix or path.name}"
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
    source = InplaceSource(*_read_format(path, suffix))
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
    if isinstance(skeleton, presentation.PptxSkeleton):
        return presentation.render(skeleton, translated, lang, offline=offline)
    if isinstance(skeleton, subtitles.SubtitleSkeleton):
        return subtitles.render(skeleton, translated, lang)
    return odt.render(skeleton, translated, lang, offline=offline)


def offline_source(skeleton: Skeleton) -> bytes:
    """The source package as it was read, made safe to convert (nothing it links to outside
    itself can be fetched): for laying the source out to count its pages."""
    if isinstance(skeleton, docx.DocxSkeleton):
        return docx.offline_copy(skeleton)
    if isinstance(skeleton, pdf.PdfSkeleton):
        return skeleton.data  # read with PyMuPDF, never converted by LibreOffice
    if isinstance(skeleton, presentation.PptxSkeleton | subtitles.SubtitleSkeleton):
        raise InplaceError("slides and subtitles are not laid out to count pages")
    return odt.offline_copy(skeleton)


def write(
    skeleton: Skeleton, translated: Document, lang: str, path: Path, *, offline: bool = False
) -> None:
    """Write ``translated`` (the same blocks as read, in ``lang``) into a copy of the source."""
    write_atomic(Path(path), render(skeleton, translated, lang, offline=offline))


def body_document(skeleton: Skeleton, doc: Document) -> Document:
    """``doc`` without the blocks of headers, footers, comments and speaker notes: what a
    re-rendered PDF or a leaflet shows (the body, its text boxes and tables, and its notes; a
    subtitle file's text without its cue boundaries)."""
    areas = [ref.area for ref in skeleton.blocks]
    keep = [b for b, area in zip(doc.blocks, areas, strict=True) if area in ("body", "note")]
    if isinstance(skeleton, subtitles.SubtitleSkeleton):  # a transcript: no cue boundaries
        keep = [b.with_spans(merge_spans([s for s in b.spans if s.kind != "object"])) for b in keep]
    return replace(doc, blocks=keep)


__all__ = [
    "SUFFIXES",
    "InplaceError",
    "InplaceSource",
    "Skeleton",
    "body_document",
    "read",
    "render",
    "only_in_place",
    "supports",
    "text_of",
    "write",
    "zipped",
]
