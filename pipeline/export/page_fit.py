"""The PDF of a document translated in place, kept on its source's pages when a small font step
can do it, and the page counts for report.json.

LibreOffice lays out the translation and its PDF's pages are counted (pypdf). The source's
count is the one its own statistics state when they can be believed (the skeleton's
``stated_pages``, see ``inplace.stated_pages``: saved by Word or LibreOffice, for this text)
and the translation is not laid out on more pages than that; otherwise LibreOffice lays out
the source (an offline copy) once, and the count is remembered for that file
(``layout_cache``), so a later run does not lay it out again. A translation longer than the
stated count is checked against the source's own layout, so a figure from another layout (Word's
fonts) never shrinks a translation LibreOffice lays out on as many pages as the source. When
the translation has more pages, its font sizes are scaled down by up to
``FONT_STEPS`` (3 %, 6 %, 9 %) and laid out again; the first step that keeps it on the source's
pages is used for the PDF and for the translated DOCX/ODT beside it. The counts and the scale
are stamped into the PDF's document information, where ``pages_entry`` reads them back (for
report.json and the summary), so the writer needs no channel back to the run.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.document import Document
from pipeline.export import layout_cache, libreoffice
from pipeline.export.atomic import write_bytes_atomic
from pipeline.inplace.fit import scale_fonts

if TYPE_CHECKING:
    from pipeline.inplace import Skeleton

FONT_STEPS = (0.97, 0.94, 0.91)
"""The font scales tried, in order, when a translation runs onto more pages than its source."""
SOURCE_PAGES_KEY = "/PipelineSourcePages"
FONT_SCALE_KEY = "/PipelineFontScale"


@dataclass(frozen=True)
class PageFit:
    """Pages of the source and of the translation as written, and the font scale used."""

    source: int
    translated: int
    font_scale: float = 1.0

    @property
    def note(self) -> str | None:
        """A one-line note when the layout changed or the translation grew; else None."""
        smaller = round((1 - self.font_scale) * 100)
        if self.translated > self.source:
            return (
                f"grew from {self.source} to {self.translated} pages (fonts up to "
                f"{round((1 - FONT_STEPS[-1]) * 100)} % smaller did not keep it on "
                f"{self.source}); shorten it or adjust the layout"
            )
        if smaller:
            return f"kept on {self.source} page{'s' if self.source != 1 else ''} with fonts {smaller} % smaller"
        return None

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "translated": self.translated,
            "font_scale": self.font_scale,
            "note": self.note,
        }


def count_pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def _layout(package: bytes, suffix: str, folder: Path, name: str) -> bytes:
    """The PDF LibreOffice makes of ``package``."""
    copy, pdf = folder / f"{name}.{suffix}", folder / f"{name}.pdf"
    copy.write_bytes(package)
    libreoffice.convert(copy, "pdf", pdf)
    return pdf.read_bytes()


def laid_out_pages(skeleton: Skeleton, sha256: str, folder: Path) -> int:
    """How many pages LibreOffice lays the source (``sha256``) out on, its offline copy;
    remembered per file and LibreOffice (``layout_cache``), so laid out once."""
    from pipeline import inplace

    binary = libreoffice.soffice_binary()
    layout = layout_cache.layout_key(binary) if binary else ""
    pages = layout_cache.remembered_pages(sha256, layout) if layout else None
    if pages is None:
        pages = count_pages(
            _layout(inplace.offline_source(skeleton), skeleton.format, folder, "source")
        )
        if layout:
            layout_cache.remember_pages(sha256, layout, pages)
    return pages


def source_pages(skeleton: Skeleton, folder: Path, translated: int | None = None) -> int:
    """The source's page count: a PDF's own; the count the file states when it can be believed
    and the translation (``translated`` pages) is no longer; else LibreOffice's layout of it."""
    from pipeline.inplace.docx import DocxSkeleton
    from pipeline.inplace.odt import OdtSkeleton
    from pipeline.inplace.pdf import PdfSkeleton

    if isinstance(skeleton, PdfSkeleton):  # a PDF in place keeps its pages by construction
        return skeleton.page_count
    stated = skeleton.stated_pages if isinstance(skeleton, DocxSkeleton | OdtSkeleton) else None
    if stated is not None and translated is not None and translated <= stated:
        return stated
    return laid_out_pages(skeleton, skeleton.sha256, folder)


def _stamp(pdf: bytes, fit: PageFit) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_metadata({SOURCE_PAGES_KEY: str(fit.source), FONT_SCALE_KEY: f"{fit.font_scale:g}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write_fitted_pdf(
    skeleton: Skeleton, doc: Document, lang: str, path: Path, document: Path | None
) -> PageFit:
    """Write the in-place translation's PDF at ``path``, on the source's pages when a font
    step keeps it there; then also the scaled DOCX/ODT at ``document`` (when given)."""
    from pipeline import inplace

    suffix = skeleton.format
    with tempfile.TemporaryDirectory(prefix="pipeline-fit-") as work:
        folder = Path(work)
        package = inplace.render(skeleton, doc, lang, offline=True)
        pdf = _layout(package, suffix, folder, "translated")
        translated = count_pages(pdf)
        fit = PageFit(source_pages(skeleton, folder, translated), translated)
        if fit.translated > fit.source:
            for step in FONT_STEPS:
                smaller = _layout(scale_fonts(package, suffix, step), suffix, folder, f"s{step}")
                pages = count_pages(smaller)
                if pages <= fit.source:
                    pdf, fit = smaller, PageFit(fit.source, pages, step)
                    break
        write_bytes_atomic(path, _stamp(pdf, fit))
    if fit.font_scale != 1.0 and document is not None:
        scaled = scale_fonts(inplace.render(skeleton, doc, lang), suffix, fit.font_scale)
        write_bytes_atomic(document, scaled)
    return fit


def pages_entry(pdf: Path | str | None) -> dict[str, Any] | None:
    """report.json's ``pages`` of a PDF written by ``write_fitted_pdf``; None for any other."""
    if not pdf:
        return None
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(str(pdf))
        info: Any = reader.metadata or {}
        source = info.get(SOURCE_PAGES_KEY)
        if source is None:
            return None
        fit = PageFit(int(str(source)), len(reader.pages), float(str(info.get(FONT_SCALE_KEY, 1))))
    except (OSError, ValueError, TypeError, PyPdfError):  # not ours to report
        return None
    return fit.as_json()
