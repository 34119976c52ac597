"""The plain data model passed between the pipeline's stages.

A ``Document`` is a flat list of ``Block``s (title, heading, paragraph, list item, quote,
table cell, table caption, figure, abstract, footnote, code block), each holding inline ``Span``s; a
figure block also holds its ``Image``. Readers build it, transforms rewrite
the text of its spans, writers turn it into files. Nothing here knows about formats.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

BlockKind = Literal[
    "title",
    "subtitle",
    "heading",
    "paragraph",
    "list_item",
    "quote",
    "table_cell",
    "caption",
    "figure",
    "abstract",
    "footnote",
    "code",
]

SpanKind = Literal["text", "break", "note_ref", "object"]

LANGUAGES = ("en", "es", "ja")

LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "ja": "Japanese",
    "pt": "Portuguese",
    "gl": "Galician",
    "it": "Italian",
    "ca": "Catalan",
    "fr": "French",
    "qu": "Quechua",
    "ay": "Aymara",
}


@dataclass
class Span:
    """A run of inline content with uniform formatting.

    ``kind`` is "text" (``text`` holds the words), "break" (a hard line break),
    "note_ref" (a reference to the footnote block whose ``note_id`` is ``note``) or "object"
    (an opaque inline placeholder: a field, bookmark or drawing kept by an in-place writer).
    ``format_key`` is an opaque formatting (or object) identity set by in-place readers:
    spans with different keys are different formats. ``verbatim`` text is never translated
    (inline code, a URL, an e-mail address, a file name, an @handle): it travels through the
    engines as a placeholder and comes back as it was; ``code`` text is also shown as code
    (a monospace code style).
    """

    text: str = ""
    bold: bool = False
    italic: bool = False
    link: str | None = None
    kind: SpanKind = "text"
    note: str | None = None
    format_key: str | None = None
    code: bool = False
    verbatim: bool = False

    @property
    def formatted(self) -> bool:
        return (
            self.bold
            or self.italic
            or self.link is not None
            or self.format_key is not None
            or self.code
        )

    def same_format(self, other: Span) -> bool:
        return (
            self.kind == other.kind == "text"
            and self.bold == other.bold
            and self.italic == other.italic
            and self.link == other.link
            and self.format_key == other.format_key
            and self.code == other.code
            and self.verbatim == other.verbatim
        )


def merge_spans(spans: list[Span]) -> list[Span]:
    """Join neighbouring text spans that have the same formatting."""
    merged: list[Span] = []
    for span in spans:
        if merged and merged[-1].same_format(span):
            merged[-1] = replace(merged[-1], text=merged[-1].text + span.text)
        else:
            merged.append(span)
    return merged


@dataclass
class Image:
    """A picture carried from the source to the outputs: its bytes and its size.

    ``fmt`` is the file type ("png", "jpeg", "gif", "webp", "svg"); ``width_px``/``height_px``
    and ``dpi`` are the image's own; ``width``/``height`` are the size the source showed it at
    when it said ("2.0in", "50%", "300px"), else ``None``; ``name`` is the source's reference
    (a path or a media name), for notes; ``path`` the separate local file it was read from
    (a Markdown/HTML picture), so that a run notices when it changes; ``captioned``: the figure block's text is a caption
    shown under the picture (a figure), not only its alt text (a picture inside the text).
    """

    data: bytes
    fmt: str
    width_px: int
    height_px: int
    dpi: float = 96.0
    width: str | None = None
    height: str | None = None
    name: str = ""
    captioned: bool = False
    path: str | None = None  # the local file it was read from (None: inside the source)

    @property
    def suffix(self) -> str:
        return "jpg" if self.fmt == "jpeg" else self.fmt

    def width_inches(self, text_width: float) -> float:
        """The width to show the image at, in inches, never wider than ``text_width``: the
        source's width when it gave one, else the image's own size at its resolution."""
        shown = _inches(self.width, text_width)
        if shown is None:
            height = _inches(self.height, text_width)
            if height is not None and self.height_px:
                shown = height * self.width_px / self.height_px
            else:
                shown = self.width_px / (self.dpi or 96.0)
        return max(0.1, min(shown, text_width))


_UNITS = {"in": 1.0, "cm": 1 / 2.54, "mm": 1 / 25.4, "pt": 1 / 72, "px": 1 / 96, "pc": 1 / 6}


def _inches(size: str | None, text_width: float) -> float | None:
    """A CSS/pandoc size ("2.0in", "50%", "300px", "300") in inches, or None."""
    if not size:
        return None
    size = size.strip().lower()
    try:
        if size.endswith("%"):
            return float(size[:-1]) / 100 * text_width
        for unit, factor in _UNITS.items():
            if size.endswith(unit):
                return float(size[: -len(unit)]) * factor
        return float(size) / 96
    except ValueError:
        return None


@dataclass
class Block:
    """One paragraph-like unit of a document.

    ``level`` is the heading level (1-6) or the list nesting depth (1 = top level);
    ``ordered`` marks numbered list items; ``note_id`` names a footnote block;
    ``table``/``row``/``col`` place a table cell; a cell may hold several blocks (its
    paragraphs, and list items: ``level`` ≥ 1 on a table cell is a list item inside it);
    a ``caption`` block with ``table`` set is that table's caption; a ``figure`` block holds
    an ``image`` and its spans are the caption (or, without one, the alt text), so they are
    translated like any text; a ``code`` block is a code listing (one verbatim code span, lines
    kept), never translated; ``abstract`` blocks are the document's abstract; ``lang`` is
    the block's own language when detection found it differs from the document's.
    """

    kind: BlockKind
    spans: list[Span] = field(default_factory=list)
    level: int = 0
    ordered: bool = False
    note_id: str | None = None
    table: int | None = None
    row: int | None = None
    col: int | None = None
    lang: str | None = None
    image: Image | None = None

    @property
    def text(self) -> str:
        """The block's plain text (line breaks as newlines, note references dropped)."""
        return "".join(
            s.text if s.kind == "text" else "\n" if s.kind == "break" else "" for s in self.spans
        )

    def with_spans(self, spans: list[Span]) -> Block:
        return replace(self, spans=spans)


