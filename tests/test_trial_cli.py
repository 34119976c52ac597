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


def test_leaflet_yml_contact_may_be_one_line_of_text(cli, tmp_path: Path) -> None:  # noqa: ANN001
    from pypdf import PdfReader

    src = tmp_path / "statement.txt"
    src.write_text(
        "Solidarity with the miners\n\nWe call on all unions to join the strike on 19 October.\n"
    )
    (tmp_path / "leaflet.yml").write_text(
        "organisation: Workers' Solidarity Committee\n"
        "contact: solidarity@example.org\n"
        "url: https://example.org/casapalca\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = cli(
        "translate", str(src), "--to", "en", "--out", str(out), "--layout", "leaflet-a5",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    pdf = out / "statement" / "statement.en.leaflet-a5.pdf"
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "solidarity@example.org" in text and "Workers" in text
