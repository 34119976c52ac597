"""Language detection accuracy on the shared UDHR corpus, next to raw (seeded) langdetect.

Usage (from the repository root)::

    python benchmarks/detect_accuracy.py            # the tables for the README
    python benchmarks/detect_accuracy.py --compare  # also lingua (low/high) and raw fastText
    python benchmarks/detect_accuracy.py --detector langdetect  # the pipeline on langdetect

Each corpus file is split into blocks at line breaks (empty lines dropped). "With context"
detects a whole file as one document (``detect_blocks``), "without context" calls
``detect_text`` on each block alone, "langdetect" is ``langdetect.detect`` seeded with 0.
Document accuracy is measured on each whole file and on its chunks of 10 lines.
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline import detect  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "udhr"
FILES = {
    "en": "eng",
    "es": "spa",
    "ja": "jpn",
    "pt": "por_PT",
    "gl": "glg",
    "it": "ita",
    "ca": "cat",
    "fr": "fra",
    "qu": "quz",
    "ay": "ayr",
}
BUCKETS = ("≤40", "41–120", ">120")
CHUNK_LINES = 10
DETECTOR = [detect.DEFAULT_DETECTOR]  # the pipeline's detector measured (--detector)


def bucket(text: str) -> str:
    n = len(text)
    return BUCKETS[0] if n <= 40 else BUCKETS[1] if n <= 120 else BUCKETS[2]


def read_lines(path: Path) -> list[str]:
    return path.read_text("utf-8").splitlines()


def load_corpus() -> dict[str, list[str]]:
    return {
        lang: [line.strip() for line in read_lines(CORPUS / f"{name}.txt") if line.strip()]
        for lang, name in FILES.items()
    }


def langdetect_raw() -> Callable[[str], str]:
    from langdetect import DetectorFactory, LangDetectException
    from langdetect import detect as ld_detect

    def run(text: str) -> str:
        DetectorFactory.seed = 0
        try:
            return ld_detect(text)
        except LangDetectException:
            return "und"

    return run


def lingua_detector(high: bool) -> Callable[[str], str]:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    langs = [
        Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper()))
        for c in ("en", "es", "ja", "pt", "it", "ca", "fr")
    ]  # lingua has no gl, qu, ay
    builder = LanguageDetectorBuilder.from_languages(*langs)
    if not high:
        builder = builder.with_low_accuracy_mode()
    det = builder.build()

    def run(text: str) -> str:
        found = det.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else "und"

    return run


def fasttext_raw() -> Callable[[str], str]:
    def run(text: str) -> str:
        scores = detect._fasttext_scores(text)
        cands = {k: v for k, v in scores.items() if k in detect.CANDIDATES}
        return max(cands, key=lambda k: cands[k]) if cands else "und"

    return run


def percent(hits: int, total: int) -> str:
    return f"{100 * hits / total:.1f}% ({hits}/{total})" if total else "–"


Stats = dict[str, dict[tuple[str, str], tuple[int, int]]]  # lang: (method, bucket): (hits, n)


def block_table(corpus: dict[str, list[str]], methods: dict[str, Callable[[str], str]]) -> Stats:
    with_context = {
        lang: detect.detect_blocks(lines, detector=DETECTOR[0]) for lang, lines in corpus.items()
    }
    print("### Blocks: accuracy per language and length (characters)\n")
    names = ["with context", "without context", *methods]
    print("| language | length | blocks | " + " | ".join(names) + " |")
    print("|---|---|---|" + "---|" * len(names))
    seconds: dict[str, float] = defaultdict(float)
    stats: Stats = {}
    for lang, lines in corpus.items():
        hits: dict[tuple[str, str], int] = defaultdict(int)
        count: dict[str, int] = defaultdict(int)
        for i, line in enumerate(lines):
            b = bucket(line)
            count[b] += 1
            count["all"] += 1
            answers = {"with context": with_context[lang].blocks[i].language}
            t = time.perf_counter()
            answers["without context"] = detect.detect_text(line, DETECTOR[0])[0]
            seconds["without context"] += time.perf_counter() - t
            for name, fn in methods.items():
                t = time.perf_counter()
                answers[name] = fn(line)
                seconds[name] += time.perf_counter() - t
            for name, answer in answers.items():
                if answer == lang:
                    hits[(name, b)] += 1
                    hits[(name, "all")] += 1
        stats[lang] = {(n, b): (hits[(n, b)], count[b]) for n in names for b in (*BUCKETS, "all")}
        for b in (*BUCKETS, "all"):
            if not count[b]:
                continue
            cells = " | ".join(percent(hits[(n, b)], count[b]) for n in names)
            label = f"**{lang}**" if b == "all" else lang
            print(f"| {label} | {b} | {count[b]} | {cells} |")
    total = sum(len(lines) for lines in corpus.values())
    print(
        "\nTime per block: "
        + ", ".join(f"{name} {1000 * s / total:.2f} ms" for name, s in seconds.items())
    )
    print()
    return stats


def document_table(corpus: dict[str, list[str]]) -> dict[str, tuple[int, int]]:
    print(f"### Documents: whole files and chunks of {CHUNK_LINES} lines\n")
    print(
        "| language | whole file | chunks correct | reported instead | "
        "lowest confidence (correct) |"
    )
    print("|---|---|---|---|---|")
    found: dict[str, tuple[int, int]] = {}
    for lang, lines in corpus.items():
        whole = detect.detect_blocks(lines, detector=DETECTOR[0])
        chunks = [lines[i : i + CHUNK_LINES] for i in range(0, len(lines), CHUNK_LINES)]
        results = [detect.detect_blocks(chunk, detector=DETECTOR[0]) for chunk in chunks]
        right = [r for r in results if r.language == lang]
        wrong = sorted({r.language for r in results if r.language != lang})
        lowest = min((r.confidence for r in right), default=0.0)
        found[lang] = (len(right) + (whole.language == lang), len(results) + 1)
        print(
            f"| {lang} | {whole.language} ({whole.confidence:.2f}) | "
            f"{percent(len(right), len(results))} | {', '.join(wrong) or '–'} | {lowest:.2f} |"
        )
    print()
    return found


def mixed_table(corpus: dict[str, list[str]]) -> None:
    """Foreign blocks inside en/es/ja documents: one block in every five is from language F."""
    print("### Foreign blocks inside en, es, ja documents (every 5th block is foreign)\n")
    print(
        "| document | foreign | foreign blocks found | by length ≤40 / 41–120 / >120 | "
        "document blocks still right |"
    )
    print("|---|---|---|---|---|")
    for doc_lang in ("en", "es", "ja"):
        for foreign in corpus:
            if foreign == doc_lang:
                continue
            own = corpus[doc_lang]
            other = corpus[foreign]
            blocks: list[tuple[str, str]] = []
            for i, line in enumerate(own):
                blocks.append((doc_lang, line))
                if i % 4 == 3 and i // 4 < len(other):
                    blocks.append((foreign, other[i // 4]))
            result = detect.detect_blocks([text for _, text in blocks], detector=DETECTOR[0])
            found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            native = [0, 0]
            for (gold, text), got in zip(blocks, result.blocks, strict=True):
                if gold == foreign:
                    found[bucket(text)][0] += got.language == foreign
                    found[bucket(text)][1] += 1
                else:
                    native[0] += got.language == doc_lang
                    native[1] += 1
            hits = sum(v[0] for v in found.values())
            total = sum(v[1] for v in found.values())
            by_length = " / ".join(
                f"{found[b][0]}/{found[b][1]}" if found[b][1] else "–" for b in BUCKETS
            )
            print(
                f"| {doc_lang} ({result.language}) | {foreign} | {percent(hits, total)} | "
                f"{by_length} | {percent(*native)} |"
            )
    print()


def calibration_table(corpus: dict[str, list[str]]) -> None:
    """How LOW_CONFIDENCE separates wrong from right document answers (1-, 3- and 10-line docs)."""
    threshold = detect.LOW_CONFIDENCE
    print(f"### Calibration of LOW_CONFIDENCE = {threshold}\n")
    print("| document size | documents | wrong | wrong flagged (< threshold) | right flagged |")
    print("|---|---|---|---|---|")
    for size in (1, 3, CHUNK_LINES):
        results = [
            (detect.detect_blocks(lines[i : i + size], detector=DETECTOR[0]), lang)
            for lang, lines in corpus.items()
            for i in range(0, len(lines), size)
        ]
        wrong = [r.confidence for r, lang in results if r.language != lang]
        right = [r.confidence for r, lang in results if r.language == lang]
        print(
            f"| {size} line{'s' if size > 1 else ''} | {len(results)} | {len(wrong)} | "
            f"{sum(c < threshold for c in wrong)}/{len(wrong)} | "
            f"{sum(c < threshold for c in right)}/{len(right)} |"
        )
    print()


def summary_table(stats: Stats, documents: dict[str, tuple[int, int]]) -> None:
    """The compact table for the README."""
    print("### Summary (UDHR; blocks = lines, documents = whole file + 10-line chunks)\n")
    print(
        "| language | blocks ≤40 chars | 41–120 | >120 | all blocks, no context | "
        "all blocks, langdetect | documents |"
    )
    print("|---|---|---|---|---|---|---|")

    def cell(hits_total: tuple[int, int]) -> str:
        hits, total = hits_total
        return f"{100 * hits / total:.1f}%" if total else "–"

    for lang, by in stats.items():
        context = " | ".join(cell(by[("with context", b)]) for b in BUCKETS)
        alone = cell(by[("without context", "all")])
        baseline = cell(by[("langdetect (seeded)", "all")])
        print(f"| {lang} | {context} | {alone} | {baseline} | {cell(documents[lang])} |")
    print()


def startup() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    detect.detect_text("warm up the model", DETECTOR[0])
    seconds = time.perf_counter() - t
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(f"Model load + first call: {seconds * 1000:.0f} ms, peak RSS +{grown:.0f} MB\n")


def measure_lingua_startup(high: bool) -> str:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    lingua_detector(high)("warm up the model with some words")
    seconds = time.perf_counter() - t
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    mode = "high" if high else "low"
    return f"lingua {mode}: build + first call {seconds * 1000:.0f} ms, peak RSS +{grown:.0f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also measure lingua (low and high accuracy) and raw fastText",
    )
    parser.add_argument(
        "--detector",
        default=detect.DEFAULT_DETECTOR,
        choices=detect.DETECTORS,
        help="the model behind the pipeline's detector (as `pipeline detect --detector`)",
    )
    args = parser.parse_args()
    DETECTOR[0] = args.detector
    print(f"Pipeline detector: {args.detector}\n")
    if not CORPUS.is_dir():
        print(f"skipped: corpus not found at {CORPUS}", file=sys.stderr)
        return 0
    corpus = load_corpus()
    startup()
    methods = {"langdetect (seeded)": langdetect_raw()}
    if args.compare and importlib.util.find_spec("lingua") is None:
        print("lingua-language-detector is not installed: comparing with fastText only\n")
        methods["fastText raw"] = fasttext_raw()
    elif args.compare:
        print(measure_lingua_startup(False))
        print(measure_lingua_startup(True) + "\n")
        methods["lingua low"] = lingua_detector(False)
        methods["lingua high"] = lingua_detector(True)
        methods["fastText raw"] = fasttext_raw()
    stats = block_table(corpus, methods)
    mixed_table(corpus)
    documents = document_table(corpus)
    calibration_table(corpus)
    summary_table(stats, documents)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
