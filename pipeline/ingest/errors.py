"""The one error every reader raises."""

from __future__ import annotations

from pipeline.errors import PipelineError


class ReadError(PipelineError):
    """A source file cannot be read; the message says why in one line."""
