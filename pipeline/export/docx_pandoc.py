"""DOCX through pandoc: pandoc builds the document from the AST, python-docx finishes it.

This route writes any document; the common statement takes ``docx_direct`` instead (the same
structure, written straight from the document model), ``docx.write_docx`` picks.

Pandoc gives real Word structure (Title, Subtitle, Heading n, footnotes, links, numbered and
bulleted lists). python-docx then sets what pandoc does not: List Bullet/List Number and
Quote paragraph styles, the document language (``w:lang``) so Word and LibreOffice
spell-check in the right language, East Asian fonts (``w:eastAsia``) for Japanese runs, and
core properties (title, language, subject = source file name).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

from docx import Document as load_docx
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Pt
from lxml import etree

from pipeline.document import Document, Image
from pipeline.errors import PipelineError
from pipeline.export.atomic import atomic_path
from pipeline.export.pandoc_ast import document_ast
from pipeline.export.pandoc_server import PandocError, convert, pandoc_path

LOCALES = {"en": "en-GB", "es": "es-ES", "ja": "ja-JP"}
EAST_ASIAN_FONT = "Noto Serif CJK JP"
LATIN_FONT = {"ja": "Noto Sans", "en": "Noto Serif", "es": "Noto Serif"}


class ExportError(PipelineError):
    """An output could not be written; the message is one line."""


@cache
def reference_docx() -> Path:
    """Pandoc's default reference.docx plus the Quote and List styles, built once per process."""
    folder = Path(tempfile.mkdtemp(prefix="pipeline-ref-"))
    path = folder / "reference.docx"
    data = subprocess.run(
        [pandoc_path(), "--print-default-data-file", "reference.docx"],
        capture_output=True,
        check=True,
    ).stdout
    path.write_bytes(data)
    doc = load_docx(str(path))
    styles = doc.styles
    names = {s.name for s in styles}
    if "Quote" not in names:
        quote = styles.add_style("Quote", WD_STYLE_TYPE.PARAGRAPH)
        quote.base_style = styles["Normal"]
        quote.font.italic = True
        quote.paragraph_format.left_indent = Pt(28)
        quote.paragraph_format.right_indent = Pt(28)
        quote.paragraph_format.space_before = Pt(6)
        quote.paragraph_format.space_after = Pt(6)
    for name in ("List Bullet", "List Number"):
        if name not in names:
            style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.base_style = styles["Normal"]
            style.paragraph_format.space_after = Pt(3)
    doc.save(str(path))
    return path


def write_docx_pandoc(doc: Document, path: Path, lang: str, *, subject: str = "") -> None:
    """Write ``doc`` as a DOCX through pandoc and python-docx (any document); its pictures
    are saved in a temporary folder for pandoc to embed."""
    with tempfile.TemporaryDirectory(prefix="pipeline-docx-media-") as media:
        ast = json.dumps(document_ast(doc, lang, MediaFolder(Path(media))), ensure_ascii=False)
        with atomic_path(Path(path)) as tmp:
            try:
                convert(ast, tmp, "docx", reference_docx())
            except PandocError as exc:
                raise ExportError(f"pandoc could not write DOCX: {exc}") from None
            _finish(tmp, doc, lang, subject)


