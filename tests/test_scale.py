"""Batches at scale: the memory under --jobs 2, incremental re-runs, streaming through the engine."""

from __future__ import annotations

import json
import random
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline.engines.base import Route, Translation
from pipeline.engines.registry import EngineSet
from pipeline.memory import TranslationMemory
from pipeline.run import run_batch
from pipeline.segment import split_sentences
from tests.fixtures.engines import BracketEngine
from tests.fixtures.stages import batch

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


SPANISH = {
    "the": "los", "workers": "trabajadores", "of": "de", "mine": "mina", "stand": "están",
    "together": "unidos", "against": "contra", "company": "empresa", "and": "y", "its": "sus",
    "guards": "guardias", "while": "mientras", "federation": "federación",
    "leaders": "dirigentes", "call": "llaman", "for": "por", "a": "una", "general": "general",
    "strike": "huelga", "in": "en", "every": "cada", "region": "región", "country": "país",
    "today": "hoy", "dr": "dr", "mr": "sr", "embassy": "embajada",
}  # fmt: skip


class SpanishWords(BracketEngine):
    """Word-for-word "Spanish" for the generated statements: the degenerate-output guard
    takes it for Spanish, so every draft is cached (a draft in the wrong language is not)."""

    def translate(self, texts, src, tgt, progress=None):  # noqa: ANN001, ANN201
        self.calls.append((src, tgt, list(texts)))
        words = re.compile(r"(<[^>]+>)|([^\W\d_]+)")
        out = [
            Translation(
                words.sub(lambda m: m.group(1) or SPANISH.get(m.group(2).lower(), m.group(2)), t)
            )
            for t in texts
        ]
        if progress:
            progress(len(texts))
        return out


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
        engine = SpanishWords()
        options = batch(
            paths=[docs], targets=["es"], formats=[], out_dir=tmp_path / out, jobs=2, cache=cache
        )
        result = run_batch(options, engines=EngineSet.with_engines("test", {"test": engine}))
        assert result.exit_code == 0, result.failures
        machine = [doc.targets["es"].machine_translated for doc in result.documents]
        assert not any(doc.targets["es"].degenerate for doc in result.documents)
        return engine, machine

    first, machine = run("first")
    assert first.calls and all(n > 0 for n in machine)
    again, machine = run("second")  # another folder: everything is rebuilt, from the memory
    assert again.calls == []
    assert machine == [0] * 12


class VersionedEngine(BracketEngine):
    """The test engine with a model version per pair (a new version is a new model)."""

    def __init__(self, versions: dict[tuple[str, str], str] | None = None) -> None:
        super().__init__()
        self.versions = versions or {}

    def route(self, src: str, tgt: str) -> Route | None:
        route = super().route(src, tgt)
        if route is None:
            return None
        return Route(route.engine, route.model, self.versions.get((src, tgt), "1"))


STATEMENTS = {
    "miners": "The miners of Casapalca have not been paid for three months.\n\n"
    "We call on every worker to stand with them until the company pays.\n",
    "teachers": "The teachers of Cusco are on strike for a decent wage.\n\n"
    "Their schools have no books, no heating and no water.\n",
    "union": "The union of the textile workers was founded in nineteen twenty.\n\n"
    "Its members meet every week in the old market hall.\n",
    "huelga": "Los mineros de Casapalca no han cobrado desde hace tres meses.\n\n"
    "Llamamos a todos los trabajadores a apoyar su lucha hasta que la empresa pague.\n",
}
GLOSSARY = """version: 1
terms:
  - en: union
    es: {es}
    ja: 労働組合
"""


def _incremental_run(tmp_path: Path, engine: BracketEngine, **extra) -> dict[str, dict]:
    from pipeline.glossary import load_glossary

    options = batch(
        paths=[tmp_path / "docs"],
        targets=["en", "es"],
        formats=["docx"],
        out_dir=tmp_path / "out",
        cache=tmp_path / "memory.sqlite3",
        glossary=load_glossary(tmp_path / "glossary.yml"),
        allow_blocking=True,  # the bracket engine's ⟦words⟧ look like English to QA
        **extra,
    )
    result = run_batch(options, engines=EngineSet.with_engines("test", {"test": engine}))
    assert result.exit_code == 0, result.failures
    reports = {p.parent.name: json.loads(p.read_text()) for p in result.reports}
    assert {job.stem for job in result.unchanged} == {
        stem for stem, report in reports.items() if report["unchanged"]
    }
    return reports


