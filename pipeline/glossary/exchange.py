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
from pipeline.ingest.limits import load_untrusted_yaml

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
        unit = store.addsourceunit(langs[source][0])
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


def import_tbx(data: bytes, name: str = "TBX file") -> list[dict[str, Any]]:
    """Glossary entries from a TBX document; languages other than en/es/ja are ignored."""
    try:
        store = tbx.tbxfile.parsestring(data)
    except Exception as exc:  # lxml raises several kinds on broken XML
        raise GlossaryError(f"{name}: not a readable TBX file ({exc})") from exc
    entries: list[dict[str, Any]] = []
    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    for unit in store.units:
        forms: dict[str, list[str]] = {}
        for node in unit.getlanguageNodes():
            code = node.get(xml_lang) or node.get("lang") or ""
            lang = _lang_code(code)
            if lang not in LANGUAGES:
                continue
            # every <term> of the language: <tig>, <ntig><termGrp> (TBX 2) or <termSec>
            # (TBX 3); several terms of one language are synonyms of one entry
            terms = [
                "".join(t.itertext()).strip()
                for t in node.iter()
                if isinstance(t.tag, str) and t.tag.rsplit("}", 1)[-1] == "term"
            ]
            terms = [t for t in terms if t]
            if terms:
                forms.setdefault(lang, [])
                forms[lang] += [t for t in terms if t not in forms[lang]]
        if not forms:
            continue
        settings = unit.getnotes(origin=PIPELINE_NOTE).split()
        notes = [
            n.text
            for n in unit.get_common_notes()
            if n.origin != PIPELINE_NOTE and n.text.strip() and n.category != PIPELINE_NOTE
        ]
        notes = [n for n in notes if n.strip() not in (" ".join(settings), "")]
        entry: dict[str, Any] = {}
        if "keep" in settings:
            first = next(iter(forms.values()))
            entry["keep"] = first[0] if len(first) == 1 else first
        else:
            for lang in LANGUAGES:
                if lang in forms:
                    entry[lang] = forms[lang][0] if len(forms[lang]) == 1 else forms[lang]
        unit_id = unit.getid()
        if unit_id and unit_id != (next(iter(forms.values()))[0]):
            entry["id"] = unit_id
        if notes:
            entry["note"] = "; ".join(dict.fromkeys(notes))
        for setting in settings:
            key, _, value = setting.partition("=")
            if key == "gender" and value in ("m", "f"):
                entry["gender"] = value
            elif key == "case_sensitive" and value in ("true", "false"):
                entry["case_sensitive"] = value == "true"
        entries.append(entry)
    return entries


# ---------------------------------------------------------------- CSV


def export_csv(glossary: Glossary) -> str:
    """The glossary as CSV: one row per term, forms joined by `` | ``."""
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
        writer.writerow(row)
    return out.getvalue()


def import_csv(text: str, name: str = "CSV file") -> list[dict[str, Any]]:
    """Glossary entries from CSV with a header naming en/es/ja/keep (other columns optional)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not any(h in header for h in (*LANGUAGES, "keep")):
        raise GlossaryError(f"{name}:1: the header needs columns named en, es, ja or keep")
    entries = []
    for row_number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        entry: dict[str, Any] = {}
        for key in ("keep", *LANGUAGES):
            forms = [f.strip() for f in row.get(key, "").split("|") if f.strip()]
            if forms:
                entry[key] = forms[0] if len(forms) == 1 else forms
        if not entry:
            continue
        for key in ("id", "note"):
            if row.get(key):
                entry[key] = row[key]
        if row.get("gender"):
            entry["gender"] = row["gender"]
        if row.get("case_sensitive"):
            value = row["case_sensitive"].lower()
            if value not in ("true", "false"):
                raise GlossaryError(f"{name}:{row_number}: case_sensitive must be true or false")
            entry["case_sensitive"] = value == "true"
        entries.append(entry)
    return entries


def read_entries(path: Path) -> list[dict[str, Any]]:
    """Entries from a TBX (.tbx/.xml) or CSV (.csv/.tsv) file."""
    suffix = path.suffix.lower()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GlossaryError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if suffix in (".tbx", ".xml"):
        return import_tbx(data, str(path))
    if suffix in (".csv", ".tsv", ".txt"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise GlossaryError(f"{path}: not UTF-8 text") from exc
        if suffix == ".tsv":
            text = text.replace("\t", ",") if "," not in text else text
        return import_csv(text, str(path))
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
        return max(value.value[0].start_mark.column - 2, 0)
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
