"""OmegaT projects, the way OmegaT users work: the original as source, drafts as TMX matches.

``write_project`` turns one review set into a ready OmegaT project folder
(``OUT/<stem>/review/<stem>.<src>-<tgt>.omegat/``)::

    omegat.project                       languages, no sentence splitting (one unit = one segment)
    source/<stem>.<src>-<tgt>.xlf        the original-language text (XLIFF 1.2, ids, tags)
    tm/auto/<stem>.<src>-<tgt>.tmx       the machine drafts: OmegaT inserts them on opening
    tm/<stem>.<src>-<tgt>.memory.tmx     close matches from the translation memory (suggestions)
    glossary/<stem>.<src>-<tgt>.glossary.txt   the glossary terms, tab-separated (OmegaT's format)

OmegaT's XLIFF filter translates the text of ``<target>``, so the source file's targets hold a
copy of the source (see ``xliff.write_xliff(for_omegat=True)``). OmegaT hides tags that open
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
from pipeline.review import xliff
from pipeline.review.sidecar import (
    ReturnedFile,
    ReturnedSegment,
    ReviewError,
    ReviewSet,
    check_meta,
    hash_matches,
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
    start, end = 0, len(text)
    first, last = 0, len(tokens)
    changed = True
    while changed and first < last:  # hide empty tags at the edges and pairs around all
        changed = False
        lead, trail = tokens[first], tokens[last - 1]
        if lead.kind == "empty" and not text[start : lead.start].strip():
            start, first, changed = lead.end, first + 1, True
        elif trail.kind == "empty" and not text[trail.end : end].strip():
            end, last, changed = trail.start, last - 1, True
        elif (
            first < last - 1
            and lead.kind == "open"
            and trail.kind == "close"
            and lead.number == trail.number
            and not text[start : lead.start].strip()
            and not text[trail.end : end].strip()
            and _pair_closes_at(tokens, first, last - 1)
        ):
            start, end, first, last, changed = lead.end, trail.start, first + 1, last - 1, True
    while start < end and text[start].isspace():  # OmegaT trims the segment, too
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
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
    for sub in ("source", "target", "tm/auto", "glossary", "dictionary", "omegat"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    write_text_atomic(folder / PROJECT_FILE, _project_xml(review.src, review.tgt))
    xliff.write_xliff(review, folder / "source" / f"{base}.xlf", for_omegat=True)
    drafts = []
    for row in review.rows:
        form = omegat_form(row.source)
        draft = _draft_as_omegat(row.target, form)
        if form.text.strip() and draft is not None and draft.strip():
            drafts.append((form.text, draft, row.origin))
    write_bytes_atomic(folder / "tm" / "auto" / f"{base}.tmx", _tmx(review, drafts))
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
    """{source segment: translation} of a TMX's default translations (OmegaT's text)."""
    try:
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ReviewError(f"not a readable TMX file ({exc})".splitlines()[0]) from None
    found: dict[str, str] = {}
    lang_attrs = ("{http://www.w3.org/XML/1998/namespace}lang", "lang")
    for tu in tree.iter("tu"):
        texts: dict[str, str] = {}
        for tuv in tu.iter("tuv"):
            lang = next((tuv.get(a) for a in lang_attrs if tuv.get(a)), "") or ""
            seg = tuv.find("seg")
            if seg is not None:
                texts[lang.split("-")[0].split("_")[0].lower()] = "".join(seg.itertext())
        if src in texts and tgt in texts and texts[tgt].strip():
            found.setdefault(texts[src], texts[tgt])
    return found
