"""The movement glossary: load and validate ``glossary.yml``, find terms, enforce and verify them.

A glossary lists terms with their forms per language (``en``/``es``/``ja``; lists of forms are
aligned by position, so number and gender carry over) and ``keep`` items that stay verbatim in
every language. Around an engine call the pipeline does::

    protected = glossary.protect(texts, src, tgt, engine.name)
    drafts = [t.text for t in engine.translate(protected.texts, src, tgt)]
    final = glossary.restore(drafts, protected)      # protected.repairs counts put-back terms
    report = glossary.verify(sources, final, src, tgt, segment_ids)

How a term travels through an engine is chosen per engine (see ``STRATEGIES``), from the
measurements in ``benchmarks/glossary_compliance.py``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import ahocorasick
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pipeline import markers
from pipeline.document import LANGUAGES
from pipeline.errors import PipelineError

MATCHER_VERSION = "1"  # bump when matching or enforcement changes: old cached drafts go stale

Mode = Literal["wrap", "empty", "token"]


class GlossaryError(PipelineError):
    """An unusable glossary; the message names the file and line."""


# ---------------------------------------------------------------- schema (pydantic)

Forms = str | list[str]


class _EntryModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str | None = None
    en: Forms | None = None
    es: Forms | None = None
    ja: Forms | None = None
    keep: Forms | None = None
    note: str | None = None
    case_sensitive: bool | None = None
    gender: Literal["m", "f"] | None = Field(
        default=None, description="grammatical gender of the Spanish form(s)"
    )

    @field_validator("en", "es", "ja", "keep")
    @classmethod
    def _forms_not_empty(cls, value: Forms | None) -> Forms | None:
        if value is None:
            return value
        forms = [value] if isinstance(value, str) else value
        if not forms:
            raise ValueError("needs at least one form")
        for form in forms:
            if not form.strip():
                raise ValueError("a form is empty")
            if form != form.strip():
                raise ValueError(f"form {form!r} has leading or trailing spaces")
        return value

    @model_validator(mode="after")
    def _languages(self) -> _EntryModel:
        langs = [lang for lang in LANGUAGES if getattr(self, lang) is not None]
        if self.keep is not None and langs:
            raise ValueError("an entry is either `keep` or per-language forms, not both")
        if self.keep is None and len(langs) < 2:
            raise ValueError("a term needs forms in at least two of en, es, ja (or use `keep`)")
        return self


class _FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    version: Literal[1]
    terms: list[_EntryModel]


# ---------------------------------------------------------------- data


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


@dataclass
class Placeholder:
    number: int
    term: Term
    expected: str
    mode: Mode
    source_text: str
    capitalised: bool
    wrapped_by: int | None = None  # the <gN> that encloses the whole term in the source


@dataclass
class Protected:
    """What ``protect`` sent to the engine, so ``restore`` can put the terms back."""

    texts: list[str]
    src: str
    tgt: str
    engine: str
    placeholders: list[list[Placeholder]]
    repairs: int = 0
    repaired: list[int] = field(default_factory=list)


@dataclass
class GlossaryReport:
    occurrences: int = 0
    applied: int = 0
    misses: list[dict[str, str]] = field(default_factory=list)

    @property
    def compliance(self) -> float:
        """Share of source occurrences rendered with the glossary's form (1.0 when none)."""
        return self.applied / self.occurrences if self.occurrences else 1.0

    def __add__(self, other: GlossaryReport) -> GlossaryReport:
        """Combine reports (e.g. blocks of a document in different source languages)."""
        return GlossaryReport(
            self.occurrences + other.occurrences,
            self.applied + other.applied,
            self.misses + other.misses,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "occurrences": self.occurrences,
            "applied": self.applied,
            "compliance": round(self.compliance, 4),
            "misses": list(self.misses),
        }


@dataclass(frozen=True)
class Problem:
    """A lint finding: ``line`` is 1-based (0 when unknown)."""

    line: int
    kind: str
    message: str

    def format(self, path: str) -> str:
        return f"{path}:{self.line}: {self.kind}: {self.message}"


# ---------------------------------------------------------------- engine strategies


