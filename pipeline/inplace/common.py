"""What the DOCX and ODT in-place modules share: paragraph items, spans, the package copy.

A paragraph is read as a list of items: ``Text`` (words with one run formatting) and ``Obj``
(anything that is never translated: a field, a bookmark, a drawing, a tab, a note reference,
kept as the original XML). The items between the first and the last word become the block's
spans; what lies outside (leading/trailing objects and whitespace) stays where it is without
reaching the engine. Run formatting travels as ``Span.format_key``: the paragraph's most used
formatting has no key (no marker), every other formatting a key into the package's table.

A paragraph is cut into fields at its tabs (``split_fields``):
each field is its own block, translated and written back in its own place, so a header's
"name ⇥ page ⇥ date" keeps its order. Runs in a code style or a monospace font are verbatim
code spans; a paragraph in a code style (or all in a monospace font) is not translated.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from pipeline.document import Block, BlockKind, Span, SpanKind, merge_spans
from pipeline.errors import PipelineError

Format = tuple[str, str]
"""A run formatting: (run properties as XML, the enclosing link element as XML or "")."""

Fragment = tuple[Any, ...]
"""One piece of kept XML, in the form its format module writes it back."""

MAX_FILE_BYTES = 50 * 1024 * 1024
"""The largest source file read (as for every other input)."""
MAX_ENTRIES = 10_000
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_PART_BYTES = 128 * 1024 * 1024
MAX_RATIO = 200


class InplaceError(PipelineError):
    """A DOCX/ODT package cannot be read or written in place; the message is one line."""


@dataclass
class Text:
    """Words with one formatting."""

    text: str
    fmt: Format


@dataclass
class Obj:
    """Content that is kept as it is: original XML fragments, in order."""

    fragments: list[Fragment]
    kind: SpanKind = "object"
    note: str | None = None


Item = Text | Obj


@dataclass
class FormatTable:
    """The run formattings of one package, each with a stable key (``f1``, ``f2``…)."""

    formats: dict[str, Format] = field(default_factory=dict)
    _keys: dict[Format, str] = field(default_factory=dict)

    def key(self, fmt: Format) -> str:
        if fmt not in self._keys:
            key = f"f{len(self._keys) + 1}"
            self._keys[fmt] = key
            self.formats[key] = fmt
        return self._keys[fmt]


@dataclass(frozen=True)
class Style:
    """What a span shows of a formatting: bold, italic, link target."""

    bold: bool = False
    italic: bool = False
    link: str | None = None
    code: bool = False


CODE_STYLES = frozenset(
    {
        "verbatimchar",
        "htmlcode",
        "htmlkeyboard",
        "htmltypewriter",
        "htmlsample",
        "code",
        "codechar",
        "inlinecode",
        "sourcecode",
        "sourcetext",
        "teletype",
        "usercode",
        "preformattedtext",
        "htmlpreformatted",
        "codeblock",
    }
)
"""Character and paragraph style names (lower case, without spaces, ``_20_`` or ``-``) that
mark code: pandoc's, Word's and LibreOffice's."""
_MONOSPACE = re.compile(
    r"\bmono\b|courier|consolas|menlo|monaco|lucida console|lucida sans typewriter|"
    r"source code|fira code|cascadia|inconsolata|andale|\bocr[ -]?[ab]\b|typewriter",
    re.I,
)


def is_code_style(name: str) -> bool:
    """Whether a style's name (or id) marks code (``Verbatim Char``, ``Source_20_Text``)."""
    return re.sub(r"_20_|[\s_-]", "", name).lower() in CODE_STYLES


def is_monospace(font: str) -> bool:
    """Whether a font family is monospaced (Courier New, Consolas, DejaVu Sans Mono…)."""
    return bool(font) and _MONOSPACE.search(font) is not None


Separator = Callable[["Obj"], bool]
"""Whether a kept object separates a paragraph's fields (a tab)."""


def split_fields(items: list[Item], separator: Separator) -> list[list[Item]]:
    """``items`` cut at separators: fields and separators alternate, each separator alone."""
    fields: list[list[Item]] = [[]]
    for item in items:
        if isinstance(item, Obj) and separator(item):
            fields.extend([[item], []])
        else:
            fields[-1].append(item)
    return fields


def field_edges(items: list[Item], separator: Separator) -> list[tuple[int, Edges]]:
    """The fields of a paragraph that have words, with their numbers and edges."""
    found = []
    for number, field_items in enumerate(split_fields(items, separator)):
        edges = split_edges(field_items)
        if edges is not None:
            found.append((number, edges))
    return found


def reassemble(
    items: list[Item],
    separator: Separator,
    cores: Mapping[int, Callable[[list[Item]], list[Item]]],
) -> list[Item]:
    """A paragraph's items with the core of every field in ``cores`` replaced (by
    ``cores[number](core)``), separators and everything else where they were."""
    out: list[Item] = []
    for number, field_items in enumerate(split_fields(items, separator)):
        edges = split_edges(field_items) if number in cores else None
        if edges is None:
            out.extend(field_items)
        else:
            out.extend([*edges.prefix, *cores[number](edges.core), *edges.suffix])
    return out


def is_code_paragraph(core: list[Item], describe: Callable[[Format], Style]) -> bool:
    """Whether every word of a field is code (so the field is not translated)."""
    return all(
        describe(item.fmt).code for item in core if isinstance(item, Text) and item.text.strip()
    )


@dataclass
class Edges:
    """A paragraph's items cut into what stays (prefix, suffix) and what is translated."""

    prefix: list[Item]
    core: list[Item]
    suffix: list[Item]


