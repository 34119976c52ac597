"""``pipeline translate``: the main job."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.cli.common import (
    CommandError,
    add_cache_option,
    add_reading_options,
    parse_languages,
    print_json,
    print_skipped,
    say,
)
from pipeline.cli.summary import failure_lines, grouped_lines, print_summary, unsure_warnings
from pipeline.detect import LOW_CONFIDENCE
from pipeline.engines.paths import EnginePaths
from pipeline.engines.registry import ENGINE_CHOICES, EngineOptions
from pipeline.export.writers import PDF_ENGINES
from pipeline.leaflet import LAYOUTS, LeafletOptions, LeafletOptionsError
from pipeline.leaflet.pdfboxes import BLEED_MM

if TYPE_CHECKING:  # the run stage (glossary, memory, detection) loads when a command runs
    from pipeline.glossary import Glossary
    from pipeline.jobs import RunResult
    from pipeline.options import Batch


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "translate",
        help="translate statements into en/es/ja and write DOCX and PDF",
        description="Translate every statement in PATH (files or folders; default source_docs/) "
        "into the target languages and write OUT/<stem>/<stem>.<lang>.docx, .pdf and report.json. "
        "Nothing is sent over the network unless --engine libretranslate is chosen.",
    )
    p.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="files or folders (default: source_docs/)",
    )
    p.add_argument(
        "--to",
        default="en,es,ja",
        metavar="LANGS",
        help="target languages, comma-separated (default: en,es,ja)",
    )
    p.add_argument(
        "--from",
        dest="source",
        default="auto",
        choices=["auto", "en", "es", "ja"],
        help="source language; auto detects it per document (default: auto)",
    )
    p.add_argument(
        "--formats",
        default="docx,pdf",
        metavar="LIST",
        help="output formats: docx,pdf (default: both)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("output"),
        metavar="DIR",
        help="output folder (default: output/)",
    )
    p.add_argument(
        "--glossary",
        type=Path,
        default=None,
        metavar="FILE",
        help="movement glossary (default: the glossary.yml nearest the inputs: their folder or a "
        "parent, up to the project root, a folder with .git or pyproject.toml, or your home)",
    )
    p.add_argument(
        "--no-glossary", action="store_true", help="translate without the movement glossary"
    )
    p.add_argument(
        "--engine",
        default="auto",
        choices=ENGINE_CHOICES,
        help="auto: per pair, the order engines.yml gives, else an installed CTranslate2 "
        "model (OPUS-MT, NLLB-200, M2M-100), else Argos (a model or an English pivot), else "
        "Apertium; auto passes over a known-bad or unloadable model, and takes degenerate "
        "(looping, wrong-language) drafts from the next engine (report.json "
        "targets.<lang>.degenerate); ctranslate2: only the installed CTranslate2 models",
    )
    p.add_argument(
        "--engines",
        type=Path,
        default=None,
        metavar="FILE",
        help="engines and models to try per pair with --engine auto, in order, e.g. "
        "`en-ja: [nllb-200-600m, argos]` (default: ./engines.yml when present)",
    )
    p.add_argument(
        "--url", default=None, help="LibreTranslate server URL (with --engine libretranslate)"
    )
    p.add_argument("--api-key", default=None, help="LibreTranslate API key")
    p.add_argument(
        "--lt-concurrency",
        type=int,
        default=None,
        metavar="N",
        help="LibreTranslate: batches sent at once, for a server with several workers or "
        "replicas behind a load balancer (default: $PIPELINE_LT_CONCURRENCY, else 2)",
    )
    p.add_argument(
        "--layout",
        default="document",
        choices=["document", *LAYOUTS],
        help="also lay each translation out as a leaflet, or beside the original (default: document only)",
    )
    p.add_argument(
        "--leaflet-config",
        type=Path,
        default=None,
        metavar="FILE",
        help="leaflet settings: organisation, logo, colours, contact, URL (default: ./leaflet.yml when present)",
    )
    p.add_argument(
        "--bleed",
        action="store_true",
        help=f"leaflets (with --layout): {BLEED_MM:g} mm bleed, crop marks and trim/bleed boxes "
        "for a print shop",
    )
    p.add_argument(
        "--bw",
        action="store_true",
        help="leaflets (with --layout): black and white for photocopying",
    )
    p.add_argument(
        "--two-up",
        action="store_true",
        help="--layout leaflet-a5 only, without --bleed: two copies on A4 landscape, to cut in half",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="documents written in parallel (default: 1)",
    )
    p.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="translate on a Dask cluster: tcp://HOST:PORT or tls://HOST:PORT of a running "
        "`dask scheduler`, or local:N (N worker processes for this run); needs "
        '"statement-pipeline[cluster]"',
    )
    p.add_argument(
        "--wave-tokens",
        type=int,
        default=16384,
        metavar="N",
        help="documents go through the engine and are written in waves of about N tokens, so "
        "memory stays flat however many documents there are (default: 16384; 0: the whole "
        "batch in one engine call per language pair)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object for scripts instead of the summary",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="refuse a document whose detected language is unsure (confidence below "
        f"{LOW_CONFIDENCE:g}) instead of translating it with a warning",
    )
    p.add_argument(
        "--keep-foreign",
        action="store_true",
        help="keep blocks written in another language than the document's as they are "
        "(default: translate them from their own language when an engine can)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="translate again even what the memory already holds, and rebuild documents whose "
        "outputs are up to date (by default an unchanged document is skipped)",
    )
    add_cache_option(p)
    add_reading_options(p)
    p.add_argument(
        "--review",
        action="store_true",
        help="also write a review DOCX and an XLIFF 1.2 file per document and language "
        "(OUT/<stem>/review/); bring corrections back with `pipeline review import`",
    )
    p.add_argument(
        "--allow-blocking",
        action="store_true",
        help="write the PDF and leaflet even of a target with blocking findings (leftover "
        "placeholders or markers, degenerate drafts left as the source, wrong-language "
        "segments); by default they are held back, the DOCX and review files are written, "
        "and the run exits 1",
    )
    p.add_argument(
        "--skip-unavailable",
        action="store_true",
        help="a language pair no engine on this machine covers is skipped with one line naming "
        "the model to install, instead of failing the run (exit 0 when everything the "
        "installed engines can do was written; scripts/quickstart.sh uses it)",
    )
    p.add_argument(
        "--restyle",
        action="store_true",
        help="DOCX/ODT/PDF inputs: re-render them in the pipeline's own style instead of "
        "translating the original file in place (the default)",
    )
    p.add_argument(
        "--pdf-engine",
        default="auto",
        choices=PDF_ENGINES,
        help="who lays the PDF out: libreoffice (the in-place document as it is) or typst "
        "(re-rendered); auto: LibreOffice for in-place DOCX/ODT when installed, else Typst "
        "(a PDF translated in place is the source PDF itself)",
    )
    p.set_defaults(func=run)


@dataclass(frozen=True)
class GlossaryChoice:
    """The glossary a run uses, the summary's line about it, and the warning when none."""

    glossary: Glossary | None
    line: str
    warning: str | None = None


