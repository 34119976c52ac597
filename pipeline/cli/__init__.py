"""The command line: parses arguments and calls the library, nothing more.

Each command group lives in its own module with a ``register(subparsers)`` function.
Exit codes: 0 all outputs written, 1 some failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from pipeline import __version__
from pipeline.cli import detect as detect_cmd
from pipeline.cli import doctor as doctor_cmd
from pipeline.cli import glossary as glossary_cmd
from pipeline.cli import leaflet as leaflet_cmd
from pipeline.cli import models as models_cmd
from pipeline.cli import review as review_cmd
from pipeline.cli import tm as tm_cmd
from pipeline.cli import translate as translate_cmd
from pipeline.cli.common import CommandError
from pipeline.errors import PipelineError, unexpected
from pipeline.untrusted import printable

COMMAND_MODULES = [
    translate_cmd,
    detect_cmd,
    glossary_cmd,
    leaflet_cmd,
    doctor_cmd,
    models_cmd,
    tm_cmd,
    review_cmd,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pipeline",
        description="Translate movement statements offline between en, es and ja; "
        "write DOCX, PDF and leaflets.",
    )
    parser.add_argument("--version", action="version", version=f"pipeline {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the traceback of an unexpected error (default: one line)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for module in COMMAND_MODULES:
        module.register(subparsers)
    _add_debug(subparsers)
    return parser


def _add_debug(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``--debug`` after any command too (``pipeline translate --debug``), sub-commands included."""
    for command in subparsers.choices.values():
        command.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="show the traceback of an unexpected error",
        )
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                _add_debug(action)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logger = logging.getLogger("pipeline")
    handler = logging.StreamHandler()  # --debug: unexpected errors' tracebacks on stderr
    if args.debug:
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        return _run(args)
    finally:
        logger.removeHandler(handler)


def _run(args: argparse.Namespace) -> int:
    """The command, with every error turned into one line and an exit code."""
    try:
        return int(args.func(args) or 0)
    except CommandError as exc:
        print(f"pipeline: {printable(exc)}", file=sys.stderr)
        return exc.exit_code
    except PipelineError as exc:  # a stage's one line that no command caught
        print(f"pipeline: {printable(exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`pipeline … | head`): stop quietly, as other tools do.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print(
            "pipeline: interrupted; finished outputs are kept, none is half-written",
            file=sys.stderr,
        )
        return 130
    except Exception as exc:  # the last-resort guard: a bug is one line, never a traceback
        print(
            f"pipeline: {printable(unexpected(exc))}", file=sys.stderr
        )  # logs the traceback (--debug)
        return 1
