"""Leaflet layouts: the Typst templates in this folder and the names the commands offer.

Cheap to import (no Typst, no pydantic), so the command line can build its choices from it.
"""

from pathlib import Path

LAYOUTS = ("leaflet-a4", "leaflet-a5", "bilingual")
"""Layouts a translation can be set in besides the plain document."""

LAYOUT_DIR = Path(__file__).resolve().parent
"""The folder holding the ``*.typ`` templates."""
