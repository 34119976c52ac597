"""Translation quality of every installed route on a parallel test set: chrF, BLEU, glossary
compliance and degenerate output.

Run from the repository root::

    python -m benchmarks.quality                                  # benchmarks/data/udhr-en-es.tsv, en→es and es→en
    python -m benchmarks.quality my-set.tsv --from en --to ja     # your own texts
    python -m benchmarks.quality flores.tsv --from en --to ja --routes argos,nllb-200-600m

The test set is a TSV file with one segment per line: source, tab, reference. A first line
naming the two languages (``en<TAB>es``) lets the same file serve both directions (columns are
picked by ``--from``/``--to``); without it the first column is the source. Routes are every
engine and installed model that covers the direction on this machine: Apertium, Argos (a model
or an English pivot), each installed CTranslate2 model (OPUS-MT, NLLB-200, M2M-100), and a
LibreTranslate server with ``--url``. ``--routes`` keeps some of them (names as in engines.yml).

Per route it prints chrF and BLEU (sacrebleu, corpus level; BLEU with the ``13a`` tokenizer, or
``char`` for a Japanese target, since MeCab is not installed here) without and with the
movement glossary (``glossary.yml``, through the engine's own glossary strategy, as the
pipeline translates), glossary compliance, the number of degenerate outputs and the seconds.
The first row is the baseline in the same process: the source copied as the output. Degenerate
outputs are counted with the pipeline's guard (``pipeline.engines.guard.check``, with the
pipeline's language detector, as the translate stage calls it) when it is installed, else with this file's own check (a word or phrase repeated three times in a row, or
one 1-3-gram making up half of a long output, that the source does not have); the header says
which.

``--make-udhr`` rebuilds ``benchmarks/data/udhr-en-es.tsv`` from ``../shared/corpora/udhr``
(eng.txt, spa.txt: the 30 articles, aligned by article number; the UDHR is free to reproduce).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
UDHR_TSV = ROOT / "benchmarks" / "data" / "udhr-en-es.tsv"
SHARED_UDHR = ROOT.parent / "shared" / "corpora" / "udhr"
GLOSSARY = ROOT / "glossary.yml"
LANGS = ("en", "es", "ja")


# --- the test set ----------------------------------------------------------------------------


def read_tsv(path: Path, src: str, tgt: str) -> tuple[list[str], list[str]]:
    """(sources, references) for src→tgt from a TSV file (see the module docstring)."""
    rows = [
        line.split("\t")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    if not rows:
        raise SystemExit(f"{path}: no segments")
    header = [c.strip() for c in rows[0]]
    if len(header) == 2 and all(c in LANGS for c in header):
        if {src, tgt} != set(header):
            raise SystemExit(f"{path}: its columns are {header[0]}, {header[1]}, not {src}, {tgt}")
        a, b = header.index(src), header.index(tgt)
        rows = rows[1:]
    else:
        a, b = 0, 1
    bad = [i for i, r in enumerate(rows, 2) if len(r) != 2]
    if bad:
        raise SystemExit(f"{path}: line {bad[0]}: expected source<TAB>reference")
    return [r[a].strip() for r in rows], [r[b].strip() for r in rows]


def _udhr_articles(path: Path, heading: str) -> dict[int, str]:
    articles: dict[int, list[str]] = {}
    current: int | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        match = re.fullmatch(rf"{heading}\s+(\d+)", text)
        if match:
            current = int(match.group(1))
            articles[current] = []
        elif text and current is not None:
            articles[current].append(text)
    return {n: " ".join(parts) for n, parts in articles.items() if parts}


def make_udhr_tsv(udhr: Path = SHARED_UDHR, target: Path = UDHR_TSV) -> int:
    """Write the en–es UDHR set (one article per line); returns the number of articles."""
    if not (udhr / "eng.txt").is_file():
        raise SystemExit(f"the shared UDHR corpus is absent ({udhr}); give --udhr DIR")
    en = _udhr_articles(udhr / "eng.txt", "Article")
    es = _udhr_articles(udhr / "spa.txt", "Artículo")
    numbers = sorted(set(en) & set(es))
    lines = ["en\tes"] + [f"{en[n]}\t{es[n]}" for n in numbers]
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(target)
    return len(numbers)


# --- degenerate output -------------------------------------------------------------------------

_WORDS = re.compile(r"\w+", re.UNICODE)


def _own_degenerate(source: str, output: str) -> bool:
    """A word or phrase (1-3 words) repeated three times in a row, or one n-gram making up
    half of an output of 8+ words, that the source does not show."""

    def flags(text: str) -> bool:
        words = [w.lower() for w in _WORDS.findall(text)]
        for n in (1, 2, 3):
            for i in range(len(words) - 3 * n + 1):
                if words[i : i + n] == words[i + n : i + 2 * n] == words[i + 2 * n : i + 3 * n]:
                    return True
            grams = Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
            if len(words) >= 8 and grams and grams.most_common(1)[0][1] * n >= len(words) / 2:
                return True
        return bool(re.search(r"(\w{3,})\1{3,}", text))

    return flags(output) and not flags(source)


def degenerate_counter() -> tuple[str, Callable[[str, str, str, str], bool]]:
    """(description, is_degenerate(source, output, src, tgt)): the guard's when installed."""
    import importlib

    try:
        check = importlib.import_module("pipeline.engines.guard").check
    except (ImportError, AttributeError):
        return "own repeated n-gram check (pipeline.engines.guard not installed)", (
            lambda s, o, _a, _b: _own_degenerate(s, o)
        )
    from pipeline.detect import detect_text

    return "pipeline.engines.guard.check with the pipeline's detector", (
        lambda s, o, a, b: check(s, o, a, b, detect_text) is not None
    )


