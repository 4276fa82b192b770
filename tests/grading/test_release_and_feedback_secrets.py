"""Nothing secret leaks: no solution line or hidden test in the student release or the feedback."""

from __future__ import annotations

import re

import pytest

from conftest import (HIDDEN_MARKERS, SOLUTION_MARKERS, hidden_test_lines, load_nb, save_nb,
                      solution_lines, src, fill_solutions)
from course_tools.pipeline import run_pipeline

# Lines that legitimately appear both in a solution and in the student's starting code or tests.
TRIVIAL = {"return", "pass", "else:", "try:", "rows = {}"}


def _assignments(course):
    return sorted(p.name for p in (course / "source").iterdir() if p.is_dir())


def _leaks(text: str, lines: list[str]) -> list[str]:
    return [ln for ln in lines if ln not in TRIVIAL and len(ln) > 12 and ln in text]


def test_release_has_no_solution_or_hidden_test_lines(released):
    for assignment in _assignments(released):
        for source_path in (released / "source" / assignment).glob("*.ipynb"):
            source = load_nb(source_path)
            release_text = (released / "release" / assignment / source_path.name).read_text("utf-8")
            assert solution_lines(source), f"{source_path.name} has no solution region to check"
            assert hidden_test_lines(source), f"{source_path.name} has no hidden tests to check"
            assert not _leaks(release_text, solution_lines(source))
            assert not _leaks(release_text, hidden_test_lines(source))
            for marker in SOLUTION_MARKERS + HIDDEN_MARKERS:
                assert marker not in release_text


def test_leak_check_catches_a_planted_leak(released):
    """The check above can fail: a release with one solution line pasted in is caught."""
    source = load_nb(released / "source" / "ps1" / "ps1.ipynb")
    release_text = (released / "release" / "ps1" / "ps1.ipynb").read_text("utf-8")
    planted = release_text + solution_lines(source)[3]
    assert _leaks(planted, solution_lines(source))


def test_feedback_hides_hidden_tests(released, tmp_path):
    release = load_nb(released / "release" / "ps1" / "ps1.ipynb")
    source = load_nb(released / "source" / "ps1" / "ps1.ipynb")
    subs = tmp_path / "downloads"
    # A wrong answer makes hidden tests fail, so tracebacks would quote them if not redacted.
    wrong = fill_solutions(release, source,
                           edits={"progress_ratio": ("return 2.0 ** (-b)", "return 1.0 - 2.0 ** (-b)")})
    save_nb(wrong, subs / "student1" / "ps1" / "ps1.ipynb")
    run_pipeline("ps1", course=released, submissions=subs)
    feedback = list((released / "feedback" / "student1" / "ps1").glob("*.html"))
    assert feedback, "no feedback generated"
    html = feedback[0].read_text("utf-8")
    text = re.sub(r"<[^>]+>", "", html).replace("&quot;", '"').replace("&#39;", "'")
    assert "hidden tests, their messages and the cell's output are not shown" in text.lower()
    hidden = [ln for ln in hidden_test_lines(source) if len(ln) > 12]
    assert not [ln for ln in hidden if ln in text]
