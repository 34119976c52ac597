"""Checking a glossary and its use: ``verify`` (compliance of translations), ``lint``."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline import markers
from pipeline.document import LANGUAGES
from pipeline.glossary.agreement import agree_spanish_after, agreeing_before
from pipeline.glossary.grammar import spanish_features
from pipeline.glossary.normalize import fold, is_cjk
from pipeline.glossary.schema import Problem, duplicate_forms, shared_forms
from pipeline.glossary.terms import Glossary, Term


@dataclass
class GlossaryReport:
    """How many source term occurrences a translation renders with the glossary's form."""

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


def verify(
    glossary: Glossary,
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
        for match in glossary.find(source, src, tgt):
            key = match.term.id
            wanted[key] += 1
            expected_of.setdefault(key, match.term.target_form(src, match.form_index, tgt))
            term_of[key] = match.term
        if not wanted:
            continue
        found = Counter(fold(markers.strip(m.text)) for m in glossary.find(target, tgt))
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


def lint(glossary: Glossary) -> list[Problem]:
    """Problems beyond schema errors: duplicates, traps, missing languages; shared forms (warnings)."""
    problems = duplicate_forms(glossary.terms) + shared_forms(glossary.terms)
    for term in glossary.terms:
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
                problems += _trap(term, lang, form)
    return sorted(set(problems), key=lambda p: (p.line, p.kind, p.message))


def _trap(term: Term, lang: str, form: str) -> list[Problem]:
    """A form that would match where it should not (too short, one kanji, a loose acronym)."""
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


# ---------------------------------------------------------------- agreement around terms


def disagreements(target: str, forms: Iterable[str]) -> list[str]:
    """Spanish words around a glossary form that do not agree with it in gender or number.

    For each form (lower-case common nouns; names are left alone) found in ``target``: the
    determiners right before it (el/la, este, nuestro, todo…) and up to two adjectives right
    after it. Returns one reader-facing line per disagreement, e.g.
    ``"todas" does not agree with "sindicatos" (masculine plural)``.
    """
    text = markers.strip(target)
    found: list[str] = []
    for form in dict.fromkeys(f for f in forms if f and f[:1].islower()):
        gender, number = spanish_features(form)
        if gender is None and number is None:
            continue
        what = " ".join(
            w for w in ({"m": "masculine", "f": "feminine"}.get(gender or ""),
                        {"sg": "singular", "pl": "plural"}.get(number or "")) if w
        )  # fmt: skip
        for m in re.finditer(rf"(?i)(?<!\w){re.escape(form)}(?!\w)", text):
            before, after = text[: m.start()], text[m.end() :]
            wanted_before = agreeing_before(before, gender, number)
            wanted_after = agree_spanish_after(after, form, None)
            for had, wanted in _changed_words(before, wanted_before) + _changed_words(
                after, wanted_after
            ):
                found.append(f"“{had}” does not agree with “{m.group(0)}” ({what}): “{wanted}”?")
    return list(dict.fromkeys(found))


def _changed_words(old: str, new: str) -> list[tuple[str, str]]:
    a, b = re.findall(r"[^\W\d_]+", old), re.findall(r"[^\W\d_]+", new)
    if len(a) != len(b):
        return []
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]
