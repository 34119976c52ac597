"""PDF with a text layer → Document, through PyMuPDF (``pdf_pages``: opening within limits).

A PDF holds positioned lines, not paragraphs, so the structure is rebuilt from the page:

* **reading order**: per page, lines are ordered top to bottom within columns; a page whose
  lines fall clearly left and right of the middle is read left column first, then right
  (full-width lines, such as a heading over both columns, separate the column bands);
* **page furniture**: lines in the top or bottom margin that repeat on other pages (digits
  ignored, so "Page 2 of 5" matches "Page 3 of 5") and bare page numbers are dropped;
* **paragraphs**: consecutive lines of the same style are joined until a gap wider than the
  usual line spacing, a change of size or weight, a list marker, or a line that ends short
  although the next line's first word would have fitted on it (a paragraph's last line); a word hyphenated at the
  end of a line is joined again ("recog-" + "nise" → "recognise"); a paragraph cut by a page
  break is joined across it;
* **headings** are lines larger than the body text (the largest, first on the first page, is
  the title, also below up to three masthead lines) or short bold lines; their levels follow
  their sizes; a title or heading that wraps is one block;
* **lists**: lines that start with a bullet (•, ◦, ▪, –, the private-use bullets office
  suites embed) or a number (``1.``, ``2)``) are list items.

A PDF without any text (a scan) is refused with a line that says so.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipeline.document import Block, BlockKind, Document, Span
from pipeline.ingest import pdf_pages
from pipeline.ingest.errors import ReadError
from pipeline.ingest.limits import Limits
from pipeline.ingest.pdf_pages import PdfLine, PdfPage

if TYPE_CHECKING:
    import pymupdf

# Share of the page height at the top and bottom where headers and footers live.
_MARGIN_SHARE = 0.09
# A line this much larger than the body text is a heading; this much, the title.
_HEADING_RATIO = 1.15
_TITLE_RATIO = 1.6
# The title may be a little smaller than the largest heading (this tool's own template).
_TITLE_OF_LARGEST = 0.9
# A gap between lines wider than this many times the usual line spacing ends a paragraph.
_PARAGRAPH_GAP = 1.2
# Single lines above the title that do not stop it from being the title (a letterhead).
_MASTHEAD_LINES = 3
# A bold body-size line shorter than this (and not ending a sentence) is a heading.
_BOLD_HEADING_CHARS = 90

_BULLET = re.compile(r"^\s*([•◦▪▫‣∙·●○■□–—\-*\uf000-\uf0ff])\s+(.*)$", re.S)
_LONE_BULLET = re.compile(r"^\s*(?:[•◦▪▫‣∙·●○■□\uf000-\uf0ff]|\(?\d{1,3}[.)]|[a-z][.)])\s*$")
_NUMBER = re.compile(r"^\s*(\(?\d{1,3}[.)]|[a-z][.)])\s+(.*)$", re.S)
_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-–—]\s*)?(?:(?:page|página|pág\.?|p\.)\s*)?\d{1,4}(?:\s*(?:/|of|de)\s*\d{1,4})?"
    r"(?:\s*[-–—])?\s*$|^\s*\d{1,4}\s*ページ\s*$",
    re.I,
)
_SENTENCE_END = re.compile(r"[.!?。！？:;…]['’”\")]*$")
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")


@dataclass
class _Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    page: int
    page_height: float
    sources: list[PdfLine]
    column_right: float = 0.0  # where the lines of its column end on the right
    marker_apart: bool = False  # its list marker is a line of its own in the PDF

    @classmethod
    def of(cls, line: PdfLine, page: PdfPage) -> _Line:
        """``line`` with y going up from the page's foot, as the rules below measure."""
        h = page.height
        return cls(
            line.text,
            line.x0,
            line.x1,
            h - line.y0,
            h - line.y1,
            line.size,
            line.bold,
            page.number,
            h,
            [line],
        )

    @property
    def height(self) -> float:
        return self.top - self.bottom


