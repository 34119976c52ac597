"""One batch: documents × target languages → translated DOCX/PDF files and report.json.

The stages run in this order for the whole batch, so that each language pair goes through
its engine in one call (one Apertium process, one CTranslate2 batch):

    read → detect → segment → (per language pair: memory, engine) → rebuild → write → report
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.detect import detect_document
from pipeline.document import LANGUAGE_NAMES, LANGUAGES, Document
from pipeline.engines.base import EngineError, Route, Translation
from pipeline.engines.registry import EngineOptions, EngineSet
from pipeline.export.atomic import write_text_atomic
from pipeline.ingest import SUPPORTED, ReadError, read_document
from pipeline.segment import RebuildStats, SegmentedBlock, rebuild_block, segment_document

FORMATS = ("docx", "pdf")


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
    untranslated: list[str] = field(default_factory=list)
    seconds: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    markers_repaired: int = 0


@dataclass
class DocumentJob:
    """One source document on its way through the stages."""

    path: Path
    stem: str
    doc: Document | None = None
    sha256: str = ""
    segmented: list[SegmentedBlock] = field(default_factory=list)
    targets: dict[str, TargetResult] = field(default_factory=dict)
    error: str | None = None

    @property
    def out_dir(self) -> Path:
        return self._out / self.stem

    _out: Path = Path("output")


@dataclass
class RunResult:
    reports: list[Path] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    jobs: list[DocumentJob] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.failures else 0


class Progress:
    """Hooks the CLI implements to show progress; the default does nothing."""

    def start(self, outputs: int, segments: int) -> None: ...

    def segments_done(self, n: int) -> None: ...

    def output_done(self, description: str) -> None: ...


def collect_sources(paths: list[Path]) -> tuple[list[Path], list[Failure]]:
    """Expand folders into their supported files (sorted); report paths that do not exist."""
    files: list[Path] = []
    failures: list[Failure] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in SUPPORTED and not p.name.startswith(".")
            )
            if not found:
                failures.append(
                    Failure(str(path), f"no source files ({', '.join(SUPPORTED)}) in this folder")
                )
            files.extend(found)
        elif path.exists() or path.is_symlink():
            files.append(path)
        else:
            failures.append(Failure(str(path), "no such file or folder"))
    return files, failures


def _stems(files: list[Path]) -> list[str]:
    seen: dict[str, int] = {}
    for f in files:
        seen[f.stem] = seen.get(f.stem, 0) + 1
    return [
        f.stem if seen[f.stem] == 1 else f"{f.stem}-{f.suffix.lstrip('.').lower()}" for f in files
    ]


def run_batch(options: RunOptions, progress: Progress | None = None) -> RunResult:
    """Translate every document in ``options.paths`` into every target language."""
    progress = progress or Progress()
    result = RunResult()
    files, failures = collect_sources(options.paths)
    result.failures.extend(failures)
    jobs = [
        DocumentJob(path=f, stem=s, _out=options.out_dir)
        for f, s in zip(files, _stems(files), strict=True)
    ]
    result.jobs = jobs

    for job in jobs:
        _prepare(job, options)
        if job.error:
            result.failures.append(Failure(str(job.path), job.error))

    ready = [j for j in jobs if j.doc is not None]
    total_segments = sum(
        len(s.segments)
        for j in ready
        for s in j.segmented
        for t in options.targets
        if t != j.doc.lang  # type: ignore[union-attr]
    )
    progress.start(len(ready) * len(options.targets), total_segments)

    engines = EngineSet(options.engine)
    _translate_all(ready, options, engines, progress)

    for job in ready:
        for lang in options.targets:
            target = job.targets[lang]
            if target.error is None:
                _write_outputs(job, target, options)
            if target.error is not None:
                result.failures.append(Failure(str(job.path), f"{lang}: {target.error}"))
            progress.output_done(f"{job.stem} → {lang}")
        report = _write_report(job)
        if report is not None:
            result.reports.append(report)
        else:
            result.failures.append(
                Failure(str(job.path), f"cannot write {job.out_dir / 'report.json'}")
            )
    return result


def _prepare(job: DocumentJob, options: RunOptions) -> None:
    """Read, detect and segment one document; errors become ``job.error``."""
    try:
        job.sha256 = hashlib.sha256(job.path.read_bytes()).hexdigest()
        doc = read_document(job.path)
    except ReadError as exc:
        job.error = str(exc)
        return
    except OSError as exc:
        job.error = f"cannot read: {exc.strerror or exc}"
        return
    if options.source_lang != "auto":
        doc.lang, doc.lang_confidence = options.source_lang, 1.0
    else:
        detected = detect_document(doc)
        doc.lang, doc.lang_confidence = detected.language, detected.confidence
        for block_lang in detected.blocks:
            if block_lang.language != detected.language and block_lang.language in LANGUAGES:
                doc.blocks[block_lang.index].lang = block_lang.language
    if doc.lang not in LANGUAGES:
        name = LANGUAGE_NAMES.get(doc.lang or "", doc.lang)
        job.error = (
            f"written in {name} ({doc.lang}), which this pipeline does not translate from "
            f"(it translates from {', '.join(LANGUAGES)}); use --from to override"
        )
        return
    job.doc = doc
    job.segmented = segment_document(doc, doc.lang)
    for lang in options.targets:
        job.targets[lang] = TargetResult(lang=lang)


def _translate_all(
    jobs: list[DocumentJob], options: RunOptions, engines: EngineSet, progress: Progress
) -> None:
    """Translate every pending segment, one engine call per (source, target) pair."""
    # (src, tgt) → list of (job, flat segment index, text)
    pending: dict[tuple[str, str], list[tuple[DocumentJob, int, str]]] = {}
    for job in jobs:
        assert job.doc is not None
        flat = [seg for sb in job.segmented for seg in sb.segments]
        for lang in options.targets:
            target = job.targets[lang]
            target.translations = [seg.text for seg in flat]
            for i, seg in enumerate(flat):
                if seg.lang != lang:
                    pending.setdefault((seg.lang, lang), []).append((job, i, seg.text))

    for (src, tgt), items in pending.items():
        affected = {id(job): job for job, _, _ in items}
        try:
            engine, route = engines.choose(src, tgt)
            started = time.perf_counter()
            texts = [text for _, _, text in items]
            results = _call_engine(engine, texts, src, tgt, progress)
            elapsed = time.perf_counter() - started
        except EngineError as exc:
            for job in affected.values():
                target = job.targets[tgt]
                if job.doc is not None and job.doc.lang == src:
                    target.error = str(exc)
            continue
        per_job: dict[int, int] = {}
        for (job, i, _), translation in zip(items, results, strict=True):
            target = job.targets[tgt]
            target.translations[i] = translation.text
            target.machine_translated += 1
            target.untranslated.extend(translation.unknown_words)
            per_job[id(job)] = per_job.get(id(job), 0) + 1
            if target.route is None or (job.doc is not None and job.doc.lang == src):
                target.route = route
        for job_id, count in per_job.items():
            affected[job_id].targets[tgt].seconds += elapsed * count / max(len(items), 1)


def _call_engine(
    engine, texts: list[str], src: str, tgt: str, progress: Progress
) -> list[Translation]:  # noqa: ANN001
    if engine.markup:
        return engine.translate(texts, src, tgt, progress=progress.segments_done)
    from pipeline.segment import strip_markers

    return engine.translate(
        [strip_markers(t) for t in texts], src, tgt, progress=progress.segments_done
    )


def translated_document(job: DocumentJob, target: TargetResult) -> Document:
    """The job's document with every block's text replaced by the target translations."""
    assert job.doc is not None
    stats = RebuildStats()
    blocks = []
    cursor = 0
    for sb in job.segmented:
        n = len(sb.segments)
        blocks.append(
            rebuild_block(sb, target.translations[cursor : cursor + n], target.lang, stats)
        )
        cursor += n
    target.markers_repaired = stats.markers_repaired
    return Document(
        blocks=blocks,
        source_path=job.doc.source_path,
        source_format=job.doc.source_format,
        lang=target.lang,
        lang_confidence=1.0,
        metadata=dict(job.doc.metadata),
    )


def output_path(job: DocumentJob, lang: str, fmt: str) -> Path:
    return job.out_dir / f"{job.stem}.{lang}.{fmt}"


def _write_outputs(job: DocumentJob, target: TargetResult, options: RunOptions) -> None:
    from pipeline.export.docx import ExportError, write_docx
    from pipeline.export.pdf import write_pdf

    doc = translated_document(job, target)
    if target.route is None:
        target.route = Route(engine="identity")
    writers: dict[str, Callable[[Path], None]] = {
        "docx": lambda p: write_docx(doc, p, target.lang, subject=job.path.name),
        "pdf": lambda p: write_pdf(doc, p, target.lang),
    }
    for fmt in options.formats:
        path = output_path(job, target.lang, fmt)
        try:
            writers[fmt](path)
        except ExportError as exc:
            target.error = str(exc)
            return
        except OSError as exc:
            target.error = f"cannot write {path}: {exc.strerror or exc}"
            return
        target.outputs[fmt] = str(path)


def report_data(job: DocumentJob) -> dict[str, Any]:
    """report.json's content for one document."""
    doc = job.doc
    data: dict[str, Any] = {
        "source": {
            "path": str(job.path),
            "sha256": job.sha256,
            "format": job.path.suffix.lower().lstrip("."),
        },
        "detected": {
            "language": doc.lang if doc else None,
            "confidence": round(doc.lang_confidence, 4) if doc else 0.0,
        },
        "targets": {},
    }
    if job.error:
        data["error"] = job.error
    for lang, target in job.targets.items():
        route = target.route or Route(engine="identity")
        total = len(target.translations)
        entry: dict[str, Any] = {
            "engine": route.engine,
            "model": route.model,
            "pivot": route.pivot,
            "segments": {
                "total": total,
                "machine_translated": target.machine_translated,
                "from_memory": target.from_memory,
            },
            "untranslated_words": len(target.untranslated),
            "untranslated": sorted(set(target.untranslated))[:100],
            "markers_repaired": target.markers_repaired,
            "outputs": dict(target.outputs),
            "seconds": round(target.seconds, 3),
        }
        if target.error:
            entry["error"] = target.error
        data["targets"][lang] = entry
    return data


def _write_report(job: DocumentJob) -> Path | None:
    path = job.out_dir / "report.json"
    try:
        write_text_atomic(path, json.dumps(report_data(job), ensure_ascii=False, indent=2) + "\n")
    except OSError:
        return None
    return path
