"""The whole nbgrader loop between real accounts on one server (issue 15, item 3).

Every step runs as the account that would run it (``runuser``): the instructor releases ps1 with a
due date 36 hours ago and gives alice a three-day extension; alice, bob and carol fetch it; alice
submits twice (an unanswered notebook, then her answers: the last counts), bob answers and
submits (late: 2 started days, 20 % off with the course's per-day policy), carol submits
her unanswered copy; the instructor collects, gives alice a three-day extension, grades with the project's pipeline through the one
sudo rule (``course-grade``), scores alice's written answer by hand through nbgrader's gradebook
API, grades again (the hand score survives), releases feedback; each student fetches only their
own feedback and cannot read anyone else's files.

The module shares one course (``hub_course``) and runs in file order; each test is one step.
"""

from __future__ import annotations

import datetime
import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from hubtools import as_user, suite
from hubtools import hub_course, hub_install  # noqa: F401  (fixtures)

COURSE, fill_solutions, load_nb = suite.COURSE, suite.fill_solutions, suite.load_nb

ANSWER = "Unilateral learning ran from customer to supplier; here both sides learn."
COMMENT = "Clear contrast of the two phases; cite the article's page next time."


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, f"{proc.args[-6:]}\nstdout: {proc.stdout[-3000:]}\nstderr: {proc.stderr[-3000:]}"
    return proc


def gradebook_python(hub_course, code: str) -> str:
    """Run ``code`` as the instructor with nbgrader's gradebook (``gb``) open; return stdout."""
    c = hub_course
    prelude = ("import json\nfrom nbgrader.api import Gradebook\n"
               f"gb = Gradebook('sqlite:///{c.course_dir}/gradebook.db', "
               f"course_id={c.settings.course_id!r})\n")
    return ok(as_user(c, "instructor", ["python", "-c", prelude + code + "\ngb.close()"],
                      cwd=c.course_dir)).stdout


def write_as(hub_course, who: str, path: Path, text: str) -> None:
    ok(as_user(hub_course, who, ["python", "-c",
                                 f"import sys; open({str(path)!r}, 'w').write(sys.stdin.read())"],
               input=text))


def grade(hub_course) -> subprocess.CompletedProcess:
    """The instructor's grading command, through sudo: exactly the rule the roster wrote."""
    c = hub_course
    return as_user(c, "instructor", ["sudo", "-n", c.settings.grade_program,
                                     c.settings.etc / "grade.json", "ps1", "--jobs", "1"],
                   cwd=c.course_dir, timeout=1200)


def test_instructor_releases_with_due_date_and_extension(hub_course):
    c = hub_course
    due = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=36))
    ok(as_user(c, "instructor", ["nbgrader", "db", "assignment", "add", "ps1",
                                 f"--duedate={due:%Y-%m-%d %H:%M:%S} UTC"], cwd=c.course_dir))
    for student in ("alice", "bob", "carol"):
        ok(as_user(c, "instructor", ["nbgrader", "db", "student", "add", c.users[student]],
                   cwd=c.course_dir))
    ok(as_user(c, "instructor", ["nbgrader", "generate_assignment", "ps1", "--force"],
               cwd=c.course_dir))
    ok(as_user(c, "instructor", ["nbgrader", "release_assignment", "ps1"], cwd=c.course_dir))
    released = c.settings.exchange_root / c.settings.course_id / "outbound" / "ps1" / "ps1.ipynb"
    assert released.exists()
    assert "### BEGIN SOLUTION" not in released.read_text()


def test_students_fetch_answer_validate_and_submit(hub_course):
    c = hub_course
    source = load_nb(COURSE / "source" / "ps1" / "ps1.ipynb")
    for student in ("alice", "bob", "carol"):
        ok(as_user(c, student, ["nbgrader", "fetch_assignment", "ps1"]))
        fetched = c.home(student) / "ps1" / "ps1.ipynb"
        assert fetched.stat().st_uid == c.home(student).stat().st_uid
    # The unanswered copy fails validation; alice submits it first anyway.
    blank = ok(as_user(c, "alice", ["nbgrader", "validate", "ps1/ps1.ipynb"]))
    assert "failed" in blank.stdout.lower() or "error" in blank.stdout.lower(), blank.stdout
    ok(as_user(c, "alice", ["nbgrader", "submit", "ps1"]))
    ok(as_user(c, "carol", ["nbgrader", "submit", "ps1"]))
    for student in ("alice", "bob"):
        nb = fill_solutions(load_nb(c.home(student) / "ps1" / "ps1.ipynb"), source)
        for cell in nb["cells"]:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") in ("q1_answer", "q2_answer"):
                cell["source"] = ANSWER
        write_as(c, student, c.home(student) / "ps1" / "ps1.ipynb", json.dumps(nb, indent=1))
        passed = ok(as_user(c, student, ["nbgrader", "validate", "ps1/ps1.ipynb"]))
        assert "Success! Your notebook passes all the tests." in passed.stdout, passed.stdout
        ok(as_user(c, student, ["nbgrader", "submit", "ps1"]))
    listed = ok(as_user(c, "alice", ["nbgrader", "list", "--cached"]))
    assert (listed.stdout + listed.stderr).count("ps1") >= 2


