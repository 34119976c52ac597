"""Mistakes in glossary.yml are said in the words of the person editing it, one line each,
never in pydantic's ("Input should be a valid string")."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.glossary import GlossaryError, load_glossary, parse_glossary


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("  - en: union\n    es: 48\n", "terms.0.es: 48 is not a form or a list of forms"),
        ("  - en: [union, 5]\n    es: x\n", "terms.0.en: ['union', 5] is not a form or a list"),
        ("  - en: union\n    es: no\n", "False is not a form or a list of forms (YAML reads"),
        ("  - en: a\n    es: b\n    gender: x\n", "terms.0.gender: 'x' is not 'm' or 'f'"),
        ("  - en: a\n    es: b\n    case_sensitive: maybe\n", "'maybe' is not true or false"),
    ],
)
def test_glossary_type_mistakes_in_plain_words(tmp_path: Path, entry: str, message: str) -> None:
    path = tmp_path / "g.yml"
    path.write_text(f"version: 1\nterms:\n{entry}", encoding="utf-8")
    with pytest.raises(GlossaryError) as caught:
        load_glossary(path)
    text = str(caught.value)
    assert message in text and "Input should" not in text and "\n" not in text
    glossary, problems = parse_glossary(path.read_text(encoding="utf-8"))
    # one line for one mistake, not one per type tried
    assert glossary is None and len(problems) == 1, problems
