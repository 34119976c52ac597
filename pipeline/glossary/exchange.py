"""Glossary exchange with CAT tools: TBX (through translate-toolkit) and CSV, and YAML writing.

Export writes one TBX ``termEntry`` (or CSV row) per glossary term with every form per
language; ``keep`` items become entries with the same form in en, es and ja. Pipeline-only
settings (``keep``, ``gender``, ``case_sensitive``) travel as ``<note from="pipeline">``.
Import reads either format back into glossary entries (plain dicts in ``glossary.yml`` shape).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from translate.storage import tbx

from pipeline.document import LANGUAGES
from pipeline.export.atomic import write_text_atomic
from pipeline.glossary.check import GlossaryReport, verify
from pipeline.glossary.normalize import fold
from pipeline.glossary.schema import GlossaryError, parse_glossary, same_rendering
from pipeline.glossary.terms import Glossary, Term
from pipeline.ingest.errors import ReadError
from pipeline.ingest.limits import Limits, check_import_size, load_untrusted_yaml

PIPELINE_NOTE = "pipeline"
CSV_FIELDS = ["id", "en", "es", "ja", "keep", "note", "gender", "case_sensitive"]
FORM_SEPARATOR = " | "


# ---------------------------------------------------------------- TBX


def export_tbx(glossary: Glossary, source_lang: str = "en") -> bytes:
    """The glossary as a TBX document (every language of every term)."""
    store = tbx.tbxfile(sourcelanguage=source_lang)
    for term in glossary.terms:
        langs = {lang: term.forms_for(lang) for lang in LANGUAGES if term.forms_for(lang)}
        source = source_lang if source_lang in langs else next(iter(langs))
        unit = store.addsourceunit(langs[source][0])  # type: ignore[no-untyped-call,unused-ignore]
        unit.set_source_terms(list(langs[source]))
        for lang, forms in langs.items():
            if lang != source:
                unit.set_target_terms(list(forms), lang)
        unit.setid(term.id)
        if term.note:
            unit.addnote(term.note)
        settings = []
        if term.keep:
            settings.append("keep")
        if term.gender:
            settings.append(f"gender={term.gender}")
        if term.case_sensitive is not None:
            settings.append(f"case_sensitive={str(term.case_sensitive).lower()}")
        if settings:
            unit.addnote(" ".join(settings), origin=PIPELINE_NOTE)
    return bytes(store)


def _lang_code(code: str | None) -> str:
    return (code or "").replace("_", "-").split("-")[0].lower()


_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass
class _TbxConcept:
    """One TBX ``termEntry`` as read: its terms per language, notes and pipeline settings."""

    forms: dict[str, list[str]]
    notes: list[str]
    settings: list[str]
    unit_id: str | None


def import_tbx(
    data: bytes, name: str = "TBX file", limits: Limits | None = None
) -> list[dict[str, Any]]:
    """Glossary entries from a TBX document; languages other than en/es/ja are ignored."""
    return [_tbx_entry(concept) for concept in _read_tbx(data, name, limits or Limits.from_env())]


def _read_tbx(data: bytes, name: str, limits: Limits) -> list[_TbxConcept]:
    """The concepts of a TBX document that have a term in en, es or ja (the reader)."""
    try:
        store = tbx.tbxfile.parsestring(data)  # type: ignore[no-untyped-call,unused-ignore]
    except Exception as exc:  # lxml raises several kinds on broken XML
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise GlossaryError(f"{name}: not a readable TBX file ({detail})") from exc
    if len(store.units) > limits.max_import_units:
        raise GlossaryError(
            f"{name}: {limits.refusal('max_import_units', f'{len(store.units)} entries')}"
        )
    concepts: list[_TbxConcept] = []
    for unit in store.units:
        forms = _tbx_forms(unit.getlanguageNodes())
        if not forms:
            continue
        settings = unit.getnotes(origin=PIPELINE_NOTE).split()
        notes = [
            n.text
            for n in unit.get_common_notes()
            if n.origin != PIPELINE_NOTE and n.text.strip() and n.category != PIPELINE_NOTE
        ]
        notes = [n for n in notes if n.strip() not in (" ".join(settings), "")]
        concepts.append(_TbxConcept(forms, notes, settings, unit.getid()))
    return concepts


def _tbx_forms(language_nodes: list[Any]) -> dict[str, list[str]]:
    """Every ``<term>`` per language: ``<tig>``, ``<ntig><termGrp>`` (TBX 2) or ``<termSec>``
    (TBX 3); several terms of one language are synonyms of one entry."""
    forms: dict[str, list[str]] = {}
    for node in language_nodes:
        lang = _lang_code(node.get(_XML_LANG) or node.get("lang") or "")
        if lang not in LANGUAGES:
            continue
        terms = [
            "".join(t.itertext()).strip()
            for t in node.iter()
            if isinstance(t.tag, str) and t.tag.rsplit("}", 1)[-1] == "term"
        ]
        terms = [t for t in terms if t]
        if terms:
            known = forms.setdefault(lang, [])
            known += [t for t in terms if t not in known]
    return forms


def _tbx_entry(concept: _TbxConcept) -> dict[str, Any]:
    """A concept as a glossary.yml entry (the policy: keep, ids, notes, settings)."""
    forms, settings = concept.forms, concept.settings
    first = next(iter(forms.values()))
    entry: dict[str, Any] = {}
    if "keep" in settings:
        entry["keep"] = _one_or_many(first)
    else:
        entry.update({lang: _one_or_many(forms[lang]) for lang in LANGUAGES if lang in forms})
    if concept.unit_id and concept.unit_id != first[0]:
        entry["id"] = concept.unit_id
    if concept.notes:
        entry["note"] = "; ".join(dict.fromkeys(concept.notes))
    for setting in settings:
        key, _, value = setting.partition("=")
        if key == "gender" and value in ("m", "f"):
            entry["gender"] = value
        elif key == "case_sensitive" and value in ("true", "false"):
            entry["case_sensitive"] = value == "true"
    return entry


def _one_or_many(forms: list[str]) -> str | list[str]:
    return forms[0] if len(forms) == 1 else forms


# ---------------------------------------------------------------- CSV

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP's list): such a cell is written
with a leading apostrophe, which spreadsheets show as text, and read back without it."""


