"""What a batch makes and how it runs: two frozen values the CLI builds once.

``OutputMode`` is everything the output files depend on (languages, formats, glossary,
engine choice, the leaflet, …); its ``cache_key`` is what incremental runs compare, kept
beside the fields so a new field cannot be forgotten there. ``RunControl`` is how the run
goes (jobs, waves, Ctrl-C, links, the memory file, the reading limits): none of it changes
a file's content. Limits and environment are read here, at the edge, and passed down.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.document import LANGUAGES
from pipeline.engines.registry import EngineOptions
from pipeline.export.writers import FORMATS
from pipeline.glossary import Glossary
from pipeline.ingest.limits import Limits
from pipeline.leaflet.options import LeafletOptions

DOCUMENT_LAYOUT = "document"
"""``--layout document``: the plain documents only, no leaflet."""


@dataclass(frozen=True)
class OutputMode:
    """What the files are made of (``pipeline translate``'s options that change them)."""

    targets: tuple[str, ...] = LANGUAGES
    source_lang: str = "auto"  # --from; auto: detected per document
    formats: tuple[str, ...] = FORMATS
    engine: EngineOptions = field(default_factory=EngineOptions)
    glossary: Glossary | None = None
    leaflet: LeafletOptions | None = None  # --layout (and --bw, --bleed, --two-up)
    leaflet_config: Any = None  # a LeafletConfig (leaflet.yml) when a leaflet is made
    strict: bool = False  # --strict: refuse documents whose detection is unsure
    keep_foreign: bool = False  # --keep-foreign: never translate blocks in another language
    review: bool = False  # --review: also the review DOCX and XLIFF next to the sidecar
    detector: str = "fasttext"  # --detector
    restyle: bool = False  # --restyle: DOCX/ODT re-rendered instead of translated in place
    pdf_engine: str = "auto"  # --pdf-engine (pipeline.export.writers.PDF_ENGINES)
    allow_blocking: bool = False  # --allow-blocking: the PDF and leaflet despite blocking QA

    @property
    def layout(self) -> str:
        """``document``, or the leaflet's layout."""
        return self.leaflet.layout if self.leaflet is not None else DOCUMENT_LAYOUT

    @property
    def glossary_version(self) -> str:
        return self.glossary.version if self.glossary is not None else ""

    def cache_key(self) -> dict[str, Any]:
        """What of this mode goes into a document's fingerprint (``pipeline.incremental``):
        every field above, the glossary by its presence (its terms are compared per segment)."""
        leaflet = self.leaflet
        return {
            "targets": list(self.targets),
            "formats": list(self.formats),
            "layout": self.layout,
            "leaflet": repr(self.leaflet_config) if leaflet is not None else None,
            "print": [
                bool(leaflet and leaflet.bleed),
                bool(leaflet and leaflet.bw),
                bool(leaflet and leaflet.two_up),
            ],
            "strict": self.strict,
            "keep_foreign": self.keep_foreign,
            "review": self.review,
            "engine": [self.engine.choice, self.engine.url],
            "glossary": self.glossary is not None,
            "from": self.source_lang,
            "restyle": self.restyle,
            "pdf_engine": self.pdf_engine,
            "detector": self.detector,
            "allow_blocking": self.allow_blocking,
        }


@dataclass(frozen=True)
class RunControl:
    """How one run goes; nothing here changes what a file contains."""

    jobs: int = 1  # --jobs: documents read and written at once
    wave_tokens: int = 16384  # documents go through the engine and out in waves of this
    # many tokens to translate (0: the whole batch in one engine call per pair)
    stop: threading.Event = field(default_factory=threading.Event)
    """Set (by the CLI, on Ctrl-C) to stop the batch after the file being written."""
    follow_links: bool = False  # --follow-links
    cache: Path | None = None  # the translation memory file (--cache); None: no memory
    force: bool = False  # --force: translate again, rebuild what is up to date
    limits: Limits = field(default_factory=Limits.from_env)  # PIPELINE_MAX_*, read once
    skip_unavailable: bool = False  # --skip-unavailable: a pair no engine covers is no failure


@dataclass(frozen=True)
class Batch:
    """One ``pipeline translate``: the sources, where the outputs go, what and how."""

    paths: tuple[Path, ...]
    out_dir: Path = Path("output")
    mode: OutputMode = field(default_factory=OutputMode)
    control: RunControl = field(default_factory=RunControl)
