"""The one error every reader raises (defined in ``pipeline.errors``, as the text decoding
below the readers raises it too)."""

from __future__ import annotations

from pipeline.errors import ReadError

__all__ = ["ReadError"]
