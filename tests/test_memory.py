"""Translation memory: cache, approved entries, fuzzy lookup, concurrency, TMX, ``pipeline tm``."""

from __future__ import annotations

import json
import multiprocessing
import random
import sqlite3
import subprocess
import sys
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree
from rapidfuzz import fuzz

from pipeline.engines.base import Route, Translation
from pipeline.memory import (
    ENV_VAR,
    ApprovedEntry,
    MemoryFileError,
    MemoryKey,
    TmxError,
    TranslationMemory,
    default_memory_path,
    export_tmx,
    import_tmx,
    import_tmx_detailed,
    normalize_source,
    resolve_memory_path,
)
from pipeline.translate import MemoryResult, cached_or_machine


def translate_with_memory(memory, key, texts, translate, *, force=False) -> list[MemoryResult]:  # noqa: ANN001
    """The translate stage's memory rule on one pair: approved, else cached, else
    ``translate`` called once (``pipeline.translate.translate_pair`` without the plan)."""
    approved = memory.get_approved(key.src, key.tgt, texts) if memory else {}
    rest = [t for t in texts if t not in approved]
    found = iter(cached_or_machine(memory, key, rest, translate, force=force))
    return [
        MemoryResult(approved[t].target, "approved", reviewer=approved[t].reviewer)
        if t in approved
        else next(found)
        for t in texts
    ]


REPO = Path(__file__).resolve().parents[1]
KEY = MemoryKey("apertium", "apertium-eng-spa", "", "en", "es", "")


@pytest.fixture
def memory(tmp_path: Path):
    with TranslationMemory(tmp_path / "memory.sqlite3") as tm:
        yield tm


def approved_set(tm: TranslationMemory) -> list[tuple[str, str, ApprovedEntry]]:
    return [(a.src, a.tgt, a.entry) for a in tm.approved_entries()]


# -- paths -----------------------------------------------------------------------------------


def test_default_path_env_and_cli(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV_VAR, raising=False)
    default = default_memory_path()
    assert default.name == "memory.sqlite3" and default.parent.name == "statement-pipeline"
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env.sqlite3"))
    assert default_memory_path() == tmp_path / "env.sqlite3"
    assert resolve_memory_path(None) == tmp_path / "env.sqlite3"
    assert resolve_memory_path(tmp_path / "cli.sqlite3") == tmp_path / "cli.sqlite3"


def test_normalize_source_keeps_markers():
    decomposed = unicodedata.normalize("NFD", "  Unión\n de <g1>mineros</g1>\t<x2/> ")
    assert normalize_source(decomposed) == "Unión de <g1>mineros</g1> <x2/>"


def test_folder_is_created(tmp_path):
    with TranslationMemory(tmp_path / "a" / "b" / "m.sqlite3") as tm:
        assert tm.path.exists()
        assert tm.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# -- cache -----------------------------------------------------------------------------------


def test_cache_roundtrip_and_normalized_lookup(memory):
    memory.put_cached(KEY, [("The  miners' <g1>union</g1>", "El <g1>sindicato</g1> minero")])
    query = ["The miners' <g1>union</g1>\n", "Something else"]
    assert memory.get_cached(KEY, query) == {query[0]: "El <g1>sindicato</g1> minero"}
    memory.put_cached(KEY, [("The miners' <g1>union</g1>", "Nuevo")])  # newer output replaces
    assert memory.get_cached(KEY, query[:1]) == {query[0]: "Nuevo"}


@pytest.mark.parametrize("field", ["engine", "model", "version", "src", "tgt", "glossary"])
def test_every_key_part_matters(memory, field):
    memory.put_cached(KEY, [("Solidarity", "Solidaridad")])
    other = MemoryKey(**{**KEY.__dict__, field: "changed"})
    assert memory.get_cached(other, ["Solidarity"]) == {}
    assert memory.get_cached(KEY, ["Solidarity"]) == {"Solidarity": "Solidaridad"}


def test_key_from_route_includes_pivot():
    key = MemoryKey.from_route(Route("argos", "es-en+en-ja", "1.9", pivot="en"), "es", "ja", "g1")
    assert key == MemoryKey("argos", "es-en+en-ja via en", "1.9", "es", "ja", "g1")
    assert MemoryKey.from_route(Route("libretranslate", "lt:5000"), "en", "es").version == ""


def test_many_lookups_beyond_sqlite_variable_limit(memory):
    pairs = [(f"segment {i}", f"segmento {i}") for i in range(1200)]
    memory.put_cached(KEY, pairs)
    found = memory.get_cached(KEY, [s for s, _ in pairs] + ["missing"])
    assert len(found) == 1200 and found["segment 777"] == "segmento 777"


