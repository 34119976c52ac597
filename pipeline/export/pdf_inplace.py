"""The translated PDF in place: the source PDF with each block's text replaced in its box.

Pages, their size, pictures, drawings, colours and links stay as they are (a link keeps its
area on the page: the words it covered are translated with their paragraph). For every block
whose text changed, the original glyphs of its lines are removed by redaction (text only:
``PDF_REDACT_IMAGE_NONE`` and ``PDF_REDACT_LINE_ART_NONE`` keep pictures and drawings,
``fill=None`` paints nothing over the background), and the whole translated paragraph is set
in the block's room with ``pdf_fit`` (kinsoku line breaking for Japanese), at the block's size
and weight, a step smaller where it is longer (down to 70 %, then reported as not fitting).

Text is set in Debian's Noto fonts (serif or sans as the original, bold and italic; Noto CJK
for Japanese and for characters the Latin fonts lack), each embedded as a subset of the
characters used (fontTools), so a Japanese PDF stays small.
"""

from __future__ import annotations

import functools
import io
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.document import Block, Document
from pipeline.errors import PipelineError
from pipeline.export.atomic import write_bytes_atomic
from pipeline.export.fonts import INSTALL_HINT, font_file
from pipeline.ingest.pdf_pages import MUPDF_LOCK
from pipeline.inplace.pdf import BlockFit, Box, PdfSkeleton, Placement
from pipeline.inplace.pdf_fit import Fit, SetLine, Unit, fit, split_by_shares, units

if TYPE_CHECKING:
    import pymupdf


class PdfFontError(PipelineError):
    """A font the in-place PDF needs is not installed."""


class PdfWriteError(PipelineError):
    """MuPDF could not write the translated PDF; the message is one line."""


@dataclass(frozen=True)
class _Run:
    """Text to draw: at baseline ``x``, ``y`` of ``page`` in ``font`` at ``size``."""

    page: int
    font: str
    size: float
    color: int
    x: float
    y: float
    text: str


def write_pdf_in_place(
    skeleton: PdfSkeleton, translated: Document, lang: str, path: Path
) -> dict[str, object]:
    """Write the translated PDF at ``path``; returns its report.json entries
    (``layout_entries``)."""
    data, fits = render(skeleton, translated, lang)
    write_bytes_atomic(Path(path), data)
    return layout_entries(fits)


def layout_entries(fits: list[BlockFit]) -> dict[str, object]:
    """report.json's entries for a PDF in place: ``shrunk`` (how many blocks were set
    smaller to fit) and ``overflow`` (page, block and scale of each that did not fit within
    the smallest size allowed)."""
    return {
        "shrunk": sum(1 for f in fits if f.scale < 1.0),
        "overflow": [
            {"page": f.page, "block": f.block, "scale": f.scale} for f in fits if not f.fits
        ],
    }


def render(skeleton: PdfSkeleton, translated: Document, lang: str) -> tuple[bytes, list[BlockFit]]:
    """The translated PDF's bytes and, per block set again, how it fitted."""
    with MUPDF_LOCK:
        try:
            return _render(skeleton, translated, lang)
        except PipelineError:
            raise
        except Exception as exc:  # MuPDF failing on a damaged part of the source
            detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
            raise PdfWriteError(f"cannot write the PDF in place: {detail}") from exc


def _render(skeleton: PdfSkeleton, translated: Document, lang: str) -> tuple[bytes, list[BlockFit]]:
    import pymupdf

    runs: list[_Run] = []
    fits: list[BlockFit] = []
    removed: dict[int, list[tuple[tuple[float, float, float, float], bool]]] = defaultdict(list)
    for index, (block, placement) in enumerate(
        zip(translated.blocks, skeleton.blocks, strict=True)
    ):
        text, styles = _styled_text(block, len(placement.styles))
        if text == " ".join(placement.source_text.split()):
            continue  # unchanged (a name, a number, a block already in the language)
        if placement.marker:
            text, styles = f"{placement.marker} {text}", [0] * (len(placement.marker) + 1) + styles
        setting = _setting(placement, lang, text)
        parts = units(text, styles)
        pieces = (
            [parts] * len(placement.boxes)
            if placement.repeated
            else split_by_shares(parts, [box.share for box in placement.boxes])
        )
        for box, piece in zip(placement.boxes, pieces, strict=True):
            removed[box.page].extend((rect, placement.hidden) for rect in box.lines)
            if not piece:
                continue
            result = _set(box, placement, piece, setting)
            runs += _runs(box, placement, result, setting)
            fits.append(BlockFit(index, box.page + 1, result.scale, result.fits))
    doc = pymupdf.open(stream=skeleton.data, filetype="pdf")
    try:
        if doc.needs_pass:
            doc.authenticate("")
        for page_number, rects in removed.items():
            _remove_text(doc[page_number], rects)
        _draw(doc, runs)
        return doc.tobytes(garbage=3, deflate=True), fits
    finally:
        doc.close()