def choose_glossary(args: argparse.Namespace) -> GlossaryChoice:
    """``--glossary FILE``, ``--no-glossary``, else the ``glossary.yml`` nearest the inputs
    (``pipeline.glossary.discovery``); a missing one is a warning, differing ones exit 2."""
    from pipeline.glossary import discovery

    if args.no_glossary:
        return GlossaryChoice(None, "Glossary: none (--no-glossary)")
    if args.glossary is not None:
        glossary = _load_glossary(args.glossary)
        return GlossaryChoice(glossary, f"Glossary: {args.glossary} (--glossary)")
    try:
        found = discovery.resolve(args.paths or [Path("source_docs")])
    except discovery.AmbiguousGlossary as exc:
        raise CommandError(str(exc), 2) from None
    if found.path is None:
        warning = discovery.missing_warning(found)
        return GlossaryChoice(None, "Glossary: none found (see the warning above)", warning)
    glossary = _load_glossary(found.path)
    where = ", ".join(str(p) for p in found.inputs)
    return GlossaryChoice(glossary, f"Glossary: {found.path} (found from {where})")


def options_from_args(args: argparse.Namespace, glossary: GlossaryChoice | None = None) -> Batch:
    """The batch the arguments ask for; the environment (``PIPELINE_LT_CONCURRENCY``, the
    ``PIPELINE_MAX_*`` limits) is read here, once."""
    from pipeline.export.writers import FORMATS
    from pipeline.ingest.limits import Limits
    from pipeline.memory import resolve_memory_path
    from pipeline.options import Batch, OutputMode, RunControl

    formats = [f.strip().lower() for f in args.formats.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise CommandError(
            f"unknown format {', '.join(bad) or args.formats!r}: choose from {', '.join(FORMATS)}",
            2,
        )
    if args.jobs < 1:
        raise CommandError("--jobs must be at least 1", 2)
    if args.wave_tokens < 0:
        raise CommandError("--wave-tokens must be 0 (no waves) or more", 2)
    lt_concurrency = args.lt_concurrency
    if lt_concurrency is None and os.environ.get("PIPELINE_LT_CONCURRENCY"):
        try:
            lt_concurrency = int(os.environ["PIPELINE_LT_CONCURRENCY"])
        except ValueError:
            raise CommandError("PIPELINE_LT_CONCURRENCY must be a whole number", 2) from None
    if lt_concurrency is not None and lt_concurrency < 1:
        raise CommandError("--lt-concurrency must be at least 1", 2)
    routes = _load_routes(args.engines)
    _check_conflicts(args, routes)
    paths = args.paths or [Path("source_docs")]
    chosen = (glossary or choose_glossary(args)).glossary
    leaflet = leaflet_config = None
    if args.layout != "document":
        from pipeline.cli.leaflet import load_config_or_default

        leaflet = LeafletOptions(args.layout, bw=args.bw, bleed=args.bleed, two_up=args.two_up)
        leaflet_config = load_config_or_default(args.leaflet_config)
    mode = OutputMode(
        targets=tuple(parse_languages(args.to)),
        source_lang=args.source,
        formats=tuple(formats),
        engine=EngineOptions(
            choice=args.engine,
            url=args.url,
            api_key=args.api_key,
            routes=routes,
            lt_concurrency=lt_concurrency,
            paths=EnginePaths.from_env(),
        ),
        glossary=chosen,
        leaflet=leaflet,
        leaflet_config=leaflet_config,
        strict=args.strict,
        keep_foreign=args.keep_foreign,
        review=args.review,
        detector=args.detector,
        restyle=args.restyle,
        pdf_engine=args.pdf_engine,
        allow_blocking=args.allow_blocking,
    )
    control = RunControl(
        jobs=args.jobs,
        wave_tokens=args.wave_tokens,
        follow_links=args.follow_links,
        cache=resolve_memory_path(args.cache),
        force=args.force,
        limits=Limits.from_env(),
        skip_unavailable=args.skip_unavailable,
    )
    return Batch(paths=tuple(paths), out_dir=args.out, mode=mode, control=control)


def _check_conflicts(
    args: argparse.Namespace, routes: dict[tuple[str, str], tuple[str, ...]]
) -> None:
    """Options that do not go together are a usage error (exit 2) before anything is read,
    translated or written. ``--url`` also goes with ``--engine auto`` when engines.yml
    (``routes``) names libretranslate for some pair."""
    if args.engine == "libretranslate" and not args.url:
        raise CommandError("--engine libretranslate needs --url URL", 2)
    listed = args.engine == "auto" and any("libretranslate" in r for r in routes.values())
    for option, given in (("--url", args.url), ("--api-key", args.api_key)):
        if given and args.engine != "libretranslate" and not listed:
            raise CommandError(
                f"{option} is for a LibreTranslate server: add --engine libretranslate", 2
            )
    if args.layout == "document":
        given = [o for o, on in (("--bleed", args.bleed), ("--bw", args.bw)) if on]
        if given and not args.two_up:
            raise CommandError(
                f"{' and '.join(given)} {'apply' if len(given) > 1 else 'applies'} to leaflets: "
                "add --layout "
                f"{' or --layout '.join(LAYOUTS)}",
                2,
            )
    if args.layout != "document" or args.two_up:
        try:
            LeafletOptions(args.layout, bw=args.bw, bleed=args.bleed, two_up=args.two_up)
        except LeafletOptionsError as exc:
            raise CommandError(str(exc), 2) from exc
    if args.no_glossary and args.glossary is not None:
        raise CommandError("--glossary and --no-glossary contradict each other: choose one", 2)


def _load_glossary(path: Path) -> Glossary:
    """The glossary in ``path``; a wrong one is a usage error naming the file and line."""
    from pipeline.glossary import GlossaryError, load_glossary

    try:
        return load_glossary(path)
    except GlossaryError as exc:
        raise CommandError(str(exc), 2) from exc


def _load_routes(path: Path | None) -> dict[tuple[str, str], tuple[str, ...]]:
    """engines.yml (``--engines FILE``, else ./engines.yml when present); exit 2 when wrong."""
    from pipeline.engines.routes import RoutesError, load_routes

    try:
        return load_routes(path)
    except RoutesError as exc:
        raise CommandError(str(exc), 2) from exc


def run(args: argparse.Namespace) -> int:
    glossary = choose_glossary(args)
    batch = options_from_args(args, glossary)
    if glossary.warning:
        print(f"warning: {glossary.warning}", file=sys.stderr)
    started = time.perf_counter()
    result = _run_with_progress(
        batch, interactive=sys.stdout.isatty() and not args.json, cluster=args.cluster
    )
    print_skipped([(s.path, s.reason) for s in result.skipped])
    warnings = [*result.warnings, *unsure_warnings(result)]
    _print_problems(result, warnings)
    if args.json:
        print_json(_json_result(result, warnings, batch))
    else:
        print_summary(result, time.perf_counter() - started, glossary.line)
    return result.exit_code


def _run_with_progress(batch: Batch, interactive: bool, cluster: str | None = None) -> RunResult:
    """The batch, with progress bars on a terminal and Ctrl-C stopping it cleanly; on the Dask
    cluster ``cluster`` when given (``pipeline.cluster``)."""
    from pipeline.cluster import cluster_run
    from pipeline.errors import PipelineError
    from pipeline.run import run_batch

    progress = None
    if interactive:
        from pipeline.cli.progress import RichProgress

        progress = RichProgress()
    try:
        with (
            stop_on_interrupt(batch.control.stop),
            cluster_run(cluster, batch) as (engines, stages),
        ):
            return run_batch(batch, progress, engines, stages)
    except PipelineError as exc:  # the memory file cannot be used, the cluster cannot
        raise CommandError(str(exc), getattr(exc, "exit_code", 1)) from None
    finally:
        if progress:
            progress.stop()


def _print_problems(result: RunResult, warnings: list[str]) -> None:
    """Warnings, failures, unavailable pairs and what an interruption left undone, on stderr."""
    for warning in warnings:
        say(f"warning: {warning}", file=sys.stderr)
    for line in failure_lines(result):
        say(line, file=sys.stderr)  # may carry a server's or a file's own words
    for line in grouped_lines(result.unavailable):
        say(f"not available on this machine (skipped): {line}", file=sys.stderr)
    if result.not_done:
        print(
            f"pipeline: interrupted; {len(result.reports)} report.json written; "
            f"not done ({len(result.not_done)}):",
            file=sys.stderr,
        )
        for item in result.not_done:
            print(f"  {item}", file=sys.stderr)


def _json_result(result: RunResult, warnings: list[str], batch: Batch) -> dict[str, object]:
    """``--json``'s object (its fields are the CLI's contract: extend, never rename)."""
    chosen = batch.mode.glossary
    return {
        "documents": [str(p) for p in result.reports],
        "failed": [f.as_json() for f in result.failures],
        "skipped": [s.as_json() for s in result.skipped],
        "unavailable": [s.as_json() for s in result.unavailable],
        "warnings": warnings,
        "unchanged": [str(j.out_dir / "report.json") for j in result.unchanged],
        "seconds": {k: round(v, 3) for k, v in result.seconds.items()},
        "glossary": str(chosen.path) if chosen and chosen.path else None,
    }


@contextmanager
def stop_on_interrupt(stop: threading.Event) -> Iterator[None]:
    """While the batch runs, the first Ctrl-C sets ``stop`` (the batch ends after the file
    being written); a second one stops at once (KeyboardInterrupt)."""

    def first(signum: int, frame: object) -> None:
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        print(
            "pipeline: stopping after the file being written (Ctrl-C again to stop at once)",
            file=sys.stderr,
        )

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, first)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
