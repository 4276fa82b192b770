"""Issue 8: a PDF of the whole book, built with the documented command's builder
(``jupyter-book build book --builder pdflatex``, which ``python3 dev.py pdf`` runs), holds every
chapter, the bibliography and the figures.

The PDF is built from the session's clean build (tests/book/conftest.py), reusing its execution
cache, so no notebook runs twice. It needs TeX Live and poppler-utils from Debian; ``python3 dev.py
test`` installs them when missing. Without them this test fails and says what to install.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from book.conftest import clean_book_build
from conftest import run_tool

TOOLS = ("xelatex", "latexmk", "pdftotext", "pdfinfo", "pdfimages")


def _normalise(text: str) -> str:
    """Lower case, one space between words, plain quotes and dashes, no hyphenation breaks."""
    text = text.replace("\u00ad", "").replace("-\n", "")
    for fancy, plain in {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                         "\u2013": "-", "\u2014": "-", "\ufb01": "fi", "\ufb02": "fl"}.items():
        text = text.replace(fancy, plain)
    return re.sub(r"\s+", " ", text).strip().lower()


def _title_of(source: Path) -> str:
    """The first level-1 heading of a MyST page or notebook, without Markdown markup."""
    if source.suffix == ".ipynb":
        cells = json.loads(source.read_text("utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    else:
        text = source.read_text("utf-8")
    match = re.search(r"^# (.+)$", text, flags=re.M)
    assert match, f"no title in {source}"
    title = re.sub(r"\{[a-z:]+\}`([^`<]+?)(?:\s*<[^>]+>)?`", r"\1", match.group(1))
    return re.sub(r"[*_`]", "", title).strip()


def chapter_titles(book: Path) -> dict[str, str]:
    """{toc file: title} for every chapter of every part in _toc.yml."""
    toc = yaml.safe_load((book / "_toc.yml").read_text("utf-8"))
    titles = {}
    for part in toc.get("parts", []):
        for entry in part.get("chapters", []):
            name = entry["file"]
            source = next(p for p in (book / f"{name}.md", book / f"{name}.ipynb") if p.exists())
            titles[name] = _title_of(source)
    return titles


def missing_titles(pdf_text: str, titles: dict[str, str]) -> list[str]:
    """The toc files whose title does not occur in the PDF's text."""
    text = _normalise(pdf_text)
    return [name for name, title in titles.items() if _normalise(title) not in text]


@pytest.fixture(scope="session")
def book_pdf(tmp_path_factory) -> tuple[Path, Path]:
    """(book folder, PDF) of the whole book, built from the session's clean build."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"the PDF test needs {', '.join(missing)}: run `python3 dev.py test` or "
                    "`python3 dev.py pdf` as root (they install TeX Live and poppler-utils with "
                    "apt-get), or install the packages listed in dev.py PDF_PACKAGES.",
                    pytrace=False)
    book = clean_book_build(tmp_path_factory)
    proc = run_tool(["jupyter-book", "build", str(book), "--builder", "pdflatex", "--keep-going"],
                    cwd=book.parent, timeout=2400, own_network=True)
    pdf = book / "_build" / "latex" / "book.pdf"
    assert proc.returncode == 0 and pdf.exists(), (proc.stdout + proc.stderr)[-5000:]
    return book, pdf


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_pdf_holds_every_chapter(book_pdf):
    book, pdf = book_pdf
    titles = chapter_titles(book)
    assert len(titles) >= 12, titles
    text = _pdf_text(pdf)
    assert not missing_titles(text, titles), missing_titles(text, titles)
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout).group(1))
    assert pages > 50


def test_pdf_holds_the_bibliography_and_resolved_citations(book_pdf):
    _, pdf = book_pdf
    text = _normalise(_pdf_text(pdf))
    for entry in ("the process of chinese manufacturing upgrading",
                  "exploration and exploitation in organizational learning",
                  "global strategy journal"):
        assert entry in text, entry
    assert "herrigel" in text and "march" in text


def test_pdf_holds_the_figures(book_pdf):
    book, pdf = book_pdf
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    images = [line for line in listing if line.split()[2] == "image"]
    html = book / "_build" / "html"
    html_figures = {name for page in html.rglob("*.html") if "_static" not in page.parts
                    for name in re.findall(r'_images/([^"/]+\.png)"', page.read_text("utf-8"))}
    assert html_figures
    # every figure of the HTML book (matplotlib PNGs) is in the PDF
    assert len(images) >= len(html_figures), (len(images), len(html_figures))


def test_the_title_check_notices_a_missing_chapter():
    titles = {"chapters/a": "What upgrading means", "chapters/b": "A chapter that is not there"}
    text = "Contents\n2. What up-\ngrading means ........ 12\n"
    assert missing_titles(text, titles) == ["chapters/b"]


def cjk_missing(pdf_text: str, words: list[str]) -> list[str]:
    """The Chinese or Japanese words that do not occur in the PDF's text (spaces ignored)."""
    flat = re.sub(r"\s+", "", pdf_text)
    return [word for word in words if re.sub(r"\s+", "", word) not in flat]


def test_pdf_prints_the_chinese_and_japanese_characters(book_pdf):
    """Issue 17: the glossary's Chinese terms and the audit's Japanese name are in the PDF's text
    (book/_ext/latex/cjkfallback.sty with Debian's fonts-wqy-microhei); XeLaTeX drops a character
    its font lacks, so a missing font shows here as missing text."""
    book, pdf = book_pdf
    terms = [e["zh"] for e in yaml.safe_load((book / "data" / "glossary_zh.yaml").read_text("utf-8"))]
    words = terms + ["藤本", "隆宏", "术语对照表"]
    assert cjk_missing(_pdf_text(pdf), words) == []


def test_the_cjk_check_notices_missing_characters():
    assert cjk_missing("Chinese: 吸收能 力 (xīshōu nénglì)", ["吸收能力", "藤本"]) == ["藤本"]


def test_pdf_holds_no_instructor_only_rubric_text(book_pdf):
    """Issue 18 item 5: the PDF (the public edition) has the rubrics' public wording but no word
    that only the private descriptors, strong answers and graders' notes use (in any form: the
    words are compared by their stems, as table cells wrap unpredictably in the PDF's text)."""
    from book.test_rubric_editions import private_only_stems, stems, words

    book, pdf = book_pdf
    only_private = private_only_stems(book / "_build" / "html")
    assert len(only_private) >= 5, only_private
    text = _pdf_text(pdf).replace("\u00ad", "").replace("-\n", "")
    found = sorted(only_private & stems(words(text)))
    assert not found, found
    assert "what quality looks like" in _normalise(text)