def csv_cell(value: str) -> str:
    """``value`` safe to open in a spreadsheet: a leading ``'`` before a formula start."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _from_csv_cell(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_STARTS) else value


def export_csv(glossary: Glossary) -> str:
    """The glossary as CSV: one row per term, forms joined by `` | ``; a cell that a
    spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) starts with ``'``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for term in glossary.terms:
        row = {
            "id": term.id,
            "keep": FORM_SEPARATOR.join(term.forms["*"]) if term.keep else "",
            "note": term.note,
            "gender": term.gender or "",
            "case_sensitive": ""
            if term.case_sensitive is None
            else str(term.case_sensitive).lower(),
        }
        for lang in LANGUAGES:
            row[lang] = "" if term.keep else FORM_SEPARATOR.join(term.forms.get(lang, ()))
        writer.writerow({key: csv_cell(value) for key, value in row.items()})
    return out.getvalue()


def import_csv(
    text: str, name: str = "CSV file", limits: Limits | None = None
) -> list[dict[str, Any]]:
    """Glossary entries from CSV with a header naming en/es/ja/keep (other columns optional)."""
    limits = limits or Limits.from_env()
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not any(h in header for h in (*LANGUAGES, "keep")):
        raise GlossaryError(f"{name}:1: the header needs columns named en, es, ja or keep")
    entries = []
    for number, raw in enumerate(reader, start=1):
        if number > limits.max_import_units:
            raise GlossaryError(
                f"{name}: {limits.refusal('max_import_units', f'more than {number - 1} rows')}"
            )
        where = f"{name}:{reader.line_num}"
        entry = _csv_entry(_csv_row(raw, where, len(header)), where)
        if entry:
            entries.append(entry)
    return entries


def _csv_row(raw: dict[str | None, Any], where: str, columns: int) -> dict[str, str]:
    """A CSV row as {column: text}; ``GlossaryError`` for a row longer than the header."""
    extra = raw.get(None)
    if extra is not None:
        n = len(extra) if isinstance(extra, list) else 1
        raise GlossaryError(
            f"{where}: the row has {columns + n} fields but the header names {columns} "
            "(a comma inside a term? put the term in double quotes)"
        )
    try:
        return {
            (k or "").strip().lower(): _from_csv_cell((v or "").strip()) for k, v in raw.items()
        }
    except csv.Error as exc:
        raise GlossaryError(f"{where}: not a readable CSV row ({exc})") from exc


def _csv_entry(row: dict[str, str], where: str) -> dict[str, Any]:
    """A CSV row as a glossary.yml entry, {} when it names no form (the policy)."""
    entry: dict[str, Any] = {}
    for key in ("keep", *LANGUAGES):
        forms = [f.strip() for f in row.get(key, "").split("|") if f.strip()]
        if forms:
            entry[key] = _one_or_many(forms)
    if not entry:
        return {}
    entry.update({key: row[key] for key in ("id", "note", "gender") if row.get(key)})
    if row.get("case_sensitive"):
        value = row["case_sensitive"].lower()
        if value not in ("true", "false"):
            raise GlossaryError(f"{where}: case_sensitive must be true or false")
        entry["case_sensitive"] = value == "true"
    return entry


def read_entries(path: Path, limits: Limits | None = None) -> list[dict[str, Any]]:
    """Entries from a TBX (.tbx/.xml) or CSV (.csv/.tsv) file."""
    limits = limits or Limits.from_env()
    suffix = path.suffix.lower()
    try:
        check_import_size(path, limits, "glossary file")
        data = path.read_bytes()
    except ReadError as exc:
        raise GlossaryError(f"{path}: {exc}") from exc
    except OSError as exc:
        raise GlossaryError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if suffix in (".tbx", ".xml"):
        return import_tbx(data, str(path), limits)
    if suffix in (".csv", ".tsv", ".txt"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise GlossaryError(f"{path}: not UTF-8 text") from exc
        if suffix == ".tsv":
            text = text.replace("\t", ",") if "," not in text else text
        return import_csv(text, str(path), limits)
    raise GlossaryError(f"{path}: unknown glossary format (use .tbx or .csv)")


# ---------------------------------------------------------------- writing glossary.yml


def entries_yaml(entries: list[dict[str, Any]], indent: int = 2) -> str:
    """Entries as YAML list items, indented for the ``terms:`` list."""
    text = yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, width=100)
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