@dataclass
class Document:
    """A statement: its blocks plus what is known about where it came from."""

    blocks: list[Block]
    source_path: str = ""
    source_format: str = ""
    lang: str | None = None
    lang_confidence: float = 0.0
    metadata: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None  # the text encoding a text-based source was read in
    notes: list[str] = field(default_factory=list)  # one-line reader notes for report.json

    @property
    def title(self) -> str:
        for block in self.blocks:
            if block.kind == "title":
                return block.text.strip()
        for block in self.blocks:
            if block.kind == "heading":
                return block.text.strip()
        return self.metadata.get("title", "")

    @property
    def text(self) -> str:
        """All block texts joined by blank lines: what a reader of the document sees."""
        return "\n\n".join(b.text for b in self.blocks if b.text.strip())

    def images(self) -> list[Image]:
        """The document's images, in reading order."""
        return [b.image for b in self.blocks if b.image is not None]

    def body_blocks(self) -> list[Block]:
        """Blocks that are not footnotes, in reading order."""
        return [b for b in self.blocks if b.kind != "footnote"]

    def footnotes(self) -> dict[str, Block]:
        return {b.note_id: b for b in self.blocks if b.kind == "footnote" and b.note_id}


@dataclass
class Segment:
    """The unit engines translate and reviewers see: usually one sentence.

    ``text`` carries inline formatting as markers: ``<gN>…</gN>`` around a formatted span
    and ``<xN/>`` for a line break or footnote reference (see ``segment.py``).
    ``id`` is stable for a document: ``b<block>.s<sentence>``.
    """

    id: str
    block: int
    index: int
    text: str
    lang: str
    trailing: str = " "
    verbatim: dict[int, str] = field(default_factory=dict)
    """The text each ``<xN/>`` placeholder of verbatim text (code, a URL…) stands for, by N."""
