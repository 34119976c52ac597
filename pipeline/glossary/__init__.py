"""The movement glossary: load and validate ``glossary.yml``, find terms, enforce and verify them.

A glossary lists terms with their forms per language (``en``/``es``/``ja``; lists of forms are
aligned by position, so number and gender carry over) and ``keep`` items that stay verbatim in
every language. Around an engine call the pipeline does::

    protected = protect(glossary, texts, src, tgt, engine.glossary_strategy)
    drafts = [t.text for t in engine.translate(protected.texts, src, tgt)]
    final = restore(drafts, protected)      # protected.repairs counts put-back terms
    report = verify(glossary, sources, final, src, tgt, segment_ids)

Modules, one job each: ``schema`` (the file, its problems), ``normalize`` (folding for
matching), ``terms`` (``Term``, ``Glossary``, matching), ``enforce`` (protect/restore),
``agreement`` (determiners and adjectives agree with a substituted form), ``grammar`` (Spanish gender/number, English verb use), ``check`` (verify, lint),
``exchange`` (TBX/CSV). How a term travels through an engine is the engine's
``glossary_strategy`` (``pipeline.engines.base.Strategy``).
"""

from __future__ import annotations

from pipeline.glossary.check import GlossaryReport, lint, verify
from pipeline.glossary.enforce import (
    TOKEN_PLACEHOLDER,
    TOKEN_PREFIX,
    Placeholder,
    Protected,
    protect,
    restore,
)
from pipeline.glossary.normalize import fold, normalize_form
from pipeline.glossary.schema import GlossaryError, Problem, load_glossary, parse_glossary
from pipeline.glossary.terms import MATCHER_VERSION, Glossary, Match, Term

__all__ = [
    "MATCHER_VERSION",
    "TOKEN_PLACEHOLDER",
    "TOKEN_PREFIX",
    "Glossary",
    "GlossaryError",
    "GlossaryReport",
    "Match",
    "Placeholder",
    "Problem",
    "Protected",
    "Term",
    "fold",
    "lint",
    "load_glossary",
    "normalize_form",
    "parse_glossary",
    "protect",
    "restore",
    "verify",
]
