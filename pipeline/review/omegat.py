"""OmegaT projects, the way OmegaT users work: the original as source, drafts as TMX matches.

``write_project`` turns one review set into a ready OmegaT project folder
(``OUT/<stem>/review/<stem>.<src>-<tgt>.omegat/``)::

    omegat.project                       languages, no sentence splitting (one unit = one segment)
    source/<stem>.<src>-<tgt>.xlf        the original-language text (XLIFF 1.2, ids, tags)
    tm/mt/<stem>.<src>-<tgt>.tmx         the machine drafts: offered as matches, not inserted
    tm/auto/<stem>.<src>-<tgt>.tmx       translations approved earlier: OmegaT inserts them
    tm/<stem>.<src>-<tgt>.memory.tmx     close matches from the translation memory (suggestions)
    glossary/<stem>.<src>-<tgt>.glossary.txt   the glossary terms, tab-separated (OmegaT's format)

A machine draft is a match the translator inserts with one key (Ctrl+I; OmegaT shows matches
from ``tm/mt`` as machine translations, older versions as fuzzy matches), so OmegaT counts its
segment as remaining until someone has looked at it; an approved translation is inserted
(``tm/auto``) and counted as translated. OmegaT's XLIFF filter translates the text of
``<target>``, so the source file's targets hold a copy of the source (see
``xliff.write_xliff(for_omegat=True)``), and OmegaT copies their states unchanged into the file
it writes; ``settle_states`` (run by ``pipeline review import``) sets them to what the
translator did, so another CAT tool reads that file right. OmegaT hides tags that open
or close a segment and numbers the others ``<g0>``, ``<x1/>``… in order; ``omegat_form``
gives a segment as OmegaT shows it, so the TMX drafts match it exactly, and turns OmegaT's
text back into the pipeline's markers.

``read_returned`` reads a project back (the folder, its translated target file, or its
project TMX ``*-omegat.tmx`` / ``omegat/project_save.tmx``): what the translator changed is
imported as approved, drafts left as inserted are not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from pipeline import __version__, markers
from pipeline.export.atomic import write_bytes_atomic, write_text_atomic
from pipeline.ingest.errors import ReadError
from pipeline.ingest.limits import Limits, check_import_size
from pipeline.review import xliff
from pipeline.review.sidecar import (
    ReturnedFile,
    ReturnedSegment,
    ReviewError,
    ReviewSet,
    check_meta,
    hash_matches,
    normalize_text,
)

PROJECT_SUFFIX = ".omegat"
PROJECT_FILE = "omegat.project"
TOKENIZERS = {
    "en": "org.omegat.tokenizer.LuceneEnglishTokenizer",
    "es": "org.omegat.tokenizer.LuceneSpanishTokenizer",
    "ja": "org.omegat.tokenizer.LuceneJapaneseTokenizer",
}
_SHORTCUT = re.compile(r"<(/?)([gx])(\d+)(/?)>")


# ---------------------------------------------------------------- OmegaT's view of a segment


@dataclass
class OmegatForm:
    """A segment as OmegaT shows it, and the way back to the pipeline's markers."""

    text: str  # with OmegaT's shortcuts (<g0>…</g0>, <x1/>)
    head: str = ""  # markers OmegaT hides at the start …
    tail: str = ""  # … and at the end of the segment
    ours: dict[str, str] = field(default_factory=dict)  # shortcut → our marker

    def to_markers(self, omegat_text: str) -> str:
        """OmegaT's text of this segment (e.g. a translation) with the pipeline's markers.

        ``ReviewError`` names a tag OmegaT's segment did not have.
        """

        def back(m: re.Match[str]) -> str:
            if m.group(0) not in self.ours:
                raise ReviewError(f"tag {m.group(0)} is not in the source segment")
            return self.ours[m.group(0)]

        return self.head + _SHORTCUT.sub(back, omegat_text) + self.tail


def omegat_form(text: str) -> OmegatForm:
    """``text`` (with pipeline markers) as OmegaT's XLIFF filter segments and shows it."""
    tokens = list(markers.tokens(text))
    start, end, first, last = _shown_span(text, tokens)
    form = OmegatForm(text="", head=text[:start], tail=text[end:])
    index: dict[int, int] = {}
    count = 0
    pieces: list[str] = []
    pos = start
    for marker in tokens[first:last]:
        pieces.append(text[pos : marker.start])
        if marker.kind == "close":
            shortcut = f"</g{index.get(marker.number, count)}>"
        else:
            if marker.kind == "open":
                index[marker.number] = count
            shortcut = f"<g{count}>" if marker.kind == "open" else f"<x{count}/>"
            count += 1
        form.ours[shortcut] = marker.text
        pieces.append(shortcut)
        pos = marker.end
    pieces.append(text[pos:end])
    form.text = "".join(pieces)
    return form


