"""``pipeline review export|import|serve``: review files out to translators, their corrections
back in, or the review workbench in the browser."""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.cli.common import CommandError, add_cache_option, open_memory, print_json, say
from pipeline.ingest.limits import Limits, capped

if TYPE_CHECKING:
    from pipeline.review import ImportResult

FORMAT_CHOICES = {"docx": ("docx",), "xliff": ("xliff",), "both": ("docx", "xliff")}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "review",
        help="export review files (DOCX, XLIFF, OmegaT projects) and import reviewed translations",
        description="Translator review round trip. `export` writes a review DOCX and an XLIFF "
        "1.2 file (and, with --omegat, a ready OmegaT project) per document and target language "
        "from the review data (*.segments.json) a `pipeline translate --review` run left in "
        "OUT/<stem>/review/. `import` reads returned review files and stores the corrected drafts as approved translations in the translation memory, so "
        "the next `pipeline translate` uses them instead of an engine.",
    )
    sub = parser.add_subparsers(dest="review_command", metavar="ACTION")
    sub.required = True

    export = sub.add_parser(
        "export",
        help="(re)write review files from the segments files of a run",
        description="Write OUT/<stem>/review/<stem>.<src>-<tgt>.review.docx and .xlf (with "
        "--omegat also the OmegaT project folder <stem>.<src>-<tgt>.omegat/) next to each "
        "<stem>.<src>-<tgt>.segments.json found under OUT_DIR.",
    )
    export.add_argument("out_dir", metavar="OUT_DIR", help="output folder of `pipeline translate`")
    export.add_argument(
        "--format",
        choices=sorted(FORMAT_CHOICES),
        default="both",
        help="which review files to write (default: both)",
    )
    export.add_argument(
        "--omegat",
        action="store_true",
        help="also write a ready OmegaT project per document and language pair "
        "(OUT/<stem>/review/<stem>.<src>-<tgt>.omegat/: the original text in source/, the "
        "machine drafts in tm/auto/ where OmegaT inserts them, close matches in tm/, the "
        "glossary terms in glossary/); open the folder in OmegaT, translate, save, and give "
        "the folder to `pipeline review import`",
    )
    export.add_argument("--json", action="store_true", help="print the result as JSON")
    export.set_defaults(func=run_export)

    imp = sub.add_parser(
        "import",
        help="store reviewed translations from review DOCX/XLIFF files as approved",
        description="Read returned review files (.docx from `review export`, .xlf/.xliff "
        "saved by a CAT tool, or an OmegaT project folder from `review export --omegat`, its "
        "target/*.xlf or its *-omegat.tmx) and store each edited draft as approved in the "
        "translation memory. XLIFF units marked final or signed-off are approved even when "
        "unchanged; drafts left as OmegaT inserted them are not imported. A sentence whose "
        "original changed since the file was made, or whose tags were broken, is not imported, "
        "with a line saying why; the rest is. Rows (units) are matched by their id: moved rows "
        "are imported, deleted rows and edited ids are listed. A file that belongs to another "
        "document or language pair is refused whole.",
    )
    imp.add_argument(
        "files", nargs="+", metavar="FILE", help="returned review files or OmegaT project folders"
    )
    imp.add_argument(
        "--reviewer", help="name stored with each approval (default: your OS user name)"
    )
    add_cache_option(imp)
    imp.add_argument(
        "--against",
        metavar="PATH",
        help="output folder (or its review data file, *.segments.json) holding the latest "
        "translation, when the review file is not in its OUT/<stem>/review/ folder any more",
    )
    imp.add_argument(
        "--approve-unchanged",
        action="store_true",
        help="also approve drafts the reviewer left as they were (DOCX has no 'confirmed' mark)",
    )
    imp.add_argument(
        "--overwrite-newer",
        action="store_true",
        help="replace approvals made after the review file was exported (default: such rows "
        "are refused, listed, and the newer approval is kept)",
    )
    imp.add_argument(
        "--dry-run", action="store_true", help="show what would be imported; store nothing"
    )
    imp.add_argument("--json", action="store_true", help="print the result as JSON")
    imp.set_defaults(func=run_import)
    _register_serve(sub)


