"""Issue 10, parts 2, 4 and 6: the book's Markdown sources and the accessibility statement (no build).

Checks every Markdown page listed in book/_toc.yml: headings in order, alt text on Markdown images
and on ``figure``/``image`` directives, link text that says where the link goes, and no reference
to something by colour alone. Also checks that the accessibility statement is in the table of
contents and covers what the issue asks for, and that the accessibility fixes are registered. The
built pages themselves are checked in tests/browser/test_accessibility.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from a11y_rules import (alt_problems, colour_only_problems, heading_problems, link_text_problems,
                        markdown_headings)
from conftest import ROOT

BOOK = ROOT / "book"
MD_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)[^)]*\)")
MD_LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(([^)\s]+)[^)]*\)")
IMAGE_DIRECTIVE = re.compile(r"^(`{3,}|:{3,})\{(figure|image)\}\s*(\S*)\s*$")
FENCED = re.compile(r"^(`{3,}|~{3,}|:{3,})[^\n]*\n.*?^\1\s*$", re.MULTILINE | re.DOTALL)


def toc_files() -> list[str]:
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text("utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return files


PAGES = [BOOK / f"{name}.md" for name in toc_files() if (BOOK / f"{name}.md").exists()]


def directive_alt_problems(text: str, where: str) -> list[str]:
    """``figure`` and ``image`` directives need an ``:alt:`` option that describes the image."""
    problems, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        m = IMAGE_DIRECTIVE.match(line.strip())
        if not m:
            continue
        alt = None
        for option in lines[i + 1:]:
            o = re.match(r"^\s*:(\w+):\s*(.*)$", option)
            if not o:
                break
            if o.group(1) == "alt":
                alt = o.group(2)
        problems += alt_problems(alt, f"{where} line {i + 1} ({m.group(2)} {m.group(3)})")
    return problems


def page_problems(text: str, where: str) -> list[str]:
    problems = heading_problems(markdown_headings(text), where)
    prose = FENCED.sub("\n", text)
    for k, m in enumerate(MD_IMAGE.finditer(text)):
        problems += alt_problems(m.group(1), f"{where} image {k + 1} ({m.group(2)})")
    problems += directive_alt_problems(text, where)
    for m in MD_LINK.finditer(prose):
        problems += link_text_problems(m.group(1), m.group(2), where)
    problems += colour_only_problems(MD_IMAGE.sub(" ", prose), where)
    return problems


def test_toc_pages_found():
    assert len(PAGES) >= 15


@pytest.mark.parametrize("path", PAGES, ids=[p.relative_to(BOOK).as_posix() for p in PAGES])
def test_page_source_is_accessible(path: Path):
    problems = page_problems(path.read_text("utf-8"), path.relative_to(BOOK).as_posix())
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("text, expected", [
    ("# T\n\n### Deep\n", "jumps from level 1 to 3"),
    ("# T\n\n![](chart.png)\n", "empty alternative text"),
    ("# T\n\n```{figure} chart.png\n:name: fig-x\n\nCaption.\n```\n", "no alternative text"),
    ("# T\n\n```{image} chart.png\n:alt: figure 2\n```\n", "placeholder"),
    ("# T\n\nSee [here](https://example.org).\n", "does not say where"),
    ("# T\n\nThe key terms are printed in red.\n", "colour alone"),
])
def test_source_checks_catch_planted_problems(text, expected):
    problems = page_problems(text, "planted.md")
    assert any(expected in p for p in problems), problems


def test_a_clean_source_passes():
    text = ("(label)=\n# T\n\nSee [the glossary](glossary.md).\n\n```{figure} chart.png\n"
            ":alt: Line chart of unit cost falling along a straight line on log axes\n\nCaption.\n```\n"
            "\n## S\n\n```python\n# a comment, not a heading\n```\n")
    assert page_problems(text, "clean.md") == []


# --- The accessibility statement and the fixes -------------------------------------------------------

def test_statement_is_in_the_reference_part():
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text("utf-8"))
    reference = [part for part in toc["parts"] if part["caption"] == "Reference"]
    assert reference and {"file": "accessibility"} in reference[0]["chapters"]


def test_statement_covers_standard_testing_limits_and_reporting():
    text = (BOOK / "accessibility.md").read_text("utf-8")
    headings = [h for _, h in markdown_headings(text)]
    assert headings[0] == "Accessibility statement"
    for section in ("The standard we aim for", "How we test it", "Known limits", "Reporting a barrier"):
        assert section in headings, section
    for phrase in ("WCAG", "2.1", "level AA", "axe-core", "keyboard", "PDF", "dark mode",
                   "tests/browser/test_accessibility.py", "tests/accessibility/test_notebooks_a11y.py"):
        assert phrase in text, phrase
    # Every test file the statement names exists.
    for name in re.findall(r"`(tests/[\w/]+\.py)`", text):
        assert (ROOT / name).exists(), name


def test_accessibility_fixes_are_registered():
    config = yaml.safe_load((BOOK / "_config.yml").read_text("utf-8"))
    assert config["sphinx"]["local_extensions"].get("a11y") == "_ext"
    ext = (BOOK / "_ext" / "a11y.py").read_text("utf-8")
    assert 'add_css_file("a11y.css")' in ext
    assert (BOOK / "_static" / "a11y.css").exists()
