"""Rebuilding a document's outputs with the approved text, in the background, and previews.

A rebuild is the normal batch (``pipeline.run.run_batch``) for the document's source alone,
with the options its report.json records (target languages, source language, formats,
leaflet layout, in place or re-rendered) and the server's memory, glossary and engine: the
run takes every approved segment from the memory, so the new DOCX/PDF/leaflets carry what
the reviewers approved, and writes the review sidecar again. One rebuild runs at a time
per document, in a thread; its progress is read by the page.

Previews are the rebuilt PDF's pages as PNG (poppler's pdftoppm), written under the server's own
temporary folder, never next to the outputs.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.engines.paths import EnginePaths
from pipeline.engines.registry import EngineOptions
from pipeline.errors import PipelineError
from pipeline.export.writers import FORMATS
from pipeline.jobs import Progress, RunResult
from pipeline.leaflet.options import LAYOUTS, LeafletOptions
from pipeline.options import Batch, OutputMode, RunControl
from pipeline.outnames import output_names
from pipeline.workbench.catalog import read_report

if TYPE_CHECKING:
    from pipeline.glossary import Glossary
    from pipeline.leaflet.config import LeafletConfig

ENGINE_CHOICES = ("argos", "apertium", "libretranslate", "ctranslate2")
PREVIEW_PAGES = 4
PREVIEW_DPI = 72


class RebuildError(PipelineError):
    """A document that cannot be rebuilt from the workbench; the message says why."""


@dataclass(frozen=True)
class RebuildSettings:
    """What the server was started with and every rebuild uses."""

    out_dir: Path
    cache: Path
    glossary: Glossary | None = None
    leaflet_config: LeafletConfig | None = None  # None: the defaults
    engine: str | None = None  # None: the engine report.json names, else auto
    url: str | None = None
    routes: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)  # engines.yml
    engine_paths: EnginePaths = field(default_factory=EnginePaths.from_env)  # read at start


@dataclass
class RebuildStatus:
    """What the page shows about a document's rebuild."""

    document: str
    state: str = "idle"  # idle | running | done | failed
    outputs: int = 0
    outputs_done: int = 0
    segments: int = 0
    segments_done: int = 0
    message: str = ""
    files: list[str] = field(default_factory=list)  # paths relative to the document folder
    previews: dict[str, int] = field(default_factory=dict)  # PDF (relative) → pages rendered
    started: float = 0.0
    finished: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "state": self.state,
            "outputs": self.outputs,
            "outputs_done": self.outputs_done,
            "segments": self.segments,
            "segments_done": self.segments_done,
            "message": self.message,
            "files": list(self.files),
            "previews": dict(self.previews),
            "seconds": round((self.finished or time.monotonic()) - self.started, 1)
            if self.started
            else 0.0,
        }


class _PageProgress(Progress):
    def __init__(self, status: RebuildStatus, lock: threading.Lock) -> None:
        self.status = status
        self.lock = lock

    def start(self, outputs: int, segments: int) -> None:
        with self.lock:
            self.status.outputs, self.status.segments = outputs, segments

    def more_segments(self, n: int) -> None:
        with self.lock:
            self.status.segments += n

    def segments_done(self, n: int) -> None:
        with self.lock:
            self.status.segments_done += n

    def output_done(self, description: str) -> None:
        with self.lock:
            self.status.outputs_done += 1
            self.status.message = f"wrote {description}"


def rebuild_options(folder: Path, settings: RebuildSettings) -> Batch:
    """The batch that rebuilds the document in ``folder`` as its last run made it."""
    report = read_report(folder)
    targets: dict[str, dict[str, Any]] = report.get("targets") or {}
    source = _source_of(folder, report)
    written = [
        (kind, str(path))
        for t in targets.values()
        for kind, path in (t.get("outputs") or {}).items()
    ]
    layout = next((kind for kind, _ in written if kind in LAYOUTS), None)
    leaflets = " ".join(Path(path).name for kind, path in written if kind == layout)
    kind = str((report.get("source") or {}).get("format") or "")
    in_place = any(t.get("route") == "in-place" for t in targets.values())
    leaflet = None
    if layout is not None:
        leaflet = LeafletOptions(
            layout, bw=".bw." in leaflets, bleed=".bleed." in leaflets, two_up=".2up." in leaflets
        )
    mode = OutputMode(
        targets=tuple(targets),
        source_lang=str((report.get("detected") or {}).get("language") or "auto"),
        formats=tuple(f for f in FORMATS if f in dict(written)) or FORMATS,
        engine=EngineOptions(
            choice=_engine_choice(targets, settings),
            url=settings.url,
            routes=settings.routes,
            paths=settings.engine_paths,
        ),
        glossary=settings.glossary,
        leaflet=leaflet,
        leaflet_config=settings.leaflet_config if leaflet is not None else None,
        review=True,
        restyle=kind in ("docx", "odt") and not in_place,
    )
    control = RunControl(cache=settings.cache)
    return Batch(paths=(source,), out_dir=settings.out_dir, mode=mode, control=control)


