"""A PDF opened with PyMuPDF within the limits, and the text lines of its pages.

Before MuPDF decodes anything, every stream's decoded size is measured without keeping it:
a Flate stream is inflated in chunks and counted (a 1 MB file can hold a 1 GB stream), other
filters are bounded by their worst ratio. A stream past ``PIPELINE_MAX_PDF_STREAM_MB``, or all
of them together past ``PIPELINE_MAX_PDF_DECODED_MB``, refuses the file; so does a page whose
content has more than ``PIPELINE_MAX_PDF_PAGE_OBJECTS`` operators, or whose text layer has
more than ``PIPELINE_MAX_PDF_PAGE_CHARS`` characters. Pictures encoded for display only (JPEG,
JPEG 2000, fax, JBIG2) are never decoded: text extraction and in-place writing leave them be.

A PDF encrypted with an empty user password (anyone may open it; the owner password only
restricts printing or copying) is read; one that needs a password is refused in one line.
"""

from __future__ import annotations

import re
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline.ingest.errors import ReadError
from pipeline.ingest.limits import Limits

if TYPE_CHECKING:
    import pymupdf

_MB = 1024 * 1024
_CHUNK = 1 << 20
# Decoded bytes per encoded byte at worst, for the filters that are not measured.
_WORST_RATIO = {"/LZWDecode": 2731, "/RunLengthDecode": 128, "/ASCII85Decode": 5}
_DISPLAY_ONLY = {"/DCTDecode", "/JPXDecode", "/CCITTFaxDecode", "/JBIG2Decode"}
_OPERATOR = re.compile(rb"(?<![\w/\\])(?:Tj|TJ|'|\"|Do|re|[mlcvyhfFSsBbn]\*?|BI|sh)(?=[\s\[(<]|$)")

MUPDF_LOCK = threading.RLock()
"""Held while MuPDF works: PyMuPDF must not run on two threads at once (documents are read
on ``--jobs`` threads, in-place PDFs written on the writers' threads)."""

DAMAGED = "not a valid .pdf file (damaged or truncated)"
ENCRYPTED = "the PDF is encrypted with a password: give an unprotected copy"


RunStyle = tuple[bool, bool, bool, int, float]
"""How a run of text looks: bold, italic, serif, sRGB colour, size in points."""


