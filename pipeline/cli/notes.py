"""What the translate command says about a run beyond its table: unsure detections (read
back from each document's report.json, so an unchanged document says it too), blocking
findings and lines grouped by reason."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.blocking import Held
    from pipeline.jobs import DocumentReport, Failure, RunResult


def unsure_warnings(result: RunResult) -> list[str]:
    """One line per document whose language (or some of whose blocks') detection is unsure,
    with the fix, from its report.json (also for documents not rebuilt)."""
    lines = []
    for doc in result.documents:
        lines += [f"{doc.path}: {line}" for line in _unsure_lines(detected_of(doc))]
    return lines


def detected_of(doc: DocumentReport) -> dict[str, Any]:
    """report.json's ``detected`` and the unsure blocks of one document ({} when none)."""
    if doc.lang is None and not doc.unchanged:
        return {}
    try:
        data = json.loads((doc.out_dir / "report.json").read_text(encoding="utf-8"))
        detected = dict(data["detected"])
        targets = list(data["targets"].values())
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    blocks = targets[0].get("foreign_blocks", []) if targets else []
    detected["unsure_blocks"] = [b for b in blocks if "unsure" in str(b.get("action"))]
    return detected


def _unsure_lines(detected: dict[str, Any]) -> list[str]:
    from pipeline.detect import BlockLanguage, unsure_lines

    if not detected or detected.get("source") == "--from" and not detected["unsure_blocks"]:
        return []
    blocks = [
        BlockLanguage(b["index"], b["language"], b["confidence"]) for b in detected["unsure_blocks"]
    ]
    confidence = 1.0 if detected.get("source") == "--from" else detected["confidence"]
    return unsure_lines(detected["language"] or "und", confidence, blocks)


def grouped_lines(failures: list[Failure]) -> list[str]:
    """``PATH: reason`` per entry; a reason shared by several documents is one line."""
    by_reason: dict[str, list[str]] = {}
    for failure in failures:
        by_reason.setdefault(failure.reason, []).append(failure.path)
    lines = []
    for reason, paths in by_reason.items():
        if len(paths) == 1:
            lines.append(f"{paths[0]}: {reason}")
        else:
            lines.append(f"{reason} ({len(paths)} documents: {', '.join(paths)})")
    return lines


def unsure_cells(detected: dict[str, Any]) -> list[str]:
    """The summary's marks for an unsure detection (the lines on stderr say more)."""
    cells = []
    if detected and detected.get("warning"):
        cells.append(f"language unsure ({detected['confidence']:.2f}): --from")
    if detected and detected["unsure_blocks"]:
        cells.append(f"{_count(len(detected['unsure_blocks']), 'block')} of unsure language")
    return cells


def held_cell(held: Held) -> str:
    """The summary's mark for a target whose print-ready outputs were held back."""
    segments = len({f["segment"] for f in held.findings})
    if not held.outputs:
        return _count(segments, "blocking segment")
    return f"{_count(segments, 'blocking segment')}: {' and '.join(held.outputs)} not written"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
