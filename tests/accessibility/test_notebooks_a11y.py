"""Issue 10, part 5: student-facing notebooks (model labs and assignments) are accessible.

Static checks of every notebook in notebooks/ and assignments/source/*/: headings in order, alt text
on every image in Markdown (``![alt](src)`` or ``<img alt=...>``) and on every stored image output,
no instruction that refers to something by colour alone, and no instruction carried only by an
image. Figures drawn by code are checked by executing the notebooks (test_figures_a11y.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from a11y_rules import alt_problems, colour_only_problems, heading_problems, markdown_headings
from conftest import ROOT, load_nb, src

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
    (ROOT / "assignments" / "source").glob("*/*.ipynb"))
IDS = [p.relative_to(ROOT).as_posix() for p in NOTEBOOKS]

MD_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)[^)]*\)")
HTML_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
HTML_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
HTML_SRC = re.compile(r"""\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
#: A Markdown cell with an image needs at least this many words of text besides it.
MIN_TEXT_WORDS_WITH_IMAGE = 5


def markdown_images(text: str) -> list[tuple[str | None, str]]:
    """(alt, src) of every image in a Markdown cell; alt is None when an <img> tag has none."""
    found = [(m.group(1), m.group(2)) for m in MD_IMAGE.finditer(text)]
    for tag in HTML_IMG.findall(text):
        alt, source = HTML_ALT.search(tag), HTML_SRC.search(tag)
        found.append((None if alt is None else (alt.group(1) or alt.group(2) or ""),
                      "" if source is None else (source.group(1) or source.group(2))))
    return found


def without_images(text: str) -> str:
    return HTML_IMG.sub(" ", MD_IMAGE.sub(" ", text))


def notebook_problems(nb: dict, name: str) -> dict[str, list[str]]:
    """All static accessibility problems of one notebook, by check."""
    out = {"headings": [], "alt": [], "colour": [], "image_only": []}
    headings = []
    for i, cell in enumerate(nb["cells"]):
        text, where = src(cell), f"{name} cell {i}"
        if cell["cell_type"] == "markdown":
            headings += markdown_headings(text)
            images = markdown_images(text)
            for k, (alt, source) in enumerate(images):
                out["alt"] += alt_problems(alt, f"{where} image {k + 1} ({source})")
            words = len(re.sub(r"[#*_`>|-]", " ", without_images(text)).split())
            if images and words < MIN_TEXT_WORDS_WITH_IMAGE:
                out["image_only"].append(f"{where}: the cell is an image with almost no text; "
                                         "put instructions in text, not only in an image")
            out["colour"] += colour_only_problems(without_images(text), where)
        elif cell["cell_type"] == "code":
            comments = "\n\n".join(line.split("#", 1)[1] for line in text.splitlines()
                                   if "#" in line and not line.lstrip().startswith(("#!", "%")))
            out["colour"] += colour_only_problems(comments, f"{where} (code comment)")
            alt = cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt")
            for output in cell.get("outputs", []):
                if any(m in output.get("data", {}) for m in IMAGE_MIMES):
                    out["alt"] += alt_problems(alt, f"{where} image output")
    out["headings"] = heading_problems(headings, name)
    return out


def test_there_are_notebooks_to_check():
    assert len([p for p in NOTEBOOKS if "assignments" in p.parts]) >= 1
    assert len([p for p in NOTEBOOKS if "notebooks" in p.parts]) >= 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
@pytest.mark.parametrize("check", ["headings", "alt", "colour", "image_only"])
def test_notebook_accessibility(path: Path, check: str):
    problems = notebook_problems(load_nb(path), path.relative_to(ROOT).as_posix())[check]
    assert not problems, "\n".join(problems)


# --- The checks themselves fail on bad input -------------------------------------------------------

def _nb(*cells: tuple[str, str], metadata: dict | None = None) -> dict:
    return {"cells": [{"cell_type": kind, "source": text, "metadata": metadata or {}, "outputs": []}
                      if kind == "code" else {"cell_type": kind, "source": text, "metadata": {}}
                      for kind, text in cells]}


GOOD = ("markdown", "# Lab title\n\nSome text.\n\n## Part A\n\n### A.1\n\n## Part B")


def test_a_clean_notebook_passes():
    assert not any(notebook_problems(_nb(GOOD, ("code", "x = 1  # a comment")), "nb").values())


@pytest.mark.parametrize("cells, check", [
    ([("markdown", "# Title\n\n### Skipped a level")], "headings"),
    ([("markdown", "## No title first\n\n# Title")], "headings"),
    ([("markdown", "# One\n\n# Two")], "headings"),
    ([GOOD, ("markdown", "Look at this chart: ![](chart.png) and answer.")], "alt"),
    ([GOOD, ("markdown", 'Answer the question about <img src="a.png"> below, please.')], "alt"),
    ([GOOD, ("markdown", "Answer the question about ![figure 1](a.png) below, please.")], "alt"),
    ([GOOD, ("markdown", "Answer the question about ![a.png](a.png) below, please.")], "alt"),
    ([GOOD, ("markdown", "![Cost falls with output along a straight line on log axes](q.png)")],
     "image_only"),
    ([GOOD, ("markdown", "Write your answer in the green cell below.")], "colour"),
    ([GOOD, ("markdown", "The parameters to change are shown in red.")], "colour"),
    ([GOOD, ("code", "# edit the numbers highlighted in yellow\nx = 1")], "colour"),
    ([GOOD, ("markdown", "Compare the orange line with the black line.")], "colour"),
])
def test_each_check_catches_a_planted_problem(cells, check):
    problems = notebook_problems(_nb(*cells), "planted")
    assert problems[check], f"{check} check missed {cells[-1]}"


def test_colour_with_another_cue_and_headings_in_fences_pass():
    nb = _nb(GOOD, ("markdown", "Compare the dashed orange line with the solid black line.\n\n"
                                "```python\n# not a heading\n```\n\n:::{note}\n#### rubric\n:::"))
    assert not any(notebook_problems(nb, "nb").values())


def test_image_output_without_alt_metadata_fails():
    nb = _nb(GOOD, ("code", "plot()"))
    nb["cells"][1]["outputs"] = [{"output_type": "display_data", "data": {"image/png": "iVBO"},
                                  "metadata": {}}]
    assert notebook_problems(nb, "nb")["alt"]
    nb["cells"][1]["metadata"] = {"mystnb": {"image": {"alt": "Line chart of unit cost falling "
                                                              "along a straight line on log axes"}}}
    assert not notebook_problems(nb, "nb")["alt"]