def _shown_span(text: str, tokens: list[markers.Marker]) -> tuple[int, int, int, int]:
    """The part of ``text`` OmegaT shows (``start``, ``end``) and the markers in it
    (``tokens[first:last]``): empty tags at the edges and pairs around all are hidden, and the
    segment is trimmed."""
    start, end = 0, len(text)
    first, last = 0, len(tokens)
    changed = True
    while changed and first < last:
        changed = False
        lead, trail = tokens[first], tokens[last - 1]
        if lead.kind == "empty" and not text[start : lead.start].strip():
            start, first, changed = lead.end, first + 1, True
        elif trail.kind == "empty" and not text[trail.end : end].strip():
            end, last, changed = trail.start, last - 1, True
        elif _pair_around(text, tokens, (start, end), first, last - 1):
            start, end, first, last, changed = lead.end, trail.start, first + 1, last - 1, True
    while start < end and text[start].isspace():  # OmegaT trims the segment, too
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end, first, last


def _pair_around(
    text: str, tokens: list[markers.Marker], span: tuple[int, int], lead_at: int, trail_at: int
) -> bool:
    """Whether ``tokens[lead_at]`` and ``tokens[trail_at]`` are one pair around all of ``span``."""
    lead, trail = tokens[lead_at], tokens[trail_at]
    start, end = span
    return (
        lead_at < trail_at
        and lead.kind == "open"
        and trail.kind == "close"
        and lead.number == trail.number
        and not text[start : lead.start].strip()
        and not text[trail.end : end].strip()
        and _pair_closes_at(tokens, lead_at, trail_at)
    )


def _pair_closes_at(tokens: list[markers.Marker], open_at: int, close_at: int) -> bool:
    """Whether the ``<gN>`` at ``open_at`` is closed by the ``</gN>`` at ``close_at``."""
    depth = 0
    for i in range(open_at, close_at + 1):
        kind = tokens[i].kind
        depth += 1 if kind == "open" else -1 if kind == "close" else 0
        if depth == 0:
            return i == close_at
    return False


# ---------------------------------------------------------------- writing a project


