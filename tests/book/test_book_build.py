"""Issue 2: the strict book build, from a clean state, and proof that it fails when it should."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from book.conftest import build_book, copy_book


# The clean build is shared with the browser tests: see tests/book/conftest.py.
_copy_book = copy_book
_build = build_book


def _variant(clean_build: Path, tmp_path: Path) -> Path:
    """A copy of the clean build's sources that reuses its execution cache (fast rebuild)."""
    book = _copy_book(tmp_path)
    cache = clean_build / "_build" / ".jupyter_cache"
    if cache.exists():
        shutil.copytree(cache, book / "_build" / ".jupyter_cache")
    return book


def test_clean_build_has_landing_page_chapter_and_bibliography(clean_build):
    html = clean_build / "_build" / "html"
    intro = (html / "intro.html").read_text("utf-8")
    assert "Global Strategy Journal" in intro and "Herrigel" in intro
    overview = (html / "chapters" / "overview.html").read_text("utf-8")
    # author-year citations that link into the bibliography page
    assert re.search(r'href="\.\./bibliography\.html#id\d+"', overview)
    bib = (html / "bibliography.html").read_text("utf-8")
    assert "The process of Chinese manufacturing upgrading" in bib
    assert "Exploration and exploitation in organizational learning" in bib


#: The authors' two 2013 works, told apart in the bibliography as 2013a and 2013b.
SAME_YEAR = {"Governance architectures for learning": "2013a",
             "The process of Chinese manufacturing upgrading": "2013b"}
CITATION = re.compile(r'<a class="reference internal" href="[^"]*bibliography\.html#[^"]*" '
                      r'title="([^"]*)">([^<]*)</a>')


def cited_years(html: Path) -> dict[str, set[str]]:
    """The year texts of in-text citations of each work in ``SAME_YEAR``, over every page."""
    seen = {title: set() for title in SAME_YEAR}
    for page in html.rglob("*.html"):
        for title, text in CITATION.findall(page.read_text("utf-8")):
            for work in SAME_YEAR:
                if work in title and re.fullmatch(r"\d{4}[a-z]?", text.strip()):
                    seen[work].add(text.strip())
    return seen


def test_in_text_citations_carry_the_bibliography_letter(clean_build):
    """The article and the companion chapter (both 2013) are cited as 2013b and 2013a, as in the
    bibliography, never both as "2013" (book/_ext/authoryear_style.py)."""
    seen = cited_years(clean_build / "_build" / "html")
    assert seen == {work: {year} for work, year in SAME_YEAR.items()}


def test_deleting_a_cited_key_fails_the_build(clean_build, tmp_path):
    book = _variant(clean_build, tmp_path)
    bib = book / "references.bib"
    text = bib.read_text("utf-8")
    start = text.index("@article{herrigel2013process,")
    end = text.index("\n}\n", start) + 3
    bib.write_text(text[:start] + text[end:], "utf-8")
    code, log = _build(book)
    assert code != 0
    assert "herrigel2013process" in log


def _add_page(book: Path, body: str) -> None:
    page = book / "planted.md"
    page.write_text(
        "---\njupytext:\n  text_representation:\n    format_name: myst\n"
        "kernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n\n"
        "# Planted page\n\n" + body, "utf-8")
    toc = book / "_toc.yml"
    toc.write_text(toc.read_text("utf-8").replace(
        "      - file: bibliography\n", "      - file: bibliography\n      - file: planted\n"), "utf-8")


def test_a_cell_that_raises_fails_the_build(clean_build, tmp_path):
    book = _variant(clean_build, tmp_path)
    _add_page(book, "```{code-cell} ipython3\nraise RuntimeError('planted failure')\n```\n")
    code, log = _build(book)
    assert code != 0
    # The end of the log, not pytest's shortened repr of it: a failure here beside a second full
    # suite (2026-12-05) showed only nbclient's cleanup AssertionError, its cause cut off.
    assert "planted" in log, log[-8000:]


def test_a_cell_tagged_raises_exception_may_raise(clean_build, tmp_path):
    book = _variant(clean_build, tmp_path)
    _add_page(book, "```{code-cell} ipython3\n:tags: [raises-exception]\n\n"
                    "raise RuntimeError('an expected error, shown to the reader')\n```\n")
    code, log = _build(book)
    assert code == 0, log[-3000:]
