"""Issue 7, fast checks without autograding: nbgrader's scoring rules that motivated the
preprocessors, the preprocessors themselves, the release lint, and pre-flight rules."""

from __future__ import annotations

import json

import pytest
from nbformat import from_dict
from nbgrader.utils import determine_grade

from conftest import load_nb, nbgrader_meta, save_nb, src
from course_tools.lint import lint_notebook
from course_tools.preflight import preflight
from course_tools.preprocessors import CapOutputSize, RelabelGradeCellStderr
from course_tools.release import ReleaseError, release
from course_tools.secrets import scan_for_secrets


def _test_cell(outputs, points=2):
    return from_dict({"cell_type": "code", "execution_count": 1, "source": "assert f() == 1",
                      "outputs": outputs, "metadata": {"nbgrader": {
                          "grade": True, "solution": False, "locked": True, "points": points,
                          "grade_id": "t", "schema_version": 3}}})


def _result(text):
    return {"output_type": "execute_result", "execution_count": 1, "metadata": {},
            "data": {"text/plain": text}}


WARNING = {"output_type": "stream", "name": "stderr",
           "text": "FutureWarning: the default will change\n"}


def test_nbgrader_scores_a_warning_zero_and_relabelling_restores_full_marks():
    """Case 1: stderr in a test cell is a failure for nbgrader; not after RelabelGradeCellStderr."""
    cell = _test_cell([json.loads(json.dumps(WARNING))])
    assert determine_grade(cell)[0] == 0  # nbgrader's own rule
    cell, _ = RelabelGradeCellStderr().preprocess_cell(cell, {}, 0)
    assert determine_grade(cell)[0] == 2
    assert cell.outputs[0]["name"] == "stdout" and cell.outputs[0]["text"].startswith("[stderr]")
    # An error still fails the test.
    error = {"output_type": "error", "ename": "AssertionError", "evalue": "", "traceback": []}
    cell = _test_cell([json.loads(json.dumps(WARNING)), error])
    cell, _ = RelabelGradeCellStderr().preprocess_cell(cell, {}, 0)
    assert determine_grade(cell)[0] == 0


def test_relabelling_leaves_answer_cells_alone():
    cell = _test_cell([json.loads(json.dumps(WARNING))])
    cell.metadata.nbgrader["solution"] = True
    cell, _ = RelabelGradeCellStderr().preprocess_cell(cell, {}, 0)
    assert cell.outputs[0]["name"] == "stderr"


@pytest.mark.parametrize("value, score", [("0", 0.0), ("False", 2.0), ("1", 1.0),
                                           ("   a\n0  1\n1  2", 2.0)])
def test_nbgrader_reads_a_last_expression_as_partial_credit(value, score):
    """Case 5, the behaviour behind the lint: 0 gives zero, False or a DataFrame full marks."""
    assert determine_grade(_test_cell([_result(value)]))[0] == score


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


def test_cap_output_size_cuts_a_huge_line_and_drops_huge_html():
    cell = from_dict({"cell_type": "code", "execution_count": 1, "source": "", "metadata": {},
                      "outputs": [{"output_type": "stream", "name": "stdout",
                                   "text": "x" * 5_000_000},
                                  {"output_type": "display_data", "metadata": {},
                                   "data": {"text/html": "<tr>" * 1_000_000,
                                            "text/plain": "row\n" * 300_000}}]})
    cap = CapOutputSize(max_chars=1000)
    cell, _ = cap.preprocess_cell(cell, {}, 0)
    assert len(cell.outputs[0]["text"]) < 1200
    assert "output truncated: 5,000,000 characters" in cell.outputs[0]["text"]
    assert "text/html" not in cell.outputs[1]["data"]
    assert len(cell.outputs[1]["data"]["text/plain"]) < 1400
    assert "output removed: text/html" in cell.outputs[1]["data"]["text/plain"]


