"""The DOCX writer: ``write_docx`` picks the route for a document.

The common statement (see ``docx_direct.can_write``) is written directly from the document
model; any other (tables, pictures, captions) goes through pandoc and python-docx
(``docx_pandoc``). Both give the same Word structure: Title, Subtitle, Heading n, First
Paragraph / Body Text, List Bullet / List Number, Quote, the document language (``w:lang``) and
fonts on every run and in the document defaults, and the core properties.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.document import Document
from pipeline.export.docx_direct import can_write, write_docx_direct
from pipeline.export.docx_pandoc import (
    EAST_ASIAN_FONT,
    LATIN_FONT,
    LOCALES,
    ExportError,
    core_property,
    reference_docx,
    write_docx_pandoc,
)

__all__ = [
    "EAST_ASIAN_FONT",
    "LATIN_FONT",
    "LOCALES",
    "ExportError",
    "core_property",
    "reference_docx",
    "write_docx",
    "write_docx_direct",
    "write_docx_pandoc",
]


def write_docx(doc: Document, path: Path, lang: str, *, subject: str = "") -> None:
    """Write ``doc`` (already in ``lang``) as a DOCX file at ``path``, atomically."""
    if can_write(doc):
        write_docx_direct(doc, path, lang, subject=subject)
    else:
        write_docx_pandoc(doc, path, lang, subject=subject)
