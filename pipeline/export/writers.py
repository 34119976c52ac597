"""The document writers by format: ``pipeline translate --format`` picks from this table.

Each writer takes the translated Document, the output path, the document's language and a
title (the source file's name, for the DOCX's properties). Writers raise ``PipelineError``
subclasses or ``OSError``; the caller records either as the target's failure. Adding a format
is one function and one table entry here.

A DOCX or ODT read in place (``pipeline.inplace``) has its own writers, chosen per input by
``outputs_for``: its document is the original package with the text replaced (an ODT also gets
LibreOffice's DOCX of it), its PDF that file as LibreOffice lays it out, kept on the source's pages by a
small font step when it can be (``page_fit``; or, with ``--pdf-engine typst``, the re-rendered
body). LibreOffice always converts an offline copy, in
which nothing the file links to outside itself can be fetched. A PDF read in place gets the
source PDF with its text replaced (``pdf_inplace``), and a DOCX rendered from its blocks. A
slide deck (PPTX, ODP) gets itself translated and its PDF as LibreOffice Impress lays it out
(its text frames fitted by ``inplace.presentation``, not by a font step over pages); a subtitle
file (SRT, VTT) gets the subtitle file alone, whichever formats are asked for (a subtitle has
no page to print).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.document import Document

if TYPE_CHECKING:
    from pipeline.inplace import InplaceSource

Writer = Callable[[Document, Path, str, str], object]
"""``writer(doc, path, lang, title)``: write ``doc`` at ``path``, atomically; what it returns
(a PDF in place: its ``layout`` entries, see ``pdf_inplace.layout_entries``) goes to the
target's report, None for nothing."""

PDF_ENGINES = ("auto", "libreoffice", "typst")
"""``--pdf-engine``: auto is LibreOffice for in-place documents (when installed), else Typst."""


def _docx(doc: Document, path: Path, lang: str, title: str) -> None:
    from pipeline.export.docx import write_docx  # python-docx and pandoc load only when needed

    write_docx(doc, path, lang, subject=title)


def _pdf(doc: Document, path: Path, lang: str, title: str) -> None:
    from pipeline.export.pdf import write_pdf

    write_pdf(doc, path, lang)


def _pdf_through_libreoffice(doc: Document, path: Path, lang: str, title: str) -> None:
    """The rendered DOCX, laid out by LibreOffice (``--pdf-engine libreoffice`` on text inputs)."""
    from pipeline.export.libreoffice import write_pdf

    with tempfile.TemporaryDirectory(prefix="pipeline-docx-") as folder:
        docx = Path(folder) / f"{path.stem}.docx"
        _docx(doc, docx, lang, title)
        write_pdf(docx, path)


_pdf_through_libreoffice.through_libreoffice = True  # type: ignore[attr-defined]

WRITERS: dict[str, Writer] = {"docx": _docx, "pdf": _pdf}
FORMATS: tuple[str, ...] = tuple(WRITERS)
"""Every format ``--format`` accepts, in the order outputs are written by default."""


@dataclass(frozen=True)
class Output:
    """One file to write for a target: its extension (also its report.json ``outputs`` key),
    its writer, and its route (``in-place`` or ``rendered``)."""

    key: str
    write: Writer
    route: str


def _pdf_inplace_writers(source: InplaceSource) -> dict[str, list[Output]]:
    from pipeline import inplace
    from pipeline.export.pdf_inplace import write_pdf_in_place
    from pipeline.inplace.pdf import PdfSkeleton

    skeleton = source.skeleton
    assert isinstance(skeleton, PdfSkeleton)

    def pdf(doc: Document, path: Path, lang: str, title: str) -> dict[str, object]:
        return write_pdf_in_place(skeleton, doc, lang, path)

    def docx(doc: Document, path: Path, lang: str, title: str) -> None:
        WRITERS["docx"](inplace.body_document(skeleton, doc), path, lang, title)

    return {
        "docx": [Output("docx", docx, "rendered")],
        "pdf": [Output("pdf", pdf, "in-place")],
    }