@dataclass(frozen=True)
class Strategy:
    """How terms travel through an engine.

    ``wrap``: the source term inside an inline span the engine translates in place and keeps
    (``<gN>…</gN>``); the span's content, i.e. the engine's own rendering, is then replaced by the
    glossary form and the article before it made to agree.
    ``empty``: an empty inline tag (``<xN/>``) the engine carries as markup; the form is inserted.
    ``token``: a plain-text token (``ZXQ901``) for engines that see no markup.
    """

    names: Mode
    terms: Mode


STRATEGIES: dict[str, Strategy] = {
    # measured on the shared sample: see benchmarks/glossary_compliance.py and the README
    "apertium": Strategy(names="wrap", terms="wrap"),
    "libretranslate": Strategy(names="token", terms="token"),
    "argos": Strategy(names="token", terms="token"),
    "identity": Strategy(names="token", terms="token"),
    "test": Strategy(names="wrap", terms="wrap"),  # the lead's marker-keeping test double
}
DEFAULT_STRATEGY = Strategy(names="token", terms="token")
PLACEHOLDER_BASE = 901
TOKEN_PREFIX = "ZXQ"  # ``token`` placeholders: ZXQ901, ZXQ902, …
TOKEN_PLACEHOLDER = re.compile(TOKEN_PREFIX + r"\d+")
"""A token placeholder as it must never appear in a finished translation (for QA)."""

# ---------------------------------------------------------------- text normalisation

_TYPOGRAPHIC = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‛": "'",
        "ʼ": "'",
        "´": "'",
        "`": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "«": '"',
        "»": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u00a0": " ",
    }
)
_VOICED_MARKS = "\uff9e\uff9f\u3099\u309a"


def is_cjk(char: str) -> bool:
    """Scripts written without spaces between words (kana, kanji, full-width forms)."""
    return ord(char) >= 0x2E80


def _is_word_char(char: str) -> bool:
    return char.isalnum() and not is_cjk(char)


def normalize_form(text: str) -> str:
    """NFKC (full/half width), ASCII quotes and hyphens, single spaces; case kept."""
    text = unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHIC)
    return re.sub(r"\s+", " ", text).strip()


def fold(text: str) -> str:
    return normalize_form(text).casefold()


@dataclass(frozen=True)
class _Normalized:
    """A text with markers removed, normalised and case-folded, mapped back to the original."""

    folded: str
    starts: list[int]
    ends: list[int]


@functools.lru_cache(maxsize=2048)
def _normalize_with_map(text: str) -> _Normalized:
    """``text`` normalised for matching (a pure function: the protect, verify and review
    steps and the incremental fingerprint ask for the same segments, so it is memoised)."""
    folded: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos, n = 0, len(text)
    last_space = True
    while pos < n:
        if text[pos] == "<":
            m = markers.ANY.match(text, pos)
            if m:
                pos = m.end()
                continue
        end = pos + 1
        while end < n and (unicodedata.combining(text[end]) or text[end] in _VOICED_MARKS):
            end += 1
        piece = unicodedata.normalize("NFKC", text[pos:end]).translate(_TYPOGRAPHIC).casefold()
        for char in piece:
            if char.isspace():
                if last_space:
                    continue
                char = " "
            last_space = char == " "
            folded.append(char)
            starts.append(pos)
            ends.append(end)
        pos = end
    return _Normalized("".join(folded), starts, ends)


# ---------------------------------------------------------------- loading


def _node_at(node: yaml.Node | None, loc: Sequence[Any]) -> yaml.Node | None:
    """The YAML node a pydantic error location points at (or its nearest parent)."""
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == key), None)
            if nxt is None:
                return node
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                return node
            node = node.value[key]
        else:
            return node
    return node


