"""``pipeline leaflet``: lay translated outputs out again as leaflets, without translating."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.cli.common import CommandError, load_given_or_default, parse_languages, print_json
from pipeline.leaflet import LAYOUTS
from pipeline.leaflet.pdfboxes import BLEED_MM
from pipeline.leaflet.relayout import DEFAULT_OUT

if TYPE_CHECKING:
    from pipeline.leaflet.config import LeafletConfig


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "leaflet",
        help="lay translated outputs out as print-ready leaflets (no translation)",
        description=(
            "Lay already translated outputs out again as leaflets, without translating. "
            "PATH is a folder holding the translations (an output folder of pipeline translate, "
            "renamed or moved or not) or a source file whose translations are in "
            f"{DEFAULT_OUT}/<stem>/. Each language is read from its <stem>.<lang>.docx, found by "
            "the file's own name (the source language from the source file), and written to "
            "--out (default: the folder read) as <stem>.<lang>.<layout>.pdf, or "
            "<stem>.<src>-<lang>.bilingual.pdf. The body size shrinks until the statement fits "
            "one sheet front and back; when it still does not, the command says by how much it "
            "overflows and which layout it would fit."
        ),
    )
    parser.add_argument(
        "path",
        type=Path,
        metavar="PATH",
        help=f"folder holding the translations, or a source file (read from {DEFAULT_OUT}/<stem>/)",
    )
    parser.add_argument(
        "--to",
        required=True,
        metavar="LANGS",
        help="comma-separated languages to lay out, e.g. es,ja (en, es, ja)",
    )
    parser.add_argument(
        "--layout",
        required=True,
        choices=LAYOUTS,
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
        "--bleed",
        action="store_true",
        help=f"add {BLEED_MM:g} mm bleed, crop marks and trim/bleed boxes for a print shop",
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
        help="folder the leaflets are written to, created when missing (default: the folder "
        "the translations are read from)",
    )
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.set_defaults(func=run)


def load_config_or_default(path: Path | None) -> LeafletConfig:
    """The leaflet settings in ``path``, else ./leaflet.yml when present, else the defaults."""
    from pipeline.leaflet.config import ConfigError, LeafletConfig, load_config

    config = load_given_or_default(path, Path("leaflet.yml"), load_config, ConfigError)
    return config if config is not None else LeafletConfig()


def run(args: argparse.Namespace) -> int:
    from pipeline.leaflet.relayout import RelayoutError, RelayoutOutcome, relayout

    langs = parse_languages(args.to)

    def show(outcome: RelayoutOutcome) -> None:
        if args.json:
            return
        if outcome.result is None:
            print(f"pipeline: {outcome.error}", file=sys.stderr)
            return
        result = outcome.result
        fit = result.overflow or "fits one sheet"
        if result.suggestion:
            fit += f"; {result.suggestion}"
        extra = f"; 2-up: {outcome.two_up}" if outcome.two_up is not None else ""
        print(
            f"{result.path}: {result.pages} page(s), {result.columns} column(s), "
            f"{result.font_size:g} pt; {fit}{extra}"
        )
        for note in result.notes:
            print(f"{result.path}: note: {note}")

    try:
        outcomes = relayout(
            args.path,
            langs,
            args.layout,
            load_config_or_default(args.config),
            out=args.out,
            bleed=args.bleed,
            bw=args.bw,
            two_up=args.two_up,
            on_outcome=show,
        )
    except RelayoutError as exc:
        raise CommandError(str(exc), 2 if exc.usage else 1) from exc
    if args.json:
        print_json({"outputs": [outcome.as_dict() for outcome in outcomes]})
    return 1 if any(outcome.error for outcome in outcomes) else 0