# --- routes ----------------------------------------------------------------------------------


@dataclass
class Candidate:
    name: str
    engine: Any
    model: str


def routes_for(src: str, tgt: str, url: str | None) -> list[Candidate]:
    """Every installed engine/model that covers src→tgt on this machine."""
    from pipeline.engines.apertium import ApertiumEngine
    from pipeline.engines.argos import ArgosEngine
    from pipeline.engines.ct2 import FamilyEngine
    from pipeline.engines.ct2_models import installed_family_models

    found: list[Candidate] = []
    apertium = ApertiumEngine()
    if apertium.available() and (route := apertium.route(src, tgt)):
        found.append(Candidate("apertium", apertium, route.model or "apertium"))
    argos = ArgosEngine()
    if route := argos.route(src, tgt):
        found.append(Candidate("argos", argos, f"{route.model} {route.version}"))
    for model in installed_family_models():
        engine = FamilyEngine(only=model.name)
        if route := engine.route(src, tgt):
            found.append(
                Candidate(model.name, engine, f"{model.manifest.family}, {model.manifest.licence}")
            )
    if url:
        from pipeline.engines.libretranslate import LibreTranslateEngine

        lt = LibreTranslateEngine(url)
        if route := lt.route(src, tgt):
            found.append(Candidate("libretranslate", lt, url))
    return found


# --- measuring -------------------------------------------------------------------------------


@dataclass
class Result:
    route: str
    model: str
    chrf: float
    bleu: float
    chrf_glossary: float
    bleu_glossary: float
    compliance: float
    occurrences: int
    applied: int
    degenerate: int
    segments: int
    seconds: float

    def row(self, baseline: Result) -> str:
        ratio = self.chrf / baseline.chrf if baseline.chrf else 0.0
        return (
            f"{self.route:<22} {self.chrf:6.1f} {self.bleu:6.1f} {self.chrf_glossary:7.1f} "
            f"{self.bleu_glossary:7.1f} {self.compliance:7.1%} {self.applied:4d}/{self.occurrences:<4d} "
            f"{self.degenerate:5d}/{self.segments:<3d} {self.seconds:7.1f} {ratio:6.2f}x"
        )


HEADER = (
    f"{'route':<22} {'chrF':>6} {'BLEU':>6} {'chrF+g':>7} {'BLEU+g':>7} {'glossary':>7} "
    f"{'applied':>9} {'degen.':>9} {'seconds':>7} {'chrF vs copy':>8}"
)


def scores(outputs: Sequence[str], references: Sequence[str], tgt: str) -> tuple[float, float]:
    """(chrF, BLEU) at corpus level."""
    import sacrebleu

    chrf = sacrebleu.corpus_chrf(list(outputs), [list(references)]).score
    tokenize = "char" if tgt == "ja" else "13a"
    bleu = sacrebleu.corpus_bleu(list(outputs), [list(references)], tokenize=tokenize).score
    return chrf, bleu


