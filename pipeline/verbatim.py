"""Text that is never translated: URLs, e-mail addresses, file names and paths, @handles,
command-line options and markup tags written in running text.

Inline code and code blocks are marked by the readers (pandoc's ``Code``/``CodeBlock``, a
DOCX/ODT run in a code style or a monospace font); ``protect`` finds the rest in plain text
and cuts it out as ``verbatim`` spans. Segmentation sends every verbatim span through the
engines as a placeholder marker, so a translation can neither translate nor lose it.
"""

from __future__ import annotations

import re
from dataclasses import replace

from pipeline.document import Block, Span

_EXTENSIONS = (
    "txt|md|markdown|html?|xhtml|css|docx?|odt|ods|odp|rtf|pdf|epub|pptx?|xlsx?|csv|tsv|json|"
    "ya?ml|toml|ini|cfg|conf|xml|svg|png|jpe?g|gif|webp|tiff?|zip|tar|gz|tgz|bz2|xz|7z|py|js|"
    "ts|sh|bash|lua|typ|tex|bib|c|h|cpp|hpp|go|rs|java|rb|php|sql|log|exe|msi|deb|rpm|iso|"
    "mp3|mp4|wav|ogg|mkv|avi|mov|tmx|xliff|xlf|po|pot"
)
_TLDS = "com|org|net|io|info|edu|gov|int|dev|app"

PATTERN = re.compile(
    "|".join(
        (
            # a URL, without the sentence's closing punctuation
            r"\b(?:https?|ftp|file|mailto):(?://)?[^\s<>\"“”«»]+[^\s<>\"“”«».,;:!?)\]}'’]",
            r"\bwww\.[\w-]+(?:\.[\w-]+)+(?:/[^\s<>\"“”«»]*[^\s<>\"“”«».,;:!?)\]}'’])?",
            # an e-mail address
            r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b",
            # an @handle (not the @ of an e-mail address)
            r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?",
            # a path: /usr/bin/x, ~/campaign/source_docs, ./run.sh, C:\\dir\\file
            r"(?<![\w/])(?:~|\.{1,2})?/(?:[\w.\-]+/)*[\w\-]+(?:\.[\w\-]+)*/?(?![\w/])",
            r"\b[A-Za-z]:\\(?:[\w.\- ]+\\)*[\w.\-]+",
            # a file name with a known extension, a domain name
            rf"(?<![\w.-])[\w-]+(?:\.[\w-]+)*\.(?:{_EXTENSIONS})\b(?![.\w-]*\w)",
            rf"(?<![\w.@-])[\w-]+(?:\.[\w-]+)*\.(?:{_TLDS})\b(?![\w-])",
            # a command-line option: --sandbox, --to=es
            r"(?<![\w-])--[A-Za-z][\w-]*(?:=[^\s,;]+)?",
            # the same after smart punctuation turned its "--" into an en dash
            r"(?<![\w\-–])–[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?=[\s,;:.!?)]|$)",
            # a markup tag written in the text: <head>, </p>, <br/>
            r"</?[A-Za-z][\w:.-]*(?:\s+[\w:.-]+(?:=(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*\s*/?>",
        )
    )
)
"""One verbatim piece of running text."""


def protect(spans: list[Span]) -> list[Span]:
    """``spans`` with every verbatim piece of their text cut out as its own ``verbatim`` span
    (the same formatting otherwise); spans already verbatim, and non-text spans, unchanged."""
    out: list[Span] = []
    for span in spans:
        if span.kind != "text" or span.verbatim or not span.text:
            out.append(span)
            continue
        pos = 0
        for m in PATTERN.finditer(span.text):
            if m.start() > pos:
                out.append(replace(span, text=span.text[pos : m.start()]))
            out.append(replace(span, text=m.group(), verbatim=True))
            pos = m.end()
        if pos == 0:
            out.append(span)
        elif pos < len(span.text):
            out.append(replace(span, text=span.text[pos:]))
    return out


def verbatim_pieces(text: str) -> list[str]:
    """The verbatim pieces ``protect`` finds in plain ``text``, in order (for checks)."""
    return [m.group() for m in PATTERN.finditer(text)]


def prose_text(block: Block) -> str:
    """A block's text without its code and verbatim pieces (what language detection reads):
    a code block has none."""
    if block.kind == "code":
        return ""
    text = "".join(
        s.text if s.kind == "text" and not s.verbatim else "\n" if s.kind == "break" else " "
        for s in block.spans
    )
    return PATTERN.sub(" ", text)
