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
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.cli.common import (
    CommandError,
    add_cache_option,
    add_reading_options,
    load_given_or_default,
    parse_languages,
    print_json,
    print_skipped,
)
from pipeline.detect import LOW_CONFIDENCE
from pipeline.engines.registry import ENGINE_CHOICES, EngineOptions
from pipeline.export.writers import PDF_ENGINES
from pipeline.leaflet import LAYOUTS, LeafletOptions, LeafletOptionsError
from pipeline.leaflet.pdfboxes import BLEED_MM

if TYPE_CHECKING:  # the run stage (glossary, memory, detection) loads when a command runs
    from pipeline.glossary import Glossary
    from pipeline.jobs import DocumentReport, RunResult, TargetReport
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
        help="movement glossary (default: glossary.yml when present)",
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
        "--restyle",
        action="store_true",
        help="DOCX/ODT inputs: re-render them in the pipeline's own style instead of "
        "translating the original file in place (the default)",
    )
    p.add_argument(
        "--pdf-engine",
        default="auto",
        choices=PDF_ENGINES,
        help="who lays the PDF out: libreoffice (the in-place document as it is) or typst "
        "(re-rendered); auto: LibreOffice for in-place DOCX/ODT when installed, else Typst",
    )
    p.set_defaults(func=run)


