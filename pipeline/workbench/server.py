"""Running the workbench: a socket on the chosen address, uvicorn, the URL with its token.

The socket is bound before uvicorn starts so that ``--port 0`` (any free port) can be printed
at once, as one line on stdout. uvicorn handles Ctrl-C and SIGTERM (it finishes the requests
in flight and stops); running rebuilds are then asked to stop after the file being written,
and the command exits 0.
"""

from __future__ import annotations

import ipaddress
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.memory import TranslationMemory
from pipeline.workbench.app import Workbench, create_app, new_token
from pipeline.workbench.rebuild import Rebuilder, RebuildSettings


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (0: a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(host: str, port: int, token: str) -> str:
    shown = "127.0.0.1" if host in ("localhost", "0.0.0.0", "::") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/?token={token}"


def serve(
    settings: RebuildSettings,
    memory: TranslationMemory,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    reviewer: str,
    token: str | None = None,
    announce: Callable[[str], None] | None = None,
) -> int:
    """Serve the workbench until Ctrl-C/SIGTERM; 0 when it stopped cleanly."""
    import uvicorn

    sock = bind(host, port)
    token = token or new_token()
    with tempfile.TemporaryDirectory(prefix="workbench-previews-") as previews:
        rebuilder = Rebuilder(settings, Path(previews))
        bench = Workbench(
            out_dir=settings.out_dir,
            memory=memory,
            reviewer=reviewer,
            token=token,
            rebuilder=rebuilder,
            loopback=is_loopback(host),
        )
        config = uvicorn.Config(
            create_app(bench), log_level="warning", access_log=False, lifespan="off"
        )
        server = uvicorn.Server(config)
        actual_port = sock.getsockname()[1]
        line = url_of(host, actual_port, token)
        with _signals_stop(server):
            (announce or _print_line)(line)  # a SIGTERM right after the line stops it cleanly
            try:
                server.run(sockets=[sock])
            finally:
                rebuilder.stop()
                sock.close()
    print("workbench stopped", file=sys.stderr)
    return 0


@contextmanager
def _signals_stop(server: Any) -> Iterator[None]:
    """Ctrl-C and SIGTERM stop ``server``: uvicorn installs its own handlers while it runs and,
    once stopped, raises the signal again, which lands here instead of killing the process; a
    signal before uvicorn's handlers are in place stops it too."""
    wanted: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)
    if threading.current_thread() is not threading.main_thread():
        wanted = ()

    def stop(number: int, frame: object) -> None:
        server.should_exit = True

    before = {number: signal.signal(number, stop) for number in wanted}
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)


def _print_line(line: str) -> None:
    print(line, flush=True)
    sys.stdout.flush()
