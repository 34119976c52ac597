"""``pipeline glossary`` commands, TBX/CSV exchange and re-checking outputs."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from pipeline.glossary import Term, load_glossary, parse_glossary
from pipeline.glossary.exchange import (
    append_entries,
    check_sidecar,
    entries_yaml,
    export_csv,
    export_tbx,
    import_csv,
    import_tbx,
    new_entries,
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "glossary.yml"


def term_key(term: Term) -> tuple:
    return (
        term.keep,
        tuple(sorted(term.forms.items())),
        term.note,
        term.gender,
        term.case_sensitive,
    )


def as_glossary(entries: list[dict]):
    glossary, problems = parse_glossary("version: 1\nterms:\n" + entries_yaml(entries))
    assert glossary is not None and not problems, problems
    return glossary


def test_tbx_round_trip_keeps_every_form_note_and_setting() -> None:
    shipped = load_glossary(SHIPPED)
    data = export_tbx(shipped)
    assert data.startswith(b"<?xml") and b"<termEntry" in data
    assert "労働組合".encode() in data
    back = as_glossary(import_tbx(data))
    assert [term_key(t) for t in back.terms] == [term_key(t) for t in shipped.terms]
    assert back.version == shipped.version


def test_csv_round_trip() -> None:
    shipped = load_glossary(SHIPPED)
    back = as_glossary(import_csv(export_csv(shipped)))
    assert [term_key(t) for t in back.terms] == [term_key(t) for t in shipped.terms]


def test_tbx_from_a_cat_tool_with_regional_codes() -> None:
    tbx = textwrap.dedent(
        """\
        <?xml version="1.0" encoding="UTF-8"?>
        <martif type="TBX" xml:lang="en-GB"><text><body>
          <termEntry id="c1">
            <descrip type="definition">a workers' organisation</descrip>
            <langSet xml:lang="en-GB"><tig><term>trade union</term></tig></langSet>
            <langSet xml:lang="es-PE"><tig><term>sindicato</term></tig></langSet>
            <langSet xml:lang="ja-JP"><tig><term>労働組合</term></tig></langSet>
            <langSet xml:lang="fr"><tig><term>syndicat</term></tig></langSet>
          </termEntry>
        </body></text></martif>
        """
    ).encode()
    entries = import_tbx(tbx)
    assert entries == [
        {
            "en": "trade union",
            "es": "sindicato",
            "ja": "労働組合",
            "id": "c1",
            "note": "a workers' organisation",
        }
    ]


def test_tbx_synonyms_become_one_entry_and_shared_forms_are_added() -> None:
    tbx = textwrap.dedent(
        """\
        <?xml version="1.0" encoding="UTF-8"?>
        <martif type="TBX" xml:lang="en"><text><body>
          <termEntry id="miner">
            <langSet xml:lang="en">
              <tig><term>miners</term></tig>
              <ntig><termGrp><term>mineworkers</term></termGrp></ntig>
            </langSet>
            <langSet xml:lang="es"><ntig><termGrp><term>mineros</term></termGrp></ntig></langSet>
          </termEntry>
          <termEntry id="u1">
            <langSet xml:lang="en"><tig><term>trade union</term></tig></langSet>
            <langSet xml:lang="es"><tig><term>sindicato</term></tig></langSet>
          </termEntry>
          <termEntry id="u2">
            <langSet xml:lang="en"><tig><term>union</term></tig></langSet>
            <langSet xml:lang="es"><tig><term>sindicato</term></tig></langSet>
          </termEntry>
          <termEntry id="u3">
            <langSet xml:lang="en"><tig><term>union</term></tig></langSet>
            <langSet xml:lang="es"><tig><term>sindicato</term></tig></langSet>
          </termEntry>
        </body></text></martif>
        """
    ).encode()
    entries = import_tbx(tbx)
    assert entries[0] == {"en": ["miners", "mineworkers"], "es": "mineros", "id": "miner"}
    fresh, skipped = new_entries(None, entries)
    assert [e["id"] for e in fresh] == ["miner", "u1", "u2"]  # u2 shares 'sindicato' only
    assert [e["id"] for e in skipped] == ["u3"]  # u3 repeats u2
    glossary, problems = parse_glossary("version: 1\nterms:\n" + entries_yaml(fresh))
    assert glossary is not None and problems == []
    found = glossary.find("The mineworkers and the miners.", "en", "es")
    assert [m.term.target_form("en", m.form_index, "es") for m in found] == ["mineros"] * 2


def test_append_keeps_comments_and_rejects_bad_entries(tmp_path: Path) -> None:
    path = tmp_path / "glossary.yml"
    path.write_text("# our glossary\nversion: 1\nterms:\n- en: strike\n  es: huelga\n")
    append_entries(path, [{"en": "union", "es": "sindicato", "ja": "労働組合"}])
    text = path.read_text()
    assert text.startswith("# our glossary\n")
    assert len(load_glossary(path)) == 2
    with pytest.raises(Exception, match=r"glossary.yml:\d+"):
        append_entries(path, [{"en": "strike", "es": "huelga"}])  # a duplicate
    assert path.read_text() == text  # untouched on failure


# ---------------------------------------------------------------- through the CLI


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_cli_lint_shipped_is_clean(cli) -> None:  # noqa: ANN001
    result = cli("glossary", "lint", str(SHIPPED))
    assert result.returncode == 0, result.stderr
    assert "no problems" in result.stdout


def test_cli_lint_reports_line_numbered_problems(cli, tmp_path: Path) -> None:  # noqa: ANN001
    bad = write(
        tmp_path / "g.yml",
        """\
        version: 1
        terms:
          - en: strike
            es: huelga
            ja: ストライキ
          - en: strike
            es: paro
            ja: スト
          - en: solidarity
            es: solidaridad
          - en: party
            es: partido
            ja: 党
        """,
    )
    result = cli("glossary", "lint", str(bad))
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"{bad}:6: warning: shared form: en: form 'strike' is also in the entry on line 3; "
        "en→es will use the first entry ('huelga', line 3), not this one ('paro'); "
        "en→ja will use the first entry ('ストライキ', line 3), not this one ('スト')"
    )
    assert any(line.startswith(f"{bad}:9: missing language") for line in lines)
    assert any(line.startswith(f"{bad}:11: substring trap") for line in lines)
    broken = write(tmp_path / "broken.yml", "version: 1\nterms:\n  - en: [strike\n")
    result = cli("glossary", "lint", str(broken), "--json")
    assert result.returncode == 2
    data = json.loads(result.stdout)
    assert data["problems"][0]["kind"] == "bad YAML" and data["problems"][0]["line"] == 4
    assert "Traceback" not in result.stderr


def test_cli_add_export_import(cli, tmp_path: Path) -> None:  # noqa: ANN001
    glossary = tmp_path / "glossary.yml"
    result = cli(
        "glossary",
        "add",
        "--glossary",
        str(glossary),
        "--en",
        "union",
        "--en",
        "unions",
        "--es",
        "sindicato",
        "--es",
        "sindicatos",
        "--ja",
        "労働組合",
        "--note",
        "never unión",
    )
    assert result.returncode == 0, result.stderr
    result = cli("glossary", "add", "--glossary", str(glossary), "--keep", "FLTI", "--gender", "f")
    assert result.returncode == 0, result.stderr
    result = cli(
        "glossary", "add", "--glossary", str(glossary), "--en", "unions", "--es", "sindicatos"
    )
    assert result.returncode == 2 and "already in the glossary" in result.stderr
    tbx = tmp_path / "out.tbx"
    result = cli(
        "glossary", "export", "--format", "tbx", "--glossary", str(glossary), "-o", str(tbx)
    )
    assert result.returncode == 0, result.stderr
    # import into a fresh glossary: everything comes back; again: everything is skipped
    fresh = tmp_path / "fresh.yml"
    result = cli("glossary", "import", str(tbx), "--glossary", str(fresh))
    assert result.returncode == 0, result.stderr
    assert "2 added, 0 skipped" in result.stdout
    assert [term_key(t) for t in load_glossary(fresh).terms] == [
        term_key(t) for t in load_glossary(glossary).terms
    ]
    result = cli("glossary", "import", str(tbx), "--glossary", str(fresh))
    assert "0 added, 2 skipped" in result.stdout
    result = cli("glossary", "export", "--format", "csv", "--glossary", str(glossary))
    assert result.stdout.splitlines()[0] == "id,en,es,ja,keep,note,gender,case_sensitive"
    result = cli("glossary", "import", str(tmp_path / "nothing.tbx"), "--glossary", str(fresh))
    assert result.returncode == 2 and "nothing.tbx" in result.stderr
    # a synonym (a shared form, another rendering) is added, with a warning
    result = cli("glossary", "add", "--glossary", str(glossary), "--en", "unions", "--es", "x")
    assert result.returncode == 0, result.stderr
    assert "warning: shared form: en: form 'unions'" in result.stderr
    assert "en→es will use the first entry ('sindicatos'" in result.stderr


def sidecar(out: Path, targets: list[str]) -> Path:
    path = out / "statement" / "review" / "statement.en-es.segments.json"
    path.parent.mkdir(parents=True)
    sources = ["The union is on strike.", "Comrades of the FLTI!"]
    data = {
        "document": "statement",
        "src": "en",
        "tgt": "es",
        "engine": "apertium",
        "segments": [
            {"id": f"b{i}.s1", "block": i, "source": s, "target": t, "origin": "machine"}
            for i, (s, t) in enumerate(zip(sources, targets, strict=True))
        ],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_check_sidecars(cli, tmp_path: Path) -> None:  # noqa: ANN001
    out = tmp_path / "output"
    path = sidecar(out, ["La unión está en huelga.", "¡Compañeros de la FLTI!"])
    check = check_sidecar(path, load_glossary(SHIPPED))
    assert check.report is not None
    assert check.report.as_json()["misses"] == [
        {"segment": "b0.s1", "term": "union", "expected": "sindicato"}
    ]
    result = cli("glossary", "check", str(out), "--glossary", str(SHIPPED))
    assert result.returncode == 0, result.stderr
    assert "statement en→es: compliance 75.0% (3/4 glossary terms)" in result.stdout
    assert "'union' should be 'sindicato'" in result.stdout
    result = cli(
        "glossary", "check", str(out), "--glossary", str(SHIPPED), "--fail-under", "98", "--json"
    )
    assert result.returncode == 1
    assert json.loads(result.stdout)["results"][0]["glossary"]["compliance"] == 0.75
    result = cli("glossary", "check", str(tmp_path / "empty"), "--glossary", str(SHIPPED))
    assert result.returncode == 2 and "no such folder" in result.stderr
