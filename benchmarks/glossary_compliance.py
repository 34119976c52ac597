"""Glossary compliance of Apertium en→es on the shared sample statement, by strategy.

Run from the repository root::

    python -m benchmarks.glossary_compliance

The sample (../shared/samples/peru-miners-solidarity.en.txt) is read and segmented by the
pipeline's own reader and segmenter, translated once by Apertium without a glossary (the
baseline) and once per enforcement strategy with the shipped ``glossary.yml``. For each it
prints compliance (source occurrences rendered with the glossary's form) and the quality
checks a translator would look at: leftover placeholders, doubled terms, broken spacing next
to a term, lost ``¿``/``¡``, and how many words around the terms changed against the baseline
(words Apertium chose differently because it no longer saw the term).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SAMPLE = SHARED / "samples" / "peru-miners-solidarity.en.txt"
GLOSSARY = ROOT / "glossary.yml"


@dataclass
class Measurement:
    name: str
    compliance: float
    occurrences: int
    applied: int
    leftovers: int = 0
    doubled: int = 0
    spacing: int = 0
    inverted_lost: int = 0
    context_changed: int = 0
    repairs: int = 0
    outputs: list[str] = field(default_factory=list)

    def row(self) -> str:
        return (
            f"{self.name:<34} {self.compliance:7.1%} {self.applied:4d}/{self.occurrences:<4d}"
            f" {self.leftovers:9d} {self.doubled:7d} {self.spacing:7d} {self.inverted_lost:6d}"
            f" {self.context_changed:8d} {self.repairs:7d}"
        )


HEADER = (
    f"{'strategy':<34} {'compl.':>7} {'applied':>9} {'leftover':>9} {'doubled':>7}"
    f" {'spacing':>7} {'¿¡lost':>6} {'context':>8} {'repairs':>7}"
)

_LEFTOVER = re.compile(r"ZXQ\s?\d+|</?g9\d\d>|<x9\d\d/>|&lt;|&gt;")
_WORD = re.compile(r"\w+")


def sample_segments(sample: Path = SAMPLE) -> list[tuple[str, str]]:
    """(segment id, text) for a statement (default: the shared sample), as the pipeline segments it."""
    from pipeline.ingest import read_document
    from pipeline.segment import segment_document

    doc = read_document(sample)
    segmented = segment_document(doc, "en")
    return [(seg.id, seg.text) for sb in segmented for seg in sb.segments]


def _quality(m: Measurement, sources, outputs, baseline, glossary) -> None:
    for source, out, base in zip(sources, outputs, baseline, strict=True):
        m.leftovers += len(_LEFTOVER.findall(out))
        if out.count("¿") + out.count("¡") < base.count("¿") + base.count("¡"):
            m.inverted_lost += 1
        expected = {info["expected"] for info in glossary.terms_in(source, "en", "es")}
        for form in expected:
            f = re.escape(form)
            m.doubled += len(re.findall(rf"(?i)(?<!\w){f}\W+{f}(?!\w)", out))
            # mask longer forms that contain this one (LTI inside FLTI is not glued)
            masked = out
            for other in sorted(expected, key=len, reverse=True):
                if len(other) > len(form) and form.lower() in other.lower():
                    masked = re.sub(re.escape(other), "§", masked, flags=re.I)
            m.spacing += len(re.findall(rf"(?i)\w{f}|{f}(?=\w)|  {f}|{f}  |{f} [,.;:!?]", masked))
        # repeated words (el el, de de) that the baseline does not have
        repeats = Counter(w.lower() for w in re.findall(r"(?i)\b(\w+)\s+\1\b", out))
        base_repeats = Counter(w.lower() for w in re.findall(r"(?i)\b(\w+)\s+\1\b", base))
        m.doubled += sum((repeats - base_repeats).values())
        form_words = {w.lower() for form in expected for w in _WORD.findall(form)}
        base_words = Counter(w.lower() for w in _WORD.findall(base))
        out_words = Counter(w.lower() for w in _WORD.findall(out) if w.lower() not in form_words)
        m.context_changed += sum((out_words - base_words).values())


def _translate_then_replace(glossary, engine, sources: list[str], baseline: list[str]) -> list[str]:
    """Option (b): translate each term alone and replace that rendering in the baseline."""
    from pipeline import markers

    found = [glossary.find(s, "en", "es") for s in sources]
    alone = sorted({markers.strip(m.text) for matches in found for m in matches})
    renderings = dict(
        zip(alone, (t.text for t in engine.translate(alone, "en", "es")), strict=True)
    )
    outputs = []
    for matches, base in zip(found, baseline, strict=True):
        out = base
        for m in matches:
            rendering = renderings[markers.strip(m.text)].strip(" .")
            expected = m.term.target_form("en", m.form_index, "es")
            pattern = re.compile(rf"(?i)(?<!\w){re.escape(rendering)}(?!\w)")
            out = pattern.sub(expected, out, count=1) if rendering else out
        outputs.append(out)
    return outputs


def measure(print_outputs: bool = False, sample: Path = SAMPLE) -> dict[str, Measurement]:
    """Baseline and every strategy on ``sample``; keys: "baseline", "shipped", strategy names."""
    from pipeline.engines.apertium import ApertiumEngine
    from pipeline.engines.base import Strategy
    from pipeline.glossary import load_glossary, protect, restore, verify

    glossary = load_glossary(GLOSSARY)
    engine = ApertiumEngine()
    segments = sample_segments(sample)
    ids = [i for i, _ in segments]
    sources = [t for _, t in segments]
    baseline = [t.text for t in engine.translate(sources, "en", "es")]

    results: dict[str, Measurement] = {}
    report = verify(glossary, sources, baseline, "en", "es", ids)
    base = Measurement(
        "baseline (Apertium, no glossary)",
        report.compliance,
        report.occurrences,
        report.applied,
        outputs=baseline,
    )
    _quality(base, sources, baseline, baseline, glossary)
    results["baseline"] = base

    candidates = {
        "wrap (span around the term)": Strategy(names="wrap", terms="wrap"),
        "empty tag <xN/> for everything": Strategy(names="empty", terms="empty"),
        "token ZXQn for everything": Strategy(names="token", terms="token"),
        "empty tag for names, wrap terms": Strategy(names="empty", terms="wrap"),
    }
    for name, strategy in candidates.items():
        protected = protect(glossary, sources, "en", "es", strategy)
        raw = [t.text for t in engine.translate(protected.texts, "en", "es")]
        outputs = restore(raw, protected)
        report = verify(glossary, sources, outputs, "en", "es", ids)
        m = Measurement(
            name,
            report.compliance,
            report.occurrences,
            report.applied,
            repairs=protected.repairs,
            outputs=outputs,
        )
        _quality(m, sources, outputs, baseline, glossary)
        results[name] = m
        if strategy == engine.glossary_strategy:
            results["shipped"] = m

    outputs = _translate_then_replace(glossary, engine, sources, baseline)
    report = verify(glossary, sources, outputs, "en", "es", ids)
    ttr = Measurement(
        "translate term alone, then replace",
        report.compliance,
        report.occurrences,
        report.applied,
        outputs=outputs,
    )
    _quality(ttr, sources, outputs, baseline, glossary)
    results["translate-then-replace"] = ttr

    if print_outputs:
        shipped = results["shipped"]
        for (seg_id, source), base_out, out in zip(
            segments, baseline, shipped.outputs, strict=True
        ):
            print(f"{seg_id}\n  en: {source}\n  ap: {base_out}\n  gl: {out}")
    return results


def summary(results: dict[str, Measurement]) -> str:
    base, shipped = results["baseline"], results["shipped"]
    lines = [HEADER]
    seen = set()
    for m in results.values():
        if id(m) not in seen:
            seen.add(id(m))
            lines.append(m.row())
    lines.append("")
    lines.append(
        f"Apertium en→es glossary compliance on the sample: baseline {base.compliance:.1%} "
        f"({base.applied}/{base.occurrences}) → with the shipped glossary "
        f"{shipped.compliance:.1%} ({shipped.applied}/{shipped.occurrences}); ratio "
        f"{shipped.compliance / max(base.compliance, 1e-9):.2f}x"
    )
    return "\n".join(lines)


def matcher_scale(repeat: int = 20) -> str:
    """Matching cost of a 1,000-term glossary against the shipped one, on the sample."""
    import itertools
    import time

    from pipeline.glossary import Glossary, Term, load_glossary

    shipped = load_glossary(GLOSSARY)
    letters = "bcdfghjklmnprstvz"
    extra = [
        Term(id=f"t{i}", forms={"en": (w + "an",), "es": (w + "o",), "ja": (f"語{i}",)})
        for i, w in enumerate(
            "".join(p) for p in itertools.islice(itertools.product(letters, "aeiou", letters), 1000)
        )
    ]
    big = Glossary(shipped.terms + extra)
    texts = [t for _, t in sample_segments()]

    def timed(glossary: Glossary) -> float:
        glossary.find("warm up", "en")
        start = time.perf_counter()
        for _ in range(repeat):
            for text in texts:
                glossary.find(text, "en")
        return (time.perf_counter() - start) / repeat

    small_t, big_t = timed(shipped), timed(big)
    return (
        f"matching the sample ({len(texts)} segments): {len(shipped)} terms {small_t * 1000:.1f} ms, "
        f"{len(big)} terms {big_t * 1000:.1f} ms (ratio {big_t / small_t:.2f}x)"
    )


def main() -> int:
    import shutil

    if not SAMPLE.exists():
        print(f"skipped: shared sample not found at {SAMPLE}")
        return 0
    if shutil.which("apertium") is None:
        print("skipped: apertium is not installed (apt-get install apertium apertium-eng-spa)")
        return 0
    results = measure(print_outputs="--show" in sys.argv)
    print(summary(results))
    print(matcher_scale())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
