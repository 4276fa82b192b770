"""Issue 2: one assignment graded end to end, with exact scores, through the instructor pipeline."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import fill_solutions, load_nb, save_nb
from course_tools.pipeline import run_pipeline

# Autograded points in ps1: unit_cost 2, progress_ratio 1, exponent 1, fit 3, compare_phases 2.
PS1_AUTOGRADED_MAX = 9.0
PS1_MAX = 15.0  # plus two written answers of 3 points each, graded by hand


@pytest.fixture
def ps1_submissions(released, tmp_path):
    release = load_nb(released / "release" / "ps1" / "ps1.ipynb")
    source = load_nb(released / "source" / "ps1" / "ps1.ipynb")
    subs = tmp_path / "downloads"
    save_nb(fill_solutions(release, source), subs / "correct" / "ps1" / "ps1.ipynb")
    save_nb(release, subs / "blank" / "ps1" / "ps1.ipynb")
    # Partly wrong: the progress ratio is computed as the learning rate (1 - 2**-b). That fails its
    # own test (1 point) and the phase comparison that uses it (2 points): 9 - 3 = 6.
    partly = fill_solutions(release, source,
                            edits={"progress_ratio": ("return 2.0 ** (-b)", "return 1.0 - 2.0 ** (-b)")})
    save_nb(partly, subs / "partly_wrong" / "ps1" / "ps1.ipynb")
    return subs


def test_pipeline_scores_three_submissions_exactly(released, ps1_submissions):
    result = run_pipeline("ps1", course=released, submissions=ps1_submissions)
    assert result["reconciled"]
    assert {o.student_id: o.status for o in result["outcomes"]} == {
        "blank": "graded", "correct": "graded", "partly_wrong": "graded"}
    # Honest submissions (correct, partly wrong, blank) are never flagged by the tamper canaries.
    assert not [p for o in result["outcomes"] for p in o.problems if "tampering" in p]

    grades = pd.read_csv(result["out"] / "grades.csv", dtype={"student_id": str})
    by_student = grades.set_index("student_id")
    assert by_student.loc["correct", "score"] == PS1_AUTOGRADED_MAX
    assert by_student.loc["blank", "score"] == 0.0
    assert by_student.loc["partly_wrong", "score"] == 6.0
    assert (by_student["max_score"] == PS1_MAX).all()

    scores = result["scores"].set_index(["student_id", "question"])["score"]
    assert scores["partly_wrong", "test_progress_ratio"] == 0.0
    assert scores["partly_wrong", "test_compare_phases"] == 0.0
    assert scores["partly_wrong", "test_fit"] == 3.0

    summary = pd.read_csv(result["out"] / "question_summary.csv")
    assert set(summary["question"]) >= {"test_unit_cost", "test_fit", "q1_answer"}
    report = result["report"].read_text(encoding="utf-8")
    assert "Submissions found: 3; graded: 3; reported failures: 0." in report


def test_every_autograded_test_fails_on_the_untouched_release(released, tmp_path):
    release = load_nb(released / "release" / "ps1" / "ps1.ipynb")
    subs = tmp_path / "downloads"
    save_nb(release, subs / "untouched" / "ps1" / "ps1.ipynb")
    result = run_pipeline("ps1", course=released, submissions=subs)
    auto = result["scores"].query("kind == 'autograded'")
    assert len(auto) == 5
    assert (auto["score"] == 0).all(), auto


def test_no_feedback_pass_then_feedback_after_hand_marking(released, tmp_path):
    release = load_nb(released / "release" / "ps1" / "ps1.ipynb")
    source = load_nb(released / "source" / "ps1" / "ps1.ipynb")
    subs = tmp_path / "subs"
    save_nb(fill_solutions(release, source), subs / "correct" / "ps1" / "ps1.ipynb")
    feedback = released / "feedback" / "correct" / "ps1"

    first = run_pipeline("ps1", course=released, submissions=subs, feedback=False)
    assert first["reconciled"]
    assert not list(feedback.glob("*.html"))
    report = first["report"].read_text(encoding="utf-8")
    assert "no feedback was generated in this run (--no-feedback)" in report.lower()
    assert float(first["grades"].set_index("student_id").loc["correct", "score"]) == \
        PS1_AUTOGRADED_MAX

    second = run_pipeline("ps1", course=released, submissions=subs)
    assert second["reconciled"]
    assert len(list(feedback.glob("*.html"))) == 1
    assert "--no-feedback" not in second["report"].read_text(encoding="utf-8")


def test_pipeline_needs_no_activated_environment(released, tmp_path, monkeypatch):
    # A release folder but no gradebook yet: nbgrader's Gradebook then runs the `alembic` command,
    # which is only on PATH inside the virtual environment.
    (released / "gradebook.db").unlink(missing_ok=True)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    release = load_nb(released / "release" / "ps1" / "ps1.ipynb")
    save_nb(release, tmp_path / "subs" / "blank" / "ps1" / "ps1.ipynb")
    result = run_pipeline("ps1", course=released, submissions=tmp_path / "subs")
    assert result["reconciled"]
    assert [o.status for o in result["outcomes"]] == ["graded"]
