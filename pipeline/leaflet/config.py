"""The leaflet layout settings (``leaflet.yml``): who is speaking and how the sheet looks.

Every key is optional; a leaflet without a config has no masthead name and uses the default
colours. ``load_config`` turns any problem into one ``ConfigError`` line naming the key.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from pipeline.document import LANGUAGES
from pipeline.errors import PipelineError
from pipeline.export.fonts import installed_families
from pipeline.ingest.limits import load_untrusted_yaml

HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
QUOTE_STYLES = {"«»": "«»", "“”": "“”", "angle": "«»", "curly": "“”", '""': "“”"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".svg", ".gif", ".webp"}

# One value for every language, or a mapping language -> value.
PerLanguage = str | dict[str, str]


class ConfigError(PipelineError, ValueError):
    """A bad leaflet config, described in one line (file, key, problem)."""


class Colours(BaseModel):
    """Accent (masthead band, slogans, subtitle) and ink (text) colours as ``#rrggbb``."""

    model_config = ConfigDict(extra="forbid")

    accent: str = "#b5121b"
    ink: str = "#1c1c1c"

    @field_validator("accent", "ink")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not isinstance(value, str) or not HEX_COLOUR.match(value.strip()):
            raise ValueError(f"{value!r} is not a colour; write it as #rrggbb, e.g. #b5121b")
        return value.strip()


