"""``engines.yml``: which engines and models ``--engine auto`` tries per language pair, in order.

```yaml
en-ja: [nllb-200-600m, argos]     # NLLB-200 first, Argos when NLLB is not installed
ja-en: [opus-mt-ja-en, argos]
en-es: [apertium]                 # only Apertium for en→es
```

Keys are directions between en, es and ja; values list engine names (``argos``, ``apertium``,
``libretranslate``, ``ctranslate2`` = any installed family model) or the name of an installed
model (``pipeline models list``). The first entry that covers the pair on this machine wins; a
listed model that is not installed is passed over, and so is ``libretranslate`` when no
``--url`` is given. Pairs not listed keep the default order
(``DEFAULT_ORDER``). The file is optional: ``--engines FILE``, else ``./engines.yml``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from pipeline.engines.base import EngineError

DEFAULT_ORDER = ("ctranslate2", "argos", "apertium")
ENGINE_NAMES = ("argos", "apertium", "libretranslate", "ctranslate2")
DEFAULT_FILE = "engines.yml"
_LANGS = ("en", "es", "ja")
_MODEL_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")

Routes = Mapping[tuple[str, str], tuple[str, ...]]


class RoutesError(EngineError):
    """engines.yml is wrong; the message names the file, the pair and the entry."""


def parse_routes(data: object, where: str) -> dict[tuple[str, str], tuple[str, ...]]:
    """The routes in ``data`` (engines.yml loaded); RoutesError naming ``where`` and the key."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RoutesError(f"{where}: expected pairs such as `en-ja: [nllb-200-600m, argos]`")
    routes: dict[tuple[str, str], tuple[str, ...]] = {}
    for key, value in data.items():
        parts = str(key).split("-")
        if (
            len(parts) != 2
            or parts[0] not in _LANGS
            or parts[1] not in _LANGS
            or parts[0] == parts[1]
        ):
            raise RoutesError(f"{where}: {key!r} is not a direction between en, es and ja (en-ja)")
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names:
            raise RoutesError(f"{where}: {key}: a list of engines or models, e.g. [argos]")
        for name in names:
            if not isinstance(name, str) or not _MODEL_NAME.match(name):
                raise RoutesError(
                    f"{where}: {key}: {name!r} is neither an engine ({', '.join(ENGINE_NAMES)}) "
                    "nor a model name"
                )
        routes[(parts[0], parts[1])] = tuple(dict.fromkeys(names))
    return routes


def load_routes(path: Path | None) -> dict[tuple[str, str], tuple[str, ...]]:
    """engines.yml at ``path`` (an error when missing), else ./engines.yml when present."""
    import yaml

    from pipeline.ingest.limits import load_untrusted_yaml

    if path is None:
        path = Path(DEFAULT_FILE)
        if not path.is_file():
            return {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RoutesError(f"{path}: cannot read the engines file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise RoutesError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    try:
        _, data = load_untrusted_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise RoutesError(f"{path}{line}: not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    return parse_routes(data, str(path))


def order(routes: Routes, src: str, tgt: str) -> tuple[str, ...]:
    """The names ``--engine auto`` tries for src→tgt, in order."""
    return routes.get((src, tgt), DEFAULT_ORDER)
