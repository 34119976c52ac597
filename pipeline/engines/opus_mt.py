"""OPUS-MT (Marian) release zips converted to CTranslate2 and installed as family models.

A release zip (``opus-2019-12-18.zip``, renamed by many as ``opus-mt-ja-en.zip``) holds the
Marian ``.npz`` weights, ``decoder.yml`` naming them and the vocabulary (``opus.*.vocab.yml`` or
``vocab.yml``), the SentencePiece models ``source.spm`` / ``target.spm``, a README and usually a
LICENSE. It is checked like every model archive (``archive.py``), extracted into a temporary
folder, converted with CTranslate2's own ``OpusMTConverter`` (numpy and PyYAML, no PyTorch;
int8 weights by default, as Argos ships them), load-tested and moved into the models folder.

The direction comes from ``--from/--to``, else the README's ``source language(s)`` /
``target language(s)`` lines, else the file name (``opus-mt-ja-en``). ``jap`` is refused: it is
not Japanese (ISO 639-3 ``jap`` is another language, and ``opus-mt-en-jap`` is trained on Bible
text); Japanese is ``ja`` / ``jpn``.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from pathlib import Path

from pipeline.engines import archive
from pipeline.engines.ct2_manifest import FamilyModelError, Manifest
from pipeline.engines.ct2_models import FamilyModel, install_folder, models_dir, vocabulary_of

QUANTIZATIONS = ("int8", "int8_float32", "int16", "float16", "float32")
_CODES = {"en": "en", "eng": "en", "es": "es", "spa": "es", "ja": "ja", "jpn": "ja"}
_FILE_PAIR = re.compile(r"opus-mt-([a-z_]+)-([a-z_]+?)(?:[-_.]\d.*)?$", re.IGNORECASE)
_LABEL = re.compile(r"^>>([A-Za-z_]+)<<$")
_LABELS_FOR = {"en": ("eng", "en"), "es": ("spa", "es"), "ja": ("jpn", "ja")}
_README_LANGS = re.compile(r"^\W*(source|target) language\(s\)\s*:\s*(.+)$", re.IGNORECASE)
_JAP = (
    "'jap' is not Japanese: it is the ISO 639-3 code of another language, and opus-mt-en-jap is "
    "trained on Bible text; the Japanese models are opus-mt-ja-en and the Tatoeba en-jpn ones"
)


def _bad(path: Path, why: str) -> FamilyModelError:
    return FamilyModelError(f"{path}: {why}; nothing was installed")


def language_code(code: str, path: Path) -> str:
    """The pipeline's code for an OPUS-MT language label (``ja``, ``jpn``, ``jpn_Hani``…)."""
    base = code.strip().lower().split("_")[0]
    if base == "jap":
        raise _bad(path, _JAP)
    if base not in _CODES:
        raise _bad(path, f"language {code!r} is not one the pipeline translates (en, es, ja)")
    return _CODES[base]


