"""One batch: documents × target languages → translated DOCX/PDF files and report.json.

The stages run in this order for the whole batch, so that each language pair goes through
its engine in one call (one Apertium process, one CTranslate2 batch):

    read → detect → segment → (per language pair: memory, engine) → rebuild → write → report
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import detect
from pipeline.document import LANGUAGES, Document, Segment
from pipeline.engines.base import Engine, EngineError, Route, Translation
from pipeline.engines.registry import EngineOptions, EngineSet
from pipeline.export.atomic import write_text_atomic
from pipeline.glossary import TOKEN_PLACEHOLDER, Glossary, GlossaryReport
from pipeline.ingest import ReadError, file_sha256, find_sources, read_document
from pipeline.memory import (
    MemoryFileError,
    MemoryKey,
    MemoryResult,
    TranslationMemory,
    translate_with_memory,
)
from pipeline.segment import (
    RebuildStats,
    SegmentedBlock,
    rebuild_block,
    repair_markers,
    segment_document,
    strip_markers,
)
from pipeline.typography import fix_segment

FORMATS = ("docx", "pdf")
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
    layout: str = "document"  # "document" or one of pipeline.layouts.LAYOUTS
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
    origins: list[str] = field(default_factory=list)  # per segment: identity|machine|cache|approved
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

    @property
    def segments(self) -> list[Segment]:
        """Every segment of the document in order; a target's ``translations`` index these."""
        return [seg for sb in self.segmented for seg in sb.segments]


@dataclass
class RunResult:
    reports: list[Path] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    jobs: list[DocumentJob] = field(default_factory=list)
    skipped: list[Failure] = field(default_factory=list)  # files found but not read, and why

    @property
    def exit_code(self) -> int:
        return 1 if self.failures else 0


class Progress:
    """Hooks the CLI implements to show progress; the default does nothing."""

    def start(self, outputs: int, segments: int) -> None: ...

    def segments_done(self, n: int) -> None: ...

    def output_done(self, description: str) -> None: ...


def _stems(files: list[Path]) -> list[str]:
    seen: dict[str, int] = {}
    for f in files:
        seen[f.stem] = seen.get(f.stem, 0) + 1
    return [
        f.stem if seen[f.stem] == 1 else f"{f.stem}-{f.suffix.lstrip('.').lower()}" for f in files
    ]


def run_batch(
    options: RunOptions, progress: Progress | None = None, engines: EngineSet | None = None
) -> RunResult:
    """Translate every document in ``options.paths`` into every target language."""
    progress = progress or Progress()
    result = RunResult()
    sources = find_sources(
        options.paths, exclude=[options.out_dir], follow_links=options.follow_links
    )
    files = sources.files
    result.failures.extend(Failure(str(path), reason) for path, reason in sources.problems)
    result.skipped.extend(Failure(str(path), reason) for path, reason in sources.skipped)
    jobs = [
        DocumentJob(path=f, stem=s, out_dir=options.out_dir / s)
        for f, s in zip(files, _stems(files), strict=True)
    ]
    result.jobs = jobs

    with ThreadPoolExecutor(max_workers=options.jobs) as pool:
        list(pool.map(lambda job: _prepare(job, options), jobs))
    result.failures.extend(Failure(str(j.path), j.error) for j in jobs if j.error)

    ready = [j for j in jobs if j.doc is not None]
    total_segments = sum(
        len(s.segments)
        for j in ready
        for s in j.segmented
        for t in options.targets
        if t != j.doc.lang  # type: ignore[union-attr]
    )
    progress.start(len(ready) * len(options.targets), total_segments)

    engines = engines or EngineSet(options.engine)
    memory = TranslationMemory(options.cache) if options.cache else None  # MemoryFileError: CLI
    try:
        _translate_all(ready, options, engines, progress, memory)
    finally:
        if memory is not None:
            memory.close()

    def finish(job: DocumentJob) -> None:
        for lang in options.targets:
            target = job.targets[lang]
            if options.glossary is not None:
                target.glossary = verify_glossary(job, target, options.glossary)
            _review_entries(job, target, options)
            if target.error is None:  # translated: reviewers get their files even if a PDF fails
                _write_outputs(job, target, options)
                _write_review(job, target, options)
            progress.output_done(f"{job.stem} → {lang}")

    with ThreadPoolExecutor(max_workers=options.jobs) as pool:
        list(pool.map(finish, ready))
    for job in ready:
        for lang, target in job.targets.items():
            if target.error is not None:
                result.failures.append(Failure(str(job.path), f"{lang}: {target.error}"))
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
        job.sha256 = file_sha256(job.path)
        doc = read_document(job.path)
    except ReadError as exc:
        job.error = str(exc)
        return
    except OSError as exc:
        job.error = f"cannot read: {exc.strerror or exc}"
        return
    given = None if options.source_lang == "auto" else options.source_lang
    try:
        # With --from the document's language is given; its blocks are still detected.
        detected = detect.detect_document(doc, language=given, detector=options.detector)
    except detect.DetectorUnavailable as exc:
        job.error = str(exc)
        return
    job.detection, job.language_given = detected, given is not None
    doc.lang, doc.lang_confidence = detected.language, detected.confidence
    if detected.warning and options.strict:
        job.error = f"{detected.warning} (refused with --strict)"
        return
    for block_lang in detected.foreign_blocks():
        doc.blocks[block_lang.index].lang = block_lang.language
    if doc.lang not in detect.TRANSLATABLE:
        job.error = f"{detect.unsupported_message(doc.lang or 'und')}; use --from to override"
        return
    job.doc = doc
    job.segmented = segment_document(doc, doc.lang)
    for lang in options.targets:
        job.targets[lang] = TargetResult(lang=lang)


