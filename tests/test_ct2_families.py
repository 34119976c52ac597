"""CTranslate2 model families: NLLB-style folders with a manifest, OPUS-MT zips converted by
CTranslate2's own converter, the ctranslate2 engine, engines.yml, and the CLI around them.

The models are real (tests/fixtures/ct2_families.py builds them from numpy): they copy their
input, so every test compares exact text.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from pipeline.engines import ct2_models, opus_mt
from pipeline.engines.base import EngineError, Route
from pipeline.engines.ct2 import FamilyEngine
from pipeline.engines.ct2_manifest import FamilyModelError, parse_manifest
from pipeline.engines.ct2_runtime import load_family_model
from pipeline.engines.registry import EngineOptions, EngineSet
from pipeline.engines.routes import RoutesError, load_routes, parse_routes
from tests.conftest import requires_apertium
from tests.fixtures import ct2_families as fx

ALL_TEXT = fx.TEXT["en"] + fx.TEXT["es"] + fx.TEXT["ja"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The NLLB-style folder and the OPUS-MT-style zip, built once for the module."""
    root = tmp_path_factory.mktemp("families")
    return {
        "nllb": fx.build_nllb_folder(root / "nllb-200-test"),
        "opus": fx.build_opus_mt_zip(root, "ja", "en"),
        "root": root,
    }


