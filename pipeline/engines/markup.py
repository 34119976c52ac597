"""Inline markers (``<gN>…</gN>``, ``<xN/>``) ↔ inline HTML, for engines that keep HTML tags.

Engines that translate HTML (Apertium's ``-f html``, LibreTranslate's ``format=html``) carry
``<span class="gN">`` and ``<br class="xN">`` through translation; these two functions convert
the pipeline's markers to that HTML and back.
"""

from __future__ import annotations

import html
import re

_HTML_MARK = re.compile(r'<span class="g(\d+)">|</span>|<br class="x(\d+)"\s*/?>(?:</br>)?')


def markers_to_html(text: str) -> str:
    """Escape a marker-carrying segment and turn its markers into inline HTML."""
    out = html.escape(text, quote=False)
    out = re.sub(r"&lt;g(\d+)&gt;", r'<span class="g\1">', out)
    out = re.sub(r"&lt;/g\d+&gt;", "</span>", out)
    out = re.sub(r"&lt;x(\d+)/&gt;", r'<br class="x\1">', out)
    return out


def html_to_markers(text: str, unescape: bool = True) -> str:
    """Inverse of ``markers_to_html`` on an engine's HTML output.

    ``unescape=False`` is for engines that already decoded character entities in their answer
    (LibreTranslate does), so that a literal ``&amp;`` in the text is not decoded twice.
    """
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    for m in _HTML_MARK.finditer(text):
        out.append(text[pos : m.start()])
        pos = m.end()
        if m.group(1):
            stack.append(m.group(1))
            out.append(f"<g{m.group(1)}>")
        elif m.group(2):
            out.append(f"<x{m.group(2)}/>")
        elif stack:
            out.append(f"</g{stack.pop()}>")
    out.append(text[pos:])
    joined = "".join(out)
    return html.unescape(joined) if unescape else joined
