"""Issue 7, fast checks without autograding: the release lint (``course_tools.lint``) and the
secret scan (``course_tools.secrets``)."""

from __future__ import annotations

import pytest

from conftest import load_nb, nbgrader_meta, save_nb, src
from course_tools.lint import lint_notebook
from course_tools.release import ReleaseError, release
from course_tools.secrets import scan_for_secrets


@pytest.mark.parametrize("last, bad", [
    ("0", True), ("False", True), ("df", True), ("df.head()", True), ("check(x) == 1", True),
    ("assert f() == 1", False), ("print(f())", False), ("display(df)", False),
    ("np.testing.assert_allclose(f(), 1)", False), ("df;", False),
    ("0  # nbgrader: partial credit", False)])
def test_release_lint_flags_bare_last_expressions_in_test_cells(last, bad):
    nb = {"cells": [{"cell_type": "code", "source": f"df = f()\n{last}\n", "metadata": {
        "nbgrader": {"grade": True, "solution": False, "locked": True, "points": 1,
                     "grade_id": "t"}}}]}
    problems = lint_notebook(nb, "x.ipynb")
    assert bool(problems) == bad, problems
    if bad:
        assert "partial-credit score" in problems[0].message


@pytest.mark.parametrize("line", ["### BEGIN HIDEN TESTS", "## BEGIN HIDDEN TESTS",
                                  "### begin hidden tests", "#BEGIN HIDDEN TEST",
                                  "### END HIDDEN TEST", "### BEGIN SOLUTON"])
def test_release_refuses_a_misspelled_marker_before_nbgrader_runs(course, line):
    """Case 9: nbgrader would ship the tests after a marker it does not recognise."""
    path = course / "source" / "ps1" / "ps1.ipynb"
    nb = load_nb(path)
    cell = next(c for c in nb["cells"] if nbgrader_meta(c).get("grade_id") == "test_fit")
    marker = "### BEGIN SOLUTION" if "SOLUT" in line else (
        "### END HIDDEN TESTS" if "END" in line else "### BEGIN HIDDEN TESTS")
    if "SOLUT" in line:
        cell = next(c for c in nb["cells"] if nbgrader_meta(c).get("grade_id") == "compare_phases")
    assert marker in src(cell)
    cell["source"] = src(cell).replace(marker, line)
    save_nb(nb, path)
    calls = []
    with pytest.raises(ReleaseError, match="looks like the marker"):
        release(course, "ps1", run=lambda *a: calls.append(a))
    assert calls == [] and not (course / "release").exists()


def test_release_lint_accepts_the_real_assignments(course):
    from course_tools.lint import lint_assignment

    for folder in sorted((course / "source").iterdir()):
        assert lint_assignment(course, folder.name) == [], folder.name


def test_secret_scan_catches_a_planted_line(tmp_path, course):
    source = course / "source" / "ps1" / "ps1.ipynb"
    page = tmp_path / "page.html"
    page.write_text("<p>intro</p>", encoding="utf-8")
    assert scan_for_secrets([source], [page]) == []
    page.write_text("<pre><span>assert</span> np.isclose(progress_ratio(1.0), 0.5)</pre>",
                    encoding="utf-8")
    assert [kind for _, kind, _ in scan_for_secrets([source], [page])] == ["hidden test"]


def test_built_book_and_book_sources_hold_no_secret():
    """Case 9: no solution or hidden test line in the book (built HTML when present)."""
    from conftest import ROOT

    sources = sorted((ROOT / "assignments" / "source").rglob("*.ipynb"))
    targets = [p for p in (ROOT / "book").iterdir() if p.name != "_build"]
    built = ROOT / "book" / "_build" / "html"
    if built.is_dir():
        targets.append(built)
    assert scan_for_secrets(sources, targets) == []
