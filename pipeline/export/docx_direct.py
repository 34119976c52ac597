"""DOCX without pandoc: ``word/document.xml`` written straight from the document model.

A statement of the common kinds (title, subtitle, headings, paragraphs, quotes, list items,
abstract, author and date; bold, italic, links, line breaks and footnotes) gets the Word structure
pandoc + ``docx_pandoc._finish`` give it, without a pandoc conversion or a python-docx pass: the
blocks go through the same pandoc AST as the pandoc route (``pandoc_ast.document_ast``, so
lists nest, quotes group and the title goes to the metadata the same way) and are rendered
here as pandoc's DOCX writer renders them (First Paragraph / Body Text, Heading n, run
splitting at spaces, CJK text and soft hyphens, hyperlink relationships, list numbering,
footnotes with their mark).

The parts that do not change from document to document (styles with the language's
``docDefaults``, settings, theme, fonts, footnote separators, content types, the abstract's
heading in the language, the list definitions) are taken, once per process and language, from
the pandoc route's own DOCX of a small probe document, so both routes share every byte of
them. Anything else (tables, pictures, captions, table cells, a footnote in the title or
abstract) still goes through pandoc: :func:`can_write` decides.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import time
import unicodedata
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from pipeline.document import Block, Document, Span
from pipeline.export.atomic import atomic_path
from pipeline.export.docx_pandoc import LOCALES, ExportError, core_property, write_docx_pandoc
from pipeline.export.pandoc_ast import document_ast

DIRECT_KINDS = frozenset({"title", "subtitle", "heading", "paragraph", "list_item", "quote"})
"""Block kinds the direct writer renders (plus ``abstract``, which goes to the metadata)."""

FIRST_ID = 9
"""pandoc numbers a document's hyperlinks (rId9…) and footnotes (9…) from one counter, after
the 8 relationships of its fixed parts."""

_CUSTOM_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
_NS_CUSTOM = (
    'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"'
)
_HYPERLINK_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
_PER_DOCUMENT = {
    "word/document.xml",
    "word/numbering.xml",
    "word/_rels/document.xml.rels",
    "word/footnotes.xml",
    "word/_rels/footnotes.xml.rels",
    "docProps/core.xml",
    "docProps/custom.xml",
}


NOTE_KINDS = frozenset({"heading", "paragraph", "list_item", "quote"})
"""Blocks whose footnote references the direct writer renders (pandoc renders the metadata's
twice: a note in the title, subtitle or abstract goes through pandoc)."""


def can_write(doc: Document) -> bool:
    """Whether the direct writer can write ``doc`` (else the pandoc route does): only the
    block kinds of :data:`DIRECT_KINDS`, ``abstract`` and ``footnote``, no pictures or tables,
    only text spans (no inline code: pandoc gives it its "Verbatim Char" style), line breaks
    and (in :data:`NOTE_KINDS`) footnote references."""
    for block in doc.blocks:
        if block.kind not in DIRECT_KINDS and block.kind not in ("abstract", "footnote"):
            return False
        if block.image is not None or block.table is not None:
            return False
        for span in block.spans:
            if span.kind == "note_ref" and block.kind in NOTE_KINDS:
                continue
            if span.kind not in ("text", "break") or span.code:
                return False
    return True


# -- the parts shared by every document of a language ------------------------------------


@dataclass(frozen=True)
class Template:
    """What the pandoc route writes the same for every document of one language."""

    shared_zip: bytes  # a zip of the parts every document has the same, compressed once
    document_head: str  # up to and including <w:body>
    document_tail: str  # the section properties and the closing tags
    run_fonts: str  # <w:rFonts …/> as _finish sets it on every run
    run_lang: str  # <w:lang …/>
    abstract_title: str
    rels_head: str  # document.xml.rels up to its closing tag, without hyperlinks
    footnotes_head: str  # footnotes.xml with its two separators, up to its closing tag
    numbering_head: str  # <?xml …?><w:numbering …>
    abstract_nums: dict[str, str]  # "none" / "bullet" / "ordered" → <w:abstractNum …>
    num_extra: dict[str, str]  # the children of a <w:num> after its abstractNumId
    abstract_ids: dict[str, str]


def _probe_document() -> Document:
    return Document(
        blocks=[
            Block("abstract", [Span("probe")]),
            Block("list_item", [Span("bullet")], level=1),
            Block("paragraph", [Span("text")]),
            Block("list_item", [Span("number")], level=1, ordered=True),
        ]
    )


def _first(pattern: str, text: str) -> re.Match[str]:
    match = re.search(pattern, text, re.S)
    if match is None:
        raise ExportError(f"the direct DOCX writer could not read pandoc's probe DOCX ({pattern})")
    return match


@cache
def template(lang: str) -> Template:
    """The shared parts for ``lang``: from the pandoc route's DOCX of a probe document,
    written once per process and language."""
    with tempfile.TemporaryDirectory(prefix="pipeline-docx-probe-") as folder:
        probe = Path(folder) / "probe.docx"
        write_docx_pandoc(_probe_document(), probe, lang)
        with zipfile.ZipFile(probe) as package:
            parts = {name: package.read(name) for name in package.namelist()}
    try:
        return _learn(parts)
    except (KeyError, ValueError) as exc:
        raise ExportError(
            f"the direct DOCX writer could not read pandoc's probe DOCX: {exc}"
        ) from None


def _learn(parts: dict[str, bytes]) -> Template:
    """The template from the probe DOCX's parts."""
    names = list(parts)
    shared = io.BytesIO()
    with zipfile.ZipFile(shared, "w", zipfile.ZIP_DEFLATED) as package:
        for name in names:
            if name not in _PER_DOCUMENT:
                package.writestr(name, parts[name])
    document = parts["word/document.xml"].decode("utf-8")
    body = document.index("<w:body>") + len("<w:body>")
    tail = document.rindex("<w:sectPr")
    numbering = parts["word/numbering.xml"].decode("utf-8")
    nums = {
        m.group(1): m.group(0)
        for m in re.finditer(
            r'<w:abstractNum w:abstractNumId="(\d+)".*?</w:abstractNum>', numbering, re.S
        )
    }
    num_abstract = dict(
        re.findall(r'<w:num w:numId="(\d+)"><w:abstractNumId w:val="(\d+)"/>', numbering)
    )
    ids = {
        "none": num_abstract["1000"],
        "bullet": num_abstract["1001"],
        "ordered": num_abstract["1002"],
    }
    ordered_num = _first(
        r'<w:num w:numId="1002"><w:abstractNumId w:val="\d+"/>(.*?)</w:num>', numbering
    )
    rels = parts["word/_rels/document.xml.rels"].decode("utf-8")
    footnotes = parts["word/footnotes.xml"].decode("utf-8")
    abstract_title = _first(
        r'<w:pStyle w:val="AbstractTitle"/></w:pPr><w:r>.*?<w:t[^>]*>(.*?)</w:t>', document
    ).group(1)
    return Template(
        shared_zip=shared.getvalue(),
        document_head=document[:body],
        document_tail=document[tail:],
        run_fonts=_first(r"<w:rFonts [^>]*/>", document).group(0),
        run_lang=_first(r"<w:lang [^>]*/>", document).group(0),
        abstract_title=abstract_title,
        rels_head=rels[: rels.rindex("</Relationships>")],
        footnotes_head=footnotes[: footnotes.rindex("</w:footnotes>")],
        numbering_head=numbering[: numbering.index("<w:abstractNum ")],
        abstract_nums={kind: nums[ids[kind]] for kind in ids},
        num_extra={"none": "", "bullet": "", "ordered": ordered_num.group(1)},
        abstract_ids=ids,
    )