class MediaFolder:
    """Saves each picture once in ``folder`` and gives its path (a ``pandoc_ast.ImagePath``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.saved: dict[int, str] = {}

    def __call__(self, image: Image) -> str:
        key = id(image)
        if key not in self.saved:
            path = self.folder / f"image{len(self.saved) + 1}.{image.suffix}"
            path.write_bytes(image.data)
            self.saved[key] = str(path)
        return self.saved[key]


CORE_PROPERTY_MAX = 255
"""python-docx refuses longer core properties (title, subject, author)."""


def core_property(text: str, limit: int = CORE_PROPERTY_MAX) -> str:
    """``text`` on one line, without characters XML cannot hold (control characters from a
    file name), shortened to ``limit`` characters at a word end, with "…"."""
    text = " ".join(text.split())
    text = "".join(
        c for c in text if unicodedata.category(c) not in ("Cc", "Cs") and c not in "\ufffe\uffff"
    )
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-") + "…"


def _finish(path: Path, doc: Document, lang: str, subject: str) -> None:
    word = load_docx(str(path))
    _style_lists(word)
    for paragraph in word.paragraphs:
        if paragraph.style is not None and paragraph.style.name == "Block Text":
            paragraph.style = word.styles["Quote"]
    _set_language(word, lang)
    props = word.core_properties
    props.title = core_property(doc.title)
    props.language = LOCALES.get(lang, lang)
    props.subject = core_property(subject)
    if doc.metadata.get("author"):
        props.author = core_property(doc.metadata["author"])
    abstract = " ".join(b.text for b in doc.blocks if b.kind == "abstract").strip()
    if abstract:
        props.comments = abstract[:1000]
    word.save(str(path))


def _numbering_formats(word: Any) -> dict[str, str]:
    """numId → numFmt of its first level ("bullet", "decimal", ...)."""
    try:
        numbering = word.part.numbering_part.element
    except (KeyError, NotImplementedError):
        return {}
    abstract_fmt: dict[str, str] = {}
    for abstract in numbering.findall(qn("w:abstractNum")):
        lvl = abstract.find(qn("w:lvl"))
        fmt = lvl.find(qn("w:numFmt")) if lvl is not None else None
        abstract_fmt[abstract.get(qn("w:abstractNumId"))] = (
            fmt.get(qn("w:val")) if fmt is not None else "bullet"
        )
    formats = {}
    for num in numbering.findall(qn("w:num")):
        ref = num.find(qn("w:abstractNumId"))
        if ref is not None:
            formats[num.get(qn("w:numId"))] = abstract_fmt.get(ref.get(qn("w:val")), "bullet")
    return formats


def _style_lists(word: Any) -> None:
    formats = _numbering_formats(word)
    for paragraph in word.paragraphs:
        ppr = paragraph._p.pPr
        if ppr is None or ppr.numPr is None or ppr.numPr.numId is None:
            continue
        fmt = formats.get(str(ppr.numPr.numId.val), "bullet")
        paragraph.style = word.styles["List Bullet" if fmt == "bullet" else "List Number"]


def _lang_element(lang: str) -> Any:
    element = OxmlElement("w:lang")
    element.set(qn("w:val"), LOCALES.get(lang, lang))
    element.set(qn("w:eastAsia"), LOCALES["ja"] if lang == "ja" else LOCALES.get(lang, lang))
    return element


def _fonts_element(lang: str) -> Any:
    fonts = OxmlElement("w:rFonts")
    latin = LATIN_FONT.get(lang, "Noto Serif")
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    if lang == "ja":
        fonts.set(qn("w:hint"), "eastAsia")
    return fonts


CODE_RUN_STYLES = frozenset({"VerbatimChar"})
"""pandoc's character style of code (inline code and code blocks): its monospace font stays."""


def _is_code_run(rpr: Any) -> bool:
    style = rpr.find(qn("w:rStyle"))
    return style is not None and style.get(qn("w:val")) in CODE_RUN_STYLES


def _set_run_properties(rpr: Any, lang: str) -> None:
    if _is_code_run(rpr):  # code keeps its monospace font; only its language is set
        for old in rpr.findall(qn("w:lang")):
            rpr.remove(old)
        rpr.append(_lang_element(lang))
        return
    for tag in ("w:lang", "w:rFonts"):
        for old in rpr.findall(qn(tag)):
            rpr.remove(old)
    # Schema order: rFonts comes first in rPr, lang near the end.
    rpr.insert(0, _fonts_element(lang))
    rpr.append(_lang_element(lang))


def _set_language(word: Any, lang: str) -> None:
    """Language and fonts in the document defaults, in every style and every run."""
    styles_el = word.styles.element
    doc_defaults = styles_el.find(qn("w:docDefaults"))
    if doc_defaults is not None:
        rpr_default = doc_defaults.find(qn("w:rPrDefault"))
        if rpr_default is not None:
            rpr = rpr_default.find(qn("w:rPr"))
            if rpr is None:
                rpr = OxmlElement("w:rPr")
                rpr_default.append(rpr)
            _set_run_properties(rpr, lang)
    body = word.element.body
    for run in body.iter(qn("w:r")):
        _set_run_properties(run.get_or_add_rPr(), lang)
    try:
        footnotes = word.part.part_related_by(
            "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
        )
    except KeyError:
        footnotes = None
    if footnotes is None:
        return
    root = getattr(footnotes, "_element", None)
    if root is None:
        root = parse_xml(footnotes.blob)
    for run in root.iter(qn("w:r")):
        rpr = run.find(qn("w:rPr"))
        if rpr is None:
            rpr = OxmlElement("w:rPr")
            run.insert(0, rpr)
        _set_run_properties(rpr, lang)
    if getattr(footnotes, "_element", None) is None:
        footnotes._blob = etree.tostring(
            root, xml_declaration=True, encoding="UTF-8", standalone=True
        )