def _styled_text(block: Block, looks: int) -> tuple[str, list[int]]:
    """A translated block's text with runs of whitespace made one space, and each
    character's look: 0 the block's own, n the span with format key ``s<n>``."""
    chars: list[tuple[str, int]] = []
    for span in block.spans:
        if span.kind == "break":
            chars.append((" ", 0))
        if span.kind != "text":
            continue
        key = span.format_key or ""
        look = int(key[1:]) if key[:1] == "s" and key[1:].isdigit() else 0
        look = look if 0 < look <= looks else 0
        chars += [(c, look) for c in span.text]
    text, styles = "", list[int]()
    for char, look in chars:
        if char.isspace():
            if text and not text.endswith(" "):
                text, styles = text + " ", [*styles, look]
            continue
        text += char
        styles.append(look)
    if text.endswith(" "):
        text, styles = text[:-1], styles[:-1]
    return text, styles


@dataclass(frozen=True)
class _Setting:
    """The fonts, relative sizes and colours of a block's looks (0: its own)."""

    fonts: tuple[str, ...]
    ratios: tuple[float, ...]
    colors: tuple[int, ...]

    def measure(self, text: str, look: int) -> float:
        return _measure(self.fonts[look])(text) * self.ratios[look]


def _setting(placement: Placement, lang: str, text: str) -> _Setting:
    own = (placement.bold, placement.italic, placement.serif, placement.color, placement.size)
    looks = (own, *placement.styles)
    return _Setting(
        fonts=tuple(_font_name(look[2], look[0], look[1], lang, text) for look in looks),
        ratios=tuple(min(max(look[4] / placement.size, 0.5), 2.0) for look in looks),
        colors=tuple(look[3] for look in looks),
    )


def _remove_text(
    page: pymupdf.Page, rects: list[tuple[tuple[float, float, float, float], bool]]
) -> None:
    """Remove the glyphs of the lines at ``rects``; a line of an invisible text layer (an
    OCR'd scan) is covered with white instead, since its words are in the picture below."""
    import pymupdf

    links = page.get_links()  # redaction drops the links it touches: they are put back
    for (x0, y0, x1, y1), hidden in rects:
        if hidden:
            page.add_redact_annot(pymupdf.Rect(x0, y0, x1, y1), fill=(1, 1, 1))
            continue
        inset = (y1 - y0) * 0.2  # the middle of the line: never a glyph of the lines around
        page.add_redact_annot(pymupdf.Rect(x0, y0 + inset, x1, y1 - inset), fill=None)
    page.apply_redactions(
        images=pymupdf.PDF_REDACT_IMAGE_NONE,  # type: ignore[attr-defined]
        graphics=pymupdf.PDF_REDACT_LINE_ART_NONE,  # type: ignore[attr-defined]
        text=pymupdf.PDF_REDACT_TEXT_REMOVE,  # type: ignore[attr-defined]
    )
    kept = {(tuple(link["from"]), link.get("uri"), link.get("page")) for link in page.get_links()}
    for link in links:
        if (tuple(link["from"]), link.get("uri"), link.get("page")) not in kept:
            link.pop("xref", None)
            page.insert_link(link)


