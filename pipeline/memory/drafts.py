"""Every engine's draft of a segment, read from the memory's machine-output cache.

A reviewer deciding on a draft wants to see what the other engines wrote for the same
sentence (Apertium's draft next to Argos's): each engine a run used left its output in the
``cache`` table, keyed by engine and model.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.memory.store import MemoryFileError, TranslationMemory, normalize_source

_CHUNK = 500


@dataclass(frozen=True)
class EngineDraft:
    """One engine's output for a segment, as cached."""

    engine: str
    model: str
    target: str


def engine_drafts(
    memory: TranslationMemory, src: str, tgt: str, sources: Sequence[str]
) -> dict[str, list[EngineDraft]]:
    """The cached drafts of ``sources`` in the pair, newest first, one per engine and model:
    {source as given: drafts}."""
    by_norm: dict[str, list[str]] = {}
    for text in sources:
        by_norm.setdefault(normalize_source(text), []).append(text)
    norms = list(by_norm)
    found: dict[str, list[EngineDraft]] = {}
    try:
        for start in range(0, len(norms), _CHUNK):
            chunk = norms[start : start + _CHUNK]
            rows = memory.conn.execute(
                "SELECT source, engine, model, target FROM cache WHERE src=? AND tgt=? "
                f"AND source IN ({','.join('?' * len(chunk))}) ORDER BY created_at DESC",
                (src, tgt, *chunk),
            )
            for source, engine, model, target in rows:
                for original in by_norm.get(source, ()):
                    drafts = found.setdefault(original, [])
                    if all((d.engine, d.model) != (engine, model) for d in drafts):
                        drafts.append(EngineDraft(engine, model, target))
    except sqlite3.Error as exc:
        raise MemoryFileError(memory.path, str(exc)) from None
    return found