def _translate_all(
    jobs: list[DocumentJob],
    options: RunOptions,
    engines: EngineSet,
    progress: Progress,
    memory: TranslationMemory | None = None,
) -> None:
    """Translate every pending segment, one engine call per (source, target) pair."""
    # (src, tgt) → list of (job, flat segment index, text)
    pending: dict[tuple[str, str], list[tuple[DocumentJob, int, str]]] = {}
    for job in jobs:
        assert job.doc is not None
        flat = job.segments
        for lang in options.targets:
            target = job.targets[lang]
            target.translations = [seg.text for seg in flat]
            target.origins = ["identity"] * len(flat)
            for i, seg in enumerate(flat):
                if seg.lang == lang:
                    continue
                if seg.lang != job.doc.lang and (
                    options.keep_foreign or seg.lang not in detect.TRANSLATABLE
                ):
                    why = "--keep-foreign" if options.keep_foreign else "no engine"
                    target.kept_blocks[seg.block] = why
                    continue
                pending.setdefault((seg.lang, lang), []).append((job, i, seg.text))

    for (src, tgt), items in pending.items():
        _translate_pair(src, tgt, items, options, engines, progress, memory)


def _translate_pair(
    src: str,
    tgt: str,
    items: list[tuple[DocumentJob, int, str]],
    options: RunOptions,
    engines: EngineSet,
    progress: Progress,
    memory: TranslationMemory | None = None,
) -> None:
    """All pending segments of one language pair: approved translations from the memory first
    (they need no engine), then cached ones and one engine call (glossary around it) for the
    rest. When no engine can be had, only the segments that need one fail."""
    glossary = options.glossary
    texts = [text for _, _, text in items]
    started = time.perf_counter()
    results: list[MemoryResult | None] = [None] * len(items)
    try:
        approved = memory.get_approved(src, tgt, texts) if memory else {}
    except MemoryFileError as exc:
        _fail_pair(items, src, tgt, str(exc))
        return
    for k, text in enumerate(texts):
        if text in approved:
            entry = approved[text]
            results[k] = MemoryResult(entry.target, "approved", reviewer=entry.reviewer)
    need = [k for k, result in enumerate(results) if result is None]

    route: Route | None = None
    failure: str | None = None
    try:
        engine, route = engines.choose(src, tgt)
    except EngineError as exc:
        failure = str(exc)

    def machine(batch: list[str]) -> list[Translation]:
        protected = glossary.protect(batch, src, tgt, engine.name) if glossary else None
        answers = _call_engine(engine, protected.texts if protected else batch, src, tgt, progress)
        drafts = [a.text for a in answers]
        if glossary and protected:
            drafts = glossary.restore(drafts, protected)
        return [Translation(d, a.unknown_words) for d, a in zip(drafts, answers, strict=True)]

    if need and route is not None:
        key = MemoryKey.from_route(route, src, tgt, glossary.version if glossary else "")
        try:
            found = translate_with_memory(
                memory, key, [texts[k] for k in need], machine, force=options.force
            )
        except (EngineError, MemoryFileError) as exc:
            failure = str(exc)
        else:
            for k, result in zip(need, found, strict=True):
                results[k] = result
    progress.segments_done(sum(r is not None and r.origin != "machine" for r in results))
    elapsed = time.perf_counter() - started

    done = [(item, r) for item, r in zip(items, results, strict=True) if r is not None]
    affected = {id(job): job for (job, _, _), _ in done}
    per_job: dict[int, int] = {}
    for (job, i, text), result in done:
        target = job.targets[tgt]
        target.origins[i] = result.origin
        if result.origin == "approved":
            target.translations[i] = result.text  # exactly as the reviewer wrote it
            target.approved += 1
        else:
            # Markers made whole here, so QA, review files and the memory see clean drafts.
            stats = RebuildStats()
            target.translations[i] = fix_segment(repair_markers(text, result.text, stats), tgt)
            target.markers_repaired += stats.markers_repaired
            if result.origin == "cache":
                target.from_memory += 1
            else:
                target.machine_translated += 1
        unknown = _really_unknown(result.unknown_words, text, src, tgt, options)
        target.untranslated.extend(unknown)
        target.unknown[i] = unknown
        per_job[id(job)] = per_job.get(id(job), 0) + 1
        if target.route is None or (job.doc is not None and job.doc.lang == src):
            target.route = route or MEMORY_ONLY
    for job_id, count in per_job.items():
        affected[job_id].targets[tgt].seconds += elapsed * count / max(len(done), 1)
    failed = [item for item, result in zip(items, results, strict=True) if result is None]
    if failed:
        _fail_pair(failed, src, tgt, failure or "no engine")
    if memory is not None:  # approved translations of similar sentences, for the reviewer
        rest = [item for item, r in done if r.origin != "approved"]
        similar = memory.fuzzy_many(src, tgt, [text for _, _, text in rest])
        for job, i, text in rest:
            if similar.get(text):
                job.targets[tgt].fuzzy[i] = similar[text]


