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

    def translate(url: str, *extra: str, into: Path = out) -> dict:
        done = cli(
            "translate", str(source), "--to", "es", "--engine", "libretranslate", "--url", url,
            "--out", str(into), "--formats", "docx", "--cache", str(cache), "--json", *extra,
            "--allow-blocking",  # the fake server's drafts are not Spanish, which QA blocks
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        report = json.loads((into / source.stem / "report.json").read_text())
        return report["targets"]["es"]["segments"]

    with FakeLibreTranslate() as server:
        first = translate(server.url)
        assert first["machine_translated"] == first["total"] > 0
        assert len(server.translate_requests) == 1

        # Into another folder (the same one would be skipped as unchanged): all from memory.
        second = translate(server.url, into=tmp_path / "elsewhere")
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


def test_approved_segments_need_no_engine(cli, tmp_path):
    """LibreTranslate chosen but down: approved translations are still used; only what needs
    the engine fails, with one line, and the batch goes on."""
    cache = tmp_path / "memory.sqlite3"
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "approved.txt").write_text("Free the miners of Casapalca now.\n", encoding="utf-8")
    (docs / "mixed.txt").write_text(
        "Free the miners of Casapalca now.\n\nThe company must pay every worker.\n",
        encoding="utf-8",
    )
    with TranslationMemory(cache) as memory:
        memory.approve(
            "en", "es", "Free the miners of Casapalca now.", "¡Liberen ya a los mineros!", "ana"
        )
    with FakeLibreTranslate() as server:
        url = server.url
    # the server is stopped: nothing listens at url any more
    out = tmp_path / "out"
    done = cli(
        "translate", str(docs), "--from", "en", "--to", "es", "--engine", "libretranslate",
        "--url", url, "--out", str(out), "--formats", "docx", "--cache", str(cache), "--json",
        "--no-glossary",  # tmp inputs have no glossary.yml: its warning is not counted here
    )  # fmt: skip
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "mixed.txt: es: cannot reach LibreTranslate at" in lines[0]
    assert (
        "1 segment could not be translated; 1 approved translation from the memory used"
        in (lines[0])
    )
    assert "approved.txt" not in done.stderr

    written = out / "approved" / "approved.es.docx"
    assert "¡Liberen ya a los mineros!" in [p.text for p in docx.Document(str(written)).paragraphs]
    report = json.loads((out / "approved" / "report.json").read_text(encoding="utf-8"))
    es = report["targets"]["es"]
    assert "error" not in es and es["engine"] == "memory"
    assert es["segments"]["approved"] == es["segments"]["total"] == 1

    mixed = json.loads((out / "mixed" / "report.json").read_text(encoding="utf-8"))["targets"]
    assert mixed["es"]["segments"]["approved"] == 1
    assert mixed["es"]["segments"]["machine_translated"] == 0
    assert "cannot reach LibreTranslate" in mixed["es"]["error"]
    assert not (out / "mixed" / "mixed.es.docx").exists()
