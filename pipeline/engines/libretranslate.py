"""LibreTranslate: a team's shared translation server (``--engine libretranslate --url URL``).

Only this engine opens network connections, and only to the URL the user gave. Segments go in
batches (``q`` as a list) as HTML, so inline markers travel as ``<span class="gN">`` and
``<span class="xN"></span>``. 429 and 5xx answers are retried with exponential backoff and jitter
(``Retry-After`` honoured); every failure ends in one ``EngineError`` line naming the server.
Standard library only (urllib).
"""

from __future__ import annotations

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
from urllib.parse import urlsplit

from pipeline import markers
from pipeline.engines.base import EngineError, Progress, Route, Strategy, Translation

MAX_SEGMENTS_PER_REQUEST = 50
CONCURRENCY = 2  # batches in flight at once (--lt-concurrency): a server with workers stays busy
MAX_CHARS_PER_REQUEST = 20_000
MAX_BACKOFF_S = 30.0
MAX_RETRY_AFTER_S = 120.0
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
_USER_AGENT = "statement-pipeline (LibreTranslate client)"


class _LimitExceeded(Exception):
    """The server refused a request as too large (its --batch-limit or --char-limit)."""


class _TooSlow(Exception):
    """The server accepted the connection but did not answer a batch in time."""


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

    def _opener(self) -> urllib.request.OpenerDirector:
        if self._host in _LOOPBACK:  # a local server: never through an HTTP proxy
            return urllib.request.build_opener(urllib.request.ProxyHandler({}))
        return urllib.request.build_opener()

    def _request(
        self, path: str, payload: dict[str, object] | None = None, split_on_timeout: bool = False
    ) -> object:
        """One API call with retries; returns the decoded JSON answer.

        With ``split_on_timeout``, a server that accepted the request but answered too slowly
        raises ``_TooSlow`` at once, so the caller can send smaller batches instead.
        """
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8") if payload else None
        headers = {"Accept": "application/json", "User-Agent": _USER_AGENT}
        if data is not None:
            headers["Content-Type"] = "application/json"
        opener = self._opener()
        attempt = 0
        while True:
            request = urllib.request.Request(
                self.url + path, data=data, headers=headers, method="POST" if data else "GET"
            )
            retry_after: float | None = None
            limit = self.retries
            try:
                self._count("requests_sent")
                with opener.open(request, timeout=self.timeout) as response:
                    body = response.read()
                try:
                    return json.loads(body.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    raise EngineError(
                        f"{self.url} does not look like a LibreTranslate server "
                        f"({path} did not answer JSON)"
                    ) from None
            except urllib.error.HTTPError as exc:
                status = exc.code
                message = _error_message(exc)
                if status != 429 and status < 500:
                    raise self._refusal(path, status, message) from None
                retry_after = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
                failure = (
                    f"LibreTranslate at {self.url} is overloaded (HTTP {status}"
                    f"{': ' + message if message else ''})"
                    if status == 429
                    else f"LibreTranslate at {self.url} failed (HTTP {status}"
                    f"{': ' + message if message else ''})"
                )
            except (TimeoutError, urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
                if split_on_timeout and isinstance(exc, TimeoutError):  # read, not connect
                    raise _TooSlow() from None
                if isinstance(reason, TimeoutError):
                    failure = (
                        f"LibreTranslate at {self.url} did not answer within {self.timeout:g} s"
                    )
                else:
                    detail = (
                        getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
                    )
                    failure = f"cannot reach LibreTranslate at {self.url}: {detail}"
                    if isinstance(reason, (ConnectionRefusedError, socket.gaierror)):
                        limit = min(limit, 1)  # a wrong URL or a stopped server: fail fast
            if attempt >= limit:
                attempts = attempt + 1
                raise EngineError(
                    f"{failure}; gave up after {attempts} attempt{'s' if attempts > 1 else ''}"
                )
            wait = self._backoff(attempt)
            if retry_after is not None:
                if retry_after > MAX_RETRY_AFTER_S:
                    raise EngineError(
                        f"{failure}; the server asks to wait {retry_after:.0f} s, try again later"
                    )
                wait = max(wait, retry_after)
            attempt += 1
            self._count("retried")
            self._sleep(wait)

    def _count(self, counter: str) -> None:
        with self._count_lock:  # requests run in several threads
            setattr(self, counter, getattr(self, counter) + 1)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with equal jitter: half fixed, half random."""
        ceiling = min(MAX_BACKOFF_S, self.backoff * (2**attempt))
        return ceiling / 2 + self._random.uniform(0, ceiling / 2)

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
        body = exc.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return ""
    try:
        decoded = json.loads(body)
    except ValueError:
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
