"""The one base of every error the pipeline reports to its user.

A ``PipelineError``'s message is one line, in the user's words, naming the file or setting that
is wrong and what to do. Each stage subclasses it; ``run`` and the CLI catch this one type and
print the message; anything else is a bug, which :func:`unexpected` turns into one line too
(the traceback goes to the ``pipeline`` logger, shown with ``--debug``).
"""

from __future__ import annotations

import logging

DEBUG_HINT = "run with --debug for details"


class PipelineError(Exception):
    """A failure the user can act on; ``str(error)`` is the one line to show."""


class ReadError(PipelineError):
    """A source file cannot be read; the message says why in one line (every reader raises
    it; ``pipeline.ingest.errors`` names it too)."""


def unexpected(exc: BaseException, doing: str = "") -> str:
    """One line for an exception that is not a ``PipelineError`` (a bug, or a library failing
    in a way nobody foresaw); its traceback is logged at debug level."""
    logging.getLogger("pipeline").debug(
        "unexpected error%s:", " " + doing if doing else "", exc_info=exc
    )
    detail = " ".join(str(exc).split())[:200]
    what = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return f"unexpected error{' ' + doing if doing else ''} ({what}); {DEBUG_HINT}"
