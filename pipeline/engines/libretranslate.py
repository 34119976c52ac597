"""LibreTranslate: a team's shared translation server (``--engine libretranslate --url URL``).

Only this engine opens network connections, and only to the URL the user gave. Segments go in
batches (``q`` as a list) as HTML, so inline markers travel as ``<span class="gN">`` and
``<span class="xN"></span>``. 429 and 5xx answers are retried with exponential backoff and jitter
(``Retry-After`` honoured); every failure ends in one ``EngineError`` line naming the server.
Standard library only (urllib).
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import json
import random
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from pipeline import markers
from pipeline.engines.base import EngineError, Progress, Route, Strategy, Translation
from pipeline.ingest.limits import Limits

MAX_SEGMENTS_PER_REQUEST = 50
CONCURRENCY = 2  # batches in flight at once (--lt-concurrency): a server with workers stays busy
MAX_CHARS_PER_REQUEST = 20_000
MAX_BACKOFF_S = 30.0
MAX_RETRY_AFTER_S = 120.0
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
_USER_AGENT = "statement-pipeline (LibreTranslate client)"
_CHUNK = 64 * 1024
_ERROR_BODY_BYTES = 64 * 1024


class _LimitExceeded(Exception):
    """The server refused a request as too large (its --batch-limit or --char-limit)."""


class _TooSlow(Exception):
    """The server accepted the connection but did not answer a batch in time."""


class _Retry(Exception):
    """A failure worth repeating (429, 5xx, a timeout, no connection), up to ``limit`` times."""

    def __init__(self, failure: str, limit: int, after: float | None = None) -> None:
        super().__init__(failure)
        self.failure, self.limit, self.after = failure, limit, after


class _DeadlinePassed(Exception):
    """The whole exchange took longer than the overall deadline."""


class _Watchdog:
    """The overall deadline of one exchange: when it passes, the connection's socket is shut
    down, which wakes a read blocked on a server that trickles a byte at a time."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            self._shut(sock)

    def check(self) -> None:
        if self.expired:
            raise _DeadlinePassed

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> _Watchdog:
        self._timer = threading.Timer(self.seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()


class _WatchedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, watchdog: _Watchdog, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._watchdog = watchdog

    def connect(self) -> None:
        super().connect()  # HTTPSConnection's in the subclass below (the TLS handshake)
        self._watchdog.watch(self.sock)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, http.client.HTTPSConnection):
    pass


class _WatchedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, watchdog: _Watchdog) -> None:
        super().__init__()
        self._watchdog = watchdog

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = functools.partial(_WatchedHTTPConnection, watchdog=self._watchdog)
        return self.do_open(connection, req)


