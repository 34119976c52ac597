"""The shape rules of the code base, checked: one marker format, one error base, small modules."""

from __future__ import annotations

import ast
import functools
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


@functools.cache
def _source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@functools.cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(_source(path))


def _string_literals(path: Path) -> list[tuple[int, str]]:
    tree = _tree(path)
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
        text = _source(path)
        if text.count("\n") > MAX_LINES and "over 700 lines because" not in text:
            long.append(f"{path.relative_to(PACKAGE.parent)}: {text.count(chr(10))} lines")
    assert long == []


# --- the size and shape limits of the Done-when (issue 19), enforced -------------------------

MAX_COMPLEXITY = 20
MAX_FUNCTION_LINES = 80
# The CLI's argument tables: one ``add_argument`` call per option, long by nature.
ARGUMENT_TABLES = {"register"}


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def test_no_function_over_complexity_20() -> None:
    from radon.complexity import cc_visit
    from radon.visitors import Function

    complex_ = []
    for path in _modules():
        # radon lists every function and method as its own block (classes beside them)
        for block in cc_visit(_source(path)):
            if isinstance(block, Function) and block.complexity > MAX_COMPLEXITY:
                complex_.append(
                    f"{path.relative_to(PACKAGE.parent)}:{block.lineno} "
                    f"{block.fullname}: {block.complexity}"
                )
    assert complex_ == []


def test_no_function_over_80_lines_outside_the_cli_argument_tables() -> None:
    long = []
    for path in _modules():
        for node in _functions(_tree(path)):
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            in_table = path.parent.name == "cli" and node.name in ARGUMENT_TABLES
            if lines > MAX_FUNCTION_LINES and not in_table:
                long.append(
                    f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}: {lines}"
                )
    assert long == []


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path, known: set[str]) -> set[str]:
    """The ``pipeline`` modules a module imports when it is loaded (its top-level imports, not
    those under ``TYPE_CHECKING`` or inside functions); ``from package import submodule`` counts
    as an import of the submodule."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    imported: set[str] = set()
    for node in _tree(path).body:
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            submodules = {f"{base}.{alias.name}" for alias in node.names} & known
            imported.update(submodules or {base})
    return {module for module in imported & known if module != name}


def test_no_import_cycles() -> None:
    paths = {_module_name(path): path for path in _modules()}
    graph = {name: _imported_modules(path, set(paths)) for name, path in paths.items()}
    cycles: list[list[str]] = []
    done: set[str] = set()

    def visit(module: str, trail: list[str]) -> None:
        if module in trail:
            cycles.append([*trail[trail.index(module) :], module])
            return
        if module in done:
            return
        for imported in sorted(graph[module]):
            visit(imported, [*trail, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    assert cycles == []


def test_the_engines_read_the_environment_only_in_engine_paths() -> None:
    """Engine settings are read once, at the edge (``EnginePaths.from_env``, called by the
    CLI), and passed down in ``EngineOptions``."""
    reads = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in _modules()
        if path.parent.name == "engines" and path.name != "paths.py"
        for line, text in enumerate(_source(path).splitlines(), 1)
        if "os.environ" in text or "getenv" in text
    ]
    assert reads == []


def test_engine_paths_come_from_the_environment_given(tmp_path: Path) -> None:
    from pipeline.engines.paths import EnginePaths
    from pipeline.engines.registry import EngineOptions, EngineSet

    paths = EnginePaths.from_env(
        {
            "PIPELINE_MODELS_DIR": str(tmp_path / "models"),
            "APERTIUM_DATADIR": str(tmp_path / "apertium"),
            "XDG_DATA_HOME": str(tmp_path / "data"),
            "PATH": str(tmp_path),
        }
    )
    assert paths.models == tmp_path / "models"
    assert paths.apertium == (tmp_path / "apertium", Path("/usr/share/apertium"))
    assert paths.argos_data == tmp_path / "data" / "argos-translate"
    # the engines look where they are told, not where this process's environment says
    engines = EngineSet(EngineOptions(paths=paths))
    assert engines.get("ctranslate2") is None  # an empty models folder: no family engine
    argos = engines.get("argos")
    assert argos is not None and argos.data_dir == tmp_path / "data" / "argos-translate"
    assert argos.models == []
