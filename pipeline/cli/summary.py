"""The end of ``pipeline translate``: the summary table, the stderr lines and the closing line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.blocking import Held
    from pipeline.jobs import DocumentReport, Failure, RunResult, TargetReport


def unsure_warnings(result: RunResult) -> list[str]:
    """One line per document whose language (or some of whose blocks') detection is unsure,
    with the fix, from its report.json (also for documents not rebuilt)."""
    lines = []
    for doc in result.documents:
        lines += [f"{doc.path}: {line}" for line in _unsure_lines(_detected(doc))]
    return lines


def _detected(doc: DocumentReport) -> dict[str, Any]:
    """report.json's ``detected`` and the unsure blocks of one document ({} when none)."""
    import json

    if doc.lang is None and not doc.unchanged:
        return {}
    try:
        data = json.loads((doc.out_dir / "report.json").read_text(encoding="utf-8"))
        detected = dict(data["detected"])
        targets = list(data["targets"].values())
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    blocks = targets[0].get("foreign_blocks", []) if targets else []
    detected["unsure_blocks"] = [b for b in blocks if "unsure" in str(b.get("action"))]
    return detected


def _unsure_lines(detected: dict[str, Any]) -> list[str]:
    from pipeline.detect import BlockLanguage, unsure_lines

    if not detected or detected.get("source") == "--from" and not detected["unsure_blocks"]:
        return []
    blocks = [
        BlockLanguage(b["index"], b["language"], b["confidence"]) for b in detected["unsure_blocks"]
    ]
    confidence = 1.0 if detected.get("source") == "--from" else detected["confidence"]
    return unsure_lines(detected["language"] or "und", confidence, blocks)


def failure_lines(result: RunResult) -> list[str]:
    """One line per failure, ``PATH: reason``; a reason shared by several documents (a
    language pair no engine covers, with the commands that fix it) is one line naming them."""
    return grouped_lines(result.failures)


def grouped_lines(failures: list[Failure]) -> list[str]:
    """``PATH: reason`` per entry; a reason shared by several documents is one line."""
    by_reason: dict[str, list[str]] = {}
    for failure in failures:
        by_reason.setdefault(failure.reason, []).append(failure.path)
    lines = []
    for reason, paths in by_reason.items():
        if len(paths) == 1:
            lines.append(f"{paths[0]}: {reason}")
        else:
            lines.append(f"{reason} ({len(paths)} documents: {', '.join(paths)})")
    return lines


def closing_line(result: RunResult) -> str | None:
    """Where the outputs are, only when some were written; else what was written instead."""
    reports = result.reports
    if not reports:
        return None
    root = reports[0].parent.parent
    written = any(target.outputs for doc in result.documents for target in doc.targets.values())
    if written or result.unchanged:
        return f"Outputs and report.json under {root}/"
    return f"No outputs written; report.json under {root}/<document>/ says why for each document"


def print_summary(result: RunResult, seconds: float, glossary_line: str | None = None) -> None:
    """One row per document and language; failures in full are on stderr already."""
    from rich.console import Console
    from rich.table import Table

    console = Console(soft_wrap=False) if sys.stdout.isatty() else Console(width=160)
    table = Table(title=f"Translated in {seconds:.1f} s", title_justify="left")
    leaflets = any(t.leaflet for doc in result.documents for t in doc.targets.values())
    columns = ["document", "lang", "engine", "segments", "glossary", "time"]
    columns += ["leaflet"] if leaflets else []
    for column in [*columns, "problems"]:
        table.add_column(column, no_wrap=column != "problems")
    skipped = {(f.path, f.reason) for f in result.unavailable}
    for doc in result.documents:
        if not doc.unchanged:  # the unchanged ones are counted below the table
            for row in summary_rows(doc, len(columns) - 1, leaflets, skipped):
                table.add_row(*row)
    if table.row_count:
        console.print(table)
    else:
        print(f"Done in {seconds:.1f} s")
    if result.unchanged:
        n = len(result.unchanged)
        print(f"{_count(n, 'unchanged document')} skipped: outputs up to date (--force rebuilds)")
    _print_review_files(result)
    if glossary_line:
        print(glossary_line)
    closing = closing_line(result)
    if closing:
        print(closing)


def summary_rows(
    doc: DocumentReport,
    cells: int,
    leaflets: bool,
    skipped: set[tuple[str, str]] | None = None,
) -> list[list[str]]:
    """The summary's rows of one document: ``cells`` cells before the problems column;
    ``skipped``: (path, reason) of targets --skip-unavailable left out (yellow, not red)."""
    empty = ["-"] * cells  # a failed row: dashes up to the problems column
    if doc.lang is None:
        return [[doc.stem, *empty, f"[red]{doc.error or 'not done (interrupted)'}[/]"]]
    rows = []
    detected = _detected(doc)
    unsure = bool(detected) and detected.get("warning") is not None
    marks = [f"[yellow]{note}[/]" for note in _unsure_cells(detected)]
    for lang, target in doc.targets.items():
        pair = f"{doc.lang}{'?' if unsure else ''}→{lang}"
        skipped_here = (str(doc.path), f"{lang}: {target.error}") in (skipped or ())
        unbuilt = _unbuilt(target, "yellow" if skipped_here else "red")
        if unbuilt is not None:
            rows.append([doc.stem, pair, *empty[1:], unbuilt])
            continue
        cells_ = [
            doc.stem,
            pair,
            _engine_cell(target),
            _segments_cell(target),
            _glossary_cell(target),
            f"{target.seconds:.1f}s",
        ]
        if leaflets:
            cells_.append(_leaflet_cell(target))
        rows.append([*cells_, "; ".join([*marks, *_problems(target)])])
    return rows


def _unsure_cells(detected: dict[str, Any]) -> list[str]:
    """The summary's marks for an unsure detection (the lines on stderr say more)."""
    cells = []
    if detected and detected.get("warning"):
        cells.append(f"language unsure ({detected['confidence']:.2f}): --from")
    if detected and detected["unsure_blocks"]:
        cells.append(f"{_count(len(detected['unsure_blocks']), 'block')} of unsure language")
    return cells


def _engine_cell(target: TargetReport) -> str:
    route = target.route
    engine = route.engine if route else "identity"
    if route and route.engine == "ctranslate2" and route.model:
        engine = route.model  # which of the installed models ran
    if route and route.pivot:
        engine += f" via {route.pivot}"
    return engine


def _leaflet_cell(target: TargetReport) -> str:
    from pipeline.leaflet import fit_summary

    entry = target.leaflet
    fit = fit_summary(dict(entry)) if entry else "-"
    return f"[red]{fit}[/]" if entry and entry.get("overflow") else fit


def _problems(target: TargetReport) -> list[str]:
    """What a reader of the summary should look at in one target (in full in report.json)."""
    problems = []
    if target.held is not None:
        problems.append(f"[red]{held_cell(target.held)}[/]")
    if target.untranslated:
        problems.append(_count(len(target.untranslated), "untranslated word"))
    if target.degenerate:
        problems.append(f"{_count(len(target.degenerate), 'degenerate draft')} replaced")
    if target.qa:
        problems.append(_count(len(target.qa), "QA finding"))
    if overflow := (target.layout or {}).get("overflow"):
        problems.append(_count(len(overflow), "PDF block") + " did not fit")
    for note in (target.leaflet or {}).get("notes") or []:
        problems.append(f"leaflet: {note.split(';')[0]}")
    problems.extend(page_notes(target.outputs.get("pdf")))
    if target.markers_repaired:  # done, not a problem: said in passing
        put_back = _count(target.markers_repaired, "formatting mark")
        problems.append(f"[dim]{put_back} put back in place[/]")
    return problems


def page_notes(pdf: str | None) -> list[str]:
    """The summary's note on an in-place PDF's pages: kept on them by a font step, or grown."""
    from pipeline.export.page_fit import pages_entry

    entry = pages_entry(pdf)
    note = entry.get("note") if entry else None
    if not note:
        return []
    grew = entry is not None and entry["translated"] > entry["source"]
    short = note.split(";")[0]
    return [f"[red]{short}[/]" if grew else f"[dim]{short}[/]"]


def held_cell(held: Held) -> str:
    """The summary's mark for a target whose print-ready outputs were held back."""
    segments = len({f["segment"] for f in held.findings})
    if not held.outputs:
        return _count(segments, "blocking segment")
    return f"{_count(segments, 'blocking segment')}: {' and '.join(held.outputs)} not written"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _print_review_files(result: RunResult) -> None:
    """Where ``--review`` put the review files, and how to bring corrections back."""
    written = [
        Path(target.outputs[key])
        for doc in result.documents
        for target in doc.targets.values()
        for key in ("review_docx", "xliff")
        if key in target.outputs
    ]
    if not written:
        return
    out_dir = written[0].parent.parent.parent
    print("Review files for translators (edit the Draft column of the .docx, or open the .xlf")
    print(f"in a CAT tool; `pipeline review export {out_dir} --omegat` makes OmegaT projects):")
    for folder in dict.fromkeys(p.parent for p in written):
        names = ", ".join(p.name for p in written if p.parent == folder)
        print(f"  {folder}/  {names}")
    print("Bring the corrections back with:")
    print(f'  pipeline review import {written[0]} --reviewer "NAME"')


def _unbuilt(target: TargetReport, colour: str = "red") -> str | None:
    """The problems cell of a target that was not built: failed (``colour``: yellow for a pair
    ``--skip-unavailable`` left out), or kept up to date."""
    if target.error:
        return f"[{colour}]{_short(target.error)}[/]"
    if target.stored is not None:  # pipeline.incremental.kept_targets
        return "[dim]outputs up to date, kept[/]"
    return None


def _short(error: str) -> str:
    """The first clause of an error (the full line is on stderr)."""
    return error.split(": ", 1)[0] if len(error) > 60 else error


def _segments_cell(target: TargetReport) -> str:
    total = target.total
    parts = [f"{target.approved} approved"] if target.approved else []
    if target.from_memory:
        parts.append(f"{target.from_memory} from memory")
    return f"{total} ({', '.join(parts)})" if parts else str(total)


def _glossary_cell(target: TargetReport) -> str:
    report = target.glossary
    if report is None or report.occurrences == 0:
        return "-"
    return f"{report.compliance:.0%} ({report.applied}/{report.occurrences})"
