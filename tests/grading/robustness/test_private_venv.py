"""Sandboxed kernels run even when the virtual environment lies in a folder closed to other users.

As root, a sandboxed kernel runs as an unprivileged user. A repository cloned under ``/root`` or
into a private temporary folder (``mkdtemp`` makes them 0700) puts the virtual environment where
that user cannot reach it; the launcher must then expose the environment inside the kernel's mount
namespace, or every kernel fails to start and every submission fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

from conftest import ROOT, fill_solutions, load_nb, save_nb
from course_tools.release import release
from course_tools.sandbox.mounts import _blocked_ancestor, _expose_plan
from robust_fixtures import FULL, make_course


def test_expose_plan_finds_the_closed_folder_above_each_environment():
    tmp_path = Path(tempfile.mkdtemp(prefix="expose-plan-"))  # pytest's own folders are 0700
    try:
        _check_plan(tmp_path)
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)


def _check_plan(tmp_path: Path) -> None:
    private = tmp_path / "private"
    (private / "env" / "lib").mkdir(parents=True)
    (tmp_path / "open" / "env").mkdir(parents=True)
    os.chmod(tmp_path, 0o755)
    os.chmod(private, 0o700)
    os.chmod(tmp_path / "open", 0o755)
    plan = _expose_plan([str(private / "env"), str(private / "env" / "lib"),
                         str(tmp_path / "open" / "env")])
    # The folder inside another exposed one and the one with an open path need nothing.
    assert plan == [(str(private), [str(private / "env")])]
    os.chmod(private, 0o755)
    assert _expose_plan([str(private / "env")]) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="the user switch happens only when grading as root")
def test_grading_from_a_virtual_environment_in_a_private_folder():
    project_site = sysconfig.get_paths()["purelib"]
    if _blocked_ancestor(project_site):
        # The private environment below borrows the project's packages; if those are themselves
        # closed to other users (this checkout lies in a private folder), the test cannot be set
        # up. The rest of the grading suite, run from such a checkout, covers that case.
        pytest.skip(f"the project's environment is closed to other users ({project_site})")
    base = Path(tempfile.mkdtemp(prefix="private-venv-"))  # mode 0700, like /root
    try:
        assert not os.stat(base).st_mode & 0o001
        venv = base / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        python = venv / "bin" / "python"
        site_dir = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip()
        # The project's packages, reached through the project's own environment.
        Path(site_dir, "project.pth").write_text(
            f"import site; site.addsitedir({project_site!r})\n",
            encoding="utf-8")
        course = make_course(base / "course")
        release(course, "ps1")
        rel = load_nb(course / "release" / "ps1" / "ps1.ipynb")
        source = load_nb(course / "source" / "ps1" / "ps1.ipynb")
        save_nb(fill_solutions(rel, source), base / "subs" / "correct" / "ps1" / "ps1.ipynb")
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")}
        env["PYTHONPATH"] = str(ROOT)
        proc = subprocess.run([str(python), "-m", "course_tools.grade", "ps1", "--course",
                               str(course), "--submissions", str(base / "subs"), "--jobs", "1"],
                              cwd=base, env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "correct: graded" in proc.stderr, proc.stderr[-3000:]
        outcomes = (course / "reports" / "ps1" / "student_outcomes.csv").read_text()
        assert "correct,graded" in outcomes
        scores = (course / "reports" / "ps1" / "question_scores.csv").read_text().splitlines()
        auto = [line for line in scores if ",autograded," in line]
        assert sum(float(line.split(",")[4]) for line in auto) == FULL
    finally:
        shutil.rmtree(base, ignore_errors=True)