@dataclass
class PdfLine:
    """One line of text on a page, in PDF points with y going down (PyMuPDF's space)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    bold: bool
    italic: bool
    serif: bool
    color: int
    page: int
    baseline: float = 0.0
    runs: tuple[tuple[str, RunStyle], ...] = ()  # the line's text in its spans' looks
    visible: bool = True  # False: an invisible text layer (an OCR'd scan's, over its picture)


@dataclass
class PdfPage:
    number: int
    width: float
    height: float
    lines: list[PdfLine]


@contextmanager
def opened(data: bytes, limits: Limits) -> Iterator[pymupdf.Document]:
    """The PDF in ``data`` opened by PyMuPDF, after the checks above; closed afterwards."""
    with MUPDF_LOCK:
        yield from _opened(data, limits)


def _opened(data: bytes, limits: Limits) -> Iterator[pymupdf.Document]:
    import pymupdf

    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # MuPDF raises its own FzErrorFormat, RuntimeError, ValueError…
        raise ReadError(DAMAGED) from exc
    try:
        if doc.needs_pass and not doc.authenticate(""):
            raise ReadError(ENCRYPTED)
        if doc.page_count == 0:
            raise ReadError(DAMAGED)
        if doc.page_count > limits.max_pdf_pages:
            raise limits.refusal("max_pdf_pages", f"the PDF has {doc.page_count} pages")
        check_streams(doc, limits)
        yield doc
    finally:
        doc.close()


def check_streams(doc: pymupdf.Document, limits: Limits) -> None:
    """Refuse ``doc`` when a stream, or all streams together, decode past the limits."""
    per_stream = limits.max_pdf_stream_mb * _MB
    total_cap = limits.max_pdf_decoded_mb * _MB
    total = 0
    for xref in range(1, doc.xref_length()):
        try:
            if not doc.xref_is_stream(xref):
                continue
            filters = _filters(doc.xref_get_key(xref, "Filter"))
            if filters and filters[0] in _DISPLAY_ONLY:
                continue
            raw = doc.xref_stream_raw(xref) or b""
        except ReadError:
            raise
        except Exception:  # a damaged object: MuPDF skips it as well
            continue
        size = _decoded_size(raw, filters, per_stream + 1)
        if size > per_stream:
            raise limits.refusal(
                "max_pdf_stream_mb",
                f"the PDF has a stream that decodes to more than {limits.max_pdf_stream_mb} MB "
                "(like a decompression bomb)",
            )
        total += size
        if total > total_cap:
            raise limits.refusal(
                "max_pdf_decoded_mb",
                f"the PDF's streams decode to more than {limits.max_pdf_decoded_mb} MB",
            )


def _filters(value: tuple[str, str]) -> list[str]:
    kind, text = value
    if kind == "name":
        return [text]
    if kind == "array":
        return re.findall(r"/\w+", text)
    return []


def _decoded_size(raw: bytes, filters: list[str], cap: int) -> int:
    """The bytes ``raw`` decodes to through its first filter, counted up to ``cap``."""
    if not filters:
        return len(raw)
    first = filters[0]
    if first == "/FlateDecode":
        return _inflated_size(raw, cap)
    return len(raw) * _WORST_RATIO.get(first, 1)


def _inflated_size(raw: bytes, cap: int) -> int:
    inflater = zlib.decompressobj()
    size = 0
    pending = raw
    try:
        while pending and size <= cap:
            size += len(inflater.decompress(pending, _CHUNK))
            pending = inflater.unconsumed_tail
        if size <= cap and not inflater.eof:
            size += len(inflater.flush())
    except zlib.error:
        pass  # damaged data decodes no further (MuPDF stops there too)
    return size


def page_lines(doc: pymupdf.Document, limits: Limits) -> list[PdfPage]:
    """The text lines of every page of ``doc`` (in content order; ``pdf`` orders them)."""
    pages = []
    for n in range(doc.page_count):
        try:
            pages.append(_page(doc[n], n, limits))
        except ReadError:
            raise
        except Exception as exc:  # MuPDF fails on a page it cannot repair
            raise ReadError(f"{DAMAGED[:-1]}: page {n + 1} cannot be read)") from exc
    return pages


def _page(page: pymupdf.Page, number: int, limits: Limits) -> PdfPage:
    import pymupdf

    try:
        contents = page.read_contents()
    except Exception:
        contents = b""
    operators = len(_OPERATOR.findall(contents))
    if operators > limits.max_pdf_page_objects:
        raise limits.refusal(
            "max_pdf_page_objects",
            f"page {number + 1} of the PDF draws {operators} objects",
        )
    flags = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP
    text: dict[str, Any] = page.get_text("dict", flags=flags, sort=False)
    lines: list[PdfLine] = []
    chars = 0
    for block in text.get("blocks", []):
        for line in block.get("lines", []):
            made = _line(line, number)
            if made is None:
                continue
            chars += len(made.text)
            if chars > limits.max_pdf_page_chars:
                raise limits.refusal(
                    "max_pdf_page_chars",
                    f"page {number + 1} of the PDF has more than "
                    f"{limits.max_pdf_page_chars} characters of text",
                )
            lines.append(made)
    rect = page.rect
    return PdfPage(number, float(rect.width), float(rect.height), lines)


def _line(line: dict[str, Any], page: int) -> PdfLine | None:
    spans = [s for s in line.get("spans", []) if s.get("text")]
    if line.get("dir", (1.0, 0.0))[0] < 0.99:
        return None  # rotated or vertical text stays as it is
    text = "".join(s["text"] for s in spans).replace("\n", " ")
    if not text.strip():
        return None
    worded = [s for s in spans if s["text"].strip()]
    weight = {id(s): len(s["text"].strip()) for s in worded}
    main = max(worded, key=lambda s: weight[id(s)])
    total = sum(weight.values())
    bold = sum(weight[id(s)] for s in worded if _bold(s)) * 2 > total
    italic = sum(weight[id(s)] for s in worded if s["flags"] & 2) * 2 > total
    by_size: dict[float, int] = {}
    for s in worded:  # the size most of the line's characters have
        size = round(float(s["size"]), 1)
        by_size[size] = by_size.get(size, 0) + weight[id(s)]
    x0, y0, x1, y1 = (float(v) for v in line["bbox"])
    return PdfLine(
        text=text,
        x0=x0,
        y0=y0,
        x1=x1,
        y1=y1,
        size=max(by_size, key=lambda k: (by_size[k], -k)),
        bold=bold,
        italic=italic,
        serif=_serif(main),
        color=int(main.get("color", 0)),
        page=page,
        baseline=float(main.get("origin", (0.0, y1))[1]),
        runs=tuple((s["text"].replace("\n", " "), _style(s)) for s in spans),
        visible=any(s.get("alpha", 255) > 0 for s in worded),
    )


def _style(span: dict[str, Any]) -> RunStyle:
    return (
        _bold(span),
        bool(span["flags"] & 2),
        _serif(span),
        int(span.get("color", 0)),
        round(float(span["size"]), 1),
    )


def _bold(span: dict[str, Any]) -> bool:
    if span["flags"] & 16:
        return True
    name = str(span.get("font", "")).split("+")[-1].lower()
    return any(w in name for w in ("bold", "black", "heavy", "semibold", "demi"))


def _serif(span: dict[str, Any]) -> bool:
    name = str(span.get("font", "")).split("+")[-1].lower()
    if "sans" in name or "gothic" in name or "arial" in name or "helvetica" in name:
        return False
    if any(w in name for w in ("serif", "times", "roman", "georgia", "garamond", "mincho")):
        return True
    return bool(span["flags"] & 4)
