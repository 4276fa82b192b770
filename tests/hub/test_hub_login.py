"""The class hub itself on 127.0.0.1: PAM login with real passwords, each server as its own user.

Starts JupyterHub (``hub.start.command``: the hub environment, the npm proxy) for the module's
course with roster-generated passwords, logs in over HTTP as a student, starts her server and
checks that the single-user server's process runs under her uid (issue 15, item 1); a wrong
password and an account outside the roster are turned away; a student fetches, validates and
submits ps1 in Chromium through nbgrader's Assignments tab (screenshots in test-artifacts/hub/). The hub is stopped by its process id
in a finalizer.
"""

from __future__ import annotations

import csv
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest
import requests

from hubtools import REPO, as_user, in_fresh_thread, logged_in_page, suite
from hubtools import hub_course, hub_install  # noqa: F401  (fixtures)

COURSE, fill_solutions, load_nb = suite.COURSE, suite.fill_solutions, suite.load_nb

from hub.roster import processes_of
from hub.start import command

WAIT = 240  # seconds: generous, the machine may be loaded; nothing is judged by speed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check, what: str):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(1)
    raise AssertionError(f"gave up waiting for {what} after {WAIT} s")


@pytest.fixture(scope="module")
def running_hub(hub_course):
    c = hub_course
    settings = c.settings
    # all three ports free ones, so that a second test run (or a class hub) can run beside this one
    settings.port, settings.hub_port, settings.proxy_api_port = free_port(), free_port(), free_port()
    settings.state = c.base / "state"
    settings.state.mkdir(mode=0o700)
    settings.save()
    cmd, env = command(settings)
    log = open(c.base / "hub.log", "wb")
    hub = subprocess.Popen(cmd, cwd=settings.state, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{settings.port}"

    def up():
        if hub.poll() is not None:
            raise AssertionError("the hub exited:\n" + (c.base / "hub.log").read_text()[-3000:])
        try:
            return requests.get(url + "/hub/api", timeout=5).ok
        except requests.ConnectionError:
            return False

    try:
        wait_for(up, "the hub to answer")
        with open(settings.etc / "passwords.csv") as fh:
            passwords = {row["username"]: row["password"] for row in csv.DictReader(fh)}
        yield url, passwords
    finally:
        hub.send_signal(signal.SIGTERM)
        try:
            hub.wait(60)
        except subprocess.TimeoutExpired:
            hub.kill()
            hub.wait()
        log.close()
        artifacts = REPO / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        shutil.copy(c.base / "hub.log", artifacts / "hub.log")


def login(url: str, user: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(url + "/hub/login", timeout=30)
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
    data = {"username": user, "password": password}
    if xsrf:
        data["_xsrf"] = xsrf.group(1)
    session.post(url + "/hub/login?next=", data=data, timeout=60)
    return session


def test_wrong_password_and_unknown_account_are_refused(hub_course, running_hub):
    url, passwords = running_hub
    alice = hub_course.users["alice"]
    for user, password in ((alice, "not-her-password"), ("root", "whatever")):
        session = login(url, user, password)
        assert session.get(url + "/hub/api/user", timeout=30).status_code == 403


def test_student_server_runs_as_the_student(hub_course, running_hub):
    url, passwords = running_hub
    alice = hub_course.users["alice"]
    session = login(url, alice, passwords[alice])
    me = session.get(url + "/hub/api/user", timeout=30)
    assert me.ok and me.json()["name"] == alice
    session.get(url + "/hub/spawn", timeout=120)
    def ready():
        model = session.get(f"{url}/hub/api/users/{alice}", timeout=30).json()
        return model.get("servers", {}).get("", {}).get("ready")

    wait_for(ready, "alice's server")
    uid = pwd.getpwnam(alice).pw_uid
    servers = [pid for pid in processes_of(uid)
               if b"jupyterhub-singleuser" in open(f"/proc/{pid}/cmdline", "rb").read()]
    assert servers, "no jupyterhub-singleuser process runs as alice"
    for pid in servers:
        assert os.stat(f"/proc/{pid}").st_uid == uid
    # Her server offers the lab with nbgrader's assignment list (the Assignments tab's backend).
    lab = session.get(f"{url}/user/{alice}/lab", timeout=60)
    assert lab.ok and "jupyter" in lab.text.lower()
    # ... but no formgrader (issue 15b, item 2): the server extension is off, the plugin hidden.
    disabled = page_config(lab.text)["disabledExtensions"]
    assert "@jupyter/nbgrader:formgrader" in disabled, disabled
    assert session.get(f"{url}/user/{alice}/formgrader", timeout=60).status_code == 404
    # (the Assignments tab's handler answers: it is there, whatever it says without parameters)
    assert session.get(f"{url}/user/{alice}/assignments", timeout=60).status_code != 404


def page_config(html: str) -> dict:
    """The JSON page configuration JupyterLab's page carries (``#jupyter-config-data``)."""
    found = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                      html, re.S)
    assert found, "no page configuration in the lab page"
    return json.loads(found.group(1))


@in_fresh_thread
def test_student_fetches_validates_and_submits_in_the_browser(hub_course, running_hub):
    """Chromium (Debian's, driven by Playwright) through the Assignments tab (issue 15, item 4).

    Covered: log in, open Nbgrader > Assignment List, Fetch, Validate, Submit. The answers are
    written to the fetched notebook as the student from the command line, not typed in the page;
    the instructor's Formgrader steps in the browser are not covered yet.
    """
    c = hub_course
    url, passwords = running_hub
    bob = c.users["bob"]
    ok_ = lambda p: p.returncode == 0 or pytest.fail(p.stderr[-2000:])  # noqa: E731
    ok_(as_user(c, "instructor", ["nbgrader", "generate_assignment", "ps1", "--force"],
                cwd=c.course_dir))
    ok_(as_user(c, "instructor", ["nbgrader", "release_assignment", "ps1"], cwd=c.course_dir))
    shots = REPO / "test-artifacts" / "hub"
    shots.mkdir(parents=True, exist_ok=True)
    with logged_in_page(url, bob, passwords[bob]) as page:
        page.get_by_text("Nbgrader", exact=True).click()
        page.get_by_text("Assignment List", exact=True).click()
        page.locator("#released_assignments_list button", has_text="Fetch").click()
        page.locator("#fetched_assignments_list button", has_text="Submit").wait_for()
        page.screenshot(path=str(shots / "student-fetched.png"))
        fetched = c.home("bob") / "ps1" / "ps1.ipynb"
        assert fetched.stat().st_uid == pwd.getpwnam(bob).pw_uid
        nb = fill_solutions(load_nb(fetched), load_nb(COURSE / "source" / "ps1" / "ps1.ipynb"))
        for cell in nb["cells"]:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") in (
                    "q1_answer", "q2_answer"):
                cell["source"] = "Both sides learn."
        ok_(as_user(c, "bob", ["python", "-c", "import sys; open('ps1/ps1.ipynb', 'w')"
                               ".write(sys.stdin.read())"], input=json.dumps(nb)))
        page.locator("#fetched_assignments_list a.assignment-notebooks-link").click()
        page.locator("#fetched_assignments_list button", has_text="Validate").click()
        page.get_by_text("Success! Your notebook passes all the tests.").wait_for()
        page.screenshot(path=str(shots / "student-validated.png"))
        page.locator(".jp-Dialog button", has_text="OK").click()
        page.locator("#fetched_assignments_list button", has_text="Submit").click()
        page.locator("#submitted_assignments_list .item_name", has_text="ps1").wait_for()
        page.screenshot(path=str(shots / "student-submitted.png"))
    inbound = c.settings.exchange_root / c.settings.course_id / "inbound"
    mine = [p for p in inbound.iterdir() if p.name.startswith(bob + "+ps1+")]
    assert len(mine) == 1
    assert json.loads((mine[0] / "receipt.json").read_text())["student"] == bob


