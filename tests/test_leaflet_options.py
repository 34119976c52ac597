"""The leaflet print choices: which combinations exist, checked in one place."""

from __future__ import annotations

import pytest

from pipeline.errors import PipelineError
from pipeline.leaflet import LAYOUTS, LeafletError, LeafletOptions, LeafletOptionsError


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("bw", [False, True])
@pytest.mark.parametrize("bleed", [False, True])
def test_every_layout_takes_bw_and_bleed(layout: str, bw: bool, bleed: bool) -> None:
    options = LeafletOptions(layout, bw=bw, bleed=bleed)
    assert (options.layout, options.bw, options.bleed, options.two_up) == (layout, bw, bleed, False)


@pytest.mark.parametrize("bw", [False, True])
def test_two_up_goes_with_leaflet_a5_without_bleed(bw: bool) -> None:
    assert LeafletOptions("leaflet-a5", bw=bw, two_up=True).two_up


@pytest.mark.parametrize(
    ("layout", "bleed"),
    [("leaflet-a4", False), ("bilingual", False), ("document", False), ("leaflet-a5", True)],
)
def test_two_up_elsewhere_is_refused(layout: str, bleed: bool) -> None:
    with pytest.raises(LeafletOptionsError) as info:
        LeafletOptions(layout, bleed=bleed, two_up=True)
    assert str(info.value) == "--two-up works only with --layout leaflet-a5 and without --bleed"
    assert isinstance(info.value, LeafletError) and isinstance(info.value, PipelineError)


def test_unknown_layout_is_refused() -> None:
    with pytest.raises(LeafletOptionsError, match="unknown layout 'poster'; choose from"):
        LeafletOptions("poster")


def test_options_are_frozen() -> None:
    options = LeafletOptions("leaflet-a5")
    with pytest.raises(AttributeError):
        options.two_up = True  # type: ignore[misc]
