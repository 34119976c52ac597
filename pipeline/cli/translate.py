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
from typing import TYPE_CHECKING, Any

from pipeline.cli.common import (
    CommandError,
    add_cache_option,
    add_reading_options,
    parse_languages,
    print_json,
    print_skipped,
    say,
)
from pipeline.detect import LOW_CONFIDENCE
from pipeline.engines.registry import ENGINE_CHOICES, EngineOptions
from pipeline.export.writers import PDF_ENGINES
from pipeline.leaflet import LAYOUTS, LeafletOptions, LeafletOptionsError
from pipeline.leaflet.pdfboxes import BLEED_MM

if TYPE_CHECKING:  # the run stage (glossary, memory, detection) loads when a command runs
    from pipeline.blocking import Held
    from pipeline.glossary import Glossary
    from pipeline.jobs import DocumentReport, Failure, RunResult, TargetReport
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
    from pipeline.errors import PipelineError
    from pipeline.run import run_batch

    glossary = choose_glossary(args)
    batch = options_from_args(args, glossary)
    if glossary.warning:
        print(f"warning: {glossary.warning}", file=sys.stderr)
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
    warnings = [*result.warnings, *unsure_warnings(result)]
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
    if args.json:
        print_json(
            {
                "documents": [str(p) for p in result.reports],
                "failed": [f.as_json() for f in result.failures],
                "skipped": [s.as_json() for s in result.skipped],
                "unavailable": [s.as_json() for s in result.unavailable],
                "warnings": warnings,
                "unchanged": [str(j.out_dir / "report.json") for j in result.unchanged],
                "seconds": {k: round(v, 3) for k, v in result.seconds.items()},
                "glossary": str(chosen.path)
                if (chosen := batch.mode.glossary) and chosen.path
                else None,
            }
        )
    else:
        print_summary(result, time.perf_counter() - started, glossary.line)
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


def unsure_warnings(result: RunResult) -> list[str]:
    """One line per document whose language (or some of whose blocks') detection is unsure,
    with the fix, from its report.json (also for documents not rebuilt)."""
    lines = []
    for doc in result.documents:
        lines += [f"{doc.path}: {line}" for line in _unsure_lines(_detected(doc))]
    return lines


def _detected(doc: DocumentReport) -> dict[str, Any]:
    """report.json's ``detected`` and the unsure blocks of one document ({} when none)."""
    import json

    if doc.lang is None and not doc.unchanged:
        return {}
    try:
        data = json.loads((doc.out_dir / "report.json").read_text(encoding="utf-8"))
        detected = dict(data["detected"])
        targets = list(data["targets"].values())
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    blocks = targets[0].get("foreign_blocks", []) if targets else []
    detected["unsure_blocks"] = [b for b in blocks if "unsure" in str(b.get("action"))]
    return detected


def _unsure_lines(detected: dict[str, Any]) -> list[str]:
    from pipeline.detect import BlockLanguage, unsure_lines

    if not detected or detected.get("source") == "--from" and not detected["unsure_blocks"]:
        return []
    blocks = [
        BlockLanguage(b["index"], b["language"], b["confidence"]) for b in detected["unsure_blocks"]
    ]
    confidence = 1.0 if detected.get("source") == "--from" else detected["confidence"]
    return unsure_lines(detected["language"] or "und", confidence, blocks)


def failure_lines(result: RunResult) -> list[str]:
    """One line per failure, ``PATH: reason``; a reason shared by several documents (a
    language pair no engine covers, with the commands that fix it) is one line naming them."""
    return grouped_lines(result.failures)


def grouped_lines(failures: list[Failure]) -> list[str]:
    """``PATH: reason`` per entry; a reason shared by several documents is one line."""
    by_reason: dict[str, list[str]] = {}
    for failure in failures:
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


def print_summary(result: RunResult, seconds: float, glossary_line: str | None = None) -> None:
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
    skipped = {(f.path, f.reason) for f in result.unavailable}
    for doc in result.documents:
        if not doc.unchanged:  # the unchanged ones are counted below the table
            for row in summary_rows(doc, len(columns) - 1, leaflets, skipped):
                table.add_row(*row)
    if table.row_count:
        console.print(table)
    else:
        print(f"Done in {seconds:.1f} s")
    if result.unchanged:
        n = len(result.unchanged)
        print(f"{_count(n, 'unchanged document')} skipped: outputs up to date (--force rebuilds)")
    _print_review_files(result)
    if glossary_line:
        print(glossary_line)
    closing = closing_line(result)
    if closing:
        print(closing)