@dataclass
class _Paragraph:
    lines: list[_Line] = field(default_factory=list)
    kind: BlockKind = "paragraph"
    ordered: bool = False
    level: int = 0
    marker: str = ""  # a list marker on the same PDF line as the item's text

    @property
    def first(self) -> _Line:
        return self.lines[0]

    @property
    def size(self) -> float:
        return statistics.median(line.size for line in self.lines)

    @property
    def bold(self) -> bool:
        return sum(line.bold for line in self.lines) * 2 > len(self.lines)

    def text(self) -> str:
        out = ""
        for line in self.lines:
            piece = line.text.strip()
            if not out:
                out = piece
            elif out.endswith("\u00ad") or re.search(r"[^\W\d_]-$", out) and piece[:1].islower():
                out = out[:-1] + piece
            elif out.endswith("\u2010") or _CJK.search(out[-1:]) and _CJK.search(piece[:1]):
                out += piece  # a hyphen that is part of the word (kept), or Japanese
            else:
                out += " " + piece
        return re.sub(r"\s+", " ", out).strip()


def read_pdf(data: bytes, limits: Limits) -> Document:
    """The Document in a PDF's text layer, or ReadError (damaged, encrypted with a password,
    scanned, too many pages, past a decoding limit)."""
    return read_pdf_layout(data, limits).document


@dataclass
class PdfLayout:
    """A PDF's Document and, for each of its blocks, the lines it was read from."""

    document: Document
    lines: list[list[PdfLine]]
    furniture: list[PdfLine]  # running headers, footers and page numbers (not in the Document)
    pages: list[PdfPage]
    markers: list[str]  # per block, the list marker that shares its first line ("": none)


def read_pdf_layout(data: bytes, limits: Limits) -> PdfLayout:
    """``read_pdf``'s Document with where each block stands on its pages."""
    with pdf_pages.opened(data, limits) as pdf:
        return layout_of(pdf, limits)


def layout_of(pdf: pymupdf.Document, limits: Limits) -> PdfLayout:
    """The layout of a PDF opened by ``pdf_pages.opened``."""
    pages = pdf_pages.page_lines(pdf, limits)
    encrypted = bool(pdf.is_encrypted or pdf.metadata and pdf.metadata.get("encryption"))
    if not any(page.lines for page in pages):
        raise ReadError(
            "the PDF has no text layer (a scan or images only): run OCR on it first "
            "(e.g. ocrmypdf) or give the original document"
        )
    ordered = [
        _reading_order([_Line.of(ln, page) for ln in page.lines], page.width) for page in pages
    ]
    lines, furniture = _drop_page_furniture(ordered)
    paragraphs = _paragraphs(lines)
    blocks, kept = _classify(paragraphs)
    doc = Document(blocks=blocks, source_format="pdf")
    if encrypted:
        doc.notes.append("the PDF is encrypted with an empty password: read without one")
    if getattr(pdf, "is_repaired", False):
        doc.notes.append(
            "the PDF is damaged in places (repaired while reading); some text may be missing"
        )
    return PdfLayout(
        doc,
        [[s for ln in p.lines for s in ln.sources] for p in kept],
        [s for ln in furniture for s in ln.sources],
        pages,
        [p.marker.strip() for p in kept],
    )


def _reading_order(lines: list[_Line], width: float) -> list[_Line]:
    """Top to bottom; within a band between full-width lines, the left column first."""
    _set_column_edges(lines)
    lines = sorted(lines, key=lambda ln: (-ln.top, ln.x0))
    if width <= 0:
        return lines
    middle, slack = width / 2, width * 0.03
    left = [ln for ln in lines if ln.x1 < middle + slack]
    right = [ln for ln in lines if ln.x0 > middle - slack]
    if len(right) < 3 or len(left) < 3 or len(right) < 0.2 * len(lines):
        return lines  # one column (short lines on the right are not a column)
    if statistics.median(ln.x1 - ln.x0 for ln in left) < _COLUMN_SHARE * width:
        return lines  # short pieces side by side: a table or a form, read row by row
    ordered: list[_Line] = []
    band_left: list[_Line] = []
    band_right: list[_Line] = []
    for line in lines:
        if line.x0 > middle - slack:
            band_right.append(line)
        elif line.x1 < middle + slack:
            band_left.append(line)
        else:  # spans both columns: closes the band above it
            ordered += band_left + band_right + [line]
            band_left, band_right = [], []
    return ordered + band_left + band_right


_COLUMN_SHARE = 0.28  # a column's lines are mostly at least this share of the page wide
_EDGE_BIN = 6.0  # points: lines starting this close to each other share a column


