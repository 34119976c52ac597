"""The shape rules of the code base, checked: one marker format, one error base, small modules."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pipeline
from pipeline.errors import PipelineError

PACKAGE = Path(pipeline.__file__).parent
MAX_LINES = 700
# A regular expression or template that spells a marker: ``<g\d+>``, ``</?g``, ``<x{n}/>``…
# (plain examples such as "<g1>" in docstrings and messages are fine).
MARKER_SPELLING = re.compile(r"</\?g|</?g(?:\\d|\{|\(|\[)|<x(?:\\d|\{|\(|\[)")


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _string_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append((node.lineno, node.value))
    return out


def test_the_marker_format_is_spelled_only_in_markers_py() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {text!r}"
        for path in _modules()
        if path.name != "markers.py" or path.parent != PACKAGE
        for line, text in _string_literals(path)
        if MARKER_SPELLING.search(text)
    ]
    assert offenders == [], "marker format spelled outside pipeline/markers.py:\n" + "\n".join(
        offenders
    )


def test_every_public_error_is_a_pipeline_error() -> None:
    errors = []
    for info in pkgutil.walk_packages(pipeline.__path__, "pipeline."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or name.startswith("_"):
                continue
            if issubclass(cls, Exception) and not issubclass(cls, PipelineError):
                errors.append(f"{module.__name__}.{name}")
    assert errors == []


def test_no_module_over_the_limit_without_saying_why() -> None:
    long = []
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_LINES and "over 700 lines because" not in text:
            long.append(f"{path.relative_to(PACKAGE.parent)}: {text.count(chr(10))} lines")
    assert long == []
