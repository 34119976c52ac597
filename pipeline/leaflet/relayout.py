"""Lay already translated outputs out again as leaflets, without translating.

``relayout`` finds the output folder ``OUT/<stem>/`` for an output folder or a source file,
reads each language from ``<stem>.<lang>.docx`` (the source language from the source file),
and writes ``<stem>.<lang>.<layout>.pdf`` (or ``<stem>.<src>-<lang>.bilingual.pdf``) next to it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import PipelineError
from pipeline.outnames import output_names

if TYPE_CHECKING:
    from pipeline.document import Document
    from pipeline.leaflet import LeafletResult
    from pipeline.leaflet.config import LeafletConfig

DEFAULT_OUT = Path("output")


class RelayoutError(PipelineError):
    """One line saying why nothing (``usage``: the request itself is wrong) or one language
    could not be laid out."""

    def __init__(self, message: str, usage: bool = False):
        super().__init__(message)
        self.usage = usage


@dataclass(frozen=True)
class RelayoutOutcome:
    """One language: the leaflet written (and its 2-up imposition), or why it was not."""

    lang: str
    layout: str
    result: LeafletResult | None = None
    two_up: Path | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON entry ``pipeline leaflet --json`` prints for this language."""
        entry: dict[str, Any] = {"lang": self.lang, "layout": self.layout}
        if self.result is None:
            entry["error"] = self.error
            return entry
        entry.update(self.result.as_dict())
        if self.two_up is not None:
            entry["two_up"] = str(self.two_up)
        return entry


def relayout(
    path: Path,
    langs: list[str],
    layout: str,
    config: LeafletConfig,
    *,
    out: Path | None = None,
    bleed: bool = False,
    bw: bool = False,
    two_up: bool = False,
    on_outcome: Callable[[RelayoutOutcome], None] | None = None,
) -> list[RelayoutOutcome]:
    """Lay each of ``langs`` out with ``layout``; ``path`` is an output folder or a source file.

    ``out`` is the output root holding ``<stem>/`` (default: the parent of an output folder
    ``path``, else ``output/``). A language that cannot be laid out becomes an outcome with an
    ``error``; ``on_outcome`` is called as each language finishes. Raises ``RelayoutError`` when
    the whole request cannot go on (``usage`` set when the request itself is wrong).
    """
    from pipeline.leaflet import (
        LeafletOptions,
        LeafletOptionsError,
        leaflet_filename,
        write_leaflet,
    )

    try:
        LeafletOptions(layout, bw=bw, bleed=bleed, two_up=two_up)
    except LeafletOptionsError as exc:
        raise RelayoutError(str(exc), usage=True) from exc
    folder, stem, source = _locate(path, out)
    if not folder.is_dir():
        raise RelayoutError(f"{folder}: no outputs here; run pipeline translate first", usage=True)
    source, src_lang = _source_info(folder, source)

    original = None
    if layout == "bilingual" or (src_lang and src_lang in langs):
        if source is None or not source.is_file():
            if layout == "bilingual":
                raise RelayoutError(
                    f"{folder}: the bilingual layout needs the source file; pass it as PATH",
                    usage=True,
                )
        else:
            original = _read(source)
            src_lang = src_lang or original.lang
            if original.lang is None:
                original.lang = src_lang

    outcomes: list[RelayoutOutcome] = []
    for lang in langs:
        docx = folder / f"{stem}.{lang}.docx"
        try:
            if docx.is_file():
                doc = _read(docx)
                doc.lang = doc.lang or lang
            elif lang == src_lang and original is not None:
                doc = original
            else:
                raise RelayoutError(f"{docx}: not found; translate to {lang} first")
            if layout == "bilingual" and lang == src_lang:
                raise RelayoutError(
                    f"{lang}: the bilingual layout needs a target language", usage=True
                )
            name = leaflet_filename(stem, lang, layout, src=src_lang, bw=bw, bleed=bleed)
            result = write_leaflet(
                doc,
                folder / name,
                layout,
                config,
                lang=lang,
                original=original,
                bleed=bleed,
                bw=bw,
            )
            imposed = None
            if two_up:
                two_up_name = leaflet_filename(stem, lang, layout, bw=bw, two_up=True)
                imposed = write_leaflet(
                    doc, folder / two_up_name, layout, config, lang=lang, bw=bw, two_up=True
                ).path
            outcome = RelayoutOutcome(lang, layout, result=result, two_up=imposed)
        except PipelineError as exc:
            if isinstance(exc, RelayoutError) and exc.usage:
                raise
            outcome = RelayoutOutcome(lang, layout, error=str(exc))
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return outcomes


def _locate(path: Path, out: Path | None) -> tuple[Path, str, Path | None]:
    """(output folder, stem, source file or None) for PATH."""
    if path.is_dir():
        folder = (out / path.name) if out else path
        return folder, path.name, None
    if path.is_file():
        name = output_names([path])[0]  # as translate names a file given by name
        return (out or DEFAULT_OUT) / name, name, path
    raise RelayoutError(f"{path}: no such file or folder", usage=True)


def _read(path: Path) -> Document:
    from pipeline.ingest import read_document

    try:
        return read_document(path)
    except PipelineError as exc:
        raise RelayoutError(f"{path}: {exc}") from exc


def _source_info(folder: Path, source: Path | None) -> tuple[Path | None, str | None]:
    """The source file and its language, from report.json when there is one."""
    report = folder / "report.json"
    lang = None
    if report.is_file():
        try:
            data = json.loads(report.read_text(encoding="utf-8"))
            lang = (data.get("detected") or {}).get("language")
            if source is None and (data.get("source") or {}).get("path"):
                source = Path(data["source"]["path"])
        except (OSError, ValueError) as exc:
            raise RelayoutError(f"{report}: cannot read: {exc}") from exc
    return source, lang
