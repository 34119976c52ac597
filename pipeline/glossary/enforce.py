"""Enforcing the glossary around an engine call: protect terms, restore them, make words agree.

Around an engine call the pipeline does::

    protected = protect(glossary, texts, src, tgt, engine.glossary_strategy)
    drafts = [t.text for t in engine.translate(protected.texts, src, tgt)]
    final = restore(drafts, protected)      # protected.repairs counts put-back terms

How a term travels through an engine is the engine's ``glossary_strategy`` (see
``pipeline.engines.base.Strategy``), chosen from ``benchmarks/glossary_compliance.py``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline import markers
from pipeline.engines.base import GlossaryMode, Strategy
from pipeline.glossary.agreement import a_or_an, agree_spanish, agree_spanish_after
from pipeline.glossary.grammar import (
    prepare_spanish,
    prepare_spanish_words,
    spanish_word_classes,
)
from pipeline.glossary.normalize import fold, is_cjk, is_word_char
from pipeline.glossary.terms import Glossary, Term

PLACEHOLDER_BASE = 901
TOKEN_PREFIX = "ZXQ"  # ``token`` placeholders: ZXQ901, ZXQ902, …
TOKEN_PLACEHOLDER = re.compile(TOKEN_PREFIX + r"\d+")
"""A token placeholder as it must never appear in a finished translation (for QA)."""


@dataclass
class Placeholder:
    """One protected term occurrence: its number, the form it must become, how it travels."""

    number: int
    term: Term
    expected: str
    mode: GlossaryMode
    source_text: str
    capitalised: bool
    wrapped_by: int | None = None  # the <gN> that encloses the whole term in the source
    words_before: int = 0  # content words (adjectives?) right before the term in the source


@dataclass
class Protected:
    """What ``protect`` sent to the engine, so ``restore`` can put the terms back."""

    texts: list[str]
    src: str
    tgt: str
    strategy: Strategy
    placeholders: list[list[Placeholder]]
    repairs: int = 0
    repaired: list[int] = field(default_factory=list)


# ---------------------------------------------------------------- protect


def protect(
    glossary: Glossary, texts: Sequence[str], src: str, tgt: str, strategy: Strategy
) -> Protected:
    """Mark every glossary term in ``texts`` so the engine's output can be made to use it.

    Existing ``<gN>``/``<xN/>`` markers stay valid; markers inside a term move after it.
    """
    base = max(
        [PLACEHOLDER_BASE]
        + [m.number + 1 for t in texts for m in markers.tokens(t) if m.kind != "close"]
    )
    out_texts: list[str] = []
    all_placeholders: list[list[Placeholder]] = []
    for text in texts:
        pieces: list[str] = []
        placeholders: list[Placeholder] = []
        pos = 0
        for number, match in enumerate(glossary.find(text, src, tgt), start=base):
            mode = strategy.names if match.term.is_name else strategy.terms
            inner_markers = "".join(markers.ANY.findall(match.text))
            term_text = markers.strip(match.text)
            placeholder = Placeholder(
                number=number,
                term=match.term,
                expected=markers.escape(match.term.target_form(src, match.form_index, tgt)),
                mode=mode,
                source_text=term_text,
                capitalised=term_text[:1].isupper(),
                words_before=_content_words_before(markers.strip(text[: match.start])),
            )
            opening = markers.OPENING_AT_END.search(text[pos : match.start])
            if opening and (inner_markers + text[match.end :]).startswith(
                f"</g{opening.group(1)}>"
            ):
                placeholder.wrapped_by = int(opening.group(1))
            pieces.append(text[pos : match.start])
            if mode == "wrap":
                pieces.append(f"<g{number}>{term_text}</g{number}>")
            elif mode == "empty":
                pieces.append(f"<x{number}/>")
            else:
                pieces.append(f"{TOKEN_PREFIX}{number}")
            pieces.append(inner_markers)
            pos = match.end
            placeholders.append(placeholder)
        pieces.append(text[pos:])
        out_texts.append("".join(pieces))
        all_placeholders.append(placeholders)
    return Protected(out_texts, src, tgt, strategy, all_placeholders)


_SOURCE_FUNCTION_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "to",
        "and",
        "or",
        "in",
        "on",
        "at",
        "for",
        "by",
        "with",
        "from",
        "as",
        "this",
        "that",
        "these",
        "those",
        "its",
        "their",
        "our",
        "his",
        "her",
        "my",
        "your",
        "all",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "has",
        "have",
        "had",
        "de",
        "del",
        "la",
        "el",
        "los",
        "las",
        "un",
        "una",
        "unos",
        "unas",
        "y",
        "o",
        "en",
        "con",
        "por",
        "para",
        "al",
        "su",
        "sus",
        "nuestro",
        "nuestra",
        "nuestros",
        "nuestras",
    ]
)


def _content_words_before(prefix: str) -> int:
    """How many (up to two) content words end ``prefix``, each followed by one space."""
    tail = re.search(r"(?:^|\s)((?:[^\W\d_][\w'’-]* ){1,2})$", prefix)
    count = 0
    for word in reversed(tail.group(1).split() if tail else []):
        if word.casefold() in _SOURCE_FUNCTION_WORDS:
            break
        count += 1
    return count


# ---------------------------------------------------------------- restore


def restore(translated: Sequence[str], protected: Protected) -> list[str]:
    """Put the glossary forms into the engine's output and remove every placeholder.

    A placeholder the engine dropped is put back (near its relative position) and counted
    in ``protected.repairs``; ``protected.repaired`` lists the segment indexes.
    """
    if len(translated) != len(protected.placeholders):
        raise ValueError("restore needs one translation per protected text")
    results = []
    protected.repairs = 0
    protected.repaired = []
    if protected.tgt == "es":  # one analyser call for every form of the batch
        prepare_spanish(ph.expected for phs in protected.placeholders for ph in phs)
        if any(protected.placeholders):  # words around terms: nouns, adjectives to agree
            prepare_spanish_words(w for t in translated for w in _WORD.findall(markers.strip(t)))
    for index, (text, placeholders) in enumerate(
        zip(translated, protected.placeholders, strict=True)
    ):
        repairs = 0
        length_hint = max(len(protected.texts[index]), 1)
        for ph in placeholders:
            text, ok = _restore_one(text, ph, protected.tgt)
            if not ok:
                repairs += 1
                if not _already_there(text, ph, protected.tgt):
                    text = _put_back(text, ph, protected, index, length_hint)
        if placeholders:
            # nothing of ours may survive, however an engine mangled or copied it
            text = re.sub(rf"(?i)[⟦\[]?{TOKEN_PREFIX}[^\w\n]{{0,3}}\d{{3,}}[⟧\]]?", "", text)
            text = markers.numbered({ph.number for ph in placeholders}).sub("", text)
            text = tidy(text, protected.tgt)
        if repairs:
            protected.repairs += repairs
            protected.repaired.append(index)
        results.append(text)
    return results


def _restore_one(text: str, ph: Placeholder, tgt: str) -> tuple[str, bool]:
    n = ph.number
    if ph.mode == "wrap":
        return _restore_wrapped(text, ph, tgt)
    pattern = rf"<x{n}/>" if ph.mode == "empty" else rf"(?i){TOKEN_PREFIX}[^\w\n]{{0,3}}{n}(?!\d)"
    m = re.search(pattern, text)
    if not m:
        return text, False
    before, after = text[: m.start()], text[m.end() :]
    # an engine without markup lost the formatting around the term: keep it on the term
    wrap = ph.wrapped_by if ph.wrapped_by and f"<g{ph.wrapped_by}>" not in text else None
    return _insert(before, ph, _sentence_start(before), after, tgt, wrap=wrap)


_LEADING_DETERMINER = re.compile(r"(?i)\s*(?:el|la|los|las|un|una|unos|unas)\s+")
_ENGLISH_ARTICLE = re.compile(r"(?i)(?:the|a|an)\s")
_FUNCTION_WORDS = re.compile(
    r"(?i)\s*(?:(?:de|del|a|al|en|el|la|los|las|y|con|por|para|que|the|of|to|and)\s*)*"
)
_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")


def _restore_wrapped(text: str, ph: Placeholder, tgt: str) -> tuple[str, bool]:
    """Replace the engine's rendering inside ``<gN>…</gN>`` with the glossary form.

    An engine that reorders words may split the span in pieces (``<g9>acuerdo</g9> de
    <g9>comercio libre</g9>``): the form replaces the first piece, the other pieces are
    dropped, and words between pieces survive unless they are bare function words.
    """
    n = ph.number
    pieces = list(markers.pair(n).finditer(text))
    if not pieces:
        return markers.pair_tags(n).sub("", text), False
    if len(pieces) == 1:
        reordered = _restore_reordered(text, pieces[0], ph, tgt)
        if reordered is not None:
            return reordered
    first, last = pieces[0], pieces[-1]
    kept: list[str] = []
    for prev, nxt in zip(pieces, pieces[1:], strict=False):
        between = text[prev.end() : nxt.start()]
        if not _FUNCTION_WORDS.fullmatch(markers.strip(between)):
            kept.append(between)
        else:
            kept.append("".join(markers.ANY.findall(between)))
    renderings = [p.group(1) for p in pieces]
    inner_markers = "".join(m for r in renderings for m in markers.ANY.findall(r))
    rendering = markers.strip(renderings[0])
    before = text[: first.start()]
    # an article the engine put inside the span stays (and is made to agree)
    article = _LEADING_DETERMINER.match(rendering)
    if article and not _ENGLISH_ARTICLE.match(ph.source_text):
        before = before + article.group(0)
        rendering = rendering[article.end() :]
    rest = "".join(kept)
    after = inner_markers + (" " + rest.strip(" ") if rest.strip() else "") + text[last.end() :]
    return _insert(
        before,
        ph,
        _sentence_start(before),
        after,
        tgt,
        lead_space=rendering[:1].isspace(),
        trail_space=renderings[-1][-1:].isspace(),
    )


def _restore_reordered(
    text: str, span: re.Match[str], ph: Placeholder, tgt: str
) -> tuple[str, bool] | None:
    """The form put in when the engine moved words across the span's edges, else None."""
    if fold(markers.strip(span.group(1))).split() == fold(ph.expected).split():
        return None  # the span holds exactly the glossary form (maybe with spaces): no move
    moved = _moved_out_of_span(text, span, ph.expected)
    if moved is not None:
        before, after = text[: moved[0]], " " + moved[1] + text[span.end() :]
        return _insert(before, ph, _sentence_start(before), after, tgt)
    moved = _moved_after_span(text, span, ph.expected)
    if moved is not None:
        before, after = text[: span.start()], text[moved[0] :]
        modifiers = moved[1]
        if _sentence_start(before):
            modifiers = modifiers[:1].upper() + modifiers[1:]
        return _insert(before + modifiers + " ", ph, False, after, tgt)
    swapped = _noun_before_span(text, span, ph) if tgt == "es" and ph.words_before else None
    if swapped is not None:
        before, modifiers = swapped
        after = " " + modifiers + text[span.end() :]
        return _insert(before, ph, _sentence_start(before), after, tgt)
    return None


