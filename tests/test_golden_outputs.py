"""The text of a batch's outputs stays what it was: the sample statement and a mixed batch
(approved, cached, pivot, identity and foreign segments; a DOCX translated in place; review
files; a leaflet) are compared with text fixtures under ``tests/data/golden/``.

The fixtures were written by the code before the batch was redesigned as stages (issue 19);
``PIPELINE_GOLDEN_UPDATE=1 pytest tests/test_golden_outputs.py`` writes them again (only do
that when an output's text is meant to change, and say so in the CHANGELOG).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import docx
import pytest

from pipeline.engines.apertium import ApertiumEngine
from pipeline.engines.base import Progress as EngineProgress
from pipeline.engines.base import Route, Translation
from pipeline.engines.registry import EngineSet
from pipeline.glossary import parse_glossary
from pipeline.memory import MemoryKey, TranslationMemory
from pipeline.options import Batch, OutputMode, RunControl
from pipeline.run import run_batch
from tests.conftest import DATA, SAMPLE, requires_apertium, requires_poppler
from tests.fixtures.engines import BracketEngine

GOLDEN = DATA / "golden"
UPDATE = os.environ.get("PIPELINE_GOLDEN_UPDATE") == "1"

pytestmark = [pytest.mark.slow, requires_apertium, requires_poppler]

GLOSSARY = """\
version: 1
terms:
  - keep: [FSTMB]
    gender: f
  - en: [miners]
    es: mineros
    ja: 鉱山労働者
  - en: [union]
    es: sindicato
    ja: 労働組合
    gender: m
"""

SPANISH = """\
# Declaración de solidaridad

Los mineros de Casapalca siguen en la cárcel.

El sindicato exige la libertad de sus dirigentes.

We stand with the miners of Peru and their families.

労働者は国境を越えて団結する。

