"""The degenerate-output guard's thresholds, measured on real Apertium output.

Run from the repository root::

    python -m benchmarks.guard_thresholds

Segments come from the statements in ``source_docs/``, ``tests/data/`` (when present) and,
when present, ``../shared`` (``PIPELINE_SHARED`` overrides; the sample statement and the UDHR in en and es; said when absent).
Every segment is translated by Apertium (en→es and es→en), and per segment the draft/source
length ratio is printed as a distribution, next to the guard's ``RATIO_RANGE``. Then the guard
itself runs over every draft: a good engine's output must give no degenerate finding (false
positives), while the same drafts damaged the way broken models damage them (a word looped, a
character loop, half the text, the source copied into Japanese script, subword marks) must all
be caught. Ratios are printed against the baseline (the clean drafts) of the same run.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PIPELINE_SHARED") or ROOT.parent / "shared")
sys.path.insert(0, str(ROOT))

from pipeline import detect, markers  # noqa: E402
from pipeline.engines import guard  # noqa: E402
from pipeline.engines.apertium import ApertiumEngine  # noqa: E402
from pipeline.ingest import find_sources, read_document  # noqa: E402
from pipeline.segment import segment_document  # noqa: E402


def statement_segments() -> dict[str, list[str]]:
    """Source segments per language from the statements this repository and ../shared hold."""
    folders = [ROOT / "source_docs", ROOT / "tests" / "data"]
    if (SHARED / "samples").is_dir():
        folders.append(SHARED / "samples")
    else:
        print(f"(../shared/samples absent: {SHARED / 'samples'})")
    files, _ = find_sources([f for f in folders if f.is_dir()])
    by_lang: dict[str, list[str]] = {"en": [], "es": []}
    for path in files:
        try:
            doc = read_document(path)
            lang = detect.detect_document(doc).language
        except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
            print(f"  skipped {path}: {exc}")
            continue
        if lang in by_lang:
            for block in segment_document(doc, lang):
                by_lang[lang].extend(s.text for s in block.segments if s.text.strip())
    udhr = SHARED / "corpora" / "udhr"
    if udhr.is_dir():
        for lang, name in (("en", "eng"), ("es", "spa")):
            lines = (udhr / f"{name}.txt").read_text(encoding="utf-8").splitlines()
            by_lang[lang].extend(line.strip() for line in lines if line.strip())
    else:
        print(f"(../shared UDHR absent: {udhr})")
    return by_lang


def damaged(draft: str, tgt: str) -> dict[str, str]:
    """The draft broken as broken models break text."""
    words = draft.split()
    first = words[0] if words else "de"
    return {
        "word loop": " ".join([first] * max(6, len(words))),
        "character loop": (first[:8] or "mainstre") * 12,
        "truncated": " ".join(words[: max(1, len(words) // 5)]),
        "subword marks": "\u2581" + "\u2581".join(words),
        "wrong script": "労働者の連帯" * max(2, len(draft) // 12) if tgt != "ja" else draft,
    }


def main() -> int:
    engine = ApertiumEngine()
    if not engine.available():
        print("Apertium is not installed: apt-get install apertium apertium-eng-spa")
        return 1
    segments = statement_segments()
    print(f"guard thresholds — {time.strftime('%Y-%m-%d')}, {sys.platform}")
    for src, tgt in (("en", "es"), ("es", "en")):
        sources = segments[src]
        started = time.perf_counter()
        drafts = [t.text for t in engine.translate(sources, src, tgt)]
        seconds = time.perf_counter() - started
        ratios = []
        for source, draft in zip(sources, drafts, strict=True):
            s, d = (" ".join(markers.strip(x).split()) for x in (source, draft))
            if len(s) >= guard.MIN_RATIO_SOURCE.get(src, guard.DEFAULT_MIN_RATIO_SOURCE):
                ratios.append(len(d) / len(s))
        ratios.sort()
        q = statistics.quantiles(ratios, n=100)
        low, high = guard.RATIO_RANGE[(src, tgt)]
        print(
            f"\n{src}→{tgt}: {len(sources)} segments ({seconds:.1f} s Apertium), "
            f"{len(ratios)} judged by length"
        )
        print(
            f"  ratio min {ratios[0]:.2f}  p1 {q[0]:.2f}  median {statistics.median(ratios):.2f}"
            f"  p99 {q[-1]:.2f}  max {ratios[-1]:.2f}   guard range {low:g}–{high:g} "
            f"({low / ratios[0]:.2f}× the min, {high / ratios[-1]:.2f}× the max)"
        )
        started = time.perf_counter()
        flagged = [
            (source, draft, found)
            for source, draft in zip(sources, drafts, strict=True)
            if (found := guard.check(source, draft, src, tgt, detect.detect_text))
        ]
        base = time.perf_counter() - started
        print(
            f"  clean drafts flagged: {len(flagged)}/{len(sources)} "
            f"(false positives; {base * 1000 / max(len(sources), 1):.2f} ms per segment)"
        )
        for source, draft, found in flagged[:10]:
            print(f"    {found.line()}\n      {source[:90]!r}\n      {draft[:90]!r}")
        caught: dict[str, list[int]] = {}
        for source, draft in zip(sources, drafts, strict=True):
            for kind, bad in damaged(draft, tgt).items():
                hit = guard.check(source, bad, src, tgt, detect.detect_text) is not None
                judged = kind != "truncated" or len(markers.strip(source)) >= 60
                if judged:
                    caught.setdefault(kind, [0, 0])
                    caught[kind][0] += hit
                    caught[kind][1] += 1
        for kind, (hit, total) in caught.items():
            print(f"  damaged ({kind}): caught {hit}/{total} = {hit / total:.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
