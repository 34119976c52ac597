"""Batches at scale: the memory under --jobs 2, incremental re-runs, streaming through the engine."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline.engines.registry import EngineSet
from pipeline.jobs import RunOptions
from pipeline.run import run_batch
from pipeline.segment import split_sentences
from tests.fixtures.engines import BracketEngine

WORDS = [
    "the",
    "workers",
    "of",
    "the",
    "mine",
    "stand",
    "together",
    "against",
    "the",
    "company",
    "and",
    "its",
    "guards",
    "while",
    "federation",
    "leaders",
    "call",
    "for",
    "a",
    "general",
    "strike",
    "in",
    "every",
    "region",
    "of",
    "the",
    "country",
    "today",
]


def _paragraphs(seed: int, count: int) -> list[str]:
    """Paragraphs of 2–6 sentences of varied length (some with "Dr." and "U.S.")."""
    rng = random.Random(seed)
    paragraphs = []
    for _ in range(count):
        sentences = []
        for _ in range(rng.randint(2, 6)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(4, 24))]
            if rng.random() < 0.2:
                words.insert(1, rng.choice(["Dr. Quispe", "the U.S. embassy", "Mr. Mamani"]))
            sentences.append(" ".join(words).capitalize() + rng.choice([".", "!", "?"]))
        paragraphs.append(" ".join(sentences))
    return paragraphs


def test_sentence_splitting_is_the_same_from_two_threads():
    """pysbd segmenters keep the text in an attribute: shared between threads they cut one
    text at the offsets of another."""
    texts = _paragraphs(1, 300)
    serial = [split_sentences(t, "en") for t in texts]
    with ThreadPoolExecutor(2) as pool:
        threaded = list(pool.map(lambda t: split_sentences(t, "en"), texts))
    assert threaded == serial


def _batch(folder: Path, documents: int, paragraphs: int = 12) -> Path:
    folder.mkdir()
    for n in range(documents):
        text = "\n\n".join(_paragraphs(100 + n, paragraphs))
        (folder / f"statement-{n:02d}.txt").write_text(text + "\n", encoding="utf-8")
    return folder


def test_a_rerun_at_jobs_2_makes_no_engine_call(tmp_path):
    docs = _batch(tmp_path / "docs", 12)
    cache = tmp_path / "memory.sqlite3"

    def run(out: str) -> tuple[BracketEngine, list[int]]:
        engine = BracketEngine()
        options = RunOptions(
            paths=[docs], targets=["es"], formats=[], out_dir=tmp_path / out, jobs=2, cache=cache
        )
        result = run_batch(options, engines=EngineSet.with_engines("test", {"test": engine}))
        assert result.exit_code == 0, result.failures
        machine = [job.targets["es"].machine_translated for job in result.jobs]
        return engine, machine

    first, machine = run("first")
    assert first.calls and all(n > 0 for n in machine)
    again, machine = run("second")  # another folder: everything is rebuilt, from the memory
    assert again.calls == []
    assert machine == [0] * 12
