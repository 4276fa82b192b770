"""The long-lived grading processes (``course_tools.autograde.worker``) lose no student.

One job grades five students in turn: a kernel that kills its grading process, a correct
submission, one that writes fake protocol answers to the file descriptors it inherited, one that
sleeps through every interrupt, and another correct one. The killer and the sleeper are reported as
failures with the reason; everyone else gets the exact grade, from a fresh process where needed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import fill_solutions, load_nb, save_nb
from course_tools.autograde.grader import autograde
from course_tools.report.scores import question_scores
from course_tools.release import release
from robust_fixtures import FULL, _append, make_course

#: Student -> code appended to the (otherwise correct) answer cell ``unit_cost``.
PLANTED = {
    "a_killer": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)",
    "b_correct": "",
    "c_spoofer": ("import os\nfor fd in (1, 2):\n    os.write(fd, b'{\"ready\": true}\\n'\n"
                  "             b'{\"job\": \"1-0-3\", \"success\": false, \"log\": \"x\"}\\n')"),
    "d_sleeper": ("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                  "time.sleep(10_000)"),
    "e_correct": "",
}
#: Wall-clock seconds allowed per student (the sleeper runs over it).
WALL = 25


@pytest.fixture(scope="module")
def graded():
    base = Path(tempfile.mkdtemp(prefix="worker-grading-"))
    try:
        course = make_course(base / "course")
        release(course, "ps1")
        rel = load_nb(course / "release" / "ps1" / "ps1.ipynb")
        source = load_nb(course / "source" / "ps1" / "ps1.ipynb")
        for student, code in PLANTED.items():
            nb = fill_solutions(rel, source)
            if code:
                _append(nb, "unit_cost", code)
            save_nb(nb, course / "submitted" / student / "ps1" / "ps1.ipynb")
        # One job, so the students go through the same grading process one after another; no
        # sandbox, so the kernel is a child of that process and can signal it.
        # The cell limit is above the wall-clock limit, so the sleeper meets the latter.
        outcomes = autograde(course, "ps1", list(PLANTED), jobs=1, timeout=WALL,
                             cell_timeout=4 * WALL, startup_seconds=0, sandbox=False,
                             progress=lambda *a: None)
        yield {o.student_id: o for o in outcomes}, question_scores(course, "ps1")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _auto_total(scores, student):
    rows = scores[(scores["student_id"] == student) & (scores["kind"] == "autograded")]
    return float(rows["score"].sum()) if len(rows) else None


def test_every_student_has_an_outcome_in_order(graded):
    outcomes, _ = graded
    assert list(outcomes) == list(PLANTED)


def test_a_kernel_that_kills_its_grading_process_fails_only_its_own_student(graded):
    outcomes, scores = graded
    assert outcomes["a_killer"].status == "failed"
    assert "the grading process died" in outcomes["a_killer"].message
    assert _auto_total(scores, "a_killer") is None
    assert outcomes["b_correct"].status == "graded"
    assert _auto_total(scores, "b_correct") == FULL


def test_fake_protocol_lines_from_a_kernel_change_nothing(graded):
    outcomes, scores = graded
    assert outcomes["c_spoofer"].status == "graded", outcomes["c_spoofer"].message
    assert _auto_total(scores, "c_spoofer") == FULL


def test_a_student_over_the_wall_clock_limit_is_stopped_and_the_next_one_graded(graded):
    outcomes, scores = graded
    assert outcomes["d_sleeper"].status == "failed"
    assert f"took longer than {WALL} s" in outcomes["d_sleeper"].message
    assert outcomes["e_correct"].status == "graded"
    assert _auto_total(scores, "e_correct") == FULL


FORK_BOMB = """import os, time
children = []
try:
    for _ in range(500):
        pid = os.fork()
        if pid == 0:
            time.sleep(600)
            os._exit(0)
        children.append(pid)
except OSError:
    pass"""


@pytest.mark.skipif(os.geteuid() != 0, reason="the process limit applies to the sandbox user (root)")
def test_a_fork_bomb_does_not_fail_the_next_student_on_the_same_job():
    base = Path(tempfile.mkdtemp(prefix="worker-forks-"))
    os.chmod(base, 0o755)
    try:
        course = make_course(base / "course")
        release(course, "ps1")
        rel = load_nb(course / "release" / "ps1" / "ps1.ipynb")
        source = load_nb(course / "source" / "ps1" / "ps1.ipynb")
        for student in ("a_forker", "b_correct"):
            nb = fill_solutions(rel, source)
            if student == "a_forker":
                _append(nb, "unit_cost", FORK_BOMB)
            save_nb(nb, course / "submitted" / student / "ps1" / "ps1.ipynb")
        # One job: the honest student's kernel starts as the same sandbox user right after.
        outcomes = {o.student_id: o for o in autograde(
            course, "ps1", ["a_forker", "b_correct"], jobs=1, progress=lambda *a: None)}
        assert outcomes["b_correct"].status == "graded", outcomes["b_correct"].message
        assert _auto_total(question_scores(course, "ps1"), "b_correct") == FULL
        assert any("process(es) running after grading" in p
                   for p in outcomes["a_forker"].problems), outcomes["a_forker"]
    finally:
        shutil.rmtree(base, ignore_errors=True)
