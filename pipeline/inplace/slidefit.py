"""Fitting a translated slide text frame into its shape.

A translation is often longer than its source (Spanish ~20 % longer than English). The text
of a frame is measured with an estimate (character widths in ems by script, lines wrapped at
the frame's width, 1.2 line height) once as the source was and once translated; when the
translation needs more height than the shape has (or than the source already took, when the
source itself ran over), the frame is fitted by what it says it does:

- ``a:normAutofit`` (shrink text on overflow): the frame keeps it and its ``fontScale`` is set
  to the scale the estimate needs, so PowerPoint shows it shrunk; LibreOffice shrinks such a
  frame itself when it lays it out.
- ``a:spAutoFit`` (resize shape to fit text): the shape grows; nothing to do.
- otherwise the font is stepped down: every size in the frame (runs, line breaks, the
  paragraph end) is scaled, down to ``MIN_SCALE``; a frame that needs more is shrunk that far
  and counted as still overflowing.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from lxml import etree

A = "http://schemas.openxmlformats.org/drawingml/2006/main"
EMU_PER_PT = 12700
MIN_SCALE = 0.6
STEP = 0.05
LINE_HEIGHT = 1.2
WRAP_SLACK = 1.08
"""Word wrapping leaves the end of most lines empty: a line holds ~1/1.08 of its width."""
DEFAULT_INSETS = {"lIns": 91440, "rIns": 91440, "tIns": 45720, "bIns": 45720}
INSCRIBED = {"ellipse": 0.7071, "diamond": 0.5, "triangle": 0.5, "octagon": 0.85}
"""Preset shapes whose text area is smaller than the shape (a share of each side)."""
DEFAULT_SIZE = 18.0


@dataclass(frozen=True)
class Inherited:
    """What a frame takes from its layout, master and presentation when it does not say:
    its autofit (``normAutofit``, ``spAutoFit``, ``noAutofit`` or "") and its font size in
    points per paragraph level (level 0 first)."""

    autofit: str = ""
    sizes: tuple[float, ...] = ()

    def size(self, level: int) -> float:
        if not self.sizes:
            return DEFAULT_SIZE
        return self.sizes[min(level, len(self.sizes) - 1)]


Outcome = Literal["unchanged", "fits", "autofit", "grows", "shrunk", "overflow"]


def a(tag: str) -> str:
    return f"{{{A}}}{tag}"


@dataclass
class FitReport:
    """What fitting did to the changed text frames of one presentation."""

    frames: int = 0
    shrunk: int = 0
    autofit: int = 0
    overflowing: int = 0

    def add(self, outcome: Outcome) -> None:
        self.frames += 1
        if outcome == "shrunk":
            self.shrunk += 1
        elif outcome == "autofit":
            self.autofit += 1
        elif outcome == "overflow":
            self.shrunk += 1
            self.overflowing += 1


MEASURING_FONTS = (
    Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)
"""The fonts text is measured with: Noto Sans is what LibreOffice shows for Calibri or Arial
when they are not installed (and is wider than both: an estimate on the safe side)."""


@functools.cache
def _font(index: int) -> Any:
    from PIL import ImageFont

    path = MEASURING_FONTS[index]
    return ImageFont.truetype(str(path), 1000) if path.is_file() else None


def text_em(text: str) -> float:
    """The advance of ``text`` in ems: measured with the installed Noto Sans (CJK for wide
    characters) when it is there, else estimated per character (``char_em``)."""
    wide = any(unicodedata.east_asian_width(c) in ("W", "F") for c in text)
    font = _font(1 if wide else 0)
    if font is None:
        return sum(char_em(c) for c in text)
    return float(font.getlength(text)) / 1000


def char_em(char: str) -> float:
    """A character's estimated advance in ems (average proportional Latin fonts; CJK: 1)."""
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1.0
    if char == " ":
        return 0.25
    if char.isupper():
        return 0.64
    if char.isdigit():
        return 0.55
    if char in "iljtf.,;:'!|()[]":
        return 0.3
    if char in "mwMW":
        return 0.82
    return 0.5


def _size(paragraph: etree._Element, inherited: Inherited) -> float:
    """The paragraph's font size in points: its first explicit size, else the inherited one
    for its level."""
    for rpr in paragraph.iter(a("rPr"), a("endParaRPr")):
        size = rpr.get("sz")
        if size and size.isdigit():
            return int(size) / 100
    ppr = paragraph.find(a("pPr"))
    level = ppr.get("lvl", "0") if ppr is not None else "0"
    return inherited.size(int(level) if level.isdigit() else 0)


def _lines_of(paragraph: etree._Element) -> list[str]:
    lines = [""]
    for child in paragraph:
        if child.tag == a("br"):
            lines.append("")
        elif child.tag in (a("r"), a("fld")):
            lines[-1] += "".join(t.text or "" for t in child.iter(a("t")))
    return lines


