"""Streaming XML for the importers (TMX, review XLIFF): one set of parser settings and one
reading of its error log.

No DTD, no entity resolved, no network, lxml's depth limit; the parser recovers only so that
an undeclared entity (``&web;``) refuses its unit instead of the whole file: anything else it
had to recover from refuses the file.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

UNDECLARED_ENTITY_ERRORS = frozenset({26, 27})
"""libxml2's codes for an undeclared entity: tolerated, the importer refuses that unit."""


def iterparse(path: Path, events: tuple[str, ...], tag: Iterable[str]) -> Any:
    """lxml's ``iterparse`` over ``path`` with the importers' safety settings."""
    from lxml import etree

    return etree.iterparse(
        str(path), events=events, tag=list(tag), resolve_entities=False, load_dtd=False,
        no_network=True, huge_tree=False, recover=True, remove_comments=True, remove_pis=True,
    )  # fmt: skip


def recovered(log: Any) -> bool:
    """Whether the parser recovered from anything but an undeclared entity."""
    return any(e.type not in UNDECLARED_ENTITY_ERRORS for e in log)


def xml_problem(log: Any, exc: Exception | None = None) -> str:
    """The first error of ``log`` that is not tolerated, for a one-line message."""
    errors = [e for e in log if e.type not in UNDECLARED_ENTITY_ERRORS]
    if errors:
        first = errors[0]
        return f"{first.message.strip()}, line {first.line}, column {first.column}"
    return str(exc).splitlines()[0] if exc is not None and str(exc) else "not XML"
