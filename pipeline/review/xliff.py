"""XLIFF 1.2 review files for CAT tools (OmegaT, Trados, memoQ), via translate-toolkit.

One file per document × language pair. Each segment is a ``trans-unit`` whose ``id`` is the
segment id; the pipeline's inline markers become XLIFF inline elements (``<g1>…</g1>`` →
``<g id="1">…</g>``, ``<x1/>`` → ``<x id="1"/>``) so CAT tools show them as tags a translator
moves but cannot mistype. Glossary hints, QA findings and where the draft came from are
``<note>``s in plain words (and one in the header saying what the file is and what to do);
fuzzy matches from the translation memory are ``<alt-trans>`` suggestions; the data the
pipeline needs to recognise the file on import is an ``<internal-file>`` reference in the
header, out of the translator's way; and the state says what to do:
``needs-review-translation`` with ``state-qualifier="leveraged-mt"`` (a machine draft),
``translated`` (kept or same-language text), ``final`` (approved).
Hashes of the exported source and draft (``sidecar.text_hash``) sit in one ``<context-group>``
per unit, named after the unit (names must be unique per ``<file>``), so the file validates
against the OASIS XLIFF 1.2 strict schema.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from translate.storage import xliff as tt_xliff
from translate.storage.placeables import StringElem
from translate.storage.placeables import xliff as px

from pipeline import __version__, markers
from pipeline.document import LANGUAGE_NAMES
from pipeline.export.atomic import write_bytes_atomic
from pipeline.ingest import xml_stream
from pipeline.ingest.errors import ReadError
from pipeline.ingest.limits import Limits, check_import_size
from pipeline.review.sidecar import (
    JsonObject,
    ReturnedFile,
    ReturnedSegment,
    ReviewError,
    ReviewSet,
    check_meta,
    hash_matches,
    normalize_text,
    rows_checksum,
    text_hash,
)

XLIFF_12_NS = "urn:oasis:names:tc:xliff:document:1.2"
TOOL_ID = "statement-pipeline"
META_PREFIX = "statement-pipeline review file: "
"""Files exported before the data moved to an ``<internal-file>`` kept it in a header note."""
META_FORM = "application/json"
DRAFT_CONTEXT = "x-draft-sha256"
SOURCE_CONTEXT = "x-source-sha256"
CONTEXT_GROUP_PREFIX = "x-statement-pipeline:"


class XliffError(ReviewError):
    """A file that is not an XLIFF review file we can read; the message names what is wrong."""


class _Unit12(tt_xliff.xliffunit):
    namespace = XLIFF_12_NS


class Xliff12File(tt_xliff.xlifffile):  # type: ignore[type-arg,unused-ignore]
    """translate-toolkit's XLIFF store, writing version 1.2 (its default is 1.1)."""

    UnitClass = _Unit12
    namespace = XLIFF_12_NS
    XMLskeleton = f"""<?xml version="1.0" ?>
<xliff version='1.2' xmlns='{XLIFF_12_NS}'>
<file original='NoName' source-language='en' datatype='plaintext'>
<body>
</body>
</file>
</xliff>"""


@dataclass
class XliffUnit:
    """One segment of a review XLIFF as read back."""

    id: str
    source: str
    target: str
    state: str | None
    draft_sha256: str | None
    source_sha256: str | None
    approved: bool
    problem: str | None = None  # why this unit cannot be imported (e.g. foreign inline codes)
    exported_id: str | None = None  # the id the unit had when exported (its context group's)


@dataclass
class XliffReview:
    """A review XLIFF as read back: its metadata and segments in file order."""

    document: str
    src: str
    tgt: str
    meta: JsonObject = field(default_factory=dict)
    units: list[XliffUnit] = field(default_factory=list)


def markers_to_elem(text: str) -> StringElem:
    """A marker-carrying segment as translate-toolkit placeables (``<g>`` nest, ``<x/>`` empty)."""
    root: list[object] = []
    stack: list[tuple[str, list[object]]] = []
    current = root
    pos = 0
    for marker in markers.tokens(text):
        if marker.start > pos:
            current.append(text[pos : marker.start])
        pos = marker.end
        number = str(marker.number)
        if marker.kind == "open":
            stack.append((number, current))
            current = []
        elif marker.kind == "close":
            if stack and stack[-1][0] == number:
                ident, parent = stack.pop()
                parent.append(px.G(id=ident, sub=current or [""]))
                current = parent
            else:  # unbalanced: keep it as text rather than lose it
                current.append(text[marker.start : marker.end])
        else:
            current.append(px.X(id=number))
    if pos < len(text):
        current.append(text[pos:])
    while stack:  # unclosed <gN>: flatten back to text
        ident, parent = stack.pop()
        parent.append(f"<g{ident}>")
        parent.extend(current)
        current = parent
    return StringElem(root or [""])