class _WatchedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, watchdog: _Watchdog) -> None:
        super().__init__()
        self._watchdog = watchdog

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = functools.partial(_WatchedHTTPSConnection, watchdog=self._watchdog)
        return self.do_open(connection, req, context=self._context)  # type: ignore[attr-defined]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are never followed, on any method: the answer is the 3xx itself."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class LibreTranslateEngine:
    """Client of a LibreTranslate server. Nothing connects before ``route`` or ``translate``."""

    name = "libretranslate"
    markup = True
    glossary_strategy = Strategy(names="token", terms="token")

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        timeout: float = 30.0,
        retries: int = 4,
        *,
        backoff: float = 1.0,
        max_segments: int = MAX_SEGMENTS_PER_REQUEST,
        max_chars: int = MAX_CHARS_PER_REQUEST,
        sleep: Callable[[float], None] = time.sleep,
        concurrency: int = CONCURRENCY,
        limits: Limits | None = None,
    ) -> None:
        """``url`` is the server's base URL (``http://host:5000``); ``retries`` is how many
        times a request is repeated after a 429, a 5xx, a timeout or a refused connection;
        ``backoff`` the first wait in seconds (doubled each time, with jitter);
        ``concurrency`` how many batches are sent at once (each waits for its own answer, so
        a server with several workers, or replicas behind a load balancer, translates them
        in parallel; 1 sends one batch after the other)."""
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EngineError(
                f"LibreTranslate URL must look like http://HOST:PORT or https://HOST, not {url!r}"
            )
        self.url = url.strip().rstrip("/")
        self.api_key = api_key or None
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_segments = max(1, max_segments)
        self.max_chars = max(1, max_chars)
        self._sleep = sleep
        self._random = random.Random()
        self._host = parts.hostname
        self._model = parts.hostname + (f":{parts.port}" if parts.port else "")
        self._languages: dict[str, frozenset[str]] | None = None
        self.concurrency = max(1, concurrency)
        limits = limits or Limits.from_env()
        self.max_response_bytes = limits.max_response_mb * 1024 * 1024
        self.deadline = float(limits.max_request_seconds)
        self.requests_sent = 0
        self.retried = 0
        self._count_lock = threading.Lock()

    # -- the Engine interface --------------------------------------------------------------

    def languages(self) -> dict[str, frozenset[str]]:
        """The server's pairs as {source: targets}, asked once (``GET /languages``)."""
        if self._languages is None:
            answer = self._request("/languages")
            if not isinstance(answer, list) or not all(
                isinstance(item, dict) and isinstance(item.get("code"), str) for item in answer
            ):
                raise EngineError(
                    f"{self.url} does not look like a LibreTranslate server "
                    "(GET /languages did not return a language list)"
                )
            codes = {item["code"] for item in answer}
            pairs: dict[str, frozenset[str]] = {}
            for item in answer:
                targets = item.get("targets")
                if targets is None:  # servers before 1.3 list no targets
                    targets = sorted(codes - {item["code"]})
                if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
                    raise EngineError(
                        f"{self.url} does not look like a LibreTranslate server (GET /languages: "
                        f"the targets of {item['code']!r} are not a list of language codes)"
                    )
                pairs[item["code"]] = frozenset(t for t in targets if t != item["code"])
            self._languages = pairs
        return self._languages

    def route(self, src: str, tgt: str) -> Route | None:
        """The route for src→tgt, or None when the server lacks the pair.

        Raises ``EngineError`` when the server cannot be reached (asked once, then cached).
        """
        if tgt not in self.languages().get(src, frozenset()):
            return None
        return Route(engine=self.name, model=self._model, version=None)

    def translate(
        self, texts: Sequence[str], src: str, tgt: str, progress: Progress | None = None
    ) -> list[Translation]:
        """Translate segments in as few requests as the batch limits allow, in order."""
        if not texts:
            return []
        if self.route(src, tgt) is None:
            offered = ", ".join(
                f"{s}→{t}"
                for s, targets in sorted(self.languages().items())
                for t in sorted(targets)
            )
            raise EngineError(
                f"LibreTranslate at {self.url} cannot translate {src}→{tgt} "
                f"(the server offers: {offered or 'nothing'})"
            )
        results: list[Translation | None] = [None] * len(texts)
        pending: list[tuple[int, str]] = []
        for index, text in enumerate(texts):
            if text.strip():
                pending.append((index, markers.to_html(text)))
            else:
                results[index] = Translation(text)
        if progress and len(pending) < len(texts):
            progress(len(texts) - len(pending))
        for batch, answers in self._send_all(self._batches(pending), src, tgt):
            for (index, _), answer in zip(batch, answers, strict=True):
                results[index] = Translation(markers.from_html(answer, unescape=False).strip())
            if progress:
                progress(len(batch))
        return [r if r is not None else Translation("") for r in results]

    def _send_all(
        self, batches: list[list[tuple[int, str]]], src: str, tgt: str
    ) -> Iterator[tuple[list[tuple[int, str]], list[str]]]:
        """Each batch with its answers, in order, with up to ``concurrency`` requests in
        flight; the first failure stops the batches not yet sent and is raised."""

        def send(batch: list[tuple[int, str]]) -> list[str]:
            return self._translate_batch([payload for _, payload in batch], src, tgt)

        if self.concurrency == 1 or len(batches) <= 1:
            for batch in batches:
                yield batch, send(batch)
            return
        pool = ThreadPoolExecutor(max_workers=min(self.concurrency, len(batches)))
        try:
            yield from zip(batches, pool.map(send, batches), strict=True)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    # -- batching --------------------------------------------------------------------------

    def _batches(self, items: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
        batches: list[list[tuple[int, str]]] = []
        current: list[tuple[int, str]] = []
        chars = 0
        for item in items:
            size = len(item[1])
            if current and (len(current) >= self.max_segments or chars + size > self.max_chars):
                batches.append(current)
                current, chars = [], 0
            current.append(item)
            chars += size
        if current:
            batches.append(current)
        return batches

    def _translate_batch(self, q: list[str], src: str, tgt: str) -> list[str]:
        payload: dict[str, object] = {"q": q, "source": src, "target": tgt, "format": "html"}
        if self.api_key:
            payload["api_key"] = self.api_key
        try:
            answer = self._request("/translate", payload, split_on_timeout=len(q) > 1)
        except _TooSlow:
            # The server is slower than our timeout for this many segments: halve the batch
            # (and remember it); a single segment that still times out gets the usual retries.
            self.max_segments = max(1, min(self.max_segments, len(q) // 2))
            return self._resend_smaller(q, src, tgt)
        except _LimitExceeded as exc:
            if len(q) == 1:
                raise EngineError(
                    f"LibreTranslate at {self.url} refuses a segment of {len(q[0])} characters "
                    f"as too long ({exc})"
                ) from None
            # The server has lower limits than ours: halve the batch, and remember it.
            self.max_segments = max(1, min(self.max_segments, len(q) // 2))
            self.max_chars = max(1, min(self.max_chars, sum(len(t) for t in q) // 2))
            return self._resend_smaller(q, src, tgt)
        translated = answer.get("translatedText") if isinstance(answer, dict) else None
        if isinstance(translated, str) and len(q) == 1:
            translated = [translated]
        if not isinstance(translated, list) or len(translated) != len(q):
            got = len(translated) if isinstance(translated, list) else "no"
            raise EngineError(
                f"LibreTranslate at {self.url} answered {got} translations for {len(q)} segments"
            )
        return [str(t) for t in translated]

    def _resend_smaller(self, q: list[str], src: str, tgt: str) -> list[str]:
        """Send ``q`` again in batches within the (just lowered) limits, read at each step."""
        out: list[str] = []
        pos = 0
        while pos < len(q):
            size, chars = 0, 0
            while pos + size < len(q) and size < self.max_segments:
                if size and chars + len(q[pos + size]) > self.max_chars:
                    break
                chars += len(q[pos + size])
                size += 1
            out.extend(self._translate_batch(q[pos : pos + size], src, tgt))
            pos += size
        return out

    # -- HTTP ------------------------------------------------------------------------------

    def _opener(self, watchdog: _Watchdog) -> urllib.request.OpenerDirector:
        handlers: list[urllib.request.BaseHandler] = [
            _NoRedirect(),
            _WatchedHTTPHandler(watchdog),
            _WatchedHTTPSHandler(watchdog),
        ]
        if self._host in _LOOPBACK:  # a local server: never through an HTTP proxy
            handlers.append(urllib.request.ProxyHandler({}))
        return urllib.request.build_opener(*handlers)

    def _request(
        self, path: str, payload: dict[str, object] | None = None, split_on_timeout: bool = False
    ) -> object:
        """One API call with retries; returns the decoded JSON answer.

        With ``split_on_timeout``, a server that accepted the request but answered too slowly
        raises ``_TooSlow`` at once, so the caller can send smaller batches instead.
        """
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8") if payload else None
        attempt = 0
        while True:
            try:
                return self._exchange(path, data, split_on_timeout)
            except _Retry as retry:
                if attempt >= retry.limit:
                    attempts = attempt + 1
                    raise EngineError(
                        f"{retry.failure}; gave up after {attempts} "
                        f"attempt{'s' if attempts > 1 else ''}"
                    ) from None
                wait = self._backoff(attempt)
                if retry.after is not None:
                    if retry.after > MAX_RETRY_AFTER_S:
                        raise EngineError(
                            f"{retry.failure}; the server asks to wait {retry.after:.0f} s, "
                            "try again later"
                        ) from None
                    wait = max(wait, retry.after)
            attempt += 1
            self._count("retried")
            self._sleep(wait)

    def _exchange(self, path: str, data: bytes | None, split_on_timeout: bool) -> object:
        """One HTTP exchange within the overall deadline: the decoded JSON answer, or
        ``_Retry`` (worth repeating), ``_TooSlow``, ``_LimitExceeded`` or ``EngineError``."""
        headers = {"Accept": "application/json", "User-Agent": _USER_AGENT}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            self.url + path, data=data, headers=headers, method="POST" if data else "GET"
        )
        self._count("requests_sent")
        watchdog = _Watchdog(self.deadline)
        try:
            body = self._talk(request, path, watchdog, split_on_timeout)
        except _DeadlinePassed:
            raise EngineError(
                f"LibreTranslate at {self.url} did not finish answering {path} within "
                f"{self.deadline:g} s (limit PIPELINE_MAX_REQUEST_SECONDS); not retried"
            ) from None
        return self._decode(body, path)

    def _talk(
        self, request: urllib.request.Request, path: str, watchdog: _Watchdog, split: bool
    ) -> bytes:
        """Send ``request`` and read its answer's body; ``_DeadlinePassed`` when the watchdog
        cut the exchange short (whatever error that caused)."""
        with watchdog:
            try:
                with self._opener(watchdog).open(request, timeout=self.timeout) as answer:
                    body = self._read_body(answer, path)
            except urllib.error.HTTPError as exc:
                watchdog.check()
                raise self._http_failure(path, exc) from None
            except (TimeoutError, urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                watchdog.check()
                raise self._network_failure(exc, split) from None
            watchdog.check()
        return body

    def _read_body(self, answer: http.client.HTTPResponse, path: str) -> bytes:
        """The body of ``answer``, read in pieces and never more than ``max_response_bytes``."""
        cap = self.max_response_bytes
        declared = answer.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            raise self._too_large(path)
        chunks: list[bytes] = []
        total = 0
        while chunk := answer.read1(_CHUNK):
            total += len(chunk)
            if total > cap:
                raise self._too_large(path)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, path: str) -> EngineError:
        mb = self.max_response_bytes / 1024 / 1024
        return EngineError(
            f"{self.url} sent more than {mb:g} MB for {path}: not a LibreTranslate answer "
            f"(limit PIPELINE_MAX_RESPONSE_MB={mb:g})"
        )

    def _decode(self, body: bytes, path: str) -> object:
        try:
            return json.loads(body.decode("utf-8"))
        except RecursionError:
            raise EngineError(
                f"{self.url} does not look like a LibreTranslate server ({path} answered JSON "
                "nested too deep to read)"
            ) from None
        except (UnicodeDecodeError, ValueError):
            raise EngineError(
                f"{self.url} does not look like a LibreTranslate server "
                f"({path} did not answer JSON)"
            ) from None

    def _http_failure(self, path: str, exc: urllib.error.HTTPError) -> Exception:
        status = exc.code
        message = _error_message(exc)
        if 300 <= status < 400:
            where = exc.headers.get("Location", "") if exc.headers else ""
            return EngineError(
                f"LibreTranslate at {self.url} answered {path} with a redirect (HTTP {status}"
                f"{' to ' + where[:200] if where else ''}); redirects are not followed: give "
                "the server's own address with --url"
            )
        if status != 429 and status < 500:
            return self._refusal(path, status, message)
        said = f": {message}" if message else ""
        what = "is overloaded" if status == 429 else "failed"
        return _Retry(
            f"LibreTranslate at {self.url} {what} (HTTP {status}{said})",
            self.retries,
            _retry_after(exc.headers.get("Retry-After") if exc.headers else None),
        )

    def _network_failure(self, exc: OSError | http.client.HTTPException, split: bool) -> Exception:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if split and isinstance(exc, TimeoutError):  # read, not connect
            return _TooSlow()
        if isinstance(reason, TimeoutError):
            return _Retry(
                f"LibreTranslate at {self.url} did not answer within {self.timeout:g} s",
                self.retries,
            )
        detail = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
        limit = self.retries
        if isinstance(reason, (ConnectionRefusedError, socket.gaierror)):
            limit = min(limit, 1)  # a wrong URL or a stopped server: fail fast
        return _Retry(f"cannot reach LibreTranslate at {self.url}: {detail}", limit)

    def _count(self, counter: str) -> None:
        with self._count_lock:  # requests run in several threads
            setattr(self, counter, getattr(self, counter) + 1)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with equal jitter: half fixed, half random."""
        ceiling = min(MAX_BACKOFF_S, self.backoff * (2**attempt))
        return float(ceiling / 2 + self._random.uniform(0, ceiling / 2))

    def _refusal(self, path: str, status: int, message: str) -> Exception:
        """The error for a 4xx answer (not retried)."""
        lowered = message.lower()
        said = f" (server says: {message})" if message else ""
        if "api key" in lowered and status == 403:
            return EngineError(f"LibreTranslate at {self.url} refused the API key{said}")
        if "api key" in lowered:
            return EngineError(
                f"LibreTranslate at {self.url} needs an API key: pass --api-key KEY{said}"
            )
        if "exceeds text limit" in lowered or "exceeds character limit" in lowered:
            return _LimitExceeded(message)
        if "not supported" in lowered or "not available" in lowered:
            return EngineError(f"LibreTranslate at {self.url} lacks a language{said}")
        if status == 403:
            return EngineError(f"LibreTranslate at {self.url} refused this client{said}")
        if status in (404, 405):
            return EngineError(
                f"{self.url} does not look like a LibreTranslate server ({path}: HTTP {status})"
            )
        return EngineError(
            f"LibreTranslate at {self.url} refused the request (HTTP {status}){said}"
        )


def _error_message(exc: urllib.error.HTTPError) -> str:
    """The ``error`` field of a LibreTranslate error answer, or a short body excerpt."""
    try:
        body = exc.read(_ERROR_BODY_BYTES).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return ""
    try:
        decoded = json.loads(body)
    except (ValueError, RecursionError):
        return " ".join(body.split())[:160]
    if isinstance(decoded, dict) and decoded.get("error"):
        return " ".join(str(decoded["error"]).split())[:300]
    return ""


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())
