"""A segment's draft depends on the segment, never on what it is batched with.

For random selections of segments, random orders and random splits into engine calls (what
waves, ``--jobs``, the memory and the order of documents do to a batch), every segment's
draft equals its draft translated alone: with Apertium (whose tagger otherwise carries state
from one segment into the next) and with CTranslate2 models at beam 4, the identity model and
a noisy one whose outputs run to the decoding bound.
"""

from __future__ import annotations

import random
import re
import subprocess
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import markers
from pipeline.engines import argos_packages as packages
from pipeline.engines.apertium import ApertiumEngine
from pipeline.engines.argos import ArgosEngine
from tests.conftest import DATA, requires_apertium
from tests.fixtures import looping_models as lm
from tests.fixtures import noisy_models

# Sentences of the kind that made Apertium's drafts depend on their neighbours: a word of an
# ambiguity class the tagger was not trained on ("a lot of"), unknown words (product names),
# headings without a final stop, inline markers.
TRICKY = [
    "It takes a lot of work",
    "There is a lot of support from the rank and file.",
    "Ant supplies a number of built-in tasks allowing to compile, assemble, test and run Java applications.",
    "From a grammar, ANTLR generates a parser that can build and walk parse trees.",
    "GTK can use the cache files created by gtk-update-icon-cache to avoid a lot of system call overhead.",
    "The icons are used in many of the official GNOME applications like eog, Evince and more.",
    "Solidarity with the jailed miners",
    "It uses <g1>finite-state</g1> transducers and hidden Markov models for tagging.",
    "The Debian base system provides the basic filesystem hierarchy",
    "We demand their release, and we will run the campaign until they are free.",
]


def _pool() -> list[str]:
    statement = (DATA / "casapalca-miners.en.txt").read_text(encoding="utf-8").splitlines()
    corpus = (DATA / "corpus" / "en.txt").read_text(encoding="utf-8").splitlines()
    lines = [line.strip() for line in statement + corpus[:60] if line.strip()]
    return TRICKY + [line for line in lines if len(line) < 400][:50]


POOL = _pool()


def _batches(draw: st.DrawFn, pool_size: int) -> list[list[int]]:
    chosen = draw(st.lists(st.integers(0, pool_size - 1), min_size=1, max_size=24))
    order = draw(st.permutations(chosen))
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(order) - 1)), max_size=4)))
    bounds = [0, *[c for c in cuts if c < len(order)], len(order)]
    return [list(order[a:b]) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


batch_splits = st.composite(_batches)


# ------------------------------------------------------------------------------- Apertium


@cache
def _apertium() -> ApertiumEngine:
    return ApertiumEngine()


@cache
def _alone(index: int) -> str:
    return _apertium().translate([POOL[index]], "en", "es")[0].text


@pytest.mark.slow
@requires_apertium
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batch_splits(len(POOL)))
def test_apertium_draft_is_the_segment_alone_whatever_the_batch(batches: list[list[int]]) -> None:
    for batch in batches:
        drafts = _apertium().translate([POOL[i] for i in batch], "en", "es")
        assert [d.text for d in drafts] == [_alone(i) for i in batch]


@requires_apertium
def test_a_word_the_tagger_never_saw_does_not_change_the_next_segments() -> None:
    # "a lot of" has an ambiguity class apertium-tagger was not trained on; Apertium's own
    # stream then tags "run" as a participle in every later segment with an unknown word.
    target = TRICKY[2]
    after = _apertium().translate([TRICKY[0], target], "en", "es")[1].text
    assert after == _apertium().translate([target], "en", "es")[0].text
    assert "correr" in after