def _fail_pair(items: list[tuple[DocumentJob, int, str]], src: str, tgt: str, reason: str) -> None:
    """Segments no engine could translate: their document's target fails with ``reason`` (and
    how many segments needed the engine, when approved translations covered the others); a
    foreign block is kept as it is."""
    needing: dict[int, tuple[DocumentJob, int]] = {}
    for job, i, _ in items:
        if job.doc is not None and job.doc.lang == src:
            needing[id(job)] = (job, needing.get(id(job), (job, 0))[1] + 1)
        else:  # a foreign block no engine can translate: kept as it is
            job.targets[tgt].kept_blocks[job.segments[i].block] = "no engine"
    for job, count in needing.values():
        target = job.targets[tgt]
        target.error = reason
        used = target.approved
        if used:
            target.error += (
                f" ({_count(count, 'segment')} could not be translated; "
                f"{_count(used, 'approved translation')} from the memory used)"
            )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _really_unknown(
    words: tuple[str, ...], source: str, src: str, tgt: str, options: RunOptions
) -> list[str]:
    """Unknown words minus those the glossary rendered (names kept on purpose)."""
    if not words or options.glossary is None:
        return list(words)
    covered = " ".join(
        t["term"] + " " + t["expected"] for t in options.glossary.terms_in(source, src, tgt)
    )
    return [w for w in words if w not in covered]


def _call_engine(
    engine: Engine, texts: list[str], src: str, tgt: str, progress: Progress
) -> list[Translation]:
    """The engine's translations; an engine that cannot keep markers gets plain text."""
    if not engine.markup:
        texts = [strip_markers(t) for t in texts]
    return engine.translate(texts, src, tgt, progress=progress.segments_done)


def verify_glossary(job: DocumentJob, target: TargetResult, glossary: Glossary) -> GlossaryReport:
    """Glossary compliance of one document's translation (segments grouped by source language)."""
    flat = job.segments
    report = GlossaryReport()
    for lang in sorted({seg.lang for seg in flat}):
        if lang == target.lang:
            continue
        idx = [i for i, seg in enumerate(flat) if seg.lang == lang]
        report = report + glossary.verify(
            [flat[i].text for i in idx],
            [target.translations[i] for i in idx],
            lang,
            target.lang,
            [flat[i].id for i in idx],
        )
    return report


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
    target.markers_repaired += stats.markers_repaired  # approved drafts with broken markers
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
        target.route = IDENTITY
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
    if options.layout != "document":
        _write_leaflet(job, target, doc, options)


def _write_leaflet(
    job: DocumentJob, target: TargetResult, doc: Document, options: RunOptions
) -> None:
    from pipeline.export.leaflet import LeafletError, leaflet_filename, write_leaflet
    from pipeline.leaflet_config import LeafletConfig

    assert job.doc is not None
    if options.layout == "bilingual" and target.lang == job.doc.lang:
        return  # the original beside itself is not a bilingual edition
    name = leaflet_filename(
        job.stem,
        target.lang,
        options.layout,
        src=job.doc.lang,
        bw=options.bw,
        bleed=options.bleed,
        two_up=options.two_up,
    )
    try:
        result = write_leaflet(
            doc,
            job.out_dir / name,
            options.layout,
            options.leaflet_config or LeafletConfig(),
            lang=target.lang,
            original=job.doc,
            bleed=options.bleed,
            bw=options.bw,
            two_up=options.two_up,
        )
    except LeafletError as exc:
        target.error = str(exc)
        return
    except OSError as exc:
        target.error = f"cannot write {job.out_dir / name}: {exc.strerror or exc}"
        return
    target.outputs[options.layout] = str(result.path)
    target.leaflet = result.as_dict()


