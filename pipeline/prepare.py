"""The prepare stage: one source read, its language detected, its text cut into segments.

``prepare`` returns a ``Prepared`` value or the one line that says why the document cannot
be translated; errors, even unforeseen ones, never stop the batch.
"""

from __future__ import annotations

from pathlib import Path

from pipeline import detect, inplace
from pipeline.errors import PipelineError, unexpected
from pipeline.ingest import file_sha256, read_document
from pipeline.ingest.limits import Limits, check_regular_file, check_zip
from pipeline.jobs import Prepared, Source
from pipeline.options import OutputMode
from pipeline.segment import segment_document


def source_hash(source: Source, limits: Limits) -> tuple[str, str | None]:
    """The source file's SHA-256 ("" when it is not a file to read: ``prepare`` says why),
    or the line saying it cannot be read."""
    try:
        return file_sha256(source.path, limits), None
    except OSError as exc:
        return "", f"cannot read: {exc.strerror or exc}"


def prepare(source: Source, sha256: str, mode: OutputMode, limits: Limits) -> Prepared | str:
    """Read, detect and segment one document, or the line that says why it cannot be."""
    try:
        return _read_detect_segment(source, sha256, mode, limits)
    except Exception as exc:  # a bug or a library failing oddly: this document's line only
        return unexpected(exc, "while reading")


def _read_detect_segment(
    source: Source, sha256: str, mode: OutputMode, limits: Limits
) -> Prepared | str:
    path = source.path
    found = None
    try:
        if inplace.supports(path) and (not mode.restyle or inplace.only_in_place(path)):
            found = _read_in_place(path, limits)
            doc = found.document
            if mode.restyle:  # a deck's or subtitles' text, re-rendered
                doc, found = inplace.body_document(found.skeleton, doc), None
        else:
            doc = read_document(path, limits)
    except PipelineError as exc:
        return str(exc)
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    given = None if mode.source_lang == "auto" else mode.source_lang
    try:
        # With --from the document's language is given; its blocks are still detected.
        detected = detect.detect_document(doc, language=given, detector=mode.detector)
    except PipelineError as exc:
        return str(exc)
    doc.lang, doc.lang_confidence = detected.language, detected.confidence
    if detected.warning and mode.strict:
        return f"{detected.warning} (refused with --strict)"
    for block_lang in detected.sure_foreign_blocks():  # unsure ones: the document's language
        doc.blocks[block_lang.index].lang = block_lang.language
    if doc.lang not in detect.TRANSLATABLE:
        return f"{detect.unsupported_message(doc.lang or 'und')}; use --from to override"
    return Prepared(
        source=source,
        sha256=sha256,
        doc=doc,
        segmented=tuple(segment_document(doc, doc.lang)),
        detection=detected,
        language_given=given is not None,
        inplace=found,
    )


def _read_in_place(path: Path, limits: Limits) -> inplace.InplaceSource:
    """A file read for in-place translation, within the limits every reader keeps."""
    size = check_regular_file(path, limits).st_size
    if size and inplace.zipped(path):  # an empty file: inplace says so; a PDF is no zip
        check_zip(path, path.suffix.lower().lstrip("."), limits)
    return inplace.read(path)
