"""The workbench's Starlette application: access token, CSRF check, pages and a JSON API.

Access works as Jupyter's does: the URL printed at start carries ``?token=…``; the first
visit with it sets a cookie (and drops the token from the address bar), and every request
without a valid token or cookie gets 403. A write (POST) also needs the page's CSRF token in
the ``X-Workbench-CSRF`` header, and an ``Origin``, when the browser sends one, of this
server: another site's page can neither read the token nor send the header. On loopback the
``Host`` must be a loopback name too (no DNS rebinding).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from pipeline.memory import TranslationMemory
from pipeline.review.sidecar import ReviewError
from pipeline.workbench.approve import Approver
from pipeline.workbench.catalog import find_pair, find_pairs, load_segments, read_report, summarize
from pipeline.workbench.rebuild import Rebuilder

HERE = Path(__file__).parent
CSRF_HEADER = "x-workbench-csrf"
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1", "[::1]"}
MAX_TEXT = 20_000
MAX_BODY = 200_000


@dataclass
class Workbench:
    """Everything the handlers share: the output folder, the memory, the token."""

    out_dir: Path
    memory: TranslationMemory
    reviewer: str
    token: str
    rebuilder: Rebuilder
    loopback: bool = True

    def __post_init__(self) -> None:
        self.approver = Approver(self.out_dir, self.memory)

    @property
    def csrf(self) -> str:
        return hmac.new(self.token.encode(), b"csrf", hashlib.sha256).hexdigest()

    @property
    def cookie_name(self) -> str:
        # Cookies ignore ports: a name of its own keeps two servers on one host apart.
        return "workbench-" + hashlib.sha256(self.token.encode()).hexdigest()[:10]


def new_token() -> str:
    return secrets.token_urlsafe(24)


class TokenGate:
    """ASGI middleware: 403 without the token, CSRF on writes, loopback Host on loopback."""

    def __init__(self, app: ASGIApp, bench: Workbench) -> None:
        self.app = app
        self.bench = bench

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await PlainTextResponse(refusal, status_code=403)(scope, receive, send)
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if "token" in query and scope["method"] == "GET":
            rest = urlencode({k: v for k, v in query.items() if k != "token"})
            response = RedirectResponse(scope["path"] + (f"?{rest}" if rest else ""), 303)
            response.set_cookie(
                self.bench.cookie_name, self.bench.token, httponly=True, samesite="strict"
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> str | None:
        host = headers.get("host", "")
        if self.bench.loopback and host.rsplit(":", 1)[0] not in LOOPBACK_NAMES:
            return "403: this workbench answers only on 127.0.0.1"
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        cookie = SimpleCookie()
        cookie.load(headers.get("cookie", ""))
        given = query.get("token") or (
            cookie[self.bench.cookie_name].value if self.bench.cookie_name in cookie else ""
        )
        if not hmac.compare_digest(given.encode(), self.bench.token.encode()):
            return "403: open the workbench with the URL `pipeline review serve` printed (it has the token)"
        if scope["method"] not in ("GET", "HEAD"):
            if not hmac.compare_digest(
                headers.get(CSRF_HEADER, "").encode(), self.bench.csrf.encode()
            ):
                return "403: missing or wrong CSRF token"
            origin = headers.get("origin")
            if origin is not None and origin.split("://", 1)[-1] != host:
                return "403: request from another site"
        return None


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(("html",), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


class _Handlers:
    """The pages and the JSON API of one workbench."""

    def __init__(self, bench: Workbench) -> None:
        self.bench = bench
        self.env = _environment()

    def page(self, name: str, **context: Any) -> HTMLResponse:
        html = self.env.get_template(name).render(
            csrf=self.bench.csrf, reviewer=self.bench.reviewer, **context
        )
        return HTMLResponse(
            html, headers={"Content-Security-Policy": _CSP, "Cache-Control": "no-store"}
        )

    def index(self, request: Request) -> Response:
        summaries = [summarize(ref, self.bench.memory) for ref in find_pairs(self.bench.out_dir)]
        return self.page("index.html", out_dir=str(self.bench.out_dir), summaries=summaries)

    def document(self, request: Request) -> Response:
        ref = find_pair(
            self.bench.out_dir, request.path_params["document"], request.path_params["pair"]
        )
        if ref is None:
            return PlainTextResponse("no such document or language pair", 404)
        try:
            review, views = load_segments(ref, self.bench.memory)
        except ReviewError as exc:
            return PlainTextResponse(str(exc), 500)
        report = read_report(ref.folder)
        target = (report.get("targets") or {}).get(ref.tgt) or {}
        return self.page(
            "document.html",
            ref=ref,
            review=review,
            rows=views,
            approved=sum(v.approved is not None for v in views),
            findings=sum(bool(v.qa) for v in views),
            engine=target.get("engine") or review.engine,
            rebuild=self.bench.rebuilder.status(ref.document),
        )

    async def save(self, request: Request) -> Response:
        body = await _json_body(request)
        if body is None:
            return JSONResponse({"status": "refused", "reason": "bad request"}, 400)
        text = str(body.get("target", ""))
        if len(text) > MAX_TEXT:
            return JSONResponse({"status": "refused", "reason": "text too long"}, 413)
        reviewer = " ".join(str(body.get("reviewer") or self.bench.reviewer).split())[:80]
        outcome = await run_in_threadpool(  # SQLite may wait for a rebuild's write
            self.bench.approver.save,
            str(body.get("document", "")),
            str(body.get("pair", "")),
            str(body.get("segment", "")),
            text,
            str(body.get("version", "")),
            reviewer or self.bench.reviewer,
        )
        code = {"conflict": 409, "refused": 422, "missing": 404}.get(outcome.status, 200)
        return JSONResponse(outcome.as_json(), code)

    async def rebuild_start(self, request: Request) -> Response:
        body = await _json_body(request)
        folder = _document_folder(self.bench, str((body or {}).get("document", "")))
        if folder is None:
            return JSONResponse({"state": "failed", "message": "no such document"}, 404)
        return JSONResponse(self.bench.rebuilder.start(folder))

    def rebuild_status(self, request: Request) -> Response:
        return JSONResponse(self.bench.rebuilder.status(request.path_params["document"]))

    def output_file(self, request: Request) -> Response:
        folder = _document_folder(self.bench, request.path_params["document"])
        path = _inside(folder, request.path_params["path"]) if folder else None
        if path is None or not path.is_file():
            return PlainTextResponse("not found", 404)
        return FileResponse(path, headers={"Cache-Control": "no-store"})

    def preview(self, request: Request) -> Response:
        document, pdf = request.path_params["document"], request.path_params["pdf"]
        page_number = request.path_params["page"]
        path = _inside(self.bench.rebuilder.preview_dir, f"{document}/{pdf}.{page_number}.png")
        if path is None or not path.is_file():
            return PlainTextResponse("not found", 404)
        return FileResponse(path, media_type="image/png", headers={"Cache-Control": "no-store"})


def create_app(bench: Workbench) -> ASGIApp:
    """The ASGI application serving ``bench``."""
    handlers = _Handlers(bench)
    routes = [
        Route("/", handlers.index),
        Route("/doc/{document}/{pair}", handlers.document),
        Route("/api/save", handlers.save, methods=["POST"]),
        Route("/api/rebuild", handlers.rebuild_start, methods=["POST"]),
        Route("/api/rebuild/{document}", handlers.rebuild_status),
        Route("/files/{document}/{path:path}", handlers.output_file),
        Route("/preview/{document}/{pdf}/{page:int}.png", handlers.preview),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return TokenGate(Starlette(routes=routes), bench)


_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


async def _json_body(request: Request) -> dict[str, Any] | None:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return None
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _document_folder(bench: Workbench, document: str) -> Path | None:
    """``OUT/<document>`` when it is a document folder the server knows."""
    for ref in find_pairs(bench.out_dir):
        if ref.document == document:
            return ref.folder
    return None


def _inside(folder: Path, relative: str) -> Path | None:
    """``folder/relative`` when it stays inside ``folder`` (no ``..``, no link out)."""
    try:
        path = (folder / relative).resolve()
        path.relative_to(folder.resolve())
    except (ValueError, OSError):
        return None
    return path
