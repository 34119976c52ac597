"""The guard in the translate stage, with real models: looping Argos packages built from numpy,
a package whose model is garbage, Apertium as the next engine; and the install load test."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from pipeline.document import Segment
from pipeline.engines import argos_packages as models
from pipeline.engines.apertium import ApertiumEngine
from pipeline.engines.argos import ArgosEngine
from pipeline.engines.known_bad import KNOWN_BAD
from pipeline.engines.registry import EngineSet
from pipeline.jobs import Prepared
from pipeline.memory import MemoryKey, TranslationMemory
from tests.conftest import requires_apertium
from tests.fixtures import argos_models as fx
from tests.fixtures import looping_models as lm
from tests.fixtures import stages
from tests.fixtures.engines import BracketEngine, LoopingEngine

SPANISH = [
    "Los mineros de Casapalca exigen justicia.",
    "¡Viva la lucha de los trabajadores!",
    "El sindicato convoca una huelga general.",
    "Las familias piden agua limpia.",
]
LOOP = "de de de"


@dataclass
class _Job:
    """A prepared document and, once translated, its targets."""

    prepared: Prepared
    langs: tuple[str, ...]
    targets: dict[str, stages.Target] = field(default_factory=dict)

    @property
    def segments(self) -> tuple[Segment, ...]:
        return self.prepared.segments


def _job(tmp_path: Path, texts: list[str], lang: str = "es", targets=("en",)) -> _Job:
    return _Job(stages.prepared(tmp_path, texts, lang, "statement.txt"), tuple(targets))


def _install(folder: Path, *packages: Path, force: bool = False) -> list[models.InstalledModel]:
    for package in packages:
        models.install_file(package, folder, force=force)
    return models.installed_models([folder])


@pytest.fixture(scope="module")
def looping(tmp_path_factory: pytest.TempPathFactory) -> list[models.InstalledModel]:
    """Only a looping es→en model, and an identity en→ja one (es→ja pivots through it)."""
    work = tmp_path_factory.mktemp("looping")
    stubborn = lm.build_looping_package("es", "en", work)
    _install(work / "packages", stubborn, force=True)  # it loops on the install test too
    return _install(work / "packages", fx.cached_package("en", "ja"))


def _translate(job: _Job, engines: EngineSet, memory: TranslationMemory | None = None):
    job.targets = stages.translate([job.prepared], engines, memory, targets=job.langs)[0]
    return stages.report(job.prepared, job.targets)


# --- real looping models ------------------------------------------------------------------------


@requires_apertium
def test_auto_takes_a_looping_pair_from_apertium_and_counts_it(tmp_path, looping) -> None:
    engines = EngineSet.with_engines(
        "auto", {"argos": ArgosEngine(models=looping), "apertium": ApertiumEngine()}
    )
    job = _job(tmp_path, SPANISH)
    data = _translate(job, engines)
    target = data["targets"]["en"]
    assert target["engine"] == "apertium" and "error" not in target
    assert target["degenerate"] == len(SPANISH)
    assert target["degenerate_handling"] == {"redecoded": 0, "fallback": 4, "source": 0}
    drafts = job.targets["en"].translations
    assert not any(LOOP in d for d in drafts)
    assert "miners" in drafts[0].lower()
    findings = [q for q in target["qa"] if q["check"] == "degenerate"]
    assert len(findings) == len(SPANISH)
    assert "argos-es-en 1.0" in findings[0]["detail"] and "apertium" in findings[0]["detail"]
    [note] = engines.notes
    assert (
        note.startswith("es→en: argos-es-en 1.0 produces repeated text (")
        and "of 4 segments" in note
    )
    assert note.endswith("the whole pair taken from apertium instead")


def test_argos_alone_fails_the_pair_naming_the_model(tmp_path, looping) -> None:
    engines = EngineSet.with_engines("argos", {"argos": ArgosEngine(models=looping)})
    job = _job(tmp_path, SPANISH, targets=("en", "ja"))
    data = _translate(job, engines)
    for lang in ("en", "ja"):
        error = data["targets"][lang]["error"]
        assert "argos-es-en" in error and "produces repeated text" in error, error
        assert "nothing was written for this language" in error
    assert data["targets"]["ja"]["error"].startswith("argos-es-en+argos-en-ja 1.0+1.0 produces")


def test_a_looping_draft_is_never_cached_and_a_cached_loop_is_not_reused(tmp_path, looping):
    memory = TranslationMemory(tmp_path / "memory.sqlite3")
    engines = EngineSet.with_engines("argos", {"argos": ArgosEngine(models=looping)})
    _translate(_job(tmp_path, SPANISH), engines, memory)
    route = ArgosEngine(models=looping).route("es", "en")
    assert route is not None
    key = MemoryKey.from_route(route, "es", "en", "")
    assert memory.get_cached_entries(key, SPANISH) == {}
    # A loop cached before the guard existed is refused and translated again.
    memory.put_cached(key, [(SPANISH[0], "de de de de de de de de", ())])
    identity = _install(tmp_path / "identity", fx.cached_package("es", "en"))
    engines = EngineSet.with_engines("argos", {"argos": ArgosEngine(models=identity)})
    job = _job(tmp_path, SPANISH[:1])
    _translate(job, engines, memory)
    assert job.targets["en"].translations == SPANISH[:1]  # the identity model's copy
    assert job.targets["en"].from_memory == 0
    memory.close()


def test_a_model_that_loops_only_under_beam_search_is_decoded_again(tmp_path) -> None:
    package = lm.build_looping_package("es", "en", tmp_path, bias=lm.RESCUABLE_BIAS)
    installed = _install(tmp_path / "packages", package, force=True)
    engine = ArgosEngine(models=installed)
    assert LOOP in engine.translate(SPANISH[:1], "es", "en")[0].text  # it does loop
    job = _job(tmp_path, SPANISH)
    data = _translate(job, EngineSet.with_engines("argos", {"argos": engine}))
    target = data["targets"]["en"]
    assert "error" not in target and target["engine"] == "argos"
    assert target["degenerate_handling"]["redecoded"] == target["degenerate"] > 0
    assert not any(LOOP in d for d in job.targets["en"].translations)
    findings = [q for q in target["qa"] if q["check"] == "degenerate"]
    assert "decoded again" in findings[0]["detail"]


# --- a model that degenerates on some inputs only ---------------------------------------------


def test_a_few_degenerate_segments_are_kept_as_source_and_marked(tmp_path) -> None:
    engines = EngineSet.with_engines("looping", {"looping": LoopingEngine(trigger="huelga")})
    job = _job(tmp_path, SPANISH)
    data = _translate(job, engines)
    target = data["targets"]["en"]
    assert "error" not in target
    assert target["degenerate"] == 1
    assert target["degenerate_handling"] == {"redecoded": 0, "fallback": 0, "source": 1}
    assert job.targets["en"].translations[2] == SPANISH[2]
    assert job.targets["en"].origins[2] == "degenerate"
    [finding] = [q for q in target["qa"] if q["check"] == "degenerate"]
    assert finding["segment"] == job.segments[2].id
    assert "looper 0.1" in finding["detail"] and "left as the source text" in finding["detail"]
    # QA's own checks do not run on the kept source text (it is not a draft)
    assert [q["check"] for q in target["qa"] if q["segment"] == finding["segment"]] == [
        "degenerate"
    ]
    assert "1 of 4 segments" in engines.notes[0]


def test_argos_alone_says_how_to_replace_a_broken_model(tmp_path, looping) -> None:
    engines = EngineSet.with_engines("argos", {"argos": ArgosEngine(models=looping)})
    error = _translate(_job(tmp_path, SPANISH), engines)["targets"]["en"]["error"]
    assert error.endswith("see `pipeline doctor`, and install another version of the model")


def test_auto_takes_a_few_degenerate_segments_from_the_next_engine(tmp_path) -> None:
    engines = EngineSet.with_engines(
        "auto",
        {"argos": LoopingEngine(trigger="huelga"), "apertium": BracketEngine()},
    )
    engines.options = replace(engines.options, choice="auto")
    # the registry's auto order is argos then apertium; the doubles stand in for them
    job = _job(tmp_path, SPANISH)
    data = _translate(job, engines)
    target = data["targets"]["en"]
    assert target["engine"] == "looping"  # the pair's engine; one segment from the next one
    assert target["degenerate_handling"] == {"redecoded": 0, "fallback": 1, "source": 0}
    assert job.targets["en"].translations[2].startswith("⟦El⟧")
    assert "1 segment taken from test instead" in engines.notes[0]


# --- known-bad and unloadable models at run time -----------------------------------------------


@pytest.fixture
def known_bad_es_en(tmp_path: Path) -> list[models.InstalledModel]:
    """es→en 1.9 (on the shipped known-bad list), installed with --force."""
    bad = next(b for b in KNOWN_BAD if b.package == "translate-es_en")
    package = fx.build_package("es", "en", tmp_path, version=bad.version)
    return _install(tmp_path / "packages", package, force=True)


@requires_apertium
def test_auto_prefers_apertium_over_a_known_bad_model(tmp_path, known_bad_es_en) -> None:
    engines = EngineSet.with_engines(
        "auto", {"argos": ArgosEngine(models=known_bad_es_en), "apertium": ApertiumEngine()}
    )
    job = _job(tmp_path, SPANISH[:1])
    data = _translate(job, engines)
    assert data["targets"]["en"]["engine"] == "apertium"
    [note] = engines.notes
    assert "argos-es-en 1.9 is a known-bad model" in note and note.endswith(
        "using apertium instead"
    )
    assert "argos-translate/issues/504" in note


def test_argos_alone_flags_a_known_bad_model_and_uses_it(tmp_path, known_bad_es_en) -> None:
    engines = EngineSet.with_engines("argos", {"argos": ArgosEngine(models=known_bad_es_en)})
    data = _translate(_job(tmp_path, SPANISH[:1]), engines)
    assert data["targets"]["en"]["engine"] == "argos"
    [note] = engines.notes
    assert note.startswith("es→en: argos-es-en 1.9 is a known-bad model")


@pytest.fixture
def unloadable(tmp_path: Path) -> list[models.InstalledModel]:
    """An es→en package that installed fine and was damaged afterwards."""
    installed = _install(tmp_path / "packages", fx.cached_package("es", "en"))
    (installed[0].path / "model" / "model.bin").write_bytes(b"\0garbage" * 64)
    return installed


@requires_apertium
def test_auto_falls_back_when_a_model_does_not_load(tmp_path, unloadable) -> None:
    engines = EngineSet.with_engines(
        "auto", {"argos": ArgosEngine(models=unloadable), "apertium": ApertiumEngine()}
    )
    job = _job(tmp_path, SPANISH[:1])
    data = _translate(job, engines)
    assert data["targets"]["en"]["engine"] == "apertium"
    [note] = engines.notes
    assert "cannot load the Argos model argos-es-en" in note
    assert note.endswith("using apertium instead")


def test_argos_alone_fails_in_one_line_when_a_model_does_not_load(tmp_path, unloadable) -> None:
    engines = EngineSet.with_engines("argos", {"argos": ArgosEngine(models=unloadable)})
    data = _translate(_job(tmp_path, SPANISH[:1]), engines)
    error = data["targets"]["en"]["error"]
    assert error.startswith("cannot load the Argos model argos-es-en") and "\n" not in error


# --- install: the load test ----------------------------------------------------------------------


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_garbage_model_is_refused_and_the_working_one_stays(tmp_path) -> None:
    folder = tmp_path / "packages"
    _install(folder, fx.cached_package("es", "en"))
    before = _snapshot(folder)
    garbage = lm.build_garbage_package("es", "en", tmp_path, version="2.0")
    with pytest.raises(models.ModelError) as caught:
        models.install_file(garbage, folder)
    message = str(caught.value)
    assert message.startswith(f"{garbage}: the package does not work: CTranslate2 cannot load")
    assert message.endswith("nothing was installed") and "\n" not in message
    assert ".pipeline-models-" not in message  # the staging folder is not the user's business
    assert _snapshot(folder) == before
    [model] = models.installed_models([folder])
    assert model.version == "1.0"
    assert ArgosEngine(models=[model]).translate(SPANISH[:1], "es", "en")[0].text == SPANISH[0]
    assert list(folder.parent.glob(".pipeline-models-*")) == []


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("from_code", "../../x", "metadata.json: from_code '../../x' is not a known language code"),
        ("to_code", "EN", "metadata.json: to_code 'EN' is not a known language code"),
        ("to_code", "xx", "metadata.json: to_code 'xx' is not a known language code"),
        ("from_code", None, "metadata.json: from_code is missing"),
        ("from_code", 7, "metadata.json: from_code is missing"),
    ],
)
def test_language_codes_are_checked(tmp_path, field, value, expected) -> None:
    good = fx.cached_package("es", "en")
    bad = tmp_path / "bad.argosmodel"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(bad, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("metadata.json"):
                meta = json.loads(data)
                meta[field] = value
                data = json.dumps(meta).encode()
            target.writestr(info, data)
    with pytest.raises(models.ModelError, match="nothing was installed") as caught:
        models.install_file(bad, tmp_path / "packages")
    assert expected in str(caught.value)
    assert not (tmp_path / "x").exists()


def test_a_model_that_loops_on_the_test_sentence_needs_force(tmp_path) -> None:
    folder = tmp_path / "packages"
    package = lm.build_looping_package("es", "en", tmp_path)
    with pytest.raises(models.ModelError) as caught:
        models.install_file(package, folder)
    message = str(caught.value)
    assert message.startswith(
        f"{package}: the package does not work: it translates the test sentence "
        "'Trabajadores del mundo, uníos.' as repeated text"
    )
    assert message.endswith("nothing was installed (add --force to install it anyway)")
    assert models.installed_models([folder]) == []
    [model] = _install(folder, package, force=True)
    assert model.version == "1.0"


def test_a_broken_known_bad_model_is_named_with_its_report(tmp_path) -> None:
    bad = next(b for b in KNOWN_BAD if b.package == "translate-es_en")
    package = lm.build_looping_package("es", "en", tmp_path, version=bad.version)
    installed = _install(tmp_path / "packages", package, force=True)
    engines = EngineSet.with_engines("argos", {"argos": ArgosEngine(models=installed)})
    data = _translate(_job(tmp_path, SPANISH), engines)
    error = data["targets"]["en"]["error"]
    assert error.startswith(f"argos-es-en {bad.version} produces repeated text (")
    assert f"argos-es-en {bad.version} is a known-bad model" in error
    assert bad.links[0] in error and "\n" not in error


def test_a_source_text_kept_for_a_degenerate_draft_is_not_approved_unchanged(tmp_path) -> None:
    from pipeline.review import (
        import_review,
        segment_entry,
        sidecar_path,
        write_review_files,
        write_sidecar,
    )

    rows = [
        ("b0.s0", SPANISH[0], "The miners of Casapalca demand justice.", "machine"),
        ("b1.s0", SPANISH[2], SPANISH[2], "degenerate"),
    ]
    entries = [segment_entry(i, s, t, "es", "en", block=n, origin=o) for n, (i, s, t, o) in
               enumerate(rows)]  # fmt: skip
    sidecar = write_sidecar(
        sidecar_path(tmp_path / "out" / "doc", "doc", "es", "en"),
        document="doc", src="es", tgt="en", segments=entries,
        source_path="/statements/doc.txt", source_sha256="0" * 64,
        engine="argos", model="argos-es-en",
    )  # fmt: skip
    files = write_review_files(sidecar)
    with TranslationMemory(tmp_path / "memory.sqlite3") as memory:
        result = import_review(files["docx"], memory, "ana", approve_unchanged=True)
    assert [c.segment for c in result.corrections] == ["b0.s0"]
    [refused] = result.refused
    assert refused.segment == "b1.s0" and "the draft is the source text" in refused.reason
