"""LibreTranslate engine against a local server that speaks the same API."""

from __future__ import annotations

import socket

import pytest

from pipeline.engines.base import EngineError, Route
from pipeline.engines.libretranslate import LibreTranslateEngine
from tests.fixtures.libretranslate_server import FakeLibreTranslate


@pytest.fixture
def server():
    with FakeLibreTranslate() as fake:
        yield fake


def engine_for(url: str, **kwargs) -> LibreTranslateEngine:
    """An engine with test-sized waits; records its sleeps instead of sleeping long."""
    kwargs.setdefault("backoff", 0.001)
    kwargs.setdefault("timeout", 5.0)
    return LibreTranslateEngine(url, **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_nothing_connects_at_construction():
    # A port nobody listens on: constructing must not fail or connect.
    engine = LibreTranslateEngine(f"http://127.0.0.1:{free_port()}")
    assert engine.requests_sent == 0
    assert engine.name == "libretranslate" and engine.markup is True


def test_bad_url_is_refused_with_one_line():
    with pytest.raises(EngineError, match="must look like http"):
        LibreTranslateEngine("localhost:5000")


def test_route_asks_languages_once(server):
    engine = engine_for(server.url)
    host = server.url.removeprefix("http://")
    assert engine.route("en", "es") == Route(engine="libretranslate", model=host, version=None)
    assert engine.route("en", "ja") is not None
    assert engine.route("es", "ja") is None  # the server has no es→ja
    assert engine.route("en", "fr") is None
    assert server.languages_requests == 1


def test_translate_batches_by_count_and_characters(server):
    engine = engine_for(server.url, max_segments=50, max_chars=20_000)
    texts = [f"Segment number {i} of the statement." for i in range(120)]
    out = engine.translate(texts, "en", "es")
    assert [t.text for t in out] == [t.upper() for t in texts]
    # Two batches are in flight at once, so they may reach the server in either order.
    assert sorted(len(r["q"]) for r in server.translate_requests) == [20, 50, 50]
    assert all(
        r["format"] == "html" and isinstance(r["q"], list) for r in server.translate_requests
    )

    server.translate_requests.clear()
    long_texts = ["x" * 900 for _ in range(10)]
    engine_for(server.url, max_chars=2000).translate(long_texts, "en", "es")
    assert [len(r["q"]) for r in server.translate_requests] == [2, 2, 2, 2, 2]


def test_progress_counts_every_segment(server):
    done: list[int] = []
    engine_for(server.url, max_segments=3).translate(
        ["a", "", "b", "c", "d"], "en", "es", progress=done.append
    )
    assert sum(done) == 5


def test_inline_markers_survive_as_html(server):
    engine = engine_for(server.url)
    text = "The <g1>miners</g1> & their families<x2/> say: <g3>no</g3> to 5 < 6."
    (out,) = engine.translate([text], "en", "es")
    assert out.text == "THE <g1>MINERS</g1> & THEIR FAMILIES<x2/> SAY: <g3>NO</g3> TO 5 < 6."
    sent = server.translate_requests[0]["q"][0]
    assert '<span class="g1">miners</span>' in sent and '<span class="x2"></span>' in sent
    assert "&amp;" in sent and "&lt;" in sent


def test_empty_segments_are_not_sent(server):
    out = engine_for(server.url).translate(["", "  ", "Hello"], "en", "es")
    assert [t.text for t in out] == ["", "  ", "HELLO"]
    assert server.translate_requests[0]["q"] == ["Hello"]


def test_api_key_is_sent(server):
    server.api_keys = {"secret-key"}
    out = engine_for(server.url, api_key="secret-key").translate(["hi"], "en", "es")
    assert out[0].text == "HI"
    assert server.translate_requests[-1]["api_key"] == "secret-key"


def test_refused_api_key_is_one_clear_error(server):
    server.api_keys = {"secret-key"}
    with pytest.raises(EngineError, match="refused the API key") as info:
        engine_for(server.url, api_key="wrong").translate(["hi"], "en", "es")
    assert "wrong" not in str(info.value)  # never echo the key
    with pytest.raises(EngineError, match="needs an API key: pass --api-key"):
        engine_for(server.url).translate(["hi"], "en", "es")
    assert len(server.translate_requests) == 2  # a refusal is not retried


def test_429_then_success_honours_retry_after(server):
    waits: list[float] = []
    server.fail_next(429, times=2, retry_after="2")
    engine = engine_for(server.url, sleep=waits.append)
    out = engine.translate(["one", "two"], "en", "es")
    assert [t.text for t in out] == ["ONE", "TWO"]
    assert len(server.translate_requests) == 3
    assert len(waits) == 2 and all(w >= 2 for w in waits)
    assert engine.retried == 2


def test_500_then_success_backs_off_exponentially(server):
    waits: list[float] = []
    server.fail_next(500)
    server.fail_next(503)
    engine = engine_for(server.url, backoff=1.0, sleep=waits.append)
    assert [t.text for t in engine.translate(["x"], "en", "es")] == ["X"]
    assert len(waits) == 2
    assert 0.5 <= waits[0] <= 1.0 and 1.0 <= waits[1] <= 2.0  # equal jitter around 1, 2 s


def test_persistent_5xx_gives_up_with_clear_error(server):
    server.fail_next(502, times=10)
    with pytest.raises(EngineError, match=r"failed \(HTTP 502.*gave up after 3 attempts"):
        engine_for(server.url, retries=2, sleep=lambda s: None).translate(["x"], "en", "es")
    assert len(server.translate_requests) == 3


def test_huge_retry_after_is_not_waited(server):
    server.fail_next(429, retry_after="3600")
    with pytest.raises(EngineError, match="asks to wait 3600 s"):
        engine_for(server.url).translate(["x"], "en", "es")


def test_timeout_is_one_clear_error(server):
    server.slow_next(3.0, times=2)
    engine = engine_for(server.url, timeout=0.3, retries=1)
    with pytest.raises(EngineError, match=r"did not answer within 0.3 s; gave up after 2 attempts"):
        engine.translate(["slow"], "en", "es")


def test_timeout_then_success(server):
    server.slow_next(3.0)
    out = engine_for(server.url, timeout=0.3, retries=2).translate(["late"], "en", "es")
    assert out[0].text == "LATE"


def test_slow_server_gets_smaller_batches(server):
    server.seconds_per_segment = 0.1  # 16 segments take 1.6 s, 4 take 0.4 s
    engine = engine_for(server.url, timeout=0.75, max_segments=16)
    texts = [f"s{i}" for i in range(16)]
    assert [t.text for t in engine.translate(texts, "en", "es")] == [t.upper() for t in texts]
    sizes = [len(r["q"]) for r in server.translate_requests]
    assert sizes[0] == 16 and max(sizes[1:]) <= 8
    assert engine.max_segments <= 8  # remembered for the next batches


def test_unreachable_port_is_one_clear_error():
    url = f"http://127.0.0.1:{free_port()}"
    engine = engine_for(url, retries=4)
    with pytest.raises(
        EngineError,
        match=rf"cannot reach LibreTranslate at {url}: .*refused; gave up after 2 attempts",
    ):
        engine.route("en", "es")  # a refused connection is retried once only
    with pytest.raises(EngineError, match="cannot reach LibreTranslate"):
        engine.translate(["x"], "en", "es")


def test_missing_language_route_none_and_clear_error(server):
    engine = engine_for(server.url)
    assert engine.route("es", "ja") is None
    with pytest.raises(EngineError, match=r"cannot translate es→ja \(the server offers: en→es"):
        engine.translate(["hola"], "es", "ja")
    assert server.translate_requests == []


def test_language_removed_on_server_is_clear_error(server):
    engine = engine_for(server.url)
    assert engine.route("en", "ja") is not None
    server.languages["en"] = ["es"]  # the operator removed a model after we asked
    with pytest.raises(EngineError, match=r"lacks a language \(server says: Japanese \(ja\)"):
        engine.translate(["hello"], "en", "ja")


def test_server_batch_limit_splits_and_remembers(server):
    server.batch_limit = 8
    engine = engine_for(server.url, max_segments=50)
    texts = [f"s{i}" for i in range(20)]
    assert [t.text for t in engine.translate(texts, "en", "es")] == [t.upper() for t in texts]
    sizes = [len(r["q"]) for r in server.translate_requests]
    assert sum(s for s in sizes if s <= 8) == 20
    server.translate_requests.clear()
    engine.translate(texts, "en", "es")  # learned: no refused requests any more
    assert all(len(r["q"]) <= 8 for r in server.translate_requests)


def test_not_a_libretranslate_server(server):
    engine = engine_for(server.url + "/nothing-here")
    with pytest.raises(EngineError, match="does not look like a LibreTranslate server"):
        engine.route("en", "es")


def test_fake_server_speaks_the_api_for_strings_and_forms(server):
    import json
    import urllib.parse
    import urllib.request

    def post(data: bytes, content_type: str) -> dict:
        request = urllib.request.Request(
            server.url + "/translate", data=data, headers={"Content-Type": content_type}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    body = {"q": "Hello", "source": "en", "target": "es"}
    assert post(json.dumps(body).encode(), "application/json") == {"translatedText": "HELLO"}
    form = urllib.parse.urlencode(body).encode()
    assert post(form, "application/x-www-form-urlencoded") == {"translatedText": "HELLO"}


def test_retry_after_http_date():
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    from pipeline.engines.libretranslate import _retry_after

    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    assert 80 <= _retry_after(later) <= 91
    assert _retry_after("7") == 7.0
    assert _retry_after("soon") is None


@pytest.mark.parametrize("concurrency", [1, 2, 4])
def test_several_batches_are_in_flight_against_a_server_with_two_workers(concurrency):
    texts = [f"Segment number {n} of the statement." for n in range(60)]
    with FakeLibreTranslate(workers=2, seconds_per_segment=0.005) as server:
        engine = LibreTranslateEngine(server.url, max_segments=6, concurrency=concurrency)
        done: list[int] = []
        out = engine.translate(texts, "en", "es", progress=done.append)
        assert server.max_in_flight == min(concurrency, 2)  # the server's two workers
        assert len(server.translate_requests) == 10 == engine.requests_sent - 1  # + languages
    assert [t.text for t in out] == [t.upper() for t in texts]  # in order
    assert sum(done) == 60


def test_a_failed_batch_stops_the_others_with_one_error():
    with FakeLibreTranslate(workers=2) as server:
        server.fail_next(400, times=1)
        engine = LibreTranslateEngine(server.url, max_segments=2, concurrency=3)
        with pytest.raises(EngineError, match="LibreTranslate"):
            engine.translate([f"Segment {n}." for n in range(40)], "en", "es")
        assert len(server.translate_requests) < 20  # the rest were not sent
