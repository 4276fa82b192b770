"""No solution line and no hidden test from any source notebook reaches the built book."""

from __future__ import annotations

import html
import re

from conftest import COURSE, hidden_test_lines, load_nb, solution_lines

# Short or generic lines (e.g. "return x") can legitimately appear in prose or in the labs.
MIN_LEN = 25


def _secret_lines() -> list[str]:
    lines = []
    for path in sorted((COURSE / "source").glob("*/*.ipynb")):
        nb = load_nb(path)
        lines += [ln for ln in solution_lines(nb) + hidden_test_lines(nb) if len(ln) >= MIN_LEN]
    return sorted(set(lines))


def _built_text(clean_build) -> str:
    parts = []
    for path in (clean_build / "_build" / "html").rglob("*"):
        if path.suffix in {".html", ".ipynb", ".txt", ".md", ".js", ".py"} and path.is_file():
            parts.append(path.read_text("utf-8", errors="replace"))
    text = html.unescape(re.sub(r"<[^>]+>", "", "\n".join(parts)))
    return text


def test_built_book_offers_student_versions_without_secrets(clean_build):
    downloads = sorted((clean_build / "_build" / "html" / "student_versions").glob("*.ipynb"))
    assert [p.stem for p in downloads] == sorted(p.name for p in (COURSE / "source").iterdir()
                                                   if p.is_dir())
    secrets = _secret_lines()
    assert len(secrets) > 20
    text = _built_text(clean_build)
    leaked = [ln for ln in secrets if ln in text]
    assert not leaked, leaked[:5]


def test_secret_scan_would_catch_a_leak(clean_build, tmp_path):
    """The scan can fail: a page with one solution line pasted in is caught."""
    secret = _secret_lines()[0]
    text = _built_text(clean_build) + "\n" + secret
    assert [ln for ln in _secret_lines() if ln in text]
