"""The values a batch passes between its stages, and what it tells the caller.

Plain frozen data shared by the stages (``pipeline.prepare``, ``pipeline.plan``,
``pipeline.translate``, ``pipeline.qa``, ``pipeline.outputs``, ``pipeline.report``) and the
orchestration in ``pipeline.run``; each stage takes some of these and returns new ones:

    Source → Prepared → DocumentPlan → TargetDraft (records) → Checked (QA) → Written → TargetReport
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline import detect
from pipeline.blocking import Held
from pipeline.document import Document, Segment
from pipeline.engines.base import Route
from pipeline.glossary import GlossaryReport
from pipeline.records import SegmentRecord
from pipeline.segment import SegmentedBlock

if TYPE_CHECKING:
    from pipeline.inplace import InplaceSource

INTERRUPTED = "not done: the run was interrupted"
"""A target's ``error`` when the run stopped before its files were written."""

IDENTITY = Route(engine="identity")  # the route of text no engine touched
MEMORY_ONLY = Route(engine="memory")  # approved translations only; no engine was available


@dataclass(frozen=True)
class Source:
    """One source file of the batch and where its outputs go (``OUT/<stem>/``)."""

    path: Path
    stem: str
    out_dir: Path


@dataclass(frozen=True)
class Prepared:
    """A source read, its language detected and its text cut into segments."""

    source: Source
    sha256: str
    doc: Document
    segmented: tuple[SegmentedBlock, ...]
    detection: detect.DocumentLanguage | None = None
    language_given: bool = False  # --from
    inplace: InplaceSource | None = None  # a DOCX/ODT read for in-place translation
    segments: tuple[Segment, ...] = field(init=False)

    def __post_init__(self) -> None:
        flat = tuple(seg for sb in self.segmented for seg in sb.segments)
        object.__setattr__(self, "segments", flat)

    @property
    def lang(self) -> str:
        return self.doc.lang or ""


@dataclass(frozen=True)
class TargetDraft:
    """The translate stage's result for one document × target language: one record per
    segment, the route that made most of them, the time the engine took, or an error."""

    lang: str
    records: tuple[SegmentRecord, ...] = ()
    route: Route | None = None
    error: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class Failure:
    path: str
    reason: str

    def as_json(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True)
class TargetReport:
    """What happened for one document in one target language (report.json's ``targets``
    entry and the summary's row), made by ``pipeline.report`` from the stages' values."""

    lang: str
    route: Route | None = None
    total: int = 0
    machine_translated: int = 0
    from_memory: int = 0
    approved: int = 0
    fuzzy_suggested: int = 0
    qa: tuple[dict[str, str], ...] = ()
    untranslated: tuple[str, ...] = ()
    markers_repaired: int = 0
    degenerate: tuple[tuple[str, str], ...] = ()  # (redecoded|fallback|source, detail)
    output_route: str = "rendered"  # "in-place" when an output is the source file translated
    outputs: Mapping[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None
    leaflet: Mapping[str, Any] | None = None
    layout: Mapping[str, Any] | None = None  # a PDF in place: report.json's shrunk, overflow
    glossary: GlossaryReport | None = None
    kept_blocks: Mapping[int, str] = field(default_factory=dict)  # block → why it was kept
    # report.json's entry as the last run wrote it: the target's files were up to date and
    # were kept while its document was built again for another target that had failed
    stored: Mapping[str, Any] | None = None
    held: Held | None = None  # print-ready outputs held back by blocking findings


@dataclass(frozen=True)
class DocumentReport:
    """What happened to one source: its language, and per target language a report; ``lang``
    is None when it was not read (failed, or the run was interrupted first)."""

    source: Source
    lang: str | None = None
    error: str | None = None
    unchanged: bool = False  # its outputs were already up to date: nothing rebuilt
    targets: Mapping[str, TargetReport] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.source.path

    @property
    def stem(self) -> str:
        return self.source.stem

    @property
    def out_dir(self) -> Path:
        return self.source.out_dir


@dataclass
class RunResult:
    """What a batch did (filled by ``pipeline.run`` only, under its lock)."""

    reports: list[Path] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    skipped: list[Failure] = field(default_factory=list)  # files found but not read, and why
    documents: list[DocumentReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # one line each: suspect models, fallbacks
    not_done: list[str] = field(default_factory=list)  # interrupted: "path" or "path → lang"
    seconds: dict[str, float] = field(default_factory=dict)  # per stage: prepare, translate, write
    # --skip-unavailable: targets of pairs no engine on this machine covers (not failures)
    unavailable: list[Failure] = field(default_factory=list)

    @property
    def unchanged(self) -> list[DocumentReport]:
        """Documents whose outputs were up to date and were not rebuilt."""
        return [doc for doc in self.documents if doc.unchanged]

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

    # Reading and writing, file by file (``pipeline.cli.progress``); called from any thread.
    def documents(self, total: int) -> None:
        """The batch has ``total`` documents (called first)."""

    def reading(self, names: list[str]) -> None:
        """These documents are being read."""

    def read(self, n: int) -> None:
        """``n`` more documents are read (or found up to date)."""

    def file_started(self, path: Path) -> None:
        """A writer has started on ``path``."""

    def file_done(self, path: Path) -> None:
        """``path`` is written (or failed)."""
