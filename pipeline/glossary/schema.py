"""The glossary file: pydantic models of ``glossary.yml``, loading, problems with file:line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pipeline.document import LANGUAGES
from pipeline.errors import PipelineError
from pipeline.glossary.normalize import fold
from pipeline.glossary.terms import Glossary, Term
from pipeline.ingest.limits import load_untrusted_yaml


class GlossaryError(PipelineError):
    """An unusable glossary; the message names the file and line."""


@dataclass(frozen=True)
class Problem:
    """A lint finding: ``line`` is 1-based (0 when unknown); a warning does not fail lint."""

    line: int
    kind: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def format(self, path: str) -> str:
        warning = "warning: " if self.severity == "warning" else ""
        return f"{path}:{self.line}: {warning}{self.kind}: {self.message}"


Forms = str | list[str]


class _EntryModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str | None = None
    en: Forms | None = None
    es: Forms | None = None
    ja: Forms | None = None
    keep: Forms | None = None
    note: str | None = None
    case_sensitive: bool | None = None
    gender: Literal["m", "f"] | None = Field(
        default=None, description="grammatical gender of the Spanish form(s)"
    )

    @field_validator("en", "es", "ja", "keep")
    @classmethod
    def _forms_not_empty(cls, value: Forms | None) -> Forms | None:
        if value is None:
            return value
        forms = [value] if isinstance(value, str) else value
        if not forms:
            raise ValueError("needs at least one form")
        for form in forms:
            if not form.strip():
                raise ValueError("a form is empty")
            if form != form.strip():
                raise ValueError(f"form {form!r} has leading or trailing spaces")
        return value

    @model_validator(mode="after")
    def _languages(self) -> _EntryModel:
        langs = [lang for lang in LANGUAGES if getattr(self, lang) is not None]
        if self.keep is not None and langs:
            raise ValueError("an entry is either `keep` or per-language forms, not both")
        if self.keep is None and len(langs) < 2:
            raise ValueError("a term needs forms in at least two of en, es, ja (or use `keep`)")
        return self


class _FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    version: Literal[1]
    terms: list[_EntryModel]


# ---------------------------------------------------------------- loading


def _node_at(node: yaml.Node | None, loc: Sequence[Any]) -> yaml.Node | None:
    """The YAML node a pydantic error location points at (or its nearest parent)."""
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == key), None)
            if nxt is None:
                return node
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                return node
            node = node.value[key]
        else:
            return node
    return node


def _line(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 0


def _duplicate_keys(node: yaml.Node) -> list[Problem]:
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            if key.value in seen:
                problems.append(
                    Problem(
                        _line(key),
                        "duplicate key",
                        f"`{key.value}` already given on line {seen[key.value]}",
                    )
                )
            seen[key.value] = _line(key)
            problems += _duplicate_keys(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            problems += _duplicate_keys(item)
    return problems


def _as_tuple(value: Forms | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def parse_glossary(text: str) -> tuple[Glossary | None, list[Problem]]:
    """Parse glossary YAML text: the glossary and the problems that make it invalid.

    The glossary is None when the file cannot be read as a glossary at all; it is returned
    with problems (duplicate keys or forms) so that ``lint`` can look further.
    """
    try:
        root, data = load_untrusted_yaml(text)  # aliases counted as expanded: no bomb
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 0
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [Problem(line, "bad YAML", str(what))]
    if root is None:
        return None, [Problem(1, "empty", "no content; expected `version: 1` and `terms:`")]
    problems = _duplicate_keys(root)
    try:
        model = _FileModel.model_validate(data)
    except ValidationError as exc:
        return None, list(dict.fromkeys(problems + _validation_problems(exc, root)))
    entry_nodes = _node_at(root, ["terms"])
    terms = [
        term
        for index, entry in enumerate(model.terms)
        for term in _entry_terms(entry, _node_at(entry_nodes, [index]))
    ]
    glossary = Glossary(terms)
    problems += duplicate_forms(glossary.terms)
    return glossary, problems


def _validation_problems(exc: ValidationError, root: yaml.Node) -> list[Problem]:
    """pydantic's errors as problems on lines, one per place (a union's branches are one)."""
    problems: list[Problem] = []
    seen_locs: set[tuple[object, ...]] = set()
    for err in exc.errors():
        loc = [part for part in err["loc"] if part not in ("str", "list[str]")]
        branch = next(
            (i for i, part in enumerate(err["loc"]) if part in ("str", "list[str]")), None
        )
        union = branch is not None  # a form: text or a list of texts
        if union:
            loc = list(err["loc"][:branch])
        if tuple(loc) in seen_locs:
            continue  # the other branch of the same union
        seen_locs.add(tuple(loc))
        where = ".".join(str(p) for p in loc) or "file"
        message = _in_words(err, union)
        if err["type"] == "extra_forbidden":
            message = "unknown key (allowed: id, en, es, ja, keep, note, case_sensitive, gender)"
        line = _line(_node_at(root, loc))
        problems.append(Problem(line, "invalid", f"{where}: {message}"))
    return problems


def _entry_terms(entry: _EntryModel, node: yaml.Node | None) -> list[Term]:
    """The terms one entry of ``terms:`` makes: one per ``keep`` form, else one."""
    line = _line(node)
    if entry.keep is not None:
        return [
            Term(
                id=entry.id or form,
                forms={"*": (form,)},
                keep=True,
                note=entry.note or "",
                case_sensitive=entry.case_sensitive,
                gender=entry.gender,
                line=_line(_node_at(node, ["keep", k]))
                if not isinstance(entry.keep, str)
                else line,
            )
            for k, form in enumerate(_as_tuple(entry.keep))
        ]
    forms = {lang: _as_tuple(getattr(entry, lang)) for lang in LANGUAGES if getattr(entry, lang)}
    return [
        Term(
            id=entry.id or next(iter(forms.values()))[0],
            forms=forms,
            note=entry.note or "",
            case_sensitive=entry.case_sensitive,
            gender=entry.gender,
            line=line,
        )
    ]


def _in_words(err: Any, union: bool) -> str:
    """pydantic's message for one error, in the words of someone editing glossary.yml."""
    message = str(err["msg"]).removeprefix("Value error, ")
    if union:
        value = err.get("input")
        hint = " (YAML reads yes/no/on/off as true/false: quote the word)"
        return (
            f"{value!r} is not a form or a list of forms{hint if isinstance(value, bool) else ''}"
        )
    if message.startswith("Input should be "):
        expected = message.removeprefix("Input should be ")
        for valid, words in (
            ("a valid string", "text"),
            ("a valid list", "a list"),
            ("a valid boolean", "true or false"),
            ("a valid integer", "a number"),
            ("a valid dictionary", "a set of keys"),
        ):
            expected = expected.replace(valid, words)
        return f"{err.get('input')!r} is not {expected}"
    return message