def write_project(review: ReviewSet, folder: Path) -> Path:
    """Write (or refresh) an OmegaT project for ``review`` in ``folder``; returns ``folder``.

    Only the pipeline's own files are (re)written, each atomically: a translator's work in
    the project (``omegat/``, ``target/``, ``glossary/glossary.txt``) is never touched.
    """
    base = folder.name.removesuffix(PROJECT_SUFFIX)
    for sub in ("source", "target", "tm/auto", "tm/mt", "glossary", "dictionary", "omegat"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    write_text_atomic(folder / PROJECT_FILE, _project_xml(review.src, review.tgt))
    xliff.write_xliff(review, folder / "source" / f"{base}.xlf", for_omegat=True)
    inserted: list[tuple[str, str, str]] = []
    offered: list[tuple[str, str, str]] = []
    for row in review.rows:
        form = omegat_form(row.source)
        draft = _draft_as_omegat(row.target, form)
        if form.text.strip() and draft is not None and draft.strip():
            pair = (form.text, draft, row.origin)
            (inserted if row.origin in INSERTED_ORIGINS else offered).append(pair)
    _write_or_remove(folder / "tm" / "auto" / f"{base}.tmx", review, inserted)
    _write_or_remove(folder / "tm" / "mt" / f"{base}.tmx", review, offered)
    suggestions = [
        (str(m.get("source", "")), str(m.get("target", "")), "memory")
        for row in review.rows
        for m in row.fuzzy
        if m.get("source") and m.get("target")
    ]
    memory_tmx = folder / "tm" / f"{base}.memory.tmx"
    if suggestions:
        write_bytes_atomic(memory_tmx, _tmx(review, suggestions))
    terms: dict[tuple[str, str], str] = {}
    for row in review.rows:
        for term in row.glossary:
            key = (str(term.get("term", "")).strip(), str(term.get("expected", "")).strip())
            if all(key):
                terms.setdefault(key, str(term.get("note") or ""))
    lines = [f"{_tsv(a)}\t{_tsv(b)}\t{_tsv(note)}\n" for (a, b), note in terms.items()]
    write_text_atomic(folder / "glossary" / f"{base}.glossary.txt", "".join(lines))
    return folder


INSERTED_ORIGINS = frozenset({"approved", "identity"})
"""Drafts OmegaT inserts (``tm/auto``): translations a reviewer approved, and text already in
the target language. Every other draft is a match in ``tm/mt`` for the translator to take."""


def _write_or_remove(path: Path, review: ReviewSet, pairs: list[tuple[str, str, str]]) -> None:
    """The TMX of ``pairs`` at ``path``; none (an older one removed) when there are none."""
    if pairs:
        write_bytes_atomic(path, _tmx(review, pairs))
    else:
        path.unlink(missing_ok=True)


def _draft_as_omegat(draft: str, form: OmegatForm) -> str | None:
    """The draft with the shortcuts of its source segment; None when its tags cannot match."""
    mine = {marker: shortcut for shortcut, marker in form.ours.items()}
    hidden = set(markers.ANY.findall(form.head + form.tail))
    out: list[str] = []
    pos = 0
    for m in markers.ANY.finditer(draft):
        out.append(draft[pos : m.start()])
        if m.group(0) in mine:
            out.append(mine[m.group(0)])
        elif m.group(0) not in hidden:
            return None  # a tag the source does not have: no exact match possible
        pos = m.end()
    out.append(draft[pos:])
    return "".join(out).strip()


def _tsv(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def _project_xml(src: str, tgt: str) -> str:
    def tok(lang: str) -> str:
        return TOKENIZERS.get(lang, "org.omegat.tokenizer.DefaultTokenizer")

    return f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<omegat>
  <project version="1.0">
    <source_dir>__DEFAULT__</source_dir>
    <source_dir_excludes/>
    <target_dir>__DEFAULT__</target_dir>
    <tm_dir>__DEFAULT__</tm_dir>
    <glossary_dir>__DEFAULT__</glossary_dir>
    <glossary_file>__DEFAULT__</glossary_file>
    <dictionary_dir>__DEFAULT__</dictionary_dir>
    <source_lang>{src.upper()}</source_lang>
    <target_lang>{tgt.upper()}</target_lang>
    <source_tok>{tok(src)}</source_tok>
    <target_tok>{tok(tgt)}</target_tok>
    <sentence_seg>false</sentence_seg>
    <support_default_translations>true</support_default_translations>
    <remove_tags>false</remove_tags>
  </project>
</omegat>
"""


def _tmx(review: ReviewSet, pairs: list[tuple[str, str, str]]) -> bytes:
    """TMX 1.4 with OmegaT's segment texts (tags as literal shortcuts, as OmegaT stores them)."""
    src, tgt = review.src.upper(), review.tgt.upper()
    units = "".join(
        f'<tu><prop type="x-origin">{escape(origin)}</prop>'
        f'<tuv xml:lang="{src}"><seg>{escape(source)}</seg></tuv>'
        f'<tuv xml:lang="{tgt}"><seg>{escape(target)}</seg></tuv></tu>\n'
        for source, target, origin in pairs
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4">\n'
        f'<header creationtool="statement-pipeline" creationtoolversion="{__version__}" '
        f'segtype="paragraph" o-tmf="statement-pipeline" adminlang="en" srclang="{src}" '
        f'datatype="plaintext"/>\n<body>\n{units}</body>\n</tmx>\n'
    ).encode()


# ---------------------------------------------------------------- reading a project back


def settle_states(project: Path) -> Path | None:
    """Set the state of every unit of the project's translated ``target/*.xlf`` (which OmegaT
    wrote with the source file's states) to what the translator did: ``translated`` when
    they wrote a translation, ``needs-review-translation`` (machine draft) when they inserted
    the draft unchanged, ``needs-translation`` when the segment is still the original,
    ``final`` when it was approved. Returns the file, or None when there is none yet."""
    sources = sorted((project / "source").glob("*.xlf"))
    target = project / "target" / sources[0].name if len(sources) == 1 else None
    if target is None or not target.is_file():
        return None
    units = {u.id: u for u in xliff.read_xliff(target).units}
    tree = etree.parse(str(target), etree.XMLParser(resolve_entities=False, no_network=True))
    ns = xliff.XLIFF_12_NS
    for node in tree.iter(f"{{{ns}}}trans-unit"):
        unit, target_node = units.get(node.get("id") or ""), node.find(f"{{{ns}}}target")
        if unit is None or target_node is None or unit.state == "final":
            continue
        state, qualifier = _settled(unit)
        target_node.set("state", state)
        if qualifier:
            target_node.set("state-qualifier", qualifier)
        else:
            target_node.attrib.pop("state-qualifier", None)
    write_bytes_atomic(
        target, etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=False)
    )
    return target


def _settled(unit: xliff.XliffUnit) -> tuple[str, str | None]:
    if normalize_text(markers.strip(unit.target)) == normalize_text(markers.strip(unit.source)):
        return "needs-translation", None
    if unit.draft_sha256 is not None and hash_matches(unit.target, unit.draft_sha256):
        return "needs-review-translation", xliff.MACHINE_QUALIFIER
    return "translated", None


def project_of(path: Path) -> Path:
    """The OmegaT project folder a returned path belongs to; ``ReviewError`` if none."""
    for candidate in (path, path.parent, path.parent.parent):
        if (candidate / PROJECT_FILE).is_file():
            return candidate
    raise ReviewError(
        "not in an OmegaT project folder (no omegat.project next to it); import the project "
        "folder written by `pipeline review export --omegat`, or its target/*.xlf file (a TMX "
        "of approved translations goes in with `pipeline tm import`)"
    )


def read_returned(path: Path) -> ReturnedFile:
    """A returned OmegaT project (folder or project TMX) as segments to import.

    A folder is read from its newest translation store: ``omegat/project_save.tmx`` (where
    OmegaT saves as the translator works), ``<project>-omegat.tmx`` or the translated
    ``target/*.xlf`` (both written by "Create translated documents").
    """
    project = project_of(path)
    sources = sorted((project / "source").glob("*.xlf"))
    if len(sources) != 1:
        raise ReviewError(
            f"the OmegaT project {project} should hold one source/*.xlf, not {len(sources)}"
        )
    source = sources[0]
    if path.is_dir():
        stores = [
            project / "omegat" / "project_save.tmx",
            *sorted(project.glob("*-omegat.tmx")),
            project / "target" / source.name,
        ]
        existing = [p for p in stores if p.is_file()]
        if not existing:
            raise ReviewError(
                "the OmegaT project has no translations yet (no omegat/project_save.tmx, "
                "*-omegat.tmx or target/ file); translate in OmegaT and save first"
            )
        path = max(existing, key=lambda p: p.stat().st_mtime)
    if path.suffix.lower() in (".xlf", ".xliff"):
        returned = xliff.read_returned(path)
        returned.home = project
        return returned
    return _from_tmx(path, source, project)


def _from_tmx(tmx: Path, source_xlf: Path, project: Path) -> ReturnedFile:
    exported = xliff.read_xliff(source_xlf)
    meta = check_meta(exported.meta)
    translations = _read_tmx(tmx, meta.src, meta.tgt)
    segments = []
    for unit in exported.units:
        form = omegat_form(unit.source)
        translated = translations.get(form.text)
        problem, target = None, ""
        if translated is not None:
            try:
                target = form.to_markers(translated)
            except ReviewError as exc:
                problem = str(exc)
        segments.append(
            ReturnedSegment(
                id=unit.id,
                source=unit.source,
                target=target,
                draft_changed=bool(target)
                and unit.draft_sha256 is not None
                and not hash_matches(target, unit.draft_sha256),
                problem=problem,
            )
        )
    return ReturnedFile(meta, segments, home=project)


def _read_tmx(path: Path, src: str, tgt: str) -> dict[str, str]:
    """{source segment: translation} of a TMX's default translations (OmegaT's text), read
    as a stream within ``max_import_mb`` and ``max_import_units`` (no DTD, no entity)."""
    limits = Limits.from_env()
    try:
        check_import_size(path, limits, "OmegaT TMX")
    except ReadError as exc:
        raise ReviewError(f"{path.name}: {exc}") from None
    found: dict[str, str] = {}
    units = 0
    try:
        for _, tu in etree.iterparse(
            str(path), tag="tu", resolve_entities=False, no_network=True, load_dtd=False
        ):
            units += 1
            if units > limits.max_import_units:
                refusal = limits.refusal("max_import_units", f"more than {units - 1} units")
                raise ReviewError(f"{path.name}: {refusal}")
            _take_unit(tu, src, tgt, found)
            tu.clear(keep_tail=False)
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ReviewError(f"not a readable TMX file ({exc})".splitlines()[0]) from None
    return found


def _take_unit(tu: etree._Element, src: str, tgt: str, found: dict[str, str]) -> None:
    lang_attrs = ("{http://www.w3.org/XML/1998/namespace}lang", "lang")
    texts: dict[str, str] = {}
    for tuv in tu.iter("tuv"):
        lang = next((tuv.get(a) for a in lang_attrs if tuv.get(a)), "") or ""
        seg = tuv.find("seg")
        if seg is not None:
            texts[lang.split("-")[0].split("_")[0].lower()] = "".join(seg.itertext())
    if src in texts and tgt in texts and texts[tgt].strip():
        found.setdefault(texts[src], texts[tgt])
