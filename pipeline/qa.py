"""Quality checks on one translated segment (a draft a reviewer will look at).

Each check returns ``QaFinding``s; none changes the text. Checks are meant to point a
reviewer at likely problems, so they err towards silence on short or ambiguous segments.

Check names (the ``check`` field, also used in report.json's ``qa`` list):
``numbers`` (numbers or dates differ), ``glossary`` (expected term missing),
``untranslated`` (the draft is not in the target language), ``brackets`` (quotes or
brackets unbalanced), ``length`` (length ratio far outside the usual for the pair),
``leftover`` (engine unknown-word marks, broken inline markers, leftover placeholders);
``agreement`` (a Spanish determiner or adjective next to a glossary term that does not agree
with it in gender or number, ``pipeline.glossary.check.disagreements``); ``degenerate`` (an
engine's draft that looped or was in the wrong language, ``pipeline.engines.guard``, and what
the translate stage did about it).

QA is a stage of the batch: ``check_target`` takes one document × target language's segment
records and returns new records carrying their findings, with the target's glossary
compliance; the review sidecar, the summary and report.json only read what it returns.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from pipeline import markers
from pipeline.document import LANGUAGES
from pipeline.glossary import TOKEN_PLACEHOLDER, Glossary, GlossaryReport, verify
from pipeline.glossary.check import disagreements
from pipeline.records import QaFinding, SegmentRecord

CHECKS = ("numbers", "glossary", "untranslated", "brackets", "length", "leftover", "agreement")

_ANY_TAG = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>")

# --- numbers and dates -------------------------------------------------------------------

# A number: digits with optional grouping/decimal separators between digit groups.
_NUMBER_TIGHT = re.compile(r"(?<![\d])\d+(?:[.,'\u2019]\d+)*(?![\d])")
_NUMBER_SPACED_ANY = re.compile(
    r"(?<![\d.,])\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+(?:[.,]\d+)?(?![\d])|"
    r"(?<![\d])\d+(?:[.,'\u2019]\d+)*(?![\d])"
)
_MONTHS = {
    # English
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    # Spanish
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11,
    "diciembre": 12,
}  # fmt: skip
# Words that are also ordinary words ("may", "march") or abbreviations count as a month only
# next to a number ("May 1", "1 de mayo"); elsewhere they can match a month but not demand one.
_WEAK_MONTHS = {"may", "march", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
                "oct", "nov", "dec"}  # fmt: skip
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_MONTH_WORD = re.compile(r"(?<!\w)(" + _MONTH_NAMES + r")\.?(?!\w)", re.I)
_NEAR_NUMBER = re.compile(r"^\W{0,3}(?:de\s+|del\s+|of\s+)?\d|\d(?:st|nd|rd|th)?\W{0,3}(?:de\s+)?$")
_JA_MONTH = re.compile(r"(\d{1,2})\s*月")


def _values(token: str, lang: str) -> frozenset[str]:
    """The values a written number can mean: ``1,000`` is 1000 (or, in Spanish, also 1.0),
    ``3,5`` is 3.5, ``1.000,50`` is 1000.5. Values are canonical strings like ``1000.5``.

    English and Japanese group with commas and mark decimals with a point; Spanish uses
    both conventions in practice (Spain ``1.000,5``, Mexico ``1,000.5``, RAE ``1 000,5``).
    """
    token = re.sub(r"[\s\u00a0\u202f\u2009'\u2019]", " ", token)
    seps = re.findall(r"[., ]", token)
    groups = re.split(r"[., ]", token)

    def value(integer: str, fraction: str = "") -> str:
        integer = integer.lstrip("0") or "0"
        fraction = fraction.rstrip("0")
        return f"{integer}.{fraction}" if fraction else integer

    if not seps:
        return frozenset({value(token)})
    grouped = all(len(g) == 3 for g in groups[1:]) and len(groups[0]) <= 3
    values: set[str] = set()
    english_style = lang in ("en", "ja")
    if grouped and len(set(seps)) == 1 and not (english_style and seps[0] == "."):
        values.add(value("".join(groups)))
    last = seps[-1]
    decimal_ok = last != " " and not (english_style and last == ",")
    if decimal_ok and (len(seps) == 1 or len(set(seps[:-1])) == 1 and seps[0] != last):
        values.add(value("".join(groups[:-1]), groups[-1]))
    if not values:  # an unusual spelling: compare the digits
        values.add(value("".join(groups)))
    return frozenset(values)


def _numbers(text: str, lang: str, spaced: bool) -> list[tuple[str, frozenset[str]]]:
    """The numbers in ``text``: (as written, possible values)."""
    pattern = _NUMBER_SPACED_ANY if spaced else _NUMBER_TIGHT
    return [(m.group(0), _values(m.group(0), lang)) for m in pattern.finditer(text)]


def _unmatched(
    left: list[tuple[str, frozenset[str]]], right: list[tuple[str, frozenset[str]]]
) -> tuple[list[str], list[str]]:
    """Pair numbers that can mean the same value; return those left over on each side."""
    remaining = list(right)
    missing = []
    # Unambiguous numbers first, so that an ambiguous one does not take their partner.
    for written, values in sorted(left, key=lambda item: len(item[1])):
        match = next((i for i, (_, other) in enumerate(remaining) if values & other), None)
        if match is None:
            missing.append(written)
        else:
            remaining.pop(match)
    return missing, [written for written, _ in remaining]


def _months(text: str) -> tuple[Counter[int], Counter[int]]:
    """Months named in ``text``: (strong, weak) counts by month number."""
    strong: Counter[int] = Counter()
    weak: Counter[int] = Counter()
    for m in _MONTH_WORD.finditer(text):
        word = m.group(1)
        lower = word.lower()
        month = _MONTHS[lower]
        before, after = text[max(0, m.start() - 12) : m.start()], text[m.end() : m.end() + 8]
        near = bool(_NEAR_NUMBER.search(after) or _NEAR_NUMBER.search(before))
        is_weak = lower in _WEAK_MONTHS and not near
        if lower in ("may", "march") and word[0].islower():
            continue  # the verb or the noun, never the month
        (weak if is_weak else strong)[month] += 1
    for m in _JA_MONTH.finditer(text):
        strong[int(m.group(1))] += 1
    return strong, weak


_CENTURY = re.compile(r"(?<!\w)(siglos?|centur(?:y|ies))\s+([IVXLC]{1,7})(?!\w)", re.I)
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def _roman(numeral: str) -> int:
    total = 0
    values = [_ROMAN[c] for c in numeral.upper()]
    for i, v in enumerate(values):
        total += -v if i + 1 < len(values) and values[i + 1] > v else v
    return total


def _without_months(text: str) -> str:
    """Text ready for number extraction: 10月 counted as a month, siglo XXI as 21."""
    text = _CENTURY.sub(lambda m: f"{m.group(1)} {_roman(m.group(2))}", text)
    return _JA_MONTH.sub("月", text)


def check_numbers(
    segment: str, source: str, target: str, src: str = "en", tgt: str = "es"
) -> list[QaFinding]:
    """Numbers and dates that differ between source and target (by value, any digit form)."""
    src_text = unicodedata.normalize("NFKC", markers.strip(source))
    tgt_text = unicodedata.normalize("NFKC", markers.strip(target))
    findings: list[QaFinding] = []
    src_strong, src_weak = _months(src_text)
    tgt_strong, tgt_weak = _months(tgt_text)
    missing_months = +(src_strong - (tgt_strong + tgt_weak))
    extra_months = +(tgt_strong - (src_strong + src_weak))
    src_plain, tgt_plain = _without_months(src_text), _without_months(tgt_text)
    best: tuple[list[str], list[str]] | None = None
    for spaced in (True, False):
        missing, extra = _unmatched(
            _numbers(src_plain, src, spaced), _numbers(tgt_plain, tgt, spaced)
        )
        if best is None or len(missing) + len(extra) < len(best[0]) + len(best[1]):
            best = (missing, extra)
    parts: list[str] = []
    if best is not None:
        if best[0]:
            parts.append("missing in draft: " + ", ".join(best[0]))
        if best[1]:
            parts.append("not in source: " + ", ".join(best[1]))
    if missing_months:
        parts.append("month missing in draft: " + ", ".join(str(k) for k in sorted(missing_months)))
    if extra_months:
        parts.append("month not in source: " + ", ".join(str(k) for k in sorted(extra_months)))
    if parts:
        findings.append(QaFinding(segment, "numbers", "numbers differ: " + "; ".join(parts)))
    return findings


# --- glossary ----------------------------------------------------------------------------


def _expected_term(item: object) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, Mapping):
        return str(item.get("expected") or "")
    return str(getattr(item, "expected", "") or "")


def check_glossary(
    segment: str, target: str, tgt: str, expected: Iterable[object]
) -> list[QaFinding]:
    """Expected glossary terms (strings, or dicts/objects with ``expected``) absent from the draft.

    Case-insensitive; a term matches at a word start so plurals (sindicato → sindicatos) count.
    """
    text = unicodedata.normalize("NFKC", markers.strip(target)).casefold()
    findings = []
    seen: set[str] = set()
    for item in expected:
        term = _expected_term(item).strip()
        key = unicodedata.normalize("NFKC", term).casefold()
        if not term or key in seen:
            continue
        seen.add(key)
        if tgt == "ja":
            found = key in text
        else:
            found = re.search(r"(?<!\w)" + re.escape(key), text) is not None
        if not found:
            findings.append(QaFinding(segment, "glossary", f"expected term “{term}” not in draft"))
    return findings


# --- untranslated ------------------------------------------------------------------------


def check_untranslated(
    segment: str, source: str, target: str, src: str, tgt: str
) -> list[QaFinding]:
    """The draft is not in the target language: identical to the source, or detected as another."""
    from pipeline.detect import detect_text

    src_plain = " ".join(markers.strip(source).split())
    tgt_plain = " ".join(markers.strip(target).split())
    letters = sum(map(str.isalpha, tgt_plain))
    words = re.findall(r"[^\W\d_]{2,}", tgt_plain)
    if src != tgt and tgt_plain and tgt_plain == src_plain and len(words) >= 4:
        if detect_text(tgt_plain)[0] == tgt:
            return []  # already in the target language: a name or an address kept as it is
        return [QaFinding(segment, "untranslated", "draft is identical to the source")]
    if src == tgt or letters < 15 or (tgt != "ja" and len(words) < 4):
        return []
    language, confidence = detect_text(tgt_plain)
    if language in ("und", tgt) or confidence < 0.7:
        return []
    if language == src or language in LANGUAGES:
        return [
            QaFinding(
                segment,
                "untranslated",
                f"draft looks like {language}, not {tgt} (confidence {confidence:.2f})",
            )
        ]
    return []


# --- quotes and brackets -----------------------------------------------------------------

_PAIRS = {
    "paren": ("(（", ")）"),
    "square": ("[［【〔", "]］】〕"),
    "curly": ("{｛", "}｝"),
    "quote": ("“«「„", "”»」"),
    "inner": ("『‹", "』›"),
}
_SPANISH_MARKS = (("¿", "?"), ("¡", "!"))


def _balance(text: str) -> dict[str, int]:
    result = {}
    for name, (opens, closes) in _PAIRS.items():
        result[name] = sum(text.count(c) for c in opens) - sum(text.count(c) for c in closes)
    result["straight"] = text.count('"') % 2
    return result


_NESTING_BRACKET = re.compile(
    "["
    + re.escape(
        "".join(_PAIRS[name][side] for name in ("paren", "square", "curly") for side in (0, 1))
    )
    + "]"
)


def _misordered(text: str) -> bool:
    """A closing bracket before its opening one, e.g. ``a ) b ( c``."""
    depth: Counter[str] = Counter()
    for ch in _NESTING_BRACKET.findall(text):
        for name in ("paren", "square", "curly"):
            opens, closes = _PAIRS[name]
            if ch in opens:
                depth[name] += 1
            elif ch in closes:
                depth[name] -= 1
                if depth[name] < 0:
                    return True
    return False


def check_brackets(segment: str, source: str, target: str, tgt: str) -> list[QaFinding]:
    """Quotes or brackets balanced in the source but not in the draft (or the reverse).

    Quotes of any style count as one kind (“” in English, «» or “” in Spanish, 「」 in
    Japanese), so a quotation opened in one sentence and closed in the next is not flagged.
    """
    src_text, tgt_text = markers.strip(source), markers.strip(target)
    src_bal, tgt_bal = _balance(src_text), _balance(tgt_text)
    problems = []
    for name in ("paren", "square", "curly", "inner"):
        if src_bal[name] != tgt_bal[name]:
            problems.append(_describe_balance(name, tgt_bal[name]))
    src_quotes = abs(src_bal["quote"]) + src_bal["straight"]
    tgt_quotes = abs(tgt_bal["quote"]) + tgt_bal["straight"]
    if (src_quotes == 0) != (tgt_quotes == 0):
        problems.append("quotation marks unbalanced" if tgt_quotes else "quotation marks differ")
    if not _misordered(src_text) and _misordered(tgt_text):
        problems.append("a bracket closes before it opens")
    if tgt == "es":
        for opening, closing in _SPANISH_MARKS:
            opened, closed = tgt_text.count(opening), tgt_text.count(closing)
            if closed > opened:
                problems.append(
                    f"Spanish needs {opening} before {closing}: {closed - opened} missing"
                )
            elif opened > closed:
                problems.append(f"{opening} without its {closing}")
    if not problems:
        return []
    return [QaFinding(segment, "brackets", "; ".join(problems))]


def _describe_balance(name: str, balance: int) -> str:
    label = {"paren": "parentheses", "square": "square brackets", "curly": "braces",
             "inner": "inner quotation marks"}[name]  # fmt: skip
    if balance > 0:
        return f"{label}: {balance} not closed"
    if balance < 0:
        return f"{label}: {-balance} closed but not opened"
    return f"{label}: balanced in the draft but not in the source"


# --- length ratio ------------------------------------------------------------------------

# Usual target/source length in characters. Measured on the UDHR in /work/shared/corpora
# (whole text: es/en 1.12, ja/en 0.39, ja/es 0.35) and the reverse directions.
USUAL_RATIO = {
    ("en", "es"): 1.15,
    ("es", "en"): 0.87,
    ("en", "ja"): 0.40,
    ("ja", "en"): 2.5,
    ("es", "ja"): 0.35,
    ("ja", "es"): 2.85,
}
# Flag only far outliers: more than this factor away from the usual ratio.
RATIO_TOLERANCE = 2.2
# Shorter sources are not judged: titles, names and slogans vary too much.
MIN_SOURCE_CHARS = {"ja": 12}
DEFAULT_MIN_SOURCE_CHARS = 30


def check_length(segment: str, source: str, target: str, src: str, tgt: str) -> list[QaFinding]:
    """Draft length far outside the usual ratio for the pair (not on short segments)."""
    src_text = " ".join(markers.strip(source).split())
    tgt_text = " ".join(markers.strip(target).split())
    if len(src_text) < MIN_SOURCE_CHARS.get(src, DEFAULT_MIN_SOURCE_CHARS) or not tgt_text:
        return []
    usual = USUAL_RATIO.get((src, tgt), 1.0)
    ratio = len(tgt_text) / len(src_text)
    if ratio > usual * RATIO_TOLERANCE:
        word = "long"
    elif ratio < usual / RATIO_TOLERANCE:
        word = "short"
    else:
        return []
    return [
        QaFinding(
            segment,
            "length",
            f"draft is unusually {word}: {len(tgt_text)} characters for {len(src_text)} "
            f"(ratio {ratio:.2f}, usual about {usual:.2f} for {src}→{tgt})",
        )
    ]


# --- leftovers ---------------------------------------------------------------------------

# Apertium: *unknown word, #generation error, @transfer error.
ENGINE_MARKS = (r"(?<![\w*])\*\w[\w'’-]*", r"(?<![\w#@&])[#@]\w[\w'’-]*")


def _marker_problems(source: str, target: str) -> list[str]:
    """Broken, lost or added inline markers (``markers.check``), and HTML left in the draft."""
    problems = markers.check(source, target)
    source_tags = _ANY_TAG.findall(markers.strip(source))
    leftover_html = [t for t in _ANY_TAG.findall(markers.strip(target)) if t not in source_tags]
    if leftover_html:
        problems.append("markup left in draft: " + ", ".join(leftover_html[:3]))
    return problems


def check_leftovers(
    segment: str,
    source: str,
    target: str,
    placeholder_patterns: Sequence[str | re.Pattern[str]] = (),
    unknown_words: Sequence[str] = (),
) -> list[QaFinding]:
    """Engine unknown-word marks, broken or lost inline markers, leftover placeholders.

    ``placeholder_patterns`` are regexes for placeholders the pipeline inserts (e.g. the
    glossary's protected terms); a match in the draft beyond those in the source is a leftover.
    ``unknown_words`` are the words the engine reported it left as they were (Apertium strips
    its ``*`` marks and reports them); lower-case ones are flagged, capitalised ones are
    usually names and pass.
    """
    problems = _marker_problems(source, target)
    plain_target = markers.strip(target)
    unknown = sorted({w for w in unknown_words if w[:1].islower() and w in plain_target})
    if unknown:
        problems.append("left untranslated by the engine: " + ", ".join(unknown))
    src_plain, tgt_plain = markers.strip(source), markers.strip(target)
    for pattern in ENGINE_MARKS:
        in_target = re.findall(pattern, tgt_plain)
        # Marks the source has too (a footnote asterisk) are not the engine's.
        if len(in_target) > len(re.findall(pattern, src_plain)):
            problems.append("engine mark left in draft: " + ", ".join(sorted(set(in_target))))
    for placeholder in placeholder_patterns:
        regex = re.compile(placeholder) if isinstance(placeholder, str) else placeholder
        extra = Counter(regex.findall(target)) - Counter(regex.findall(source))
        if extra:
            shown = [m if isinstance(m, str) else "".join(m) for m in extra]
            problems.append("placeholder left in draft: " + ", ".join(sorted(shown)))
    if not problems:
        return []
    return [QaFinding(segment, "leftover", "; ".join(problems))]


# --- all checks --------------------------------------------------------------------------


def check_segment(
    segment_id: str,
    source: str,
    target: str,
    src: str,
    tgt: str,
    expected_terms: Iterable[object] = (),
    placeholder_patterns: Sequence[str | re.Pattern[str]] = (),
    unknown_words: Sequence[str] = (),
) -> list[QaFinding]:
    """Run every check on one segment's draft; an empty list means nothing to point out.

    ``source``/``target`` carry the pipeline's inline markers; ``expected_terms`` lists the
    glossary's expected target terms for this segment (strings or ``{"expected": ...}``);
    ``placeholder_patterns`` are regexes of placeholders that must not survive translation;
    ``unknown_words`` is ``Translation.unknown_words`` from the engine for this segment.
    """
    if not target.strip():
        if markers.strip(source).strip():
            return [QaFinding(segment_id, "untranslated", "draft is empty")]
        return []
    findings: list[QaFinding] = []
    # A leftover placeholder (ZXQ901) is reported once, as a leftover, not as a number too.
    without = target
    for pattern in placeholder_patterns:
        without = (re.compile(pattern) if isinstance(pattern, str) else pattern).sub("", without)
    findings += check_numbers(segment_id, source, without, src, tgt)
    findings += check_glossary(segment_id, target, tgt, expected_terms)
    findings += check_untranslated(segment_id, source, target, src, tgt)
    findings += check_brackets(segment_id, source, target, tgt)
    findings += check_length(segment_id, source, target, src, tgt)
    findings += check_leftovers(segment_id, source, target, placeholder_patterns, unknown_words)
    return findings


NOT_CHECKED = ("approved", "identity", "kept", "degenerate")
"""Origins whose text no engine wrote: QA does not check them."""


def segment_findings(
    segment_id: str,
    source: str,
    target: str,
    src: str,
    tgt: str,
    *,
    origin: str = "machine",
    glossary: Sequence[Mapping[str, Any]] = (),
    expected_terms: Sequence[str] | None = None,
    placeholder_patterns: Sequence[str | re.Pattern[str]] = (),
    unknown_words: Sequence[str] = (),
) -> list[QaFinding]:
    """Every check on one segment's draft, agreement with the glossary's Spanish forms
    included; nothing for a draft no engine wrote (``NOT_CHECKED``). ``glossary``: the
    ``{"term", "expected", "note"}`` dicts of the terms in the source; ``expected_terms``,
    when given, replaces their expected forms (the glossary's own, inflection-aware
    verdict: the forms of ``GlossaryReport.misses`` for this segment)."""
    if origin in NOT_CHECKED:
        return []
    expected = (
        [g.get("expected", "") for g in glossary] if expected_terms is None else expected_terms
    )
    findings = check_segment(
        segment_id,
        source,
        target,
        src,
        tgt,
        expected_terms=expected,
        placeholder_patterns=placeholder_patterns,
        unknown_words=unknown_words,
    )
    if tgt == "es" and glossary:
        forms = [str(g.get("expected", "")) for g in glossary]
        findings += [QaFinding(segment_id, "agreement", d) for d in disagreements(target, forms)]
    return findings


class TargetItem(Protocol):
    """What QA needs of a plan's target (``pipeline.plan.TargetPlan``)."""

    @property
    def lang(self) -> str: ...


@dataclass(frozen=True)
class Checked:
    """QA's result for one document × target language: the records with their glossary
    terms and findings, and the glossary compliance (None without a glossary)."""

    records: tuple[SegmentRecord, ...]
    glossary: GlossaryReport | None = None

    @property
    def findings(self) -> list[QaFinding]:
        """Every finding, in segment order (report.json's ``qa``)."""
        return [finding for record in self.records for finding in record.qa]

    @property
    def findings_json(self) -> list[dict[str, str]]:
        """The findings as report.json has them (``pipeline.blocking`` reads these)."""
        return [finding.as_json() for finding in self.findings]


def check_target(
    item: TargetItem, records: Sequence[SegmentRecord], glossary: Glossary | None
) -> Checked:
    """QA of one translated target: the glossary's compliance over its segments, then every
    segment's checks (``degenerate`` first, for a draft the guard replaced)."""
    lang = item.lang
    report = _glossary_report(lang, records, glossary) if glossary is not None else None
    misses: dict[str, list[str]] = {}
    for miss in report.misses if report else []:
        misses.setdefault(miss["segment"], []).append(miss["expected"])
    checked = []
    for record in records:
        seg = record.segment
        terms = tuple(glossary.terms_in(seg.text, seg.lang, lang)) if glossary else ()
        found = segment_findings(
            seg.id,
            seg.text,
            record.draft,
            seg.lang,
            lang,
            origin=record.review_origin,
            glossary=terms,
            expected_terms=misses.get(seg.id, []) if glossary else None,
            placeholder_patterns=(TOKEN_PLACEHOLDER.pattern,),
            unknown_words=record.unknown_words,
        )
        if record.degenerate is not None:
            found.insert(0, QaFinding(seg.id, "degenerate", record.degenerate.detail))
        if record.debris is not None:  # removed from the draft: a blocking leftover
            found.insert(0, QaFinding(seg.id, "leftover", record.debris))
        checked.append(replace(record, glossary=terms, qa=tuple(found)))
    return Checked(tuple(checked), report)


def _glossary_report(
    lang: str, records: Sequence[SegmentRecord], glossary: Glossary
) -> GlossaryReport:
    """Glossary compliance of one target's drafts (segments grouped by source language)."""
    report = GlossaryReport()
    for src in sorted({r.segment.lang for r in records}):
        if src == lang:
            continue
        # a block kept as written (the original's own language, --keep-foreign) is not
        # translated: the glossary has nothing to say about it
        group = [r for r in records if r.segment.lang == src and r.kept is None]
        if not group:
            continue
        report = report + verify(
            glossary,
            [r.segment.text for r in group],
            [r.draft for r in group],
            src,
            lang,
            [r.segment.id for r in group],
        )
    return report