def _set_column_edges(lines: list[_Line]) -> None:
    """Each line's ``column_right``: the furthest right that lines starting near it (within
    three times its font size: a first-line indent, a list's hanging indent) reach."""
    reach: dict[int, float] = {}
    for line in lines:
        key = int(line.x0 // _EDGE_BIN)
        reach[key] = max(reach.get(key, 0.0), line.x1)
    for line in lines:
        span = int(max(3 * line.size, 12.0) // _EDGE_BIN) + 1
        key = int(line.x0 // _EDGE_BIN)
        line.column_right = max(reach.get(k, 0.0) for k in range(key - span, key + span + 1))


def _ends_short(last: _Line, line: _Line) -> bool:
    """Whether ``last`` stops well before its column's right edge although ``line``'s first
    word would have fitted there: ``last`` ends its paragraph."""
    text = last.text.rstrip()
    if not text or text.endswith(("-", "\u00ad")) or len(line.text.strip()) == 0:
        return False
    advance = (line.x1 - line.x0) / max(len(line.text), 1)  # one character, roughly
    first = line.text.strip()
    word = first[:1] if _CJK.match(first) else first.split()[0]
    needed = (len(word) + 1) * advance
    return last.column_right - last.x1 > needed + 0.5 * last.size


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.strip().lower())


def _drop_page_furniture(pages: list[list[_Line]]) -> tuple[list[_Line], list[_Line]]:
    """Every page's lines without running headers, footers and page numbers; and those.

    A running header or footer is a line in the top or bottom margin whose text stands at the
    same height on at least half of the pages (and two), the same text or one whose number
    goes up with the page; a heading that happens to open pages is not one."""

    def in_margin(line: _Line) -> bool:
        margin = line.page_height * _MARGIN_SHARE
        return line.top > line.page_height - margin or line.bottom < margin

    places: dict[str, list[_Line]] = {}
    for lines in pages:
        for line in lines:
            if in_margin(line):
                places.setdefault(_furniture_key(line.text), []).append(line)
    needed = max(2, (len(pages) + 1) // 2)

    def repeated(line: _Line) -> bool:
        near = [o for o in places[_furniture_key(line.text)] if abs(o.top - line.top) < 4]
        if len({o.page for o in near}) < needed:
            return False
        if len({o.text.strip() for o in near}) == 1:
            return True
        # the texts differ in their numbers: furniture only if the number counts the pages
        # ("Page 3 of 5"), not when it counts something else ("Article 13" atop a page)
        offsets = {int(re.findall(r"\d+", o.text)[0]) - o.page for o in near}
        return len(offsets) == 1

    kept: list[_Line] = []
    dropped: list[_Line] = []
    for lines in pages:
        for line in lines:
            if in_margin(line) and (
                _PAGE_NUMBER.match(line.text) or (len(pages) > 1 and repeated(line))
            ):
                dropped.append(line)
                continue
            kept.append(line)
    return kept, dropped


def _list_marker(text: str) -> tuple[bool, str] | None:
    """(ordered, text without the marker) when ``text`` starts a list item."""
    if bullet := _BULLET.match(text):
        return False, bullet.group(2)
    if number := _NUMBER.match(text):
        return True, number.group(2)
    return None


def _join_lone_bullets(lines: list[_Line]) -> list[_Line]:
    """A bullet or number set apart from its item's text (LibreOffice's tab after a list
    marker), or words a little apart on one baseline, join the text to their right."""
    out: list[_Line] = []
    for line in lines:
        previous = out[-1] if out else None
        if (
            previous is not None
            and previous.page == line.page
            and abs(previous.bottom - line.bottom) < 0.3 * line.size
            and line.x0 > previous.x1 - 1.0
            and (
                _LONE_BULLET.match(previous.text)
                or (line.x0 - previous.x1 < 0.6 * line.size and line.size == previous.size)
            )
        ):
            apart = bool(_LONE_BULLET.match(previous.text))
            line.text = f"{previous.text.strip()} {line.text}"
            line.x0 = previous.x0
            # a marker set apart stays on the page as it is: only the item's text is replaced
            line.sources = line.sources if apart else previous.sources + line.sources
            line.marker_apart = apart
            out[-1] = line
            continue
        out.append(line)
    return out


def _paragraphs(lines: list[_Line]) -> list[_Paragraph]:
    lines = _join_lone_bullets(lines)
    body = [ln for ln in lines]
    # line spacing as a share of the font size, so a large title that wraps is measured
    # against its own spacing, not the body's
    pitches = [
        (a.bottom - b.bottom) / a.size
        for a, b in zip(body, body[1:], strict=False)
        if a.page == b.page and 0 < a.bottom - b.bottom < 3 * a.size and a.size == b.size
    ]
    # the line spacing inside paragraphs: a low quantile, since in a statement of short
    # paragraphs most gaps between lines can be gaps between paragraphs
    pitch = sorted(pitches)[len(pitches) // 4] if pitches else 0.0
    right_edge = max((ln.x1 for ln in lines), default=0.0)
    paragraphs: list[_Paragraph] = []
    current: _Paragraph | None = None
    for line in lines:
        marker = _list_marker(line.text)
        if current is not None and marker is None and _continues(current, line, pitch, right_edge):
            current.lines.append(line)
            continue
        current = _Paragraph([line])
        if marker is not None:
            current.kind, current.ordered = "list_item", marker[0]
            if not line.marker_apart:
                current.marker = line.text.strip()[: len(line.text.strip()) - len(marker[1])]
            line.text = marker[1]
        paragraphs.append(current)
    return paragraphs


def _continues(paragraph: _Paragraph, line: _Line, pitch: float, right_edge: float) -> bool:
    """Whether ``line`` goes on the paragraph whose last line is ``paragraph.lines[-1]``."""
    last = paragraph.lines[-1]
    if abs(line.size - last.size) > 0.5:
        return False
    if paragraph.kind == "list_item" and line.x0 < paragraph.first.x0 - 1.0:
        return False  # left of the bullet: the list item has ended
    full = last.x1 > right_edge * 0.9  # the last line ran to the right margin
    if line.bold != last.bold and not full:
        # a change of weight ends a paragraph (a bold heading) unless the last line ran to the
        # right margin: then the bold words are inside the paragraph
        return False
    if line.page != last.page:
        # Across a page break: only a paragraph whose last line ran to the right margin.
        return full and not _SENTENCE_END.search(last.text)
    gap = last.bottom - line.bottom
    if gap <= 0 or pitch <= 0 or _ends_short(last, line):
        return False
    return gap <= pitch * last.size * _PARAGRAPH_GAP


def _classify(paragraphs: list[_Paragraph]) -> tuple[list[Block], list[_Paragraph]]:
    """The blocks of ``paragraphs`` (those with text), and those paragraphs, one per block."""
    sizes = Counter[float]()
    for paragraph in paragraphs:
        for line in paragraph.lines:
            sizes[line.size] += len(line.text)
    body_size = sizes.most_common(1)[0][0] if sizes else 0.0
    is_heading_size = [
        p.kind != "list_item" and p.size >= body_size * _HEADING_RATIO for p in paragraphs
    ]
    title_index = _title_index(paragraphs, is_heading_size, body_size)
    level_sizes = sorted(
        {p.size for i, p in enumerate(paragraphs) if is_heading_size[i] and i != title_index},
        reverse=True,
    )
    blocks: list[Block] = []
    kept: list[_Paragraph] = []
    for index, paragraph in enumerate(paragraphs):
        text = paragraph.text()
        if not text:
            continue
        kept.append(paragraph)
        kind: BlockKind = paragraph.kind
        level = 1 if kind == "list_item" else 0
        if index == title_index:
            kind = "title"
        elif is_heading_size[index]:
            kind = "heading"
            level = min(6, 1 + sum(1 for s in level_sizes if s > paragraph.size))
        elif kind == "paragraph" and _bold_heading(paragraph, text):
            kind = "heading"
            level = min(6, len(level_sizes) + 1)
        blocks.append(Block(kind, [Span(text)], level=level, ordered=paragraph.ordered))
    return blocks, kept


def _title_index(
    paragraphs: list[_Paragraph], is_heading_size: list[bool], body_size: float
) -> int | None:
    """The title: the first paragraph of (about) the largest size, on the first page, above
    which there are at most masthead lines (single lines, e.g. a letterhead's name)."""
    largest = max((p.size for p in paragraphs), default=0.0)
    for index, paragraph in enumerate(paragraphs[: _MASTHEAD_LINES + 1]):
        if paragraph.size >= largest * _TITLE_OF_LARGEST:
            if (
                is_heading_size[index]
                and paragraph.first.page == 0
                and paragraph.size >= body_size * _TITLE_RATIO
            ):
                return index
            return None
        if len(paragraph.lines) > 1 or paragraph.first.page != 0:
            return None
    return None


def _bold_heading(paragraph: _Paragraph, text: str) -> bool:
    """A short bold line that does not end a sentence."""
    return (
        paragraph.bold
        and len(paragraph.lines) == 1
        and len(text) <= _BOLD_HEADING_CHARS
        and not _SENTENCE_END.search(text)
    )