def report_data(job: DocumentJob) -> dict[str, Any]:
    """report.json's content for one document."""
    doc = job.doc
    data: dict[str, Any] = {
        "source": {
            "path": str(job.path),
            "sha256": job.sha256,
            "format": job.path.suffix.lower().lstrip("."),
            "encoding": doc.encoding if doc else None,
        },
        "notes": list(doc.notes) if doc else [],
        "detected": {
            "language": doc.lang if doc else None,
            "confidence": round(doc.lang_confidence, 4) if doc else 0.0,
            "source": "--from" if job.language_given else "detected",
            "warning": job.detection.warning if job.detection else None,
        },
        "targets": {},
    }
    foreign = job.detection.foreign_blocks() if job.detection else []
    if job.error:
        data["error"] = job.error
    for lang, target in job.targets.items():
        route = target.route or IDENTITY
        total = len(target.translations)
        entry: dict[str, Any] = {
            "engine": route.engine,
            "model": route.model,
            "pivot": route.pivot,
            "segments": {
                "total": total,
                "machine_translated": target.machine_translated,
                "from_memory": target.from_memory,
                "approved": target.approved,
                "fuzzy_suggested": len(target.fuzzy),
            },
            "qa": list(target.qa),
            "untranslated_words": len(target.untranslated),
            "untranslated": sorted(set(target.untranslated))[:100],
            "markers_repaired": target.markers_repaired,
            "outputs": dict(target.outputs),
            "seconds": round(target.seconds, 3),
        }
        if target.glossary is not None:
            entry["glossary"] = target.glossary.as_json()
        if target.leaflet is not None:
            entry["leaflet"] = target.leaflet
        if target.error:
            entry["error"] = target.error
        entry["foreign_blocks"] = [
            {
                "index": b.index,
                "language": b.language,
                "confidence": b.confidence,
                "action": (
                    f"kept ({target.kept_blocks[b.index]})"
                    if b.index in target.kept_blocks
                    else "identity"
                    if b.language == lang
                    else f"translated from {b.language}"
                ),
            }
            for b in foreign
        ]
        data["targets"][lang] = entry
    return data


def _write_report(job: DocumentJob) -> Path | None:
    path = job.out_dir / "report.json"
    try:
        write_text_atomic(path, json.dumps(report_data(job), ensure_ascii=False, indent=2) + "\n")
    except OSError:
        return None
    return path


def _review_entries(job: DocumentJob, target: TargetResult, options: RunOptions) -> None:
    """Sidecar entries, with QA findings, for every segment of one document × target."""
    from pipeline.review import segment_entry

    flat = job.segments
    misses: dict[str, list[str]] = {}
    for miss in target.glossary.misses if target.glossary else []:
        misses.setdefault(miss["segment"], []).append(miss["expected"])
    glossary = options.glossary
    target.review_entries = [
        segment_entry(
            seg.id,
            seg.text,
            text,
            seg.lang,
            target.lang,
            block=seg.block,
            origin="kept" if seg.block in target.kept_blocks else origin,
            glossary=glossary.terms_in(seg.text, seg.lang, target.lang) if glossary else (),
            expected_terms=misses.get(seg.id, []) if glossary else None,
            fuzzy=target.fuzzy.get(i, ()),
            unknown_words=target.unknown.get(i, ()),
            placeholder_patterns=(TOKEN_PLACEHOLDER,),
        )
        for i, (seg, text, origin) in enumerate(
            zip(flat, target.translations, target.origins, strict=True)
        )
    ]
    target.qa = [q for entry in target.review_entries for q in entry["qa"]]


def _write_review(job: DocumentJob, target: TargetResult, options: RunOptions) -> None:
    """The segments sidecar always; the review DOCX and XLIFF with --review."""
    from pipeline.review import ReviewError, sidecar_path, write_review_files, write_sidecar

    assert job.doc is not None
    if job.doc.lang == target.lang:
        return  # nothing was translated, nothing to review
    route = target.route or IDENTITY
    path = sidecar_path(job.out_dir, job.stem, job.doc.lang or "", target.lang)
    try:
        write_sidecar(
            path,
            document=job.stem,
            src=job.doc.lang or "",
            tgt=target.lang,
            segments=target.review_entries,
            source_path=str(job.path),
            source_sha256=job.sha256,
            engine=route.engine,
            model=route.model or "",
        )
        if options.review:
            files = write_review_files(path)
            target.outputs["review_docx"] = str(files["docx"])
            target.outputs["xliff"] = str(files["xliff"])
    except (ReviewError, OSError) as exc:
        target.error = target.error or f"cannot write review files: {exc}"