@cache
def _stock_apertium(text: str) -> str:
    """``apertium -f html`` on the one segment: Apertium's own answer, with nothing before it."""
    out = subprocess.run(
        ["apertium", "-f", "html", "eng-spa"],
        input=f"<p>{markers.to_html(text)}</p>\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return re.findall(r"<p>(.*?)</p>", out, re.S)[0]


@pytest.mark.slow
@requires_apertium
def test_each_segment_gets_what_apertium_gives_it_alone() -> None:
    batch = POOL[:30]
    engine = _apertium()
    raw = engine._run_batch(batch, "eng-spa")
    assert raw == [_stock_apertium(text) for text in batch]


# ------------------------------------------------------------------------------- CTranslate2


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ArgosEngine]:
    identity = tmp_path_factory.mktemp("identity")
    from tests.fixtures import argos_models as fx

    fx.install_identity_packages(identity, pairs=(("en", "es"),))
    noisy = tmp_path_factory.mktemp("noisy")
    built = lm._zip_package(noisy_models.noisy_model_dir(), "en", "es", noisy, "1.0")
    packages.install_file(built, noisy / "installed")
    looping = tmp_path_factory.mktemp("looping")
    looping_package = lm.build_looping_package("en", "es", looping)
    packages.install_file(looping_package, looping / "installed", force=True)
    return {
        "looping": ArgosEngine(
            models=packages.installed_models([looping / "installed"]), beam_size=4
        ),
        "identity": ArgosEngine(models=packages.installed_models([identity]), beam_size=4),
        "noisy": ArgosEngine(models=packages.installed_models([noisy / "installed"]), beam_size=4),
    }


CT2_POOL = [text for text in POOL if len(text) < 160][:40]


@pytest.mark.slow
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batch_splits(len(CT2_POOL)), st.sampled_from(["identity", "noisy", "looping"]))
def test_ctranslate2_draft_is_the_segment_alone_whatever_the_batch(
    engines: dict[str, ArgosEngine], batches: list[list[int]], model: str
) -> None:
    engine = engines[model]
    for batch in batches:
        drafts = engine.translate([CT2_POOL[i] for i in batch], "en", "es")
        alone = [engine.translate([CT2_POOL[i]], "en", "es")[0] for i in batch]
        assert [d.text for d in drafts] == [a.text for a in alone]


def test_the_noisy_model_is_sensitive_to_the_decoding_bound(
    engines: dict[str, ArgosEngine],
) -> None:
    # The property above means something only if the model's outputs can change: most of the
    # noisy model's drafts are not copies, and some run to the bound.
    drafts = engines["noisy"].translate(CT2_POOL, "en", "es")
    assert sum(d.text != text for d, text in zip(drafts, CT2_POOL, strict=True)) > len(CT2_POOL) / 2


def test_memory_key_names_the_decoding(engines: dict[str, ArgosEngine]) -> None:
    from pipeline.memory.store import MemoryKey

    route = engines["identity"].route("en", "es")
    assert route is not None and route.settings and "beam 4" in route.settings
    beam1 = ArgosEngine(models=engines["identity"].models, beam_size=1).route("en", "es")
    assert beam1 is not None and beam1 == route  # the same route …
    assert MemoryKey.from_route(beam1, "en", "es") != MemoryKey.from_route(route, "en", "es")


# ------------------------------------------------------------------------------- a whole batch


def _write_batch(folder: Path, count: int = 40) -> None:
    """``count`` statements built from the pool: a title and five to eight paragraphs each."""
    rng = random.Random(25)
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        picked = rng.sample(POOL, rng.randint(5, 8))
        title = f"Statement {n + 1}: {TRICKY[n % len(TRICKY)].rstrip('.')}"
        body = "\n\n".join(p.replace("<g1>", "*").replace("</g1>", "*") for p in picked)
        (folder / f"statement-{n + 1:02d}.md").write_text(f"# {title}\n\n{body}\n", "utf-8")


def _docx_texts(out: Path) -> dict[str, list[str]]:
    import docx

    return {
        path.name: [p.text for p in docx.Document(str(path)).paragraphs]
        for path in sorted(out.glob("*/*.es.docx"))
    }


@requires_apertium
def test_a_40_document_batch_is_the_same_text_whatever_the_waves_and_jobs(
    cli: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    _write_batch(docs)
    variants = {
        "default": [],
        "one-wave": ["--wave-tokens", "0"],
        "small-waves": ["--wave-tokens", "512"],
        "jobs-1": ["--jobs", "1"],
        "jobs-2": ["--jobs", "2"],
    }
    texts = {}
    for name, extra in variants.items():
        out = tmp_path / name
        done = cli(
            "translate", str(docs), "--to", "es", "--formats", "docx", "--engine", "apertium",
            "--no-glossary", "--out", str(out), *extra,
            env={"PIPELINE_CACHE": str(tmp_path / f"{name}.sqlite3")},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        texts[name] = _docx_texts(out)
        assert len(texts[name]) == 40
    for name, got in texts.items():
        differing = [doc for doc in got if got[doc] != texts["default"][doc]]
        assert not differing, f"{name}: {differing}"
