"""Readers: source files → Document.

``read_document`` picks the reader by suffix (:data:`READERS`); ``find_sources`` expands the
paths a user gives into the files a reader can take. Every refusal is a :class:`ReadError`
with a one-line reason. Before any reader runs, the file is checked against the
:class:`~pipeline.ingest.limits.Limits` (a regular file, its size by stat, a ZIP's expanded
size, entry count and compression ratio); pandoc always runs sandboxed, so nothing is fetched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from pipeline.document import Document
from pipeline.ingest import docx, odt, pandoc, pdf, rtf, text
from pipeline.ingest.errors import ReadError
from pipeline.ingest.limits import Limits, check_zip, read_bytes
from pipeline.ingest.sources import Sources
from pipeline.ingest.sources import find_sources as _find_sources
from pipeline.textcodec import decode

__all__ = [
    "READERS",
    "SUPPORTED",
    "Limits",
    "ReadError",
    "Sources",
    "file_sha256",
    "find_sources",
    "read_document",
]

Reader = Callable[[Path, bytes, Limits], Document]


def _read_text(path: Path, data: bytes, limits: Limits) -> Document:
    decoded, encoding = decode(data)
    return Document(blocks=text.read_text(decoded), source_format="txt", encoding=encoding)


def _read_markup(fmt: str) -> Reader:
    """Markdown and HTML: decoded here (any encoding), then read by pandoc from UTF-8."""

    def read(path: Path, data: bytes, limits: Limits) -> Document:
        decoded, encoding = decode(data)
        doc = pandoc.read_pandoc(path, fmt, limits, text=decoded)
        doc.encoding = encoding
        return doc

    return read


def _read_docx(path: Path, data: bytes, limits: Limits) -> Document:
    names = check_zip(path, "docx", limits)
    docx.main_part(path, names)
    doc = pandoc.read_pandoc(path, "docx", limits)
    for key, value in docx.core_properties(path, names).items():
        if key in ("title", "author"):
            doc.metadata.setdefault(key, value)
    linked = docx.external_images(path, names)
    if linked:
        n = len(linked)
        doc.notes.append(
            f"{n} linked image{'s' if n != 1 else ''} outside the file not fetched "
            f"(reading is offline): {', '.join(linked)}"[:300]
        )
    return doc


def _read_odt(path: Path, data: bytes, limits: Limits) -> Document:
    names = check_zip(path, "odt", limits)
    if "content.xml" not in names:
        raise ReadError("not a valid .odt file (no content.xml)")
    return odt.mark_titles(pandoc.read_pandoc(path, "odt", limits), odt.styled_titles(data))


def _read_epub(path: Path, data: bytes, limits: Limits) -> Document:
    names = check_zip(path, "epub", limits)
    if "META-INF/container.xml" not in names:
        raise ReadError("not a valid .epub file (no META-INF/container.xml)")
    return _without_repeated_title(pandoc.read_pandoc(path, "epub", limits))


def _without_repeated_title(doc: Document) -> Document:
    """An e-book's first chapter usually opens with its title as a heading again: the
    statement keeps the title once."""
    if len(doc.blocks) > 1 and doc.blocks[0].kind == "title":
        title, first = doc.blocks[0], doc.blocks[1]
        if first.kind == "heading" and " ".join(first.text.split()) == " ".join(title.text.split()):
            del doc.blocks[1]
    return doc


def _read_rtf(path: Path, data: bytes, limits: Limits) -> Document:
    if not data.lstrip().startswith(b"{\\rtf"):
        raise ReadError("not a valid .rtf file (it does not start with {\\rtf)")
    return rtf.read_rtf(data, limits)


def _read_pdf(path: Path, data: bytes, limits: Limits) -> Document:
    if not data.lstrip().startswith(b"%PDF-"):
        raise ReadError("not a valid .pdf file (it does not start with %PDF-)")
    return pdf.read_pdf(data, limits)


READERS: dict[str, Reader] = {
    ".txt": _read_text,
    ".md": _read_markup("markdown"),
    ".markdown": _read_markup("markdown"),
    ".html": _read_markup("html"),
    ".htm": _read_markup("html"),
    ".docx": _read_docx,
    ".odt": _read_odt,
    ".epub": _read_epub,
    ".rtf": _read_rtf,
    ".pdf": _read_pdf,
}
"""Suffix → reader: ``reader(path, data, limits)`` with the file's bytes already read."""
IN_PLACE_ONLY = (".pptx", ".odp", ".srt", ".vtt")
"""Slide decks and subtitles: found like every input, read only by ``pipeline.inplace``
(``inplace.text_of`` gives their text as a document)."""
SUPPORTED = tuple(READERS) + IN_PLACE_ONLY


def find_sources(
    paths: list[Path], *, exclude: list[Path] | None = None, follow_links: bool = False
) -> Sources:
    """The supported files under ``paths`` (see :func:`pipeline.ingest.sources.find_sources`)."""
    return _find_sources(paths, SUPPORTED, exclude=exclude or [], follow_links=follow_links)


def file_sha256(path: Path, limits: Limits | None = None) -> str:
    """The SHA-256 of a source file, or "" when it is not a regular file within the limits
    (so that hashing never reads a pipe or a device)."""
    try:
        return hashlib.sha256(read_bytes(Path(path), limits or Limits.from_env())).hexdigest()
    except ReadError:
        return ""


def read_document(path: Path, limits: Limits | None = None) -> Document:
    """Read a source file into a Document, or raise ReadError with a one-line reason.

    ``limits`` defaults to :meth:`Limits.from_env` (the ``PIPELINE_MAX_*`` variables).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in IN_PLACE_ONLY:
        raise ReadError(f"a {suffix} file is read by pipeline.inplace (inplace.text_of)")
    reader = READERS.get(suffix)
    if reader is None:
        raise ReadError(
            f"unsupported file type {suffix or '(none)'!r}: use one of {', '.join(SUPPORTED)}"
        )
    limits = limits or Limits.from_env()
    data = read_bytes(path, limits)
    if not data.strip():
        raise ReadError("the file is empty")
    doc = reader(path, data, limits)
    doc.source_path = str(path)
    if not any(b.text.strip() for b in doc.blocks):
        raise ReadError("no text found in the document")
    return doc