def test_instructor_collects_latest_submission_per_student(hub_course):
    c = hub_course
    ok(as_user(c, "instructor", ["nbgrader", "collect", "ps1"], cwd=c.course_dir))
    # nbgrader keeps an extension on the gradebook's submission record, made here before grading.
    gradebook_python(c, f"gb.update_or_create_submission('ps1', {c.users['alice']!r})\n"
                        f"gb.grant_extension('ps1', {c.users['alice']!r}, days=3)")
    submitted = c.course_dir / "submitted"
    assert sorted(p.name for p in submitted.iterdir() if not p.name.startswith(".")) == sorted(
        c.users[s] for s in ("alice", "bob", "carol"))
    alice_nb = (submitted / c.users["alice"] / "ps1" / "ps1.ipynb").read_text()
    assert ANSWER in alice_nb  # her second submission, not the first
    report = pd.read_csv(c.course_dir / "reports" / "ps1" / "exchange.csv")
    assert set(report.loc[report.status == "collected", "account"]) == {
        c.users[s] for s in ("alice", "bob", "carol")}


def test_grading_through_the_sudo_rule(hub_course):
    c = hub_course
    ok(grade(c))
    scores = json.loads(gradebook_python(c, (
        "out = {}\n"
        "for s in gb.assignment_submissions('ps1'):\n"
        "    nb = s.notebooks[0]\n"
        "    out[s.student.id] = [s.score, s.late_submission_penalty]\n"
        "print(json.dumps(out))")))
    alice, bob, carol = (scores[c.users[s]] for s in ("alice", "bob", "carol"))
    assert alice[0] == pytest.approx(9) and not alice[1]   # on time with her extension
    assert bob[1] == pytest.approx(0.2 * 9)                # 36 h late: 2 started days, 20 %
    assert bob[0] == pytest.approx(9)      # nbgrader keeps the penalty apart from the score
    assert carol[0] == 0
    # Nothing in the course folder is left owned by root.
    assert not [p for p in c.course_dir.rglob("*") if p.lstat().st_uid == 0]


def test_hand_marking_survives_regrade(hub_course):
    c = hub_course
    alice = c.users["alice"]
    gradebook_python(c, (
        f"g = gb.find_grade('q1_answer', 'ps1', 'ps1', {alice!r}); g.manual_score = 2.5\n"
        f"m = gb.find_comment('q1_answer', 'ps1', 'ps1', {alice!r}); m.manual_comment = {COMMENT!r}\n"
        "gb.db.commit()"))
    ok(grade(c))
    kept = json.loads(gradebook_python(c, (
        f"g = gb.find_grade('q1_answer', 'ps1', 'ps1', {alice!r})\n"
        f"m = gb.find_comment('q1_answer', 'ps1', 'ps1', {alice!r})\n"
        "print(json.dumps([g.manual_score, m.manual_comment]))")))
    assert kept == [2.5, COMMENT]
    feedback = c.course_dir / "feedback" / alice / "ps1" / "ps1.html"
    assert COMMENT in feedback.read_text()


def test_feedback_reaches_only_its_student(hub_course):
    c = hub_course
    ok(as_user(c, "instructor", ["nbgrader", "release_feedback", "ps1"], cwd=c.course_dir))
    fetched = {}
    for student in ("alice", "bob"):
        ok(as_user(c, student, ["nbgrader", "fetch_feedback", "ps1"]))
        files = list((c.home(student) / "ps1" / "feedback").rglob("ps1.html"))
        assert len(files) == 1, files
        fetched[student] = files[0]
    assert COMMENT in fetched["alice"].read_text()
    assert COMMENT not in fetched["bob"].read_text()
    feedback_dir = c.settings.exchange_root / c.settings.course_id / "feedback"
    for attempt in (["ls", feedback_dir],                                  # list feedback
                    ["cat", fetched["alice"]],                             # alice's fetched copy
                    ["ls", c.home("alice")],                               # alice's home
                    ["ls", feedback_dir.parent / "inbound"]):              # submissions
        denied = as_user(c, "bob", attempt)
        assert denied.returncode != 0 and "Permission denied" in denied.stderr, attempt