def _inplace_writers(
    source: InplaceSource, pdf_engine: str, with_document: bool = True
) -> dict[str, list[Output]]:
    from pipeline import inplace
    from pipeline.export import libreoffice, page_fit

    skeleton = source.skeleton
    if skeleton.format == "pdf":
        return _pdf_inplace_writers(source)
    suffix = skeleton.format  # "docx", "odt", "pptx", "odp", "srt" or "vtt"

    def document(doc: Document, path: Path, lang: str, title: str) -> None:
        inplace.write(skeleton, doc, lang, path)

    def converted(fmt: str) -> Writer:
        def write(doc: Document, path: Path, lang: str, title: str) -> None:
            # LibreOffice converts an offline copy: it must fetch nothing a file links to.
            with tempfile.TemporaryDirectory(prefix="pipeline-inplace-") as folder:
                copy = Path(folder) / f"{path.stem}.{suffix}"
                inplace.write(skeleton, doc, lang, copy, offline=True)
                libreoffice.convert(copy, fmt, path)

        write.through_libreoffice = True  # type: ignore[attr-defined]
        return write

    def fitted_pdf(doc: Document, path: Path, lang: str, title: str) -> None:
        # on the source's pages when a font step can keep it there (export/page_fit.py)
        document = path.with_suffix(f".{suffix}") if with_document else None
        page_fit.write_fitted_pdf(skeleton, doc, lang, path, document)

    fitted_pdf.through_libreoffice = True  # type: ignore[attr-defined]

    def rendered(writer: Writer) -> Writer:
        def write(doc: Document, path: Path, lang: str, title: str) -> None:
            writer(inplace.body_document(skeleton, doc), path, lang, title)

        return write

    if suffix in ("srt", "vtt"):
        subtitle = Output(suffix, document, "in-place")
        return {"docx": [subtitle], "pdf": [subtitle]}
    has_libreoffice = libreoffice.available()
    use_libreoffice = pdf_engine == "libreoffice" or (pdf_engine == "auto" and has_libreoffice)
    slides = suffix in ("pptx", "odp")  # laid out as they are: their frames are fitted
    pdf = (
        Output("pdf", converted("pdf") if slides else fitted_pdf, "in-place")
        if use_libreoffice
        else Output("pdf", rendered(WRITERS["pdf"]), "rendered")
    )
    docx = [Output(suffix, document, "in-place")]
    if suffix == "odt":  # the DOCX of an ODT: LibreOffice's conversion of the in-place file
        docx.append(
            Output("docx", converted("docx"), "in-place")
            if has_libreoffice
            else Output("docx", rendered(WRITERS["docx"]), "rendered")
        )
    return {"docx": docx, "pdf": [pdf]}


def warm_up_libreoffice(
    formats: list[str], sources: list[InplaceSource | None], pdf_engine: str
) -> None:
    """Start the batch's running LibreOffices now, in the background, when an output of one
    of ``sources`` is converted by LibreOffice (``pipeline.export.libreoffice.serving``)."""
    outputs = [o for s in sources for o in outputs_for(formats, s, pdf_engine)]
    if any(getattr(output.write, "through_libreoffice", False) for output in outputs):
        from pipeline.export import libreoffice

        libreoffice.warm_up()


def outputs_for(
    formats: list[str], source: InplaceSource | None = None, pdf_engine: str = "auto"
) -> list[Output]:
    """The files to write for one input's target, in ``formats`` order.

    ``source`` is the input read in place (None for every other input and with ``--restyle``):
    its ``docx`` format is then the original package, and for an ODT also that file converted
    to DOCX by LibreOffice (``<stem>.<lang>.odt`` and ``.docx``).
    """
    if source is not None:
        table = _inplace_writers(source, pdf_engine, with_document="docx" in formats)
    else:
        pdf = _pdf_through_libreoffice if pdf_engine == "libreoffice" else WRITERS["pdf"]
        table = {
            "docx": [Output("docx", WRITERS["docx"], "rendered")],
            "pdf": [Output("pdf", pdf, "rendered")],
        }
    outputs = [output for fmt in formats for output in table[fmt]]
    return [o for i, o in enumerate(outputs) if all(p.key != o.key for p in outputs[:i])]
