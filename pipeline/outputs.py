"""Every kind of output file a target can get, in one table.

An ``OutputSpec`` says when a target gets that output, and which writer calls make its
files (``tasks``: a function and its arguments, run by the writer pool, in worker processes
when the function can be sent there); ``pipeline.run`` loops over ``OUTPUTS`` in order. A
spec runs in its ``phase`` (0: the files made from the translated document; 1: those made
once they are written: the leaflet, the review sidecar; 2: the review files made from the
sidecar), and only if every spec named in its ``after`` wrote its files without error.
File names come from ``pipeline.outnames.output_file``.

OmegaT projects are no output of a translate run: ``pipeline review export --omegat`` makes
them later from the sidecar, through the review formats' own table
(``pipeline.review.files.FORMATS``), as it makes the review DOCX and XLIFF again.

Adding an output kind is one entry here: a file made from the translated document in one
of ``--formats`` is a writer in ``pipeline.export.writers`` (``outputs_for``), everything
else (a subtitle track, a slide deck's notes, …) an ``OutputSpec``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline import inplace
from pipeline.blocking import Held, print_ready
from pipeline.document import Document
from pipeline.engines.base import Route
from pipeline.export.writers import outputs_for
from pipeline.jobs import Prepared
from pipeline.options import DOCUMENT_LAYOUT, OutputMode
from pipeline.outnames import output_file
from pipeline.qa import Checked
from pipeline.records import SegmentRecord
from pipeline.segment import RebuildStats, rebuild_block


@dataclass(frozen=True)
class OutputTarget:
    """What a target's outputs are made from: the prepared source, the target language,
    the translated document, QA's records and the route."""

    prepared: Prepared
    lang: str
    mode: OutputMode
    document: Document
    checked: Checked
    route: Route
    held: Held | None = None  # blocking findings: no print-ready output (pipeline.blocking)

    @property
    def translated(self) -> bool:
        """False for the source language's own target (nothing to review there)."""
        return self.prepared.lang != self.lang

    @property
    def body(self) -> Document:
        """The translated document without headers, footers and comments (an in-place
        source's body: what a leaflet shows)."""
        source = self.prepared.inplace
        return (
            self.document
            if source is None
            else inplace.body_document(source.skeleton, self.document)
        )

    @property
    def original_body(self) -> Document:
        source = self.prepared.inplace
        doc = self.prepared.doc
        return doc if source is None else inplace.body_document(source.skeleton, doc)


@dataclass(frozen=True)
class Written:
    """What one written file adds to its target's report: ``outputs`` keys and paths, the
    leaflet's fit, and whether the file is the source translated in place."""

    outputs: Mapping[str, str] = field(default_factory=dict)
    leaflet: Mapping[str, Any] | None = None
    in_place: bool = False
    layout: Mapping[str, Any] | None = None  # a PDF in place: shrunk and overflow blocks


@dataclass(frozen=True)
class Task:
    """One call for the writer pool: ``call(*args)``, writing ``path``; ``done`` turns what
    the call returned into the report's entries."""

    path: Path
    call: Callable[..., Any]
    args: tuple[Any, ...]
    done: Callable[[Any], Written]


ErrorLine = Callable[[Exception, Path], str | None]
"""A spec's own wording for a writer's error (None: the default one)."""


@dataclass(frozen=True)
class OutputSpec:
    """One kind of output: ``key`` names it (in ``after``), ``wanted`` says whether a
    target gets it, ``tasks`` what to write."""

    key: str
    phase: int
    wanted: Callable[[OutputTarget], bool]
    tasks: Callable[[OutputTarget], list[Task]]
    after: tuple[str, ...] = ()
    error_line: ErrorLine | None = None


# --- the documents: --formats ------------------------------------------------------------


def _document_tasks(target: OutputTarget) -> list[Task]:
    prepared, mode = target.prepared, target.mode
    tasks = []
    for output in outputs_for(list(mode.formats), prepared.inplace, mode.pdf_engine):
        if target.held is not None and print_ready(output.key):
            continue  # review material only until the blocking findings are reviewed
        path = prepared.source.out_dir / output_file(prepared.source.stem, target.lang, output.key)
        written = Written({output.key: str(path)}, in_place=output.route == "in-place")
        args = (target.document, path, target.lang, prepared.source.path.name)
        tasks.append(Task(path, output.write, args, _with_layout(written)))
    return tasks


def _constant(written: Written) -> Callable[[Any], Written]:
    return lambda _returned: written


def _with_layout(written: Written) -> Callable[[Any], Written]:
    """``written``, with what a writer returned as its layout (a PDF in place), if anything."""
    return lambda returned: replace(written, layout=returned) if returned else written


# --- the leaflet: --layout ---------------------------------------------------------------


