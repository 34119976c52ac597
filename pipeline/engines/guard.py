"""The degenerate-output guard at the engine boundary: text no document should ever carry.

Every engine's output for a segment is checked before it reaches the memory, QA or a writer
(``pipeline.translate`` calls ``check`` on every machine and cached draft). A draft is
degenerate when it shows one of:

``repeated text``
    a word or phrase repeated three or more times in a row ("de de de de", "salad salad
    salad"), or one n-gram making up most of the draft, when the source has no such repetition;
``character loop``
    a piece of text repeated back to back without spaces ("mainstremainstremainstre…");
``length``
    a draft/source length ratio far outside the pair's normal range (``RATIO_RANGE``);
``wrong language``
    a draft in another script (no Japanese in a Japanese draft, Japanese in a Spanish one) or,
    for long drafts, confidently detected as another language;
``subword marks``
    SentencePiece ``▁`` or BPE ``@@`` joiners left in the text.

A draft that is (nearly) a copy of its source is *not* degenerate: names, numbers and slogans
often come back unchanged, and an engine that copies is QA's ``untranslated`` finding. The
language check uses the pipeline's detector, passed in by the caller (engines sit below
``pipeline.detect`` in the layering).

Thresholds were measured with ``benchmarks/guard_thresholds.py`` (Apertium output of the test
statements and the UDHR, per segment; see the README, "Argos models"): on that output the guard
flags nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pipeline import markers

Detector = Callable[[str], tuple[str, float]]
"""``text → (language code, confidence)``, e.g. ``pipeline.detect.detect_text``."""

KINDS = ("repeated text", "character loop", "length", "wrong language", "subword marks")

# Normal draft/source length ratio (characters, spaces collapsed), per pair: far outside the
# spread measured per segment by benchmarks/guard_thresholds.py (Apertium on the statements of
# source_docs/ and tests/data/ and the UDHR, 2026-12-01: en→es 0.74–1.38 over 604 segments,
# es→en 0.80–1.35 over 520; the ranges are about 0.4× the lowest and 2–2.3× the highest). No
# Apertium covers ja: its ranges scale the UDHR's whole-text ratios (ja/en 0.39, ja/es 0.35)
# by the same factors, a little wider.
RATIO_RANGE: dict[tuple[str, str], tuple[float, float]] = {
    ("en", "es"): (0.35, 3.2),
    ("es", "en"): (0.3, 2.6),
    ("en", "ja"): (0.1, 1.3),
    ("ja", "en"): (0.75, 8.0),
    ("es", "ja"): (0.09, 1.15),
    ("ja", "es"): (0.85, 9.0),
}
DEFAULT_RATIO_RANGE = (0.25, 4.0)
# Sources shorter than this (characters) are not judged by length: titles, names, slogans.
MIN_RATIO_SOURCE = {"ja": 10}
DEFAULT_MIN_RATIO_SOURCE = 25
# A word n-gram (n ≤ MAX_NGRAM) repeated this many times in a row is a loop.
REPEATS = 3
MAX_NGRAM = 6
# One word (n-gram) covering this share of a draft of at least COVERAGE_MIN_TOKENS words is a
# loop ("de X de Y de Z …"); "of the" covers 40% of some good English drafts.
COVERAGE = {1: 0.4, 2: 0.6, 3: 0.6}
COVERAGE_MIN_TOKENS = 8
# Back-to-back copies of a piece of text: at least LOOP_COPIES copies spanning LOOP_SPAN chars.
LOOP_COPIES = 3
LOOP_SPAN = 15
# Language: judged on drafts with at least this many letters; detection must be this sure.
SCRIPT_MIN_LETTERS = {"ja": 20}  # Latin names in Japanese drafts are common
DEFAULT_SCRIPT_MIN_LETTERS = 6
LANGUAGE_MIN_LETTERS = 40
LANGUAGE_MIN_CONFIDENCE = 0.9
# A draft this similar to its source (0–1) is a copy, not degenerate.
COPY_SIMILARITY = 0.85

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_LOOP = re.compile(r"(.{1,40}?)\1{2,}", re.DOTALL)
_LONG_STRETCH = re.compile(rf"\S{{{LOOP_SPAN},}}")
_BPE = re.compile(r"\w@@(?:\s|$)")
_JA_SCRIPT = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f\u3400-\u4dbf\u4e00-\u9fff]")
_SUBWORD = ("\u2581", "\u2047")  # SentencePiece space mark; "⁇" for an unknown piece


@dataclass(frozen=True)
class Degenerate:
    """Why a draft was refused: ``kind`` (one of ``KINDS``) and a short ``detail``."""

    kind: str
    detail: str

    def line(self) -> str:
        return f"{self.kind}: {self.detail}"


def _plain(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", markers.strip(text)).split())


def _tokens(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def longest_run(tokens: Sequence[str]) -> tuple[int, str]:
    """The most times any n-gram (n ≤ MAX_NGRAM) repeats back to back, and that n-gram.

    An n-gram starting at ``i`` repeats ``1 + k // n`` times when ``tokens[j] == tokens[j + n]``
    for the ``k`` positions from ``i`` on, so each n needs one pass over those equalities."""
    best, what = 1, ""
    for n in range(1, MAX_NGRAM + 1):
        same = [a == b for a, b in zip(tokens, tokens[n:], strict=False)]
        if sum(same) < n:
            continue  # no n-gram is followed by a copy of itself
        start = 0
        while start < len(same):
            if not same[start]:
                start += 1
                continue
            end = start
            while end < len(same) and same[end]:
                end += 1
            count = 1 + (end - start) // n
            if count > best:
                best, what = count, " ".join(tokens[start : start + n])
            start = end
    return best, what


def _coverage(tokens: Sequence[str], n: int) -> tuple[float, str]:
    """The share of ``tokens`` taken by the commonest n-gram, and that n-gram."""
    grams = Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    if not grams:
        return 0.0, ""
    gram, count = grams.most_common(1)[0]
    return count * n / len(tokens), " ".join(gram)


def _loops(text: str) -> dict[str, int]:
    """Pieces repeated back to back (``LOOP_COPIES``+ copies over ``LOOP_SPAN``+ characters).

    A piece never holds a space (repeated words and phrases are ``check_repetition``'s word
    n-grams), so only the space-free stretches at least ``LOOP_SPAN`` long can hold one."""
    found: dict[str, int] = {}
    for stretch in _LONG_STRETCH.findall(text):
        for match in _LOOP.finditer(stretch):
            unit = match.group(1)
            copies = len(match.group(0)) // len(unit)
            if len(match.group(0)) < LOOP_SPAN or not any(c.isalpha() for c in unit):
                continue
            if len(unit) <= 1 and copies < 8:
                continue  # "!!!", "…", "ーー": emphasis, not a loop
            key = unit.lower()
            found[key] = max(found.get(key, 0), copies)
    return found


def _is_copy(source: str, draft: str) -> bool:
    from rapidfuzz import fuzz

    return fuzz.ratio(source.lower(), draft.lower()) >= COPY_SIMILARITY * 100


def _japanese_share(text: str) -> tuple[float, int]:
    letters = sum(map(str.isalpha, text))
    if not letters:
        return 0.0, 0
    japanese = sum(map(str.isalpha, "".join(_JA_SCRIPT.findall(text))))
    return japanese / letters, letters


def check_repetition(source: str, draft: str) -> Degenerate | None:
    """Words, phrases or characters looping in ``draft`` beyond what ``source`` has."""
    loops = _loops(draft)
    if loops:
        in_source = _loops(source)
        for unit, copies in loops.items():
            if in_source.get(unit, 0) < copies:
                return Degenerate("character loop", f"{unit!r} repeated {copies} times")
    tokens, src_tokens = _tokens(draft), _tokens(source)
    run, gram = longest_run(tokens)
    if run >= REPEATS and run > longest_run(src_tokens)[0]:
        return Degenerate("repeated text", f"{gram!r} {run} times in a row")
    if len(tokens) >= COVERAGE_MIN_TOKENS:
        for n, least in COVERAGE.items():
            share, gram = _coverage(tokens, n)
            if share >= least and share > _coverage(src_tokens, n)[0] + 0.15:
                return Degenerate("repeated text", f"{gram!r} makes up {share:.0%} of the draft")
    return None


def check_subword_marks(source: str, draft: str) -> Degenerate | None:
    """SentencePiece or BPE marks left in the text (and not in the source)."""
    for mark in _SUBWORD:
        if mark in draft and mark not in source:
            return Degenerate("subword marks", f"{mark!r} left in the text")
    if _BPE.search(draft) and not _BPE.search(source):
        return Degenerate("subword marks", "'@@' joiners left in the text")
    return None


def check_length(source: str, draft: str, src: str, tgt: str) -> Degenerate | None:
    """A draft/source length ratio outside ``RATIO_RANGE`` (sources long enough to judge)."""
    if len(source) < MIN_RATIO_SOURCE.get(src, DEFAULT_MIN_RATIO_SOURCE):
        return None
    low, high = RATIO_RANGE.get((src, tgt), DEFAULT_RATIO_RANGE)
    ratio = len(draft) / len(source)
    if low <= ratio <= high:
        return None
    word = "short" if ratio < low else "long"
    return Degenerate(
        "length",
        f"{len(draft)} characters for {len(source)} (ratio {ratio:.2f}, too {word} for "
        f"{src}→{tgt}: normal {low:g}–{high:g})",
    )


def check_language(
    source: str, draft: str, tgt: str, detector: Detector | None
) -> Degenerate | None:
    """A draft in the wrong script for ``tgt``, or (long drafts) detected as another language."""
    share, letters = _japanese_share(draft)
    src_share, _ = _japanese_share(source)
    if letters >= SCRIPT_MIN_LETTERS.get(tgt, DEFAULT_SCRIPT_MIN_LETTERS):
        if tgt == "ja" and share < 0.2:
            return Degenerate("wrong language", "no Japanese script in a Japanese draft")
        if tgt != "ja" and share > 0.3 and src_share < 0.3:
            return Degenerate("wrong language", f"Japanese script in a {tgt} draft")
    if detector is None or letters < LANGUAGE_MIN_LETTERS:
        return None
    lang, confidence = detector(draft)
    if lang not in (tgt, "und") and confidence >= LANGUAGE_MIN_CONFIDENCE:
        return Degenerate("wrong language", f"the draft is in {lang}, not {tgt}")
    return None


def check(
    source: str, draft: str, src: str, tgt: str, detector: Detector | None = None
) -> Degenerate | None:
    """Why ``draft`` (the engine's output for ``source``, src→tgt) is degenerate, or None.

    Inline markers are ignored on both sides. An empty draft is not judged here (QA reports it).
    """
    source, draft = _plain(source), _plain(draft)
    if not draft or not source:
        return None
    found = check_subword_marks(source, draft) or check_repetition(source, draft)
    if found or _is_copy(source, draft):
        return found
    return check_length(source, draft, src, tgt) or check_language(source, draft, tgt, detector)


def summary(findings: Sequence[Degenerate]) -> str:
    """What most of ``findings`` say, for the one line naming a broken model."""
    kinds = Counter(f.kind for f in findings)
    kind = kinds.most_common(1)[0][0] if kinds else "degenerate text"
    return {
        "repeated text": "repeated text",
        "character loop": "repeated text",
        "length": "text of the wrong length",
        "wrong language": "text in the wrong language",
        "subword marks": "text with subword marks",
    }.get(kind, kind)
