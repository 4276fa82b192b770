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
