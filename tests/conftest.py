"""Shared fixtures: the repository layout, a scratch copy of the nbgrader course, submissions."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
COURSE = ROOT / "assignments"
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def tool_env() -> dict:
    """Environment for subprocesses: this interpreter's bin first on PATH (nbgrader calls alembic)."""
    env = dict(os.environ)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    return env


def run_tool(args: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / args[0]), *args[1:]], cwd=cwd, env=tool_env(),
                          capture_output=True, text=True, timeout=timeout)


def load_nb(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def save_nb(nb: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def src(cell: dict) -> str:
    s = cell.get("source", "")
    return s if isinstance(s, str) else "".join(s)


def nbgrader_meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def solution_lines(source_nb: dict) -> list[str]:
    """The non-blank lines inside BEGIN/END SOLUTION regions of a source notebook."""
    return _region_lines(source_nb, SOLUTION_MARKERS)


def hidden_test_lines(source_nb: dict) -> list[str]:
    """The non-blank lines inside BEGIN/END HIDDEN TESTS regions of a source notebook."""
    return _region_lines(source_nb, HIDDEN_MARKERS)


def _region_lines(nb: dict, markers: tuple[str, str]) -> list[str]:
    lines, inside = [], False
    for cell in nb["cells"]:
        for line in src(cell).splitlines():
            if markers[0] in line:
                inside = True
            elif markers[1] in line:
                inside = False
            elif inside and line.strip():
                lines.append(line.strip())
    return lines


def fill_solutions(release_nb: dict, source_nb: dict, edits: dict[str, tuple[str, str]] | None = None
                   ) -> dict:
    """A student's submission: the release with each solution cell answered from the source.

    ``edits`` maps a grade_id to (old, new) text replaced in that answer, to plant mistakes.
    """
    answers = {nbgrader_meta(c).get("grade_id"): c for c in source_nb["cells"]
               if nbgrader_meta(c).get("solution")}
    nb = json.loads(json.dumps(release_nb))
    for cell in nb["cells"]:
        gid = nbgrader_meta(cell).get("grade_id")
        if nbgrader_meta(cell).get("solution") and cell["cell_type"] == "code" and gid in answers:
            text = "\n".join(ln for ln in src(answers[gid]).splitlines()
                             if not any(m in ln for m in SOLUTION_MARKERS))
            if edits and gid in edits:
                old, new = edits[gid]
                assert old in text, f"planted edit {old!r} not found in {gid}"
                text = text.replace(old, new)
            cell["source"] = text
    return nb


@pytest.fixture
def course(tmp_path) -> Path:
    """A scratch copy of the nbgrader course with nothing generated yet."""
    dst = tmp_path / "course"
    shutil.copytree(COURSE, dst, ignore=shutil.ignore_patterns(
        "release", "submitted", "autograded", "feedback", "gradebook.db", "reports", "*.csv",
        ".ipynb_checkpoints"))
    return dst


@pytest.fixture
def released(course) -> Path:
    """The scratch course after ``nbgrader generate_assignment`` for every source assignment."""
    for assignment in sorted(p.name for p in (course / "source").iterdir() if p.is_dir()):
        proc = run_tool(["nbgrader", "generate_assignment", assignment, "--force"], course)
        assert proc.returncode == 0, proc.stderr[-2000:]
    return course