def new_entries(
    glossary: Glossary | None, entries: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split entries into (new, skipped): skipped ones repeat a known term.

    An entry is known when it shares a form with a glossary entry (or an earlier new one)
    and renders that form the same way. Sharing a form with another rendering is a synonym
    (``mineworkers → mineros`` next to ``miners → mineros``): it is added.
    """
    known: dict[tuple[str, str], list[Term]] = {}

    def remember(term: Term) -> None:
        for lang in LANGUAGES:
            for form in term.forms_for(lang):
                known.setdefault((lang, fold(form)), []).append(term)

    for term in glossary.terms if glossary is not None else ():
        remember(term)
    fresh: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for entry in entries:
        term = _entry_term(entry)
        if any(
            same_rendering(term, other, lang, form)
            for lang in LANGUAGES
            for form in term.forms_for(lang)
            for other in known.get((lang, fold(form)), ())
        ):
            skipped.append(entry)
        else:
            fresh.append(entry)
            remember(term)
    return fresh, skipped


def _entry_term(entry: dict[str, Any]) -> Term:
    """A ``Term`` with the forms of a glossary.yml-shaped entry (for comparing, not matching)."""

    def forms(value: Any) -> tuple[str, ...]:
        return (value,) if isinstance(value, str) else tuple(value or ())

    if entry.get("keep"):
        return Term(id="", forms={"*": forms(entry["keep"])}, keep=True)
    return Term(id="", forms={lang: forms(entry[lang]) for lang in LANGUAGES if entry.get(lang)})


def append_entries(path: Path, entries: list[dict[str, Any]]) -> Glossary:
    """Add entries to a glossary file, keeping its comments; validated before it is replaced.

    When the file does not exist it is created. The new text is checked as a whole and the
    file is replaced atomically, so a bad entry never leaves a broken glossary behind.
    """
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if not text.endswith("\n"):
            text += "\n"
        indent = _terms_indent(text)
        if indent is None:
            raise GlossaryError(
                f"{path}: `terms:` must be the last key of the file to add entries to it"
            )
        if text.rstrip().endswith("terms: []"):
            text = text.rstrip()[: -len("[]")].rstrip() + "\n"
    else:
        text = "version: 1\nterms:\n"
        indent = 2
    new_text = text + entries_yaml(entries, indent)
    glossary, problems = parse_glossary(new_text)
    if glossary is None or problems:
        raise GlossaryError(problems[0].format(str(path)))
    write_text_atomic(path, new_text)
    return glossary


def _terms_indent(text: str) -> int | None:
    """Column of the ``-`` of the items of ``terms:`` when it is the file's last key, else None."""
    try:
        root, _ = load_untrusted_yaml(text)
    except yaml.YAMLError:
        return None
    if not isinstance(root, yaml.MappingNode) or not root.value:
        return None
    key, value = root.value[-1]
    if key.value != "terms":
        return None
    if isinstance(value, yaml.SequenceNode) and value.value and not value.flow_style:
        return max(int(value.value[0].start_mark.column) - 2, 0)
    return 2


# ---------------------------------------------------------------- re-checking outputs


@dataclass
class SidecarCheck:
    """The glossary verified against one ``*.segments.json`` sidecar."""

    path: Path
    document: str
    src: str
    tgt: str
    report: GlossaryReport | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": str(self.path),
            "document": self.document,
            "src": self.src,
            "tgt": self.tgt,
        }
        if self.report is not None:
            data["glossary"] = self.report.as_json()
        if self.error:
            data["error"] = self.error
        return data


def find_sidecars(out_dir: Path) -> list[Path]:
    """Every ``OUT/<stem>/review/<stem>.<src>-<tgt>.segments.json`` under ``out_dir``."""
    return sorted(Path(out_dir).glob("**/review/*.segments.json"))


def check_sidecar(path: Path, glossary: Glossary) -> SidecarCheck:
    """Verify the glossary on the source/target pairs a run wrote to a segments sidecar."""
    check = SidecarCheck(path=path, document=path.name.split(".")[0], src="", tgt="")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        check.document = str(data.get("document") or check.document)
        check.src, check.tgt = str(data["src"]), str(data["tgt"])
        segments = data["segments"]
        sources = [str(s["source"]) for s in segments]
        targets = [str(s.get("target") or "") for s in segments]
        ids = [str(s.get("id", i)) for i, s in enumerate(segments)]
    except (OSError, UnicodeDecodeError) as exc:
        check.error = f"cannot read: {exc}"
        return check
    except (ValueError, KeyError, TypeError) as exc:
        check.error = f"not a segments sidecar ({type(exc).__name__}: {exc})"
        return check
    check.report = verify(glossary, sources, targets, check.src, check.tgt, ids)
    return check
