"""Leaflets: a translated Document laid out as an A5/A4 sheet or a bilingual edition (Typst).

``layout`` turns the Document into the data the templates in ``pipeline/templates`` read;
``typst`` picks the body size so the statement fits one sheet front and back and compiles it;
``write_leaflet`` ties the two together and writes the PDF atomically. ``config`` reads
``leaflet.yml``; ``relayout`` lays finished outputs out again. Importing this package is
cheap (no Typst, no pydantic), so the command line can build its choices from ``LAYOUTS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.export.atomic import write_bytes_atomic
from pipeline.leaflet.layout import bilingual_data, choose_photo, leaflet_data
from pipeline.leaflet.options import (
    LAYOUTS,
    LeafletError,
    LeafletOptions,
    LeafletOptionsError,
    check_layout,
)
from pipeline.leaflet.typst import SHEET_PAGES, SPECS, describe_overflow, impose_two_up, render

if TYPE_CHECKING:
    from pipeline.document import Document
    from pipeline.leaflet.config import LeafletConfig

__all__ = [
    "LAYOUTS",
    "LeafletError",
    "LeafletOptions",
    "LeafletOptionsError",
    "LeafletResult",
    "leaflet_filename",
    "write_leaflet",
]


@dataclass(frozen=True)
class LeafletResult:
    """What was written: page count, the body size and columns chosen, and any overflow."""

    path: Path
    pages: int
    font_size: float
    columns: int
    overflow: str | None = None
    overflow_pages: float = 0.0
    photo: float | None = None  # the photo's height as a share of its largest; None: no photo

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "pages": self.pages,
            "font_size": self.font_size,
            "columns": self.columns,
            "overflow": self.overflow,
            "overflow_pages": round(self.overflow_pages, 2),
            "photo": self.photo,
        }


def leaflet_filename(
    stem: str,
    lang: str,
    layout: str,
    *,
    src: str | None = None,
    bw: bool = False,
    bleed: bool = False,
    two_up: bool = False,
) -> str:
    """``<stem>.<lang>.leaflet-a5.pdf`` or ``<stem>.<src>-<lang>.bilingual.pdf``; print variants
    add ``.bw``, ``.bleed``, ``.2up`` so they never overwrite the screen version."""
    check_layout(layout)
    langs = f"{src}-{lang}" if layout == "bilingual" else lang
    suffix = "".join(s for s, on in ((".bw", bw), (".bleed", bleed), (".2up", two_up)) if on)
    return f"{stem}.{langs}.{layout}{suffix}.pdf"


def write_leaflet(
    doc: Document,
    path: Path,
    layout: str,
    config: LeafletConfig,
    *,
    lang: str,
    original: Document | None = None,
    bleed: bool = False,
    bw: bool = False,
    two_up: bool = False,
) -> LeafletResult:
    """Lay ``doc`` (in ``lang``) out as ``layout`` and write the PDF to ``path`` atomically.

    ``bilingual`` needs ``original`` (the source document; paragraph i is set next to
    paragraph i). The body size shrinks within sane bounds until the text fits one sheet
    front and back; when it still does not, the result says by how much it overflows.
    ``two_up`` imposes an A5 leaflet twice on each A4 landscape page (not with ``bleed``);
    ``LeafletOptions`` raises ``LeafletOptionsError`` for choices that do not go together.
    """
    options = LeafletOptions(layout, bw=bw, bleed=bleed, two_up=two_up)
    if options.layout == "bilingual":
        if original is None:
            raise LeafletError("the bilingual layout needs the original document")
        data = bilingual_data(doc, original, lang, config, options)
        spec = SPECS[f"bilingual-{config.paper}"]
        columns, nominal, pitch = 2, spec.one_column, None
        photo = None
    else:
        data, units = leaflet_data(doc, lang, config, options)
        spec = SPECS[options.layout]
        if units <= spec.one_column_max_units:
            columns, nominal = 1, spec.one_column
        else:
            columns, nominal = 2, spec.two_columns
        pitch = 1.7 if lang == "ja" else 1.32
        photo = choose_photo(doc, lang, config)
    data["columns"] = columns
    data["size"] = nominal
    rendered = render(
        data,
        spec,
        config,
        columns=columns,
        nominal=nominal,
        bw=options.bw,
        balance_pitch=pitch,
        photo=photo,
    )
    pdf = rendered.pdf
    if options.two_up:
        pdf = impose_two_up(pdf, rendered.pages, data["title"], data["org"])
    write_bytes_atomic(path, pdf)
    return LeafletResult(
        path=path,
        pages=rendered.pages,
        font_size=rendered.font_size,
        columns=columns,
        overflow=describe_overflow(rendered.content_pages, rendered.pages, rendered.font_size),
        overflow_pages=max(0.0, rendered.content_pages - SHEET_PAGES),
        photo=rendered.photo_scale,
    )
