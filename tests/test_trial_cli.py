"""What a user trying the product end to end tripped over, through the CLI."""

from __future__ import annotations

from pathlib import Path


def test_glossary_import_lists_skipped_terms_as_text(cli, tmp_path: Path) -> None:  # noqa: ANN001
    glossary = tmp_path / "glossary.yml"
    add = ("--en", "union", "--en", "unions", "--es", "sindicato", "--es", "sindicatos")
    result = cli("glossary", "add", "--glossary", str(glossary), *add)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{glossary}: added; 1 term"
    tbx = tmp_path / "g.tbx"
    assert (
        cli(
            "glossary", "export", "--format", "tbx", "--glossary", str(glossary), "-o", str(tbx)
        ).returncode
        == 0
    )
    result = cli("glossary", "import", str(tbx), "--glossary", str(glossary))
    assert result.returncode == 0, result.stderr
    assert f"skipped (already in {glossary}): union, unions" in result.stderr
    assert "[" not in result.stderr