def _set(box: Box, placement: Placement, parts: list[Unit], setting: _Setting) -> Fit:
    x0, y0, x1, y1 = box.room
    size = placement.size
    step = placement.leading * size
    # below the baseline as the source's own first line reaches (Noto's is alike)
    descent = min(max((box.lines[0][3] - box.baseline) / size, 0.15), 0.3)

    def lines_room(scale: float) -> int:
        # the first line stays on its baseline; smaller type leaves more room below it
        free = y1 - descent * size * scale - box.baseline
        return 0 if free < -0.5 else 1 + int((free + 0.5) // (step * scale))

    indent = placement.indent if box.share and box is placement.boxes[0] else 0.0
    return fit(parts, x1 - x0, lines_room, setting.measure, size, indent)


def _runs(box: Box, placement: Placement, result: Fit, setting: _Setting) -> list[_Run]:
    x0, _, x1, _ = box.room
    size = placement.size * result.scale
    y = box.baseline
    out: list[_Run] = []
    for n, line in enumerate(result.lines):
        indent = placement.indent if n == 0 and box is placement.boxes[0] else 0.0
        out += _line_runs(line, box.page, (x0 + indent, x1), y, size, placement.align, setting)
        y += placement.leading * size
    return out


def _line_runs(
    line: SetLine,
    page: int,
    span: tuple[float, float],
    y: float,
    size: float,
    align: str,
    setting: _Setting,
) -> list[_Run]:
    """One line's runs between ``span`` (left, right), aligned; a run per look, or per unit
    on a justified line."""
    space = setting.measure(" ", 0) * size
    widths = [setting.measure(u.text, u.style) * size for u in line.units]
    gaps = sum(1 for u in line.units[1:] if u.space)
    room = span[1] - span[0]
    spare = room - sum(widths) - gaps * space
    x = span[0] + {"center": spare / 2, "right": spare}.get(align, 0.0)
    stretch = _stretch(line, spare, space, size)
    if align != "justify" or line.last or stretch is None:
        stretch = 0.0
    out: list[_Run] = []
    for i, (unit, advance) in enumerate(zip(line.units, widths, strict=True)):
        if i and (unit.space or not gaps):
            x += (space if unit.space else 0.0) + stretch
        look = unit.style
        run = _Run(
            page,
            setting.fonts[look],
            size * setting.ratios[look],
            setting.colors[look],
            x,
            y,
            unit.text,
        )
        if out and stretch == 0.0 and _same_run(out[-1], run):
            joined = out[-1].text + (" " if unit.space else "") + unit.text
            out[-1] = replace(out[-1], text=joined)
        else:
            out.append(run)
        x += advance
    return out


def _same_run(a: _Run, b: _Run) -> bool:
    return (a.page, a.font, a.size, a.color, a.y) == (b.page, b.font, b.size, b.color, b.y)


def _stretch(line: SetLine, spare: float, space: float, size: float) -> float | None:
    """What a justified line adds at each break between its units: at its spaces (Latin
    text), else between every two units (Japanese, which has no spaces); None when the line
    would look torn apart."""
    spaced = sum(1 for u in line.units[1:] if u.space)
    if spaced:
        stretch = spare / spaced
        return stretch if 0 < stretch < 3 * space else None
    if len(line.units) < 2:
        return None
    stretch = spare / (len(line.units) - 1)
    return stretch if 0 < stretch < 0.5 * size else None


_LATIN = {
    (True, False, False): "NotoSerif-Regular.ttf",
    (True, True, False): "NotoSerif-Bold.ttf",
    (True, False, True): "NotoSerif-Italic.ttf",
    (True, True, True): "NotoSerif-BoldItalic.ttf",
    (False, False, False): "NotoSans-Regular.ttf",
    (False, True, False): "NotoSans-Bold.ttf",
    (False, False, True): "NotoSans-Italic.ttf",
    (False, True, True): "NotoSans-BoldItalic.ttf",
}
_CJK = {
    (True, False): "NotoSerifCJK-Regular.ttc",
    (True, True): "NotoSerifCJK-Bold.ttc",
    (False, False): "NotoSansCJK-Regular.ttc",
    (False, True): "NotoSansCJK-Bold.ttc",
}


def _font_name(serif: bool, bold: bool, italic: bool, lang: str, text: str) -> str:
    """The Noto font file for a look: CJK for Japanese and for text the Latin font cannot
    show."""
    cjk = _CJK[(serif, bold)]
    if lang == "ja":
        return cjk
    latin = _LATIN[(serif, bold, italic)]
    font = _font(latin)
    if all(font.has_glyph(ord(c)) for c in set(text) if not c.isspace()):
        return latin
    return cjk


@functools.cache
def _font(name: str) -> pymupdf.Font:
    import pymupdf

    path = font_file(name)
    if path is None:
        raise PdfFontError(f"the font {name} is not installed ({INSTALL_HINT})")
    return pymupdf.Font(fontfile=str(path))


@functools.cache
def _measure(name: str) -> functools._lru_cache_wrapper[float]:
    font = _font(name)

    @functools.lru_cache(maxsize=65536)
    def measure(text: str) -> float:
        return float(font.text_length(text, fontsize=1.0))

    return measure


_LATIN_SET = frozenset(
    chr(c)
    for r in ((0x20, 0x7F), (0xA0, 0x250), (0x2010, 0x2050), (0x20AC, 0x20AD))
    for c in range(*r)
)
"""The characters every Latin subset holds, so one subset serves document after document."""


def _subset(name: str, chars: set[str]) -> pymupdf.Font:
    """``name`` cut down to ``chars`` (what one PDF uses), as a font to embed. A Latin
    font's subset also holds ``_LATIN_SET`` and is made once per process."""
    if name.endswith(".ttc"):
        return _subset_font(name, frozenset(chars))
    return _subset_font(name, _LATIN_SET | frozenset(chars))


@functools.lru_cache(maxsize=16)
def _subset_font(name: str, chars: frozenset[str]) -> pymupdf.Font:
    import pymupdf
    from fontTools import subset
    from fontTools.ttLib import TTFont

    path = font_file(name)
    assert path is not None  # measured with it already
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    font = TTFont(str(path), fontNumber=0, lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(chars)) + " ")
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return pymupdf.Font(fontbuffer=out.getvalue())


def _draw(doc: pymupdf.Document, runs: list[_Run]) -> None:
    import pymupdf

    used: dict[str, set[str]] = defaultdict(set)
    for run in runs:
        used[run.font].update(run.text)
    fonts = {name: _subset(name, chars) for name, chars in used.items()}
    by_page: dict[tuple[int, int], list[_Run]] = defaultdict(list)
    for run in runs:
        by_page[(run.page, run.color)].append(run)
    for (page_number, color), page_runs in sorted(by_page.items()):
        page = doc[page_number]
        writer = pymupdf.TextWriter(page.rect)
        for run in page_runs:
            writer.append((run.x, run.y), run.text, font=fonts[run.font], fontsize=run.size)
        writer.write_text(page, color=_rgb(color))


def _rgb(color: int) -> tuple[float, float, float]:
    return ((color >> 16 & 255) / 255, (color >> 8 & 255) / 255, (color & 255) / 255)
