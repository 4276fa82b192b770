"""Issue 7, fast checks without autograding: which failures the autograde stage retries
(``course_tools.autograde.grader``)."""

from __future__ import annotations

import pytest


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


@pytest.mark.parametrize("jobs, first, retried", [
    (2, ("graded", "", ["ps1.ipynb cell 4 (test_fit) timed out (cell time limit) and was "
                        "interrupted"]), True),
    (2, ("failed", "autograding took longer than 660 s (wall-clock limit) and was stopped", []),
     True),
    (2, ("failed", "nbgrader autograde failed: CellTimeoutError: A cell timed out", []), True),
    (2, ("graded", "", ["ps1.ipynb cell 4 (test_fit) ran out of memory"]), False),
    (1, ("graded", "", ["ps1.ipynb cell 4 (test_fit) timed out (cell time limit) and was "
                        "interrupted"]), False),
    # flagged: graded again, a failure could replace it and drop the finding from the report
    (2, ("needs review", "the tests may not have run as written (tampering suspected)",
         ["ps1.ipynb cell 4 (test_fit) timed out (cell time limit) and was interrupted"]), False),
])
def test_a_time_out_beside_other_students_is_graded_again_alone(monkeypatch, tmp_path, jobs,
                                                                first, retried):
    """Student code can take the processors from the students graded alongside (a hostile-student
    trial made an honest classmate's cell time out): with jobs > 1 a time-out is graded again,
    alone, at the end, and the second result stands."""
    import course_tools.autograde.grader as grade

    calls = []

    def fake_grade(self, student):
        calls.append(student)
        if student == "s1" and calls.count("s1") == 1:
            status, message, problems = first
            return grade.StudentOutcome(student, status, message, list(problems))
        return grade.StudentOutcome(student, "graded")

    monkeypatch.setattr(grade._Grader, "grade", fake_grade)
    outcomes = grade.autograde(tmp_path, "ps1", ["s1", "s2"], jobs=jobs, sandbox=False,
                               progress=lambda *a: None)
    assert calls.count("s1") == (2 if retried else 1) and calls.count("s2") == 1
    assert calls[-1] == ("s1" if retried else calls[-1])  # the second attempt comes last
    s1 = outcomes[0]
    if retried:
        assert s1.status == "graded" and any("graded again alone" in p for p in s1.problems)
    else:
        assert (s1.status, s1.message, s1.problems) == first


def test_kernels_never_see_the_packages_own_course_when_grading_another(tmp_path):
    """With --course pointing at a copy, this repository's assignments/source (solutions and hidden
    tests) was readable from a student's kernel (hostile-student trial)."""
    from conftest import ROOT
    from course_tools.autograde.grader import _hidden_paths

    course = tmp_path / "course"
    course.mkdir()
    assert (ROOT / "assignments").resolve() in [p.resolve() for p in _hidden_paths(course)]
    assert [p for p in _hidden_paths(ROOT / "assignments")
            if p.resolve() == (ROOT / "assignments").resolve()] == [ROOT / "assignments"]
