"""Leaflets: a translated Document laid out as an A5/A4 sheet or a bilingual edition (Typst).

``layout`` turns the Document into the data the templates in ``pipeline/templates`` read;
``typst`` picks the body size so the statement fits one sheet front and back and compiles it;
``write_leaflet`` ties the two together and writes the PDF atomically. ``config`` reads
``leaflet.yml``; ``relayout`` lays finished outputs out again. Importing this package is
cheap (no Typst, no pydantic), so the command line can build its choices from ``LAYOUTS``.
"""

from __future__ import annotations

from collections.abc import Mapping
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
from pipeline.leaflet.pdfboxes import set_print_boxes
from pipeline.leaflet.typst import (
    SPECS,
    describe_overflow,
    fit,
    impose_two_up,
    overflow_pages,
    render,
)
from pipeline.outnames import output_file

if TYPE_CHECKING:
    from pipeline.document import Document
    from pipeline.leaflet.config import LeafletConfig

__all__ = [
    "LAYOUTS",
    "LeafletError",
    "LeafletOptions",
    "LeafletOptionsError",
    "LeafletResult",
    "fit_summary",
    "leaflet_filename",
    "write_leaflet",
]


@dataclass(frozen=True)
class LeafletResult:
    """What was written: page count, the body size and columns chosen, and any overflow.

    ``overflow`` is None exactly when ``overflow_pages`` is 0 (the text fits one sheet);
    ``suggestion`` names a layout it does fit, when one does (``fits on A4 at 9.5 pt``)."""

    path: Path
    pages: int
    font_size: float
    columns: int
    overflow: str | None = None
    overflow_pages: float = 0.0
    suggestion: str | None = None
    photo: float | None = None  # the photo's height as a share of its largest; None: no photo
    notes: tuple[str, ...] = ()  # things the maker should know, e.g. where the headline came from

    @property
    def fits(self) -> bool:
        return self.overflow is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "pages": self.pages,
            "font_size": self.font_size,
            "columns": self.columns,
            "fits": self.fits,
            "overflow": self.overflow,
            "overflow_pages": round(self.overflow_pages, 2),
            "suggestion": self.suggestion,
            "notes": list(self.notes),
            "photo": self.photo,
        }

    def summary(self) -> str:
        """One short phrase for tables: ``2 p, 8.5 pt`` or ``3 p: overflows; fits on A4 …``."""
        return fit_summary(self.as_dict())


def fit_summary(entry: Mapping[str, Any]) -> str:
    """A leaflet entry of report.json (``LeafletResult.as_dict``) as one short phrase:
    ``2 p, 8.5 pt``, or ``3 p, 7.5 pt: overflows; fits on A4 at 9 pt (--layout leaflet-a4)``."""
    head = f"{entry.get('pages', '?')} p, {entry.get('font_size', 0):g} pt"
    if not entry.get("overflow"):
        return head
    suggestion = entry.get("suggestion")
    return f"{head}: overflows" + (f"; {suggestion}" if suggestion else "")


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
    return output_file(stem, langs, f"{layout}{suffix}.pdf")


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
        columns, nominal = _columns(spec, units)
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
    if options.bleed:
        pdf = set_print_boxes(pdf, spec.paper_mm)
    if options.two_up:
        pdf = impose_two_up(pdf, rendered.pages, data["title"], data["org"], lang)
    write_bytes_atomic(path, pdf)
    overflow = describe_overflow(rendered.content_pages, rendered.pages, rendered.font_size)
    suggestion = None
    if overflow is not None and options.layout == "leaflet-a5":
        suggestion = _fits_larger(doc, lang, config, options)
    notes: tuple[str, ...] = ()
    if data.get("headline_from") == "sentence":
        notes = (NO_TITLE,)
    return LeafletResult(
        path=path,
        pages=rendered.pages,
        font_size=rendered.font_size,
        columns=columns,
        overflow=overflow,
        overflow_pages=overflow_pages(rendered.content_pages, rendered.pages),
        suggestion=suggestion,
        notes=notes,
        photo=rendered.photo_scale,
    )


NO_TITLE = (
    "the document has no title or heading, so the headline is its first sentence; give the "
    "statement a short first line of its own (or Word's Title style) to choose it"
)


def _columns(spec: Any, units: int) -> tuple[int, float]:
    """(columns, nominal body size) for a body of ``units`` text units in ``spec``."""
    if units <= spec.one_column_max_units:
        return 1, spec.one_column
    return 2, spec.two_columns


def _fits_larger(
    doc: Document, lang: str, config: LeafletConfig, options: LeafletOptions
) -> str | None:
    """``fits on A4 at 9.5 pt (--layout leaflet-a4)`` when the A5 text fits an A4 sheet."""
    larger = LeafletOptions("leaflet-a4", bw=options.bw, bleed=options.bleed)
    data, units = leaflet_data(doc, lang, config, larger)
    spec = SPECS[larger.layout]
    columns, nominal = _columns(spec, units)
    data["columns"], data["size"] = columns, nominal
    photo = choose_photo(doc, lang, config)
    size, content, pages = fit(data, spec, config, columns=columns, nominal=nominal, photo=photo)
    if overflow_pages(content, pages):
        return None
    return f"fits on {spec.paper} at {size:g} pt (--layout {larger.layout})"
