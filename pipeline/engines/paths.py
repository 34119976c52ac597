"""Where the engines find their models and data, read from the environment once.

The CLI builds one ``EnginePaths`` when it starts (``from_env``) and hands it down in
``EngineOptions``; the engines and the model folders' functions take it, or one of its folders,
as an argument and read no environment variable themselves.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EnginePaths:
    """The folders the engines look in."""

    models: Path
    """The pipeline's own CTranslate2 family models (``PIPELINE_MODELS_DIR``, else
    ``$XDG_DATA_HOME/statement-pipeline/models``)."""
    apertium: tuple[Path, ...]
    """Apertium's language-pair folders, in the order the ``apertium`` command looks
    (``APERTIUM_DATADIR``, the folder beside the ``apertium`` program, ``/usr/share/apertium``)."""
    argos_data: Path
    """argostranslate's data folder (its ``packages/`` unless argostranslate's own
    ``ARGOS_PACKAGES_DIR`` setting names another)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EnginePaths:
        """The folders the environment (default: this process's) names."""
        env = os.environ if environ is None else environ
        return cls(
            models=_models_dir(env), apertium=_apertium_dirs(env), argos_data=_argos_data(env)
        )


def _data_home(env: Mapping[str, str], home: Path) -> Path:
    return Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")


def _models_dir(env: Mapping[str, str]) -> Path:
    value = env.get("PIPELINE_MODELS_DIR")
    if value:
        return Path(value).expanduser()
    return _data_home(env, Path.home()) / "statement-pipeline" / "models"


def _apertium_dirs(env: Mapping[str, str]) -> tuple[Path, ...]:
    dirs: list[Path] = []
    if env.get("APERTIUM_DATADIR"):
        dirs.append(Path(env["APERTIUM_DATADIR"]))
    program = shutil.which("apertium", path=env.get("PATH"))
    if program:
        dirs.append(Path(program).resolve().parent.parent / "share" / "apertium")
    dirs.append(Path("/usr/share/apertium"))
    return tuple(dict.fromkeys(dirs))


def _argos_data(env: Mapping[str, str]) -> Path:
    """As argostranslate's settings say it (a snap keeps its data in ``SNAP_USER_DATA``)."""
    home = Path(env["SNAP_USER_DATA"]) if "SNAP" in env else Path.home()
    return _data_home(env, home) / "argos-translate"