def wrapped_lines(line: str, size: float, width_pt: float) -> float:
    """How many lines ``line`` takes at ``size`` points in ``width_pt``, wrapped at spaces
    (Latin) or anywhere (CJK); a word wider than the line counts double, so a frame is
    shrunk until no word is cut in two."""
    if not line.strip():
        return 1.0
    if any(unicodedata.east_asian_width(c) in ("W", "F") for c in line):
        advance = text_em(line) * size
        return float(max(1, math.ceil(advance * WRAP_SLACK / width_pt)))
    lines, used = 1.0, 0.0
    space = text_em(" ") * size
    for word in line.split():
        advance = text_em(word) * size
        if advance > width_pt:
            lines += 2 * math.ceil(advance / width_pt)
            used = 0.0
            continue
        if used and used + space + advance > width_pt:
            lines += 1
            used = advance
        else:
            used += (space if used else 0.0) + advance
    return lines


def extent(
    body: etree._Element, width_pt: float, inherited: Inherited, scale: float = 1.0
) -> float:
    """The estimated height in points of the text of ``body`` at ``scale`` times its sizes."""
    height = 0.0
    for paragraph in body.iter(a("p")):
        size = _size(paragraph, inherited) * scale
        for line in _lines_of(paragraph):
            height += wrapped_lines(line, size, width_pt) * size * LINE_HEIGHT
    return height


def _box(body: etree._Element, width: int, height: int) -> tuple[float, float]:
    """The text area of a frame in points (the shape less its insets; an ellipse's inscribed
    rectangle)."""
    props = body.find(a("bodyPr"))
    shape = body.getparent()
    geometry = shape.find(f".//{a('prstGeom')}") if shape is not None else None
    if geometry is not None and geometry.get("prst") in INSCRIBED:
        factor = INSCRIBED[geometry.get("prst", "")]
        width, height = int(width * factor), int(height * factor)
    insets = dict(DEFAULT_INSETS)
    if props is not None:
        for name in insets:
            value = props.get(name)
            if value and value.lstrip("-").isdigit():
                insets[name] = int(value)
    return (
        (width - insets["lIns"] - insets["rIns"]) / EMU_PER_PT,
        (height - insets["tIns"] - insets["bIns"]) / EMU_PER_PT,
    )


def _autofit(body: etree._Element) -> str:
    props = body.find(a("bodyPr"))
    if props is None:
        return ""
    for kind in ("normAutofit", "spAutoFit", "noAutofit"):
        if props.find(a(kind)) is not None:
            return kind
    return ""


def source_extent(body: etree._Element, width: int, height: int, inherited: Inherited) -> float:
    """The frame's estimated text height before translation (at its own autofit scale)."""
    width_pt, _ = _box(body, width, height)
    if width_pt <= 0:
        return 0.0
    return extent(body, width_pt, inherited, _font_scale(body))


def _font_scale(body: etree._Element) -> float:
    props = body.find(a("bodyPr"))
    auto = props.find(a("normAutofit")) if props is not None else None
    value = auto.get("fontScale") if auto is not None else None
    return int(value) / 100000 if value and value.isdigit() else 1.0


def _own_autofit(body: etree._Element) -> etree._Element:
    """The frame's ``a:normAutofit``, added when it had the layout's only."""
    props = body.find(a("bodyPr"))
    if props is None:
        props = etree.Element(a("bodyPr"))
        body.insert(0, props)
    auto = props.find(a("normAutofit"))
    if auto is None:
        auto = etree.SubElement(props, a("normAutofit"))
    return auto


def _step_down(body: etree._Element, inherited: Inherited, scale: float) -> None:
    """Scale every font size of the frame; a paragraph's runs without one get the size the
    paragraph had, scaled."""
    for paragraph in body.iter(a("p")):
        size = _size(paragraph, inherited)
        for rpr in paragraph.iter(a("rPr"), a("endParaRPr")):
            own = rpr.get("sz")
            points = int(own) / 100 if own and own.isdigit() else size
            rpr.set("sz", str(max(100, round(points * scale) * 100)))
        for child in paragraph:
            if child.tag == a("r") and child.find(a("rPr")) is None:
                rpr = etree.Element(a("rPr"))
                rpr.set("sz", str(max(100, round(size * scale) * 100)))
                child.insert(0, rpr)


def fit_frame(
    body: etree._Element,
    width: int,
    height: int,
    before: float,
    inherited: Inherited = Inherited(),
) -> Outcome:
    """Fit the translated text of ``body`` (a shape ``width`` × ``height`` EMU) whose source
    took ``before`` points of height; the frame is changed in place."""
    width_pt, height_pt = _box(body, width, height)
    if width_pt <= 0 or height_pt <= 0:
        return "unchanged"
    limit = max(height_pt, before)
    kind = _autofit(body) or inherited.autofit
    scale = _font_scale(body) if kind == "normAutofit" else 1.0
    if extent(body, width_pt, inherited, scale) <= limit:
        return "fits"
    if kind == "spAutoFit":
        return "grows"
    needed = scale
    while needed - STEP >= MIN_SCALE - 1e-9 and extent(body, width_pt, inherited, needed) > limit:
        needed -= STEP
    needed = round(needed, 2)
    fits = extent(body, width_pt, inherited, needed) <= limit
    if kind == "normAutofit":
        auto = _own_autofit(body)
        auto.set("fontScale", str(round(needed * 100000)))
        if needed < 0.9:
            auto.set("lnSpcReduction", "10000")
        return "autofit" if fits else "overflow"
    _step_down(body, inherited, needed)
    return "shrunk" if fits else "overflow"