def _translate(engine: Any, texts: list[str], src: str, tgt: str) -> list[str]:
    from pipeline import markers

    if not engine.markup:
        texts = [markers.strip(t) for t in texts]
    return [t.text for t in engine.translate(texts, src, tgt)]


def measure(
    candidate: Candidate | None,
    sources: list[str],
    references: list[str],
    src: str,
    tgt: str,
    glossary: Any,
    degenerate: Callable[[str, str, str, str], bool],
) -> Result:
    """One route (None: the copy baseline) without and with the glossary."""
    from pipeline.glossary import protect, restore, verify

    ids = [f"s{i}" for i in range(len(sources))]
    start = time.perf_counter()
    plain = list(sources) if candidate is None else _translate(candidate.engine, sources, src, tgt)
    seconds = time.perf_counter() - start
    with_glossary = plain
    if candidate is not None and glossary is not None:
        protected = protect(glossary, sources, src, tgt, candidate.engine.glossary_strategy)
        with_glossary = restore(_translate(candidate.engine, protected.texts, src, tgt), protected)
    report = verify(glossary, sources, with_glossary, src, tgt, ids) if glossary else None
    chrf, bleu = scores(plain, references, tgt)
    chrf_g, bleu_g = scores(with_glossary, references, tgt)
    return Result(
        route="copy (baseline)" if candidate is None else candidate.name,
        model="source as output" if candidate is None else candidate.model,
        chrf=chrf,
        bleu=bleu,
        chrf_glossary=chrf_g,
        bleu_glossary=bleu_g,
        compliance=report.compliance if report else 1.0,
        occurrences=report.occurrences if report else 0,
        applied=report.applied if report else 0,
        degenerate=sum(degenerate(s, o, src, tgt) for s, o in zip(sources, plain, strict=True)),
        segments=len(sources),
        seconds=seconds,
    )


def run(
    path: Path,
    directions: list[tuple[str, str]],
    only: set[str] | None,
    url: str | None,
    as_json: bool,
) -> int:
    from pipeline.glossary import load_glossary

    glossary = load_glossary(GLOSSARY) if GLOSSARY.is_file() else None
    how, degenerate = degenerate_counter()
    results: dict[str, list[Result]] = {}
    for src, tgt in directions:
        sources, references = read_tsv(path, src, tgt)
        candidates = [c for c in routes_for(src, tgt, url) if not only or c.name in only]
        rows = [measure(None, sources, references, src, tgt, glossary, degenerate)]
        rows += [
            measure(c, sources, references, src, tgt, glossary, degenerate) for c in candidates
        ]
        results[f"{src}-{tgt}"] = rows
        if not as_json:
            print(f"\n{src}→{tgt}: {path.name}, {len(sources)} segments; degenerate: {how}")
            print(HEADER)
            for r in rows:
                print(r.row(rows[0]) + f"   ({r.model})")
            if not candidates:
                print("  no installed route covers this direction")
    if as_json:
        print(json.dumps({k: [vars(r) for r in v] for k, v in results.items()}, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tsv", nargs="?", type=Path, default=UDHR_TSV, help="source<TAB>reference")
    parser.add_argument("--from", dest="src", choices=LANGS, help="source language")
    parser.add_argument("--to", dest="tgt", choices=LANGS, help="target language")
    parser.add_argument("--routes", help="comma-separated routes to keep (apertium, argos, MODEL)")
    parser.add_argument("--url", help="also measure a LibreTranslate server")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--make-udhr", action="store_true", help=f"rebuild {UDHR_TSV.name}")
    parser.add_argument(
        "--udhr", type=Path, default=SHARED_UDHR, help="the UDHR corpus folder (--make-udhr)"
    )
    args = parser.parse_args(argv)
    if args.make_udhr:
        print(f"{UDHR_TSV}: {make_udhr_tsv(args.udhr)} articles")
        return 0
    if args.src and args.tgt:
        directions = [(args.src, args.tgt)]
    elif args.tsv == UDHR_TSV and not (args.src or args.tgt):
        directions = [("en", "es"), ("es", "en")]
    else:
        parser.error("give --from and --to")
    only = {r.strip() for r in args.routes.split(",")} if args.routes else None
    return run(args.tsv, directions, only, args.url, args.json)


if __name__ == "__main__":
    sys.exit(main())
