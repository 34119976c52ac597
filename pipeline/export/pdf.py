"""PDF writer: Typst markup written from the document model, set by Typst (in-process).

Fonts come from ``fonts.py`` (Noto Serif/Sans for Latin text, Noto CJK JP for Japanese), so
every glyph is embedded and ``pdftotext`` gives the text back. Typst handles Japanese line
breaking (no 。、」 at a line start) when the text language is ``ja``.
"""

from __future__ import annotations

import json
import tempfile
from importlib import resources
from pathlib import Path

from pipeline.document import Document, Image
from pipeline.export.atomic import write_bytes_atomic
from pipeline.export.docx import ExportError
from pipeline.export.fonts import INSTALL_HINT, fonts_for, missing_fonts, typst_fonts
from pipeline.export.typst_markup import (
    ImagePath,
    document_markup,
    escape_string,
    render_template,
)

TEXT_WIDTH_IN = {"a4": 6.53, "a5": 4.1, "us-letter": 6.77}  # the paper less the template's margins
ABSTRACT_TITLE = {"en": "Abstract", "es": "Resumen", "ja": "概要"}


def _typst_list(names: tuple[str, ...]) -> str:
    return ", ".join(json.dumps(n) for n in names)


def typst_source(
    doc: Document, lang: str, paper: str = "a4", image_path: ImagePath | None = None
) -> str:
    """The Typst markup for ``doc`` in ``lang`` (exposed for tests and debugging); pictures
    are where ``image_path`` saved them, relative to the Typst root."""
    body, meta = document_markup(doc, image_path, TEXT_WIDTH_IN.get(paper, 6.5))
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
        # Justified Japanese next to a long Latin name stretches every gap of its line (the
        # name cannot break): Japanese is set ragged, its characters on their em boxes.
        "justify": "false" if lang == "ja" else "true",
        "quote-style": "normal" if lang == "ja" else "italic",
        "title-plain": escape_string(doc.title),
        "author-plain": escape_string(doc.metadata.get("author", "")),
        "title": meta.get("title", ""),
        "subtitle": meta.get("subtitle", ""),
        "author": meta.get("author", ""),
        "date": meta.get("date", ""),
        "abstract": meta.get("abstract", ""),
        "abstract-title": ABSTRACT_TITLE.get(lang, "Abstract"),
        "body": body,
    }
    return render_template(template, variables)


class TypstMedia:
    """Saves each picture once in a Typst root folder; gives its path relative to the root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.saved: dict[int, str] = {}

    def __call__(self, image: Image) -> str:
        key = id(image)
        if key not in self.saved:
            name = f"image{len(self.saved) + 1}.{image.suffix}"
            (self.root / name).write_bytes(image.data)
            self.saved[key] = name
        return self.saved[key]


def compile_typst(source: str, root: Path | None = None) -> bytes:
    """Compile Typst markup to PDF bytes with the project's fonts; files it names (pictures)
    are read from ``root``."""
    import typst

    missing = missing_fonts()
    if missing:
        raise ExportError(f"fonts missing ({', '.join(missing)}): {INSTALL_HINT}")
    try:
        # The project's font folders only, scanned once per process (no system fonts).
        if root is None:
            return typst.compile(source.encode("utf-8"), font_paths=typst_fonts())
        main = root / "main.typ"
        main.write_text(source, encoding="utf-8")
        return typst.compile(str(main), root=str(root), font_paths=typst_fonts())
    except Exception as exc:  # typst raises its own error types with multi-line text
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExportError(f"Typst could not set the PDF: {first[:200]}") from exc


def write_pdf(doc: Document, path: Path, lang: str, paper: str = "a4") -> None:
    """Write ``doc`` (already in ``lang``) as a PDF at ``path``, atomically."""
    if not doc.images():
        write_bytes_atomic(Path(path), compile_typst(typst_source(doc, lang, paper)))
        return
    with tempfile.TemporaryDirectory(prefix="pipeline-typst-") as folder:
        root = Path(folder)
        source = typst_source(doc, lang, paper, TypstMedia(root))
        write_bytes_atomic(Path(path), compile_typst(source, root))