def _register_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser(
        "serve",
        help="review and approve in the browser (the review workbench)",
        description="Serve the review workbench for the outputs under OUT: one page per "
        "document and language pair with the source and the draft side by side, glossary "
        "terms, QA findings and alternatives; what you approve goes into the translation "
        "memory at once (as `review import` stores it), and a Rebuild button writes the "
        "document's outputs again with the approved text. It listens on 127.0.0.1 and prints "
        "the address with its access token on one line; stop it with Ctrl-C.",
    )
    serve.add_argument(
        "out_dir",
        nargs="?",
        default="output",
        metavar="OUT",
        help="output folder (default: output/)",
    )
    serve.add_argument(
        "--port", type=int, default=8765, help="port (default 8765; 0: any free port)"
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; anything else lets other machines in, "
        "with the token)",
    )
    serve.add_argument(
        "--reviewer", help="name stored with each approval (default: your OS user name)"
    )
    add_cache_option(serve)
    serve.add_argument(
        "--glossary",
        type=Path,
        default=None,
        help="the glossary rebuilds use (default: ./glossary.yml when present)",
    )
    serve.add_argument("--no-glossary", action="store_true", help="rebuild without a glossary")
    serve.add_argument(
        "--engine",
        choices=("argos", "apertium", "libretranslate", "ctranslate2"),
        default=None,
        help="engine for rebuilds (default: the one report.json names, else auto)",
    )
    serve.add_argument("--url", help="the LibreTranslate server, for rebuilds with it")
    serve.add_argument(
        "--leaflet-config", type=Path, default=None, help="leaflet settings for rebuilt leaflets"
    )
    serve.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from pipeline.cli.common import load_given_or_default
    from pipeline.memory import resolve_memory_path
    from pipeline.review import default_reviewer
    from pipeline.workbench.rebuild import RebuildSettings
    from pipeline.workbench.server import is_loopback, serve

    root = Path(args.out_dir)
    if not root.is_dir():
        raise CommandError(
            f"{root}: no such folder (give the --out folder of `pipeline translate`)", 2
        )
    if not 0 <= args.port <= 65535:
        raise CommandError("--port must be between 0 and 65535", 2)
    if args.no_glossary and args.glossary is not None:
        raise CommandError("--glossary and --no-glossary contradict each other: choose one", 2)
    glossary = None
    if not args.no_glossary:
        from pipeline.glossary import GlossaryError, load_glossary

        glossary = load_given_or_default(
            args.glossary, Path("glossary.yml"), load_glossary, GlossaryError
        )
    from pipeline.cli.leaflet import load_config_or_default
    from pipeline.engines.paths import EnginePaths
    from pipeline.engines.routes import RoutesError, load_routes

    try:
        routes = load_routes(None)  # ./engines.yml when present, as `pipeline translate`
    except RoutesError as exc:
        raise CommandError(str(exc), 2) from exc
    settings = RebuildSettings(
        out_dir=root,
        cache=resolve_memory_path(args.cache),
        glossary=glossary,
        leaflet_config=load_config_or_default(args.leaflet_config),
        engine=args.engine,
        url=args.url,
        routes=routes,
        engine_paths=EnginePaths.from_env(),
    )
    if not is_loopback(args.host):
        print(
            f"warning: listening on {args.host}: other machines can reach the workbench; "
            "anyone with the URL and its token can approve translations",
            file=sys.stderr,
        )
    with open_memory(args.cache) as memory:
        try:
            return serve(
                settings,
                memory,
                host=args.host,
                port=args.port,
                reviewer=args.reviewer or default_reviewer(),
            )
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {args.host}:{args.port} ({exc.strerror or exc}); "
                "choose another --port (0: any free port)",
                1,
            ) from None


def run_export(args: argparse.Namespace) -> int:
    from pipeline.review import export_review

    root = Path(args.out_dir)
    if not root.exists():
        raise CommandError(f"{root}: no such folder", 2)
    formats = FORMAT_CHOICES[args.format] + (("omegat",) if args.omegat else ())
    results = export_review(root, formats)
    if not results:
        raise CommandError(
            f"{root}: no review data (*.segments.json) found; run `pipeline translate "
            "--review` first",
            1,
        )
    failed = 0
    payload: list[dict[str, object]] = []
    for sidecar, outcome in results:
        if isinstance(outcome, str):
            failed += 1
            payload.append({"sidecar": str(sidecar), "error": outcome})
            if not args.json:
                print(f"pipeline: {outcome}")
        else:
            payload.append(
                {"sidecar": str(sidecar), "outputs": {k: str(v) for k, v in outcome.items()}}
            )
            if not args.json:
                for path in outcome.values():
                    print(f"wrote {path}{'/' if path.is_dir() else ''}")
    if args.json:
        print_json({"exported": payload})
    return 1 if failed else 0