def _moved_out_of_span(text: str, span: re.Match[str], expected: str) -> tuple[int, str] | None:
    """Whether the engine wrote the glossary form itself but moved it (partly) out of the span.

    Apertium keeps inline tags at their word positions while it reorders words: "the brutal
    <g9>offensive</g9>" comes back as "la ofensiva <g9>brutal</g9>", the noun before the span
    and the adjective inside it; "an ardent <g9>statement of solidarity</g9>" as "una
    declaración <g9>ardiente de solidaridad</g9>". The form's first words then end the text
    before the span and its other words are in the span, in order, with the moved modifier.
    Replacing the span's content would double the noun and lose the modifier. Returns where
    the form starts in ``text`` and the span's words that are not the form's, or None.
    """
    content = span.group(1)
    if markers.has_markers(content) or not re.search(r"\w\.?\s+$", text[: span.start()]):
        return None
    wanted = [fold(w).rstrip(".") for w in expected.split()]
    before = list(_WORD.finditer(text[: span.start()]))
    inside = list(_WORD.finditer(content))
    for moved in range(min(len(wanted), len(before)), 0, -1):
        cut = before[-moved].start()
        if markers.has_markers(text[cut : span.start()]):
            continue
        if [fold(w.group(0)) for w in before[-moved:]] != wanted[:moved]:
            continue
        rest, leftover = wanted[moved:], list[str]()
        for word in inside:
            if rest and fold(word.group(0)) == rest[0]:
                rest.pop(0)
            else:
                leftover.append(word.group(0))
        if not rest and leftover:  # the span also holds the moved modifier
            return cut, " ".join(leftover)
    return None