# -- approved --------------------------------------------------------------------------------


def test_approve_new_unchanged_changed(memory):
    when = datetime(2026, 3, 8, 10, 30, 15, 999, tzinfo=UTC)
    assert memory.approve("en", "es", "We  strike.", "Hacemos huelga.", "ana", when) is True
    assert memory.approve("en", "es", "We strike.", "Hacemos huelga.", "bob") is False
    (entry,) = memory.get_approved("en", "es", ["We strike."]).values()
    assert entry == ApprovedEntry(
        "We strike.", "Hacemos huelga.", "ana", "2026-03-08T10:30:15+00:00"
    )
    assert memory.approve("en", "es", "We strike.", "Vamos a la huelga.", "bob") is True
    assert memory.get_approved("en", "es", ["We strike. "])["We strike. "].reviewer == "bob"
    assert memory.get_approved("en", "ja", ["We strike."]) == {}


def test_approved_takes_precedence_over_cache_and_engine(memory):
    memory.approve("en", "es", "Long live the strike!", "¡Viva la huelga!", "ana")
    memory.put_cached(KEY, [("Long live the strike!", "machine output"), ("Hi", "Hola (cache)")])
    calls: list[list[str]] = []

    def engine(texts: list[str]) -> list[Translation]:
        calls.append(texts)
        return [Translation(t.upper(), ("x",)) for t in texts]

    texts = ["Long live the strike!", "Hi", "New one", "New  one", "New one"]
    results = translate_with_memory(memory, KEY, texts, engine)
    assert [(r.text, r.origin) for r in results] == [
        ("¡Viva la huelga!", "approved"),
        ("Hola (cache)", "cache"),
        ("NEW ONE", "machine"),
        ("NEW ONE", "machine"),
        ("NEW ONE", "machine"),
    ]
    assert calls == [["New one"]]  # one engine call, duplicates sent once
    assert results[2].unknown_words == ("x",) and results[0].reviewer == "ana"
    # Second run: nothing goes to the engine.
    again = translate_with_memory(memory, KEY, texts, engine)
    assert len(calls) == 1 and [r.origin for r in again][2:] == ["cache"] * 3
    # --force: the cache is bypassed, approved work is still used.
    forced = translate_with_memory(memory, KEY, texts, engine, force=True)
    assert [r.origin for r in forced] == ["approved"] + ["machine"] * 4
    assert calls[-1] == ["Hi", "New one"]


def test_translate_with_memory_without_memory():
    results = translate_with_memory(None, KEY, ["a", "b"], lambda ts: [t * 2 for t in ts])
    assert [(r.text, r.origin) for r in results] == [("aa", "machine"), ("bb", "machine")]


# -- fuzzy -----------------------------------------------------------------------------------


def test_fuzzy_orders_limits_and_isolates_pairs(memory):
    memory.approve(
        "en", "es", "The miners are on strike today.", "Los mineros están en huelga hoy.", "ana"
    )
    memory.approve(
        "en", "es", "The miners were on strike.", "Los mineros estaban en huelga.", "bob"
    )
    memory.approve("en", "es", "Completely different sentence here.", "Otra cosa.", "ana")
    memory.approve(
        "en", "ja", "The miners are on strike today!", "今日、鉱山労働者はストライキ中だ。", "ken"
    )
    matches = memory.fuzzy("en", "es", "The miners are on strike today!", threshold=75)
    assert [m.source for m in matches] == [
        "The miners are on strike today.",
        "The miners were on strike.",
    ]
    assert matches[0].score > matches[1].score >= 75
    assert matches[0].target == "Los mineros están en huelga hoy." and matches[0].reviewer == "ana"
    assert len(memory.fuzzy("en", "es", "The miners are on strike today!", limit=1)) == 1
    assert memory.fuzzy("es", "en", "The miners are on strike today!") == []


def test_fuzzy_ignores_markers(memory):
    memory.approve(
        "en", "es", "The <g1>workers</g1> united.", "Los <g1>trabajadores</g1> unidos.", "ana"
    )
    (match,) = memory.fuzzy("en", "es", "The workers united.", threshold=99)
    assert match.score == 100.0


def test_fuzzy_length_prefilter_loses_nothing(memory):
    rng = random.Random(7)
    words = [
        "union",
        "miners",
        "strike",
        "solidarity",
        "water",
        "land",
        "people",
        "rights",
        "march",
        "today",
        "we",
        "the",
    ]
    sources = sorted({" ".join(rng.choices(words, k=rng.randint(1, 14))) for _ in range(400)})
    for s in sources:
        memory.approve("en", "es", s, s.upper(), "t")
    queries = [" ".join(rng.choices(words, k=rng.randint(1, 14))) for _ in range(40)]
    got = memory.fuzzy_many("en", "es", queries, threshold=70, limit=1000)
    for q in queries:
        expected = {s for s in sources if fuzz.ratio(q, s) >= 70}
        assert {m.source for m in got.get(q, [])} == expected


