"""Every problem set (ps1 ... ps5): structure, rubric, validation, exact grades, alternative correct
solutions, no leak of solutions or hidden tests.

Each problem set is released and graded once per test session through the instructor pipeline by
the ``graded_assignment`` fixture (tests/grading/conftest.py), with a correct, a blank and a partly
wrong submission (``SPECS`` there says what each must score and why) and the alternative correct
solutions kept in ``alternatives/<assignment>_*.py``. The alternatives are our own model code: each
differs from the source solutions only where the problem set's text leaves freedom (a Python ``int``
or a numpy integer, drawing or not when nothing needs a draw, another way to compute the same
numbers), and each must get full autograded marks from the hidden tests: the check that the hidden
tests test nothing the text leaves open (issue 18). The answer keys are compared with the reference
package in test_ps*_assignment.py.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import (COURSE, HIDDEN_MARKERS, SOLUTION_MARKERS, hidden_test_lines, load_nb,
                      nbgrader_meta, run_tool, solution_lines, src)
from grading.conftest import ASSIGNMENTS, GUARD, SPECS

#: Lines that legitimately appear both in a solution and in the student's starting code or tests.
TRIVIAL = {"return", "pass", "else:", "try:", "rows = {}"}
MANUAL = {"q1_answer": 3.0, "q2_answer": 3.0}


def _source(assignment: str) -> dict:
    return load_nb(COURSE / "source" / assignment / f"{assignment}.ipynb")


def leaks(text: str, lines: list[str]) -> list[str]:
    """Lines of a secret region (solution or hidden test) found in ``text``."""
    return [ln for ln in lines if ln not in TRIVIAL and len(ln) > 12 and ln in text]


def unguarded_hidden_sections(nb: dict) -> list[str]:
    """grade_ids of cells whose hidden sections do not open with the no-reference-package guard."""
    bad = []
    for cell in nb["cells"]:
        for part in src(cell).split(HIDDEN_MARKERS[0])[1:]:
            lines = [ln.strip() for ln in part.splitlines() if ln.strip()]
            if lines[:2] != ["import sys", GUARD + ', "the reference package may not be used"']:
                bad.append(nbgrader_meta(cell).get("grade_id"))
    return bad


def structure_problems(nb: dict, autograded: dict, manual: dict) -> list[str]:
    """What is wrong with a source notebook's grading structure: points of the autograded tests and
    of the written answers, stored outputs, test cells without hidden tests or without the guard."""
    graded = {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c) for c in nb["cells"]
              if nbgrader_meta(c).get("grade")}
    problems = []
    if {k: float(v["points"]) for k, v in graded.items() if not v.get("solution")} != autograded:
        problems.append("autograded points differ")
    if {k: float(v["points"]) for k, v in graded.items() if v.get("solution")} != manual:
        problems.append("hand-graded points differ")
    for cell in nb["cells"]:
        gid = nbgrader_meta(cell).get("grade_id")
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count") is not None):
            problems.append(f"{gid}: stored output")
        if gid in autograded and HIDDEN_MARKERS[0] not in src(cell):
            problems.append(f"{gid}: no hidden tests")
    problems += [f"{gid}: hidden tests without the guard" for gid in unguarded_hidden_sections(nb)]
    return problems


def rubric_problems(rubric, source_nb: dict) -> list[str]:
    """What is wrong with a rubric (parsed YAML) for a source notebook's hand-graded answers.

    Checks the schema (list of questions with grade_id, points, criteria, strong_answer; each
    criterion with levels of points and descriptor), that the questions are exactly the notebook's
    manually graded cells with the same points, that the best levels add up to the question's points
    and that every criterion has a zero level. Returns an empty list when all is well.
    """
    manual = {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"]) for c in source_nb["cells"]
              if c["cell_type"] == "markdown" and nbgrader_meta(c).get("grade")}
    problems = []
    if not isinstance(rubric, list):
        return ["the rubric must be a list of questions"]
    seen = {}
    for q in rubric:
        missing = {"grade_id", "points", "criteria", "strong_answer"} - set(q)
        if missing:
            problems.append(f"question lacks {sorted(missing)}")
            continue
        gid = q["grade_id"]
        seen[gid] = float(q["points"])
        if not str(q["strong_answer"]).strip():
            problems.append(f"{gid}: empty strong_answer")
        best = 0.0
        for crit in q["criteria"]:
            levels = crit.get("levels") or []
            if not crit.get("criterion") or not levels:
                problems.append(f"{gid}: a criterion lacks a name or levels")
                continue
            if any(not str(lv.get("descriptor", "")).strip() for lv in levels):
                problems.append(f"{gid}/{crit['criterion']}: a level lacks a descriptor")
            pts = [float(lv["points"]) for lv in levels]
            if min(pts) != 0:
                problems.append(f"{gid}/{crit['criterion']}: no zero level")
            best += max(pts)
        if best != float(q["points"]):
            problems.append(f"{gid}: best levels add up to {best}, not {q['points']}")
    if seen != manual:
        problems.append(f"rubric questions {seen} differ from the notebook's manual cells {manual}")
    return problems


def short_of_full_marks(result: dict, autograded: dict[str, float], students: list[str]) -> list[str]:
    """'student: question score/points' for every autograded test a student did not get in full."""
    scores = result["scores"].query("kind == 'autograded'").set_index(["student_id", "question"])["score"]
    short = []
    for student in students:
        for question, points in autograded.items():
            got = scores.get((student, question))
            if got is None or float(got) != float(points):
                short.append(f"{student}: {question} {got}/{points}")
    return short


# ----------------------------------------------------------------------------- the sources


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_structure_points_and_guards(assignment):
    nb = _source(assignment)
    assert structure_problems(nb, SPECS[assignment].autograded, MANUAL) == []
    intro = " ".join(src(nb["cells"][0]).split())
    for phrase in ("Learning goals", "Builds on", "Time.", "hidden", "learning_dynamics",
                   "The seed article: abstract"):
        assert phrase in intro, phrase


def test_structure_check_can_fail():
    """A test cell whose hidden section lost its guard, and a stored output, are reported."""
    broken = _source("ps4")
    for cell in broken["cells"]:
        if nbgrader_meta(cell).get("grade_id") == "test_sweep":
            cell["source"] = src(cell).replace(GUARD, "assert True")
        if nbgrader_meta(cell).get("grade_id") == "imports":
            cell["execution_count"] = 1
    assert structure_problems(broken, SPECS["ps4"].autograded, MANUAL) == [
        "imports: stored output", "test_sweep: hidden tests without the guard"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_rubric_matches_the_manually_graded_answers(assignment):
    rubric = yaml.safe_load((COURSE / "rubrics" / f"{assignment}.yaml").read_text(encoding="utf-8"))
    assert rubric_problems(rubric, _source(assignment)) == []


def test_rubric_check_catches_a_broken_rubric():
    rubric = yaml.safe_load((COURSE / "rubrics" / "ps2.yaml").read_text(encoding="utf-8"))
    rubric[0]["criteria"][0]["levels"][0]["points"] = 2  # best levels now add up to 4, not 3
    del rubric[1]  # and q2_answer is missing
    problems = rubric_problems(rubric, _source("ps2"))
    assert any("add up to 4.0" in p for p in problems)
    assert any("differ from the notebook's manual cells" in p for p in problems)


# ----------------------------------------------------------------------------- release and grading


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_has_no_solutions_or_hidden_tests(graded_assignment, assignment):
    course = graded_assignment(assignment)["course"]
    source = _source(assignment)
    text = (course / "release" / assignment / f"{assignment}.ipynb").read_text("utf-8")
    assert [m for m in SOLUTION_MARKERS + HIDDEN_MARKERS if m in text] == []
    assert solution_lines(source) and hidden_test_lines(source)
    assert not leaks(text, solution_lines(source))
    assert not leaks(text, hidden_test_lines(source))
    assert "raise NotImplementedError" in text
    # The check can fail: a release with one hidden test line pasted in is caught.
    assert leaks(text + hidden_test_lines(source)[-1], hidden_test_lines(source))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_validates_and_release_does_not(graded_assignment, assignment):
    course: Path = graded_assignment(assignment)["course"]
    ok = run_tool(["nbgrader", "validate", f"source/{assignment}/{assignment}.ipynb"], course)
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert "Success! Your notebook passes all the tests." in ok.stdout, ok.stdout[-2000:]
    blank = run_tool(["nbgrader", "validate", f"release/{assignment}/{assignment}.ipynb"], course)
    assert "VALIDATION FAILED" in blank.stdout, blank.stdout[-2000:]
    assert "Success!" not in blank.stdout


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_pipeline_scores_correct_blank_and_partly_wrong_exactly(graded_assignment, assignment):
    """correct gets every autograded point, blank none (every autograded test fails on the untouched
    release), partly_wrong loses exactly the tests its planted mistake fails."""
    graded, spec = graded_assignment(assignment), SPECS[assignment]
    result = graded["result"]
    assert result["reconciled"]
    assert {o.student_id: o.status for o in result["outcomes"]} == dict.fromkeys(graded["students"],
                                                                                "graded")
    # Honest submissions (correct, blank, partly wrong, alternative solutions) are never flagged
    # by the tamper canaries (issue 14): "graded" above, and no finding at all.
    assert not [p for o in result["outcomes"] for p in o.problems if "tampering" in p]
    n = len(graded["students"])
    assert f"Submissions found: {n}; graded: {n}; reported failures: 0." in \
        result["report"].read_text(encoding="utf-8")
    grades = pd.read_csv(result["out"] / "grades.csv", dtype={"student_id": str}).set_index("student_id")
    full = sum(spec.autograded.values())
    assert grades.loc["correct", "score"] == full
    assert grades.loc["blank", "score"] == 0.0
    assert grades.loc["partly_wrong", "score"] == full - sum(spec.autograded[q]
                                                             for q in spec.partly_wrong_fails)
    assert (grades["max_score"] == spec.total_max).all()
    auto = result["scores"].query("kind == 'autograded'")
    assert set(auto["question"]) == set(spec.autograded)
    by = auto.set_index(["student_id", "question"])["score"]
    for question, points in spec.autograded.items():
        assert by["correct", question] == points, question
        assert by["blank", question] == 0.0, question
        expected = 0.0 if question in spec.partly_wrong_fails else points
        assert by["partly_wrong", question] == expected, question
    manual = result["scores"].query("kind == 'manual'")
    assert set(manual["question"]) == set(MANUAL)
    assert (manual["max_score"] == 3.0).all()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_alternative_solutions_score_full_marks(graded_assignment, assignment):
    """Correct solutions that differ where the text leaves freedom get every autograded point."""
    graded, spec = graded_assignment(assignment), SPECS[assignment]
    assert len(graded["alternatives"]) >= 2, f"keep at least two alternatives/{assignment}_*.py"
    assert short_of_full_marks(graded["result"], spec.autograded, graded["alternatives"]) == []
    # The check can fail: the partly wrong submission is short of full marks.
    assert short_of_full_marks(graded["result"], spec.autograded, ["partly_wrong"])


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_feedback_shows_no_hidden_test(graded_assignment, assignment):
    """Feedback for a passing and a failing submission quotes no hidden test line (other than a
    line that also stands in the student's own notebook, such as a line of their own code)."""
    graded = graded_assignment(assignment)
    for student in ["correct", "partly_wrong"]:
        name = f"{assignment}.ipynb"
        own = "\n".join(src(c) for c in load_nb(graded["course"] / "submitted" / student / assignment
                                                 / name)["cells"])
        hidden = [ln for ln in hidden_test_lines(_source(assignment)) if len(ln) > 12 and ln not in own]
        assert hidden
        pages = list((graded["course"] / "feedback" / student / assignment).glob("*.html"))
        assert pages, f"no feedback for {student}"
        text = html.unescape(re.sub(r"<[^>]+>", "", pages[0].read_text("utf-8")))
        assert not [ln for ln in hidden if ln in text], student
        # The check can fail: the autograded notebook (instructor-only) contains the hidden tests.
        autograded = graded["course"] / "autograded" / student / assignment / name
        inside = "\n".join(src(c) for c in load_nb(autograded)["cells"])
        assert [ln for ln in hidden if ln in inside], student
