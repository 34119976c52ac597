"""Loaded by the kill test's ``dask worker --preload``: a worker that reads a document holding
``KILL-THIS-WORKER`` dies at once (``os._exit``), as one whose reader ran out of memory or
crashed would. Test-only: nothing in the pipeline knows about it."""

from __future__ import annotations

import os
from typing import Any

import pipeline.cluster

MARK = b"KILL-THIS-WORKER"
_current: Any = getattr(pipeline.cluster, "prepare")  # noqa: B009 (not in its __all__)
_prepare = getattr(_current, "real", _current)  # the preload can run twice in one process


def _deadly_prepare(source: Any, *args: Any) -> Any:
    if MARK in source.path.read_bytes():
        os._exit(1)
    return _prepare(source, *args)


_deadly_prepare.real = _prepare  # type: ignore[attr-defined]
setattr(pipeline.cluster, "prepare", _deadly_prepare)  # noqa: B010