# -- robustness ------------------------------------------------------------------------------


def test_not_sqlite_is_one_clear_error(tmp_path):
    bad = tmp_path / "memory.sqlite3"
    bad.write_text("this is a text file, not a database\n" * 50)
    before = bad.read_bytes()
    with pytest.raises(MemoryFileError) as info:
        TranslationMemory(bad)
    message = str(info.value)
    assert str(bad) in message and "not an SQLite database" in message and "\n" not in message
    assert bad.read_bytes() == before  # left as it was


def test_other_sqlite_database_is_refused(tmp_path):
    other = tmp_path / "firefox.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE moz_places (url TEXT)")
    conn.close()
    with pytest.raises(MemoryFileError, match="another program"):
        TranslationMemory(other)


def test_damaged_memory_is_one_clear_error(tmp_path):
    path = tmp_path / "memory.sqlite3"
    with TranslationMemory(path) as tm:
        tm.put_cached(KEY, [(f"source segment {i} " * 5, f"target {i} " * 5) for i in range(3000)])
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(path.read_bytes())
    data[8192:] = b"\xff" * (len(data) - 8192)  # destroy everything after page 2
    path.write_bytes(bytes(data))
    with (
        pytest.raises(MemoryFileError, match=r"memory.sqlite3: .*(damaged|not an SQLite)"),
        TranslationMemory(path) as tm,
    ):
        tm.get_cached(KEY, [f"source segment {i} " * 5 for i in range(3000)])
        tm.stats()


def test_folder_as_cache_is_refused(tmp_path):
    with pytest.raises(MemoryFileError, match="is a folder"):
        TranslationMemory(tmp_path)


def _writer(path: str, worker: int, count: int, barrier) -> None:
    with TranslationMemory(path) as tm:
        barrier.wait(timeout=30)
        key = MemoryKey("argos", "en_es", "1.0", "en", "es", "")
        for start in range(0, count, 10):  # many short transactions, interleaving
            tm.put_cached(
                key, [(f"w{worker} s{i}", f"t{worker} {i}") for i in range(start, start + 10)]
            )
            if start % 100 == 0:
                tm.approve("en", "es", f"w{worker} approved {start}", "ok", f"r{worker}")


def test_two_processes_writing_at_once(tmp_path):
    path = str(tmp_path / "common" / "memory.sqlite3")  # both create it at the same moment
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_writer, args=(path, w, 500, barrier)) for w in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    for p in procs:
        if p.is_alive():
            p.terminate()
            p.join()
    assert [p.exitcode for p in procs] == [0, 0]
    with TranslationMemory(path) as tm:
        key = MemoryKey("argos", "en_es", "1.0", "en", "es", "")
        wanted = [f"w{w} s{i}" for w in (1, 2) for i in range(500)]
        assert len(tm.get_cached(key, wanted)) == 1000
        assert len(tm.approved_entries()) == 10
        assert tm.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# -- TMX -------------------------------------------------------------------------------------


def fill(tm: TranslationMemory) -> None:
    t = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
    tm.approve(
        "en",
        "es",
        "Water is <g1>life</g1>.",
        "El agua es <g1>vida</g1>.",
        "Ana Quispe",
        t,
        "review",
    )
    tm.approve("en", "es", "Rights & <wages> now<x1/>", "Derechos y <salarios> ya<x1/>", "ana", t)
    tm.approve("en", "ja", "Water is life.", "水は命だ。", "Ken", t.replace(hour=9))
    tm.approve("es", "en", "¡Viva la lucha!", "Long live the struggle!", "bob", t.replace(day=2))


def test_tmx_round_trip_into_empty_memory(memory, tmp_path):
    fill(memory)
    path = tmp_path / "out" / "approved.tmx"
    assert export_tmx(memory, path) == 4
    root = etree.parse(str(path)).getroot()
    assert root.tag == "tmx" and root.get("version") == "1.4"
    langs = {tuv.get("{http://www.w3.org/XML/1998/namespace}lang") for tuv in root.iter("tuv")}
    assert langs == {"en", "es", "ja"}
    with TranslationMemory(tmp_path / "empty.sqlite3") as fresh:
        assert import_tmx(fresh, path) == 4
        assert approved_set(fresh) == approved_set(memory)
        assert import_tmx(fresh, path) == 0  # nothing new the second time


