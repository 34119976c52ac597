"""Helpers shared by the command modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli.common import CommandError, load_given_or_default


class BadFile(Exception):
    pass


def _load(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if text.startswith("bad"):
        raise BadFile(f"{path}: bad content")
    return text


def test_given_file_wins_over_the_default(tmp_path: Path) -> None:
    given, default = tmp_path / "given.yml", tmp_path / "default.yml"
    given.write_text("given", encoding="utf-8")
    default.write_text("default", encoding="utf-8")
    assert load_given_or_default(given, default, _load, BadFile) == "given"
    assert load_given_or_default(None, default, _load, BadFile) == "default"


def test_missing_default_is_none(tmp_path: Path) -> None:
    assert load_given_or_default(None, tmp_path / "absent.yml", _load, BadFile) is None


def test_bad_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("bad", encoding="utf-8")
    with pytest.raises(CommandError) as info:
        load_given_or_default(None, bad, _load, BadFile)
    assert info.value.exit_code == 2 and str(info.value) == f"{bad}: bad content"
