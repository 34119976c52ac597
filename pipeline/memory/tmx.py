"""TMX 1.4 import and export of the memory's approved translations.

Export writes every approved entry (optionally of one pair) with reviewer and time; import checks
the whole file (languages, source language, usable units) before storing anything, and never
replaces a newer, different approval.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.document import LANGUAGES
from pipeline.export.atomic import write_bytes_atomic
from pipeline.memory.store import (
    APP_NAME,
    NewApproval,
    TranslationMemory,
    TranslationMemoryError,
    new_approval,
    normalize_source,
    os_user,
    utc_iso,
)

if TYPE_CHECKING:
    from lxml.etree import _Element

_TMX_DATE = "%Y%m%dT%H%M%SZ"


class TmxError(TranslationMemoryError):
    """A TMX file cannot be imported or exported; nothing was imported from it."""


@dataclass
class TmxImportResult:
    """What ``import_tmx_detailed`` did."""

    path: Path
    units: int = 0
    imported: int = 0  # new or changed approved entries
    unchanged: int = 0  # already approved with the same target
    kept_newer: int = 0  # the memory held a newer, different approval: kept it
    pairs: dict[str, int] = field(default_factory=dict)  # "en-es" -> entries read
    refused: list[str] = field(default_factory=list)  # one line per unit not imported


LanguageOf = Callable[[str], tuple[str, float]]
"""A detector: text → (language code, confidence 0–1); ``pipeline.detect.detect_text``."""

SURE = 0.75
"""A side is refused only when the detector is at least this sure it is another language."""


def _iso_to_tmx(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(UTC).strftime(_TMX_DATE)


def _tmx_to_iso(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return utc_iso(datetime.strptime(value.strip(), _TMX_DATE).replace(tzinfo=UTC))
    except ValueError:
        return None


def _language(tag: str | None) -> str | None:
    """'en-US', 'EN', 'es_419' -> 'en', 'en', 'es'."""
    if not tag:
        return None
    return re.split(r"[-_]", tag.strip(), maxsplit=1)[0].lower() or None


def export_tmx(
    memory: TranslationMemory, path: Path | str, src: str | None = None, tgt: str | None = None
) -> int:
    """Write the approved entries (optionally of one pair) to a TMX 1.4 file; returns count."""
    from lxml import etree
    from translate.storage.tmx import tmxfile

    for lang in (src, tgt):
        if lang is not None and lang not in LANGUAGES:
            raise TmxError(f"unsupported language {lang!r}: choose from en, es, ja")
    path = Path(path)
    entries = memory.approved_entries(src, tgt)
    sources = {e.src for e in entries} | ({src} if src else set())
    header_src = sources.pop() if len(sources) == 1 else "*all*"
    store = tmxfile(sourcelanguage=header_src)
    header = store.document.getroot().find("header")
    if header is not None:
        from pipeline import __version__

        header.set("creationtool", APP_NAME)
        header.set("creationtoolversion", __version__)
        header.set("datatype", "plaintext")
        header.set("srclang", header_src)
    for stored in entries:
        entry = stored.entry
        unit = store.addsourceunit(entry.source, sourcelang=stored.src)
        unit.settarget(entry.target, stored.tgt, append=True)
        when = _iso_to_tmx(entry.approved_at)
        for name, value in (
            ("creationid", entry.reviewer),
            ("creationdate", when),
            ("changeid", entry.reviewer),
            ("changedate", when),
        ):
            unit.xmlelement.set(name, value)
        if stored.origin:
            prop = etree.Element("prop", type="x-pipeline-origin")
            prop.text = stored.origin
            unit.xmlelement.insert(0, prop)
    try:
        write_bytes_atomic(path, bytes(store))
    except OSError as exc:
        raise TmxError(f"{path}: cannot write ({exc.strerror or exc})") from None
    return len(entries)


def import_tmx(
    memory: TranslationMemory,
    path: Path | str,
    reviewer: str | None = None,
    *,
    src: str | None = None,
    tgt: str | None = None,
) -> int:
    """Store a TMX file's units as approved; returns how many entries were new or changed.

    Raises ``TmxError`` (one line naming the file) before storing anything when the file is
    not TMX, or holds languages other than en/es/ja, or not the expected ``src``/``tgt``.
    """
    return import_tmx_detailed(memory, path, reviewer, src=src, tgt=tgt).imported


def import_tmx_detailed(
    memory: TranslationMemory,
    path: Path | str,
    reviewer: str | None = None,
    *,
    src: str | None = None,
    tgt: str | None = None,
    language_of: LanguageOf | None = None,
) -> TmxImportResult:
    """``import_tmx`` with the counts the CLI prints.

    ``reviewer`` overrides the units' ``changeid``/``creationid``; without either, the OS
    user. A unit older than a different approval already in the memory does not replace it.
    With ``language_of``, a unit whose source or target text is, by the detector, surely in
    another language than its ``xml:lang`` says is refused (``result.refused``); when every
    unit is, nothing is imported (``TmxError``).
    """
    path = Path(path)
    units, entries = read_tmx(path, src=src, tgt=tgt, reviewer=reviewer)
    result = TmxImportResult(path=path, units=units)
    if language_of is not None:
        entries = _check_languages(path, entries, language_of, result.refused)
    for e in entries:
        pair = f"{e.src}-{e.tgt}"
        result.pairs[pair] = result.pairs.get(pair, 0) + 1
    changed, unchanged, kept = memory.approve_many(entries, f"tmx:{path.name}", keep_newer=True)
    result.imported, result.unchanged, result.kept_newer = changed, unchanged, kept
    return result


def _check_languages(
    path: Path, entries: list[NewApproval], language_of: LanguageOf, refused: list[str]
) -> list[NewApproval]:
    """The entries whose sides are in the languages they claim; the others refused."""
    kept: list[NewApproval] = []
    for entry in entries:
        problems = []
        for side, lang, text in (
            ("source", entry.src, entry.source),
            ("target", entry.tgt, entry.target),
        ):
            found, confidence = language_of(text)
            if found != lang and found in LANGUAGES and confidence >= SURE:
                problems.append(f"its {lang} {side} reads as {found} ({confidence:.2f})")
        if problems:
            snippet = entry.source if len(entry.source) <= 40 else entry.source[:39] + "…"
            refused.append(
                f"{entry.src}→{entry.tgt} unit {snippet!r}: refused: {' and '.join(problems)}; "
                "the file's languages look swapped (a TMX written from a translated draft?)"
            )
        else:
            kept.append(entry)
    if entries and not kept:
        raise TmxError(
            f"{path}: every unit's text is in another language than its xml:lang says "
            f"({refused[0].split(': refused: ', 1)[1]}); nothing imported"
        )
    return kept


def read_tmx(
    path: Path,
    *,
    src: str | None = None,
    tgt: str | None = None,
    reviewer: str | None = None,
) -> tuple[int, list[NewApproval]]:
    """Parse and check a whole TMX file; returns (unit count, entries). Raises ``TmxError``."""
    from translate.misc.xml_helpers import XML_NS, getXMLspace
    from translate.storage.tmx import tmxfile

    for label, lang in (("--from", src), ("--to", tgt)):
        if lang is not None and lang not in LANGUAGES:
            raise TmxError(f"unsupported language {lang!r} for {label}: choose from en, es, ja")
    if not path.is_file():
        raise TmxError(f"{path}: {'not a file' if path.exists() else 'no such file'}")
    try:
        with path.open("rb") as handle:
            store = tmxfile(handle)
    except Exception as exc:  # lxml, translate-toolkit and assertion errors on foreign XML
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        detail = re.sub(r"\s*\(<string>, line \d+\)$", "", detail)  # lxml's own source name
        if isinstance(exc, AssertionError) or not detail:
            detail = "the root element is not <tmx>"
        raise TmxError(f"{path}: not a TMX file ({detail})") from None

    root = store.document.getroot()
    header = root.find("header")
    header_src = _language(header.get("srclang")) if header is not None else None
    lang_attr = f"{{{XML_NS}}}lang"
    now = utc_iso(None)
    default_reviewer = reviewer or None

    seen: set[str] = set()
    raw: list[tuple[int, str | None, list[tuple[str, str, _Element]], _Element]] = []
    for number, unit in enumerate(store.units, start=1):
        tuvs = []
        for node in unit.getlanguageNodes():
            lang_tag = node.get(lang_attr) or node.get("lang")
            lang = _language(lang_tag)
            if lang is None:
                raise TmxError(f"{path}: unit {number} has a <tuv> without xml:lang")
            text = unit.getNodeText(node, getXMLspace(unit.xmlelement, "default")) or ""
            seen.add(lang)
            tuvs.append((lang, text, node))
        unit_src = _language(unit.xmlelement.get("srclang")) or header_src
        raw.append((number, unit_src, tuvs, unit.xmlelement))

    foreign = sorted(seen - set(LANGUAGES))
    if foreign:
        raise TmxError(
            f"{path}: holds languages {', '.join(sorted(seen))}; the pipeline keeps only en, es "
            f"and ja (found {', '.join(foreign)}); nothing imported"
        )

    entries: list[NewApproval] = []
    for number, unit_src, tuvs, element in raw:
        if not tuvs:
            continue
        if unit_src in (None, "*all*"):
            unit_src = tuvs[0][0]
        if unit_src not in {lang for lang, _, _ in tuvs}:
            raise TmxError(
                f"{path}: unit {number} says its source language is {unit_src} but has no "
                f"{unit_src} text; nothing imported"
            )
        if src is not None and unit_src != src:
            raise TmxError(
                f"{path}: unit {number} translates from {unit_src}, not from {src} as expected; "
                "nothing imported"
            )
        source_text = next(text for lang, text, _ in tuvs if lang == unit_src)
        if not normalize_source(source_text):
            continue
        for lang, text, node in tuvs:
            if lang == unit_src or not text.strip() or (tgt is not None and lang != tgt):
                continue
            who = (
                default_reviewer
                or node.get("changeid")
                or element.get("changeid")
                or node.get("creationid")
                or element.get("creationid")
                or os_user()
            )
            when = (
                _tmx_to_iso(node.get("changedate"))
                or _tmx_to_iso(element.get("changedate"))
                or _tmx_to_iso(node.get("creationdate"))
                or _tmx_to_iso(element.get("creationdate"))
                or now
            )
            entries.append(new_approval(unit_src, lang, source_text, text, who, when))
    if raw and not entries:
        wanted = f"{src or '…'}→{tgt or '…'}"
        raise TmxError(
            f"{path}: no usable {wanted} translation units (languages in the file: "
            f"{', '.join(sorted(seen)) or 'none'}); nothing imported"
        )
    return len(raw), entries
