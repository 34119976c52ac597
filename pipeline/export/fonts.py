"""Fonts for PDF output: where they are and which family each language uses.

Setup installs Debian's ``fonts-noto-cjk`` (Noto Sans/Serif CJK JP) and ``fonts-noto-core``
(Noto Sans/Serif). Typst is pointed at those folders explicitly so output does not depend on
whatever else the machine has.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FONT_DIRS = (
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/truetype/noto"),
)
CJK_FILE = "NotoSansCJK-Regular.ttc"
INSTALL_HINT = "apt-get install fonts-noto-cjk fonts-noto-core"


@dataclass(frozen=True)
class FontSet:
    """Font families for one language, in Typst fallback order."""

    body: tuple[str, ...]
    heading: tuple[str, ...]


FONTS = {
    "ja": FontSet(
        body=("Noto Serif CJK JP", "Noto Sans CJK JP"),
        heading=("Noto Sans CJK JP",),
    ),
    "latin": FontSet(
        body=("Noto Serif", "Noto Serif CJK JP"),
        heading=("Noto Sans", "Noto Sans CJK JP"),
    ),
}


def fonts_for(lang: str) -> FontSet:
    """The font families to use for text in ``lang`` (CJK fonts as fallback for Latin text)."""
    return FONTS["ja"] if lang == "ja" else FONTS["latin"]


def font_dirs() -> list[str]:
    """Folders Typst should load fonts from (``PIPELINE_FONT_DIRS`` adds more, colon-separated)."""
    extra = [p for p in os.environ.get("PIPELINE_FONT_DIRS", "").split(os.pathsep) if p]
    return [str(p) for p in (*map(Path, extra), *FONT_DIRS) if Path(p).is_dir()]


def missing_fonts() -> list[str]:
    """Names of required font files that are not installed (empty when all is well)."""
    wanted = [CJK_FILE, "NotoSans-Regular.ttf", "NotoSerif-Regular.ttf"]
    found = {f.name for d in font_dirs() for f in Path(d).iterdir()}
    return [w for w in wanted if w not in found]


def font_file(name: str) -> Path | None:
    """The installed font file called ``name`` (``NotoSerif-Bold.ttf``), or None."""
    for folder in font_dirs():
        candidate = Path(folder) / name
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def typst_fonts() -> Any:
    """The fonts Typst may use (from ``font_dirs()``), scanned once per process."""
    import typst

    return typst.Fonts(include_system_fonts=False, font_paths=font_dirs())


@functools.cache
def installed_families() -> frozenset[str]:
    """Font families Typst can use (from ``font_dirs()``), lower-cased."""
    return frozenset(f.lower() for f in typst_fonts().families())