def _wants_leaflet(target: OutputTarget) -> bool:
    if target.mode.layout == DOCUMENT_LAYOUT or target.held is not None:
        return False
    return not (target.mode.layout == "bilingual" and not target.translated)


def _leaflet_tasks(target: OutputTarget) -> list[Task]:
    from pipeline.leaflet import leaflet_filename
    from pipeline.leaflet.config import LeafletConfig

    mode, source = target.mode, target.prepared.source
    options = mode.leaflet
    assert options is not None
    name = leaflet_filename(
        source.stem,
        target.lang,
        options.layout,
        src=target.prepared.lang,
        bw=options.bw,
        bleed=options.bleed,
        two_up=options.two_up,
    )
    path = source.out_dir / name
    args = (
        target.body,
        path,
        options.layout,
        mode.leaflet_config or LeafletConfig(),
        target.lang,
        target.original_body,
        options,
    )
    return [Task(path, _write_leaflet, args, _leaflet_written(options.layout))]


def _write_leaflet(
    doc: Document,
    path: Path,
    layout: str,
    config: Any,
    lang: str,
    original: Document,
    options: Any,
) -> Any:
    from pipeline.leaflet import write_leaflet

    return write_leaflet(
        doc,
        path,
        layout,
        config,
        lang=lang,
        original=original,
        bleed=options.bleed,
        bw=options.bw,
        two_up=options.two_up,
    )


def _leaflet_written(layout: str) -> Callable[[Any], Written]:
    def done(result: Any) -> Written:
        return Written({layout: str(result.path)}, leaflet=result.as_dict())

    return done


# --- the review files --------------------------------------------------------------------


def _sidecar_path(target: OutputTarget) -> Path:
    from pipeline.review import sidecar_path

    source = target.prepared.source
    return sidecar_path(source.out_dir, source.stem, target.prepared.lang, target.lang)


def _sidecar_tasks(target: OutputTarget) -> list[Task]:
    from pipeline.review import record_entry

    prepared = target.prepared
    path = _sidecar_path(target)
    meta = {
        "document": prepared.source.stem,
        "src": prepared.lang,
        "tgt": target.lang,
        "source_path": str(prepared.source.path),
        "source_sha256": prepared.sha256,
        "engine": target.route.engine,
        "model": target.route.model or "",
    }
    entries = [record_entry(r, target.lang) for r in target.checked.records]
    return [Task(path, _write_sidecar, (path, entries, meta), _constant(Written()))]


def _write_sidecar(path: Path, entries: Sequence[Any], meta: Mapping[str, str]) -> Path:
    from pipeline.review import write_sidecar

    return write_sidecar(path, segments=entries, **meta)


def _review_tasks(target: OutputTarget) -> list[Task]:
    from pipeline.review import review_paths, write_review_files

    sidecar = _sidecar_path(target)
    paths = review_paths(sidecar)
    return [Task(paths["docx"], write_review_files, (sidecar,), _review_written)]


def _review_written(files: Mapping[str, Path]) -> Written:
    return Written({"review_docx": str(files["docx"]), "xliff": str(files["xliff"])})


def _review_error(exc: Exception, path: Path) -> str | None:
    """The review files' own wording, not the writers'."""
    from pipeline.errors import PipelineError

    if isinstance(exc, PipelineError | OSError):
        return f"cannot write review files: {exc}"
    return None


OUTPUTS: tuple[OutputSpec, ...] = (
    OutputSpec("documents", 0, lambda target: True, _document_tasks),
    OutputSpec("leaflet", 1, _wants_leaflet, _leaflet_tasks, after=("documents",)),
    OutputSpec("sidecar", 1, lambda t: t.translated, _sidecar_tasks, error_line=_review_error),
    OutputSpec(
        "review",
        2,
        lambda t: t.translated and t.mode.review,
        _review_tasks,
        after=("sidecar",),
        error_line=_review_error,
    ),
)
"""Every output kind, in the order they are written and reported."""

PHASES = tuple(sorted({spec.phase for spec in OUTPUTS}))


def translated_document(
    prepared: Prepared, records: Sequence[SegmentRecord], lang: str
) -> tuple[Document, int]:
    """The prepared document with every block's text replaced by the records' drafts, and
    how many formatting marks were put back (approved drafts with broken markers)."""
    stats = RebuildStats()
    blocks = []
    cursor = 0
    for sb in prepared.segmented:
        n = len(sb.segments)
        drafts = [r.draft for r in records[cursor : cursor + n]]
        blocks.append(rebuild_block(sb, drafts, lang, stats))
        cursor += n
    doc = prepared.doc
    rebuilt = Document(
        blocks=blocks,
        source_path=doc.source_path,
        source_format=doc.source_format,
        lang=lang,
        lang_confidence=1.0,
        metadata=dict(doc.metadata),
    )
    return rebuilt, stats.markers_repaired