# -- text as pandoc's DOCX writer cuts it into runs ----------------------------------------

_CJK_RANGES = (
    # pandoc's isCJK (Text.Pandoc.Char): only from U+4E00 up; kana and CJK punctuation below
    # that are not counted (pandoc tests ``c >= '\x4e00'`` first).
    (0x4E00, 0x9FFF),
    (0xA000, 0xA4CF),
    (0xF900, 0xFAFF),
    (0xFE10, 0xFE1F),
    (0xFE30, 0xFE6F),
    (0xFF00, 0xFFEE),
    (0x1B000, 0x1B16F),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2EBEF),
    (0x2F800, 0x2FA1F),
    (0x30000, 0x3134F),
)


_CJK = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _CJK_RANGES) + "]")
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""pandoc's ``isValidChar`` negated: what XML cannot hold (control characters, U+FFFE/FFFF,
lone surrogates)."""


def _has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def _is_space(c: str) -> bool:
    """Haskell's ``isSpace``: the ASCII white space and the Unicode space separators."""
    return c in " \t\n\r\f\v" or unicodedata.category(c) == "Zs"


def _group(items: list[str], same: Any) -> list[list[str]]:
    """Haskell's ``groupBy``: each item is compared with the first of its group."""
    groups: list[list[str]] = []
    for item in items:
        if groups and same(groups[-1][0], item):
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups


