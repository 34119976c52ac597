"""The document writers by format: ``pipeline translate --format`` picks from this table.

Each writer takes the translated Document, the output path, the document's language and a
title (the source file's name, for the DOCX's properties). Writers raise ``PipelineError``
subclasses or ``OSError``; the caller records either as the target's failure. Adding a format
is one function and one table entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline.document import Document

Writer = Callable[[Document, Path, str, str], None]
"""``writer(doc, path, lang, title)``: write ``doc`` at ``path``, atomically."""


def _docx(doc: Document, path: Path, lang: str, title: str) -> None:
    from pipeline.export.docx import write_docx  # python-docx and pandoc load only when needed

    write_docx(doc, path, lang, subject=title)


def _pdf(doc: Document, path: Path, lang: str, title: str) -> None:
    from pipeline.export.pdf import write_pdf

    write_pdf(doc, path, lang)


WRITERS: dict[str, Writer] = {"docx": _docx, "pdf": _pdf}
FORMATS: tuple[str, ...] = tuple(WRITERS)
"""Every format ``--format`` accepts, in the order outputs are written by default."""
