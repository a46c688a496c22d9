"""Markdown tables in the docs are whole: a blank line inside one ends it, and the rows
after it are shown as text (docs/api.md's data-plane table once was)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_table_is_cut_by_a_blank_line() -> None:
    cut = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        lines = [*doc.read_text().splitlines(), ""]
        for i in range(1, len(lines) - 2):
            blank_between_rows = (
                lines[i - 1].startswith("|")
                and not lines[i].strip()
                and lines[i + 1].startswith("|")
            )
            new_table = lines[i + 2].startswith("|---")  # a header row, then its rule
            if blank_between_rows and not new_table:
                cut.append(f"{doc.relative_to(ROOT)}:{i + 1}")
    assert cut == []