@pytest.fixture
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty models folder, selected as users select it (PIPELINE_MODELS_DIR)."""
    folder = tmp_path / "models"
    monkeypatch.setenv("PIPELINE_MODELS_DIR", str(folder))
    return folder


def snapshot(folder: Path) -> dict[str, int]:
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


# --- NLLB-style -------------------------------------------------------------------------------


def test_nllb_style_folder_installs_and_translates_every_direction_exactly(
    built: dict[str, Path], models_dir: Path
) -> None:
    model = ct2_models.install_model_folder(built["nllb"])
    assert model.path == models_dir / "nllb-test"
    assert model.manifest.family == "nllb"
    assert model.manifest.licence == "CC-BY-NC-4.0" and model.manifest.non_commercial
    assert set(model.manifest.pairs) == {
        (s, t) for s in ("en", "es", "ja") for t in ("en", "es", "ja") if s != t
    }
    assert (built["nllb"] / "pipeline-model.yml").is_file()  # the source folder is untouched
    engine = FamilyEngine()
    for src, tgt in (("en", "es"), ("es", "ja"), ("ja", "en")):
        assert engine.route(src, tgt) == Route("ctranslate2", "nllb-test", "test-1", None)
        result = engine.translate(ALL_TEXT, src, tgt)
        assert [t.text for t in result] == ALL_TEXT
    assert engine.translate(["", "  "], "en", "es")[0].text == ""


def test_nllb_style_model_copies_only_with_its_language_tokens(
    built: dict[str, Path], models_dir: Path
) -> None:
    """The raw model: without the target prefix the output starts with the source language
    token; without the source token the first piece is lost. The engine gives both."""
    model = ct2_models.install_model_folder(built["nllb"])
    loaded = load_family_model(model.manifest, model.path)
    pieces = loaded.source_sp.encode("We stand in solidarity.", out_type=str)
    translator = loaded.translator

    def raw(source: list[str], prefix: list[str] | None) -> list[str]:
        options = {"target_prefix": [prefix]} if prefix else {}
        return translator.translate_batch([source], beam_size=1, **options)[0].hypotheses[0]

    full = ["eng_Latn", *pieces, "</s>"]
    assert raw(full, ["spa_Latn"]) == ["spa_Latn", *pieces]
    assert raw(full, None)[0] == "eng_Latn"  # no prefix: not a copy
    assert raw([*pieces, "</s>"], ["spa_Latn"])[1:] != pieces  # no source token: first piece lost
    wrapping = loaded.wrapping("en", "es")
    assert (wrapping.source_prefix, wrapping.source_suffix, wrapping.target_prefix) == (
        ("eng_Latn",),
        ("</s>",),
        ("spa_Latn",),
    )
    assert loaded.wrapping("ja", "es").source_prefix == ("jpn_Jpan",)
    assert loaded.wrapping("es", "ja").target_prefix == ("jpn_Jpan",)


def test_family_tokens_and_manifest_problems_are_one_line() -> None:
    nllb = parse_manifest(
        {
            "name": "nllb-200-600m",
            "family": "nllb",
            "licence": "CC-BY-NC-4.0",
            "languages": ["en", "ja"],
        },
        "m.yml",
    )
    assert dict(nllb.tokens) == {"en": "eng_Latn", "ja": "jpn_Jpan"}
    assert nllb.pairs == (("en", "ja"), ("ja", "en")) and nllb.non_commercial
    m2m = parse_manifest(
        {"name": "m2m100-418m", "family": "m2m100", "licence": "MIT", "pairs": ["es-ja"]}, "m.yml"
    )
    assert dict(m2m.tokens) == {"es": "__es__", "ja": "__ja__"} and not m2m.non_commercial
    problems = {
        "licence": {"name": "x", "family": "nllb", "languages": ["en", "es"]},
        "family": {"name": "x", "family": "bert", "licence": "MIT", "languages": ["en", "es"]},
        "name": {"name": "Bad Name", "family": "nllb", "licence": "MIT", "languages": ["en"]},
        "pairs": {"name": "x", "family": "nllb", "licence": "MIT", "pairs": ["en-fr"]},
        "one direction": {
            "name": "x",
            "family": "marian",
            "licence": "MIT",
            "languages": ["en", "es"],
        },
        "engine's name": {
            "name": "argos",
            "family": "nllb",
            "licence": "MIT",
            "languages": ["en", "es"],
        },
    }
    for needle, data in problems.items():
        with pytest.raises(FamilyModelError) as caught:
            parse_manifest(data, "m.yml")
        message = str(caught.value)
        assert message.startswith("m.yml: ") and "\n" not in message
        assert needle in message, message


def test_wrong_family_tokens_missing_manifest_and_broken_model_change_nothing(
    built: dict[str, Path], models_dir: Path, tmp_path: Path
) -> None:
    good = ct2_models.install_model_folder(built["nllb"])
    before = snapshot(models_dir)
    # m2m100 tokens (__en__…) are not in an NLLB vocabulary
    wrong = tmp_path / "wrong.yml"
    wrong.write_text("name: nllb-test\nfamily: m2m100\nlicence: MIT\nlanguages: [en, es]\n")
    with pytest.raises(FamilyModelError, match=r"__e[ns]__.*not in the model's vocabulary"):
        ct2_models.install_model_folder(built["nllb"], wrong)
    # no manifest
    bare = tmp_path / "bare"
    shutil.copytree(built["nllb"], bare)
    (bare / "pipeline-model.yml").unlink()
    with pytest.raises(FamilyModelError, match="no manifest"):
        ct2_models.install_model_folder(bare)
    # a damaged model.bin is load-tested and refused
    broken = tmp_path / "broken"
    shutil.copytree(built["nllb"], broken)
    data = (broken / "model.bin").read_bytes()
    (broken / "model.bin").write_bytes(data[: len(data) // 3])
    with pytest.raises(FamilyModelError, match="does not work.*nothing installed"):
        ct2_models.install_model_folder(broken)
    assert snapshot(models_dir) == before
    assert FamilyEngine().translate(["Hola."], "es", "en")[0].text == "Hola."
    assert ct2_models.remove_family_model("nllb-test").path == good.path
    assert ct2_models.installed_family_models() == []
    with pytest.raises(FamilyModelError, match="no model called 'nllb-test'"):
        ct2_models.remove_family_model("nllb-test")


# --- OPUS-MT ---------------------------------------------------------------------------------


def test_opus_mt_zip_is_converted_by_ctranslate2_and_translates_exactly(
    built: dict[str, Path], models_dir: Path
) -> None:
    model = opus_mt.install_opus_mt_zip(built["opus"])
    assert model.name == "opus-mt-ja-en" and model.manifest.family == "marian"
    assert model.manifest.pairs == (("ja", "en"),)
    assert model.manifest.licence == "CC-BY-4.0" and not model.manifest.non_commercial
    assert model.manifest.version == "2019-12-18"
    config = json.loads((model.path / "config.json").read_text())
    assert config["add_source_eos"] is True  # written by OpusMTConverter
    for name in ("model.bin", "source.spm", "target.spm", "LICENSE", "README.md"):
        assert (model.path / name).is_file(), name
    assert not list(model.path.glob("*.npz"))  # the Marian weights are not kept
    engine = FamilyEngine()
    assert engine.route("ja", "en") == Route("ctranslate2", "opus-mt-ja-en", "2019-12-18", None)
    assert engine.route("en", "ja") is None
    result = engine.translate(fx.TEXT["ja"] + fx.TEXT["en"], "ja", "en")
    assert [t.text for t in result] == fx.TEXT["ja"] + fx.TEXT["en"]
    with pytest.raises(EngineError, match="cannot translate en→ja"):
        engine.translate(["x"], "en", "ja")


def test_opus_mt_en_jap_is_refused_as_not_japanese(
    built: dict[str, Path], models_dir: Path
) -> None:
    trap = fx.build_opus_mt_zip(
        built["root"] / "trap",
        "en",
        "ja",
        file_name="opus-mt-en-jap.zip",
        readme_languages=("en", "jap"),
    )
    for kwargs in ({}, {"src": "en", "tgt": "ja"}):
        with pytest.raises(FamilyModelError) as caught:
            opus_mt.install_opus_mt_zip(trap, **kwargs)
        message = str(caught.value)
        assert "'jap' is not Japanese" in message and "Bible" in message
        assert message.startswith(str(trap)) and "\n" not in message
    assert ct2_models.installed_family_models() == []


def test_opus_mt_direction_from_readme_or_options(built: dict[str, Path], models_dir: Path) -> None:
    dated = fx.build_opus_mt_zip(
        built["root"] / "dated", "es", "en", file_name="opus-2020-01-08.zip"
    )
    model = opus_mt.install_opus_mt_zip(dated)
    assert (model.name, model.manifest.pairs) == ("opus-mt-es-en", (("es", "en"),))
    tatoeba = fx.build_opus_mt_zip(
        built["root"] / "tatoeba",
        file_name="opus+bt-2021-04-10.zip",
        readme_languages=("jpn jpn_Hani jpn_Hira", "eng"),
    )
    assert opus_mt.install_opus_mt_zip(tatoeba, name="tatoeba-ja-en").manifest.pairs == (
        ("ja", "en"),
    )
    unknown = fx.build_opus_mt_zip(
        built["root"] / "unknown", file_name="model.zip", readme_languages=("", "")
    )
    with pytest.raises(FamilyModelError, match="give --from and --to"):
        opus_mt.install_opus_mt_zip(unknown)
    assert opus_mt.install_opus_mt_zip(unknown, "en", "es", "mine").manifest.pairs == (
        ("en", "es"),
    )
    french = fx.build_opus_mt_zip(
        built["root"] / "fr",
        "en",
        "es",
        file_name="opus-mt-en-fr.zip",
        readme_languages=("en", "fr"),
    )
    with pytest.raises(FamilyModelError, match="'fr' is not one the pipeline translates"):
        opus_mt.install_opus_mt_zip(french)


def test_bad_opus_mt_zips_are_refused_in_one_line(
    built: dict[str, Path], models_dir: Path, tmp_path: Path
) -> None:
    def rezip(name: str, drop: str = "", add: tuple[str, bytes] | None = None) -> Path:
        target = tmp_path / name
        with zipfile.ZipFile(built["opus"]) as src, zipfile.ZipFile(target, "w") as dst:
            for info in src.infolist():
                if info.filename != drop:
                    dst.writestr(info.filename, src.read(info))
            if add:
                dst.writestr(*add)
        return target

    cases = {
        rezip("opus-mt-ja-en.zip", drop="decoder.yml"): "no decoder.yml",
        rezip("opus-mt-ja-en-2.zip", drop="source.spm"): "no source.spm",
        rezip("opus-mt-ja-en-3.zip", add=("../evil.txt", b"x")): "outside the package folder",
    }
    not_zip = tmp_path / "opus-mt-ja-en-4.zip"
    not_zip.write_text("hello")
    cases[not_zip] = "not a zip archive"
    for path, needle in cases.items():
        with pytest.raises(FamilyModelError) as caught:
            opus_mt.install_opus_mt_zip(path)
        assert needle in str(caught.value) and "\n" not in str(caught.value), str(caught.value)
    assert snapshot(models_dir) == {}


# --- engines.yml and the registry --------------------------------------------------------------


def test_engines_yml_parsing(tmp_path: Path) -> None:
    assert parse_routes({"en-ja": ["nllb-200-600m", "argos"], "es-en": "apertium"}, "e.yml") == {
        ("en", "ja"): ("nllb-200-600m", "argos"),
        ("es", "en"): ("apertium",),
    }
    for data, needle in (
        ({"en-fr": ["argos"]}, "'en-fr' is not a direction"),
        ({"en-ja": []}, "a list of engines or models"),
        ({"en-ja": ["Not A Name"]}, "neither an engine"),
        (["argos"], "expected pairs"),
    ):
        with pytest.raises(RoutesError, match=needle):
            parse_routes(data, "e.yml")
    broken = tmp_path / "engines.yml"
    broken.write_text("en-ja: [argos\n")
    with pytest.raises(RoutesError, match=r"engines.yml:\d+: not valid YAML"):
        load_routes(broken)
    sample = Path(__file__).resolve().parents[1] / "engines.yml"
    assert load_routes(sample) == {}  # the shipped sample is all comments


@requires_apertium
def test_auto_order_follows_engines_yml_and_defaults_to_installed_models(
    built: dict[str, Path], models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "no-argos"))
    ct2_models.install_model_folder(built["nllb"])
    opus_mt.install_opus_mt_zip(built["opus"])

    def chosen(routes: dict, src: str, tgt: str, choice: str = "auto") -> tuple[str, str | None]:
        engine, route = EngineSet(EngineOptions(choice=choice, routes=routes)).choose(src, tgt)
        return engine.name, route.model

    # default: single-direction OPUS-MT first, then NLLB, then Argos, then Apertium
    assert chosen({}, "ja", "en") == ("ctranslate2", "opus-mt-ja-en")
    assert chosen({}, "en", "es") == ("ctranslate2", "nllb-test")
    routes = {
        ("ja", "en"): ("nllb-test", "opus-mt-ja-en"),
        ("en", "es"): ("apertium",),
        ("es", "en"): ("nllb-200-600m", "apertium"),
    }
    assert chosen(routes, "ja", "en") == ("ctranslate2", "nllb-test")
    assert chosen(routes, "en", "es") == ("apertium", "apertium-eng-spa")
    assert chosen(routes, "es", "en")[0] == "apertium"  # a listed model that is not installed
    assert chosen(routes, "en", "es", choice="ctranslate2") == ("ctranslate2", "nllb-test")
    with pytest.raises(EngineError, match="none of the routes engines.yml lists for en-ja"):
        chosen({("en", "ja"): ("nllb-200-600m",)}, "en", "ja")


# --- the command line -------------------------------------------------------------------------


@requires_apertium
def test_cli_install_list_translate_report_and_remove(
    built: dict[str, Path], cli, tmp_path: Path
) -> None:  # noqa: ANN001
    env = {
        "PIPELINE_MODELS_DIR": str(tmp_path / "models"),
        "ARGOS_PACKAGES_DIR": str(tmp_path / "argos"),
    }
    done = cli("models", "install", str(built["nllb"]), str(built["opus"]), env=env)
    assert done.returncode == 0, done.stderr
    assert (
        "installed nllb-test (nllb, en→es, en→ja, es→en, es→ja, ja→en, ja→es), licence CC-BY-NC-4.0"
        in done.stdout
    )
    assert "non-commercial use only" in done.stdout
    assert "installed opus-mt-ja-en (marian, ja→en), licence CC-BY-4.0" in done.stdout

    listing = cli("models", "list", env=env).stdout
    assert (
        "nllb-test" in listing
        and "family nllb, licence CC-BY-NC-4.0  NON-COMMERCIAL USE ONLY" in listing
    )
    assert "family marian, licence CC-BY-4.0" in listing
    data = json.loads(cli("models", "list", "--json", env=env).stdout)
    assert [
        (m["name"], m["family"], m["licence"], m["non_commercial"]) for m in data["ctranslate2"]
    ] == [
        ("nllb-test", "nllb", "CC-BY-NC-4.0", True),
        ("opus-mt-ja-en", "marian", "CC-BY-4.0", False),
    ]
    assert all(m["size_bytes"] > 100_000 for m in data["ctranslate2"])

    jap = fx.build_opus_mt_zip(
        tmp_path / "trap",
        "en",
        "ja",
        file_name="opus-mt-en-jap.zip",
        readme_languages=("en", "jap"),
    )
    refused = cli("models", "install", str(jap), env=env)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.count("\n") == 1 and "'jap' is not Japanese" in refused.stderr

    statement = tmp_path / "statement.en.txt"
    statement.write_text("\n\n".join(fx.TEXT["en"][:3]) + "\n", encoding="utf-8")
    engines = tmp_path / "engines.yml"
    engines.write_text("en-es: [apertium]\nen-ja: [nllb-test, argos]\n")
    out = tmp_path / "out"
    run = cli(
        "translate",
        str(statement),
        "--to",
        "es,ja",
        "--out",
        str(out),
        "--formats",
        "docx",
        "--no-glossary",
        "--allow-blocking",  # identity models: their drafts are the source language
        "--engines",
        str(engines),
        env=env,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads((out / "statement.en" / "report.json").read_text())
    assert (report["targets"]["ja"]["engine"], report["targets"]["ja"]["model"]) == (
        "ctranslate2",
        "nllb-test",
    )
    assert report["targets"]["es"]["engine"] == "apertium"
    default = cli(
        "translate",
        str(statement),
        "--to",
        "es",
        "--out",
        str(tmp_path / "out2"),
        "--formats",
        "docx",
        "--no-glossary",
        "--allow-blocking",
        env=env,
    )
    assert default.returncode == 0, default.stderr
    report = json.loads((tmp_path / "out2" / "statement.en" / "report.json").read_text())
    assert report["targets"]["es"]["model"] == "nllb-test"  # installed model before Apertium

    japanese = tmp_path / "seimei.ja.txt"
    japanese.write_text("\n\n".join(fx.TEXT["ja"][:3]) + "\n", encoding="utf-8")
    ja_run = cli("translate", str(japanese), "--to", "en", "--out", str(tmp_path / "out3"),
                 "--formats", "docx", "--no-glossary", env=env)  # fmt: skip
    assert ja_run.returncode == 0, ja_run.stderr
    report = json.loads((tmp_path / "out3" / "seimei.ja" / "report.json").read_text())
    assert (report["targets"]["en"]["engine"], report["targets"]["en"]["model"]) == (
        "ctranslate2",
        "opus-mt-ja-en",  # the single-direction model before NLLB
    )

    bad = tmp_path / "bad-engines.yml"
    bad.write_text("en-fr: [argos]\n")
    usage = cli("translate", str(statement), "--engines", str(bad), "--out", str(out), env=env)
    assert usage.returncode == 2 and "'en-fr' is not a direction" in usage.stderr

    doctor = json.loads(cli("doctor", "--json", env=env).stdout)
    lines = {c["name"]: c["detail"] for c in doctor["checks"]}
    assert "licence CC-BY-NC-4.0 (non-commercial use only)" in lines["model nllb-test"]
    assert lines["model opus-mt-ja-en"] == "marian, ja→en, licence CC-BY-4.0"

    removed = cli("models", "remove", "nllb-test", env=env)
    assert removed.returncode == 0 and "removed nllb-test (nllb)" in removed.stdout
    again = cli("models", "remove", "nllb-test", env=env)
    assert again.returncode == 1 and "no model called 'nllb-test'" in again.stderr


def test_multi_target_opus_mt_gets_its_target_label(
    built: dict[str, Path], models_dir: Path
) -> None:
    """A Tatoeba-style en→jpn model needs ``>>jpn<<`` first on the source side: the engine puts
    it there (the raw model without it loses the first piece)."""
    zipped = fx.build_opus_mt_zip(
        built["root"] / "tatoeba-en-ja",
        file_name="opus-2021-02-18.zip",
        readme_languages=("eng", "jpn jpn_Hani jpn_Hira jpn_Kana"),
        labels=(">>jpn<<", ">>kor<<"),
    )
    model = opus_mt.install_opus_mt_zip(zipped, name="opus-tatoeba-en-ja")
    assert model.manifest.pairs == (("en", "ja"),)
    assert dict(model.manifest.tokens) == {"ja": ">>jpn<<"}
    engine = FamilyEngine()
    assert [t.text for t in engine.translate(ALL_TEXT, "en", "ja")] == ALL_TEXT
    loaded = load_family_model(model.manifest, model.path)
    assert loaded.wrapping("en", "ja").source_prefix == (">>jpn<<",)
    pieces = loaded.source_sp.encode("We stand in solidarity.", out_type=str)
    raw = loaded.translator.translate_batch([pieces], beam_size=1)[0].hypotheses[0]
    assert raw != pieces  # without the label the first piece is lost

    korean_only = fx.build_opus_mt_zip(
        built["root"] / "ko",
        file_name="opus-2021-02-19.zip",
        readme_languages=("eng", "jpn"),
        labels=(">>kor<<",),
    )
    with pytest.raises(FamilyModelError, match="multi-target model without a ja label"):
        opus_mt.install_opus_mt_zip(korean_only)


def test_quality_benchmark_scores_a_family_route_and_counts_loops(
    built: dict[str, Path], models_dir: Path
) -> None:
    from benchmarks import quality

    ct2_models.install_model_folder(built["nllb"])
    sources, references = quality.read_tsv(quality.UDHR_TSV, "es", "en")
    assert len(sources) == 30 and references[0].startswith("All human beings are born free")
    sources, references = sources[:5], references[:5]
    _, degenerate = quality.degenerate_counter()
    copy = quality.measure(None, sources, references, "es", "en", None, degenerate)
    engine = FamilyEngine(only="nllb-test")
    candidate = quality.Candidate("nllb-test", engine, "nllb")
    identity = quality.measure(candidate, sources, references, "es", "en", None, degenerate)
    assert identity.chrf == pytest.approx(copy.chrf) and identity.degenerate == 0
    assert 20 < copy.chrf < 40  # Spanish as "English": shared names and numbers only
    assert degenerate("Hola a todos.", "de de de de de", "es", "en")
    assert not degenerate("Hola a todos.", "Hello everyone.", "es", "en")


def test_redecode_gives_alternatives_with_ctranslate2_guards(
    built: dict[str, Path], models_dir: Path
) -> None:
    ct2_models.install_model_folder(built["nllb"])
    engine = FamilyEngine()
    texts = fx.TEXT["es"][:3]
    alternatives = engine.redecode(texts, "es", "en")
    assert len(alternatives) == 3 and all(len(a) == 4 for a in alternatives)
    # the identity model repeats no 3-gram of these sentences, so its best copy survives
    assert [a[0] for a in alternatives] == texts


def test_pre_norm_marian_models_convert_too(built: dict[str, Path], models_dir: Path) -> None:
    """The OPUS-MT releases are post-norm (the fixture's default); pre-norm Marian models
    (newer Tatoeba ones) take the converter's other path."""
    zipped = fx.build_opus_mt_zip(built["root"] / "pre", "en", "es", post_norm=False)
    model = opus_mt.install_opus_mt_zip(zipped)
    config = json.loads((model.path / "config.json").read_text())
    assert config["add_source_eos"] is True
    result = FamilyEngine().translate(fx.TEXT["en"], "en", "es")
    assert [t.text for t in result] == fx.TEXT["en"]


def test_two_opus_mt_models_pivot_through_english(built: dict[str, Path], models_dir: Path) -> None:
    es_en = fx.build_opus_mt_zip(built["root"] / "pivot-es-en", "es", "en")
    en_ja = fx.build_opus_mt_zip(
        built["root"] / "pivot-en-ja",
        file_name="opus-2021-02-18.zip",
        readme_languages=("eng", "jpn"),
        labels=(">>jpn<<",),
    )
    opus_mt.install_opus_mt_zip(es_en)
    opus_mt.install_opus_mt_zip(en_ja, name="opus-tatoeba-en-ja")
    engine = FamilyEngine()
    assert engine.route("es", "ja") == Route(
        "ctranslate2", "opus-mt-es-en+opus-tatoeba-en-ja", "2019-12-18+2021-02-18", "en"
    )
    assert engine.route("ja", "es") is None
    assert [t.text for t in engine.translate(fx.TEXT["es"], "es", "ja")] == fx.TEXT["es"]
    assert [a[0] for a in engine.redecode(fx.TEXT["es"][:2], "es", "ja")] == fx.TEXT["es"][:2]


def test_a_model_that_loops_on_the_test_sentence_needs_force(
    models_dir: Path, tmp_path: Path
) -> None:
    looping = fx.build_nllb_folder(tmp_path / "looping", name="nllb-loops", loops=True)
    with pytest.raises(FamilyModelError) as caught:
        ct2_models.install_model_folder(looping)
    message = str(caught.value)
    assert "translates the test sentence 'Workers of the world, unite.' as repeated text" in message
    assert "add --force" in message and "\n" not in message
    assert ct2_models.installed_family_models() == []
    forced = ct2_models.install_model_folder(looping, force=True)
    assert forced.warning.startswith("nllb-loops: it translates the test sentence")
    assert FamilyEngine().translate(["Hola."], "es", "en")[0].text.startswith("de de")


@requires_apertium
def test_a_looping_family_model_falls_back_to_apertium_and_is_named(cli, tmp_path: Path) -> None:  # noqa: ANN001
    """The degenerate-output guard covers CTranslate2 family models as it covers Argos."""
    env = {
        "PIPELINE_MODELS_DIR": str(tmp_path / "models"),
        "ARGOS_PACKAGES_DIR": str(tmp_path / "argos"),
    }
    looping = fx.build_nllb_folder(tmp_path / "looping", name="nllb-loops", loops=True)
    forced = cli("models", "install", "--force", str(looping), env=env)
    assert forced.returncode == 0, forced.stderr
    assert "warning: installed a degenerate model: nllb-loops" in forced.stderr
    statement = tmp_path / "declaracion.es.txt"
    statement.write_text("\n\n".join(fx.TEXT["es"][:3]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    run = cli(
        "translate", str(statement), "--to", "en", "--out", str(out), "--formats", "docx",
        "--no-glossary", "--json", env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    payload = json.loads(run.stdout)
    assert any(
        w.startswith("es→en: nllb-loops test-1 produces repeated text") for w in payload["warnings"]
    )
    report = json.loads(Path(payload["documents"][0]).read_text(encoding="utf-8"))
    target = report["targets"]["en"]
    assert target["engine"] == "apertium" and target["degenerate"] > 0


def test_a_model_without_a_version_gets_its_weights_fingerprint(
    built: dict[str, Path], models_dir: Path, tmp_path: Path
) -> None:
    """The memory keys translations by model and version: reinstalling other weights under the
    same name must not serve the old model's translations."""
    import yaml

    folder = tmp_path / "unversioned"
    shutil.copytree(built["nllb"], folder)
    manifest = yaml.safe_load((folder / "pipeline-model.yml").read_text())
    del manifest["version"]
    (folder / "pipeline-model.yml").write_text(yaml.safe_dump(manifest))
    first = ct2_models.install_model_folder(folder).manifest.version
    assert (
        first.startswith("sha-")
        and first == ct2_models.install_model_folder(folder).manifest.version
    )
    assert FamilyEngine().route("en", "es") == Route("ctranslate2", "nllb-test", first, None)
    looping = fx.build_nllb_folder(tmp_path / "other", loops=True)
    (looping / "pipeline-model.yml").write_text(yaml.safe_dump(manifest))
    other = ct2_models.install_model_folder(looping, force=True).manifest.version
    assert other.startswith("sha-") and other != first


def test_m2m100_style_folder_uses_its_own_tokens(models_dir: Path, tmp_path: Path) -> None:
    folder = fx.build_nllb_folder(tmp_path / "m2m", "m2m100-test", "MIT", family="m2m100")
    model = ct2_models.install_model_folder(folder)
    assert model.manifest.family == "m2m100" and not model.manifest.non_commercial
    loaded = load_family_model(model.manifest, model.path)
    wrapping = loaded.wrapping("ja", "es")
    assert (wrapping.source_prefix, wrapping.target_prefix) == (("__ja__",), ("__es__",))
    result = FamilyEngine().translate(ALL_TEXT, "ja", "es")
    assert [t.text for t in result] == ALL_TEXT
