"""TMX 1.4 import and export of the memory's approved translations.

Export writes every approved entry (optionally of one pair) with reviewer and time; import checks
the whole file (languages, source language, usable units) before storing anything, and never
replaces a newer, different approval.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.document import LANGUAGES
from pipeline.export.atomic import write_bytes_atomic
from pipeline.ingest import xml_stream
from pipeline.ingest.errors import ReadError
from pipeline.ingest.limits import Limits, check_import_size
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
        unit = store.addsourceunit(entry.source, sourcelang=stored.src)  # type: ignore[no-untyped-call,unused-ignore]
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
    limits: Limits | None = None,
) -> TmxImportResult:
    """``import_tmx`` with the counts the CLI prints.

    ``reviewer`` overrides the units' ``changeid``/``creationid``; without either, the OS
    user. A unit older than a different approval already in the memory does not replace it.
    With ``language_of``, a unit whose source or target text is, by the detector, surely in
    another language than its ``xml:lang`` says is refused (``result.refused``); when every
    unit is, nothing is imported (``TmxError``).
    """
    path = Path(path)
    read = read_tmx(path, src=src, tgt=tgt, reviewer=reviewer, limits=limits)
    entries = read.entries
    result = TmxImportResult(path=path, units=read.units, refused=list(read.refused))
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


@dataclass
class TmxTuv:
    """One ``<tuv>`` as read: its language, text and attributes."""

    lang: str
    text: str
    attrs: dict[str, str]


@dataclass
class TmxUnit:
    """One ``<tu>`` as read (the reader's output; policy is ``_unit_approvals``'s)."""

    number: int
    srclang: str | None
    attrs: dict[str, str]
    tuvs: list[TmxTuv]
    problem: str | None = None  # why this unit is refused as it stands


@dataclass
class TmxRead:
    """What ``read_tmx`` found: the unit count, the approvals and the units refused."""

    units: int
    entries: list[NewApproval]
    refused: list[str]


_DATES = ("changedate", "creationdate")
_PEOPLE = ("changeid", "creationid")


def iter_tmx(path: Path, limits: Limits) -> Iterator[TmxUnit | str]:
    """The header's ``srclang`` (a str, first) and then every unit of a TMX file, parsed as a
    stream (each ``<tu>`` freed once read): no DTD, no entity resolved, no network, lxml's
    depth limit; ``TmxError`` for a file that is not TMX or past ``max_import_units``."""
    from lxml import etree

    context = xml_stream.iterparse(path, events=("end",), tag=("header", "tu"))
    number = 0
    try:
        for _, element in context:
            if number == 0 and element.getroottree().getroot().tag != "tmx":
                raise TmxError(f"{path}: not a TMX file (the root element is not <tmx>)")
            if element.tag == "header":
                yield _language(element.get("srclang")) or ""
                continue
            number += 1
            if number > limits.max_import_units:
                refusal = limits.refusal("max_import_units", f"more than {number - 1} units")
                raise TmxError(f"{path}: {refusal}; nothing imported")
            yield _tmx_unit(element, number)
            _free(element)
    except etree.XMLSyntaxError as exc:
        raise TmxError(
            f"{path}: not a TMX file ({xml_stream.xml_problem(exc.error_log, exc)})"
        ) from None
    root = context.root
    if root is not None and root.tag != "tmx":
        raise TmxError(f"{path}: not a TMX file (the root element is not <tmx>)")
    _check_xml_log(path, context.error_log, root is not None)


def _free(element: _Element) -> None:
    """Drop a read ``<tu>`` and the ones before it, so memory stays flat."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _check_xml_log(path: Path, log: Any, root_seen: bool) -> None:
    """``TmxError`` when the parser had to recover from anything but an undeclared entity
    (a truncated or broken file is refused whole, never read in part)."""
    if not root_seen or xml_stream.recovered(log):
        raise TmxError(f"{path}: not a TMX file ({xml_stream.xml_problem(log)})")


def _tmx_unit(element: _Element, number: int) -> TmxUnit:
    from lxml import etree
    from translate.misc.xml_helpers import XML_NS, getText, getXMLspace

    lang_attr = f"{{{XML_NS}}}lang"
    space = getXMLspace(element, "default")  # type: ignore[no-untyped-call,unused-ignore]
    unit = TmxUnit(number, _language(element.get("srclang")), dict(element.attrib), [])
    entity = next((n for n in element.iter() if isinstance(n, etree._Entity)), None)
    if entity is not None:
        unit.problem = (
            f"an XML entity reference ({entity.text}) is in the unit; TMX units take plain "
            "text: type the characters themselves"
        )
    for node in element.iterchildren("tuv"):
        lang = _language(node.get(lang_attr) or node.get("lang"))
        if lang is None:
            raise TmxError(f"unit {number} has a <tuv> without xml:lang")
        seg = next(node.iterdescendants("seg"), None)
        text = getText(seg, space) if seg is not None else ""  # type: ignore[no-untyped-call,unused-ignore]
        unit.tuvs.append(TmxTuv(lang, text or "", dict(node.attrib)))
    return unit


