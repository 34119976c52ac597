"""The PDF of a document translated in place, kept on its source's pages when a small font step
can do it, and the page counts for report.json.

LibreOffice lays out the source (an offline copy) and the translation; both PDFs' pages are
counted (pypdf). When the translation has more pages, its font sizes are scaled down by up to
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
from pipeline.export import libreoffice
from pipeline.export.atomic import write_bytes_atomic
from pipeline.inplace.fit import scale_fonts

if TYPE_CHECKING:
    from pipeline.inplace import Skeleton

FONT_STEPS = (0.97, 0.94, 0.91)
"""The font scales tried, in order, when a translation runs onto more pages than its source."""
SOURCE_PAGES_KEY = "/PipelineSourcePages"
FONT_SCALE_KEY = "/PipelineFontScale"

_source_pages_cache: dict[str, int] = {}


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


def source_pages(skeleton: Skeleton, folder: Path) -> int:
    """How many pages LibreOffice lays the source out on (its offline copy); once per file."""
    from pipeline import inplace
    from pipeline.inplace.pdf import PdfSkeleton

    if isinstance(skeleton, PdfSkeleton):  # a PDF in place keeps its pages by construction
        return skeleton.page_count

    if skeleton.sha256 not in _source_pages_cache:
        pdf = _layout(inplace.offline_source(skeleton), skeleton.format, folder, "source")
        _source_pages_cache[skeleton.sha256] = count_pages(pdf)
    return _source_pages_cache[skeleton.sha256]


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
        fit = PageFit(source_pages(skeleton, folder), count_pages(pdf))
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