def test_tmx_export_one_pair(memory, tmp_path):
    fill(memory)
    assert export_tmx(memory, tmp_path / "en-es.tmx", "en", "es") == 2
    header = etree.parse(str(tmp_path / "en-es.tmx")).getroot().find("header")
    assert header.get("srclang") == "en"
    with TranslationMemory(tmp_path / "b.sqlite3") as other:
        import_tmx(other, tmp_path / "en-es.tmx")
        assert {(s, t) for s, t, _ in approved_set(other)} == {("en", "es")}


TMX_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header creationtool="OmegaT" creationtoolversion="6" segtype="sentence"
 o-tmf="OmegaT TMX" adminlang="EN-US" srclang="{src}" datatype="plaintext"/>
<body>{units}</body></tmx>"""


def tmx_unit(src_lang: str, src: str, tgt_lang: str, tgt: str, extra: str = "") -> str:
    return (
        f'<tu {extra}><tuv xml:lang="{src_lang}"><seg>{src}</seg></tuv>'
        f'<tuv xml:lang="{tgt_lang}"><seg>{tgt}</seg></tuv></tu>'
    )


def test_tmx_from_cat_tool_with_regional_tags(memory, tmp_path):
    path = tmp_path / "omegat.tmx"
    units = tmx_unit(
        "EN-US",
        "Land for those who work it.",
        "es-PE",
        "La tierra para quien la trabaja.",
        'changeid="maria" changedate="20250102T030405Z"',
    ) + tmx_unit("EN-US", "Solidarity.", "ES", "Solidaridad.")
    path.write_text(TMX_TEMPLATE.format(src="EN-US", units=units), encoding="utf-8")
    result = import_tmx_detailed(memory, path)
    assert (result.units, result.imported, result.pairs) == (2, 2, {"en-es": 2})
    got = memory.get_approved("en", "es", ["Land for those who work it."])
    assert got["Land for those who work it."].reviewer == "maria"
    assert got["Land for those who work it."].approved_at == "2025-01-02T03:04:05+00:00"
    assert import_tmx(memory, path, reviewer="Rosa") == 0  # same targets: unchanged


def test_tmx_reviewer_override_and_newer_approval_kept(memory, tmp_path):
    memory.approve(
        "en", "es", "Solidarity.", "¡Solidaridad!", "ana", datetime(2026, 1, 1, tzinfo=UTC)
    )
    path = tmp_path / "old.tmx"
    units = tmx_unit("en", "Solidarity.", "es", "Solidaridad.", 'changedate="20200101T000000Z"')
    units += tmx_unit("en", "Unity.", "es", "Unidad.")
    path.write_text(TMX_TEMPLATE.format(src="en", units=units), encoding="utf-8")
    result = import_tmx_detailed(memory, path, reviewer="Rosa")
    assert (result.imported, result.kept_newer) == (1, 1)
    got = memory.get_approved("en", "es", ["Solidarity.", "Unity."])
    assert got["Solidarity."].target == "¡Solidaridad!" and got["Unity."].reviewer == "Rosa"


@pytest.mark.parametrize(
    ("content", "kwargs", "message"),
    [
        (TMX_TEMPLATE.format(src="en", units=tmx_unit("en", "Hi", "fr", "Salut")), {}, "found fr"),
        (
            TMX_TEMPLATE.format(
                src="en",
                units=tmx_unit("en", "Hi", "es", "Hola") + tmx_unit("en", "Hi", "de", "Hallo"),
            ),
            {},
            "found de",
        ),
        (
            TMX_TEMPLATE.format(src="en", units=tmx_unit("en", "Hi", "es", "Hola")),
            {"src": "es"},
            "not from es as expected",
        ),
        (
            TMX_TEMPLATE.format(src="en", units=tmx_unit("en", "Hi", "es", "Hola")),
            {"tgt": "ja"},
            "no usable",
        ),
        ("<xliff version='1.2'><file/></xliff>", {}, "not a TMX file"),
        (
            "this is not XML at all <",
            {},
            r"not a TMX file \(Start tag expected, '<' not found, line 1, column 1\)$",
        ),
        (
            TMX_TEMPLATE.format(src="en", units="<tu><tuv><seg>x</seg></tuv></tu>"),
            {},
            "without xml:lang",
        ),
    ],
)
def test_bad_tmx_imports_nothing(memory, tmp_path, content, kwargs, message):
    path = tmp_path / "bad.tmx"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TmxError, match=message) as info:
        import_tmx(memory, path, **kwargs)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    assert memory.approved_entries() == []


def test_missing_tmx_file(memory, tmp_path):
    with pytest.raises(TmxError, match="no such file"):
        import_tmx(memory, tmp_path / "nope.tmx")


# -- CLI (end to end through python -m pipeline) ----------------------------------------------


def cli(*args: str, env_cache: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in __import__("os").environ.items() if k != ENV_VAR}
    if env_cache:
        env[ENV_VAR] = str(env_cache)
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "tm", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.mark.slow
def test_cli_export_import_stats(tmp_path):
    source = tmp_path / "source.sqlite3"
    with TranslationMemory(source) as tm:
        fill(tm)
        tm.put_cached(KEY, [("Hi", "Hola")])
    tmx = tmp_path / "team.tmx"
    done = cli("export", str(tmx), "--cache", str(source), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["entries"] == 4

    target = tmp_path / "target.sqlite3"
    done = cli("import", str(tmx), "--reviewer", "Rosa", env_cache=target)  # via $PIPELINE_CACHE
    assert done.returncode == 0, done.stderr
    assert "4 approved translations stored" in done.stdout

    done = cli("stats", "--cache", str(target), "--json")
    stats = json.loads(done.stdout)
    assert {(r["src"], r["tgt"], r["entries"]) for r in stats["approved"]} == {
        ("en", "es", 2),
        ("en", "ja", 1),
        ("es", "en", 1),
    }
    assert stats["cached"] == []
    done = cli("stats", "--cache", str(source))
    assert "cached   en→es: 1 from apertium" in done.stdout and done.returncode == 0


@pytest.mark.slow
def test_cli_errors_are_one_line(tmp_path):
    bad_cache = tmp_path / "memory.sqlite3"
    bad_cache.write_bytes(b"\x00garbage" * 100)
    done = cli("stats", "--cache", str(bad_cache))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and str(bad_cache) in done.stderr
    assert "Traceback" not in done.stderr

    tmx = tmp_path / "fr.tmx"
    tmx.write_text(TMX_TEMPLATE.format(src="en", units=tmx_unit("en", "Hi", "fr", "Salut")))
    done = cli("import", str(tmx), "--cache", str(tmp_path / "ok.sqlite3"))
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "fr" in done.stderr
    done = cli("export", str(tmp_path / "x.tmx"), "--cache", str(tmp_path / "none.sqlite3"))
    assert done.returncode == 1 and "does not exist yet" in done.stderr
    assert not (tmp_path / "none.sqlite3").exists()


def test_fuzzy_sees_new_approvals_from_this_and_other_connections(memory):
    assert memory.fuzzy("en", "es", "Water is life.") == []
    memory.approve("en", "es", "Water is life!", "¡El agua es vida!", "ana")
    assert [m.target for m in memory.fuzzy("en", "es", "Water is life.")] == ["¡El agua es vida!"]
    with TranslationMemory(memory.path) as other:
        other.approve("en", "es", "Water is life!", "¡Agua es vida!", "bob")
    assert [m.reviewer for m in memory.fuzzy("en", "es", "Water is life.")] == ["bob"]


def test_cached_output_keeps_the_words_the_engine_left_untranslated(tmp_path):
    from pipeline.engines.base import Translation
    from pipeline.memory import TranslationMemory

    with TranslationMemory(tmp_path / "m.sqlite3") as memory:
        first = translate_with_memory(
            memory,
            KEY,
            ["The dauntless miners"],
            lambda t: [Translation("Los dauntless mineros", ("dauntless",))],
        )
        again = translate_with_memory(memory, KEY, ["The dauntless miners"], lambda t: [])
    assert first[0].origin == "machine" and again[0].origin == "cache"
    assert again[0].unknown_words == first[0].unknown_words == ("dauntless",)


def test_memory_of_schema_1_is_migrated(tmp_path):
    import sqlite3

    from pipeline.memory import TranslationMemory

    path = tmp_path / "old.sqlite3"
    with TranslationMemory(path) as memory:
        memory.put_cached(KEY, [("Solidarity", "Solidaridad")])
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE c2 AS SELECT engine, model, version, src, tgt, glossary, source, target, created_at FROM cache"
    )
    conn.execute("DROP TABLE cache")
    conn.execute("ALTER TABLE c2 RENAME TO cache")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with TranslationMemory(path) as memory:
        assert memory.get_cached(KEY, ["Solidarity"]) == {"Solidarity": "Solidaridad"}
        memory.put_cached(KEY, [("Strike", "Huelga", ["x"])])
        assert memory.get_cached_entries(KEY, ["Strike"]) == {"Strike": ("Huelga", ("x",))}
