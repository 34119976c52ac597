"""A PDF read for in-place translation: its Document and where each block stands.

The paragraphs are those ``pipeline.ingest.pdf`` finds (reading order, headings, lists), then
the running headers and footers, one block per distinct text (area ``header``/``footer``, set
again on every page they repeat on; bare page numbers stay as they are). Each block gets a
``Placement``: the rectangle of its lines on each page it runs over (with the share of its
text there), its first baseline, line spacing, size, weight, colour and alignment, and how far
down its box may grow before it meets other text, a picture or a rule. The writer
(``pipeline.export.pdf_inplace``) removes the block's original text and sets the translation
in that room.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pipeline.document import Block, Document, Span
from pipeline.ingest.limits import Limits
from pipeline.ingest.pdf import layout_of
from pipeline.ingest.pdf_pages import PdfLine, RunStyle, opened

if TYPE_CHECKING:
    import pymupdf

Rect = tuple[float, float, float, float]
Align = Literal["left", "center", "right", "justify"]


@dataclass(frozen=True)
class Box:
    """The part of a block on one page: ``room`` (x0, y0, x1, y1) where its text may go,
    ``baseline`` of its first line, ``share`` of the block's characters, ``lines`` the source
    lines' rectangles (the text to remove)."""

    page: int
    room: Rect
    baseline: float
    share: float
    lines: tuple[Rect, ...]
    line_count: int


@dataclass(frozen=True)
class Placement:
    """How one block is set: its boxes and the look of its text."""

    boxes: tuple[Box, ...]
    size: float
    leading: float  # baseline to baseline, as a multiple of the size
    bold: bool
    italic: bool
    serif: bool
    color: int
    align: Align
    indent: float  # the first line's indent, in points
    source_text: str  # the block's text as read (a block left as it is is not set again)
    marker: str = ""  # the list marker its text replaces along with the item's words
    styles: tuple[RunStyle, ...] = ()  # the looks of its spans with format key s1, s2…
    hidden: bool = False  # its text is an invisible layer over a picture (an OCR'd scan)
    area: str = "body"  # "header", "footer": a running header or footer (not in the body)
    repeated: bool = False  # each box shows the whole text (a running header on every page)


@dataclass(frozen=True)
class BlockFit:
    """Where one block's translation went: ``scale`` of its size, and whether it fitted."""

    block: int
    page: int
    scale: float
    fits: bool


@dataclass(frozen=True)
class PdfSkeleton:
    """The source PDF's bytes and one placement per block of its Document."""

    data: bytes
    blocks: list[Placement]
    page_count: int
    format: str = "pdf"
    tracked_changes: int = 0


def read(path: Path) -> tuple[Document, PdfSkeleton]:
    """The Document of the PDF at ``path`` and its skeleton (``ReadError`` says why not)."""
    data = Path(path).read_bytes()
    limits = Limits.from_env()
    with opened(data, limits) as pdf:
        layout = layout_of(pdf, limits)
        obstacles = [_drawn_obstacles(pdf[n]) for n in range(pdf.page_count)]
        page_count = pdf.page_count
    text_lines: dict[int, list[PdfLine]] = {}
    for line in [*layout.furniture, *(ln for lines in layout.lines for ln in lines)]:
        text_lines.setdefault(line.page, []).append(line)
    areas = {page.number: _text_area(page.lines) for page in layout.pages}
    heights = [p.height for p in layout.pages]
    placements: list[Placement] = []
    blocks: list[Block] = []
    for lines, block, marker in zip(
        layout.lines, layout.document.blocks, layout.markers, strict=True
    ):
        placement = _placement(lines, block.text, text_lines, obstacles, areas, heights)
        spans, styles = styled_spans(block.text, lines, _look(placement))
        placements.append(replace(placement, marker=marker, styles=styles))
        blocks.append(block.with_spans(spans))
    for text, lines in _furniture_groups(layout.furniture).items():
        placement = _placement(lines, text, text_lines, obstacles, areas, heights)
        area = "header" if lines[0].y1 < heights[lines[0].page] / 2 else "footer"
        placements.append(replace(placement, area=area, repeated=True))
        blocks.append(Block("paragraph", [Span(text)]))
    document = replace(layout.document, blocks=blocks)
    if any(p.hidden for p in placements):
        document.notes.append(
            "the PDF's text is an invisible layer over a picture (a scan with OCR): the "
            "translation is set on white boxes over the scanned words"
        )
    return document, PdfSkeleton(data, placements, page_count)


_NUMBERS_ONLY = re.compile(r"^[\s\d/.,:;()\[\]\-–—]*$")