def _wrapped(label: str, text: str | None, width: int = 88) -> str:
    """``    was: text`` with the whole text, wrapped under itself."""
    import textwrap

    head = f"    {label}: "
    return textwrap.fill(
        "—" if text is None else text,
        width=width,
        initial_indent=head,
        subsequent_indent=" " * len(head),
        break_long_words=False,
        break_on_hyphens=False,
    )


def run_import(args: argparse.Namespace) -> int:
    from pipeline.review import default_reviewer

    reviewer = args.reviewer or default_reviewer()
    against = Path(args.against) if args.against else None
    if against is not None and not against.exists():
        raise CommandError(f"--against {against}: no such file or folder", 2)
    paths = [Path(f) for f in args.files]
    for path in paths:
        if not path.exists():
            raise CommandError(f"{path}: no such file or folder", 2)
    if args.dry_run:
        results = _plan_imports(args, paths, against)
    else:
        results = _import_all(args, paths, against, reviewer)
    refused_any = any(r.refused for r in results)
    if args.json:
        print_json(
            {
                "reviewer": reviewer,
                "dry_run": bool(args.dry_run),
                "files": [r.as_json() for r in results],
            }  # fmt: skip
        )
        return 1 if refused_any else 0
    limits = Limits.from_env()
    for result in results:
        _print_import(result, reviewer, bool(args.dry_run), limits)
    return 1 if refused_any else 0


def _plan_imports(
    args: argparse.Namespace, paths: list[Path], against: Path | None
) -> list[ImportResult]:
    """``--dry-run``: what each file would approve, the memory only read (if there is one)."""
    from pipeline.memory import resolve_memory_path
    from pipeline.review import plan_import

    results: list[ImportResult] = []
    exists = resolve_memory_path(args.cache).exists()
    with open_memory(args.cache, create=False) if exists else nullcontext() as memory:
        for path in paths:
            result, corrections = plan_import(
                path,
                against,
                args.approve_unchanged,
                memory=memory,
                overwrite_newer=args.overwrite_newer,
            )
            result.corrections.extend(corrections)
            results.append(result)
    return results


def _import_all(
    args: argparse.Namespace, paths: list[Path], against: Path | None, reviewer: str
) -> list[ImportResult]:
    from pipeline.review import import_review

    with open_memory(args.cache) as memory:
        return [
            import_review(
                path,
                memory,
                reviewer,
                against=against,
                approve_unchanged=args.approve_unchanged,
                overwrite_newer=args.overwrite_newer,
            )
            for path in paths
        ]


def _print_import(result: ImportResult, reviewer: str, dry_run: bool, limits: Limits) -> None:
    """One file's refusals (stderr), notes, approvals and its summary line."""
    refusals = [
        f"pipeline: {result.path}{': ' + r.segment if r.segment else ''}: refused: {r.reason}"
        for r in result.refused
    ]
    for line in capped(refusals, limits):
        say(line, file=sys.stderr)
    if any(r.segment is None for r in result.refused):
        return
    for note in result.notes:
        print(f"note: {result.path}: {note}")
    changed = [c for c in result.corrections if c.status != "unchanged"]
    verb = "would approve" if dry_run else "approved"
    for c in changed[: limits.max_messages]:
        print(f"{result.document} {c.segment}: {verb} ({c.reason}) by {reviewer}")
        if c.draft is not None and c.reason == "edited":
            print(_wrapped("was", c.draft))
        print(_wrapped("now", c.target))
    if len(changed) > limits.max_messages:
        print(
            f"… and {len(changed) - limits.max_messages} more {verb} (limit "
            f"PIPELINE_MAX_MESSAGES={limits.max_messages}; --json lists them all)"
        )
    unchanged = len(result.corrections) - len(changed)
    seg_refused = sum(1 for r in result.refused if r.segment)
    print(
        f"{result.path}: {result.document} {result.src}→{result.tgt}: "
        f"{len(changed)} {verb}, {unchanged} already approved, {seg_refused} refused"
    )
