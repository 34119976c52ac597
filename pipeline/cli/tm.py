"""``pipeline tm``: move approved translations in and out of the translation memory (TMX)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.cli.common import CommandError, add_cache_option, open_memory, print_json, say
from pipeline.document import LANGUAGES


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``pipeline tm export|import|stats``."""
    common = argparse.ArgumentParser(add_help=False)
    add_cache_option(common)
    common.add_argument("--json", action="store_true", help="print the result as JSON")

    tm = subparsers.add_parser(
        "tm",
        help="translation memory: export/import approved translations as TMX, show stats",
        description="Approved translations (from review imports or TMX) are reused before any "
        "engine is asked. TMX moves them to and from CAT tools (OmegaT, Trados, memoQ) "
        "and other machines.",
    )
    actions = tm.add_subparsers(dest="tm_command", metavar="ACTION")
    actions.required = True

    export = actions.add_parser(
        "export",
        parents=[common],
        help="write approved translations to a TMX file",
        description="Write the approved translations to a TMX 1.4 file (reviewer and time in "
        "changeid/changedate). Machine output in the cache is never exported.",
    )
    export.add_argument("file", metavar="FILE.tmx", type=Path, help="TMX file to write")
    export.add_argument("--from", dest="src", choices=LANGUAGES, help="source language")
    export.add_argument("--to", dest="tgt", choices=LANGUAGES, help="target language")
    export.set_defaults(func=run_export)

    imp = actions.add_parser(
        "import",
        parents=[common],
        help="store a TMX file's translations as approved",
        description="Read a TMX file and store its translations as approved. The whole file is "
        "checked first: a file that is not TMX, or holds languages other than en, es and ja "
        "(or not the --from/--to you expect), is refused and nothing is imported. An approval "
        "already in the memory that is newer than the file's unit is kept.",
    )
    imp.add_argument("file", metavar="FILE.tmx", type=Path, help="TMX file to read")
    imp.add_argument(
        "--reviewer",
        metavar="NAME",
        help="record NAME as the reviewer (default: the file's changeid/creationid, else the "
        "OS user)",
    )
    imp.add_argument("--from", dest="src", choices=LANGUAGES, help="expected source")
    imp.add_argument("--to", dest="tgt", choices=LANGUAGES, help="only this target")
    imp.set_defaults(func=run_import)

    stats = actions.add_parser(
        "stats",
        parents=[common],
        help="show what the translation memory holds",
        description="Count the cached machine translations (per engine, model and pair) and "
        "the approved translations (per pair).",
    )
    stats.set_defaults(func=run_stats)


def run_export(args: argparse.Namespace) -> int:
    from pipeline.errors import PipelineError
    from pipeline.memory import export_tmx, resolve_memory_path

    path = resolve_memory_path(args.cache)
    if not path.exists():
        raise CommandError(f"translation memory {path}: does not exist yet; nothing to export", 1)
    with open_memory(args.cache, create=False) as memory:
        try:
            count = export_tmx(memory, args.file, args.src, args.tgt)
        except PipelineError as exc:
            raise CommandError(str(exc), 1) from None
    if args.json:
        print_json({"file": str(args.file), "entries": count, "memory": str(path)})
    else:
        pair = f" {args.src or '*'}→{args.tgt or '*'}" if args.src or args.tgt else ""
        print(f"wrote {count} approved translation{'s' if count != 1 else ''}{pair} to {args.file}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from pipeline.detect import detect_text
    from pipeline.errors import PipelineError
    from pipeline.ingest.limits import Limits, capped
    from pipeline.memory import import_tmx_detailed

    with open_memory(args.cache, create=True) as memory:
        try:
            result = import_tmx_detailed(
                memory,
                args.file,
                args.reviewer,
                src=args.src,
                tgt=args.tgt,
                language_of=detect_text,
            )
        except PipelineError as exc:
            raise CommandError(str(exc), 1) from None
    for line in capped(result.refused, Limits.from_env()):
        say(f"pipeline: {result.path}: {line}", file=sys.stderr)
    if args.json:
        print_json(
            {
                "file": str(result.path),
                "memory": str(memory.path),
                "units": result.units,
                "imported": result.imported,
                "unchanged": result.unchanged,
                "kept_newer": result.kept_newer,
                "pairs": result.pairs,
                "refused": result.refused,
            }
        )
    else:
        pairs = ", ".join(f"{pair} {n}" for pair, n in sorted(result.pairs.items())) or "none"
        print(
            f"{result.path}: {result.imported} approved "
            f"translation{'s' if result.imported != 1 else ''} stored "
            f"({result.unchanged} already there, {result.kept_newer} kept because the memory's "
            f"approval is newer); pairs: {pairs}"
            + (f"; {len(result.refused)} refused" if result.refused else "")
        )
    return 1 if result.refused else 0


def run_stats(args: argparse.Namespace) -> int:
    from pipeline.errors import PipelineError
    from pipeline.memory import resolve_memory_path

    path = resolve_memory_path(args.cache)
    if not path.exists():
        empty = {"path": str(path), "bytes": 0, "cached": [], "approved": [], "exists": False}
        if args.json:
            print_json(empty)
        else:
            print(f"no translation memory at {path} yet")
        return 0
    with open_memory(args.cache, create=False) as memory:
        try:
            stats = memory.stats()
        except PipelineError as exc:
            raise CommandError(str(exc), 1) from None
    stats["exists"] = True
    if args.json:
        print_json(stats)
        return 0
    print(f"translation memory {stats['path']} ({int(stats['bytes']) // 1024} KiB)")
    approved = stats["approved"]
    cached = stats["cached"]
    if not approved and not cached:
        print("  empty")
    for row in approved:
        print(
            f"  approved {row['src']}→{row['tgt']}: {row['entries']} by {row['reviewers']} "
            f"reviewer(s), latest {row['latest']}"
        )
    for row in cached:
        model = row["model"] + (f" {row['version']}" if row["version"] else "")
        glossary = f", glossary {row['glossary'][:12]}" if row["glossary"] else ""
        print(
            f"  cached   {row['src']}→{row['tgt']}: {row['entries']} from {row['engine']} "
            f"({model}{glossary})"
        )
    return 0