def server_environment(user: str) -> dict:
    """The environment of ``user``'s running single-user server (root reads /proc/PID/environ):
    what a terminal in their JupyterLab has, the hub's API token included."""
    for pid in processes_of(pwd.getpwnam(user).pw_uid):
        try:
            if b"jupyterhub-singleuser" not in open(f"/proc/{pid}/cmdline", "rb").read():
                continue
            raw = open(f"/proc/{pid}/environ", "rb").read()
        except OSError:
            continue
        pairs = (item.decode().split("=", 1) for item in raw.split(b"\0") if b"=" in item)
        return {k: v for k, v in pairs if k.startswith("JUPYTER")}
    raise AssertionError(f"no single-user server runs as {user}")


def start_server(url: str, user: str, password: str) -> None:
    session = login(url, user, password)
    session.get(url + "/hub/spawn", timeout=120)
    wait_for(lambda: session.get(f"{url}/hub/api/users/{user}", timeout=30).json()
             .get("servers", {}).get("", {}).get("ready"), f"{user}'s server")


def test_course_membership_comes_from_the_hubs_groups(hub_course, running_hub):
    """Issue 15b, item 1: nbgrader's JupyterHubAuthPlugin, with the server's own token.

    After the browser test released ps1. In their servers' environments (token, hub API address,
    JUPYTER_CONFIG_PATH, exactly as a JupyterLab terminal has them), alice (group
    nbgrader-<course> in the hub) lists ps1; outsider (a student of another course in the hub)
    does not see the course and cannot fetch or submit. Without the plugin (the configuration
    every account reads, no student folder), outsider does see ps1: the plugin is what hides it.
    """
    c = hub_course
    url, passwords = running_hub
    course = c.settings.course_id
    alice, outsider = c.users["alice"], c.users["outsider"]
    start_server(url, alice, passwords[alice])
    start_server(url, outsider, passwords[outsider])
    alice_env, outsider_env = server_environment(alice), server_environment(outsider)
    assert "jupyter-student" in outsider_env["JUPYTER_CONFIG_PATH"]
    assert outsider_env["JUPYTERHUB_API_TOKEN"]

    def said(proc):
        return proc.stdout + proc.stderr

    listed = as_user(c, "alice", ["nbgrader", "list"], env=alice_env)
    assert listed.returncode == 0 and f"{course} ps1" in said(listed), said(listed)[-2000:]
    plain = as_user(c, "outsider", ["nbgrader", "list"])   # no plugin: the course is visible
    assert plain.returncode == 0 and f"{course} ps1" in said(plain), said(plain)[-2000:]
    listed = as_user(c, "outsider", ["nbgrader", "list"], env=outsider_env)
    assert listed.returncode == 0, said(listed)[-2000:]
    assert f"{course} ps1" not in said(listed)
    fetch = as_user(c, "outsider", ["nbgrader", "fetch_assignment", "ps1", "--replace"],
                    env=outsider_env)
    assert fetch.returncode != 0 and "do not have access" in said(fetch), said(fetch)[-2000:]
    # A copy fetched without the plugin: submitting it is refused all the same.
    assert as_user(c, "outsider", ["nbgrader", "fetch_assignment", "ps1", "--replace"]
                   ).returncode == 0
    submit = as_user(c, "outsider", ["nbgrader", "submit", "ps1"], env=outsider_env)
    assert submit.returncode != 0 and "do not have access" in said(submit), said(submit)[-2000:]
    inbound = c.settings.exchange_root / course / "inbound"
    assert not [p for p in inbound.iterdir() if p.name.startswith(outsider + "+")]


