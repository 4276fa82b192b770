"""Stage 1, intake from a folder: submissions in nbgrader's ``submitted/<student>/<assignment>/`` layout.

:func:`collect` copies such a folder into the course; :func:`find_submissions` lists the students
whose submission is there, which every later stage (pre-flight, autograde, report) works through.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def collect(submissions: Path, course: Path, assignment: str) -> None:
    """Copy ``submissions/<student>/<assignment>/`` folders into ``course/submitted/``.

    Raises
    ------
    FileNotFoundError
        If ``submissions`` is not a folder.
    """
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise FileNotFoundError(f"submissions folder not found: {submissions}")
    target = course / "submitted"
    if submissions.resolve() == target.resolve():
        return
    for student_dir in sorted(p for p in submissions.iterdir() if p.is_dir()):
        src = student_dir / assignment
        if src.is_dir():
            dst = target / student_dir.name / assignment
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst, symlinks=True)


def find_submissions(course: Path, assignment: str) -> list[str]:
    """Student ids with a ``submitted/<student>/<assignment>/`` folder, sorted."""
    root = course / "submitted"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / assignment).is_dir())
