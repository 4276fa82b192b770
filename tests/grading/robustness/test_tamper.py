"""Issue 14, item 2: student code that changes how the test cells run is detected, never graded clean.

Each tampering student hands in the untouched release (no answer at all) with one trick planted
in the first answer cell. nbgrader runs student code and tests in one kernel, so the tricks cannot be
prevented; the grader's canary cells must catch each one: the student is "needs review" in the
outcomes, report.md, student_outcomes.csv and grades.csv (no score there), never a clean grade. The
honest students of the same run (correct, partly wrong, blank) are graded as usual, unflagged, and
no canary reaches their autograded notebook, scores or feedback.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from conftest import fill_solutions, load_nb, save_nb, src
from course_tools.pipeline import run_pipeline
from course_tools.release import release
from robust_fixtures import FULL, make_course

#: Student -> code planted at the top of the (otherwise unanswered) first answer cell.
TAMPER = {
    "t_input_transformer": "get_ipython().input_transformers_post.append(lambda lines: [])",
    "t_ast_transformer": (
        "import ast\n"
        "class _Empty(ast.NodeTransformer):\n"
        "    def visit_Module(self, node):\n"
        "        node.body = [ast.Pass()]\n"
        "        return node\n"
        "get_ipython().ast_transformers.append(_Empty())"),
    "t_run_cell": (
        "_ip = get_ipython()\n"
        "_real = type(_ip).run_cell\n"
        "def _run_cell(self, raw_cell, *args, **kwargs):\n"
        "    return _real(self, 'pass', *args, **kwargs)\n"
        "type(_ip).run_cell = _run_cell"),
    "t_showtraceback": (
        "_ip = get_ipython()\n"
        "_ip.showtraceback = lambda *a, **k: None\n"
        "_ip._showtraceback = lambda *a, **k: None"),
    "t_settrace": "import sys\nsys.settrace(lambda frame, event, arg: None)",
    "t_assertion_error": ("import builtins\n"
                          "builtins.AssertionError = type('AssertionError', (Warning,), {})"),
    "t_numpy_testing": ("import numpy.testing\n"
                        "numpy.testing.assert_allclose = lambda *a, **k: None\n"
                        "np.isclose = lambda *a, **k: True"),
    "t_builtins": "import builtins\nbuiltins.abs = lambda x: 0\nbuiltins.all = lambda x: True",
}
HONEST = {"correct": FULL, "partly_wrong": 6.0, "blank": 0.0}


@pytest.fixture(scope="module")
def tampered():
    base = Path(tempfile.mkdtemp(prefix="tamper-grading-"))
    try:
        course = make_course(base / "course")
        release(course, "ps1")
        rel = load_nb(course / "release" / "ps1" / "ps1.ipynb")
        source = load_nb(course / "source" / "ps1" / "ps1.ipynb")
        subs = base / "subs"
        save_nb(fill_solutions(rel, source), subs / "correct" / "ps1" / "ps1.ipynb")
        save_nb(fill_solutions(rel, source, edits={"progress_ratio": (
            "return 2.0 ** (-b)", "return 1.0 - 2.0 ** (-b)")}),
            subs / "partly_wrong" / "ps1" / "ps1.ipynb")
        save_nb(rel, subs / "blank" / "ps1" / "ps1.ipynb")
        for student, code in TAMPER.items():
            nb = json.loads(json.dumps(rel))
            cell = next(c for c in nb["cells"]
                        if c["metadata"].get("nbgrader", {}).get("grade_id") == "unit_cost")
            cell["source"] = code + "\n" + src(cell)
            save_nb(nb, subs / student / "ps1" / "ps1.ipynb")
        result = run_pipeline("ps1", course=course, submissions=subs, jobs=2, timeout=300,
                              progress=lambda *a: None)
        yield {"course": course, "result": result}
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _outcome(tampered, student):
    return next(o for o in tampered["result"]["outcomes"] if o.student_id == student)


@pytest.mark.parametrize("student", sorted(TAMPER))
def test_each_trick_is_flagged_for_review_everywhere(tampered, student):
    result = tampered["result"]
    outcome = _outcome(tampered, student)
    assert outcome.status == "needs review", (outcome.status, outcome.problems)
    assert any(p.startswith("tampering suspected") for p in outcome.problems), outcome.problems
    report = result["report"].read_text(encoding="utf-8")
    assert f"**{student}** (needs review)" in report
    rows = pd.read_csv(result["out"] / "student_outcomes.csv", dtype=str,
                       keep_default_na=False).set_index("student_id")
    assert rows.loc[student, "status"] == "needs review"
    grades = pd.read_csv(result["out"] / "grades.csv", dtype={"student_id": str}
                         ).set_index("student_id")
    assert grades.loc[student, "grading_status"] == "needs review"
    assert pd.isna(grades.loc[student, "score"])  # never a clean mark, full or not


def test_honest_students_are_graded_clean_and_no_canary_is_left(tampered):
    result = tampered["result"]
    assert result["reconciled"]
    grades = pd.read_csv(result["out"] / "grades.csv", dtype={"student_id": str}
                         ).set_index("student_id")
    for student, points in HONEST.items():
        outcome = _outcome(tampered, student)
        assert outcome.status == "graded", (student, outcome.problems)
        assert not [p for p in outcome.problems if "tamper" in p], outcome.problems
        assert grades.loc[student, "grading_status"] == "graded"
        assert grades.loc[student, "score"] == points
    scores = result["scores"]
    # Canary cells are neither scored nor recorded: five test cells per student, as released.
    assert scores.query("kind == 'autograded'").groupby("student_id").size().eq(5).all()
    course = tampered["course"]
    for student in list(HONEST) + sorted(TAMPER):
        nb_text = (course / "autograded" / student / "ps1" / "ps1.ipynb").read_text("utf-8")
        assert "_cnry" not in nb_text and "_course_traces_" not in nb_text, student
    for page in (course / "feedback").rglob("*.html"):
        text = page.read_text("utf-8")
        assert "_cnry" not in text and "_course_traces_" not in text, page
    assert len(list((course / "autograded").iterdir())) == len(HONEST) + len(TAMPER)
