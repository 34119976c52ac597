"""Loaded by the kill tests' ``dask worker --preload``: a worker that reads a document holding
``KILL-THIS-WORKER``, or translates a segment holding ``POISON-SEGMENT``, dies at once
(``os._exit``), as one whose reader ran out of memory or whose model crashed would. Test-only:
nothing in the pipeline knows about it."""

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

POISON = "POISON-SEGMENT"
_current_chunk: Any = getattr(pipeline.cluster, "translate_chunk")  # noqa: B009
_translate_chunk = getattr(_current_chunk, "real", _current_chunk)


def _deadly_translate_chunk(options: Any, name: str, texts: list[str], *args: Any) -> Any:
    if any(POISON in text for text in texts):
        os._exit(1)
    return _translate_chunk(options, name, texts, *args)


_deadly_translate_chunk.real = _translate_chunk  # type: ignore[attr-defined]
setattr(pipeline.cluster, "translate_chunk", _deadly_translate_chunk)  # noqa: B010