def _release_dir(tmp_path):
    rel = tmp_path / "release"
    nb = {"cells": [{"cell_type": "code", "source": "", "outputs": [], "execution_count": None,
                     "metadata": {"nbgrader": {"grade": True, "solution": False, "locked": True,
                                               "points": 1, "grade_id": "t",
                                               "schema_version": 3}}}],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                      "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    for name in ("a.ipynb", "b.ipynb"):
        save_nb(nb, rel / name)
    return rel, nb


def test_preflight_renames_by_copy_suffix_and_never_touches_the_original(tmp_path):
    rel, nb = _release_dir(tmp_path)
    original = tmp_path / "sub"
    save_nb(nb, original / "A (2).ipynb")
    save_nb(nb, original / "b-Copy1.ipynb")
    before = {p.name: p.read_bytes() for p in original.iterdir()}
    result = preflight(original, tmp_path / "staged", rel)
    assert result.ok and sorted(result.notebooks) == ["a.ipynb", "b.ipynb"]
    assert {p.kind for p in result.problems} == {"renamed"}
    assert {p.name: p.read_bytes() for p in original.iterdir()} == before


def test_preflight_grades_the_good_notebook_when_another_is_malformed(tmp_path):
    rel, nb = _release_dir(tmp_path)
    original = tmp_path / "sub"
    save_nb(nb, original / "a.ipynb")
    (original / "b.ipynb").write_text("{", encoding="utf-8")
    result = preflight(original, tmp_path / "staged", rel)
    assert result.ok and result.notebooks == ["a.ipynb"]
    kinds = [p.kind for p in result.problems]
    assert kinds == ["malformed_notebook", "missing_notebook"]
    assert not (tmp_path / "staged" / "b.ipynb").exists()


def test_preflight_reports_ambiguous_names_instead_of_guessing(tmp_path):
    rel, nb = _release_dir(tmp_path)
    original = tmp_path / "sub"
    save_nb(nb, original / "mine.ipynb")
    save_nb(nb, original / "yours.ipynb")
    result = preflight(original, tmp_path / "staged", rel)
    assert not result.ok
    assert [p.kind for p in result.problems].count("extra_notebook") == 2
    assert result.problems[-1].kind == "no_notebook"


@pytest.mark.parametrize("first, retried", [
    ("nbgrader autograde failed: RuntimeError: Kernel died before replying to kernel_info", True),
    ("nbgrader autograde failed: sqlite3.OperationalError: database is locked", True),
    ("nbgrader autograde failed: SyntaxError in the student's notebook", False),
])
def test_only_failures_unrelated_to_the_submission_are_retried(monkeypatch, tmp_path, first,
                                                               retried):
    import course_tools.autograde.grader as grade

    calls = []

    def fake_grade(self, student):
        calls.append(student)
        if len(calls) == 1:
            return grade.StudentOutcome(student, "failed", first)
        return grade.StudentOutcome(student, "graded")

    monkeypatch.setattr(grade._Grader, "grade", fake_grade)
    [outcome] = grade.autograde(tmp_path, "ps1", ["s1"], sandbox=False, progress=lambda *a: None)
    assert len(calls) == (2 if retried else 1)
    assert outcome.status == ("graded" if retried else "failed")
    if retried:
        assert any("second attempt" in p and first in p for p in outcome.problems)


def test_feedback_keeps_only_the_error_type_of_a_cell_with_hidden_tests():
    from course_tools.preprocessors import RedactHiddenTests

    cell = from_dict({
        "cell_type": "code", "execution_count": 1, "metadata": {"nbgrader": {
            "grade": True, "solution": False, "locked": True, "points": 2, "grade_id": "t",
            "schema_version": 3}},
        "source": "assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(7) == 49, 'f(7) should be 49'\n"
                  "### END HIDDEN TESTS",
        "outputs": [
            {"output_type": "stream", "name": "stdout", "text": "assert f(7) == 49\n"},
            {"output_type": "error", "ename": "AssertionError", "evalue": "f(7) should be 49",
             "traceback": ["assert f(7) == 49, 'f(7) should be 49'"]}]})
    out, _ = RedactHiddenTests().preprocess_cell(cell, {}, 0)
    shown = json.dumps(out)
    assert "f(7)" not in shown and "49" not in shown
    assert [o["output_type"] for o in out["outputs"]] == ["error"]
    assert out["outputs"][0]["ename"] == "AssertionError"
