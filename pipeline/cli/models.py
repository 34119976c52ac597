"""``pipeline models``: list, install and remove Argos Translate models."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.cli.common import CommandError, print_json

if TYPE_CHECKING:
    from pipeline.engines.argos_packages import ByteProgress

EPILOG = """\
examples:
  pipeline models list
  pipeline models install en es                 download en→es from the Argos index
  pipeline models install --defaults            en↔es and en↔ja; offline it says so and goes on
  pipeline models install translate-en_es-1_9.argosmodel other.argosmodel   (no internet needed)
  pipeline models remove en es

Models live in the Argos packages folder (ARGOS_PACKAGES_DIR, or argostranslate's settings,
default ~/.local/share/argos-translate/packages), shared with argostranslate and argospm.
The index URL comes from ARGOS_PACKAGE_INDEX (default: the public Argos index).
Pairs without a direct model (es↔ja) are translated through English automatically.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models",
        help="list, install or remove Argos Translate models",
        description="Manage the Argos Translate models the argos engine uses.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="models_command", metavar="ACTION")
    actions.required = True

    listing = actions.add_parser(
        "list",
        help="installed models, versions, sizes and pairs reachable through English",
        description="Show installed Argos models and the pairs reachable through English.",
    )
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(func=run_list)

    install = actions.add_parser(
        "install",
        help="install from the Argos index (SRC TGT) or from .argosmodel files",
        description="Install Argos models: `install SRC TGT` downloads from the Argos index "
        "(size and checksum verified when the index gives them); `install FILE.argosmodel ...` "
        "installs files without internet; `install --defaults` installs en↔es and en↔ja when "
        "the index is reachable and otherwise says so in one line and exits 0. A package "
        "replaces the installed one for the same pair only after it has been unpacked aside, "
        "loaded and made to translate a test sentence; a bad file (or one whose model does not "
        "load, or loops on the test sentence) changes nothing. Versions "
        "known to be broken (shipped list, e.g. es→en 1.9) are skipped in the index, with a "
        "line saying why; a listed file is installed only with --force.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    install.add_argument(
        "items", nargs="*", metavar="SRC TGT | FILE", help="a language pair, or package files"
    )
    install.add_argument(
        "--defaults", action="store_true", help="install the en↔es and en↔ja models if missing"
    )
    install.add_argument(
        "--force",
        action="store_true",
        help="install package files even when they are on the known-bad list or their test "
        "translation is degenerate (with a warning for a listed one)",
    )
    install.add_argument("--json", action="store_true", help="print JSON results")
    install.set_defaults(func=run_install)

    remove = actions.add_parser(
        "remove",
        help="remove the installed model for a pair",
        description="Remove the installed Argos model for SRC→TGT.",
    )
    remove.add_argument("src", metavar="SRC", help="source language code, e.g. en")
    remove.add_argument("tgt", metavar="TGT", help="target language code, e.g. es")
    remove.add_argument("--json", action="store_true", help="print JSON results")
    remove.set_defaults(func=run_remove)


class DownloadBar:
    """A download bar on stderr while a model downloads; nothing when stderr is no terminal.

    Implements ``argos_packages.DownloadProgress``.
    """

    def __init__(self) -> None:
        self._bar: Any = None

    def start(self, description: str) -> ByteProgress | None:
        if not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        task = bar.add_task(description, total=None)
        bar.start()
        self._bar = bar

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        return update

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _size(num_bytes: int) -> str:
    return f"{num_bytes / 1e6:.1f} MB"


def run_list(args: argparse.Namespace) -> int:
    from pipeline.engines import argos_packages as packages  # urllib, zipfile: when run

    try:
        folder = packages.packages_dir()
        installed = packages.installed_models()
    except packages.ModelError as exc:
        raise CommandError(str(exc), 1) from exc
    except OSError as exc:
        raise CommandError(f"cannot read the Argos packages folder ({exc})", 1) from exc
    pivots = packages.pivot_pairs(installed)
    if args.json:
        print_json(
            {
                "packages_dir": str(folder),
                "models": [m.to_json() for m in installed],
                "pivot": [{"from": s, "to": t, "via": packages.PIVOT} for s, t in pivots],
            }
        )
        return 0
    print(f"Argos models in {folder}:")
    if not installed:
        print("  none installed: run `pipeline models install --defaults`")
    bad = {m.path for m, _ in packages.known_bad_installed(installed)}
    for m in installed:
        pair = f"{m.from_code}→{m.to_code}"
        flag = "  KNOWN BAD (see `pipeline doctor`)" if m.path in bad else ""
        print(f"  {pair}  {m.package_id:<14} {m.version:<8} {_size(m.size_bytes):>9}{flag}")
    if pivots:
        print(f"Through {packages.PIVOT}: " + ", ".join(f"{s}→{t}" for s, t in pivots))
    return 0


