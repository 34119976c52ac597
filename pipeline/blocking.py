"""Blocking findings: QA findings a reader would reject in print, and what they hold back.

A QA finding points a reviewer at a draft; most (an unknown word Apertium left, a number
spelled differently, a long draft) are worth a look but do not stop a statement being printed.
A **blocking** finding is one that would put garbage in front of readers:

* ``leftover`` placeholders or markers: a glossary token or inline marker the engine mangled
  (``placeholder debris removed from the draft``: the words it stood for may be missing), a
  placeholder, formatting marker, markup or engine mark left in the draft;
* ``degenerate`` drafts left as the source text (every engine looped or answered in the wrong
  language: the print would carry the original language);
* ``untranslated`` drafts: empty, identical to the source, or surely in another language than
  the target (wrong-language segments, ``WRONG_LANGUAGE_CONFIDENCE``).

A target with a blocking finding gets its **review material** (DOCX, ODT, review DOCX, XLIFF,
the segments sidecar) so translators can fix it, but not its **print-ready outputs** (the PDF
and the leaflet) unless the run allows it (``--allow-blocking``); the run then exits 1 with one
line naming the segments and how to fix them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PRINT_READY = ("pdf",)
"""The document formats (report.json ``outputs`` keys) held back by a blocking finding; the
leaflet (``--layout``) is held back as well."""

_BLOCKING_LEFTOVERS = (
    "placeholder debris removed",
    "placeholder left in draft",
    "markup left in draft",
    "engine mark left in draft",
    "formatting marker lost",
    "marker not in source",
    "a damaged tag",
)
"""Parts of a ``leftover`` finding's detail (``qa.check_leftovers``, ``debris``) that block;
"left untranslated by the engine: …" (an unknown word) does not."""

WRONG_LANGUAGE_CONFIDENCE = 0.9
"""A draft "looks like" another language (QA ``untranslated``) this surely before it blocks: a
sentence with one word left in the source language ("The reincorporación of all the sacked.",
0.74) is a QA finding for the reviewer, not a wrong-language segment."""
_CONFIDENCE = re.compile(r"\(confidence (\d+(?:\.\d+)?)\)")

FIX = (
    "review them (`pipeline translate --review`, edit, then `pipeline review import`), "
    "or pass --allow-blocking to print anyway"
)


@dataclass(frozen=True)
class Held:
    """What a target's blocking findings hold back: the findings, and the outputs."""

    findings: tuple[Mapping[str, str], ...]
    outputs: tuple[str, ...]

    def line(self) -> str:
        """One line for stderr: which segments, why, what was not written, how to fix."""
        segments = list(dict.fromkeys(f["segment"] for f in self.findings))
        shown = ", ".join(segments[:8]) + (
            f" and {len(segments) - 8} more" if len(segments) > 8 else ""
        )
        kinds = ", ".join(dict.fromkeys(kind(f) for f in self.findings))
        count = len(segments)
        found = f"{count} segment{'s' if count != 1 else ''} with blocking findings ({kinds})"
        if not self.outputs:  # nothing print-ready was asked for: the finding still counts
            return f"{found}: {shown}; before printing, {FIX}"
        return f"{' and '.join(self.outputs)} not written: {found}: {shown}; {FIX}"

    def as_json(self) -> list[dict[str, str]]:
        return [dict(f) for f in self.findings]


def is_blocking(finding: Mapping[str, str]) -> bool:
    """Whether one QA finding (report.json ``qa`` entry) blocks print."""
    check, detail = finding.get("check", ""), finding.get("detail", "")
    if check == "leftover":
        return any(part.strip().startswith(_BLOCKING_LEFTOVERS) or _is_marker(part)
                   for part in detail.split("; "))  # fmt: skip
    if check == "degenerate":
        return detail.endswith("left as the source text")
    if check == "untranslated":
        sure = _CONFIDENCE.search(detail)
        return sure is None or float(sure.group(1)) >= WRONG_LANGUAGE_CONFIDENCE
    return False


def _is_marker(part: str) -> bool:
    """``<g3> not closed``, ``</g3> without its opening tag`` (``markers.check``)."""
    part = part.strip()
    return part.startswith("<") and part.endswith((" not closed", " without its opening tag"))


def kind(finding: Mapping[str, str]) -> str:
    """A short name for what is wrong, for the one line."""
    check, detail = finding.get("check", ""), finding.get("detail", "")
    if check == "leftover":
        return "placeholder debris" if "debris" in detail or "placeholder" in detail else "markers"
    if check == "degenerate":
        return "degenerate draft left as the source"
    if "looks like" in detail or "identical" in detail:
        return "wrong language"
    return "empty draft"


def blocking(findings: Iterable[Mapping[str, str]]) -> list[Mapping[str, str]]:
    """The blocking findings among a target's QA findings, in order."""
    return [f for f in findings if is_blocking(f)]


def print_ready(key: str) -> bool:
    """Whether an output (its report.json ``outputs`` key) is print-ready."""
    return key in PRINT_READY


def held(
    findings: Iterable[Mapping[str, str]], formats: Iterable[str], layout: str, allowed: bool
) -> Held | None:
    """What a target's findings hold back (of the print-ready ``formats`` and the leaflet
    asked for); None when nothing blocks or ``allowed``. A Held with no outputs still fails
    the target: the run found something blocking."""
    found = blocking(findings)
    if not found or allowed:
        return None
    outputs = [f.upper() for f in formats if print_ready(f)]
    outputs += ["leaflet"] if layout != "document" else []
    return Held(tuple(found), tuple(outputs))


def debris_finding(segment: str, detail: str) -> dict[str, str]:
    """The QA finding of a segment whose draft had placeholder debris (``pipeline.debris``)."""
    return {"segment": segment, "check": "leftover", "detail": detail}


def blocking_fields(
    findings: Iterable[Mapping[str, str]], held_back: Held | None
) -> dict[str, object]:
    """report.json's ``blocking`` (the blocking QA findings) and ``held_back`` (the outputs
    not written because of them: ``pdf``, ``leaflet``) of one target."""
    return {
        "blocking": [dict(f) for f in blocking(findings)],
        "held_back": [o.lower() for o in held_back.outputs] if held_back else [],
    }


def rebuild_for_blocking(stored: Mapping[str, Any], allowed: bool) -> bool:
    """Whether a document whose outputs look up to date is built again because of blocking
    findings: an output was held back, or findings printed under ``--allow-blocking`` are not
    allowed in this run (so the run says so again instead of skipping it as unchanged)."""
    targets = stored.get("targets")
    if not isinstance(targets, Mapping):
        return False
    return any(
        isinstance(t, Mapping) and (t.get("held_back") or (t.get("blocking") and not allowed))
        for t in targets.values()
    )
