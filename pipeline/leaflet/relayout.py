"""Lay already translated outputs out again as leaflets, without translating.

``relayout`` reads the translations from the folder it is given (or, for a source file, from
``output/<stem>/``), finds each language's ``<stem>.<lang>.docx`` by the files' own names (the
names report.json lists, else the one ``*.<lang>.docx`` there), so a renamed or moved output
folder still works, and writes ``<stem>.<lang>.<layout>.pdf`` (or
``<stem>.<src>-<lang>.bilingual.pdf``) into ``out`` (default: that same folder).
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

    The translations are read from ``path`` (a folder) or ``output/<stem>/`` (a source file);
    the leaflets are written to ``out`` (created when missing; default: the folder read). A
    language that cannot be laid out becomes an outcome with an ``error``; ``on_outcome`` is called as each language finishes. Raises ``RelayoutError`` when
    the whole request cannot go on (``usage`` set when the request itself is wrong).
    """
    from pipeline.leaflet import LeafletOptions, LeafletOptionsError

    try:
        LeafletOptions(layout, bw=bw, bleed=bleed, two_up=two_up)
    except LeafletOptionsError as exc:
        raise RelayoutError(str(exc), usage=True) from exc
    folder, source = _locate(path)
    if not folder.is_dir():
        raise RelayoutError(f"{folder}: no outputs here; run pipeline translate first", usage=True)
    report = _read_report(folder)
    source, src_lang = _source_info(report, source)
    docx_files = _translations(folder, report)
    stem = _stem(folder, docx_files, source)
    original = None
    if layout == "bilingual" or (src_lang and src_lang in langs):
        original, src_lang = _original(folder, source, src_lang, layout)
    if layout == "bilingual" and src_lang in langs:  # a usage error before any leaflet is made
        raise RelayoutError(
            f"{src_lang}: the bilingual layout needs a target language (the original is "
            f"{src_lang}); leave it out of --to",
            usage=True,
        )
    target = out if out is not None else folder
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RelayoutError(f"{target}: cannot create the folder: {exc.strerror or exc}") from exc
    outcomes: list[RelayoutOutcome] = []
    job = _Relayout(stem, target, layout, config, src_lang, original, bleed, bw, two_up)
    for lang in langs:
        docx = docx_files.get(lang, folder / f"{stem}.{lang}.docx")
        try:
            outcome = job.one(lang, docx)
        except PipelineError as exc:
            if isinstance(exc, RelayoutError) and exc.usage:
                raise
            outcome = RelayoutOutcome(lang, layout, error=str(exc))
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return outcomes


def _original(
    folder: Path, source: Path | None, src_lang: str | None, layout: str
) -> tuple[Document | None, str | None]:
    """The source document (the bilingual layout's left column, or the source language's
    own leaflet) and its language; None when it cannot be read and need not be."""
    if source is None or not source.is_file():
        if layout == "bilingual":
            raise RelayoutError(
                f"{folder}: the bilingual layout needs the source file; pass it as PATH",
                usage=True,
            )
        return None, src_lang
    original = _read(source)
    src_lang = src_lang or original.lang
    if original.lang is None:
        original.lang = src_lang
    return original, src_lang


@dataclass(frozen=True)
class _Relayout:
    """One relayout request: what every language's leaflet is made with."""

    stem: str
    target: Path
    layout: str
    config: LeafletConfig
    src_lang: str | None
    original: Document | None
    bleed: bool
    bw: bool
    two_up: bool

    def one(self, lang: str, docx: Path) -> RelayoutOutcome:
        """The leaflet (and its two-up sheet) of one language, from its DOCX."""
        from pipeline.leaflet import leaflet_filename, write_leaflet

        if docx.is_file():
            doc = _read(docx)
            doc.lang = doc.lang or lang
        elif lang == self.src_lang and self.original is not None:
            doc = self.original
        else:
            raise RelayoutError(f"{docx}: not found; translate to {lang} first")
        layout, bw = self.layout, self.bw
        name = leaflet_filename(self.stem, lang, layout, src=self.src_lang, bw=bw, bleed=self.bleed)
        result = write_leaflet(
            doc,
            self.target / name,
            layout,
            self.config,
            lang=lang,
            original=self.original,
            bleed=self.bleed,
            bw=bw,
        )
        imposed = None
        if self.two_up:
            two_up_name = leaflet_filename(self.stem, lang, layout, bw=bw, two_up=True)
            imposed = write_leaflet(
                doc, self.target / two_up_name, layout, self.config, lang=lang, bw=bw, two_up=True
            ).path
        return RelayoutOutcome(lang, layout, result=result, two_up=imposed)


def _locate(path: Path) -> tuple[Path, Path | None]:
    """(the folder holding the translations, the source file or None) for PATH."""
    if path.is_dir():
        return path, None
    if path.is_file():
        return DEFAULT_OUT / output_names([path])[0], path  # named as translate names it
    raise RelayoutError(f"{path}: no such file or folder", usage=True)


def _translations(folder: Path, report: dict[str, Any]) -> dict[str, Path]:
    """Each language's translated DOCX in ``folder``, by the file's own name: the name
    report.json gives (looked up in ``folder``, wherever the folder has moved since), else
    the one ``*.<lang>.docx`` in it."""
    from pipeline.document import LANGUAGES

    found: dict[str, Path] = {}
    targets = report.get("targets")
    for lang, entry in (targets if isinstance(targets, dict) else {}).items():
        outputs = entry.get("outputs") if isinstance(entry, dict) else None
        name = outputs.get("docx") if isinstance(outputs, dict) else None
        if isinstance(name, str) and (folder / Path(name).name).is_file():
            found[lang] = folder / Path(name).name
    for lang in LANGUAGES:
        if lang not in found:
            matches = sorted(
                p for p in folder.glob(f"*.{lang}.docx") if not p.name.startswith("~$")
            )
            if len(matches) == 1:
                found[lang] = matches[0]
    return found


def _stem(folder: Path, docx_files: dict[str, Path], source: Path | None) -> str:
    """The name the leaflets are written under: the translations' own stem, else the source
    file's, else the folder's."""
    for lang, path in docx_files.items():
        return path.name[: -len(f".{lang}.docx")]
    return source.stem if source is not None else folder.name


def _read(path: Path) -> Document:
    from pipeline.ingest import read_document

    try:
        return read_document(path)
    except PipelineError as exc:
        raise RelayoutError(f"{path}: {exc}") from exc


def _read_report(folder: Path) -> dict[str, Any]:
    """``folder/report.json`` as a dict ({} when there is none)."""
    report = folder / "report.json"
    if not report.is_file():
        return {}
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RelayoutError(f"{report}: cannot read: {exc}") from exc
    if not isinstance(data, dict):
        raise RelayoutError(f"{report}: not a report.json written by pipeline translate")
    return data


def _source_info(report: dict[str, Any], source: Path | None) -> tuple[Path | None, str | None]:
    """The source file and its language, from report.json when there is one."""
    lang = (report.get("detected") or {}).get("language")
    if source is None and (report.get("source") or {}).get("path"):
        source = Path(report["source"]["path"])
    return source, lang
