"""``pipeline glossary``: lint, add, export, import and check the movement glossary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.cli.common import CommandError, print_json
from pipeline.document import LANGUAGES

if TYPE_CHECKING:
    from pipeline.glossary import Glossary

DEFAULT_GLOSSARY = Path("glossary.yml")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "glossary",
        help="check, extend, exchange (TBX/CSV) and verify the movement glossary",
        description="The movement glossary (glossary.yml): terms that must come out the same "
        "way every time. Subcommands: lint, add, export, import, check.",
    )
    sub = parser.add_subparsers(dest="glossary_command", metavar="SUBCOMMAND")
    sub.required = True

    lint = sub.add_parser(
        "lint",
        help="find problems in a glossary file",
        description="Validate a glossary and report every problem with its line: bad YAML, "
        "unknown keys, duplicate entries, substring traps, missing languages, lists that "
        "cannot be aligned; and warns about a form shared by two entries with different "
        "renderings (allowed: miners → mineros and mineworkers → mineros), saying which entry "
        "each direction uses. Exit 0 when clean or only warnings, 2 otherwise.",
    )
    lint.add_argument(
        "file",
        nargs="?",
        type=Path,
        default=DEFAULT_GLOSSARY,
        help="glossary file (default: ./glossary.yml)",
    )
    lint.add_argument("--json", action="store_true", help="print the problems as JSON")
    lint.set_defaults(func=run_lint)

    add = sub.add_parser(
        "add",
        help="add a term to the glossary",
        description="Add one entry to the glossary (comments and layout of the file are kept; "
        "the file is checked and replaced atomically). Repeat --en/--es/--ja for several forms "
        "aligned by position, e.g. --en union --en unions --es sindicato --es sindicatos.",
    )
    add.add_argument("--en", action="append", default=[], metavar="FORM", help="English form")
    add.add_argument("--es", action="append", default=[], metavar="FORM", help="Spanish form")
    add.add_argument("--ja", action="append", default=[], metavar="FORM", help="Japanese form")
    add.add_argument(
        "--keep",
        action="append",
        default=[],
        metavar="NAME",
        help="a name kept verbatim in every language (instead of --en/--es/--ja)",
    )
    add.add_argument("--note", help="a note shown to reviewers")
    add.add_argument("--gender", choices=("m", "f"), help="grammatical gender of the Spanish form")
    add.add_argument(
        "--case-sensitive",
        action="store_true",
        default=None,
        help="match only with the exact capitalisation",
    )
    _add_glossary_option(add, created=True)
    add.set_defaults(func=run_add)

    export = sub.add_parser(
        "export",
        help="write the glossary as TBX or CSV for CAT tools",
        description="Export every term with all its forms in en, es and ja. TBX is written "
        "with translate-toolkit and opens in OmegaT, Trados, memoQ, Weblate; CSV has the "
        "columns id,en,es,ja,keep,note,gender,case_sensitive (forms joined by ' | ').",
    )
    export.add_argument("--format", choices=("tbx", "csv"), required=True, help="output format")
    export.add_argument("-o", "--output", type=Path, help="output file (default: standard output)")
    _add_glossary_option(export)
    export.add_argument(
        "--source",
        choices=LANGUAGES,
        default="en",
        help="source language declared in the TBX file (default: en)",
    )
    export.set_defaults(func=run_export)

    importer = sub.add_parser(
        "import",
        help="add the terms of a TBX or CSV file to the glossary",
        description="Read FILE (.tbx or .csv, as written by `export` or by a CAT tool) and add "
        "its terms to the glossary. Several terms of one language in a TBX entry are synonyms "
        "and become one entry. Terms that repeat an existing entry (a shared form, the same "
        "rendering) are skipped and listed; a term that shares a form but renders it otherwise "
        "(a synonym) is added, and `lint` says which entry each direction uses. The glossary "
        "is checked before it is replaced.",
    )
    importer.add_argument("file", type=Path, help="TBX or CSV file")
    _add_glossary_option(importer, created=True)
    importer.add_argument("--dry-run", action="store_true", help="only show what would be added")
    importer.set_defaults(func=run_import)

    check = sub.add_parser(
        "check",
        help="re-check the glossary on finished translations",
        description="Verify the glossary on every OUT_DIR/<document>/review/*.segments.json "
        "written by `pipeline translate`: occurrences, applied, compliance and each miss. "
        "Exit 0, or 1 when compliance is below --fail-under or a sidecar cannot be read.",
    )
    check.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="the translate output folder")
    _add_glossary_option(check)
    check.add_argument(
        "--fail-under",
        type=float,
        default=None,
        metavar="PERCENT",
        help="exit 1 when a document's compliance is below PERCENT",
    )
    check.add_argument("--json", action="store_true", help="print the results as JSON")
    check.set_defaults(func=run_check)


def _add_glossary_option(parser: argparse.ArgumentParser, created: bool = False) -> None:
    """``--glossary FILE``, default ./glossary.yml (``created``: made when missing)."""
    parser.add_argument(
        "--glossary",
        type=Path,
        default=DEFAULT_GLOSSARY,
        help="glossary file (default: ./glossary.yml"
        + ("; created when missing)" if created else ")"),
    )


def _load(path: Path) -> Glossary:
    from pipeline.glossary import GlossaryError, load_glossary

    if not path.exists():
        raise CommandError(f"{path}: no such glossary file", 2)
    try:
        return load_glossary(path)
    except GlossaryError as exc:
        raise CommandError(str(exc), 2) from exc


def run_lint(args: argparse.Namespace) -> int:
    from pipeline.glossary import lint, parse_glossary

    path: Path = args.file
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CommandError(f"{path}: no such glossary file", 2) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}: cannot read ({exc})", 2) from exc
    glossary, problems = parse_glossary(text)
    if glossary is not None:
        problems = sorted(set(problems) | set(lint(glossary)), key=lambda p: (p.line, p.kind))
    if args.json:
        print_json(
            {
                "file": str(path),
                "terms": len(glossary) if glossary is not None else None,
                "problems": [
                    {
                        "line": p.line,
                        "kind": p.kind,
                        "message": p.message,
                        "severity": p.severity,
                    }
                    for p in problems
                ],
            }
        )
    else:
        for problem in problems:
            print(problem.format(str(path)))
        warnings = sum(p.severity == "warning" for p in problems)
        errors = len(problems) - warnings
        also = f" ({warnings} warning{'s' if warnings != 1 else ''})" if warnings else ""
        if not errors and glossary is not None:
            print(f"{path}: {len(glossary)} terms, no problems{also}")
        else:
            print(f"{path}: {errors} problem{'s' if errors != 1 else ''}{also}", file=sys.stderr)
    return 2 if any(p.severity == "error" for p in problems) else 0


def run_add(args: argparse.Namespace) -> int:
    from pipeline.glossary import GlossaryError, load_glossary
    from pipeline.glossary.exchange import append_entries, new_entries

    entry: dict[str, object] = {}
    if args.keep:
        if args.en or args.es or args.ja:
            raise CommandError("give either --keep or --en/--es/--ja, not both", 2)
        entry["keep"] = args.keep[0] if len(args.keep) == 1 else args.keep
    for lang in LANGUAGES:
        forms = [f.strip() for f in getattr(args, lang) if f.strip()]
        if forms:
            entry[lang] = forms[0] if len(forms) == 1 else forms
    if not entry:
        raise CommandError("nothing to add: give --en/--es/--ja forms or --keep", 2)
    for key in ("note", "gender"):
        if getattr(args, key):
            entry[key] = getattr(args, key)
    if args.case_sensitive:
        entry["case_sensitive"] = True
    try:
        existing = load_glossary(args.glossary) if args.glossary.exists() else None
        fresh, skipped = new_entries(existing, [entry])
        if skipped:
            raise CommandError(
                f"{args.glossary}: this term is already in the glossary with the same "
                "rendering; edit that entry instead (`pipeline glossary lint` shows where)",
                2,
            )
        before = _line_count(args.glossary)
        glossary = append_entries(args.glossary, fresh)
    except GlossaryError as exc:
        raise CommandError(str(exc), 2) from exc
    _print_shared_forms(args.glossary, glossary, before)
    print(f"{args.glossary}: added; {len(glossary)} term{'s' if len(glossary) != 1 else ''}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from pipeline.export.atomic import write_bytes_atomic
    from pipeline.glossary.exchange import export_csv, export_tbx

    glossary = _load(args.glossary)
    if args.format == "tbx":
        data = export_tbx(glossary, source_lang=args.source)
    else:
        data = export_csv(glossary).encode("utf-8")
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        try:
            write_bytes_atomic(args.output, data)
        except OSError as exc:
            raise CommandError(f"{args.output}: cannot write ({exc.strerror or exc})", 1) from exc
        print(f"{args.output}: {len(glossary)} terms ({args.format.upper()})", file=sys.stderr)
    return 0


def run_import(args: argparse.Namespace) -> int:
    from pipeline.glossary import GlossaryError, load_glossary
    from pipeline.glossary.exchange import (
        append_entries,
        entries_yaml,
        new_entries,
        read_entries,
    )

    try:
        entries = read_entries(args.file)
        existing = load_glossary(args.glossary) if args.glossary.exists() else None
    except GlossaryError as exc:
        raise CommandError(str(exc), 2) from exc
    fresh, skipped = new_entries(existing, entries)
    for entry in skipped:
        label = next(iter(v for k, v in entry.items() if k in ("en", "es", "ja", "keep")))
        if isinstance(label, list):  # several forms: list them as the glossary writes them
            label = ", ".join(str(form) for form in label)
        print(f"skipped (already in {args.glossary}): {label}", file=sys.stderr)
    if args.dry_run:
        sys.stdout.write(entries_yaml(fresh) if fresh else "")
        print(f"{len(fresh)} new, {len(skipped)} skipped (dry run)", file=sys.stderr)
        return 0
    if fresh:
        try:
            before = _line_count(args.glossary)
            glossary = append_entries(args.glossary, fresh)
        except GlossaryError as exc:
            raise CommandError(str(exc), 2) from exc
        _print_shared_forms(args.glossary, glossary, before)
        total = len(glossary)
    else:
        total = len(existing) if existing is not None else 0
    print(f"{args.glossary}: {len(fresh)} added, {len(skipped)} skipped; {total} terms")
    return 0


def _line_count(path: Path) -> int:
    try:
        return len(path.read_text(encoding="utf-8").splitlines())
    except OSError:
        return 0


def _print_shared_forms(path: Path, glossary: Glossary, after_line: int) -> None:
    """Warn (stderr) about forms the new entries share with others: which entry wins where."""
    from pipeline.glossary.schema import shared_forms

    for problem in shared_forms(glossary.terms):
        if problem.line > after_line:
            print(problem.format(str(path)), file=sys.stderr)


def run_check(args: argparse.Namespace) -> int:
    from pipeline.glossary.exchange import check_sidecar, find_sidecars

    glossary = _load(args.glossary)
    if not args.out_dir.is_dir():
        raise CommandError(f"{args.out_dir}: no such folder", 2)
    sidecars = find_sidecars(args.out_dir)
    if not sidecars:
        raise CommandError(
            f"{args.out_dir}: no */review/*.segments.json found; run `pipeline translate` first", 2
        )
    checks = [check_sidecar(path, glossary) for path in sidecars]
    failed = False
    for c in checks:
        if c.error or (
            args.fail_under is not None
            and c.report is not None
            and c.report.compliance * 100 < args.fail_under
        ):
            failed = True
    if args.json:
        print_json(
            {
                "glossary": str(args.glossary),
                "version": glossary.version,
                "results": [c.as_json() for c in checks],
            }
        )
        return 1 if failed else 0
    for c in checks:
        if c.error:
            print(f"{c.path}: {c.error}", file=sys.stderr)
            continue
        assert c.report is not None
        r = c.report
        print(
            f"{c.document} {c.src}→{c.tgt}: compliance {r.compliance:.1%} "
            f"({r.applied}/{r.occurrences} glossary terms)"
        )
        for miss in r.misses:
            print(f"  {miss['segment']}: {miss['term']!r} should be {miss['expected']!r}")
    return 1 if failed else 0
