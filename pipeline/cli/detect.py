"""``pipeline detect``: the language of each document and, with ``--blocks``, of each block."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pipeline.cli.common import CommandError, add_reading_options, print_json, print_skipped

_PREVIEW = 60


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "detect",
        help="detect the language of statements (and of each block)",
        description="Print the language of each document in PATH (files or folders) with a "
        "confidence in [0, 1]. Candidates: en, es, ja, pt, gl, it, ca, fr, qu (Quechua), "
        "ay (Aymara); another language is reported only when the model is sure of it. "
        "Blocks (paragraphs, headings, list items; in .txt a paragraph ends at a blank line) "
        "are detected with the document as context: a short block takes the document's "
        "language unless its own evidence is strong. Works offline.",
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders")
    p.add_argument(
        "--blocks", action="store_true", help="also print each block's language and confidence"
    )
    p.add_argument(
        "--json",
        action="store_true",
        help='one JSON object per document per line: {"path", "language", "confidence", '
        '"warning"} plus, with --blocks, "blocks": [{"index", "language", "confidence", "text"}]',
    )
    add_reading_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline import inplace
    from pipeline.detect import DetectorUnavailable, detect_document, language_label
    from pipeline.ingest import ReadError, find_sources, read_document

    sources = find_sources(list(args.paths), follow_links=args.follow_links)
    print_skipped([(str(path), reason) for path, reason in sources.skipped])
    for path, reason in sources.problems:
        print(f"{path}: {reason}", file=sys.stderr)
    failed = bool(sources.problems)
    for path in sources.files:
        try:
            doc = inplace.text_of(path) if inplace.only_in_place(path) else read_document(path)
        except ReadError as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            failed = True
            continue
        try:
            result = detect_document(doc, detector=args.detector)
        except DetectorUnavailable as exc:
            raise CommandError(str(exc), 1) from exc
        if args.json:
            print_json(_as_json(path, doc.blocks, result, args.blocks))
            continue
        line = f"{path}: {language_label(result.language)}, confidence {result.confidence:.2f}"
        if result.warning:
            line += " (unsure)"
        print(line)
        if args.blocks:
            for block in result.blocks:
                text = " ".join(doc.blocks[block.index].text.split())
                if len(text) > _PREVIEW:
                    text = text[: _PREVIEW - 1] + "…"
                marker = "*" if block.language != result.language else " "
                print(
                    f"  {marker}{block.index:>4}  {block.language:<3} {block.confidence:.2f}  {text}"
                )
    return 1 if failed else 0


def _as_json(path: Path, blocks: list[Any], result: Any, with_blocks: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "path": str(path),
        "language": result.language,
        "confidence": result.confidence,
        "warning": result.warning,
    }
    if with_blocks:
        data["blocks"] = [
            {
                "index": b.index,
                "language": b.language,
                "confidence": b.confidence,
                "text": blocks[b.index].text,
            }
            for b in result.blocks
        ]
    return data
