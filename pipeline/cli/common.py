"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from pipeline.errors import PipelineError
from pipeline.untrusted import printable

if TYPE_CHECKING:
    from pipeline.memory import TranslationMemory

Loaded = TypeVar("Loaded")


class CommandError(PipelineError):
    """A failure reported to the user as one line, with an exit code (2 = usage)."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def say(*parts: object, file: TextIO | None = None, flush: bool = False) -> None:
    """``print`` for a line that carries foreign text (model metadata, a server's or a file's
    own words): shown through ``printable``, so it cannot hold escapes or line breaks."""
    print(printable(" ".join(str(p) for p in parts)), file=file or sys.stdout, flush=flush)


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    sys.stdout.flush()


def parse_languages(value: str) -> list[str]:
    """Parse a comma-separated language list such as ``en,es,ja``."""
    from pipeline.document import LANGUAGES

    langs = [v.strip().lower() for v in value.split(",") if v.strip()]
    bad = [lang for lang in langs if lang not in LANGUAGES]
    if bad or not langs:
        raise CommandError(
            f"unsupported language {', '.join(bad) or value!r}: choose from {', '.join(LANGUAGES)}",
            2,
        )
    return langs


def add_cache_option(parser: argparse.ArgumentParser) -> None:
    """``--cache PATH``: the translation memory file, as every command that uses it names it."""
    parser.add_argument(
        "--cache",
        metavar="PATH",
        default=None,
        help="translation memory file (default: $PIPELINE_CACHE, else the user data folder, "
        "e.g. ~/.local/share/statement-pipeline/memory.sqlite3)",
    )


def add_reading_options(parser: argparse.ArgumentParser) -> None:
    """``--follow-links`` and ``--detector``: how sources are found and their language told."""
    from pipeline.detect import DEFAULT_DETECTOR, DETECTORS

    parser.add_argument(
        "--follow-links",
        action="store_true",
        help="follow links inside a source folder that lead outside it "
        "(default: skip them, with a line for each)",
    )
    parser.add_argument(
        "--detector",
        default=DEFAULT_DETECTOR,
        choices=DETECTORS,
        help=f"language detector for Latin-script text (default: {DEFAULT_DETECTOR}, "
        "which measured better; langdetect is seeded, so deterministic too)",
    )


def print_skipped(skipped: list[tuple[str, str]]) -> None:
    """One line on stderr per source left out (unsupported files, links not followed)."""
    for path, reason in skipped:
        print(f"{path}: {reason}", file=sys.stderr)


def open_memory(cache: str | None, create: bool = True) -> TranslationMemory:
    """The translation memory ``--cache`` names; a file that cannot be used is one user error."""
    from pipeline.memory import MemoryFileError, TranslationMemory, resolve_memory_path

    try:
        return TranslationMemory(resolve_memory_path(cache), create=create)
    except MemoryFileError as exc:
        raise CommandError(str(exc), 1) from None


def load_given_or_default(
    path: Path | None,
    default: Path,
    load: Callable[[Path], Loaded],
    error: type[Exception],
) -> Loaded | None:
    """``load(path)`` for the file the user named, else for ``default`` (relative to the
    current folder) when it exists, else None; ``error`` (one line naming the file) becomes
    a usage error."""
    if path is None:
        if not default.is_file():
            return None
        path = default
    try:
        return load(path)
    except error as exc:
        raise CommandError(str(exc), 2) from exc
