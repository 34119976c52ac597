"""PDF writer: pandoc turns the AST into Typst markup, Typst (in-process) sets it.

Fonts come from ``fonts.py`` (Noto Serif/Sans for Latin text, Noto CJK JP for Japanese), so
every glyph is embedded and ``pdftotext`` gives the text back. Typst handles Japanese line
breaking (no 。、」 at a line start) when the text language is ``ja``.
"""

from __future__ import annotations

import json
import subprocess
from importlib import resources
from pathlib import Path

from pipeline.document import Document
from pipeline.export.atomic import write_bytes_atomic
from pipeline.export.docx import ExportError, _pandoc
from pipeline.export.fonts import INSTALL_HINT, fonts_for, missing_fonts, typst_fonts
from pipeline.export.pandoc_ast import document_ast


def _typst_list(names: tuple[str, ...]) -> str:
    return ", ".join(json.dumps(n) for n in names)


def typst_source(doc: Document, lang: str, paper: str = "a4") -> str:
    """The Typst markup for ``doc`` in ``lang`` (exposed for tests and debugging)."""
    ast = document_ast(doc, lang)
    _unwrap_quote_divs(ast["blocks"])
    fonts = fonts_for(lang)
    template = resources.files("pipeline") / "templates" / "document.typ"
    variables = {
        "paper": paper,
        "lang": lang,
        "body-fonts": _typst_list(fonts.body),
        "heading-fonts": _typst_list(fonts.heading),
        "font-size": "10.5pt" if lang == "ja" else "11pt",
        "leading": "0.95em" if lang == "ja" else "0.7em",
        "hyphenate": "false" if lang == "ja" else "true",
        "quote-style": "normal" if lang == "ja" else "italic",
        "title-plain": _escape_string(doc.title),
        "author-plain": _escape_string(doc.metadata.get("author", "")),
    }
    args = [_pandoc(), "-f", "json", "-t", "typst", "--template", str(template)]
    for key, value in variables.items():
        args += ["-V", f"{key}={value}"]
    proc = subprocess.run(  # own process group: a terminal's Ctrl-C lets the PDF finish
        args, input=json.dumps(ast).encode("utf-8"), capture_output=True, process_group=0
    )
    if proc.returncode != 0:
        raise ExportError(
            f"pandoc could not write Typst: {proc.stderr.decode(errors='replace')[:200]}"
        )
    return proc.stdout.decode("utf-8")


def _escape_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def _unwrap_quote_divs(blocks: list[dict]) -> None:
    """The DOCX-only custom-style Div around block quotes is not wanted in Typst."""
    for i, block in enumerate(blocks):
        if block.get("t") == "Div" and len(block["c"][1]) == 1:
            inner = block["c"][1][0]
            if inner.get("t") == "BlockQuote":
                blocks[i] = inner


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