def _furniture_groups(lines: list[PdfLine]) -> dict[str, list[PdfLine]]:
    """Running headers and footers by their text (a line repeated on every page is one block,
    set again on each page); bare page numbers stay as they are."""
    groups: dict[str, list[PdfLine]] = {}
    for line in lines:
        text = " ".join(line.text.split())
        if text and not _NUMBERS_ONLY.match(text):
            groups.setdefault(text, []).append(line)
    return groups


def _look(placement: Placement) -> RunStyle:
    return (placement.bold, placement.italic, placement.serif, placement.color, placement.size)


def styled_spans(
    text: str, lines: list[PdfLine], base: RunStyle
) -> tuple[list[Span], tuple[RunStyle, ...]]:
    """``text`` (a block as read) as spans: the words that look like the block itself plain,
    each other look (a red phrase, a bold word) a span with format key ``s1``, ``s2``… (they
    reach the engine as inline markers, as a DOCX run's formatting does); and those looks."""
    marks, looks = _char_looks(text, lines, base)
    spans: list[Span] = []
    for char, mark in zip(text, marks, strict=True):
        key = f"s{mark}" if mark else None
        if spans and spans[-1].format_key == key:
            spans[-1] = replace(spans[-1], text=spans[-1].text + char)
            continue
        look = looks[mark - 1] if mark else base
        spans.append(
            Span(char, bold=look[0] and bool(mark), italic=look[1] and bool(mark), format_key=key)
        )
    return spans or [Span(text)], tuple(looks)


def _char_looks(
    text: str, lines: list[PdfLine], base: RunStyle
) -> tuple[list[int], list[RunStyle]]:
    """Each character's look (0: the block's own, n: ``looks[n - 1]``), found by walking the
    source spans' characters alongside ``text``; a space takes the look of the words on both
    its sides, else the block's."""
    source = [(c, style) for ln in lines for piece, style in ln.runs for c in piece]
    looks: list[RunStyle] = []
    marks: list[int] = []
    at = 0
    for char in text:
        if char.isspace():
            marks.append(-1)
            continue
        while at < len(source) and source[at][0] != char:
            at += 1  # a character the reader dropped (a line-end hyphen, a list marker)
        style = source[at][1] if at < len(source) else base
        at += 1
        if not _same_look(style, base) and style not in looks:
            looks.append(style)
        marks.append(0 if _same_look(style, base) else looks.index(style) + 1)
    for i, mark in enumerate(marks):
        if mark == -1:
            before = next((m for m in reversed(marks[:i]) if m != -1), 0)
            after = next((m for m in marks[i + 1 :] if m != -1), 0)
            marks[i] = before if before == after else 0
    return marks, looks


def _same_look(a: RunStyle, b: RunStyle) -> bool:
    return a[:4] == b[:4] and abs(a[4] - b[4]) < 0.6


def _drawn_obstacles(page: pymupdf.Page) -> list[Rect]:
    """Pictures and thin rules (table borders, underlines of sections) on a page (none when
    MuPDF cannot list them: its text was read, so the page is usable)."""
    try:
        return _drawings(page)
    except Exception:  # a damaged drawing or picture: MuPDF draws what it can as well
        return []


def _drawings(page: pymupdf.Page) -> list[Rect]:
    out: list[Rect] = []
    for info in page.get_image_info():
        x0, y0, x1, y1 = info["bbox"]
        out.append((x0, y0, x1, y1))
    for drawing in page.get_drawings():
        r = drawing["rect"]
        if r.height <= 2.5 and r.width > 6:
            out.append((r.x0, r.y0, r.x1, r.y1))
    return out


def _text_area(lines: list[PdfLine]) -> tuple[float, float]:
    if not lines:
        return (0.0, 0.0)
    return (min(ln.x0 for ln in lines), max(ln.x1 for ln in lines))


def _placement(
    lines: list[PdfLine],
    text: str,
    text_lines: dict[int, list[PdfLine]],
    obstacles: list[list[Rect]],
    areas: dict[int, tuple[float, float]],
    heights: list[float],
) -> Placement:
    first = lines[0]
    size = statistics.median(ln.size for ln in lines)
    align = _alignment(lines, areas[first.page])
    total = sum(len(ln.text) for ln in lines) or 1
    boxes = []
    for own in _runs_of(lines):
        page = own[0].page
        mine = {id(ln) for ln in own}
        others = [ln for ln in text_lines.get(page, []) if id(ln) not in mine]
        room = _room(own, others, obstacles[page], areas[page], heights[page], size, align)
        boxes.append(
            Box(
                page=page,
                room=room,
                baseline=own[0].baseline,
                share=sum(len(ln.text) for ln in own) / total,
                lines=tuple((ln.x0, ln.y0, ln.x1, ln.y1) for ln in own),
                line_count=len(own),
            )
        )
    return Placement(
        boxes=tuple(boxes),
        size=size,
        leading=_leading(lines, size),
        bold=sum(ln.bold for ln in lines) * 2 > len(lines),
        italic=sum(ln.italic for ln in lines) * 2 > len(lines),
        serif=sum(ln.serif for ln in lines) * 2 >= len(lines),
        color=_main_color(lines),
        align=align,
        indent=_indent(lines) if align in ("left", "justify") else 0.0,
        source_text=text,
        hidden=sum(not ln.visible for ln in lines) * 2 > len(lines),
    )