def load_glossary(path: Path | str) -> Glossary:
    """Load and validate a glossary file; ``GlossaryError`` names the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GlossaryError(f"{path}: cannot read glossary ({exc})") from exc
    glossary, problems = parse_glossary(text)
    if glossary is None or problems:
        first = problems[0].format(str(path))
        more = len(problems) - 1
        suffix = (
            f" (and {more} more problem{'s' if more > 1 else ''}: run `pipeline glossary lint`)"
        )
        raise GlossaryError(first + (suffix if more else ""))
    glossary.path = path
    return glossary


# ---------------------------------------------------------------- forms in two entries


def _shared(terms: Sequence[Term]) -> list[tuple[str, str, Term, Term]]:
    """(language, form, first entry, later entry) for every form listed in two entries."""
    seen: dict[tuple[str, str], Term] = {}
    shared: list[tuple[str, str, Term, Term]] = []
    for term in terms:
        reported: set[tuple[str, str]] = set()
        own: set[tuple[str, str]] = set()
        for lang, forms in term.forms.items():
            for form in forms:
                for each in LANGUAGES if lang == "*" else (lang,):
                    key = (each, fold(form))
                    if key in own:  # aligned lists may repeat a form on purpose
                        continue
                    own.add(key)
                    other = seen.setdefault(key, term)
                    if other is term or (other.id, fold(form)) in reported:
                        continue
                    reported.add((other.id, fold(form)))
                    shared.append((each, form, other, term))
    return shared


def duplicate_forms(terms: Sequence[Term]) -> list[Problem]:
    """A form in two entries that render it the same way: the later entry is a duplicate.

    Two entries that share a form but render it differently are allowed (``miners →
    mineros`` and ``mineworkers → mineros``: every real termbase has synonyms); ``lint``
    warns about them (``shared_forms``).
    """
    problems: list[Problem] = []
    reported: set[tuple[int, int]] = set()
    for lang, form, first, later in _shared(terms):
        if not same_rendering(later, first, lang, form) or (id(later), id(first)) in reported:
            continue
        reported.add((id(later), id(first)))
        problems.append(
            Problem(
                later.line,
                "duplicate",
                f"{lang}: form {form!r} is also in the entry on line {first.line} with the "
                "same rendering; merge the two entries",
            )
        )
    return problems


def shared_forms(terms: Sequence[Term]) -> list[Problem]:
    """Warnings for a form two entries render differently: which entry each direction uses.

    Translating *from* the shared form's language uses the first entry (the matcher takes
    entries in file order); towards it, both entries are enforced.
    """
    problems: list[Problem] = []
    for lang, form, first, later in _shared(terms):
        if same_rendering(later, first, lang, form):
            continue
        mine, theirs = _rendering(later, lang, form), _rendering(first, lang, form)
        uses = [
            f"{lang}→{tgt} will use the first entry ({theirs[tgt]!r}, line {first.line}), "
            f"not this one ({mine[tgt]!r})"
            for tgt in LANGUAGES
            if tgt in mine and tgt in theirs and mine[tgt] != theirs[tgt]
        ]
        problems.append(
            Problem(
                later.line,
                "shared form",
                f"{lang}: form {form!r} is also in the entry on line {first.line}; "
                + "; ".join(uses or [f"{lang}→* will use the first entry (line {first.line})"]),
                severity="warning",
            )
        )
    return problems


def _rendering(term: Term, lang: str, form: str) -> dict[str, str]:
    """What ``term`` renders its ``form`` (of ``lang``) as, per other language."""
    index = [fold(f) for f in term.forms_for(lang)].index(fold(form))
    return {
        tgt: term.target_form(lang, index, tgt)
        for tgt in LANGUAGES
        if tgt != lang and term.forms_for(tgt)
    }


def same_rendering(a: Term, b: Term, lang: str, form: str) -> bool:
    """Whether both entries render ``form`` (of ``lang``) the same way in every other language."""
    mine, theirs = _rendering(a, lang, form), _rendering(b, lang, form)
    return all(mine[tgt] == theirs[tgt] for tgt in mine.keys() & theirs.keys())
