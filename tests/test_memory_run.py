"""The memory inside ``pipeline translate``: second run sends nothing, approved wins, --force."""

from __future__ import annotations

import json
from pathlib import Path

import docx

from pipeline.memory import TranslationMemory
from tests.fixtures.libretranslate_server import FakeLibreTranslate


def test_second_run_machine_translates_nothing(cli, source_docs, tmp_path):
    cache = tmp_path / "team-memory.sqlite3"
    out = tmp_path / "out"
    source = source_docs / "solidarity-statement.md"

    def translate(url: str, *extra: str) -> dict:
        done = cli(
            "translate", str(source), "--to", "es", "--engine", "libretranslate", "--url", url,
            "--out", str(out), "--formats", "docx", "--cache", str(cache), "--json", *extra,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        report = json.loads((out / source.stem / "report.json").read_text())
        return report["targets"]["es"]["segments"]

    with FakeLibreTranslate() as server:
        first = translate(server.url)
        assert first["machine_translated"] == first["total"] > 0
        assert len(server.translate_requests) == 1

        second = translate(server.url)
        assert second["machine_translated"] == 0
        assert second["from_memory"] == first["total"]
        assert len(server.translate_requests) == 1  # nothing sent

        with TranslationMemory(cache) as memory:
            (source_text,) = memory.conn.execute("SELECT source FROM cache LIMIT 1").fetchone()
            memory.approve("en", "es", source_text, "Texto aprobado por Ana.", "ana")
        third = translate(server.url, "--force")
        assert third["approved"] == 1
        assert third["machine_translated"] == first["total"] - 1
        assert len(server.translate_requests) == 2
        assert len(server.translate_requests[-1]["q"]) == first["total"] - 1

    written = docx.Document(str(out / source.stem / f"{source.stem}.es.docx"))
    assert any("Texto aprobado por Ana." in p.text for p in written.paragraphs)


def test_corrupt_cache_is_one_line(cli, source_docs, tmp_path):
    cache = tmp_path / "memory.sqlite3"
    cache.write_text("not a database\n")
    done = cli(
        "translate", str(source_docs / "solidarity-statement.md"), "--to", "es",
        "--engine", "apertium", "--out", str(tmp_path / "out"), "--cache", str(cache),
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and str(cache) in done.stderr
    assert not Path(tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.docx"))