def _moved_after_span(text: str, span: re.Match[str], expected: str) -> tuple[int, str] | None:
    """The mirror of ``_moved_out_of_span``, for languages that put adjectives first.

    "la <g9>ofensiva</g9> brutal" comes back as "the <g9>brutal</g9> offensive": the form's
    last words start the text after the span, its other words end the span. Returns where the
    form ends in ``text`` and the span's words that are not the form's, or None.
    """
    content = span.group(1)
    if markers.has_markers(content) or not re.match(r"\s+\w", text[span.end() :]):
        return None
    wanted = [fold(w).rstrip(".") for w in expected.split()]
    after = list(_WORD.finditer(text, span.end()))
    inside = list(_WORD.finditer(content))
    for moved in range(min(len(wanted), len(after)), 0, -1):
        cut = after[moved - 1].end()
        if markers.has_markers(text[span.end() : cut]):
            continue
        if [fold(w.group(0)) for w in after[:moved]] != wanted[len(wanted) - moved :]:
            continue
        rest, leftover = wanted[: len(wanted) - moved], list[str]()
        for word in reversed(inside):
            if rest and fold(word.group(0)) == rest[-1]:
                rest.pop()
            else:
                leftover.insert(0, word.group(0))
        if not rest and leftover:
            return cut, " ".join(leftover)
    return None


