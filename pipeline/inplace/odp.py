"""What an Impress presentation (ODP) needs beyond the ODT code that reads and writes it.

``odt.py`` reads a presentation's frames, shapes, tables and speaker notes like an ODT's
paragraphs; here: the kind of a title or subtitle frame's paragraphs, and letting a
fixed-size slide frame shrink a longer translation.
"""

from __future__ import annotations

from lxml import etree

from pipeline.document import BlockKind

OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
PRESENTATION = "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"
SLIDE_CLASSES: dict[str, tuple[BlockKind, int]] = {
    "title": ("heading", 1),
    "subtitle": ("subtitle", 0),
}
"""A presentation frame's ``presentation:class`` → the kind of its paragraphs."""


def slide_kind(paragraph: etree._Element) -> tuple[BlockKind, int] | None:
    """The kind and level of a paragraph in a slide's title or subtitle frame, else None."""
    frame = next(paragraph.iterancestors(f"{{{DRAW}}}frame"), None)
    slide_class = frame.get(f"{{{PRESENTATION}}}class", "") if frame is not None else ""
    return SLIDE_CLASSES.get(slide_class)


def _on_a_slide(paragraph: etree._Element) -> bool:
    """A paragraph of a slide's frame or shape (not of its speaker notes or a table)."""
    outside = (f"{{{PRESENTATION}}}notes", f"{{{TABLE}}}table")
    return next(paragraph.iterancestors(*outside), None) is None


def shrink_on_overflow(root: etree._Element, paragraphs: list[etree._Element]) -> int:
    """Let the fixed-size slide frames whose text was translated shrink it on overflow.

    A frame that neither grows with its text nor shrinks it (``draw:auto-grow-height`` and
    ``style:shrink-to-fit`` false in its automatic style) would let a longer translation run
    out of it: its style gets ``style:shrink-to-fit``, which LibreOffice applies only when the
    text does not fit (Impress's "Autofit text"). Speaker notes and table cells are left as
    they are. Returns how many styles were changed."""
    automatic = root.find(f"{{{OFFICE}}}automatic-styles")
    if automatic is None:
        return 0
    styles = {st.get(f"{{{STYLE}}}name"): st for st in automatic.iter(f"{{{STYLE}}}style")}
    changed = 0
    for paragraph in paragraphs:
        if not _on_a_slide(paragraph):
            continue
        frame = next(paragraph.iterancestors(f"{{{DRAW}}}frame", f"{{{DRAW}}}custom-shape"), None)
        if frame is None:
            continue
        name = frame.get(f"{{{PRESENTATION}}}style-name") or frame.get(f"{{{DRAW}}}style-name")
        props = styles[name].find(f"{{{STYLE}}}graphic-properties") if name in styles else None
        if props is None or props.get(f"{{{DRAW}}}auto-grow-height") != "false":
            continue
        fits_already = props.get(f"{{{STYLE}}}shrink-to-fit") == "true"
        if not fits_already and props.get(f"{{{DRAW}}}fit-to-size") in (None, "false"):
            props.set(f"{{{STYLE}}}shrink-to-fit", "true")
            changed += 1
    return changed


__all__ = ["shrink_on_overflow", "slide_kind"]
