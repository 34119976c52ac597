"""``pipeline models``: list, install and remove models: Argos packages, OPUS-MT release zips
(converted to CTranslate2), and CTranslate2 model folders (NLLB-200, M2M-100) with a manifest."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.cli.common import CommandError, print_json, say

if TYPE_CHECKING:
    from pipeline.engines.argos_packages import ByteProgress

EPILOG = """\
examples:
  pipeline models list
  pipeline models install en es                 download en→es from the Argos index
  pipeline models install --defaults            en↔es and en↔ja; offline it says so and goes on
  pipeline models install translate-en_es-1_9.argosmodel other.argosmodel   (no internet needed)
  pipeline models install opus-mt-ja-en.zip      OPUS-MT release zip, converted to CTranslate2
  pipeline models install nllb-200-distilled-600M-ct2/ --manifest nllb.yml
  pipeline models remove en es                  an Argos pair
  pipeline models remove nllb-200-600m          a CTranslate2 model by name

A CTranslate2 model folder needs a manifest (pipeline-model.yml in it, or --manifest FILE):
  name: nllb-200-600m
  family: nllb              # nllb (eng_Latn…), m2m100 (__en__…) or marian
  licence: CC-BY-NC-4.0     # shown by `models list`; NLLB-200 is non-commercial
  languages: [en, es, ja]   # or pairs: [en-ja, ja-en]
  # tokens: {en: eng_Latn, es: spa_Latn, ja: jpn_Jpan}   (the family's defaults)
  # sentencepiece: sentencepiece.bpe.model             (the family's default)
Installed CTranslate2 models live in PIPELINE_MODELS_DIR (default
~/.local/share/statement-pipeline/models); engines.yml orders them per pair.