class FontChoice(BaseModel):
    """Font families (first one wins, later ones are fallbacks) for one script."""

    model_config = ConfigDict(extra="forbid")

    body: list[str] | None = None
    heading: list[str] | None = None
    display: list[str] | None = None

    @field_validator("body", "heading", "display", mode="before")
    @classmethod
    def _as_list(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class LeafletConfig(BaseModel):
    """Settings of ``leaflet.yml``; see the example at the repository root."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    organisation: PerLanguage = ""
    tagline: PerLanguage = ""
    logo: Path | None = None
    logo_bw: Path | None = None
    photo: Path | int | bool | None = None
    colours: Colours = Field(default_factory=Colours, alias="colours")
    contact: list[str] | dict[str, list[str]] = Field(default_factory=list)
    url: str | None = None
    qr: bool = True
    paper: Literal["a4", "a5"] = "a4"
    fonts: dict[Literal["latin", "ja"], FontChoice] = Field(default_factory=dict)
    spanish_quotes: Annotated[str, Field(description="«» or “”")] = "«»"
    date: str | None = None
    _base_dir: Path = PrivateAttr(default=Path("."))

    @field_validator("spanish_quotes")
    @classmethod
    def _quotes(cls, value: str) -> str:
        if value not in QUOTE_STYLES:
            raise ValueError(f"{value!r} is not a quote style; use «» or “”")
        return QUOTE_STYLES[value]

    @field_validator("organisation", "tagline", "contact")
    @classmethod
    def _languages(cls, value: object) -> object:
        if isinstance(value, dict):
            unknown = [str(k) for k in value if k not in LANGUAGES]
            if unknown:
                raise ValueError(f"{unknown[0]!r} is not a language here; use en, es or ja as keys")
        return value

    @field_validator("contact", mode="before")
    @classmethod
    def _contact(cls, value: object) -> object:
        """One contact line may be written as text, not a list (also per language)."""
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(https?://|mailto:)\S+$", value.strip()):
            raise ValueError(f"{value!r} is not a web address; start it with https://")
        return value.strip() if value else value

    @field_validator("logo", "logo_bw")
    @classmethod
    def _image(cls, value: Path | None) -> Path | None:
        if value is not None and value.suffix.lower() not in IMAGE_SUFFIXES:
            raise ValueError(f"{value} is not an image; use PNG, JPEG, GIF, WebP or SVG")
        return value

    @field_validator("photo", mode="before")
    @classmethod
    def _photo(cls, value: object) -> object:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            if value < 1:
                raise ValueError(f"{value} is not an image number; the first image is 1")
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return cls._photo(int(value))
        if isinstance(value, str) and Path(value).suffix.lower() in IMAGE_SUFFIXES:
            return Path(value)
        raise ValueError(
            f"{value!r} is not a photo: give an image file (PNG, JPEG, GIF, WebP or SVG), "
            "the number of one of the statement's images, or false for none"
        )

    def photo_path(self) -> Path | None:
        """The photo file ``photo:`` names, resolved (None when it names none)."""
        if not isinstance(self.photo, Path):
            return None
        return self.photo if self.photo.is_absolute() else self._base_dir / self.photo

    # -- per-language lookups ------------------------------------------------------------------
    def organisation_for(self, lang: str) -> str:
        return _pick(self.organisation, lang)

    def tagline_for(self, lang: str) -> str:
        return _pick(self.tagline, lang)

    def contact_for(self, lang: str) -> list[str]:
        if isinstance(self.contact, dict):
            return (
                self.contact.get(lang)
                or self.contact.get("en")
                or next(iter(self.contact.values()), [])
            )
        return list(self.contact)

    def logo_path(self, bw: bool = False) -> Path | None:
        """The logo file to use (the black-and-white one for ``bw`` when given), resolved."""
        chosen = self.logo_bw if bw and self.logo_bw else self.logo
        if chosen is None:
            return None
        return chosen if chosen.is_absolute() else self._base_dir / chosen


def _pick(value: PerLanguage, lang: str) -> str:
    if isinstance(value, str):
        return value
    return value.get(lang) or value.get("en") or next(iter(value.values()), "")


def _key(loc: tuple[object, ...]) -> str:
    return ".".join(str(p) for p in loc if not str(p).startswith(("str", "dict", "list")))


def _one_line(exc: ValidationError, data: dict[str, Any]) -> str:
    err = exc.errors()[0]
    key = _key(err["loc"]) or "(top level)"
    if err["type"] == "extra_forbidden":
        leaf = str(err["loc"][-1])
        parent = LeafletConfig if len(err["loc"]) == 1 else None
        known = list(parent.model_fields) if parent else []
        if len(err["loc"]) > 1 and err["loc"][0] == "colours":
            known = list(Colours.model_fields)
        elif len(err["loc"]) > 1 and err["loc"][0] == "fonts":
            known = list(FontChoice.model_fields)
        hint = difflib.get_close_matches(leaf, known, n=1)
        return f"{key}: unknown key" + (f" (did you mean {hint[0]!r}?)" if hint else "")
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "literal_error" and "input" in err:
        msg = f"{err['input']!r} is not allowed; {msg[0].lower()}{msg[1:]}"
    top = str(err["loc"][0]) if err["loc"] else ""
    if top in _EXPECTED and err["type"] in _TYPE_ERRORS:
        msg = f"{err.get('input')!r} is not {_EXPECTED[top]}"
    elif err["type"] in _TYPE_ERRORS:
        msg = f"{err.get('input')!r} is not {_TYPE_ERRORS[err['type']]}"
    return f"{key}: {msg}"


# pydantic's type errors, in the words of someone editing leaflet.yml
_TYPE_ERRORS = {
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text",
    "list_type": "a list of lines",
    "dict_type": "a set of keys",
    "model_type": "a set of keys",
    "model_attributes_type": "a set of keys",
}
_EXPECTED = {
    "organisation": "text, or text per language ({en: …, es: …, ja: …})",
    "tagline": "text, or text per language ({en: …, es: …, ja: …})",
    "contact": "a line of text or a list of lines (also per language: {en: […], es: […]})",
    "colours": 'a set of colours, e.g. {accent: "#b5121b", ink: "#1a1a1a"}',
    "qr": "true or false",
}


def load_config(path: Path | str) -> LeafletConfig:
    """Read and check ``leaflet.yml``; raise ``ConfigError`` (one line) when something is wrong."""
    path = Path(path)
    try:
        _, raw = load_untrusted_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys (organisation:, colours:, …)")
    if "colors" in raw and "colours" not in raw:
        raw["colours"] = raw.pop("colors")
    try:
        config = LeafletConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_one_line(exc, raw)}") from exc
    config._base_dir = path.parent
    for key in ("logo", "logo_bw"):
        value = getattr(config, key)
        if value is not None:
            resolved = value if value.is_absolute() else path.parent / value
            if not resolved.is_file():
                raise ConfigError(f"{path}: {key}: {resolved} does not exist")
    photo = config.photo_path()
    if photo is not None and not photo.is_file():
        raise ConfigError(f"{path}: photo: {photo} does not exist")
    bad_font = _first_missing_font(config)
    if bad_font:
        raise ConfigError(f"{path}: {bad_font}")
    return config


def _first_missing_font(config: LeafletConfig) -> str | None:
    families = installed_families()
    for script, choice in config.fonts.items():
        for role in ("body", "heading", "display"):
            for family in getattr(choice, role) or []:
                if family.lower() not in families:
                    return f"fonts.{script}.{role}: font {family!r} is not installed"
    return None