def gradebook(c, code: str) -> str:
    """Run ``code`` as the instructor with nbgrader's gradebook open as ``gb``; its stdout."""
    prelude = ("from nbgrader.api import Gradebook\n"
               f"gb = Gradebook('sqlite:///{c.course_dir}/gradebook.db', "
               f"course_id={c.settings.course_id!r})\n")
    done = as_user(c, "instructor", ["python", "-c", prelude + code], cwd=c.course_dir)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


@in_fresh_thread
def test_instructor_marks_in_formgrader_and_student_fetches_feedback(hub_course, running_hub):
    """After the previous test's browser submission: collect and grade (sudo rule), then the
    instructor scores bob's written answer and comments on it in Formgrader's grading page, grades
    again, releases feedback; bob fetches it with the Assignments tab's "Fetch Feedback" button
    and his feedback shows the score and the comment."""
    c = hub_course
    url, passwords = running_hub
    bob, inst = c.users["bob"], c.users["instructor"]
    comment = "Name the two phases of learning in your answer."
    grade = ["sudo", "-n", c.settings.grade_program, c.settings.etc / "grade.json", "ps1",
             "--jobs", "1"]
    for args in (["nbgrader", "collect", "ps1"], grade + ["--no-feedback"]):
        done = as_user(c, "instructor", args, cwd=c.course_dir, timeout=1200)
        assert done.returncode == 0, done.stderr[-2000:]
    notebook_id = gradebook(c, f"print(gb.find_submission_notebook('ps1', 'ps1', {bob!r}).id)")
    shots = REPO / "test-artifacts" / "hub"
    with logged_in_page(url, inst, passwords[inst]) as page:
        lab = page.request.get(f"{url}/user/{inst}/lab")
        assert "@jupyter/nbgrader:formgrader" not in page_config(lab.text())[
            "disabledExtensions"], "the instructor's lab hides formgrader"
        page.goto(f"{url}/user/{inst}/formgrader/submissions/{notebook_id}/?index=0")
        # Formgrader binds its save handlers only once it has fetched the grades and comments
        # (formgrade.js: the fetch callbacks of FormGrader.loadGrades/loadComments make the
        # GradeUI/CommentUI views, then set .loaded); typing before that is lost. Seen in a run
        # beside a second test suite: wait for it, never race it. (FormGrader.loaded itself is
        # not waited for: init() may stop later, offline, after both fetches have started.)
        page.wait_for_function("() => window.formgrader && formgrader.grades"
                               " && formgrader.grades.loaded && formgrader.comments"
                               " && formgrader.comments.loaded")
        page.fill("#q1_answer", "2")
        page.press("#q1_answer", "Tab")
        page.fill("#q1_answer-comment", comment)
        page.press("#q1_answer-comment", "Tab")
        wait_for(lambda: gradebook(c, (
            f"g = gb.find_grade('q1_answer', 'ps1', 'ps1', {bob!r})\n"
            f"m = gb.find_comment('q1_answer', 'ps1', 'ps1', {bob!r})\n"
            "print(g.manual_score == 2 and m.manual_comment is not None and "
            f"m.manual_comment.strip() == {comment!r})")) == "True", "Formgrader to save")
        page.screenshot(path=str(shots / "instructor-formgrader.png"), full_page=True)
    done = as_user(c, "instructor", grade, cwd=c.course_dir, timeout=1200)
    assert done.returncode == 0, done.stderr[-2000:]
    done = as_user(c, "instructor", ["nbgrader", "release_feedback", "ps1"], cwd=c.course_dir)
    assert done.returncode == 0, done.stderr[-2000:]
    with logged_in_page(url, bob, passwords[bob]) as page:
        page.get_by_text("Nbgrader", exact=True).click()
        page.get_by_text("Assignment List", exact=True).click()
        page.locator("#submitted_assignments_list button", has_text="Fetch Feedback").click()
        wait_for(lambda: list((c.home("bob") / "ps1" / "feedback").rglob("ps1.html"))
                 if (c.home("bob") / "ps1" / "feedback").exists() else None, "feedback")
        feedback = next((c.home("bob") / "ps1" / "feedback").rglob("ps1.html"))
        relative = feedback.relative_to(c.home("bob")).as_posix()
        page.goto(f"{url}/user/{bob}/files/{relative}")
        page.get_by_text(comment).wait_for()
        page.screenshot(path=str(shots / "student-feedback.png"), full_page=True)
    text = feedback.read_text()
    assert comment in text
    assert re.search(r"Score:\s*2(\.0)?\s*/\s*3", text), "the manual score is not in the feedback"
