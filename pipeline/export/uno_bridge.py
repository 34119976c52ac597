"""Run by the system Python that has LibreOffice's ``uno`` module (Debian's python3-uno), not
by the pipeline's own: drives one running ``soffice`` for ``pipeline.export.libreoffice``.

    /usr/bin/python3 uno_bridge.py PIPE_NAME SOFFICE_PGID WORK_DIR

Connects to the soffice listening on the UNO pipe ``PIPE_NAME``, prints ``ready`` (or
``error: ...``), then reads one JSON request a line on stdin, ``{"in": PATH, "out": PATH,
"to": "pdf"|"docx"|"odt"|"pptx"|"odp"}``, and answers each with one JSON line:
``{"ok": true}`` or ``{"error": "...", "gone": bool}`` (``gone``: the connection to soffice is
lost). Documents are opened hidden, read-only, without updating links or running macros.

When stdin ends (the pipeline is done, or was killed), soffice's process group is killed and
``WORK_DIR`` (its profile) removed, so no LibreOffice outlives the batch. Standard library and
``uno`` only: this file is not imported by the pipeline.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import time
from typing import Any

CONNECT_SECONDS = 120.0

# The export filter per target format and kind of document (LibreOffice's filter names).
FILTERS = {
    "text": {"pdf": "writer_pdf_Export", "docx": "MS Word 2007 XML", "odt": "writer8"},
    "presentation": {
        "pdf": "impress_pdf_Export",
        "pptx": "Impress MS PowerPoint 2007 XML",
        "odp": "impress8",
    },
    "spreadsheet": {"pdf": "calc_pdf_Export"},
    "drawing": {"pdf": "draw_pdf_Export"},
}
SERVICES = {
    "presentation": "com.sun.star.presentation.PresentationDocument",
    "spreadsheet": "com.sun.star.sheet.SpreadsheetDocument",
    "drawing": "com.sun.star.drawing.DrawingDocument",
    "text": "com.sun.star.text.TextDocument",
}


def _say(answer: Any) -> None:
    sys.stdout.write((answer if isinstance(answer, str) else json.dumps(answer)) + "\n")
    sys.stdout.flush()


def _connect(uno: Any, pipe: str) -> Any:
    from com.sun.star.connection import NoConnectException

    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    deadline = time.monotonic() + CONNECT_SECONDS
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return context.ServiceManager.createInstanceWithContext(
                "com.sun.star.frame.Desktop", context
            )
        except NoConnectException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _properties(**values: Any) -> tuple[Any, ...]:
    from com.sun.star.beans import PropertyValue

    return tuple(PropertyValue(Name=name, Value=value) for name, value in values.items())


def _filter(document: Any, to: str) -> str:
    for kind, service in SERVICES.items():
        if document.supportsService(service):
            if to in FILTERS[kind]:
                return FILTERS[kind][to]
            raise ValueError(f"a {kind} document cannot be saved as {to.upper()}")
    raise ValueError("not a document LibreOffice can convert")


def _convert(uno: Any, desktop: Any, request: dict[str, str]) -> None:
    document = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(request["in"]),
        "_blank",
        0,
        # Hidden, read-only; UpdateDocMode 0 and MacroExecutionMode 0: NO_UPDATE, NEVER_EXECUTE.
        _properties(Hidden=True, UpdateDocMode=0, MacroExecutionMode=0),
    )
    if document is None:
        raise ValueError("LibreOffice cannot open the file")
    try:
        document.storeToURL(
            uno.systemPathToFileUrl(request["out"]),
            _properties(FilterName=_filter(document, request["to"]), Overwrite=True),
        )
    finally:
        try:
            document.close(True)
        except Exception:
            document.dispose()


def _gone(exc: BaseException) -> bool:
    name = type(exc).__name__
    return name in {"DisposedException", "RuntimeException"} or "Binary URP bridge" in str(exc)


def _serve(uno: Any, desktop: Any) -> None:
    """Answer requests until stdin ends, or until the connection to LibreOffice is lost (the
    pipeline then starts another LibreOffice and tries the document again)."""
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            _convert(uno, desktop, json.loads(line))
        except Exception as exc:
            message = " ".join(str(getattr(exc, "Message", "") or exc).split())[:300]
            if not isinstance(exc, ValueError):  # LibreOffice's own: its kind too
                message = f"{type(exc).__name__}: {message}"
            _say({"error": message, "gone": _gone(exc)})
            if _gone(exc):
                return
        else:
            _say({"ok": True})


def _end(pgid: int, work: str) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pgid, signal.SIGKILL)
    shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the batch, not this file
    pipe, pgid, work = argv[0], int(argv[1]), argv[2]
    try:
        try:
            import uno

            desktop = _connect(uno, pipe)
        except Exception as exc:
            _say(f"error: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
            return 1
        _say("ready")
        _serve(uno, desktop)
        with contextlib.suppress(Exception):  # stdin ended: LibreOffice ends on its own
            desktop.terminate()
        return 0
    finally:
        _end(pgid, work)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
