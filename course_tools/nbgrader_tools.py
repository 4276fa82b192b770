"""How the course's tooling runs nbgrader: one place shared by every stage.

The tools' environment and ``PATH`` (the virtual environment's ``bin`` first, so nbgrader finds
``alembic`` and its kernels without an activated environment), the ``nbgrader`` command, the
gradebook URL with a busy time-out for parallel processes, and the error text of a failed process.
Used by release, intake (``zip_collect``), autograde, feedback and export; imports none of them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _tool_env() -> dict:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def _tools_on_path() -> None:
    """Put this Python's ``bin`` folder on PATH: nbgrader's Gradebook runs the ``alembic`` command
    when it creates a gradebook, which fails when the virtual environment is not activated."""
    tools = str(Path(sys.executable).parent)
    if tools not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = tools + os.pathsep + os.environ.get("PATH", "")


def _nbgrader_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "nbgrader"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "nbgrader"]


def _nbgrader(args: list[str], course: Path, timeout: float | None = None, env: dict | None = None):
    """Run an nbgrader subcommand in the course root; returns the CompletedProcess."""
    return subprocess.run(_nbgrader_cmd() + args, cwd=course, env=env or _tool_env(),
                          capture_output=True, text=True, timeout=timeout)


def _errors(proc) -> str:
    lines = [ln for ln in (proc.stderr or "").splitlines() if "ERROR" in ln or "Error" in ln]
    return " | ".join(lines[-3:]) if lines else (proc.stderr or "").strip()[-300:]


def _db_url(course: Path) -> str:
    """The gradebook URL with a generous SQLite busy time-out, for parallel nbgrader processes."""
    return f"sqlite:///{course / 'gradebook.db'}?timeout=120"


def awaiting_manual_grade(grade) -> bool:
    """Whether one gradebook ``Grade`` (nbgrader 0.9.6 ``nbgrader.api.Grade``) is a written answer
    still waiting for its hand mark; the one rule of the report and the platform exports.

    A grade with a ``manual_score`` is marked, whatever ``needs_manual_grade`` says: nbgrader's
    ``SaveAutoGrades`` (``nbgrader/preprocessors/saveautogrades.py``) sets ``needs_manual_grade``
    back to True on every cell with a manual score each time the grading runs again. Without a
    manual score, a grade waits when it has no ``auto_score`` (a written answer) or is flagged
    ``needs_manual_grade``, unless it is a code cell the autograder scored (a test cell).
    """
    if grade.manual_score is not None:
        return False
    if grade.cell.cell_type == "code" and grade.auto_score is not None:
        return False
    return grade.auto_score is None or bool(grade.needs_manual_grade)