def elem_to_markers(elem: StringElem | str) -> str:
    """Inverse of ``markers_to_elem`` on what a CAT tool wrote back.

    ``<bx id>``/``<ex id>`` pairs become ``<gN>``/``</gN>``, ``<mrk>`` (segment marks CAT
    tools add) is transparent; other inline codes (``<ph>``, ``<bpt>``…) raise ``XliffError``
    since the pipeline cannot place them.
    """
    if isinstance(elem, str):
        return elem
    if isinstance(elem, px.G):
        return f"<g{elem.id}>" + "".join(elem_to_markers(s) for s in elem.sub) + f"</g{elem.id}>"
    if isinstance(elem, px.X):
        return f"<x{elem.id}/>"
    if isinstance(elem, px.Bx):
        return f"<g{elem.id}>"
    if isinstance(elem, px.Ex):
        return f"</g{elem.id}>"
    if type(elem) is StringElem:
        return "".join(elem_to_markers(s) for s in elem.sub)
    name = type(elem).__name__.lower()
    if isinstance(elem, px.UnknownXML):
        name = etree.QName(elem.xml_node).localname
        if name == "mrk":  # segmentation/annotation marks (Trados, memoQ, Okapi): keep the text
            return "".join(elem_to_markers(s) for s in elem.sub)
    raise XliffError(
        f"inline code <{name}> that the pipeline did not write; keep the tags as exported "
        "(<g id>…</g>, <x id/>)"
    )


MACHINE_QUALIFIER = "leveraged-mt"
"""``state-qualifier`` of a machine draft, so CAT tools do not take it for human work."""
NOT_MACHINE = ("approved", "identity", "kept")


def _state_for(origin: str) -> tuple[str, str | None]:
    """XLIFF ``state`` and ``state-qualifier`` of a row's draft."""
    if origin == "approved":
        return "final", None
    if origin in NOT_MACHINE:
        return "translated", None
    return "needs-review-translation", MACHINE_QUALIFIER  # engine or memory of engine output


