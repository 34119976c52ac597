"""Running pandoc processes for the writers: same output as one pandoc per document."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from pipeline.document import Block, Document, Span
from pipeline.export import pandoc_server
from pipeline.export.docx import reference_docx
from pipeline.export.pandoc_ast import document_ast

DOC = Document(
    blocks=[
        Block("title", [Span("Free the miners")]),
        Block("paragraph", [Span("The "), Span("union", bold=True), Span(" stands firm.")]),
        Block("list_item", [Span("release them")], level=1),
    ],
    lang="en",
)


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:  # core.xml carries the time of writing
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def test_a_running_pandoc_writes_what_a_pandoc_process_writes(tmp_path):
    ast = json.dumps(document_ast(DOC, "en"))
    pandoc_server.convert(ast, tmp_path / "cli.docx", "docx", reference_docx())
    with pandoc_server.serving():
        servers = pandoc_server._servers
        assert servers is not None
        for n in range(3):
            pandoc_server.convert(ast, tmp_path / f"served{n}.docx", "docx", reference_docx())
        assert len(servers._all) == 1  # one process for this thread, used three times
        server = servers._all[0]
        with pytest.raises(pandoc_server.PandocError):
            pandoc_server.convert("not json", tmp_path / "bad.docx", "docx")
        pandoc_server.convert(ast, tmp_path / "after-error.docx", "docx", reference_docx())
        server.proc.kill()  # a process that died: the CLI takes over
        server.proc.wait()
        pandoc_server.convert(ast, tmp_path / "after-kill.docx", "docx", reference_docx())
    assert server.proc.poll() is not None and pandoc_server._servers is None
    expected = _parts(tmp_path / "cli.docx")
    for name in ("served0", "served2", "after-error", "after-kill"):
        assert _parts(tmp_path / f"{name}.docx") == expected