def _looks_like_file(item: str) -> bool:
    return item.endswith(".argosmodel") or "/" in item or Path(item).is_file()


def run_install(args: argparse.Namespace) -> int:
    if args.defaults:
        if args.items:
            raise CommandError("give either --defaults or SRC TGT / files, not both", 2)
        from pipeline.engines import argos_packages as packages

        lines = packages.install_default_models(progress=None if args.json else DownloadBar())
        if args.json:
            print_json({"results": lines})
        else:
            for line in lines:
                print(line)
        return 0
    if not args.items:
        raise CommandError("models install: give SRC TGT, package files, or --defaults", 2)
    if all(_looks_like_file(item) for item in args.items):
        return _install_files([Path(item) for item in args.items], args.json, args.force)
    if len(args.items) == 2 and not any(_looks_like_file(item) for item in args.items):
        return _install_pair(args.items[0].lower(), args.items[1].lower(), args.json)
    raise CommandError(
        "models install: give a language pair (e.g. `en es`) or .argosmodel files, not a mix", 2
    )


def _install_files(paths: list[Path], as_json: bool, force: bool = False) -> int:
    from pipeline.engines import argos_packages as packages
    from pipeline.engines.known_bad import find_known_bad

    results: list[dict[str, object]] = []
    failed = 0
    for path in paths:
        try:
            model = packages.install_file(path, force=force)
        except packages.ModelError as exc:
            failed += 1
            results.append({"file": str(path), "ok": False, "error": str(exc)})
            if not as_json:
                print(f"pipeline: {exc}", file=sys.stderr, flush=True)
            continue
        results.append({"file": str(path), "ok": True, **model.to_json()})
        bad = find_known_bad(model.from_code, model.to_code, model.version)
        if bad is not None:
            warning = (
                f"warning: installed {model.package_id} {model.version}, a known-bad model: "
                f"{bad.describe()}"
            )
            results[-1]["warning"] = warning
            if not as_json:
                print(f"pipeline: {warning}", file=sys.stderr, flush=True)
        if not as_json:
            print(
                f"installed {model.from_code}→{model.to_code}: {model.package_id} {model.version}"
            )
    if as_json:
        print_json({"results": results})
    return 1 if failed else 0


def _install_pair(src: str, tgt: str, as_json: bool) -> int:
    from pipeline.engines import argos_packages as packages

    try:
        entries = packages.fetch_index()
        _entry, skipped = packages.choose_from_index(entries, src, tgt)
    except packages.ModelError as exc:
        raise CommandError(str(exc), 1) from exc
    if not as_json:
        for note in skipped:
            print(note.line(), flush=True)
    bar = DownloadBar()
    update = bar.start(f"{src}→{tgt}") if not as_json else None
    try:
        model = packages.install_from_index(src, tgt, entries, progress=update)
    except packages.ModelError as exc:
        raise CommandError(str(exc), 1) from exc
    finally:
        bar.stop()
    if as_json:
        result = {"ok": True, **model.to_json()}
        if skipped:
            result["skipped"] = [
                {"version": s.entry.version, "reason": s.known_bad.describe()} for s in skipped
            ]
        print_json({"results": [result]})
    else:
        print(f"installed {src}→{tgt}: {model.package_id} {model.version}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from pipeline.engines import argos_packages as packages

    try:
        removed = packages.remove(args.src.lower(), args.tgt.lower())
    except packages.ModelError as exc:
        raise CommandError(str(exc), 1) from exc
    if args.json:
        print_json({"removed": [m.to_json() for m in removed]})
    else:
        for m in removed:
            print(f"removed {m.from_code}→{m.to_code}: {m.package_id} {m.version}")
    return 0
