"""Apertium's marks never reach a document: unknown words (``*word``) and unknown symbols."""

from __future__ import annotations

from pipeline.engines.apertium import ApertiumEngine
from tests.conftest import requires_apertium


@requires_apertium
def test_apertium_unknown_symbol_mark_is_removed() -> None:
    [out] = ApertiumEngine().translate(["solidarity@example.org · PO Box 12, Tokyo"], "en", "es")
    assert "*" not in out.text and "·" in out.text, out.text
    assert "·" not in out.unknown_words
