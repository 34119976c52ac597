"""Agreement around substituted glossary terms (Apertium en→es, the shipped glossary).

Run from the repository root::

    python -m benchmarks.agreement [SAMPLE.en.txt] [-v]

Statements: the shared sample (../shared/samples/peru-miners-solidarity.en.txt, or the file
given; skipped with a note when absent), the test statement tests/data/casapalca-miners.en.txt, and a handful of
sentences built to put determiners, quantifiers and adjectives next to glossary terms. Each
is translated once by Apertium with the glossary protected; ``restore`` then runs twice in the
same process on the same engine output: (a) the baseline, article-only agreement (no ``todo``
before the article, no adjectives after the term), and (b) the pipeline's agreement. For both it
counts what the QA ``agreement`` check (``pipeline.glossary.check.disagreements``) still flags,
and how many words (b) changed against (a).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_SAMPLE = ROOT.parent / "shared" / "samples" / "peru-miners-solidarity.en.txt"
TEST_STATEMENT = ROOT / "tests" / "data" / "casapalca-miners.en.txt"
BUILT = [
    "All unions must join the general strike.",
    "All these unions support the strike.",
    "The new union is strong.",
    "Our comrades and all the workers march.",
    "Every union has its own statement.",
    "Many unions support the brave miners.",
    "The Peruvian unions denounce the repression.",
    "This union and our union are strong.",
    "Some unions signed the international statement.",
    "The arrested leaders of the union are in jail.",
]


def _segments(path: Path) -> list[str]:
    from pipeline.ingest import read_document
    from pipeline.segment import segment_document

    doc = read_document(path)
    return [seg.text for sb in segment_document(doc, "en") for seg in sb.segments]


def main() -> int:
    from pipeline.engines.apertium import ApertiumEngine
    from pipeline.glossary import agreement, enforce, load_glossary, protect, restore
    from pipeline.glossary.check import disagreements

    engine = ApertiumEngine()
    if not engine.available():
        print("Apertium (apertium-eng-spa) is not installed", file=sys.stderr)
        return 1
    glossary = load_glossary(ROOT / "glossary.yml")
    sets = {"test statement": _segments(TEST_STATEMENT), "built sentences": BUILT}
    given = [Path(a) for a in sys.argv[1:] if not a.startswith("-")]
    sample = given[0] if given else SHARED_SAMPLE
    if sample.is_file():
        sets = {"shared sample": _segments(sample), **sets}
    else:
        print(f"note: {sample} is absent; the shared sample is left out")
    print(f"{'statements':<18} {'segments':>8} {'terms':>6} {'(a) flagged':>12} "
          f"{'(b) flagged':>12} {'words changed':>14}")  # fmt: skip
    for name, texts in sets.items():
        protected = protect(glossary, texts, "en", "es", engine.glossary_strategy)
        drafts = [t.text for t in engine.translate(protected.texts, "en", "es")]
        real_after, real_todo = enforce.agree_spanish_after, agreement._TODO_BEFORE
        enforce.agree_spanish_after = lambda after, form, term: after  # type: ignore[assignment]
        agreement._TODO_BEFORE = re.compile(r"(?!)")
        try:
            baseline = restore(drafts, protected)
        finally:
            enforce.agree_spanish_after, agreement._TODO_BEFORE = real_after, real_todo
        final = restore(drafts, protected)
        forms = [[ph.expected for ph in phs] for phs in protected.placeholders]
        flagged_a = sum(len(disagreements(t, f)) for t, f in zip(baseline, forms, strict=True))
        flagged_b = sum(len(disagreements(t, f)) for t, f in zip(final, forms, strict=True))
        changed = sum(
            sum(x != y for x, y in zip(a.split(), b.split(), strict=False))
            for a, b in zip(baseline, final, strict=True)
        )
        terms = sum(len(f) for f in forms)
        print(f"{name:<18} {len(texts):>8} {terms:>6} {flagged_a:>12} {flagged_b:>12} "
              f"{changed:>14}")  # fmt: skip
        if "-v" in sys.argv:
            for a, b in zip(baseline, final, strict=True):
                if a != b:
                    print(f"    (a) {a}\n    (b) {b}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
