"""Stage 1, intake from a folder: submissions in nbgrader's ``submitted/<student>/<assignment>/`` layout.

:func:`collect` copies such a folder into the course; :func:`find_submissions` lists the students
whose submission is there, which every later stage (pre-flight, autograde, report) works through.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from course_tools.preflight import copy_submission


def collect(submissions: Path, course: Path, assignment: str) -> list[tuple[str, str]]:
    """Copy ``submissions/<student>/<assignment>/`` folders into ``course/submitted/``.

    Only what can be graded is copied (``preflight.copy_submission``): files over the pipeline's
    50 MB limit (judged by size, so a sparse file is never written out), symbolic links and special
    files are left out. Returns ``(student, message)`` for each file left out (for the report).

    Raises
    ------
    FileNotFoundError
        If ``submissions`` is not a folder.
    """
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise FileNotFoundError(f"submissions folder not found: {submissions}")
    target = course / "submitted"
    left_out: list[tuple[str, str]] = []
    if submissions.resolve() == target.resolve():
        return left_out
    for student_dir in sorted(p for p in submissions.iterdir()
                              if p.is_dir() and not p.is_symlink()):
        src = student_dir / assignment
        if src.is_dir() and not src.is_symlink():
            dst = target / student_dir.name / assignment
            shutil.rmtree(dst, ignore_errors=True)
            left_out += [(student_dir.name, message) for _, message in copy_submission(src, dst)]
    return left_out


def find_submissions(course: Path, assignment: str) -> list[str]:
    """Student ids with a ``submitted/<student>/<assignment>/`` folder, sorted."""
    root = course / "submitted"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / assignment).is_dir())
