"""`make bench` rewrites only its own section of docs/benchmarks.md (the prose around it is by hand)."""

from __future__ import annotations

from pathlib import Path

from support.paths import PROJECT_ROOT

from bench.report import END_MARKER, START_MARKER, write_markdown


def test_only_the_generated_section_is_replaced(tmp_path: Path) -> None:
    document = tmp_path / "benchmarks.md"
    document.write_text(f"# Title\n\nBefore.\n\n{START_MARKER}\nold numbers\n{END_MARKER}\n\nAfter.\n")
    write_markdown(document, f"{START_MARKER}\nnew numbers\n{END_MARKER}")
    assert document.read_text() == (
        f"# Title\n\nBefore.\n\n{START_MARKER}\nnew numbers\n{END_MARKER}\n\nAfter.\n"
    )


def test_a_missing_document_is_created_around_the_section(tmp_path: Path) -> None:
    document = tmp_path / "docs" / "benchmarks.md"
    write_markdown(document, f"{START_MARKER}\nnumbers\n{END_MARKER}")
    text = document.read_text()
    assert text.startswith("# Benchmarks\n")
    assert f"{START_MARKER}\nnumbers\n{END_MARKER}" in text


def test_the_committed_document_has_its_markers() -> None:
    text = (PROJECT_ROOT / "docs" / "benchmarks.md").read_text()
    assert text.count(START_MARKER) == 1 and text.count(END_MARKER) == 1
    assert text.index(START_MARKER) < text.index(END_MARKER)
