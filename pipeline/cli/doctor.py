"""``pipeline doctor``: what is installed and the exact command for each missing piece."""

from __future__ import annotations

import argparse

from pipeline.cli.common import print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "doctor",
        help="check pandoc, the PDF engine, fonts, engines and models",
        description="Check every piece the pipeline needs and print the command that fixes each missing one. "
        "Exit 0 when the essentials (pandoc, Typst, fonts) are there, else 1.",
    )
    p.add_argument("--json", action="store_true", help="print the checks as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.doctor import run_checks

    checks = run_checks()
    if args.json:
        print_json({"checks": [c.as_json() for c in checks]})
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="pipeline doctor", title_justify="left")
        for column in ("check", "status", "detail", "fix"):
            table.add_column(column)
        for c in checks:
            status = (
                "[green]ok[/]"
                if c.ok
                else ("[red]missing[/]" if c.essential else "[yellow]missing[/]")
            )
            table.add_row(c.name, status, c.detail, "" if c.ok else c.fix)
        Console().print(table)
    return 0 if all(c.ok for c in checks if c.essential) else 1