def _rebuilt(reports: dict[str, dict]) -> set[str]:
    return {stem for stem, report in reports.items() if not report["unchanged"]}


def test_unchanged_documents_are_skipped_and_exactly_the_affected_ones_rebuilt(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for stem, text in STATEMENTS.items():
        (docs / f"{stem}.txt").write_text(text, encoding="utf-8")
    glossary = tmp_path / "glossary.yml"
    glossary.write_text(GLOSSARY.format(es="sindicato"), encoding="utf-8")

    first = _incremental_run(tmp_path, VersionedEngine())
    assert _rebuilt(first) == set(STATEMENTS)
    assert first["huelga"]["detected"]["language"] == "es"

    engine = VersionedEngine()
    second = _incremental_run(tmp_path, engine)
    assert _rebuilt(second) == set() and engine.calls == []
    for stem, report in second.items():  # the content is kept, and says it is unchanged
        assert {**report, "unchanged": False} == first[stem]

    with TranslationMemory(tmp_path / "memory.sqlite3") as memory:  # a reviewer's approval
        memory.approve("en", "es", "Their schools have no books, no heating and no water.",
                       "Sus escuelas no tienen libros, ni calefacción, ni agua.", "ana")  # fmt: skip
    assert _rebuilt(_incremental_run(tmp_path, VersionedEngine())) == {"teachers"}

    glossary.write_text(GLOSSARY.format(es="gremio"), encoding="utf-8")  # a glossary edit
    assert _rebuilt(_incremental_run(tmp_path, VersionedEngine())) == {"union"}
    assert _rebuilt(_incremental_run(tmp_path, VersionedEngine())) == set()

    newer = VersionedEngine({("es", "en"): "2"})  # a new es→en model
    assert _rebuilt(_incremental_run(tmp_path, newer)) == {"huelga"}
    assert [(src, tgt) for src, tgt, _ in newer.calls] == [("es", "en")]

    damaged = tmp_path / "out" / "miners" / "miners.es.docx"  # an output damaged or deleted
    damaged.write_bytes(damaged.read_bytes()[:100])
    (tmp_path / "out" / "union" / "union.en.docx").unlink()
    assert _rebuilt(_incremental_run(tmp_path, newer)) == {"miners", "union"}

    assert _rebuilt(_incremental_run(tmp_path, newer, force=True)) == set(STATEMENTS)


def test_sentence_spans_are_those_pysbd_finds():
    import pysbd

    from pipeline.segment import _sentence_spans

    texts = _paragraphs(7, 60) + [
        "Dr. Quispe said: «No!» Then he left.  Mr. Mamani   stayed...  Why? Because.",
        "¿Qué? ¡Nada! Sr. Pérez, EE. UU. y la O.N.U. — 3.5 millones.",
        "Hello. Hello. Hello.",
        "  Leading space. Trailing space.  ",
        "「こんにちは。」と言った。さようなら。",
    ]
    for text in texts:
        for lang in ("en", "es", "ja"):
            segmenter = pysbd.Segmenter(language=lang, clean=False, char_span=True)
            expected = [(s.start, s.end) for s in segmenter.segment(text)]
            assert _sentence_spans(text, segmenter.processor(text).process()) == expected


def test_writers_in_worker_processes_write_every_document_and_report_failures(tmp_path):
    import docx

    docs = tmp_path / "docs"
    docs.mkdir()
    for stem in ("miners", "teachers", "union"):
        (docs / f"{stem}.txt").write_text(STATEMENTS[stem], encoding="utf-8")
    out = tmp_path / "out"
    (out / "union").mkdir(parents=True)
    (out / "union" / "union.es.pdf").mkdir()  # a folder where the PDF should go
    options = batch(paths=[docs], targets=["es"], out_dir=out, jobs=2, allow_blocking=True)
    result = run_batch(options, engines=EngineSet.with_engines("test", {"test": BracketEngine()}))
    for stem in ("miners", "teachers"):
        written = docx.Document(str(out / stem / f"{stem}.es.docx"))
        assert any("⟦" in p.text for p in written.paragraphs)
        assert (out / stem / f"{stem}.es.pdf").read_bytes().startswith(b"%PDF")
    assert [f.path for f in result.failures] == [str(docs / "union.txt")]
    assert "union.es.pdf" in result.failures[0].reason
    assert "\n" not in result.failures[0].reason
