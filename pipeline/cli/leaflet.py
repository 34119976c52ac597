"""``pipeline leaflet``: lay translated outputs out again as leaflets, without translating."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pipeline.cli.common import CommandError, parse_languages, print_json

DEFAULT_OUT = Path("output")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "leaflet",
        help="lay translated outputs out as print-ready leaflets (no translation)",
        description=(
            "Lay already translated outputs out again as leaflets, without translating. "
            "PATH is an output folder OUT/<stem>/ or a source file whose outputs exist in "
            "OUT/<stem>/. Each language is read from OUT/<stem>/<stem>.<lang>.docx (the source "
            "language from the source file) and written next to it as "
            "<stem>.<lang>.<layout>.pdf, or <stem>.<src>-<lang>.bilingual.pdf. The body size "
            "shrinks until the statement fits one sheet front and back; when it still does not, "
            "the command says by how much it overflows."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("path", type=Path, metavar="PATH", help="output folder or source file")
    parser.add_argument(
        "--to",
        required=True,
        metavar="LANGS",
        help="comma-separated languages to lay out, e.g. es,ja (en, es, ja)",
    )
    parser.add_argument(
        "--layout",
        required=True,
        choices=("leaflet-a4", "leaflet-a5", "bilingual"),
        help="A4 or A5 leaflet, or original and translation side by side",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="layout settings (organisation, logo, colours, contact, URL…); "
        "default: ./leaflet.yml when it exists",
    )
    parser.add_argument(
        "--bleed", action="store_true", help="add 3 mm bleed and crop marks for a print shop"
    )
    parser.add_argument("--bw", action="store_true", help="black and white only, for photocopying")
    parser.add_argument(
        "--two-up",
        action="store_true",
        help="also impose the A5 leaflet twice on A4 landscape (print double-sided, flip on "
        "the short edge, cut in half); leaflet-a5 only",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output root holding <stem>/ (default: the parent of an output folder PATH, "
        f"else ./{DEFAULT_OUT})",
    )
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.set_defaults(func=run)


def load_config_or_default(path: Path | None) -> Any:
    from pipeline.leaflet_config import ConfigError, LeafletConfig, load_config

    if path is None:
        default = Path("leaflet.yml")
        if not default.is_file():
            return LeafletConfig()
        path = default
    try:
        return load_config(path)
    except ConfigError as exc:
        raise CommandError(str(exc), 2) from exc


def _locate(path: Path, out: Path | None) -> tuple[Path, str, Path | None]:
    """(output folder, stem, source file or None) for PATH."""
    if path.is_dir():
        folder = (out / path.name) if out else path
        return folder, path.name, None
    if path.is_file():
        folder = (out or DEFAULT_OUT) / path.stem
        return folder, path.stem, path
    raise CommandError(f"{path}: no such file or folder", 2)


def _read(path: Path) -> Any:
    from pipeline.ingest import ReadError, read_document

    try:
        return read_document(path)
    except ReadError as exc:
        raise CommandError(f"{path}: {exc}", 1) from exc


def _source_info(folder: Path, source: Path | None) -> tuple[Path | None, str | None]:
    """The source file and its language, from report.json when there is one."""
    report = folder / "report.json"
    lang = None
    if report.is_file():
        try:
            data = json.loads(report.read_text(encoding="utf-8"))
            lang = (data.get("detected") or {}).get("language")
            if source is None and (data.get("source") or {}).get("path"):
                source = Path(data["source"]["path"])
        except (OSError, ValueError) as exc:
            raise CommandError(f"{report}: cannot read: {exc}", 1) from exc
    return source, lang


def run(args: argparse.Namespace) -> int:
    from pipeline.export.leaflet import LeafletError, leaflet_filename, write_leaflet

    langs = parse_languages(args.to)
    if args.two_up and (args.layout != "leaflet-a5" or args.bleed):
        raise CommandError("--two-up works only with --layout leaflet-a5 and without --bleed", 2)
    config = load_config_or_default(args.config)
    folder, stem, source = _locate(args.path, args.out)
    if not folder.is_dir():
        raise CommandError(f"{folder}: no outputs here; run pipeline translate first", 2)
    source, src_lang = _source_info(folder, source)

    original = None
    if args.layout == "bilingual" or (src_lang and src_lang in langs):
        if source is None or not source.is_file():
            if args.layout == "bilingual":
                raise CommandError(
                    f"{folder}: the bilingual layout needs the source file; pass it as PATH", 2
                )
        else:
            original = _read(source)
            src_lang = src_lang or original.lang
            if original.lang is None:
                original.lang = src_lang

    results: list[dict[str, Any]] = []
    failed = 0
    for lang in langs:
        docx = folder / f"{stem}.{lang}.docx"
        try:
            if docx.is_file():
                doc = _read(docx)
                doc.lang = doc.lang or lang
            elif lang == src_lang and original is not None:
                doc = original
            else:
                raise CommandError(f"{docx}: not found; translate to {lang} first", 1)
            if args.layout == "bilingual" and lang == src_lang:
                raise CommandError(f"{lang}: the bilingual layout needs a target language", 2)
            name = leaflet_filename(
                stem, lang, args.layout, src=src_lang, bw=args.bw, bleed=args.bleed
            )
            result = write_leaflet(
                doc,
                folder / name,
                args.layout,
                config,
                lang=lang,
                original=original,
                bleed=args.bleed,
                bw=args.bw,
            )
            entry = {"lang": lang, "layout": args.layout, **result.as_dict()}
            if args.two_up:
                two_up_name = leaflet_filename(stem, lang, args.layout, bw=args.bw, two_up=True)
                imposed = write_leaflet(
                    doc,
                    folder / two_up_name,
                    args.layout,
                    config,
                    lang=lang,
                    bw=args.bw,
                    two_up=True,
                )
                entry["two_up"] = str(imposed.path)
        except (CommandError, LeafletError) as exc:
            if isinstance(exc, CommandError) and exc.exit_code == 2:
                raise
            failed += 1
            results.append({"lang": lang, "layout": args.layout, "error": str(exc)})
            if not args.json:
                print(f"pipeline: {exc}", file=sys.stderr)
            continue
        results.append(entry)
        if not args.json:
            fit = entry["overflow"] or "fits one sheet"
            extra = f"; 2-up: {entry['two_up']}" if "two_up" in entry else ""
            print(
                f"{entry['path']}: {entry['pages']} page(s), {entry['columns']} column(s), "
                f"{entry['font_size']:g} pt; {fit}{extra}"
            )
    if args.json:
        print_json({"outputs": results})
    return 1 if failed else 0