def read_tmx(
    path: Path,
    *,
    src: str | None = None,
    tgt: str | None = None,
    reviewer: str | None = None,
    limits: Limits | None = None,
) -> TmxRead:
    """Parse and check a whole TMX file (streaming, within the limits); raises ``TmxError``."""
    limits = limits or Limits.from_env()
    for label, lang in (("--from", src), ("--to", tgt)):
        if lang is not None and lang not in LANGUAGES:
            raise TmxError(f"unsupported language {lang!r} for {label}: choose from en, es, ja")
    if not path.is_file():
        raise TmxError(f"{path}: {'not a file' if path.exists() else 'no such file'}")
    try:
        check_import_size(path, limits, "TMX file")
    except ReadError as exc:
        raise TmxError(f"{path}: {exc}; nothing imported") from None
    _precount_units(path, limits)
    policy = _Policy(path, src, tgt, reviewer, utc_iso(None))
    try:
        for item in iter_tmx(path, limits):
            if isinstance(item, str):
                policy.header_src = item or None
            else:
                policy.take(item)
    except TmxError as exc:
        message = str(exc)
        raise TmxError(message if message.startswith(str(path)) else f"{path}: {message}") from None
    return policy.finish()


_TU_TAG = re.compile(rb"<tu[\s>/]")


def _precount_units(path: Path, limits: Limits) -> None:
    """Refuse a file with far too many units in a fraction of a second, by counting ``<tu``
    tags in its bytes before parsing (the parser counts again, exactly, as it reads)."""
    import mmap

    with path.open("rb") as handle:
        if path.stat().st_size == 0:
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            units = sum(1 for _ in _TU_TAG.finditer(data))
    if units > limits.max_import_units:
        refusal = limits.refusal("max_import_units", f"{units} units")
        raise TmxError(f"{path}: {refusal}; nothing imported")


class _Policy:
    """What the pipeline keeps of the units a reader gives (the converter): languages en, es
    and ja only, the expected pair, who approved and when."""

    def __init__(
        self, path: Path, src: str | None, tgt: str | None, reviewer: str | None, now: str
    ) -> None:
        self.path, self.src, self.tgt, self.reviewer, self.now = path, src, tgt, reviewer, now
        self.header_src: str | None = None
        self.units = 0
        self.seen: set[str] = set()
        self.entries: list[NewApproval] = []
        self.refused: list[str] = []
        self._user: str | None = None

    def take(self, unit: TmxUnit) -> None:
        self.units += 1
        self.seen.update(tuv.lang for tuv in unit.tuvs)
        foreign = sorted(self.seen - set(LANGUAGES))
        if foreign:
            raise TmxError(
                f"{self.path}: holds languages {', '.join(sorted(self.seen))}; the pipeline "
                f"keeps only en, es and ja (found {', '.join(foreign)}); nothing imported"
            )
        if unit.problem is not None:
            self.refused.append(f"unit {unit.number}: refused: {unit.problem}")
            return
        self.entries.extend(self._approvals(unit))

    def _approvals(self, unit: TmxUnit) -> list[NewApproval]:
        if not unit.tuvs:
            return []
        unit_src = unit.srclang or self.header_src
        if unit_src in (None, "*all*"):
            unit_src = unit.tuvs[0].lang
        source = next((t for t in unit.tuvs if t.lang == unit_src), None)
        if source is None:
            raise TmxError(
                f"{self.path}: unit {unit.number} says its source language is {unit_src} but "
                f"has no {unit_src} text; nothing imported"
            )
        if self.src is not None and unit_src != self.src:
            raise TmxError(
                f"{self.path}: unit {unit.number} translates from {unit_src}, not from "
                f"{self.src} as expected; nothing imported"
            )
        if not normalize_source(source.text):
            return []
        return [
            new_approval(unit_src, tuv.lang, source.text, tuv.text, *self._who_when(unit, tuv))
            for tuv in unit.tuvs
            if tuv.lang != unit_src
            and tuv.text.strip()
            and (self.tgt is None or tuv.lang == self.tgt)
        ]

    def _who_when(self, unit: TmxUnit, tuv: TmxTuv) -> tuple[str, str]:
        """The reviewer (``--reviewer``, else the tuv's or unit's change/creation id, else
        the OS user) and the time (the tuv's or unit's change/creation date, else now)."""
        people = [d.get(k) for k in _PEOPLE for d in (tuv.attrs, unit.attrs)]
        dates = [_tmx_to_iso(d.get(k)) for k in _DATES for d in (tuv.attrs, unit.attrs)]
        who = self.reviewer or next((p for p in people if p), None) or self._os_user()
        return who, next((d for d in dates if d), None) or self.now

    def _os_user(self) -> str:
        if self._user is None:
            self._user = os_user()
        return self._user

    def finish(self) -> TmxRead:
        if self.units and not self.entries and not self.refused:
            wanted = f"{self.src or '…'}→{self.tgt or '…'}"
            raise TmxError(
                f"{self.path}: no usable {wanted} translation units (languages in the file: "
                f"{', '.join(sorted(self.seen)) or 'none'}); nothing imported"
            )
        return TmxRead(self.units, self.entries, self.refused)
