"""Glossary terms and matching: ``Term``, ``Glossary`` (Aho-Corasick per language), versions."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import ahocorasick

from pipeline import markers
from pipeline.document import LANGUAGES
from pipeline.glossary.grammar import english_verb_use
from pipeline.glossary.normalize import (
    Normalized,
    fold,
    is_word_char,
    normalize_form,
    normalize_with_map,
)

MATCHER_VERSION = "4"  # bump when matching or enforcement changes: old cached drafts go stale

# Web addresses and e-mail addresses: a term inside one ("https://example.org/solidarity",
# "solidarity@example.org") is part of the address, never the word.
_ADDRESS = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://|www\.)[^\s<>\"'«»“”]+"
    r"|[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Term:
    """One glossary term: its forms per language (first = canonical), or a kept name."""

    id: str
    forms: dict[str, tuple[str, ...]]
    keep: bool = False
    note: str = ""
    case_sensitive: bool | None = None
    gender: str | None = None
    line: int = 0

    @property
    def label(self) -> str:
        for lang in LANGUAGES:
            if lang in self.forms:
                return self.forms[lang][0]
        return self.id

    @property
    def is_name(self) -> bool:
        """Kept items and proper names (every Latin-script form capitalised)."""
        if self.keep:
            return True
        latin = [f for lang in ("en", "es") for f in self.forms.get(lang, ())]
        return bool(latin) and all(f[0].isupper() for f in latin)

    def forms_for(self, lang: str) -> tuple[str, ...]:
        if self.keep:
            return self.forms["*"]
        return self.forms.get(lang, ())

    def target_form(self, src: str, index: int, tgt: str) -> str:
        """The target form aligned with source form ``index`` (number/gender by position)."""
        if self.keep:
            return self.forms["*"][index]
        sources, targets = self.forms[src], self.forms[tgt]
        return targets[index] if len(targets) == len(sources) else targets[0]

    def covers(self, src: str, tgt: str) -> bool:
        return self.keep or (src in self.forms and tgt in self.forms)

    def is_case_sensitive(self, form: str) -> bool:
        if self.case_sensitive is not None:
            return self.case_sensitive
        letters = [c for c in form if c.isalpha() and c.upper() != c.lower()]
        return len(letters) > 1 and all(c.isupper() for c in letters)


@dataclass(frozen=True)
class Match:
    """A term found in a text: ``start``/``end`` are offsets in the original text."""

    term: Term
    form_index: int
    start: int
    end: int
    text: str


class Glossary:
    """A validated glossary with fast matchers per language."""

    def __init__(self, terms: Iterable[Term]):
        self.terms: list[Term] = list(terms)
        self.path: Path | None = None
        self._automata: dict[str, ahocorasick.Automaton | None] = {}
        # The memory key, protect/restore, the glossary check and QA all look up the same
        # segments: the matches of the last few thousand are kept (bounded, thread-safe).
        self._find = lru_cache(maxsize=4096)(self._find_uncached)

    def __len__(self) -> int:
        return len(self.terms)

    def __reduce__(self) -> tuple[Any, ...]:
        """Sent to another process (a Dask worker) as its terms and path: the matchers and
        the cache of matches are built again there."""
        return (_rebuilt, (self.terms, self.path))

    # -- identity

    @cached_property
    def version(self) -> str:
        """A stable hash of the content (not of comments or layout): part of the memory key."""
        payload = [
            {
                "forms": {k: list(v) for k, v in sorted(t.forms.items())},
                "keep": t.keep,
                "case": t.case_sensitive,
                "gender": t.gender,
            }
            for t in self.terms
        ]
        blob = json.dumps([MATCHER_VERSION, payload], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

    # -- matching

    def _automaton(self, lang: str) -> ahocorasick.Automaton | None:
        if lang not in self._automata:
            automaton = ahocorasick.Automaton()
            for term in self.terms:
                for index, form in enumerate(term.forms_for(lang)):
                    key = fold(form)
                    entries = automaton.get(key, [])
                    entries.append((term, index, normalize_form(form)))
                    automaton.add_word(key, entries)
            if len(automaton):
                automaton.make_automaton()
                self._automata[lang] = automaton
            else:
                self._automata[lang] = None
        return self._automata[lang]

    def find(self, text: str, lang: str, tgt: str | None = None) -> list[Match]:
        """Terms of ``lang`` in ``text``: whole words, longest first, no overlaps, in order.

        Markers (``<g1>…</g1>``, ``<x1/>``) are ignored, so a term split by formatting is found;
        with ``tgt`` only terms that have a rendering in ``tgt`` are returned.
        """
        return list(self._find(text, lang, tgt))

    def _find_uncached(self, text: str, lang: str, tgt: str | None) -> tuple[Match, ...]:
        automaton = self._automaton(lang)
        if automaton is None or not text:
            return ()
        norm = normalize_with_map(text)
        candidates = self._candidates(automaton, text, norm, lang, tgt)
        candidates.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
        taken: list[tuple[int, int]] = []
        chosen: list[Match] = []
        for start, end, term, index in candidates:  # the longest first, never overlapping
            if any(start < e and s < end for s, e in taken):
                continue
            a, b = norm.starts[start], norm.ends[end - 1]
            if lang == "en" and not term.is_name and english_verb_use(norm.folded, start, end):
                continue  # "they strike", "to struggle", "plunder the": not the noun
            taken.append((start, end))
            chosen.append(Match(term, index, a, b, text[a:b]))
        chosen.sort(key=lambda m: m.start)
        return tuple(chosen)

    def _candidates(
        self, automaton: Any, text: str, norm: Normalized, lang: str, tgt: str | None
    ) -> list[tuple[int, int, Term, int]]:
        """Every form found in the folded text at word boundaries, outside web and e-mail
        addresses, with its case when the term is case-sensitive: (start, end, term, index)."""
        folded = norm.folded
        candidates: list[tuple[int, int, Term, int]] = []
        addresses = [m.span() for m in _ADDRESS.finditer(folded)]
        for end_index, entries in automaton.iter(folded):
            for term, index, form in entries:
                if tgt is not None and not term.covers(lang, tgt):
                    continue
                start = end_index - len(fold(form)) + 1
                end = end_index + 1
                if not self._boundaries_ok(folded, start, end):
                    continue
                if any(a <= start and end <= b for a, b in addresses):
                    continue
                original = text[norm.starts[start] : norm.ends[end - 1]]
                if term.is_case_sensitive(form) and normalize_form(markers.strip(original)) != form:
                    continue
                candidates.append((start, end, term, index))
        return candidates

    @staticmethod
    def _boundaries_ok(folded: str, start: int, end: int) -> bool:
        first, last = folded[start], folded[end - 1]
        if is_word_char(first) and start > 0 and is_word_char(folded[start - 1]):
            return False
        return not (is_word_char(last) and end < len(folded) and is_word_char(folded[end]))

    def terms_in(self, text: str, src: str, tgt: str) -> list[dict[str, str]]:
        """Glossary terms in a source segment, for review files: term, expected, note."""
        seen: set[tuple[str, str]] = set()
        found = []
        for match in self.find(text, src, tgt):
            expected = match.term.target_form(src, match.form_index, tgt)
            term_text = markers.strip(match.text)
            if (term_text, expected) in seen:
                continue
            seen.add((term_text, expected))
            found.append({"term": term_text, "expected": expected, "note": match.term.note})
        return found


def _rebuilt(terms: list[Term], path: Path | None) -> Glossary:
    glossary = Glossary(terms)
    glossary.path = path
    return glossary