def summary_rows(
    doc: DocumentReport,
    cells: int,
    leaflets: bool,
    skipped: set[tuple[str, str]] | None = None,
) -> list[list[str]]:
    """The summary's rows of one document: ``cells`` cells before the problems column;
    ``skipped``: (path, reason) of targets --skip-unavailable left out (yellow, not red)."""
    empty = ["-"] * cells  # a failed row: dashes up to the problems column
    if doc.lang is None:
        return [[doc.stem, *empty, f"[red]{doc.error or 'not done (interrupted)'}[/]"]]
    rows = []
    detected = _detected(doc)
    unsure = bool(detected) and detected.get("warning") is not None
    marks = [f"[yellow]{note}[/]" for note in _unsure_cells(detected)]
    for lang, target in doc.targets.items():
        pair = f"{doc.lang}{'?' if unsure else ''}→{lang}"
        skipped_here = (str(doc.path), f"{lang}: {target.error}") in (skipped or ())
        unbuilt = _unbuilt(target, "yellow" if skipped_here else "red")
        if unbuilt is not None:
            rows.append([doc.stem, pair, *empty[1:], unbuilt])
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
        rows.append([*cells_, "; ".join([*marks, *_problems(target)])])
    return rows


def _unsure_cells(detected: dict[str, Any]) -> list[str]:
    """The summary's marks for an unsure detection (the lines on stderr say more)."""
    cells = []
    if detected and detected.get("warning"):
        cells.append(f"language unsure ({detected['confidence']:.2f}): --from")
    if detected and detected["unsure_blocks"]:
        cells.append(f"{_count(len(detected['unsure_blocks']), 'block')} of unsure language")
    return cells


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
    if target.held is not None:
        problems.append(f"[red]{held_cell(target.held)}[/]")
    if target.untranslated:
        problems.append(_count(len(target.untranslated), "untranslated word"))
    if target.degenerate:
        problems.append(f"{_count(len(target.degenerate), 'degenerate draft')} replaced")
    if target.qa:
        problems.append(_count(len(target.qa), "QA finding"))
    if overflow := (target.layout or {}).get("overflow"):
        problems.append(_count(len(overflow), "PDF block") + " did not fit")
    for note in (target.leaflet or {}).get("notes") or []:
        problems.append(f"leaflet: {note.split(';')[0]}")
    problems.extend(page_notes(target.outputs.get("pdf")))
    if target.markers_repaired:  # done, not a problem: said in passing
        put_back = _count(target.markers_repaired, "formatting mark")
        problems.append(f"[dim]{put_back} put back in place[/]")
    return problems


def page_notes(pdf: str | None) -> list[str]:
    """The summary's note on an in-place PDF's pages: kept on them by a font step, or grown."""
    from pipeline.export.page_fit import pages_entry

    entry = pages_entry(pdf)
    note = entry.get("note") if entry else None
    if not note:
        return []
    grew = entry is not None and entry["translated"] > entry["source"]
    short = note.split(";")[0]
    return [f"[red]{short}[/]" if grew else f"[dim]{short}[/]"]


def held_cell(held: Held) -> str:
    """The summary's mark for a target whose print-ready outputs were held back."""
    segments = len({f["segment"] for f in held.findings})
    if not held.outputs:
        return _count(segments, "blocking segment")
    return f"{_count(segments, 'blocking segment')}: {' and '.join(held.outputs)} not written"


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


def _unbuilt(target: TargetReport, colour: str = "red") -> str | None:
    """The problems cell of a target that was not built: failed (``colour``: yellow for a pair
    ``--skip-unavailable`` left out), or kept up to date."""
    if target.error:
        return f"[{colour}]{_short(target.error)}[/]"
    if target.stored is not None:  # pipeline.incremental.kept_targets
        return "[dim]outputs up to date, kept[/]"
    return None


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