def _noun_before_span(text: str, span: re.Match[str], ph: Placeholder) -> tuple[str, str] | None:
    """The same reordering when the engine rendered the term with another noun.

    "the Peruvian <g9>union</g9>" → "la unión <g9>peruana</g9>": the span ends with
    adjectives (as many as the source had words before the term), holds no noun of its own
    (else the engine kept the term's noun in the span and nothing moved: "son <g9>represión
    política</g9>") and a noun stands right before it. Returns the text before that noun and
    the adjectives, or None.
    """
    content = span.group(1)
    if markers.has_markers(content):
        return None
    head = re.search(r"(?:^|(?<=\s))([^\W\d_]+)\s+$", text[: span.start()])
    words = list(_WORD.finditer(content))
    if head is None or not words or "n" not in spanish_word_classes(head.group(1)):
        return None
    first_expected = ph.expected.split()[0]
    if "n" not in spanish_word_classes(first_expected):
        return None
    moved = 0
    for word in reversed(words[-ph.words_before :]):
        if "adj" not in spanish_word_classes(word.group(0)):
            break
        moved += 1
    if not moved or any("n" in spanish_word_classes(w.group(0)) for w in words[:-moved]):
        return None
    return text[: head.start(1)], content[words[-moved].start() :].rstrip()


def _insert(
    before: str,
    ph: Placeholder,
    capitalise: bool,
    after: str,
    tgt: str,
    lead_space: bool = False,
    trail_space: bool = False,
    wrap: int | None = None,
) -> tuple[str, bool]:
    """Join ``before`` + the glossary form + ``after`` with the spacing the language wants."""
    form = ph.expected
    if capitalise and tgt != "ja":
        form = form[:1].upper() + form[1:]
    if tgt == "es" and (ph.term.gender or not ph.term.is_name):
        before = agree_spanish(before, ph.expected, ph.term)
        after = agree_spanish_after(after, ph.expected, ph.term)
    elif tgt == "en":
        before = a_or_an(before, form)
    if tgt == "ja":
        if _needs_no_space(_last_visible(before.rstrip(" ")), form[:1]):
            before = before.rstrip(" ")
        if _needs_no_space(form[-1:], _first_visible(after)):
            after = after.lstrip(" ")
        return before + _wrapped(form, wrap) + after, True
    before = _space_before(before, form, lead_space)
    after = _space_after(after, form, trail_space)
    return before + _wrapped(form, wrap) + after, True


