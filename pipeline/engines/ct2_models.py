"""CTranslate2 model families besides Argos: OPUS-MT (Marian), NLLB-200, M2M-100.

Each installed model is a folder in the pipeline's models folder (``PIPELINE_MODELS_DIR``,
default ``~/.local/share/statement-pipeline/models``) holding the CTranslate2 model
(``model.bin``, ``config.json``, vocabulary), its SentencePiece model(s) and
``pipeline-model.json``, the manifest: name, family, licence, the directions it covers and the
language tokens it needs. The family says how those tokens are used (``FAMILIES``):

* ``nllb`` (``eng_Latn``, ``spa_Latn``, ``jpn_Jpan``) and ``m2m100`` (``__en__``…): the source
  language token first and ``</s>`` last on the source side, the target language token as the
  forced target prefix (removed from the output);
* ``marian`` (OPUS-MT, converted by ``opus_mt.py``): plain pieces, one direction per model,
  separate source and target SentencePiece models.

A model folder someone converted (NLLB and M2M-100 are published already converted) is
installed from the folder and a small manifest file (``pipeline-model.yml`` in it, or
``--manifest``). Before a model is moved into place it is loaded and translates one sentence,
and every language token it needs must be in its vocabulary: a bad folder changes nothing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.engines import guard
from pipeline.engines.base import EngineError
from pipeline.engines.ct2_manifest import (
    MANIFEST,
    USER_MANIFEST,
    FamilyModelError,
    Manifest,
    parse_manifest,
    read_manifest_file,
)
from pipeline.engines.ct2_runtime import load_family_model
from pipeline.engines.model_check import DEFAULT_TEST_SENTENCE, TEST_SENTENCES
from pipeline.engines.paths import EnginePaths


@dataclass(frozen=True)
class FamilyModel:
    """An installed family model: its manifest, folder and size on disk."""

    manifest: Manifest
    path: Path
    size_bytes: int
    warning: str = ""  # set when a degenerate model was installed with force

    @property
    def name(self) -> str:
        return self.manifest.name

    def to_json(self) -> dict[str, Any]:
        return {
            **self.manifest.to_json(),
            "non_commercial": self.manifest.non_commercial,
            "size_bytes": self.size_bytes,
            "path": str(self.path),
        }


# --- the models folder ---------------------------------------------------------------------


def models_dir() -> Path:
    """The pipeline's own models folder as the environment names it now
    (``EnginePaths.models``), for callers that were not given one."""
    return EnginePaths.from_env().models


def _folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def read_installed(folder: Path) -> FamilyModel | None:
    """The model in ``folder``, or None when it holds no readable manifest."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        manifest = parse_manifest(data, str(folder / MANIFEST))
    except (OSError, ValueError, FamilyModelError):
        return None
    return FamilyModel(manifest, folder, _folder_size(folder))


def installed_family_models(root: Path | None = None) -> list[FamilyModel]:
    """Installed family models, by name."""
    root = root or models_dir()
    if not root.is_dir():
        return []
    found = []
    for child in sorted(root.iterdir()):
        if child.is_dir() and not child.name.startswith("."):
            model = read_installed(child)
            if model is not None:
                found.append(model)
    return found


# --- checks and installation ---------------------------------------------------------------


def vocabulary_of(folder: Path) -> set[str]:
    """Every token of the CTranslate2 model's vocabularies (json or txt, shared or split)."""
    tokens: set[str] = set()
    for name in (
        "shared_vocabulary",
        "source_vocabulary",
        "target_vocabulary",
    ):
        if (folder / f"{name}.json").is_file():
            tokens.update(json.loads((folder / f"{name}.json").read_text(encoding="utf-8")))
        elif (folder / f"{name}.txt").is_file():
            text = (folder / f"{name}.txt").read_text(encoding="utf-8")
            tokens.update(line for line in text.split("\n") if line)
    return tokens


