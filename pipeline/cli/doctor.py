"""``pipeline doctor``: what is installed and the exact command for each missing piece."""

from __future__ import annotations

import argparse
import sys

from pipeline.cli.common import print_json


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "doctor",
        help="check pandoc, the PDF engine, fonts, engines and models",
        description="Check every piece the pipeline needs and print the command that fixes each missing one. "
        "Exit 0 when the essentials (pandoc, Typst, fonts) are there, else 1.",
    )
    p.add_argument("--json", action="store_true", help="print the checks as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.doctor import bottom_line, directions, run_checks
    from pipeline.engines.paths import EnginePaths
    from pipeline.engines.registry import EngineOptions
    from pipeline.engines.routes import RoutesError, load_routes

    try:  # ./engines.yml, as `pipeline translate` reads it
        options = EngineOptions(routes=load_routes(None), paths=EnginePaths.from_env())
    except RoutesError as exc:
        print(f"pipeline doctor: {exc}", file=sys.stderr)
        return 2
    found = directions(options=options)
    checks = run_checks(found)
    summary = bottom_line(checks, found)
    if args.json:
        print_json(
            {
                "checks": [c.as_json() for c in checks],
                "translate": {
                    "ready": {d.name: d.engine for d in found if d.engine},
                    "missing": {d.name: d.reason for d in found if not d.engine},
                },
                "summary": summary,
            }
        )
    else:
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        from pipeline.untrusted import printable

        table = Table(title="pipeline doctor", title_justify="left")
        for column in ("check", "status", "detail", "fix"):
            table.add_column(column, overflow="fold")  # paths and commands are never cut
        for c in checks:
            if c.ok:
                status = "[green]ok[/]"
            elif not c.needed:
                status = "[dim]optional[/]"
            else:
                status = "[red]missing[/]" if c.essential else "[yellow]missing[/]"
            detail, fix = (escape(printable(text)) for text in (c.detail, "" if c.ok else c.fix))
            table.add_row(c.name, status, detail, fix)  # details quote model metadata
        console = Console() if sys.stdout.isatty() else Console(width=160)
        console.print(table)
        print(summary)
    return 0 if all(c.ok for c in checks if c.essential) else 1
