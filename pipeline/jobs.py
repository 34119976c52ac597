"""What one batch works on: its options, the documents on their way, and the results.

Plain data shared by the stages of a run (``pipeline.translate``, ``pipeline.report``) and the
orchestration in ``pipeline.run``; it lives apart from ``run`` so the stages need not import it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline import detect
from pipeline.blocking import Held
from pipeline.document import LANGUAGES, Document, Segment
from pipeline.engines.base import Route
from pipeline.engines.registry import EngineOptions
from pipeline.export.writers import FORMATS
from pipeline.glossary import Glossary, GlossaryReport
from pipeline.segment import SegmentedBlock

INTERRUPTED = "not done: the run was interrupted"
"""A target's ``error`` when the run stopped before its files were written."""

if TYPE_CHECKING:
    from pipeline.inplace import InplaceSource

IDENTITY = Route(engine="identity")  # the route of text no engine touched
MEMORY_ONLY = Route(engine="memory")  # approved translations only; no engine was available


@dataclass
class RunOptions:
    """Everything a batch needs to know; the CLI fills it from the arguments."""

    paths: list[Path]
    targets: list[str] = field(default_factory=lambda: list(LANGUAGES))
    source_lang: str = "auto"
    formats: list[str] = field(default_factory=lambda: list(FORMATS))
    out_dir: Path = Path("output")
    engine: EngineOptions = field(default_factory=EngineOptions)
    jobs: int = 1
    force: bool = False
    glossary: Glossary | None = None
    layout: str = "document"  # "document" or one of pipeline.leaflet.LAYOUTS
    leaflet_config: Any = None  # a LeafletConfig when a leaflet layout is chosen
    bleed: bool = False
    bw: bool = False
    two_up: bool = False
    strict: bool = False  # --strict: refuse documents whose detection is unsure
    keep_foreign: bool = False  # --keep-foreign: never translate blocks in another language
    cache: Path | None = None  # translation memory file (--cache); None: no memory
    review: bool = False  # --review: also write review DOCX + XLIFF next to the sidecar
    follow_links: bool = False  # --follow-links: follow links that lead out of a source folder
    detector: str = "fasttext"  # --detector: fasttext or langdetect
    stop: threading.Event = field(default_factory=threading.Event)
    """Set (by the CLI, on Ctrl-C) to stop the batch after the file being written."""
    restyle: bool = False  # --restyle: DOCX/ODT inputs re-rendered instead of translated in place
    pdf_engine: str = "auto"  # --pdf-engine: auto | libreoffice | typst (export.writers)
    wave_tokens: int = 16384  # documents go through the engine and out in waves of this many
    # tokens to translate (0: the whole batch in one engine call per pair)
    allow_blocking: bool = False  # --allow-blocking: print-ready outputs despite blocking QA
    skip_unavailable: bool = False  # --skip-unavailable: a pair no engine covers is skipped


@dataclass
class Failure:
    path: str
    reason: str

    def as_json(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass
class TargetResult:
    """What happened for one document in one target language."""

    lang: str
    route: Route | None = None
    translations: list[str] = field(default_factory=list)
    machine_translated: int = 0
    from_memory: int = 0
    approved: int = 0
    origins: list[str] = field(default_factory=list)  # identity|machine|cache|approved|degenerate
    fuzzy: dict[int, list[Any]] = field(default_factory=dict)  # flat index → FuzzyMatch list
    unknown: dict[int, list[str]] = field(default_factory=dict)  # flat index → unknown words
    review_entries: list[dict[str, Any]] = field(default_factory=list)  # the segments sidecar
    qa: list[dict[str, str]] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)
    seconds: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    markers_repaired: int = 0
    kept_blocks: dict[int, str] = field(default_factory=dict)  # block index → why it was kept
    leaflet: dict[str, Any] | None = None
    glossary: GlossaryReport | None = None
    # flat index → (what was done: redecoded|fallback|source, the QA detail) for segments whose
    # engine draft was degenerate (pipeline.engines.guard)
    degenerate: dict[int, tuple[str, str]] = field(default_factory=dict)
    output_route: str = "rendered"  # "in-place" when an output is the source file translated
    released_total: int | None = None  # segment count kept when the texts were released
    debris: dict[int, str] = field(default_factory=dict)  # flat index → debris removed (detail)
    held: Held | None = None  # print-ready outputs held back by blocking findings

    @property
    def total(self) -> int:
        """How many segments the document has (report.json ``segments.total``)."""
        return self.released_total if self.released_total is not None else len(self.translations)

    def release(self) -> None:
        """Drop the per-segment data once the outputs and report are written (the counts,
        QA findings and glossary report stay, for the summary)."""
        self.released_total = self.total
        self.translations, self.origins, self.review_entries = [], [], []
        self.fuzzy, self.unknown = {}, {}


@dataclass
class DocumentJob:
    """One source document on its way through the stages."""

    path: Path
    stem: str
    out_dir: Path  # OUT/<stem>/: this document's outputs and report.json
    doc: Document | None = None
    sha256: str = ""
    segmented: list[SegmentedBlock] = field(default_factory=list)
    targets: dict[str, TargetResult] = field(default_factory=dict)
    error: str | None = None
    detection: detect.DocumentLanguage | None = None
    language_given: bool = False  # --from
    inplace: InplaceSource | None = None  # a DOCX/ODT read for in-place translation
    fingerprint: dict[str, Any] = field(default_factory=dict)  # pipeline.incremental
    fingerprint_data: dict[str, Any] = field(default_factory=dict)  # report.json "fingerprint"
    unchanged: bool = False  # its outputs were already up to date: nothing rebuilt

    def release(self) -> None:
        """Drop the document's text once it is written, so a batch's memory does not grow
        with its length; its language, counts and findings stay for the summary."""
        if self.doc is not None:
            self.doc = Document(
                blocks=[],
                source_path=self.doc.source_path,
                source_format=self.doc.source_format,
                lang=self.doc.lang,
                lang_confidence=self.doc.lang_confidence,
            )
        self.segmented = []
        for target in self.targets.values():
            target.release()

    @property
    def doc_lang(self) -> str:
        """The document's language ("" before it is read)."""
        return (self.doc.lang if self.doc is not None else None) or ""

    @property
    def segments(self) -> list[Segment]:
        """Every segment of the document in order; a target's ``translations`` index these."""
        return [seg for sb in self.segmented for seg in sb.segments]


@dataclass
class RunResult:
    reports: list[Path] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    skipped: list[Failure] = field(default_factory=list)  # files found but not read, and why
    jobs: list[DocumentJob] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # one line each: suspect models, fallbacks
    not_done: list[str] = field(default_factory=list)  # interrupted: "path" or "path → lang"
    # --skip-unavailable: targets of pairs no engine on this machine covers (not failures)
    unavailable: list[Failure] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # per stage: prepare, translate, write

    @property
    def unchanged(self) -> list[DocumentJob]:
        """Documents whose outputs were up to date and were not rebuilt."""
        return [job for job in self.jobs if job.unchanged]

    @property
    def exit_code(self) -> int:
        """0 all written, 1 some failed, 130 interrupted (128 + SIGINT, as shells say)."""
        if self.not_done:
            return 130
        return 1 if self.failures else 0


class Progress:
    """Hooks the CLI implements to show progress; the default does nothing."""

    def start(self, outputs: int, segments: int) -> None: ...

    def more_segments(self, n: int) -> None:
        """``n`` more segments to translate than ``start`` said (documents are read in waves)."""

    def segments_done(self, n: int) -> None: ...

    def output_done(self, description: str) -> None: ...