def check_model_folder(folder: Path, manifest: Manifest, where: str, force: bool = False) -> str:
    """The folder is a working model for the manifest: files present, tokens in the vocabulary,
    the model loads and translates one test sentence (``model_check.TEST_SENTENCES``), and the
    translation is not degenerate (``guard``; with ``force`` it is allowed and the returned
    warning says so). FamilyModelError otherwise."""
    for needed in ("model.bin", "config.json", manifest.source_spm, manifest.target_spm):
        if not (folder / needed).is_file():
            raise FamilyModelError(f"{where}: no {needed} in the model folder; nothing installed")
    try:
        vocabulary = vocabulary_of(folder)
    except (OSError, ValueError) as exc:
        raise FamilyModelError(f"{where}: the vocabulary cannot be read ({exc})") from exc
    if not vocabulary:
        raise FamilyModelError(f"{where}: no CTranslate2 vocabulary file in the model folder")
    missing = sorted(t for t in manifest.tokens.values() if t not in vocabulary)
    if missing:
        raise FamilyModelError(
            f"{where}: the language token(s) {', '.join(missing)} are not in the model's "
            f"vocabulary: not a {manifest.family} model, or wrong tokens in the manifest"
        )
    src, tgt = manifest.pairs[0]
    sentence = TEST_SENTENCES.get(src, DEFAULT_TEST_SENTENCE)
    try:
        loaded = load_family_model(manifest, folder, inter_threads=1, intra_threads=1)
        text = loaded.translate([sentence], src, tgt, beam_size=1)[0][0]
    except EngineError as exc:
        raise FamilyModelError(
            f"{where}: the model does not work ({exc}); nothing installed"
        ) from exc
    if not text.strip():
        raise FamilyModelError(
            f"{where}: the model translates the test sentence {sentence!r} as nothing; "
            "nothing installed"
        )
    found = guard.check(sentence, text, src, tgt)
    if found is None:
        return ""
    problem = f"it translates the test sentence {sentence!r} as {found.kind} ({found.detail})"
    if not force:
        raise FamilyModelError(
            f"{where}: {problem}; nothing installed (add --force to install it anyway)"
        )
    return f"{manifest.name}: {problem}"


def install_folder(
    source: Path,
    manifest: Manifest,
    where: str,
    root: Path | None = None,
    move: bool = False,
    force: bool = False,
) -> FamilyModel:
    """Copy (or, for a folder the pipeline built itself, move) a checked model into the models
    folder under ``manifest.name``, replacing a model of that name; a failure changes nothing."""
    root = root or models_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".install-", dir=root))
    except OSError as exc:
        raise FamilyModelError(f"{root}: cannot write to the models folder ({exc})") from exc
    try:
        new = staging / "new"
        if move:
            os.rename(source, new)
        else:
            shutil.copytree(source, new, ignore=shutil.ignore_patterns(USER_MANIFEST, ".*"))
        warning = check_model_folder(new, manifest, where, force)
        if not manifest.version:  # the memory keys translations by model and version
            manifest = dataclasses.replace(manifest, version=weights_digest(new))
        (new / MANIFEST).write_text(
            json.dumps(manifest.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        destination = root / manifest.name
        if destination.exists():
            os.rename(destination, staging / "old")
        try:
            os.rename(new, destination)
        except OSError:
            if (staging / "old").exists():
                os.rename(staging / "old", destination)
            raise
    except OSError as exc:
        raise FamilyModelError(f"{where}: cannot install into {root} ({exc})") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    model = read_installed(destination)
    assert model is not None
    return dataclasses.replace(model, warning=warning)


def weights_digest(folder: Path) -> str:
    """A short fingerprint of the weights (SHA-256 of model.bin and config.json; a few seconds
    for a 2.5 GB model, once at install): the version of a model whose manifest gives none, so
    the memory never serves one model's translations for another installed under the same name."""
    import hashlib

    digest = hashlib.sha256()
    with open(folder / "model.bin", "rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    digest.update((folder / "config.json").read_bytes())
    return f"sha-{digest.hexdigest()[:10]}"


def install_model_folder(
    folder: Path, manifest_path: Path | None = None, root: Path | None = None, force: bool = False
) -> FamilyModel:
    """Install an already converted CTranslate2 model folder (NLLB-200, M2M-100…) with its
    manifest (``manifest_path``, else ``pipeline-model.yml`` inside the folder)."""
    if not folder.is_dir():
        raise FamilyModelError(f"{folder}: no such folder")
    manifest_path = manifest_path or folder / USER_MANIFEST
    if not manifest_path.is_file():
        raise FamilyModelError(
            f"{folder}: no manifest: write {USER_MANIFEST} in the folder (name, family, "
            "licence, languages) or give --manifest FILE; see `pipeline models install --help`"
        )
    manifest = read_manifest_file(manifest_path)
    return install_folder(folder, manifest, str(folder), root, force=force)


def remove_family_model(name: str, root: Path | None = None) -> FamilyModel:
    """Remove the installed model called ``name``."""
    root = root or models_dir()
    model = next((m for m in installed_family_models(root) if m.name == name), None)
    if model is None:
        raise FamilyModelError(f"no model called {name!r} is installed in {root}")
    staging = Path(tempfile.mkdtemp(prefix=".remove-", dir=root))
    try:
        os.rename(model.path, staging / model.path.name)
    except OSError as exc:
        raise FamilyModelError(f"{model.path}: cannot remove ({exc})") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return model


def family_models_for(
    src: str, tgt: str, models: Sequence[FamilyModel] | None = None
) -> list[FamilyModel]:
    """Installed models covering src→tgt, in the default order: single-direction models
    (OPUS-MT) first, then NLLB-200, then M2M-100; by name within a family."""
    rank = {"marian": 0, "nllb": 1, "m2m100": 2}
    found = [m for m in (installed_family_models() if models is None else models)]
    return sorted(
        (m for m in found if m.manifest.covers(src, tgt)),
        key=lambda m: (rank.get(m.manifest.family, 9), m.name),
    )
