"""Finding sources: links, loops, the output folder, duplicates, unsupported files, reasons."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.ingest import find_sources


def write(path: Path, text: str = "Free the miners\n\nWe demand their release.\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_link_leading_outside_the_folder_is_skipped_with_a_line(tmp_path: Path) -> None:
    folder = tmp_path / "statements"
    ok = write(folder / "a.txt")
    secret = write(tmp_path / "private" / "passwd.txt", "secret\n")
    (folder / "notes.txt").symlink_to(secret)
    found = find_sources([folder])
    assert found.files == [ok]
    assert found.problems == []
    assert found.skipped == [
        (
            folder / "notes.txt",
            f"skipped: a link to {secret}, outside {folder} (use --follow-links to follow it)",
        )
    ]
    followed = find_sources([folder], follow_links=True)
    assert followed.files == [ok, folder / "notes.txt"]
    assert followed.skipped == []


def test_link_inside_the_folder_is_found_once(tmp_path: Path) -> None:
    folder = tmp_path / "statements"
    ok = write(folder / "a.txt")
    (folder / "same.txt").symlink_to(ok)
    found = find_sources([folder, ok, tmp_path / "statements" / "a.txt"])
    assert found.files == [ok]
    assert found.skipped == [] and found.problems == []


def test_link_loop_is_detected(tmp_path: Path) -> None:
    folder = tmp_path / "statements"
    ok = write(folder / "sub" / "a.txt")
    (folder / "sub" / "again").symlink_to(folder)
    for follow in (False, True):
        found = find_sources([folder], follow_links=follow)
        assert found.files == [ok]
        assert found.skipped == [
            (
                folder / "sub" / "again",
                "skipped: a link loop (it leads back to a folder above it)",
            )
        ]


def test_broken_link_in_a_folder_is_said(tmp_path: Path) -> None:
    folder = tmp_path / "statements"
    write(folder / "a.txt")
    (folder / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    assert find_sources([folder]).skipped == [(folder / "gone.txt", "skipped: a broken link")]


def test_output_folder_is_never_input(tmp_path: Path) -> None:
    folder = tmp_path / "statements"
    ok = write(folder / "a.txt")
    write(folder / "output" / "a" / "a.es.md")
    found = find_sources([folder], exclude=[folder / "output"])
    assert found.files == [ok]
    assert found.problems == [] and found.skipped == []
    named = find_sources([folder / "output"], exclude=[folder / "output"])
    assert named.problems == [
        (folder / "output", "is the output folder (or inside it); not read as input")
    ]


def test_earlier_outputs_and_review_files_are_not_sources(tmp_path: Path) -> None:
    folder = tmp_path / "statements"
    ok = write(folder / "a.txt")
    write(folder / "old-run" / "a" / "report.json", "{}")
    write(folder / "old-run" / "a" / "a.es.docx", "x")
    write(folder / "returned" / "a.en-es.review.docx", "x")
    found = find_sources([folder])
    assert found.files == [ok]
    assert found.skipped == [
        (
            folder / "old-run" / "a",
            "skipped: an output folder of this pipeline (holds report.json)",
        ),
        (
            folder / "returned" / "a.en-es.review.docx",
            "skipped: a review file (bring it back with `pipeline review import`)",
        ),
    ]


def test_unsupported_files_are_named_and_counted(tmp_path: Path) -> None:
    folder = tmp_path / "statements"
    ok = write(folder / "a.txt")
    write(folder / "photo.jpg", "x")
    write(folder / "sub" / "sheet.xlsx", "x")
    write(folder / ".hidden.doc", "x")
    found = find_sources([folder])
    assert found.files == [ok]
    assert found.skipped == [(folder, "2 unsupported files not read: photo.jpg, sub/sheet.xlsx")]
    for i in range(12):
        write(folder / f"scan{i:02}.png", "x")
    line = find_sources([folder]).skipped[0][1]
    assert line.startswith("14 unsupported files not read: photo.jpg, scan00.png, ")
    assert line.endswith(", scan08.png and 4 more")


def test_rtf_pdf_and_epub_are_sources(tmp_path: Path) -> None:
    folder = tmp_path / "statements"
    files = [write(folder / name, "x") for name in ("a.epub", "b.pdf", "c.rtf")]
    assert find_sources([folder]).files == files
    assert find_sources([folder / "c.rtf"]).files == [folder / "c.rtf"]


def test_folder_without_read_permission_says_so(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "locked"
    write(folder / "a.txt")
    real_scandir = os.scandir

    def scandir(path):
        if Path(path) == folder:
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)  # tests may run as root, where chmod does not bite
    assert find_sources([folder]).problems == [
        (folder, "permission denied: cannot list this folder")
    ]


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    found = find_sources([tmp_path / "nope.txt", tmp_path / "empty"])
    assert found.problems[0] == (tmp_path / "nope.txt", "no such file or folder")
    assert found.problems[1][0] == tmp_path / "empty"
    assert found.problems[1][1].startswith("no source files (.txt, .md")