def _chunks(text: str) -> list[str]:
    """pandoc's ``breakIntoChunks``: text with CJK characters is cut where CJK words meet
    other words (so Word picks the East Asian font for them)."""
    if not text:
        return []
    if not _has_cjk(text):
        return [text]
    words = ["".join(g) for g in _group(list(text), lambda a, b: _is_space(a) == _is_space(b))]

    def same(x: str, y: str) -> bool:
        cx, cy = _has_cjk(x), _has_cjk(y)
        return (
            not (cx or cy)
            or (all(map(_is_space, x)) and not cy)
            or (all(map(_is_space, y)) and not cx)
        )

    return ["".join(g) for g in _group(words, same)]


def _soft_hyphen_pieces(text: str) -> list[str]:
    """pandoc's ``splitTextBy (== '\\173')``: the text between soft hyphens, where a run of
    them counts as one and one at the end is dropped (Word gets a ``w:softHyphen`` run
    between the pieces)."""
    pieces = []
    while text:
        first, hyphen, rest = text.partition("\u00ad")
        pieces.append(first)
        text = rest.lstrip("\u00ad") if hyphen else ""
    return pieces


def _xml_text(text: str) -> str:
    return escape(_INVALID.sub("", text))


class _Writer:
    """Renders one document's pandoc AST as WordprocessingML, as pandoc + ``_finish`` do."""

    def __init__(self, tpl: Template) -> None:
        self.tpl = tpl
        self.first_para = True
        self.lists: list[str] = []  # "bullet" / "ordered" per numbered list, in order
        self.links: dict[str, str] = {}
        self.notes: list[str] = []  # <w:footnote> elements, in order
        self.next_id = FIRST_ID
        self.list_level = -1
        self.num_id = 1000
        self._rpr: dict[tuple[str, ...], str] = {}

    # inlines

    def rpr(self, props: tuple[str, ...]) -> str:
        cached = self._rpr.get(props)
        if cached is None:
            cached = f"<w:rPr>{self.tpl.run_fonts}{''.join(props)}{self.tpl.run_lang}</w:rPr>"
            self._rpr[props] = cached
        return cached

    def text_runs(self, text: str, props: tuple[str, ...]) -> str:
        rpr = self.rpr(props)
        pieces = _soft_hyphen_pieces(text)
        out = []
        for n, piece in enumerate(pieces):
            if n:
                out.append(f"<w:r>{rpr}<w:softHyphen/></w:r>")
            for chunk in _chunks(_INVALID.sub("", piece)):
                out.append(f'<w:r>{rpr}<w:t xml:space="preserve">{escape(chunk)}</w:t></w:r>')
        return "".join(out)

    def inlines(self, items: list[dict[str, Any]], props: tuple[str, ...] = ()) -> str:
        out: list[str] = []
        i = 0
        while i < len(items):
            item = items[i]
            kind = item["t"]
            if kind == "Str":  # pandoc's convertSpace: Str (Space Str | Str)* is one string
                parts = [item["c"]]
                i += 1
                while i < len(items):
                    if items[i]["t"] == "Str":
                        parts.append(items[i]["c"])
                        i += 1
                    elif (
                        items[i]["t"] == "Space"
                        and i + 1 < len(items)
                        and items[i + 1]["t"] == "Str"
                    ):
                        parts += [" ", items[i + 1]["c"]]
                        i += 2
                    else:
                        break
                out.append(self.text_runs("".join(parts), props))
                continue
            if kind == "Space":
                out.append(self.text_runs(" ", props))
            elif item is _MARK:
                out.append(f"<w:r>{self.rpr((_FOOTNOTE_STYLE,))}<w:footnoteRef/></w:r>")
            elif kind == "LineBreak":
                out.append(f"<w:r>{self.rpr(())}<w:br/></w:r>")
            elif kind == "Strong":
                out.append(self.inlines(item["c"], _sorted(props + ("<w:b/>", "<w:bCs/>"))))
            elif kind == "Emph":
                out.append(self.inlines(item["c"], _sorted(props + ("<w:i/>", "<w:iCs/>"))))
            elif kind == "Link":
                target = item["c"][2][0]
                rid = self.links.get(target) or self.links.setdefault(target, f"rId{self.new_id()}")
                inner = self.inlines(item["c"][1], _sorted(props + (_HYPERLINK_STYLE,)))
                out.append(f'<w:hyperlink r:id="{rid}">{inner}</w:hyperlink>')
            elif kind == "Note":
                out.append(self.note(item["c"]))
            else:
                raise ExportError(f"the direct DOCX writer has no {kind} inline")
            i += 1
        return "".join(out)

    def new_id(self) -> int:
        """pandoc's ``getUniqueId``: the next number of the document's one counter."""
        self.next_id += 1
        return self.next_id - 1

    def note(self, blocks: list[dict[str, Any]]) -> str:
        """A footnote: its reference run here, its text in footnotes.xml (pandoc's first
        paragraph starts with the note's mark and a space)."""
        number = self.new_id()
        first, *rest = blocks
        marked = {"t": "Para", "c": [_MARK, {"t": "Space"}, *first["c"]]}
        saved = self.list_level
        self.list_level = -1
        content = self.blocks([marked, *rest], "FootnoteText")
        self.list_level = saved
        self.first_para = False  # pandoc 3.9 keeps the note's paragraph as the last one seen
        self.notes.append(f'<w:footnote w:id="{number}">{content}</w:footnote>')
        rpr = self.rpr((_FOOTNOTE_STYLE,))
        return f'<w:r>{rpr}<w:footnoteReference w:id="{number}"/></w:r>'

    # blocks

    def paragraph(self, style: str, content: str) -> str:
        numbering = ""
        if self.list_level >= 0:
            numbering = (
                f'<w:numPr><w:ilvl w:val="{self.list_level}"/>'
                f'<w:numId w:val="{self.num_id}"/></w:numPr>'
            )
        return f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{numbering}</w:pPr>{content}</w:p>'

    def blocks(self, items: list[dict[str, Any]], style: str | None = None) -> str:
        saved, self.first_para = self.first_para, True
        out = "".join(self.block(item, style) for item in items)
        self.first_para = saved
        return out

    def block(self, item: dict[str, Any], style: str | None) -> str:
        kind = item["t"]
        if kind in ("Para", "Plain"):
            if not item["c"]:
                return ""
            if self.list_level >= 0:
                style = _LIST_STYLE[self.lists[self.num_id - 1001]]
            elif style is None:
                style = "FirstParagraph" if self.first_para else "BodyText"
            self.first_para = False
            return self.paragraph(style, self.inlines(item["c"]))
        if kind == "Header":
            self.first_para = True
            level, _attr, content = item["c"]
            return self.paragraph(f"Heading{level}", self.inlines(content))
        if kind == "Div":  # the custom-style "Quote" around a BlockQuote
            return "".join(self.block(b, style) for b in item["c"][1])
        if kind == "BlockQuote":
            quoted = self.blocks(item["c"], "Quote")
            self.first_para = True
            return quoted
        if kind in ("BulletList", "OrderedList"):
            entries = item["c"] if kind == "BulletList" else item["c"][1]
            self.lists.append("bullet" if kind == "BulletList" else "ordered")
            num_id = 1000 + len(self.lists)
            saved = self.num_id, self.list_level
            self.list_level += 1
            items = []
            for entry in entries:
                self.num_id = num_id
                items.append(self.blocks(entry))
            self.num_id, self.list_level = saved
            self.first_para = True
            return "".join(items)
        raise ExportError(f"the direct DOCX writer has no {kind} block")

    def numbering(self) -> str:
        tpl = self.tpl
        kinds = ["none"] + list(dict.fromkeys(self.lists))
        nums = [("1000", "none")] + [(str(1001 + n), kind) for n, kind in enumerate(self.lists)]
        return (
            tpl.numbering_head
            + "".join(tpl.abstract_nums[kind] for kind in kinds)
            + "".join(
                f'<w:num w:numId="{num}"><w:abstractNumId w:val="{tpl.abstract_ids[kind]}"/>'
                f"{tpl.num_extra[kind]}</w:num>"
                for num, kind in nums
            )
            + "</w:numbering>"
        )


