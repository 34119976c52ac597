"""Print-shop page boxes: TrimBox, BleedBox and ArtBox on a leaflet PDF with bleed.

Typst writes only the MediaBox (the trimmed sheet plus bleed plus the slug holding the crop
marks). A print shop's preflight reads the trim and the bleed from the page boxes, so they are
added here, after compiling: the trim is the paper size centred on the page, the bleed runs
``BLEED_MM`` beyond it, and the art box (what the designer means to be seen) is the trim.
"""

from __future__ import annotations

import io

from pipeline.leaflet.options import LeafletError

BLEED_MM = 3.0
"""How far backgrounds run past the trim on ``--bleed`` output (the templates read it too)."""

PT_PER_MM = 72 / 25.4


def set_print_boxes(pdf: bytes, paper_mm: tuple[float, float], bleed_mm: float = BLEED_MM) -> bytes:
    """``pdf`` with TrimBox, BleedBox and ArtBox on every page: the trim is ``paper_mm``
    (width, height) centred on the page, the bleed ``bleed_mm`` beyond it on every side."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import RectangleObject

    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter(clone_from=reader)
    trim_w, trim_h = (v * PT_PER_MM for v in paper_mm)
    bleed = bleed_mm * PT_PER_MM
    for page in writer.pages:
        box = page.mediabox
        x0, y0 = float(box.left), float(box.bottom)
        slug_x = (float(box.width) - trim_w) / 2
        slug_y = (float(box.height) - trim_h) / 2
        if slug_x < bleed - 0.01 or slug_y < bleed - 0.01:
            raise LeafletError(
                f"the page ({box.width:.0f} × {box.height:.0f} pt) has no room for a "
                f"{bleed_mm:g} mm bleed around {paper_mm[0]:g} × {paper_mm[1]:g} mm"
            )
        trim = (x0 + slug_x, y0 + slug_y, x0 + slug_x + trim_w, y0 + slug_y + trim_h)
        page.trimbox = RectangleObject(trim)
        page.artbox = RectangleObject(trim)
        page.bleedbox = RectangleObject(
            (trim[0] - bleed, trim[1] - bleed, trim[2] + bleed, trim[3] + bleed)
        )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
