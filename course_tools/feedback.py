"""Stage 4: feedback for the students the autograde jobs left without it.

The autograde workers generate each student's feedback right after grading; :func:`generate_feedback`
runs ``nbgrader generate_feedback`` (hidden tests redacted by
``course_tools.preprocessors.redact``) for whoever is left, for the class and then one by one.
"""

from __future__ import annotations

import glob
from pathlib import Path

from course_tools.nbgrader_tools import _db_url, _errors, _nbgrader


def generate_feedback(course: Path, assignment: str, students: list[str]) -> dict[str, str]:
    """``nbgrader generate_feedback`` for the class; per student if the class run fails.

    Returns {student: problem} for students left without a feedback file.
    """
    args = ["generate_feedback", assignment, "--force", f"--CourseDirectory.db_url={_db_url(course)}"]
    proc = _nbgrader(args, course)
    problems = {}
    for student in students:
        if any((course / "feedback" / student / assignment).glob("*.html")) and proc.returncode == 0:
            continue
        one = _nbgrader(args + ["--student", glob.escape(student)], course)
        if one.returncode != 0 or not any((course / "feedback" / student / assignment).glob("*.html")):
            problems[student] = f"feedback could not be generated: {_errors(one)}"
    return problems
