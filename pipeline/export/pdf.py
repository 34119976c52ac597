"""PDF writer: Typst markup written from the document model, set by Typst (in-process).

Fonts come from ``fonts.py`` (Noto Serif/Sans for Latin text, Noto CJK JP for Japanese), so
every glyph is embedded and ``pdftotext`` gives the text back. Typst handles Japanese line
breaking (no 。、」 at a line start) when the text language is ``ja``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from pipeline.document import Document
from pipeline.export.atomic import write_bytes_atomic
from pipeline.export.docx import ExportError
from pipeline.export.fonts import INSTALL_HINT, fonts_for, missing_fonts, typst_fonts
from pipeline.export.typst_markup import document_markup, escape_string, render_template


def _typst_list(names: tuple[str, ...]) -> str:
    return ", ".join(json.dumps(n) for n in names)


def typst_source(doc: Document, lang: str, paper: str = "a4") -> str:
    """The Typst markup for ``doc`` in ``lang`` (exposed for tests and debugging)."""
    body, meta = document_markup(doc)
    fonts = fonts_for(lang)
    template = (resources.files("pipeline") / "templates" / "document.typ").read_text("utf-8")
    variables = {
        "paper": paper,
        "lang": lang,
        "body-fonts": _typst_list(fonts.body),
        "heading-fonts": _typst_list(fonts.heading),
        "font-size": "10.5pt" if lang == "ja" else "11pt",
        "leading": "0.95em" if lang == "ja" else "0.7em",
        "hyphenate": "false" if lang == "ja" else "true",
        "quote-style": "normal" if lang == "ja" else "italic",
        "title-plain": escape_string(doc.title),
        "author-plain": escape_string(doc.metadata.get("author", "")),
        "title": meta.get("title", ""),
        "subtitle": meta.get("subtitle", ""),
        "body": body,
    }
    return render_template(template, variables)


def compile_typst(source: str) -> bytes:
    """Compile Typst markup to PDF bytes with the project's fonts."""
    import typst

    missing = missing_fonts()
    if missing:
        raise ExportError(f"fonts missing ({', '.join(missing)}): {INSTALL_HINT}")
    try:
        # The project's font folders only, scanned once per process (no system fonts).
        return typst.compile(source.encode("utf-8"), font_paths=typst_fonts())
    except Exception as exc:  # typst raises its own error types with multi-line text
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExportError(f"Typst could not set the PDF: {first[:200]}") from exc


def write_pdf(doc: Document, path: Path, lang: str, paper: str = "a4") -> None:
    """Write ``doc`` (already in ``lang``) as a PDF at ``path``, atomically."""
    write_bytes_atomic(Path(path), compile_typst(typst_source(doc, lang, paper)))