def _line(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 0


def _duplicate_keys(node: yaml.Node) -> list[Problem]:
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            if key.value in seen:
                problems.append(
                    Problem(
                        _line(key),
                        "duplicate key",
                        f"`{key.value}` already given on line {seen[key.value]}",
                    )
                )
            seen[key.value] = _line(key)
            problems += _duplicate_keys(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            problems += _duplicate_keys(item)
    return problems


def _as_tuple(value: Forms | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def parse_glossary(text: str) -> tuple[Glossary | None, list[Problem]]:
    """Parse glossary YAML text: the glossary and the problems that make it invalid.

    The glossary is None when the file cannot be read as a glossary at all; it is returned
    with problems (duplicate keys or forms) so that ``lint`` can look further.
    """
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # libyaml: 10× faster
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 0
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [Problem(line, "bad YAML", str(what))]
    if root is None:
        return None, [Problem(1, "empty", "no content; expected `version: 1` and `terms:`")]
    problems = _duplicate_keys(root)
    try:
        model = _FileModel.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = [part for part in err["loc"] if part not in ("str", "list[str]")]
            where = ".".join(str(p) for p in loc) or "file"
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = (
                    "unknown key (allowed: id, en, es, ja, keep, note, case_sensitive, gender)"
                )
            line = _line(_node_at(root, loc))
            problems.append(Problem(line, "invalid", f"{where}: {message}"))
        unique = list(dict.fromkeys(problems))
        return None, unique
    terms: list[Term] = []
    entry_nodes = _node_at(root, ["terms"])
    for index, entry in enumerate(model.terms):
        node = _node_at(entry_nodes, [index])
        line = _line(node)
        if entry.keep is not None:
            for k, form in enumerate(_as_tuple(entry.keep)):
                item_line = (
                    _line(_node_at(node, ["keep", k])) if not isinstance(entry.keep, str) else line
                )
                terms.append(
                    Term(
                        id=entry.id or form,
                        forms={"*": (form,)},
                        keep=True,
                        note=entry.note or "",
                        case_sensitive=entry.case_sensitive,
                        gender=entry.gender,
                        line=item_line,
                    )
                )
            continue
        forms = {
            lang: _as_tuple(getattr(entry, lang)) for lang in LANGUAGES if getattr(entry, lang)
        }
        terms.append(
            Term(
                id=entry.id or next(iter(forms.values()))[0],
                forms=forms,
                note=entry.note or "",
                case_sensitive=entry.case_sensitive,
                gender=entry.gender,
                line=line,
            )
        )
    glossary = Glossary(terms)
    problems += glossary.duplicates()
    return glossary, problems


def load_glossary(path: Path | str) -> Glossary:
    """Load and validate a glossary file; ``GlossaryError`` names the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GlossaryError(f"{path}: cannot read glossary ({exc})") from exc
    glossary, problems = parse_glossary(text)
    if glossary is None or problems:
        first = problems[0].format(str(path))
        more = len(problems) - 1
        suffix = (
            f" (and {more} more problem{'s' if more > 1 else ''}: run `pipeline glossary lint`)"
        )
        raise GlossaryError(first + (suffix if more else ""))
    glossary.path = path
    return glossary


# ---------------------------------------------------------------- the glossary


_DETERMINERS: dict[str, tuple[str, str, str, str]] = {}
for _row in (
    "el la los las",
    "un una unos unas",
    "este esta estos estas",
    "ese esa esos esas",
    "aquel aquella aquellos aquellas",
    "nuestro nuestra nuestros nuestras",
    "vuestro vuestra vuestros vuestras",
    "otro otra otros otras",
    "todo toda todos todas",
    "mucho mucha muchos muchas",
    "ningún ninguna ningunos ningunas",
    "algún alguna algunos algunas",
    "cuyo cuya cuyos cuyas",
    "del de_la de_los de_las",
    "al a_la a_los a_las",
):
    _forms = tuple(w.replace("_", " ") for w in _row.split())
    for _w in _forms:
        _DETERMINERS[_w] = _forms  # type: ignore[assignment]
_DETERMINER_WORDS = "|".join(
    sorted((w for w in _DETERMINERS if " " not in w), key=len, reverse=True)
)
_DETERMINER_BEFORE = re.compile(
    rf"(?i)(?<![\w])(de la|de los|de las|a la|a los|a las|{_DETERMINER_WORDS})"
    r"(\s+(?:<g\d+>|<x\d+/>)*[‘'\"“«]?(?:<g\d+>)*)$"
)
_LEADING_DETERMINER = re.compile(r"(?i)\s*(?:el|la|los|las|un|una|unos|unas)\s+")
_ENGLISH_ARTICLE = re.compile(r"(?i)(?:the|a|an)\s")
_FUNCTION_WORDS = re.compile(
    r"(?i)\s*(?:(?:de|del|a|al|en|el|la|los|las|y|con|por|para|que|the|of|to|and)\s*)*"
)


class Glossary:
    """A validated glossary with fast matchers per language."""

    def __init__(self, terms: Iterable[Term]):
        self.terms: list[Term] = list(terms)
        self.path: Path | None = None
        self._automata: dict[str, ahocorasick.Automaton | None] = {}
        self._gender_cache: dict[str, tuple[str | None, str | None]] = {}

    def __len__(self) -> int:
        return len(self.terms)

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

    # -- validation

    def duplicates(self) -> list[Problem]:
        """A form listed in two entries for the same language (a conflict if targets differ)."""
        seen: dict[tuple[str, str], Term] = {}
        problems: list[Problem] = []
        for term in self.terms:
            reported: set[str] = set()
            own: set[tuple[str, str]] = set()
            for lang, forms in term.forms.items():
                for form in forms:
                    for each in LANGUAGES if lang == "*" else (lang,):
                        key = (each, fold(form))
                        if key in own:  # aligned lists may repeat a form on purpose
                            continue
                        own.add(key)
                        other = seen.setdefault(key, term)
                        if other is term or fold(form) in reported:
                            continue
                        reported.add(fold(form))
                        same = self._same_rendering(term, other)
                        problems.append(
                            Problem(
                                term.line,
                                "duplicate" if same else "conflict",
                                f"{each}: form {form!r} is also in the entry on line {other.line}"
                                f" ({'same rendering' if same else 'different rendering'}); "
                                "a form may appear in one entry only",
                            )
                        )
        return problems

    @staticmethod
    def _same_rendering(a: Term, b: Term) -> bool:
        common = [lang for lang in LANGUAGES if a.forms_for(lang) and b.forms_for(lang)]
        return all(a.forms_for(lang)[0] == b.forms_for(lang)[0] for lang in common)

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
        automaton = self._automaton(lang)
        if automaton is None or not text:
            return []
        norm = _normalize_with_map(text)
        folded = norm.folded
        candidates: list[tuple[int, int, Term, int]] = []
        for end_index, entries in automaton.iter(folded):
            for term, index, form in entries:
                if tgt is not None and not term.covers(lang, tgt):
                    continue
                start = end_index - len(fold(form)) + 1
                end = end_index + 1
                if not self._boundaries_ok(folded, start, end):
                    continue
                original = text[norm.starts[start] : norm.ends[end - 1]]
                if (
                    term.is_case_sensitive(form)
                    and normalize_form(markers.ANY.sub("", original)) != form
                ):
                    continue
                candidates.append((start, end, term, index))
        candidates.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
        taken: list[tuple[int, int]] = []
        chosen: list[Match] = []
        for start, end, term, index in candidates:
            if any(start < e and s < end for s, e in taken):
                continue
            a, b = norm.starts[start], norm.ends[end - 1]
            if lang == "en" and not term.is_name and _english_verb_use(folded, start, end):
                continue  # "they strike", "to struggle", "plunder the": not the noun
            taken.append((start, end))
            chosen.append(Match(term, index, a, b, text[a:b]))
        chosen.sort(key=lambda m: m.start)
        return chosen

    @staticmethod
    def _boundaries_ok(folded: str, start: int, end: int) -> bool:
        first, last = folded[start], folded[end - 1]
        if _is_word_char(first) and start > 0 and _is_word_char(folded[start - 1]):
            return False
        return not (_is_word_char(last) and end < len(folded) and _is_word_char(folded[end]))

    def terms_in(self, text: str, src: str, tgt: str) -> list[dict[str, str]]:
        """Glossary terms in a source segment, for review files: term, expected, note."""
        seen: set[tuple[str, str]] = set()
        found = []
        for match in self.find(text, src, tgt):
            expected = match.term.target_form(src, match.form_index, tgt)
            term_text = markers.ANY.sub("", match.text)
            if (term_text, expected) in seen:
                continue
            seen.add((term_text, expected))
            found.append({"term": term_text, "expected": expected, "note": match.term.note})
        return found

    # -- enforcement

    def strategy(self, engine: str) -> Strategy:
        return STRATEGIES.get(engine, DEFAULT_STRATEGY)

    def protect(
        self,
        texts: Sequence[str],
        src: str,
        tgt: str,
        engine: str,
        strategy: Strategy | None = None,
    ) -> Protected:
        """Mark every glossary term in ``texts`` so the engine's output can be made to use it.

        Existing ``<gN>``/``<xN/>`` markers stay valid; markers inside a term move after it.
        """
        strategy = strategy or self.strategy(engine)
        base = max(
            [PLACEHOLDER_BASE]
            + [int(n) + 1 for t in texts for n in re.findall(r"<[gx](\d+)/?>", t)]
        )
        out_texts: list[str] = []
        all_placeholders: list[list[Placeholder]] = []
        for text in texts:
            pieces: list[str] = []
            placeholders: list[Placeholder] = []
            pos = 0
            for number, match in enumerate(self.find(text, src, tgt), start=base):
                mode = strategy.names if match.term.is_name else strategy.terms
                inner_markers = "".join(markers.ANY.findall(match.text))
                term_text = markers.ANY.sub("", match.text)
                placeholder = Placeholder(
                    number=number,
                    term=match.term,
                    expected=match.term.target_form(src, match.form_index, tgt),
                    mode=mode,
                    source_text=term_text,
                    capitalised=term_text[:1].isupper(),
                )
                opening = re.search(r"<g(\d+)>$", text[pos : match.start])
                if opening and re.match(
                    rf"</g{opening.group(1)}>", inner_markers + text[match.end :]
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
        return Protected(out_texts, src, tgt, engine, all_placeholders)

    def restore(self, translated: Sequence[str], protected: Protected) -> list[str]:
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
            wanted = {ph.expected for phs in protected.placeholders for ph in phs}
            missing = [f for f in wanted if f not in self._gender_cache]
            if missing:
                self._gender_cache.update(_analyse_spanish_many(missing))
        for index, (text, placeholders) in enumerate(
            zip(translated, protected.placeholders, strict=True)
        ):
            repairs = 0
            length_hint = max(len(protected.texts[index]), 1)
            for ph in placeholders:
                text, ok = self._restore_one(text, ph, protected.tgt)
                if not ok:
                    repairs += 1
                    if not self._already_there(text, ph, protected.tgt):
                        text = self._put_back(text, ph, protected, index, length_hint)
            if placeholders:
                # nothing of ours may survive, however an engine mangled or copied it
                text = re.sub(rf"(?i)[⟦\[]?{TOKEN_PREFIX}[^\w\n]{{0,3}}\d{{3,}}[⟧\]]?", "", text)
                ours = "|".join(str(ph.number) for ph in placeholders)
                text = re.sub(rf"</?g(?:{ours})>|<x(?:{ours})/>", "", text)
                text = _tidy(text, protected.tgt)
            if repairs:
                protected.repairs += repairs
                protected.repaired.append(index)
            results.append(text)
        return results

    def _restore_one(self, text: str, ph: Placeholder, tgt: str) -> tuple[str, bool]:
        n = ph.number
        if ph.mode == "wrap":
            return self._restore_wrapped(text, ph, tgt)
        pattern = (
            rf"<x{n}/>" if ph.mode == "empty" else rf"(?i){TOKEN_PREFIX}[^\w\n]{{0,3}}{n}(?!\d)"
        )
        m = re.search(pattern, text)
        if not m:
            return text, False
        before, after = text[: m.start()], text[m.end() :]
        # an engine without markup lost the formatting around the term: keep it on the term
        wrap = ph.wrapped_by if ph.wrapped_by and f"<g{ph.wrapped_by}>" not in text else None
        return self._insert(before, ph, _sentence_start(before), after, tgt, wrap=wrap)

    def _restore_wrapped(self, text: str, ph: Placeholder, tgt: str) -> tuple[str, bool]:
        """Replace the engine's rendering inside ``<gN>…</gN>`` with the glossary form.

        An engine that reorders words may split the span in pieces (``<g9>acuerdo</g9> de
        <g9>comercio libre</g9>``): the form replaces the first piece, the other pieces are
        dropped, and words between pieces survive unless they are bare function words.
        """
        n = ph.number
        pieces = list(re.finditer(rf"<g{n}>(.*?)</g{n}>", text, re.S))
        if not pieces:
            return re.sub(rf"</?g{n}>", "", text), False
        first, last = pieces[0], pieces[-1]
        kept: list[str] = []
        for prev, nxt in zip(pieces, pieces[1:], strict=False):
            between = text[prev.end() : nxt.start()]
            if not _FUNCTION_WORDS.fullmatch(markers.ANY.sub("", between)):
                kept.append(between)
            else:
                kept.append("".join(markers.ANY.findall(between)))
        renderings = [p.group(1) for p in pieces]
        inner_markers = "".join(m for r in renderings for m in markers.ANY.findall(r))
        rendering = markers.ANY.sub("", renderings[0])
        before = text[: first.start()]
        # an article the engine put inside the span stays (and is made to agree)
        article = _LEADING_DETERMINER.match(rendering)
        if article and not _ENGLISH_ARTICLE.match(ph.source_text):
            before = before + article.group(0)
            rendering = rendering[article.end() :]
        rest = "".join(kept)
        after = inner_markers + (" " + rest.strip(" ") if rest.strip() else "") + text[last.end() :]
        return self._insert(
            before,
            ph,
            _sentence_start(before),
            after,
            tgt,
            lead_space=rendering[:1].isspace(),
            trail_space=renderings[-1][-1:].isspace(),
        )

    def _insert(
        self,
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
            before = self._agree(before, ph)
        elif tgt == "en":
            before = _a_or_an(before, form)
        if tgt == "ja":
            if _needs_no_space(_last_visible(before.rstrip(" ")), form[:1]):
                before = before.rstrip(" ")
            if _needs_no_space(form[-1:], _first_visible(after)):
                after = after.lstrip(" ")
            return before + _wrapped(form, wrap) + after, True
        last = _last_visible(before)
        if not before.endswith((" ", "\n")) and (
            lead_space or (last and _is_word_char(last) and form[:1].isalnum())
        ):
            before += " "
        nxt = _first_visible(after)
        markers = re.match(r"(?:</?g\d+>|<x\d+/>)*", after)
        cut = markers.end() if markers else 0
        if not after[cut:].startswith((" ", "\n")) and (
            trail_space or (nxt and _is_word_char(nxt) and form[-1:].isalnum())
        ):
            after = after[:cut] + " " + after[cut:]
        if form.endswith(".") and after[cut:].startswith("."):
            after = after[:cut] + after[cut + 1 :]  # "EE. UU." ends the sentence too
        return before + _wrapped(form, wrap) + after, True

    def _already_there(self, text: str, ph: Placeholder, tgt: str) -> bool:
        """Whether an engine that dropped a placeholder wrote the glossary form itself."""
        plain = markers.ANY.sub("", text)
        if tgt == "ja" or is_cjk(ph.expected[:1]):
            return ph.expected in plain
        return re.search(rf"(?i)(?<!\w){re.escape(ph.expected)}(?!\w)", plain) is not None

    def _agree(self, before: str, ph: Placeholder) -> str:
        """Make the Spanish article or determiner right before a term agree with it."""
        m = _DETERMINER_BEFORE.search(before)
        if not m:
            return before
        word = m.group(1)
        forms = _DETERMINERS.get(word.lower())
        gender, number = self.spanish_features(ph.expected)
        if ph.term.gender:
            gender = ph.term.gender
        if ph.term.is_name:
            number = None  # names: trust the engine's article
        if not forms:
            return before
        index = forms.index(word.lower())
        plural = index >= 2 if number is None else number == "pl"
        feminine = index % 2 == 1 if gender not in ("m", "f") else gender == "f"
        wanted = forms[(2 if plural else 0) + (1 if feminine else 0)]
        if wanted == word.lower():
            return before
        if word[:1].isupper():
            wanted = wanted[:1].upper() + wanted[1:]
        return before[: m.start(1)] + wanted + m.group(2)

    def spanish_features(self, form: str) -> tuple[str | None, str | None]:
        """Gender and number of a Spanish form's first noun (Apertium's analyser if installed)."""
        if form not in self._gender_cache:
            self._gender_cache.update(_analyse_spanish_many([form]))
        return self._gender_cache.get(form, (None, None))

    def _put_back(
        self, text: str, ph: Placeholder, protected: Protected, index: int, length_hint: int
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
        candidates = [0, len(text)] + [m.start() for m in re.finditer(r"(?<=\s)\S|(?<=\S)\s", text)]
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
        new_text, _ = self._insert(before, ph, capitalise, after, protected.tgt, wrap=wrap)
        return new_text

    # -- verification

    def verify(
        self,
        sources: Sequence[str],
        targets: Sequence[str],
        src: str,
        tgt: str,
        segment_ids: Sequence[str],
    ) -> GlossaryReport:
        """Count source term occurrences and how many the targets render with the glossary form."""
        report = GlossaryReport()
        for source, target, seg_id in zip(sources, targets, segment_ids, strict=True):
            wanted: Counter[str] = Counter()
            expected_of: dict[str, str] = {}
            term_of: dict[str, Term] = {}
            for match in self.find(source, src, tgt):
                key = match.term.id
                wanted[key] += 1
                expected_of.setdefault(key, match.term.target_form(src, match.form_index, tgt))
                term_of[key] = match.term
            if not wanted:
                continue
            found = Counter(fold(markers.ANY.sub("", m.text)) for m in self.find(target, tgt))
            for key, count in wanted.items():
                term = term_of[key]
                target_forms = {fold(f) for f in term.forms_for(tgt)}
                have = sum(found[f] for f in target_forms)
                report.occurrences += count
                report.applied += min(count, have)
                for _ in range(count - min(count, have)):
                    report.misses.append(
                        {"segment": seg_id, "term": term.label, "expected": expected_of[key]}
                    )
        return report

    # -- lint

    def lint(self) -> list[Problem]:
        """Problems beyond schema errors: duplicates, conflicts, traps, missing languages."""
        problems = self.duplicates()
        longer: dict[str, list[tuple[str, Term]]] = {}
        for term in self.terms:
            for lang in LANGUAGES:
                for form in term.forms_for(lang):
                    longer.setdefault(lang, []).append((form, term))
        for term in self.terms:
            if not term.keep:
                missing = [lang for lang in LANGUAGES if lang not in term.forms]
                if missing:
                    problems.append(
                        Problem(
                            term.line,
                            "missing language",
                            f"{term.label!r}: no {', '.join(missing)}",
                        )
                    )
                sizes = {lang: len(forms) for lang, forms in term.forms.items() if len(forms) > 1}
                if len(set(sizes.values())) > 1:
                    problems.append(
                        Problem(
                            term.line,
                            "unaligned forms",
                            f"{term.label!r}: lists of different length "
                            f"({', '.join(f'{k}={v}' for k, v in sizes.items())}) cannot be aligned",
                        )
                    )
            langs = LANGUAGES if term.keep else tuple(term.forms)
            for lang in langs:
                for form in term.forms_for(lang):
                    problems += self._trap(term, lang, form, longer.get(lang, []))
        return sorted(set(problems), key=lambda p: (p.line, p.kind, p.message))

    def _trap(
        self, term: Term, lang: str, form: str, all_forms: list[tuple[str, Term]]
    ) -> list[Problem]:
        folded = fold(form)
        if any(is_cjk(c) for c in folded):
            if len(folded) == 1:
                return [
                    Problem(
                        term.line,
                        "substring trap",
                        f"{lang}: {form!r} is one character; Japanese is matched without word "
                        "boundaries, so it would match inside unrelated words",
                    )
                ]
            return []
        letters = [c for c in folded if c.isalnum()]
        if len(letters) <= 2 and not term.is_case_sensitive(form):
            return [
                Problem(
                    term.line,
                    "substring trap",
                    f"{lang}: {form!r} is very short and matched in any case; "
                    "set case_sensitive: true or use a longer form",
                )
            ]
        if term.case_sensitive is False and form.isupper() and len(letters) <= 4:
            return [
                Problem(
                    term.line,
                    "substring trap",
                    f"{lang}: acronym {form!r} with case_sensitive: false also matches the "
                    f"ordinary word {form.lower()!r}",
                )
            ]
        return []


# ---------------------------------------------------------------- helpers

_VERB_BEFORE = frozenset(
    [
        "i",
        "you",
        "we",
        "they",
        "to",
        "will",
        "would",
        "shall",
        "should",
        "must",
        "can",
        "could",
        "may",
        "might",
        "do",
        "does",
        "did",
        "don't",
        "not",
        "let's",
        "never",
        "also",
    ]
)
_VERB_AFTER = frozenset(
    ["the", "a", "an", "their", "our", "his", "her", "its", "these", "those", "my", "your"]
)


def _english_verb_use(folded: str, start: int, end: int) -> bool:
    """Whether a one-word English term is used as a verb here (glossary terms are nouns).

    "they strike", "to struggle", "must plunder", "plunder the mines": the word follows a
    pronoun, "to" or a modal, or a determiner follows it directly.
    """
    if " " in folded[start:end]:
        return False
    before = re.findall(r"[\w']+", folded[max(0, start - 20) : start])
    after = re.match(r"\s+([\w']+)", folded[end : end + 20])
    if before and before[-1] in _VERB_AFTER | {"this", "that", "no", "every", "each"}:
        return False  # "the strike the workers called"
    if before and folded[start - 1 : start] == " " and before[-1] in _VERB_BEFORE:
        return True
    return bool(after and after.group(1) in _VERB_AFTER)


def _a_or_an(before: str, form: str) -> str:
    """English "a"/"an" before an inserted form."""
    m = re.search(r"(?i)(?<!\w)(an?)(\s+(?:<g\d+>)*)$", before)
    if not m:
        return before
    vowel = bool(re.match(r"(?i)[aeiou]|h(?:our|onou?r|eir)", form)) and not re.match(
        r"(?i)u(?:ni|s[aeiu]|tr)|eu|one\b", form
    )
    wanted = "an" if vowel else "a"
    if m.group(1).lower() == wanted:
        return before
    if m.group(1)[0].isupper():
        wanted = wanted.capitalize()
    return before[: m.start(1)] + wanted + m.group(2)


def _wrapped(form: str, wrap: int | None) -> str:
    return f"<g{wrap}>{form}</g{wrap}>" if wrap is not None else form


def _last_visible(text: str) -> str:
    stripped = markers.ANY.sub("", text)
    return stripped[-1:]


def _first_visible(text: str) -> str:
    stripped = markers.ANY.sub("", text).lstrip(" ")
    return stripped[:1]


def _needs_no_space(left: str, right: str) -> bool:
    """In Japanese, a space survives only between two Latin letters or digits."""
    if not left or not right:
        return True
    return not (left.isascii() and left.isalnum() and right.isascii() and right.isalnum())


def _sentence_start(before: str) -> bool:
    visible = markers.ANY.sub("", before).rstrip(" ¿¡\"'“‘«([\n")
    return not visible or visible[-1] in ".!?:;"


def _inside_marker(text: str, pos: int) -> bool:
    return any(m.start() < pos < m.end() for m in markers.ANY.finditer(text))


def _tidy(text: str, tgt: str) -> str:
    """Collapse double spaces next to inserted terms; no space before closing punctuation."""
    text = re.sub(r"(?<=\S)  +(?=\S)", " ", text)
    text = re.sub(r" +([,.;:!?)\]])(?=\s|$|<)", r"\1", text)
    if tgt == "ja":
        text = re.sub(r"(?<=[\u2e80-\uffef]) +(?=[\u2e80-\uffef])", "", text)
    return text


SPANISH_ANALYSER = Path("/usr/share/apertium/apertium-eng-spa/spa-eng.automorf.bin")


def _analyse_spanish_many(forms: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
    """Gender (m/f/None) and number (sg/pl/None) of the first noun of each Spanish form.

    One ``lt-proc`` call with Apertium's Spanish analyser for all forms (one per line); a
    suffix heuristic when Apertium is not installed or does not know the word.
    """
    import shutil
    import subprocess

    forms = [f for f in dict.fromkeys(forms) if f and "\n" not in f]
    lines: list[str] = []
    lt_proc = shutil.which("lt-proc")
    if forms and lt_proc and SPANISH_ANALYSER.exists():
        try:
            out = subprocess.run(
                [lt_proc, "-a", str(SPANISH_ANALYSER)],
                input="\n".join(forms) + "\n",
                capture_output=True,
                text=True,
                timeout=60,
            ).stdout
            lines = out.split("\n")
        except (OSError, subprocess.SubprocessError):
            lines = []
    if len(lines) < len(forms):
        lines = [""] * len(forms)
    result = {}
    for form, line in zip(forms, lines, strict=False):
        units = re.findall(r"\^[^$]*\$", line)
        m = (
            re.search(r"<n>(?:<[^>]*>)*?<(m|f|mf)>(?:<[^>]*>)*?<(sg|pl|sp)>", units[0])
            if units
            else None
        )
        if m:  # the head of a Spanish noun phrase comes first
            gender = m.group(1) if m.group(1) in ("m", "f") else None
            number = m.group(2) if m.group(2) in ("sg", "pl") else None
            result[form] = (gender, number)
        else:
            result[form] = _guess_spanish(form)
    return result


def _guess_spanish(form: str) -> tuple[str | None, str | None]:
    words = form.lower().split()
    first = words[0] if words else ""
    number = "pl" if first.endswith("s") and not first.endswith("is") else "sg"
    if first.endswith(("a", "as", "ión", "iones", "dad", "dades")):
        return "f", number
    if first.endswith(("o", "os", "or", "ores", "ismo", "eo")):
        return "m", number
    return None, number