def _readme_languages(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        match = _README_LANGS.match(line.strip())
        if match and match.group(1).lower() not in found:
            found[match.group(1).lower()] = match.group(2).replace(",", " ").split()
    return found


def detect_direction(path: Path, readme: str, src: str | None, tgt: str | None) -> tuple[str, str]:
    """(source, target) from the options, the README or the file name; refuses ``jap``."""
    labels = _readme_languages(readme)
    named = _FILE_PAIR.match(path.stem)
    seen = [*labels.get("source", []), *labels.get("target", [])]
    seen += [named.group(1), named.group(2)] if named else []
    if any(label.lower().split("_")[0] == "jap" for label in seen):
        raise _bad(path, _JAP)
    result: list[str] = []
    for given, key, index in ((src, "source", 1), (tgt, "target", 2)):
        if given:
            result.append(language_code(given, path))
            continue
        candidates = {language_code(label, path) for label in labels.get(key, [])}
        if not candidates and named:
            candidates = {language_code(named.group(index), path)}
        if len(candidates) != 1:
            raise _bad(
                path,
                f"cannot tell the model's {key} language (README: {labels.get(key)}); "
                "give --from and --to",
            )
        result.append(candidates.pop())
    if result[0] == result[1]:
        raise _bad(path, f"source and target are both {result[0]}")
    return result[0], result[1]


def _licence(folder: Path, readme: str) -> str:
    """The model's licence: the README's ``license:`` line, the LICENSE file's title, or
    CC-BY-4.0 (the licence Helsinki-NLP publishes every OPUS-MT model under)."""
    match = re.search(r"^\W*licen[cs]e\s*:\s*(\S.*)$", readme, re.IGNORECASE | re.MULTILINE)
    if match:
        return match.group(1).strip()
    licence = folder / "LICENSE"
    if licence.is_file():
        head = licence.read_text(encoding="utf-8", errors="replace")[:400]
        if "Attribution 4.0 International" in head:
            return "CC-BY-4.0"
        if "MIT License" in head:
            return "MIT"
    return "CC-BY-4.0"


def _find_root(extracted: Path, path: Path) -> Path:
    """The folder holding decoder.yml: the zip's top level, or its one top-level folder."""
    if (extracted / "decoder.yml").is_file():
        return extracted
    children = [c for c in extracted.iterdir() if c.is_dir()]
    if len(children) == 1 and (children[0] / "decoder.yml").is_file():
        return children[0]
    raise _bad(path, "not an OPUS-MT release zip (no decoder.yml)")


def _check_decoder_config(root: Path, path: Path) -> None:
    import yaml

    from pipeline.ingest.limits import load_untrusted_yaml

    try:
        _, config = load_untrusted_yaml((root / "decoder.yml").read_text(encoding="utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _bad(path, f"decoder.yml is not YAML ({exc})".splitlines()[0]) from exc
    if not isinstance(config, dict) or not config.get("models") or not config.get("vocabs"):
        raise _bad(path, "decoder.yml names no models and vocabs")
    for name in [config["models"][0], *config["vocabs"]]:
        target = (root / str(name)).resolve()
        if not target.is_relative_to(root.resolve()) or not target.is_file():
            raise _bad(path, f"decoder.yml names {name!r}, which is not in the zip")
    for spm in ("source.spm", "target.spm"):
        if not (root / spm).is_file():
            raise _bad(path, f"no {spm} (SentencePiece model) in the zip")


def convert(root: Path, output: Path, quantization: str, path: Path) -> None:
    """Run CTranslate2's OPUS-MT converter on the extracted release."""
    from ctranslate2.converters import OpusMTConverter

    try:
        OpusMTConverter(str(root)).convert(str(output), quantization=quantization)
    except (ValueError, KeyError, RuntimeError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _bad(path, f"CTranslate2 cannot convert this Marian model ({reason})") from exc


def install_opus_mt_zip(
    path: Path,
    src: str | None = None,
    tgt: str | None = None,
    name: str | None = None,
    quantization: str = "int8",
    root: Path | None = None,
    force: bool = False,
) -> FamilyModel:
    """Check, convert and install an OPUS-MT release zip; returns the installed model."""
    path = Path(path)
    if not path.is_file():
        raise FamilyModelError(f"{path}: no such file")
    if quantization not in QUANTIZATIONS:
        raise FamilyModelError(
            f"--quantization {quantization!r}: choose {', '.join(QUANTIZATIONS)}"
        )
    if not zipfile.is_zipfile(path):
        raise _bad(path, "not a zip archive")
    try:
        with zipfile.ZipFile(path) as zipped:
            archive.check_entries(zipped, lambda why: _bad(path, why))
    except zipfile.BadZipFile as exc:
        raise _bad(path, f"corrupt zip archive ({exc})") from exc
    root = root or models_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".convert-", dir=root))
    except OSError as exc:
        raise FamilyModelError(f"{root}: cannot write to the models folder ({exc})") from exc
    try:
        archive.extract(path, work / "zip", lambda why: _bad(path, why))
        release = _find_root(work / "zip", path)
        readme_file = release / "README.md"
        readme = readme_file.read_text("utf-8", "replace") if readme_file.is_file() else ""
        source, target = detect_direction(path, readme, src, tgt)
        _check_decoder_config(release, path)
        converted = work / "model"
        convert(release, converted, quantization, path)
        for keep in ("source.spm", "target.spm", "README.md", "LICENSE"):
            if (release / keep).is_file():
                shutil.copy2(release / keep, converted / keep)
        manifest = Manifest(
            name=name or f"opus-mt-{source}-{target}",
            family="marian",
            licence=_licence(release, readme),
            pairs=((source, target),),
            tokens=target_label(converted, target, path),
            source_spm="source.spm",
            target_spm="target.spm",
            version=_release_version(release, path, readme),
            origin=path.name,
        )
        if not re.match(r"^[a-z0-9][a-z0-9._-]{0,63}$", manifest.name):
            raise FamilyModelError(f"--name {manifest.name!r}: lower-case letters, digits, . _ -")
        return install_folder(converted, manifest, str(path), root, move=True, force=force)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def target_label(folder: Path, tgt: str, path: Path) -> dict[str, str]:
    """``{tgt: ">>jpn<<"}`` for a multi-target model (its vocabulary holds ``>>id<<`` labels),
    else ``{}``; a multi-target model without a label for ``tgt`` is refused."""
    labels = {t for t in vocabulary_of(folder) if _LABEL.match(t)}
    if not labels:
        return {}
    for code in _LABELS_FOR[tgt]:
        if f">>{code}<<" in labels:
            return {tgt: f">>{code}<<"}
    shown = " ".join(sorted(labels)[:6])
    raise _bad(path, f"a multi-target model without a {tgt} label (it has {shown} …)")


def _release_version(release: Path, path: Path, readme: str) -> str:
    """The release date (``opus-2019-12-18``) in the file name, the README's title or the
    weights' name, if any."""
    title = readme.strip().splitlines()[0] if readme.strip() else ""
    for text in (path.stem, title, *(p.name for p in release.glob("*.npz"))):
        match = re.search(r"\d{4}-\d{2}-\d{2}", text)
        if match:
            return match.group(0)
    return ""