def options_from_args(args: argparse.Namespace) -> Batch:
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
    glossary = None if args.no_glossary else _load_glossary(args.glossary)
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
        ),
        glossary=glossary,
        leaflet=leaflet,
        leaflet_config=leaflet_config,
        strict=args.strict,
        keep_foreign=args.keep_foreign,
        review=args.review,
        detector=args.detector,
        restyle=args.restyle,
        pdf_engine=args.pdf_engine,
    )
    control = RunControl(
        jobs=args.jobs,
        wave_tokens=args.wave_tokens,
        follow_links=args.follow_links,
        cache=resolve_memory_path(args.cache),
        force=args.force,
        limits=Limits.from_env(),
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


def _load_glossary(path: Path | None) -> Glossary | None:
    """The glossary in ``path``, else ./glossary.yml when present, else None."""
    from pipeline.glossary import GlossaryError, load_glossary

    return load_given_or_default(path, Path("glossary.yml"), load_glossary, GlossaryError)


def _load_routes(path: Path | None) -> dict[tuple[str, str], tuple[str, ...]]:
    """engines.yml (``--engines FILE``, else ./engines.yml when present); exit 2 when wrong."""
    from pipeline.engines.routes import RoutesError, load_routes

    try:
        return load_routes(path)
    except RoutesError as exc:
        raise CommandError(str(exc), 2) from exc


def run(args: argparse.Namespace) -> int:
    from pipeline.errors import PipelineError
    from pipeline.run import run_batch

    batch = options_from_args(args)
    interactive = sys.stdout.isatty() and not args.json
    progress = None
    if interactive:
        from pipeline.cli.progress import RichProgress

        progress = RichProgress()
    started = time.perf_counter()
    try:
        with stop_on_interrupt(batch.control.stop):
            result = run_batch(batch, progress)
    except PipelineError as exc:  # the memory file cannot be used
        raise CommandError(str(exc), 1) from None
    finally:
        if progress:
            progress.stop()
    print_skipped([(s.path, s.reason) for s in result.skipped])
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for line in failure_lines(result):
        print(line, file=sys.stderr)
    if result.not_done:
        print(
            f"pipeline: interrupted; {len(result.reports)} report.json written; "
            f"not done ({len(result.not_done)}):",
            file=sys.stderr,
        )
        for item in result.not_done:
            print(f"  {item}", file=sys.stderr)
    if args.json:
        print_json(
            {
                "documents": [str(p) for p in result.reports],
                "failed": [f.as_json() for f in result.failures],
                "skipped": [s.as_json() for s in result.skipped],
                "warnings": list(result.warnings),
                "unchanged": [str(j.out_dir / "report.json") for j in result.unchanged],
                "seconds": {k: round(v, 3) for k, v in result.seconds.items()},
            }
        )
    else:
        print_summary(result, time.perf_counter() - started)
    return result.exit_code


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


def failure_lines(result: RunResult) -> list[str]:
    """One line per failure, ``PATH: reason``; a reason shared by several documents (a
    language pair no engine covers, with the commands that fix it) is one line naming them."""
    by_reason: dict[str, list[str]] = {}
    for failure in result.failures:
        by_reason.setdefault(failure.reason, []).append(failure.path)
    lines = []
    for reason, paths in by_reason.items():
        if len(paths) == 1:
            lines.append(f"{paths[0]}: {reason}")
        else:
            lines.append(f"{reason} ({len(paths)} documents: {', '.join(paths)})")
    return lines


def closing_line(result: RunResult) -> str | None:
    """Where the outputs are, only when some were written; else what was written instead."""
    reports = result.reports
    if not reports:
        return None
    root = reports[0].parent.parent
    written = any(target.outputs for doc in result.documents for target in doc.targets.values())
    if written or result.unchanged:
        return f"Outputs and report.json under {root}/"
    return f"No outputs written; report.json under {root}/<document>/ says why for each document"


def print_summary(result: RunResult, seconds: float) -> None:
    """One row per document and language; failures in full are on stderr already."""
    from rich.console import Console
    from rich.table import Table

    console = Console(soft_wrap=False) if sys.stdout.isatty() else Console(width=160)
    table = Table(title=f"Translated in {seconds:.1f} s", title_justify="left")
    leaflets = any(t.leaflet for doc in result.documents for t in doc.targets.values())
    columns = ["document", "lang", "engine", "segments", "glossary", "time"]
    columns += ["leaflet"] if leaflets else []
    for column in [*columns, "problems"]:
        table.add_column(column, no_wrap=column != "problems")
    for doc in result.documents:
        if not doc.unchanged:  # the unchanged ones are counted below the table
            for row in summary_rows(doc, len(columns) - 1, leaflets):
                table.add_row(*row)
    if table.row_count:
        console.print(table)
    else:
        print(f"Done in {seconds:.1f} s")
    if result.unchanged:
        n = len(result.unchanged)
        print(f"{_count(n, 'unchanged document')} skipped: outputs up to date (--force rebuilds)")
    _print_review_files(result)
    closing = closing_line(result)
    if closing:
        print(closing)


def summary_rows(doc: DocumentReport, cells: int, leaflets: bool) -> list[list[str]]:
    """The summary's rows of one document: ``cells`` cells before the problems column."""
    empty = ["-"] * cells  # a failed row: dashes up to the problems column
    if doc.lang is None:
        return [[doc.stem, *empty, f"[red]{doc.error or 'not done (interrupted)'}[/]"]]
    rows = []
    for lang, target in doc.targets.items():
        pair = f"{doc.lang}→{lang}"
        if target.error:
            rows.append([doc.stem, pair, *empty[1:], f"[red]{_short(target.error)}[/]"])
            continue
        cells_ = [
            doc.stem,
            pair,
            _engine_cell(target),
            _segments_cell(target),
            _glossary_cell(target),
            f"{target.seconds:.1f}s",
        ]
        if leaflets:
            cells_.append(_leaflet_cell(target))
        rows.append([*cells_, "; ".join(_problems(target))])
    return rows


def _engine_cell(target: TargetReport) -> str:
    route = target.route
    engine = route.engine if route else "identity"
    if route and route.engine == "ctranslate2" and route.model:
        engine = route.model  # which of the installed models ran
    if route and route.pivot:
        engine += f" via {route.pivot}"
    return engine


def _leaflet_cell(target: TargetReport) -> str:
    from pipeline.leaflet import fit_summary

    entry = target.leaflet
    fit = fit_summary(dict(entry)) if entry else "-"
    return f"[red]{fit}[/]" if entry and entry.get("overflow") else fit


def _problems(target: TargetReport) -> list[str]:
    """What a reader of the summary should look at in one target (in full in report.json)."""
    problems = []
    if target.untranslated:
        problems.append(_count(len(target.untranslated), "untranslated word"))
    if target.degenerate:
        problems.append(f"{_count(len(target.degenerate), 'degenerate draft')} replaced")
    if target.qa:
        problems.append(_count(len(target.qa), "QA finding"))
    for note in (target.leaflet or {}).get("notes") or []:
        problems.append(f"leaflet: {note.split(';')[0]}")
    if target.markers_repaired:  # done, not a problem: said in passing
        put_back = _count(target.markers_repaired, "formatting mark")
        problems.append(f"[dim]{put_back} put back in place[/]")
    return problems


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _print_review_files(result: RunResult) -> None:
    """Where ``--review`` put the review files, and how to bring corrections back."""
    written = [
        Path(target.outputs[key])
        for doc in result.documents
        for target in doc.targets.values()
        for key in ("review_docx", "xliff")
        if key in target.outputs
    ]
    if not written:
        return
    out_dir = written[0].parent.parent.parent
    print("Review files for translators (edit the Draft column of the .docx, or open the .xlf")
    print(f"in a CAT tool; `pipeline review export {out_dir} --omegat` makes OmegaT projects):")
    for folder in dict.fromkeys(p.parent for p in written):
        names = ", ".join(p.name for p in written if p.parent == folder)
        print(f"  {folder}/  {names}")
    print("Bring the corrections back with:")
    print(f'  pipeline review import {written[0]} --reviewer "NAME"')


def _short(error: str) -> str:
    """The first clause of an error (the full line is on stderr)."""
    return error.split(": ", 1)[0] if len(error) > 60 else error


def _segments_cell(target: TargetReport) -> str:
    total = target.total
    parts = [f"{target.approved} approved"] if target.approved else []
    if target.from_memory:
        parts.append(f"{target.from_memory} from memory")
    return f"{total} ({', '.join(parts)})" if parts else str(total)


def _glossary_cell(target: TargetReport) -> str:
    report = target.glossary
    if report is None or report.occurrences == 0:
        return "-"
    return f"{report.compliance:.0%} ({report.applied}/{report.occurrences})"