_HYPERLINK_STYLE = '<w:rStyle w:val="Hyperlink"/>'
_FOOTNOTE_STYLE = '<w:rStyle w:val="FootnoteReference"/>'
_MARK: dict[str, Any] = {"t": "RawInline"}  # where a footnote's mark goes
_RPR_ORDER = {
    _HYPERLINK_STYLE: 0,
    _FOOTNOTE_STYLE: 0,
    "<w:b/>": 2,
    "<w:bCs/>": 3,
    "<w:i/>": 4,
    "<w:iCs/>": 5,
}
_LIST_STYLE = {"bullet": "ListBullet", "ordered": "ListNumber"}


def _sorted(props: tuple[str, ...]) -> tuple[str, ...]:
    """Run properties in the schema order pandoc sorts them in (rStyle, b, bCs, i, iCs)."""
    return tuple(sorted(dict.fromkeys(props), key=_RPR_ORDER.__getitem__))


def _stringify(items: list[dict[str, Any]]) -> str:
    """pandoc's ``stringify`` of inlines (spaces and line breaks as one space each)."""
    out = []
    for item in items:
        kind = item["t"]
        if kind == "Str":
            out.append(item["c"])
        elif kind in ("Space", "LineBreak"):
            out.append(" ")
        elif kind in ("Strong", "Emph"):
            out.append(_stringify(item["c"]))
        elif kind == "Link":
            out.append(_stringify(item["c"][1]))
    return "".join(out)


