"""Issue 14, item 8: what a killed grading run left in the temporary folder is removed by the next run,
and a concurrent run's folder never is.

Two grading commands run at once, each with one student, in a private temporary folder (``TMPDIR``):
run L (live) waits inside its student's cell until the test lets it go; run K is killed with SIGKILL
while its student is being graded, leaving its sandbox folder (copies of student work) behind.
Once every process K started has ended, a third run starts: K's folder must be gone, L's must still
be there, and L must finish grading its student normally.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conftest import ROOT, fill_solutions, load_nb, save_nb, tool_env
from course_tools.autograde.grader import autograde
from course_tools.release import release
from course_tools.sandbox.uids import _descendants
from robust_fixtures import _append, make_course, shared_folder


def _sandbox_dirs(tmp: Path) -> set[Path]:
    return {p for p in tmp.glob("course-sandbox-*") if p.is_dir()}


def _wait_for_new_dir(tmp: Path, known: set[Path], proc, limit: float = 600) -> Path:
    """The first new sandbox folder with a student folder inside (grading has begun)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for folder in _sandbox_dirs(tmp) - known:
            if any(p.is_dir() for p in folder.iterdir() if p.name != "jupyter"):
                return folder
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        time.sleep(0.5)
    raise AssertionError("grading never started")




def _course_with(base: Path, name: str, code: str) -> Path:
    course = make_course(base / name)
    release(course, "ps1")
    rel = load_nb(course / "release" / "ps1" / "ps1.ipynb")
    source = load_nb(course / "source" / "ps1" / "ps1.ipynb")
    nb = fill_solutions(rel, source)
    _append(nb, "unit_cost", code)
    save_nb(nb, course / "submitted" / "student" / "ps1" / "ps1.ipynb")
    return course


def test_a_killed_runs_folder_is_removed_and_a_live_runs_folder_kept(monkeypatch):
    base = Path(tempfile.mkdtemp(prefix="stale-sandbox-"))
    os.chmod(base, 0o755)
    tmp = base / "tmp"
    tmp.mkdir()
    os.chmod(tmp, 0o1777)
    shared = shared_folder("stale-sandbox-flag-")  # the kernel's /tmp is a private one
    flag = shared / "go"
    procs = []
    try:
        live = _course_with(base, "live", f"import os, time\n_t = time.time()\n"
                            f"while not os.path.exists({str(flag)!r}) and time.time() - _t < 500:\n"
                            "    time.sleep(0.2)")
        doomed = _course_with(base, "doomed", "import time\ntime.sleep(10_000)")
        env = tool_env()
        env["TMPDIR"] = str(tmp)

        def start(course: Path):
            proc = subprocess.Popen([sys.executable, "-m", "course_tools.grade", "ps1", "--course",
                                     str(course), "--jobs", "1", "--cell-timeout", "600"],
                                    cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            procs.append(proc)
            return proc

        run_l = start(live)
        l_dir = _wait_for_new_dir(tmp, set(), run_l)
        run_k = start(doomed)
        k_dir = _wait_for_new_dir(tmp, {l_dir}, run_k)
        k_tree = _descendants(run_k.pid)
        os.kill(run_k.pid, signal.SIGKILL)
        run_k.wait()
        deadline = time.monotonic() + 120
        while any(Path(f"/proc/{pid}").exists() for pid in k_tree):
            assert time.monotonic() < deadline, "the killed run's processes never ended"
            time.sleep(0.5)
        assert k_dir.exists()  # left behind by the killed run

        monkeypatch.setattr(tempfile, "tempdir", str(tmp))
        autograde(doomed, "ps1", [], jobs=1, progress=lambda *a: None)
        assert not k_dir.exists(), sorted(p.name for p in k_dir.rglob("*"))[:20]
        assert l_dir.exists()

        flag.write_text("go", encoding="utf-8")
        out, err = run_l.communicate(timeout=600)
        assert run_l.returncode == 0, err[-3000:]
        assert "student: graded" in out, (out, err[-2000:])
        outcomes = (live / "reports" / "ps1" / "student_outcomes.csv").read_text()
        assert "student,graded" in outcomes
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(shared, ignore_errors=True)
