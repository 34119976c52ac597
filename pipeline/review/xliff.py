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
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from translate.storage import xliff as tt_xliff
from translate.storage.placeables import StringElem
from translate.storage.placeables import xliff as px

from pipeline import __version__, markers
from pipeline.document import LANGUAGE_NAMES
from pipeline.export.atomic import write_bytes_atomic
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


class Xliff12File(tt_xliff.xlifffile):
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
    filenode = store.getfilenode("NoName")
    filenode.set("target-language", review.tgt)
    filenode.set("product-name", TOOL_ID)
    header = store.getheadernode(filenode, createifmissing=True)
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
        unit = store.addsourceunit("")
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
    store.setfilename(filenode, review.document)
    write_bytes_atomic(path, bytes(store))
    return path


def read_xliff(path: Path) -> XliffReview:
    """Read a review XLIFF (ours, possibly saved back by a CAT tool); raise ``XliffError``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise XliffError(f"cannot read ({exc.strerror})") from None
    try:
        store = tt_xliff.xlifffile.parsestring(data)
    except Exception as exc:  # lxml/translate-toolkit raise many kinds on broken files
        raise XliffError(f"not a readable XLIFF file ({exc})".splitlines()[0]) from None
    root = store.document.getroot()
    if root.get("version") not in ("1.2", "1.1"):
        raise XliffError(f"XLIFF version {root.get('version')!r}; review files are XLIFF 1.2")
    ns = store.namespace
    files = list(root.iterchildren(f"{{{ns}}}file"))
    if len(files) != 1:
        raise XliffError(f"has {len(files)} <file> elements; a review file has exactly one")
    filenode = files[0]
    meta = _stored_meta(filenode, ns)
    if not meta:
        raise XliffError(
            "was not written by `pipeline review export` (no pipeline data in its header)"
        )
    review = XliffReview(
        document=filenode.get("original") or "",
        src=_lang(filenode.get("source-language")),
        tgt=_lang(filenode.get("target-language")),
        meta=meta,
    )
    for unit in store.unit_iter():
        node = unit.xmlelement
        target_node = node.find(f"{{{ns}}}target")
        group = node.find(f"{{{ns}}}context-group[@name]")
        group_name = group.get("name", "") if group is not None else ""
        draft = node.find(f"{{{ns}}}context-group/{{{ns}}}context[@context-type='{DRAFT_CONTEXT}']")
        exported = node.find(
            f"{{{ns}}}context-group/{{{ns}}}context[@context-type='{SOURCE_CONTEXT}']"
        )
        entity = next((n for n in node.iter() if isinstance(n, etree._Entity)), None)
        if entity is not None:  # translate-toolkit cannot read one (TypeError); never resolved
            review.units.append(
                XliffUnit(
                    id=node.get("id") or "",
                    source=_plain(node.find(f"{{{ns}}}source")),
                    target=_plain(target_node),
                    state=None,
                    draft_sha256=None,
                    source_sha256=None,
                    approved=False,
                    problem=f"an XML entity reference ({entity.text}) is in the unit; "
                    "review files take plain text: type the characters themselves",
                )
            )
            continue
        problem = None
        try:
            source = elem_to_markers(unit.rich_source[0]) if unit.rich_source else ""
        except XliffError as exc:
            source, problem = unit.source or "", f"source: {exc}"
        try:
            target = (
                elem_to_markers(unit.rich_target[0])
                if target_node is not None and unit.rich_target
                else ""
            )
        except XliffError as exc:
            target, problem = unit.target or "", problem or str(exc)
        review.units.append(
            XliffUnit(
                id=node.get("id") or "",
                source=source,
                target=target,
                state=target_node.get("state") if target_node is not None else None,
                draft_sha256=draft.text.strip() if draft is not None and draft.text else None,
                source_sha256=(
                    exported.text.strip() if exported is not None and exported.text else None
                ),
                approved=node.get("approved") == "yes",
                problem=problem,
                exported_id=group_name.removeprefix(CONTEXT_GROUP_PREFIX)
                if group_name.startswith(CONTEXT_GROUP_PREFIX)
                else None,
            )
        )
    return review


def _stored_meta(filenode: etree._Element, ns: str) -> JsonObject:
    """The pipeline's data in a review file's header (``{}`` when it has none)."""
    texts = [
        node.text or ""
        for node in filenode.iterfind(f"{{{ns}}}header/{{{ns}}}reference/{{{ns}}}internal-file")
        if node.get("form") == META_FORM
    ]
    texts += [  # files exported before: a header note
        (note.text or "")[len(META_PREFIX) :]
        for note in filenode.iterfind(f"{{{ns}}}header/{{{ns}}}note")
        if (note.text or "").startswith(META_PREFIX)
    ]
    for text in texts:
        try:
            stored = json.loads(text)
        except json.JSONDecodeError:
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
    # in an OmegaT project the exported <target> is a copy of the source: left so, untranslated
    omegat = bool(xlf.meta.get("omegat"))

    def untouched(unit: XliffUnit) -> bool:
        return omegat and normalize_text(unit.target) == normalize_text(unit.source)

    exported_ids = xlf.meta.get("ids")
    known = {str(i) for i in exported_ids} if isinstance(exported_ids, list) else None
    returned: list[ReturnedSegment] = []
    seen: set[str] = set()
    for unit in xlf.units:
        problem = unit.problem
        if known is not None and unit.id not in known and unit.exported_id in (None, unit.id):
            problem = "not a unit this file was made with (added?); not imported"
        elif unit.exported_id is not None and unit.exported_id != unit.id:
            problem = f"its id was edited (it was exported as {unit.exported_id}); not imported"
        elif unit.id in seen:
            problem = f"unit {unit.id} appears twice; only the first was imported"
        seen.update(i for i in (unit.id, unit.exported_id) if i)
        returned.append(
            ReturnedSegment(
                id=unit.id,
                source=unit.source,
                target="" if untouched(unit) else unit.target,
                draft_changed=unit.draft_sha256 is not None
                and not untouched(unit)
                and not hash_matches(unit.target, unit.draft_sha256),
                confirmed=unit.state in ("final", "signed-off"),
                source_edited=unit.source_sha256 is not None
                and not hash_matches(unit.source, unit.source_sha256),
                problem=problem,
            )
        )
    if isinstance(exported_ids, list):
        returned += [
            ReturnedSegment(str(i), "", "", False, problem="its unit was removed; nothing imported")
            for i in exported_ids
            if str(i) not in seen
        ]
    elif meta.segments is not None and len(seen) != meta.segments:
        raise ReviewError(  # files exported before ids were stored: cannot tell which
            f"has {len(seen)} units but {meta.segments} were exported; units were added or removed"
        )
    if not any(r.source_edited or r.problem for r in returned) and (
        rows_checksum((r.id, r.source) for r in returned) != meta.checksum
    ):
        if isinstance(exported_ids, list) and sorted(exported_ids) == sorted(seen):
            pass  # units moved: each is imported by its id
        else:
            raise ReviewError("the file's pipeline data does not match its units (damaged)")
    home = None
    if omegat:  # <project>/source/ or <project>/target/: the project sits next to the sidecar
        home = path.parent.parent if path.parent.name in ("source", "target") else path.parent
    return ReturnedFile(meta, returned, home=home)


def _plain(node: etree._Element | None) -> str:
    """The text of ``node`` with its entity references left out (never resolved)."""
    if node is None:
        return ""
    return "".join(
        t for n in node.iter() if not isinstance(n, etree._Entity) for t in (n.text, n.tail) if t
    )


def _lang(tag: str | None) -> str:
    return (tag or "").split("-")[0].split("_")[0].lower()