def _meta_text(value: dict[str, Any]) -> str:
    if value["t"] == "MetaBlocks":
        return "".join(_stringify(b["c"]) for b in value["c"])
    return _stringify(value["c"])


def _render(doc: Document, lang: str, tpl: Template) -> tuple[str, _Writer, dict[str, Any]]:
    """``word/document.xml`` of ``doc`` and the writer that holds its links and lists."""
    ast = document_ast(doc, lang)
    meta = ast["meta"]
    writer = _Writer(tpl)
    # pandoc renders the abstract, then title, subtitle, date, author, then the body (the
    # order in which hyperlinks get their relationship ids).
    abstract = writer.blocks(meta["abstract"]["c"], "Abstract") if "abstract" in meta else ""
    head = {
        key: writer.inlines(meta[key]["c"]) if key in meta else ""
        for key in ("title", "subtitle", "date", "author")
    }
    writer.first_para = True
    body = writer.blocks(ast["blocks"])
    out = [tpl.document_head]
    styles = {"title": "Title", "subtitle": "Subtitle", "author": "Author", "date": "Date"}
    for key in ("title", "subtitle", "author", "date"):
        # pandoc's template: $if(title)$ (nothing when it renders empty), $for(author)$ (a
        # paragraph per author, even an empty one)
        if head[key] or (key == "author" and key in meta):
            out.append(f'<w:p><w:pPr><w:pStyle w:val="{styles[key]}"/></w:pPr>{head[key]}</w:p>')
    if abstract:
        title = f'<w:r>{writer.rpr(())}<w:t xml:space="preserve">{tpl.abstract_title}</w:t></w:r>'
        out.append(f'<w:p><w:pPr><w:pStyle w:val="AbstractTitle"/></w:pPr>{title}</w:p>')
        out.append(abstract)
    out += [body, tpl.document_tail]
    return "".join(out), writer, meta