def _language(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def draft_note(origin: str, review: ReviewSet) -> str:
    """Where a unit's draft came from, in words a translator understands."""
    engine = review.model or review.engine or "an offline engine"
    words = {
        "machine": f"Machine translation ({engine}): check it against the original.",
        "cache": f"Machine translation ({engine}) kept from an earlier run: check it against "
        "the original.",
        "approved": "Approved earlier by a reviewer: change it only if it is wrong.",
        "identity": f"Already in {_language(review.tgt)}: kept as written.",
        "kept": "Kept in its own language on purpose; leave it unless it must be translated.",
        "degenerate": "The machine translation was unusable, so the original sentence stands "
        "here: translate it.",
    }
    return words.get(origin, f"Draft: {origin}.")


def header_note(review: ReviewSet, for_omegat: bool) -> str:
    """The header's note: what the file is and what to do with it."""
    pair = f"{_language(review.src)} → {_language(review.tgt)}"
    if for_omegat:
        return (
            f"{review.document}, {pair}, for OmegaT. The machine drafts are offered as matches "
            "(Ctrl+I inserts one); approved translations are already in. Keep the tags as they "
            "are; then `pipeline review import` this project."
        )
    return (
        f"{review.document}, {pair}: machine drafts to review. Correct the "
        f"{_language(review.tgt)} text, keep the tags as they are, and confirm (final) what "
        "you approve; then `pipeline review import` this file."
    )


def _omegat_state(origin: str) -> tuple[str, str | None]:
    """The state of a unit in an OmegaT project's source file, which OmegaT copies unchanged
    into the file it writes: ``final`` for an approved translation (OmegaT inserts it from
    ``tm/auto``), ``needs-translation`` for the rest until ``pipeline review import`` sets
    what the translator did (``omegat.settle_states``)."""
    return ("final", None) if origin == "approved" else ("needs-translation", None)


def _show_verbatim(unit: etree._Element, verbatim: dict[str, str]) -> None:
    """Each ``<x/>`` that stands for verbatim text (code, a URL) says which (``equiv-text``),
    so a CAT tool shows the code instead of a bare tag."""
    for x in unit.iter(f"{{{XLIFF_12_NS}}}x", "x"):  # translate-toolkit makes them without one
        text = verbatim.get(x.get("id") or "")
        if text:
            x.set("equiv-text", text)


def write_xliff(review: ReviewSet, path: Path, *, for_omegat: bool = False) -> Path:
    """Write ``review`` as XLIFF 1.2 at ``path`` (atomically).

    ``for_omegat``: the source file of an OmegaT project (``pipeline.review.omegat``).
    OmegaT's XLIFF filter translates the text of ``<target>``, so there the target holds a
    copy of the source and the drafts travel as a TMX.
    """
    store = Xliff12File(sourcelanguage=review.src, targetlanguage=review.tgt)
    filenode = store.getfilenode("NoName")  # type: ignore[no-untyped-call,unused-ignore]
    filenode.set("target-language", review.tgt)
    filenode.set("product-name", TOOL_ID)
    header = store.getheadernode(filenode, createifmissing=True)  # type: ignore[no-untyped-call,unused-ignore]
    filenode.remove(header)
    filenode.insert(0, header)
    tool = etree.SubElement(header, f"{{{XLIFF_12_NS}}}tool")
    tool.set("tool-id", TOOL_ID)
    tool.set("tool-name", TOOL_ID)
    tool.set("tool-version", __version__)
    meta = review.meta() | {"ids": [r.id for r in review.rows]}
    if for_omegat:
        meta["omegat"] = True
    reference = etree.SubElement(header, f"{{{XLIFF_12_NS}}}reference")
    data = etree.SubElement(reference, f"{{{XLIFF_12_NS}}}internal-file")
    data.set("form", META_FORM)
    data.text = json.dumps(meta, ensure_ascii=False)
    note = etree.SubElement(header, f"{{{XLIFF_12_NS}}}note")
    note.set("from", TOOL_ID)
    note.text = header_note(review, for_omegat)
    for row in review.rows:
        unit = store.addsourceunit("")  # type: ignore[no-untyped-call,unused-ignore]
        unit.xmlelement.set("id", row.id)
        unit.rich_source = [markers_to_elem(row.source)]
        unit.rich_target = [markers_to_elem(row.source if for_omegat else row.target)]
        if not for_omegat:
            # a CAT tool that shows only the <target> keeps the original sentence in view
            unit.addnote(f"Source ({review.src}): {row.source}", origin="source")
        for term in row.glossary:
            hint = f"Glossary: {term.get('term', '')} → {term.get('expected', '')}"
            if term.get("note"):
                hint += f" ({term['note']})"
            unit.addnote(hint, origin="developer")
        for finding in row.qa:
            unit.addnote(
                f"QA {finding.get('check', '')}: {finding.get('detail', '')}", origin="pipeline QA"
            )
        unit.addnote(draft_note(row.origin, review), origin="developer")
        state, qualifier = _omegat_state(row.origin) if for_omegat else _state_for(row.origin)
        unit.set_state_n(unit.statemap[state])
        target_node = unit.xmlelement.find(f"{{{XLIFF_12_NS}}}target")
        if target_node is not None:
            target_node.set("state", state)
            if qualifier:
                target_node.set("state-qualifier", qualifier)
        unit.markapproved(state == "final")
        for match in [] if for_omegat else row.fuzzy:
            unit.addalttrans(match.get("target", ""), origin="translation-memory",
                             sourcetxt=match.get("source", ""))  # fmt: skip
            alt = unit.xmlelement.findall(f"{{{XLIFF_12_NS}}}alt-trans")[-1]
            alt.set("match-quality", f"{float(match.get('score', 0)):.0f}")
        _show_verbatim(unit.xmlelement, row.verbatim)
        group = etree.SubElement(unit.xmlelement, f"{{{XLIFF_12_NS}}}context-group")
        # The strict schema wants context-group names unique in the whole <file>.
        group.set("name", f"{CONTEXT_GROUP_PREFIX}{row.id}")
        group.set("purpose", "information")
        for context_type, text in ((SOURCE_CONTEXT, row.source), (DRAFT_CONTEXT, row.target)):
            context = etree.SubElement(group, f"{{{XLIFF_12_NS}}}context")
            context.set("context-type", context_type)
            context.text = text_hash(text)
    store.setfilename(filenode, review.document)  # type: ignore[no-untyped-call,unused-ignore]
    write_bytes_atomic(path, bytes(store))
    return path


XLIFF_11_NS = "urn:oasis:names:tc:xliff:document:1.1"
_NAMESPACES = (XLIFF_12_NS, XLIFF_11_NS, "")
_UNIT_TAG = re.compile(rb"<(?:\w+:)?trans-unit[\s>/]")


class _Unit11(tt_xliff.xliffunit):
    namespace = XLIFF_11_NS


class _UnitPlain(tt_xliff.xliffunit):
    namespace = ""


_UNIT_CLASSES: dict[str, type[tt_xliff.xliffunit]] = {
    XLIFF_12_NS: _Unit12, XLIFF_11_NS: _Unit11, "": _UnitPlain,
}  # fmt: skip


def read_xliff(path: Path, limits: Limits | None = None) -> XliffReview:
    """Read a review XLIFF (ours, possibly saved back by a CAT tool); raise ``XliffError``.

    The file is parsed as a stream (each ``<trans-unit>`` freed once read; no DTD, no entity
    resolved, no network), within ``max_import_mb`` and ``max_import_units``."""
    limits = limits or Limits.from_env()
    try:
        check_import_size(path, limits, "review file")
    except ReadError as exc:
        raise XliffError(str(exc)) from None
    _precount_units(path, limits)
    reader = _StreamReader(path, limits)
    try:
        reader.read()
    except etree.XMLSyntaxError as exc:
        raise XliffError(
            f"not a readable XLIFF file ({xml_stream.xml_problem(exc.error_log, exc)})"
        ) from None
    except OSError as exc:
        raise XliffError(f"cannot read ({exc.strerror})") from None
    return reader.review()


def _precount_units(path: Path, limits: Limits) -> None:
    """``XliffError`` for a file with more ``<trans-unit>`` tags than ``max_import_units``,
    counted in its bytes before parsing."""
    import mmap

    if path.stat().st_size == 0:
        raise XliffError("not a readable XLIFF file (the file is empty)")
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        units = sum(1 for _ in _UNIT_TAG.finditer(data))
    if units > limits.max_import_units:
        raise XliffError(str(limits.refusal("max_import_units", f"{units} units")))


class _StreamReader:
    """The parsing half of ``read_xliff``: file attributes, the pipeline header note and the
    units, read from an ``iterparse`` stream."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path, self.limits = path, limits
        self.ns: str | None = None
        self.files: list[dict[str, str]] = []
        self.meta: JsonObject = {}
        self.units: list[XliffUnit] = []
        self.version: str | None = None

    def read(self) -> None:
        tags = [f"{{{ns}}}{name}" if ns else name for ns in _NAMESPACES
                for name in ("file", "header", "trans-unit")]  # fmt: skip
        context = xml_stream.iterparse(self.path, events=("start", "end"), tag=tags)
        for event, element in context:
            self._element(event, element)
        if context.root is None or xml_stream.recovered(context.error_log):
            raise XliffError(
                f"not a readable XLIFF file ({xml_stream.xml_problem(context.error_log)})"
            )
        if self.ns is None:
            self._root(context.root)

    def _root(self, root: etree._Element) -> None:
        qname = etree.QName(root)
        if qname.localname != "xliff":
            raise XliffError(f"not a readable XLIFF file (the root element is <{qname.localname}>)")
        self.ns = qname.namespace or ""
        self.version = root.get("version")
        if self.version not in ("1.2", "1.1"):
            raise XliffError(f"XLIFF version {self.version!r}; review files are XLIFF 1.2")

    def _element(self, event: str, element: etree._Element) -> None:
        if self.ns is None:
            self._root(element.getroottree().getroot())
        name = etree.QName(element).localname
        if (etree.QName(element).namespace or "") != self.ns:
            return
        if event == "start":
            if name == "file":
                self.files.append(dict(element.attrib))
            return
        if name == "header":
            self._header(element)
        elif name == "trans-unit":
            if not self.meta:  # the header comes first: no need to read the units
                raise XliffError(
                    "was not written by `pipeline review export` (no pipeline data in its header)"
                )
            if len(self.units) >= self.limits.max_import_units:
                raise XliffError(
                    str(
                        self.limits.refusal(
                            "max_import_units", f"more than {len(self.units)} units"
                        )
                    )
                )
            self.units.append(_read_unit(element, self.ns or ""))
            _free(element)

    def _header(self, header: etree._Element) -> None:
        stored = _header_meta(header, self.ns or "")
        if stored:
            self.meta = stored

    def review(self) -> XliffReview:
        if len(self.files) != 1:
            raise XliffError(
                f"has {len(self.files)} <file> elements; a review file has exactly one"
            )
        if not self.meta:
            raise XliffError(
                "was not written by `pipeline review export` (no pipeline data in its header)"
            )
        filenode = self.files[0]
        return XliffReview(
            document=filenode.get("original") or "",
            src=_lang(filenode.get("source-language")),
            tgt=_lang(filenode.get("target-language")),
            meta=self.meta,
            units=self.units,
        )


def _free(element: etree._Element) -> None:
    """Drop a read ``<trans-unit>`` and the ones before it, so memory stays flat."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _read_unit(node: etree._Element, ns: str) -> XliffUnit:
    """One ``<trans-unit>`` as an ``XliffUnit`` (its inline codes as pipeline markers)."""
    q = f"{{{ns}}}" if ns else ""
    unit_id = node.get("id") or ""
    target_node = node.find(f"{q}target")
    entity = next((n for n in node.iter() if isinstance(n, etree._Entity)), None)
    if entity is not None:  # translate-toolkit cannot read one (TypeError); never resolved
        return XliffUnit(
            id=unit_id, source=_plain(node.find(f"{q}source")), target=_plain(target_node),
            state=None, draft_sha256=None, source_sha256=None, approved=False,
            problem=f"an XML entity reference ({entity.text}) is in the unit; "
            "review files take plain text: type the characters themselves",
        )  # fmt: skip
    source_node = node.find(f"{q}source")
    if _plain_text(source_node) and _plain_text(target_node):  # no inline codes: as written
        source, target, problem = _text(source_node), _text(target_node), None
    else:
        unit = _UNIT_CLASSES[ns].createfromxmlElement(node)  # type: ignore[no-untyped-call,unused-ignore]
        source, target, problem = _unit_texts(unit, target_node is not None)
    group = node.find(f"{q}context-group[@name]")
    group_name = group.get("name", "") if group is not None else ""
    return XliffUnit(
        id=unit_id,
        source=source,
        target=target,
        state=target_node.get("state") if target_node is not None else None,
        draft_sha256=_context(node, q, DRAFT_CONTEXT),
        source_sha256=_context(node, q, SOURCE_CONTEXT),
        approved=node.get("approved") == "yes",
        problem=problem,
        exported_id=group_name.removeprefix(CONTEXT_GROUP_PREFIX)
        if group_name.startswith(CONTEXT_GROUP_PREFIX)
        else None,
    )


def _plain_text(node: etree._Element | None) -> bool:
    return node is None or len(node) == 0


def _text(node: etree._Element | None) -> str:
    return (node.text or "") if node is not None else ""


def _unit_texts(unit: tt_xliff.xliffunit, has_target: bool) -> tuple[str, str, str | None]:
    """(source, target, problem) of a unit, its inline codes as pipeline markers."""
    problem = None
    try:
        source = elem_to_markers(unit.rich_source[0]) if unit.rich_source else ""
    except XliffError as exc:
        source, problem = unit.source or "", f"source: {exc}"
    try:
        target = elem_to_markers(unit.rich_target[0]) if has_target and unit.rich_target else ""
    except XliffError as exc:
        target, problem = unit.target or "", problem or str(exc)
    return source, target, problem


def _context(node: etree._Element, q: str, context_type: str) -> str | None:
    found = node.find(f"{q}context-group/{q}context[@context-type='{context_type}']")
    return found.text.strip() if found is not None and found.text else None


def _header_meta(header: etree._Element, ns: str) -> JsonObject:
    """The pipeline's data in a review file's ``<header>`` (``{}`` when it has none)."""
    q = f"{{{ns}}}" if ns else ""
    texts = [
        node.text or ""
        for node in header.iterfind(f"{q}reference/{q}internal-file")
        if node.get("form") == META_FORM
    ]
    texts += [  # files exported before: a header note
        (note.text or "")[len(META_PREFIX) :]
        for note in header.iterfind(f"{q}note")
        if (note.text or "").startswith(META_PREFIX)
    ]
    for text in texts:
        try:
            stored = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            stored = None
        if not isinstance(stored, dict):
            raise XliffError("its pipeline data (in the header) is damaged")
        if stored.get("format"):
            return stored
    return {}


def read_returned(path: Path) -> ReturnedFile:
    """A returned review XLIFF as segments to import; ``ReviewError`` when it cannot be used.

    Refuses the whole file when it poses as another document. Units are imported by their
    id: a unit whose id was edited, repeated or removed, or with inline codes the pipeline did
    not write, is listed alone (``ReturnedSegment.problem``) and the rest imported.
    """
    xlf = read_xliff(path)
    meta = check_meta(xlf.meta)
    if xlf.document != meta.document or (xlf.src, xlf.tgt) != (meta.src, meta.tgt):
        raise ReviewError(
            f"<file original={xlf.document!r}> {xlf.src}→{xlf.tgt} does not match its pipeline "
            f"data ({meta.document} {meta.src}→{meta.tgt})"
        )
    exported_ids = xlf.meta.get("ids")
    ids = [str(i) for i in exported_ids] if isinstance(exported_ids, list) else None
    returned, seen = _returned_segments(xlf, ids)
    if ids is not None:
        returned += [
            ReturnedSegment(i, "", "", False, problem="its unit was removed; nothing imported")
            for i in ids
            if i not in seen
        ]
    elif meta.segments is not None and len(seen) != meta.segments:
        raise ReviewError(  # files exported before ids were stored: cannot tell which
            f"has {len(seen)} units but {meta.segments} were exported; units were added or removed"
        )
    clean = not any(r.source_edited or r.problem for r in returned)
    moved = ids is not None and sorted(ids) == sorted(seen)  # units moved: imported by id
    if clean and not moved and rows_checksum((r.id, r.source) for r in returned) != meta.checksum:
        raise ReviewError("the file's pipeline data does not match its units (damaged)")
    home = None
    if xlf.meta.get("omegat"):  # <project>/source/ or /target/: the project is beside the sidecar
        home = path.parent.parent if path.parent.name in ("source", "target") else path.parent
    return ReturnedFile(meta, returned, home=home)


def _returned_segments(
    xlf: XliffReview, ids: list[str] | None
) -> tuple[list[ReturnedSegment], set[str]]:
    """Each unit as a segment to import (the policy), and every id seen."""
    # in an OmegaT project the exported <target> is a copy of the source: left so, untranslated
    omegat = bool(xlf.meta.get("omegat"))
    known = set(ids) if ids is not None else None
    returned: list[ReturnedSegment] = []
    seen: set[str] = set()
    for unit in xlf.units:
        problem = _unit_problem(unit, known, seen)
        seen.update(i for i in (unit.id, unit.exported_id) if i)
        untouched = omegat and normalize_text(unit.target) == normalize_text(unit.source)
        returned.append(
            ReturnedSegment(
                id=unit.id,
                source=unit.source,
                target="" if untouched else unit.target,
                draft_changed=unit.draft_sha256 is not None
                and not untouched
                and not hash_matches(unit.target, unit.draft_sha256),
                confirmed=unit.state in ("final", "signed-off"),
                source_edited=unit.source_sha256 is not None
                and not hash_matches(unit.source, unit.source_sha256),
                problem=problem,
            )
        )
    return returned, seen


def _unit_problem(unit: XliffUnit, known: set[str] | None, seen: set[str]) -> str | None:
    if known is not None and unit.id not in known and unit.exported_id in (None, unit.id):
        return "not a unit this file was made with (added?); not imported"
    if unit.exported_id is not None and unit.exported_id != unit.id:
        return f"its id was edited (it was exported as {unit.exported_id}); not imported"
    if unit.id in seen:
        return f"unit {unit.id} appears twice; only the first was imported"
    return unit.problem


def _plain(node: etree._Element | None) -> str:
    """The text of ``node`` with its entity references left out (never resolved)."""
    if node is None:
        return ""
    return "".join(
        t for n in node.iter() if not isinstance(n, etree._Entity) for t in (n.text, n.tail) if t
    )


def _lang(tag: str | None) -> str:
    return (tag or "").split("-")[0].split("_")[0].lower()
