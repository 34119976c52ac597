"""A pivot through English across engines: an Argos ja→en model (a numpy identity model) as
the first leg, real Apertium en→es as the second; ``doctor`` and ``translate`` agree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.engines import argos_packages as packages
from pipeline.engines.apertium import ApertiumEngine
from pipeline.engines.argos import ArgosEngine
from pipeline.engines.pivot import PivotEngine
from pipeline.engines.registry import EngineOptions, EngineSet
from tests.conftest import DATA, requires_apertium
from tests.fixtures import argos_models as fx

JAPANESE = DATA / "casapalca-miners.ja.txt"


@pytest.fixture
def ja_en_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Only the Argos ja→en package installed."""
    folder = fx.install_identity_packages(tmp_path / "argos", pairs=(("ja", "en"),))
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(folder))
    monkeypatch.setenv("PIPELINE_MODELS_DIR", str(tmp_path / "no-ct2-models"))
    return folder


@requires_apertium
def test_auto_pivots_ja_es_through_argos_then_apertium(ja_en_only: Path) -> None:
    engines = EngineSet()
    engine, route = engines.choose("ja", "es")
    assert isinstance(engine, PivotEngine)
    assert route.engine == "argos+apertium" and route.pivot == "en"
    assert route.model == "argos-ja-en+apertium-eng-spa"
    assert engines.fallback("ja", "es", engine) is None
    # Both legs really run: the identity "ja→en" model hands English on to Apertium.
    (out,) = engine.translate(["The miners of Casapalca are in jail."], "ja", "es")
    assert "mineros" in out.text and "Casapalca" in out.text


def test_an_engine_chosen_by_name_does_not_pivot_across_engines(ja_en_only: Path) -> None:
    argos = EngineSet(EngineOptions(choice="argos"))
    with pytest.raises(Exception) as err:
        argos.choose("ja", "es")
    message = str(err.value)
    # ja→en is installed: only the missing leg is advised, never the installed model
    assert "`pipeline models install en es`" in message
    assert "ja en and" not in message and "install ja en" not in message


def test_the_advice_names_only_the_missing_leg(ja_en_only: Path, monkeypatch) -> None:
    monkeypatch.setattr(ApertiumEngine, "available", lambda self: False)
    engines = EngineSet()
    with pytest.raises(Exception) as err:
        engines.choose("ja", "es")
    message = str(err.value)
    assert "`pipeline models install ja es`" in message
    assert "`pipeline models install en es`, to pivot through English: ja→en already has" in (
        message
    )


@requires_apertium
def test_doctor_and_translate_say_the_same(cli, ja_en_only: Path, tmp_path: Path) -> None:
    env = {"ARGOS_PACKAGES_DIR": str(ja_en_only)}
    doctor = cli("doctor", "--json", env=env)
    found = json.loads(doctor.stdout)
    assert found["translate"]["ready"]["ja→es"] == "Argos + Apertium through en"
    assert "ja→es" not in found["translate"]["missing"]
    argos_ja_es = next(c for c in found["checks"] if c["name"].startswith("Argos ja→es"))
    assert argos_ja_es["needed"] is False  # covered: not advised as missing
    assert "ja→es" in found["summary"].split("Not yet")[0]
    statement = tmp_path / "seimei.txt"
    shutil.copy(JAPANESE, statement)
    done = cli(
        "translate", str(statement), "--to", "es", "--formats", "docx", "--out",
        str(tmp_path / "out"), "--no-glossary", env=env,
    )  # fmt: skip
    assert "install ja es" not in done.stderr and "install ja en" not in done.stderr
    report = json.loads((tmp_path / "out" / "seimei" / "report.json").read_text())
    es = report["targets"]["es"]
    # The identity model's "English" is Japanese: the guard sees Apertium pass it through
    # unchanged. Either way the route taken is the pivot doctor names.
    assert es["engine"] == "argos+apertium" or "argos-ja-en+apertium-eng-spa" in es["error"]
    assert packages.installed_models([ja_en_only])[0].from_code == "ja"


@requires_apertium
def test_doctor_advises_only_the_argos_leg_no_engine_covers(tmp_path, monkeypatch) -> None:
    """No Argos model at all: es→ja needs only en→ja, as Apertium covers es→en."""
    from pipeline import doctor

    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("PIPELINE_MODELS_DIR", str(tmp_path / "no-ct2-models"))
    found = doctor.directions()
    checks = {c.name: c for c in doctor.run_checks(found)}
    assert checks["Argos es→ja (direct or through en)"].fix == "pipeline models install en ja"
    es_ja = next(d for d in found if d.name == "es→ja")
    assert "`pipeline models install en ja`, to pivot through English" in es_ja.reason
    assert "es en" not in es_ja.reason


def test_pivot_strategy_and_markup() -> None:
    argos, apertium = ArgosEngine(models=[]), ApertiumEngine()
    pivot = PivotEngine(argos, apertium)
    assert pivot.markup is False and pivot.glossary_strategy.terms == "token"
    assert pivot.name == "argos+apertium"