def _timestamp() -> str:
    """Now (or ``SOURCE_DATE_EPOCH``, as pandoc takes it) in W3CDTF."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    seconds = float(epoch) if epoch.isdigit() else time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _core(doc: Document, lang: str, subject: str) -> str:
    author = doc.metadata.get("author")
    creator = (
        f"<dc:creator>{_xml_text(core_property(author))}</dc:creator>"
        if author
        else "<dc:creator/>"
    )
    abstract = " ".join(b.text for b in doc.blocks if b.kind == "abstract").strip()
    # python-docx writes a carriage return as "&#13;" (a raw one would read back as "\n")
    comments = _xml_text(abstract[:1000]).replace("\r", "&#13;")
    description = f"<dc:description>{comments}</dc:description>" if abstract else ""
    stamp = _timestamp()
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:dcmitype="http://purl.org/dc/dcmitype/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{_xml_text(core_property(doc.title))}</dc:title>{creator}"
        f"<dc:language>{escape(LOCALES.get(lang, lang))}</dc:language><cp:keywords/>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        f"<dc:subject>{_xml_text(core_property(subject))}</dc:subject>{description}"
        "</cp:coreProperties>"
    )


def _custom(meta: dict[str, Any]) -> str:
    """docProps/custom.xml: the metadata pandoc keeps as custom properties."""
    keys = sorted(k for k in meta if k not in ("title", "author", "lang"))
    head = f'<?xml version="1.0" encoding="UTF-8"?><Properties {_NS_CUSTOM}'
    if not keys:
        return head + " />"
    props = "".join(
        f'<property fmtid="{_CUSTOM_FMTID}" pid="{n + 2}" name="{key}">'
        f"<vt:lpwstr>{_xml_text(_meta_text(meta[key]))}</vt:lpwstr></property>"
        for n, key in enumerate(keys)
    )
    return f"{head}>{props}</Properties>"


def _link_rels(links: dict[str, str]) -> str:
    return "".join(
        f'<Relationship Id="{rid}" Type="{_HYPERLINK_REL}" '
        f'Target="{escape(target, {chr(34): "&quot;"})}" TargetMode="External"/>'
        for target, rid in sorted(links.items())  # pandoc lists them by target (a Map)
    )


def package_parts(doc: Document, lang: str, subject: str = "") -> dict[str, bytes]:
    """The parts of ``doc``'s DOCX package that are its own, by part name."""
    tpl = template(lang)
    document, writer, meta = _render(doc, lang, tpl)
    rels = _link_rels(writer.links)
    made = {
        "word/document.xml": document,
        "word/numbering.xml": writer.numbering(),
        "word/_rels/document.xml.rels": tpl.rels_head + rels + "</Relationships>",
        "docProps/core.xml": _core(doc, lang, subject),
        "docProps/custom.xml": _custom(meta),
        "word/footnotes.xml": tpl.footnotes_head + "".join(writer.notes) + "</w:footnotes>",
    }
    if rels:
        made["word/_rels/footnotes.xml.rels"] = (
            "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{rels}</Relationships>"
        )
    return {name: text.encode("utf-8") for name, text in made.items()}


def write_docx_direct(doc: Document, path: Path, lang: str, *, subject: str = "") -> None:
    """Write ``doc`` (one :func:`can_write` accepts) as a DOCX at ``path``, atomically: the
    language's shared parts (compressed once) with the document's own parts added."""
    own = package_parts(doc, lang, subject)
    buffer = io.BytesIO(template(lang).shared_zip)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as package:
        for name, data in own.items():
            package.writestr(name, data)
    with atomic_path(Path(path)) as tmp:
        tmp.write_bytes(buffer.getvalue())