Argos models live in the Argos packages folder (ARGOS_PACKAGES_DIR, or argostranslate's settings,
default ~/.local/share/argos-translate/packages), shared with argostranslate and argospm.
The index URL comes from ARGOS_PACKAGE_INDEX (default: the public Argos index).
Pairs without a direct model (es↔ja) are translated through English automatically.
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "models",
        help="list, install or remove translation models (Argos, OPUS-MT, NLLB-200, M2M-100)",
        description="Manage the models the argos and ctranslate2 engines use.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="models_command", metavar="ACTION")
    actions.required = True

    listing = actions.add_parser(
        "list",
        help="installed models: family, pairs, version, size, licence; pivot pairs",
        description="Show installed models (Argos packages and CTranslate2 models: family, "
        "pairs, version, size and licence, with non-commercial licences flagged) and the "
        "pairs reachable through English.",
    )
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(func=run_list)

    install = actions.add_parser(
        "install",
        help="install from the Argos index (SRC TGT), .argosmodel files, OPUS-MT zips or "
        "CTranslate2 model folders",
        description="Install models. Argos: `install SRC TGT` downloads from the Argos index "
        "(size and checksum verified when the index gives them); `install FILE.argosmodel ...` "
        "installs files without internet; `install --defaults` installs en↔es and en↔ja when "
        "the index is reachable and otherwise says so in one line and exits 0. A package "
        "replaces the installed one for the same pair only after it has been unpacked aside, "
        "loaded and made to translate a test sentence; a bad file (or one whose model does not "
        "load, or loops on the test sentence) changes nothing. Versions "
        "known to be broken (shipped list, e.g. es→en 1.9) are skipped in the index, with a "
        "line saying why; a listed file is installed only with --force. An OPUS-MT release "
        "zip (.zip: Marian .npz, decoder.yml, vocabulary, source.spm/target.spm) is converted "
        "with CTranslate2's converter (no PyTorch); its direction comes from --from/--to, the "
        "README or the file name (opus-mt-ja-en). A folder is an already converted CTranslate2 "
        "model (NLLB-200, M2M-100) installed with its manifest. Every model is load-tested "
        "before it replaces anything.",
        epilog=EPILOG,
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
    install.add_argument(
        "--from", dest="source", default=None, metavar="LANG", help="OPUS-MT zip: source language"
    )
    install.add_argument(
        "--to", dest="target", default=None, metavar="LANG", help="OPUS-MT zip: target language"
    )
    install.add_argument(
        "--name", default=None, help="OPUS-MT zip: model name (default opus-mt-SRC-TGT)"
    )
    install.add_argument(
        "--quantization",
        default="int8",
        help="OPUS-MT zip: weight type of the converted model (default int8, as Argos models)",
    )
    install.add_argument(
        "--manifest",
        type=Path,
        default=None,
        metavar="FILE",
        help="model folder: its manifest (default FOLDER/pipeline-model.yml)",
    )
    install.add_argument("--json", action="store_true", help="print JSON results")
    install.set_defaults(func=run_install)

    remove = actions.add_parser(
        "remove",
        help="remove the Argos model for a pair, or a CTranslate2 model by name",
        description="Remove the installed Argos model for SRC→TGT, or the CTranslate2 model "
        "NAME (as `pipeline models list` shows it).",
    )
    remove.add_argument(
        "items", nargs="+", metavar="SRC TGT | NAME", help="a language pair, or a model name"
    )
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
    from pipeline.engines import ct2_models

    try:
        folder = packages.packages_dir()
        installed = packages.installed_models()
        family_dir = ct2_models.models_dir()
        family = ct2_models.installed_family_models(family_dir)
    except packages.ModelError as exc:
        raise CommandError(str(exc), 1) from exc
    except OSError as exc:
        raise CommandError(f"cannot read a models folder ({exc})", 1) from exc
    pivots = packages.pivot_pairs(installed)
    if args.json:
        print_json(
            {
                "packages_dir": str(folder),
                "models": [{**m.to_json(), "family": "argos"} for m in installed],
                "pivot": [{"from": s, "to": t, "via": packages.PIVOT} for s, t in pivots],
                "models_dir": str(family_dir),
                "ctranslate2": [m.to_json() for m in family],
            }
        )
        return 0
    say(f"Argos models in {folder}:")
    if not installed:
        say("  none installed: run `pipeline models install --defaults`")
    bad = {m.path for m, _ in packages.known_bad_installed(installed)}
    for m in installed:
        pair = f"{m.from_code}→{m.to_code}"
        flag = "  KNOWN BAD (see `pipeline doctor`)" if m.path in bad else ""
        say(
            f"  {pair}  {m.package_id:<14} {m.version:<8} {_size(m.size_bytes):>9}  "
            f"family argos, licence: see its README.md{flag}"
        )
    if pivots:
        say(f"Through {packages.PIVOT}: " + ", ".join(f"{s}→{t}" for s, t in pivots))
    say(f"CTranslate2 models in {family_dir}:")
    if not family:
        say("  none installed (OPUS-MT zips, NLLB-200 or M2M-100 folders: `models install`)")
    for fm in family:
        man = fm.manifest
        pairs = " ".join(f"{a}→{b}" for a, b in man.pairs)
        note = "  NON-COMMERCIAL USE ONLY" if man.non_commercial else ""
        say(
            f"  {fm.name:<18} {man.version or '-':<10} {_size(fm.size_bytes):>9}  "
            f"family {man.family}, licence {man.licence}{note}  {pairs}"
        )
    return 0


def _looks_like_file(item: str) -> bool:
    return (
        item.endswith((".argosmodel", ".zip"))
        or "/" in item
        or Path(item).is_file()
        or Path(item).is_dir()
    )


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
                say(line)
        return 0
    if not args.items:
        raise CommandError("models install: give SRC TGT, package files, or --defaults", 2)
    if all(_looks_like_file(item) for item in args.items):
        paths = [Path(item) for item in args.items]
        argos = [p for p in paths if not _is_family_item(p)]
        if argos and len(argos) < len(paths):
            raise CommandError(
                "models install: give .argosmodel files, or OPUS-MT zips / model folders, "
                "in separate commands",
                2,
            )
        if argos:
            return _install_files(argos, args.json, args.force)
        return _install_family(paths, args)
    if len(args.items) == 2 and not any(_looks_like_file(item) for item in args.items):
        return _install_pair(args.items[0].lower(), args.items[1].lower(), args.json)
    raise CommandError(
        "models install: give a language pair (e.g. `en es`) or .argosmodel files, not a mix", 2
    )


def _is_family_item(path: Path) -> bool:
    """An OPUS-MT zip or a CTranslate2 model folder (not an Argos package)."""
    return path.is_dir() or path.suffix.lower() == ".zip"


def _install_family(paths: list[Path], args: argparse.Namespace) -> int:
    from pipeline.engines import ct2_manifest, ct2_models, opus_mt

    if len(paths) > 1 and (args.name or args.source or args.target or args.manifest):
        raise CommandError("--name, --from, --to and --manifest apply to one model at a time", 2)
    results: list[dict[str, object]] = []
    failed = 0
    for path in paths:
        try:
            if path.is_dir():
                model = ct2_models.install_model_folder(path, args.manifest, force=args.force)
            else:
                model = opus_mt.install_opus_mt_zip(
                    path, args.source, args.target, args.name, args.quantization, force=args.force
                )
        except ct2_manifest.FamilyModelError as exc:
            failed += 1
            results.append({"file": str(path), "ok": False, "error": str(exc)})
            if not args.json:
                say(f"pipeline: {exc}", file=sys.stderr, flush=True)
            continue
        results.append({"file": str(path), "ok": True, **model.to_json()})
        if model.warning:
            results[-1]["warning"] = f"warning: installed a degenerate model: {model.warning}"
            if not args.json:
                say(f"pipeline: {results[-1]['warning']}", file=sys.stderr, flush=True)
        if not args.json:
            man = model.manifest
            pairs = ", ".join(f"{a}→{b}" for a, b in man.pairs)
            say(f"installed {model.name} ({man.family}, {pairs}), licence {man.licence}")
            if man.non_commercial:
                say(f"note: {model.name} is licensed for non-commercial use only ({man.licence})")
    if args.json:
        print_json({"results": results})
    return 1 if failed else 0


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
                say(f"pipeline: {exc}", file=sys.stderr, flush=True)
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
                say(f"pipeline: {warning}", file=sys.stderr, flush=True)
        if not as_json:
            say(f"installed {model.from_code}→{model.to_code}: {model.package_id} {model.version}")
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
            say(note.line(), flush=True)
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
        say(f"installed {src}→{tgt}: {model.package_id} {model.version}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from pipeline.engines import argos_packages as packages
    from pipeline.engines import ct2_manifest, ct2_models

    if len(args.items) == 1:
        try:
            model = ct2_models.remove_family_model(args.items[0])
        except ct2_manifest.FamilyModelError as exc:
            raise CommandError(str(exc), 1) from exc
        if args.json:
            print_json({"removed": [model.to_json()]})
        else:
            say(f"removed {model.name} ({model.manifest.family})")
        return 0
    if len(args.items) != 2:
        raise CommandError("models remove: give SRC TGT (Argos) or one model NAME", 2)
    try:
        removed = packages.remove(args.items[0].lower(), args.items[1].lower())
    except packages.ModelError as exc:
        raise CommandError(str(exc), 1) from exc
    if args.json:
        print_json({"removed": [m.to_json() for m in removed]})
    else:
        for m in removed:
            say(f"removed {m.from_code}→{m.to_code}: {m.package_id} {m.version}")
    return 0
