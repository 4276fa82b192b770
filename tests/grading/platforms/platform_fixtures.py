"""Fixtures for the learning-platform tests (issue 16; imported by the test modules): one graded
gradebook shared by all tests, a roster, and platform files in each platform's documented format.

The gradebook is built with nbgrader's own API (no kernel runs: fast): assignment ps1, max 9
(tests q1 and q2 of 3 points, written answer w1 of 3 points).

========== ===== ===== ====== ===================================================
student    q1    q2    w1     total / state
========== ===== ===== ====== ===================================================
alice      3     3     3      9, final
bob        3     0     2.5    5.5, final
carol      0     3     1      4, final
dave       3     3     --     written answer waiting for a manual grade
erin       (no submission; in the roster)
========== ===== ===== ====== ===================================================
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

BIN = str(Path(sys.executable).parent)

ROSTER = pd.DataFrame([
    # student_id, first, last, email, canvas id, sis user, sis login, section, moodle user,
    # moodle idnumber, blackboard user
    ["alice", "Alyssa", "Hacker", "alyssa@example.edu", "101", "S1", "ahacker", "Sec A",
     "ahacker", "M1", "ahacker"],
    ["bob", "Ben", "Bitdiddle", "ben@example.edu", "102", "S2", "bbitdiddle", "Sec A",
     "bbitdiddle", "M2", "bbitdiddle"],
    ["carol", "Cy", "Fect", "cy@example.edu", "103", "S3", "cfect", "Sec B", "cfect", "M3",
     "cfect"],
    ["dave", "Lem", "Tweakit", "lem@example.edu", "104", "S4", "ltweakit", "Sec B", "ltweakit",
     "M4", "ltweakit"],
    ["erin", "Eva", "Lu", "eva@example.edu", "105", "S5", "elu", "Sec B", "elu", "M5", "elu"],
], columns=["student_id", "first_name", "last_name", "email", "canvas_user_id", "sis_user_id",
            "sis_login_id", "section", "moodle_username", "moodle_idnumber",
            "blackboard_username"])

SCORES = {"alice": (3, 3, 3), "bob": (3, 0, 2.5), "carol": (0, 3, 1), "dave": (3, 3, None)}
EXPECTED = {"alice": "9", "bob": "5.5", "carol": "4"}

#: Moodle's offline grading worksheet as downloaded in English. The identifier, grade and
#: "Last modified (grade)" headers are the strings importgradeslib.php looks for; the other
#: headers are as we remember Moodle's download (not needed by the importer).
WORKSHEET = pd.DataFrame([
    ["Participant 7001", "Alyssa Hacker", "alyssa@example.edu", "Submitted for grading", "",
     "9.00", "Yes", "Friday, 4 December 2026, 10:00 AM", "-", ""],
    ["Participant 7002", "Ben Bitdiddle", "ben@example.edu", "Submitted for grading", "", "9.00",
     "Yes", "Friday, 4 December 2026, 10:05 AM", "-", ""],
    ["Participant 7003", "Cy Fect", "cy@example.edu", "Submitted for grading", "", "9.00", "Yes",
     "Friday, 4 December 2026, 10:07 AM", "-", ""],
    ["Participant 7004", "Lem Tweakit", "lem@example.edu", "Submitted for grading", "", "9.00",
     "Yes", "Friday, 4 December 2026, 10:09 AM", "-", ""],
    ["Participant 7005", "Eva Lu", "eva@example.edu", "No submission", "", "9.00", "Yes", "-",
     "-", ""],
    ["Participant 7099", "Someone Else", "else@example.edu", "No submission", "", "9.00", "Yes",
     "-", "-", ""],
], columns=["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
            "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
            "Feedback comments"])


@pytest.fixture(scope="session")
def graded_course(tmp_path_factory) -> Path:
    """A course folder holding the shared graded ``gradebook.db`` (read-only for tests)."""
    os.environ["PATH"] = BIN + os.pathsep + os.environ.get("PATH", "")
    from nbgrader.api import Gradebook

    course = tmp_path_factory.mktemp("graded")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.add_assignment("ps1", duedate="2026-12-01 12:00:00")
        gb.add_notebook("ps1", "ps1")
        for name, kind in (("q1", "code"), ("q2", "code"), ("w1", "markdown")):
            gb.add_grade_cell(name, "ps1", "ps1", max_score=3, cell_type=kind)
        for sid in ROSTER["student_id"]:
            gb.add_student(sid)
        for sid, points in SCORES.items():
            gb.add_submission("ps1", sid)
            for name, value in zip(("q1", "q2", "w1"), points):
                grade = gb.find_grade(name, "ps1", "ps1", sid)
                if name == "w1":
                    grade.manual_score = value
                    grade.needs_manual_grade = value is None
                else:
                    grade.auto_score = value
                    grade.needs_manual_grade = False
            gb.db.commit()
    return course


@pytest.fixture
def roster_csv(tmp_path) -> Path:
    path = tmp_path / "roster.csv"
    ROSTER.to_csv(path, index=False)
    return path


@pytest.fixture
def worksheet_csv(tmp_path) -> Path:
    path = tmp_path / "worksheet.csv"
    WORKSHEET.to_csv(path, index=False)
    return path


@pytest.fixture
def course_copy(graded_course, tmp_path) -> Path:
    """A writable copy of the graded course (for tests that change the gradebook)."""
    dst = tmp_path / "course"
    shutil.copytree(graded_course, dst)
    return dst


def export(plugin_class, course: Path, to: Path, **traits):
    """Run an export plugin on the course gradebook as ``nbgrader export`` does."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        plugin_class(to=str(to), assignment=["ps1"], **traits).export(gb)
    return to
