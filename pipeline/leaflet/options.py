"""Which leaflet to make: the layout names and the print choices, with their rules in one place.

Cheap to import (no Typst, no pydantic), so the command line can build its choices from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.errors import PipelineError

LAYOUTS = ("leaflet-a4", "leaflet-a5", "bilingual")
"""Layouts a translation can be set in besides the plain document."""

TWO_UP_RULE = "--two-up works only with --layout leaflet-a5 and without --bleed"


class LeafletError(PipelineError, RuntimeError):
    """The leaflet could not be made (one line: what and why)."""


class LeafletOptionsError(LeafletError, ValueError):
    """Print choices that do not go together: the request itself is wrong (a usage error)."""


def check_layout(layout: str) -> None:
    """Raise ``LeafletOptionsError`` unless ``layout`` is one of ``LAYOUTS``."""
    if layout not in LAYOUTS:
        raise LeafletOptionsError(f"unknown layout {layout!r}; choose from {', '.join(LAYOUTS)}")


@dataclass(frozen=True)
class LeafletOptions:
    """The layout and its print variants; a combination that cannot be made never exists.

    ``two_up`` imposes an A5 leaflet twice on A4 landscape, so it needs ``leaflet-a5`` and no
    ``bleed`` (a bleed sheet is cut by the print shop, not in half).
    """

    layout: str
    bw: bool = False
    bleed: bool = False
    two_up: bool = False

    def __post_init__(self) -> None:
        if self.two_up and (self.layout != "leaflet-a5" or self.bleed):
            raise LeafletOptionsError(TWO_UP_RULE)
        check_layout(self.layout)