def _space_before(before: str, form: str, lead_space: bool) -> str:
    """``before`` with the space a form needs after a word (languages with spaces)."""
    last = _last_visible(before)
    if not before.endswith((" ", "\n")) and (
        lead_space or (last and is_word_char(last) and form[:1].isalnum())
    ):
        return before + " "
    return before


def _space_after(after: str, form: str, trail_space: bool) -> str:
    """``after`` with the space a form needs before a word, after any leading markers; a
    full stop the form ends with is not doubled ("EE. UU." ends the sentence too)."""
    nxt = _first_visible(after)
    leading = markers.LEADING.match(after)
    cut = leading.end() if leading else 0
    if not after[cut:].startswith((" ", "\n")) and (
        trail_space or (nxt and is_word_char(nxt) and form[-1:].isalnum())
    ):
        after = after[:cut] + " " + after[cut:]
    if form.endswith(".") and after[cut:].startswith("."):
        after = after[:cut] + after[cut + 1 :]
    return after


def _already_there(text: str, ph: Placeholder, tgt: str) -> bool:
    """Whether an engine that dropped a placeholder wrote the glossary form itself."""
    plain = markers.strip(text)
    if tgt == "ja" or is_cjk(ph.expected[:1]):
        return ph.expected in plain
    return re.search(rf"(?i)(?<!\w){re.escape(ph.expected)}(?!\w)", plain) is not None


def _put_back(
    text: str, ph: Placeholder, protected: Protected, index: int, length_hint: int
) -> str:
    # Where was the placeholder in the input? Put the term back at the same relative place.
    source = protected.texts[index]
    marker = {"wrap": f"<g{ph.number}>", "empty": f"<x{ph.number}/>"}.get(
        ph.mode, f"{TOKEN_PREFIX}{ph.number}"
    )
    at = source.find(marker)
    ratio = at / length_hint if at >= 0 else 1.0
    target = int(round(ratio * len(text)))
    # move to the nearest position outside a word and outside a marker
    candidates: Sequence[int] = [0, len(text)] + [
        m.start() for m in re.finditer(r"(?<=\s)\S|(?<=\S)\s", text)
    ]
    if protected.tgt == "ja":
        candidates = range(len(text) + 1)
    positions = [p for p in candidates if not _inside_marker(text, p)]
    best = min(positions, key=lambda p: abs(p - target)) if positions else len(text)
    if best == len(text):
        m = re.search(r"[.!?。！？」』)\]]*\s*$", text)
        best = m.start() if m else len(text)
    before, after = text[:best], text[best:]
    capitalise = ph.capitalised and _sentence_start(before)
    wrap = ph.wrapped_by if ph.wrapped_by and f"<g{ph.wrapped_by}>" not in text else None
    new_text, _ = _insert(before, ph, capitalise, after, protected.tgt, wrap=wrap)
    return new_text


# ---------------------------------------------------------------- spacing


def _wrapped(form: str, wrap: int | None) -> str:
    return f"<g{wrap}>{form}</g{wrap}>" if wrap is not None else form


def _last_visible(text: str) -> str:
    return markers.strip(text)[-1:]


def _first_visible(text: str) -> str:
    return markers.strip(text).lstrip(" ")[:1]


def _needs_no_space(left: str, right: str) -> bool:
    """In Japanese, a space survives only between two Latin letters or digits."""
    if not left or not right:
        return True
    return not (left.isascii() and left.isalnum() and right.isascii() and right.isalnum())


def _sentence_start(before: str) -> bool:
    visible = markers.strip(before).rstrip(" ¿¡\"'“‘«([\n")
    return not visible or visible[-1] in ".!?:;"


def _inside_marker(text: str, pos: int) -> bool:
    return any(m.start() < pos < m.end() for m in markers.ANY.finditer(text))


def tidy(text: str, tgt: str) -> str:
    """Collapse double spaces next to inserted terms; no space before closing punctuation."""
    text = re.sub(r"(?<=\S)  +(?=\S)", " ", text)
    text = re.sub(r" +([,.;:!?)\]])(?=\s|$|<)", r"\1", text)
    if tgt == "ja":
        text = re.sub(r"(?<=[\u2e80-\uffef]) +(?=[\u2e80-\uffef])", "", text)
    return text
