"""The manifest of a CTranslate2 family model: name, family, licence, directions, tokens.

A family (``FAMILIES``) says how a model uses language tokens: ``nllb`` (``eng_Latn``,
``spa_Latn``, ``jpn_Jpan``) and ``m2m100`` (``__en__``…) put the source language token first and
``</s>`` last on the source side and force the target language token as the target prefix;
``marian`` (OPUS-MT) uses plain pieces, one direction per model, with separate source and
target SentencePiece models. Users write a manifest as YAML (``pipeline-model.yml``); installed
models keep it as ``pipeline-model.json``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.engines.base import EngineError

MANIFEST = "pipeline-model.json"
USER_MANIFEST = "pipeline-model.yml"
LANGUAGES = ("en", "es", "ja")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_NON_COMMERCIAL = re.compile(r"(^|[-_ ])NC([-_ ]|$)", re.IGNORECASE)


class FamilyModelError(EngineError):
    """A family model cannot be installed, read or removed; one line naming the file."""


@dataclass(frozen=True)
class Family:
    """How a model family uses language tokens and which files it needs."""

    name: str
    tokens: Mapping[str, str]  # pipeline language code -> the model's language token
    source_token: bool  # the source language token goes first on the source side
    target_token: bool  # the target language token is the forced target prefix
    source_eos: bool  # ``</s>`` is appended to the source by us (not by the model config)
    source_spm: str
    target_spm: str
    multilingual: bool
    target_label: bool = False  # a multi-target Marian model: ``>>jpn<<`` first on the source


FAMILIES: dict[str, Family] = {
    "nllb": Family(
        "nllb",
        {"en": "eng_Latn", "es": "spa_Latn", "ja": "jpn_Jpan"},
        source_token=True,
        target_token=True,
        source_eos=True,
        source_spm="sentencepiece.bpe.model",
        target_spm="sentencepiece.bpe.model",
        multilingual=True,
    ),
    "m2m100": Family(
        "m2m100",
        {"en": "__en__", "es": "__es__", "ja": "__ja__"},
        source_token=True,
        target_token=True,
        source_eos=True,
        source_spm="sentencepiece.bpe.model",
        target_spm="sentencepiece.bpe.model",
        multilingual=True,
    ),
    "marian": Family(
        "marian",
        {},
        source_token=False,
        target_token=False,
        source_eos=False,  # OPUS-MT's converted config adds </s> itself
        source_spm="source.spm",
        target_spm="target.spm",
        multilingual=False,
        target_label=True,  # only when the manifest gives the target's token (>>jpn<<)
    ),
}


@dataclass(frozen=True)
class Manifest:
    """What the pipeline knows about an installed family model (``pipeline-model.json``)."""

    name: str
    family: str
    licence: str
    pairs: tuple[tuple[str, str], ...]
    tokens: Mapping[str, str] = field(default_factory=dict)
    source_spm: str = ""
    target_spm: str = ""
    version: str = ""
    origin: str = ""

    @property
    def spec(self) -> Family:
        return FAMILIES[self.family]

    @property
    def non_commercial(self) -> bool:
        """True for a licence that forbids commercial use (CC-BY-NC…): users must be told."""
        return bool(_NON_COMMERCIAL.search(self.licence))

    def covers(self, src: str, tgt: str) -> bool:
        return (src, tgt) in self.pairs

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "family": self.family,
            "licence": self.licence,
            "pairs": [f"{s}-{t}" for s, t in self.pairs],
            "tokens": dict(self.tokens),
            "source_spm": self.source_spm,
            "target_spm": self.target_spm,
            "version": self.version,
            "origin": self.origin,
        }


# --- manifests -----------------------------------------------------------------------------


def _pair(value: object, where: str) -> tuple[str, str]:
    if isinstance(value, str) and re.fullmatch(r"[a-z]{2}-[a-z]{2}", value):
        src, tgt = value.split("-")
        if src in LANGUAGES and tgt in LANGUAGES and src != tgt:
            return src, tgt
    raise FamilyModelError(
        f"{where}: {value!r} is not a direction between en, es and ja (write it as en-ja)"
    )


_KEYS = frozenset(
    {
        "name",
        "family",
        "licence",
        "license",
        "languages",
        "pairs",
        "tokens",
        "sentencepiece",
        "source_spm",
        "target_spm",
        "version",
        "origin",
        "url",
    }
)


def parse_manifest(data: object, where: str) -> Manifest:
    """A manifest from its YAML/JSON data; FamilyModelError names ``where`` and the key."""
    if not isinstance(data, dict):
        raise FamilyModelError(f"{where}: a manifest is a mapping (name, family, licence, …)")
    unknown = set(data) - _KEYS
    if unknown:
        raise FamilyModelError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    name = _manifest_name(data, where)
    family = data.get("family")
    if family not in FAMILIES:
        raise FamilyModelError(
            f"{where}: family: {family!r} is not one of {', '.join(sorted(FAMILIES))}"
        )
    spec = FAMILIES[str(family)]
    licence = data.get("licence", data.get("license"))
    if not isinstance(licence, str) or not licence.strip():
        raise FamilyModelError(
            f"{where}: licence: missing; write the model's licence (e.g. CC-BY-NC-4.0 for "
            "NLLB-200, MIT for M2M-100, CC-BY-4.0 for OPUS-MT) so users see it"
        )
    pairs = _manifest_pairs(data, where)
    if not spec.multilingual and len(pairs) != 1:
        raise FamilyModelError(f"{where}: pairs: a {family} model translates one direction")
    tokens = _manifest_tokens(data, spec, pairs, where)
    source_spm, target_spm = _manifest_spm(data, spec, where)
    return Manifest(
        name=name,
        family=str(family),
        licence=licence.strip(),
        pairs=tuple(pairs),
        tokens=tokens,
        source_spm=source_spm,
        target_spm=target_spm,
        version=str(data.get("version", "") or ""),
        origin=str(data.get("origin", data.get("url", "")) or ""),
    )


def _manifest_name(data: dict[Any, Any], where: str) -> str:
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise FamilyModelError(
            f"{where}: name: {name!r} is not a model name (lower-case letters, digits, . _ -)"
        )
    if name in ("argos", "apertium", "libretranslate", "ctranslate2", "auto"):
        raise FamilyModelError(f"{where}: name: {name!r} is an engine's name; choose another")
    return name


def _manifest_pairs(data: dict[Any, Any], where: str) -> list[tuple[str, str]]:
    """The directions: ``pairs: [en-ja, …]``, or every direction between ``languages``."""
    if "pairs" in data:
        raw = data["pairs"]
        if not isinstance(raw, list) or not raw:
            raise FamilyModelError(f"{where}: pairs: a list of directions such as [en-ja, ja-en]")
        return [_pair(item, f"{where}: pairs") for item in raw]
    if "languages" in data:
        langs = data["languages"]
        if not isinstance(langs, list) or len(langs) < 2 or any(x not in LANGUAGES for x in langs):
            raise FamilyModelError(
                f"{where}: languages: a list of two or more of en, es, ja (got {langs!r})"
            )
        return [(s, t) for s in langs for t in langs if s != t]
    raise FamilyModelError(f"{where}: give languages: [en, es, ja] or pairs: [en-ja, …]")


def _manifest_tokens(
    data: dict[Any, Any], spec: Family, pairs: list[tuple[str, str]], where: str
) -> dict[str, str]:
    """The family's language tokens with the manifest's own, for the languages it has."""
    tokens = dict(spec.tokens)
    given = data.get("tokens", {})
    if not isinstance(given, dict) or any(
        k not in LANGUAGES or not isinstance(v, str) or not v for k, v in given.items()
    ):
        raise FamilyModelError(f"{where}: tokens: a mapping such as {{en: eng_Latn}}")
    tokens.update(given)
    if spec.source_token or spec.target_token:
        for lang in {x for pair in pairs for x in pair}:
            if lang not in tokens:
                raise FamilyModelError(f"{where}: tokens: no language token for {lang}")
        tokens = {k: v for k, v in tokens.items() if any(k in pair for pair in pairs)}
    return tokens


def _manifest_spm(data: dict[Any, Any], spec: Family, where: str) -> tuple[str, str]:
    """The SentencePiece files' names in the model folder (source, target)."""
    spm = data.get("sentencepiece")
    source_spm = data.get("source_spm", spm or spec.source_spm)
    target_spm = data.get("target_spm", spm or spec.target_spm)
    for key, value in (("source_spm", source_spm), ("target_spm", target_spm)):
        if not isinstance(value, str) or "/" in value or value.startswith("."):
            raise FamilyModelError(f"{where}: {key}: a file name in the model folder")
    return str(source_spm), str(target_spm)


def read_manifest_file(path: Path) -> Manifest:
    """A user's manifest file (YAML or JSON)."""
    import yaml

    from pipeline.ingest.limits import load_untrusted_yaml

    try:
        _, data = load_untrusted_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FamilyModelError(f"{path}: cannot read the manifest ({exc.strerror})") from exc
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise FamilyModelError(f"{path}: not a YAML manifest ({exc})".splitlines()[0]) from exc
    return parse_manifest(data, str(path))