def _main_color(lines: list[PdfLine]) -> int:
    """The colour most of the block's characters have."""
    weight: dict[int, int] = {}
    for line in lines:
        weight[line.color] = weight.get(line.color, 0) + len(line.text)
    return max(weight, key=lambda c: weight[c])


def _runs_of(lines: list[PdfLine]) -> list[list[PdfLine]]:
    """A block's lines cut where they go on to another page or back up (the next column)."""
    runs: list[list[PdfLine]] = []
    for line in lines:
        last = runs[-1][-1] if runs else None
        if last is None or line.page != last.page or line.y0 < last.y0 - 0.5:
            runs.append([line])
        else:
            runs[-1].append(line)
    return runs


def _leading(lines: list[PdfLine], size: float) -> float:
    """Baseline to baseline as a multiple of the size (1.25 for a single line)."""
    pitches = [
        (b.baseline - a.baseline) / size
        for a, b in zip(lines, lines[1:], strict=False)
        if a.page == b.page and 0 < b.baseline - a.baseline < 3 * size
    ]
    return max(1.0, min(statistics.median(pitches) if pitches else 1.25, 2.5))


def _indent(lines: list[PdfLine]) -> float:
    first = lines[0]
    rest = [ln.x0 for ln in lines[1:] if ln.page == first.page]
    return first.x0 - min(rest) if rest and first.x0 - min(rest) > 2.0 else 0.0


def _alignment(lines: list[PdfLine], area: tuple[float, float]) -> Align:
    left, right = area
    centre = (left + right) / 2
    if all(abs((ln.x0 + ln.x1) / 2 - centre) < 3.0 for ln in lines) and lines[0].x0 > left + 6:
        return "center"
    if all(abs(ln.x1 - right) < 2.0 for ln in lines) and lines[0].x0 > centre:
        return "right"
    full = [ln for ln in lines[:-1] if abs(ln.x1 - max(x.x1 for x in lines)) < 1.5]
    if len(lines) > 2 and len(full) == len(lines) - 1:
        return "justify"
    return "left"


def _room(
    own: list[PdfLine],
    others: list[PdfLine],
    obstacles: list[Rect],
    area: tuple[float, float],
    height: float,
    size: float,
    align: Align,
) -> Rect:
    """Where the block's text may go on one page: its lines' rectangle, as wide as its column
    (the page's text area when centred), and down to the next text, picture or rule below."""
    x0 = min(ln.x0 for ln in own)
    y0 = min(ln.y0 for ln in own)
    x1 = max(ln.x1 for ln in own)
    y1 = max(ln.y1 for ln in own)
    if align == "center":
        half = max((area[1] - area[0]) / 2, (x1 - x0) / 2)
        centre = (x0 + x1) / 2
        x0, x1 = centre - half, centre + half
    elif align != "right":
        same_column = [ln.x1 for ln in others if abs(ln.x0 - x0) < 3 * size]
        x1 = max([x1, *same_column])
    around = [*((o.x0, o.y0, o.x1, o.y1) for o in others), *obstacles]
    own_right = max(ln.x1 for ln in own)
    for ox0, oy0, _ox1, oy1 in around:  # something to the right, level with the lines
        if min(oy1, y1) - max(oy0, y0) > 0.25 * size and ox0 >= own_right - 0.5:
            x1 = min(x1, ox0 - 0.5 * size)
    x1 = max(x1, own_right)
    limit = height - max(size, 0.04 * height)
    last_middle = (own[-1].y0 + own[-1].y1) / 2
    for ox0, oy0, ox1, oy1 in around:
        if ox1 <= x0 or ox0 >= x1 or (oy0 + oy1) / 2 <= last_middle or oy1 <= y1:
            continue  # beside the block, or above its last line
        limit = min(limit, oy0 - 0.15 * size)
    return (x0, y0, x1, max(y1, limit))
