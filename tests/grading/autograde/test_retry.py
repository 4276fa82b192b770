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