¡Libertad para los dirigentes presos!
"""


class PivotBracket(BracketEngine):
    """The bracket engine for the pairs with Japanese; es↔ja through an English pivot."""

    name = "argos"

    def __init__(self) -> None:
        super().__init__(pairs=[("en", "ja"), ("ja", "en"), ("es", "ja"), ("ja", "es")])

    def route(self, src: str, tgt: str) -> Route | None:
        if (src, tgt) not in self.pairs:
            return None
        pivot = "en" if "en" not in (src, tgt) else None
        return Route(engine="argos", model="bracket", version="1", pivot=pivot)

    def translate(
        self,
        texts: Sequence[str],
        src: str,
        tgt: str,
        progress: EngineProgress | None = None,
    ) -> list[Translation]:
        return super().translate(texts, src, tgt, progress)


def _engines() -> EngineSet:
    return EngineSet.with_engines("auto", {"argos": PivotBracket(), "apertium": ApertiumEngine()})


def _inplace_docx(path: Path) -> None:
    word = docx.Document()
    word.sections[0].header.paragraphs[0].text = "Comité de solidaridad"
    word.add_heading("Solidarity with the miners", level=1)
    word.add_paragraph("The union calls for international action.")
    table = word.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Date"
    table.rows[0].cells[1].text = "Place"
    word.add_paragraph("Free the jailed leaders now.")
    word.save(str(path))


def _memory(path: Path) -> TranslationMemory:
    memory = TranslationMemory(path)
    memory.approve(
        "es",
        "en",
        "El sindicato exige la libertad de sus dirigentes.",
        "The union demands freedom for its leaders.",
        "Ana",
    )
    route = ApertiumEngine().route("es", "en")
    assert route is not None
    key = MemoryKey.from_route(route, "es", "en", parse_glossary(GLOSSARY)[0].version)
    memory.put_cached(
        key,
        [("Los mineros de Casapalca siguen en la cárcel.", "Casapalca's miners stay in jail.", ())],
    )
    return memory


def _run(sources: list[Path], out: Path, cache: Path, **mode: Any) -> None:
    glossary, problems = parse_glossary(GLOSSARY)
    assert glossary is not None and not problems
    batch = Batch(
        paths=tuple(sources),
        out_dir=out,
        # the bracket engine's ⟦words⟧ look like English to QA: blocking findings printed anyway
        mode=OutputMode(targets=("en", "es", "ja"), glossary=glossary, allow_blocking=True, **mode),
        control=RunControl(cache=cache),
    )
    result = run_batch(batch, engines=_engines())
    assert result.failures == [], result.failures


def _docx_text(path: Path) -> str:
    word = docx.Document(str(path))
    lines = [p.text for s in word.sections for p in s.header.paragraphs]
    lines += [p.text for p in word.paragraphs]
    lines += [c.text for t in word.tables for r in t.rows for c in r.cells]
    return "\n".join(lines)


def _pdf_text(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    )
    return re.sub(r"[ \t]+\n", "\n", done.stdout)


_VOLATILE = {"seconds", "sha256", "fingerprint", "path", "source_path", "source_sha256"}


def _stable(value: Any, root: Path) -> Any:
    """``value`` without what changes from run to run (times, hashes, temporary paths)."""
    if isinstance(value, dict):
        return {k: _stable(v, root) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [_stable(v, root) for v in value]
    if isinstance(value, str):
        return value.replace(str(root), "OUT")
    return value


def _text_of(path: Path, root: Path) -> str:
    name = path.name
    if name.endswith(".json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        return json.dumps(_stable(data, root), ensure_ascii=False, indent=1, sort_keys=True)
    if name.endswith(".docx"):
        return _docx_text(path)
    if name.endswith(".pdf"):
        return _pdf_text(path)
    if name.endswith(".xlf"):
        text = path.read_text(encoding="utf-8")
        return re.sub(r'(date|original|source-sha256)="[^"]*"', r'\1=""', text).replace(
            str(root), "OUT"
        )
    return f"<{path.stat().st_size > 0 and 'written' or 'empty'}>"


_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")

_SOURCE_HASH = re.compile(r'("source_sha256": ?")[0-9a-f]{64}')


def _snapshot(out: Path) -> str:
    """Every file under ``out`` as text, in path order."""
    parts = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        text = _ISO_TIME.sub("TIME", _text_of(path, out))
        text = _SOURCE_HASH.sub(r"\1SHA", text)  # a DOCX made by the test has a new date
        parts.append(f"=== {path.relative_to(out)}\n{text}\n")
    return "\n".join(parts)


def _compare(name: str, out: Path) -> None:
    text = _snapshot(out)
    fixture = GOLDEN / f"{name}.txt"
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        fixture.write_text(text, encoding="utf-8")
    assert text == fixture.read_text(encoding="utf-8")


def test_the_sample_statement_reads_as_before(tmp_path: Path) -> None:
    source = tmp_path / "src" / SAMPLE.name
    source.parent.mkdir()
    shutil.copy(SAMPLE, source)
    _run([source.parent], tmp_path / "out", tmp_path / "memory.sqlite3", review=True)
    _compare("sample", tmp_path / "out")


def test_a_mixed_batch_reads_as_before(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "declaracion.md").write_text(SPANISH, encoding="utf-8")
    _inplace_docx(src / "flyer.docx")
    shutil.copy(SAMPLE, src / "statement.txt")
    _memory(tmp_path / "memory.sqlite3").close()
    _run([src], tmp_path / "out", tmp_path / "memory.sqlite3", review=True)
    _compare("mixed", tmp_path / "out")


def test_a_leaflet_reads_as_before(tmp_path: Path) -> None:
    from pipeline.leaflet import LeafletOptions

    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(SAMPLE, src / "statement.txt")
    _run(
        [src],
        tmp_path / "out",
        tmp_path / "memory.sqlite3",
        formats=("pdf",),
        leaflet=LeafletOptions("leaflet-a5", bw=True),
    )
    _compare("leaflet", tmp_path / "out")