def split_edges(items: list[Item]) -> Edges | None:
    """Cut ``items`` around the translatable core; None when the paragraph has no words."""
    worded = [i for i, item in enumerate(items) if isinstance(item, Text) and item.text.strip()]
    if not worded:
        return None
    first, last = worded[0], worded[-1]
    prefix, core, suffix = list(items[:first]), list(items[first : last + 1]), items[last + 1 :]
    head = core[0]
    assert isinstance(head, Text)
    lead = head.text[: len(head.text) - len(head.text.lstrip())]
    if lead:
        prefix.append(Text(lead, head.fmt))
        core[0] = Text(head.text[len(lead) :], head.fmt)
    tail_item = core[-1]
    assert isinstance(tail_item, Text)
    trail = tail_item.text[len(tail_item.text.rstrip()) :]
    if trail:
        core[-1] = Text(tail_item.text[: len(tail_item.text) - len(trail)], tail_item.fmt)
        suffix = [Text(trail, tail_item.fmt), *suffix]
    return Edges(prefix, core, list(suffix))


def base_format(core: list[Item]) -> Format:
    """The formatting most of the core's characters have (links only when nothing else)."""
    weight: dict[Format, int] = {}
    for item in core:
        if isinstance(item, Text):
            weight[item.fmt] = (
                weight.get(item.fmt, 0) + len(item.text) + (0 if item.fmt[1] else 10**9)
            )
    return max(weight, key=lambda f: weight[f])


def core_spans(
    core: list[Item], table: FormatTable, base: Format, describe: Callable[[Format], Style]
) -> list[Span]:
    """The block spans of a paragraph's core (objects as ``o<index>`` keys)."""
    spans: list[Span] = []
    for index, item in enumerate(core):
        if isinstance(item, Text):
            style = describe(item.fmt)
            if item.fmt == base and not style.code:
                # The paragraph's own formatting needs no marker; only its link is meaning.
                spans.append(Span(item.text, link=style.link))
            else:
                key = table.key(item.fmt)
                spans.append(
                    Span(
                        item.text,
                        style.bold,
                        style.italic,
                        style.link,
                        format_key=key,
                        code=style.code,
                        verbatim=style.code,
                    )
                )
        else:
            spans.append(Span(kind=item.kind, note=item.note, format_key=f"o{index}"))
    return merge_spans(spans)


def core_items(
    spans: list[Span], core: list[Item], formats: Mapping[str, Format], base: Format
) -> list[Item]:
    """Items for translated ``spans``: text in its formatting, objects moved back in.

    An object the translation lost is put at the end of the core, so nothing is dropped.
    """
    objects = {f"o{i}": item for i, item in enumerate(core) if isinstance(item, Obj)}
    used: set[str] = set()
    out: list[Item] = []
    for span in spans:
        if span.kind == "text":
            if span.text:
                fmt = formats.get(span.format_key or "", base) if span.format_key else base
                out.append(Text(span.text, fmt))
            continue
        key = span.format_key or ""
        if key in objects and key not in used:
            used.add(key)
            out.append(objects[key])
        elif span.kind == "break":
            out.append(Text("\n", base))
    out.extend(item for key, item in objects.items() if key not in used)
    return out


def core_writer(
    block: Block, formats: Mapping[str, Format], base: Format
) -> Callable[[list[Item]], list[Item]]:
    """``core_items`` for ``block``'s translated spans, to apply to a field's core later."""

    def core(items: list[Item]) -> list[Item]:
        return core_items(block.spans, items, formats, base)

    return core


def kind_of_style(name: str) -> tuple[BlockKind, int, bool] | None:
    """The block kind a paragraph style's (lowercased) name gives, in Word and LibreOffice
    alike: title, subtitle, heading N; ``None`` for any other name."""
    if name == "title":
        return "title", 0, False
    if name == "subtitle":
        return "subtitle", 0, False
    heading = re.fullmatch(r"heading (\d)", name)
    if heading:
        return "heading", int(heading.group(1)), False
    return None


# --- the package ----------------------------------------------------------------------------

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def parse_xml(data: bytes, name: str) -> etree._Element:
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise InplaceError(f"damaged XML in {name}: {exc}") from exc


def serialize(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def open_package(path: Path, kind: str) -> dict[str, bytes]:
    """Every entry of a zip package, after checks against damage and zip bombs."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ENTRIES:
                raise InplaceError(f"not a valid .{kind} file (more than {MAX_ENTRIES} entries)")
            total = sum(i.file_size for i in infos)
            if total > MAX_TOTAL_BYTES:
                raise InplaceError(f"not a valid .{kind} file (unpacks to more than 512 MB)")
            for info in infos:
                packed = max(info.compress_size, 1)
                if info.file_size > MAX_PART_BYTES or (
                    info.file_size > 1024 * 1024 and info.file_size / packed > MAX_RATIO
                ):
                    raise InplaceError(
                        f"not a valid .{kind} file ({info.filename} unpacks suspiciously large)"
                    )
            return {info.filename: zf.read(info) for info in infos if not info.is_dir()}
    except (zipfile.BadZipFile, OSError, EOFError, KeyError) as exc:
        raise InplaceError(f"not a valid .{kind} file (damaged or truncated zip)") from exc


def package_bytes(source: Path, changed: Mapping[str, bytes]) -> bytes:
    """``source``'s zip package with the entries in ``changed`` replaced.

    Every other entry is copied with its name, order, date, compression and attributes.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = changed.get(info.filename)
            zout.writestr(info, zin.read(info) if data is None else data)
    return out.getvalue()


def write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``target``, then rename it over ``target``.

    (``pipeline.export.atomic`` does the same, with the same ``.<name>.<pid>.<random>.part``
    name that its ``remove_stale_parts`` cleans up; ``export`` imports this package, so this
    package does not import ``export``.)
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}.{os.getpid()}.", suffix=".part", dir=target.parent
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def file_sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