def _source_of(folder: Path, report: dict[str, Any]) -> Path:
    """The document's source file, when it is there and a batch of it alone writes ``folder``."""
    source = Path(str((report.get("source") or {}).get("path") or ""))
    if not report.get("targets") or not source.name:
        raise RebuildError(
            f"{folder / 'report.json'}: missing or unreadable; run `pipeline translate` again"
        )
    if not source.is_file():
        raise RebuildError(f"the source {source} is not there any more")
    if output_names([source], [source])[0] != folder.name:
        raise RebuildError(
            f"{folder.name} was translated as part of a folder; rebuild it with "
            "`pipeline translate` on that folder"
        )
    return source


def _engine_choice(targets: dict[str, dict[str, Any]], settings: RebuildSettings) -> str:
    """``--engine`` of the server, else the one engine the report names, else auto."""
    if settings.engine:
        return settings.engine
    used = {str(t.get("engine")) for t in targets.values()}
    used -= {"None", "identity", "memory"}
    engine = used.pop() if len(used) == 1 else "auto"
    return engine if engine in ENGINE_CHOICES else "auto"


RunBatch = Callable[[Batch, Progress], RunResult]


class Rebuilder:
    """Runs rebuilds in background threads, one per document at a time, and keeps their status."""

    def __init__(self, settings: RebuildSettings, preview_dir: Path, run: RunBatch | None = None):
        self.settings = settings
        self.preview_dir = preview_dir
        self._run = run
        self._lock = threading.Lock()
        self._status: dict[str, RebuildStatus] = {}
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()

    def status(self, document: str) -> dict[str, Any]:
        with self._lock:
            return self._status.get(document, RebuildStatus(document)).as_json()

    def start(self, folder: Path) -> dict[str, Any]:
        """Start rebuilding the document in ``folder``; its status (already running: unchanged)."""
        document = folder.name
        with self._lock:
            current = self._status.get(document)
            if current is not None and current.state == "running":
                return current.as_json()
            status = RebuildStatus(document, state="running", started=time.monotonic())
            status.message = "starting"
            self._status[document] = status
        thread = threading.Thread(
            target=self._rebuild, args=(folder, status), name=f"rebuild {document}", daemon=True
        )
        self._threads.append(thread)
        thread.start()
        return self.status(document)

    def stop(self, timeout: float = 30.0) -> None:
        """Ask running rebuilds to stop after the file being written, and wait for them."""
        self._stop.set()
        self.wait(timeout)

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the rebuilds started so far to finish."""
        for thread in list(self._threads):
            thread.join(timeout)

    def _rebuild(self, folder: Path, status: RebuildStatus) -> None:
        try:
            batch = rebuild_options(folder, self.settings)
            batch = replace(batch, control=replace(batch.control, stop=self._stop))
            result = self._runner()(batch, _PageProgress(status, self._lock))
            problems = [f"{f.path}: {f.reason}" for f in result.failures]
            problems += [f"not done: {item}" for item in result.not_done]
            files = self._files(folder)
            previews = {pdf: self._render(folder, pdf) for pdf in files if pdf.endswith(".pdf")}
            done = "outputs already up to date" if result.unchanged else "rebuilt"
            with self._lock:
                status.files, status.previews = files, previews
                status.state = "failed" if problems else "done"
                status.message = "; ".join(problems) if problems else done
        except (PipelineError, OSError, subprocess.SubprocessError) as exc:
            with self._lock:
                status.state, status.message = "failed", str(exc)
        except Exception as exc:  # noqa: BLE001 - shown on the page instead of killing the thread
            with self._lock:
                status.state, status.message = "failed", f"unexpected error: {exc!r}"
        finally:
            with self._lock:
                status.finished = time.monotonic()

    def _runner(self) -> RunBatch:
        if self._run is not None:
            return self._run
        from pipeline.run import run_batch

        return run_batch

    def _files(self, folder: Path) -> list[str]:
        report = read_report(folder)
        paths = [
            p
            for t in (report.get("targets") or {}).values()
            for p in (t.get("outputs") or {}).values()
        ]
        found = []
        for path in paths:
            try:
                relative = Path(path).resolve().relative_to(folder.resolve())
            except ValueError:
                continue
            if (folder / relative).is_file():
                found.append(relative.as_posix())
        return sorted(set(found))

    def preview_path(self, document: str, pdf: str, page: int) -> Path:
        return self.preview_dir / document / f"{pdf}.{page}.png"

    def _render(self, folder: Path, pdf: str) -> int:
        """Render the first pages of ``folder/pdf`` to PNG with poppler's pdftoppm (installed
        with the pipeline); how many were rendered (0 without pdftoppm)."""
        from pypdf import PdfReader

        tool = shutil.which("pdftoppm")
        if tool is None:
            return 0
        count = min(PREVIEW_PAGES, len(PdfReader(folder / pdf).pages))
        for number in range(1, count + 1):
            target = self.preview_path(folder.name, pdf, number)
            target.parent.mkdir(parents=True, exist_ok=True)
            command = [tool, "-png", "-r", str(PREVIEW_DPI), "-f", str(number), "-l", str(number)]
            command += ["-singlefile", str(folder / pdf), str(target.with_suffix(""))]
            subprocess.run(command, check=True, capture_output=True, timeout=120)
        return count
