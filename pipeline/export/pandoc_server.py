"""Pandoc without a process per document: one ``pandoc lua`` process per thread of a run.

Starting pandoc costs more than converting a statement (measured: 59 ms of CPU and 149 ms
wall per DOCX as a process of its own, 27 ms and 54 ms through a running one). ``serving()``
keeps one pandoc process per writing thread for the length of a batch; ``convert`` sends it
the document and waits for its answer. Outside ``serving()`` (or if the process cannot be
used) ``convert`` runs ``pandoc`` once, as before. Processes, unlike threads, convert in
parallel on every core.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from importlib import resources
from pathlib import Path
from typing import IO

from pipeline.errors import PipelineError


class PandocError(PipelineError):
    """Pandoc could not convert a document; the message is one line."""


def pandoc_path() -> str:
    import pypandoc

    return str(pypandoc.get_pandoc_path())


class PandocServer:
    """One running ``pandoc lua`` process that converts documents on request."""

    def __init__(self) -> None:
        script = resources.files("pipeline") / "export" / "pandoc_server.lua"
        self.proc = subprocess.Popen(
            [pandoc_path(), "lua", str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            process_group=0,  # a terminal's Ctrl-C stops the batch, not the document's writer
        )

    def convert(self, ast: str, out: Path, to: str, reference: Path | None) -> None:
        """Write ``ast`` (pandoc JSON) as ``to`` at ``out``; ``PandocError`` if it fails,
        ``OSError`` if the process is gone."""
        request = {
            "ast": ast,
            "to": to,
            "out": str(out),
            "ref": str(reference) if reference else None,
        }
        stdin, stdout = self._pipes()
        stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
        stdin.flush()
        answer = stdout.readline().strip()
        if not answer:
            raise BrokenPipeError("the pandoc process stopped")
        if answer != "ok":
            raise PandocError(answer.removeprefix("error: ")[:200])

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        if self.proc.stdin is None or self.proc.stdout is None or self.proc.poll() is not None:
            raise BrokenPipeError("the pandoc process stopped")
        return self.proc.stdin, self.proc.stdout

    def close(self) -> None:
        if self.proc.stdin is not None:
            with suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class PandocServers:
    """A pandoc process per thread, started when the thread first converts something."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: list[PandocServer] = []
        self._lock = threading.Lock()

    def for_thread(self) -> PandocServer | None:
        """This thread's server; None when pandoc cannot run as one (then use the CLI)."""
        server = getattr(self._local, "server", None)
        if server is None and not getattr(self._local, "broken", False):
            try:
                server = PandocServer()
            except OSError:
                self._local.broken = True
                return None
            self._local.server = server
            with self._lock:
                self._all.append(server)
        return server

    def retire(self) -> None:
        """This thread's server failed: stop it and use the CLI from now on."""
        server = getattr(self._local, "server", None)
        if server is not None:
            server.close()
        self._local.server = None
        self._local.broken = True

    def close(self) -> None:
        with self._lock:
            servers, self._all = self._all, []
        for server in servers:
            server.close()


_servers: PandocServers | None = None  # set by serving() for the length of a batch only


def use_servers(servers: PandocServers | None) -> None:
    """Convert through ``servers`` from now on (a writer process, for its whole life)."""
    global _servers
    _servers = servers


@contextmanager
def serving() -> Iterator[None]:
    """Convert through running pandoc processes until the block ends (one batch)."""
    global _servers
    previous, _servers = _servers, PandocServers()
    try:
        yield
    finally:
        servers, _servers = _servers, previous
        servers.close()


def convert(ast: str, out: Path, to: str, reference: Path | None = None) -> None:
    """Write the pandoc JSON ``ast`` as format ``to`` at ``out`` (``PandocError`` on failure)."""
    servers = _servers
    server = servers.for_thread() if servers is not None else None
    if server is not None and servers is not None:
        try:
            server.convert(ast, out, to, reference)
            return
        except OSError:
            servers.retire()  # the process is gone: the CLI below does this one
    args = [pandoc_path(), "-f", "json", "-t", to, "-o", str(out)]
    if reference is not None:
        args += ["--reference-doc", str(reference)]
    proc = subprocess.run(  # own process group: a terminal's Ctrl-C lets the file finish
        args, input=ast.encode("utf-8"), capture_output=True, process_group=0
    )
    if proc.returncode != 0:
        raise PandocError(proc.stderr.decode(errors="replace").strip()[:200])
