"""Helpers and fixtures for the class hub tests (issue 15; test modules import the fixtures): the installed environments, a course with real accounts.

As root only (CI runs as root): ``hub_install`` runs ``hub.setup.setup`` once per session (the
first run on a machine installs the hub and lab environments from PyPI and the proxy from npm, a
few minutes; later runs take a second). ``hub_course`` creates, for one test module, an instructor,
a teaching assistant, three students and a student of another course, all with a random prefix
of their own (``hubt<hex>-``), an exchange and configuration under ``/var/tmp/hubt<hex>``, and a
sudo rule file; its finalizer removes the accounts (their processes first), the groups, the
exchange account, the sudo rule and the folder, also when a test failed.

``as_user(course, user, args)`` runs a command as that account with ``runuser`` (no root left:
runuser switches real and effective ids and groups), with the lab environment first on PATH and
the course's nbgrader configuration on JUPYTER_CONFIG_PATH, as the hub's spawner does for staff.
A student's server also has ``etc/jupyter-student`` first on that path (no formgrader; course
membership asked of the hub with the server's token): commands run here, without a hub, leave it
out; ``test_hub_login.py`` runs students' commands with their servers' own environment.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import contextlib
import importlib.util

import pytest

from hub import roster as roster_mod
from hub.course import install_course
from hub.settings import Settings

STUDENTS = ("alice", "bob", "carol")
REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("_suite_conftest", REPO / "tests" / "conftest.py")
suite = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(suite)   # the suite's helpers (COURSE, fill_solutions, load_nb)


@dataclass
class HubCourse:
    """A course with real accounts: ``users`` maps a role name (alice, ...) to the account name."""

    settings: Settings
    base: Path
    users: dict
    course_dir: Path

    def home(self, who: str) -> Path:
        return Path(pwd.getpwnam(self.users[who]).pw_dir)


def as_user(course: HubCourse, who: str, args: list, cwd: Path | None = None,
            input: bytes | str | None = None, env: dict | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``args`` as ``course.users[who]`` (runuser), in their home unless ``cwd`` is given."""
    user = course.users[who]
    home = course.home(who)
    lab = course.settings.lab_env / "bin"
    clean = {"HOME": str(home), "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
             "PATH": f"{lab}:/usr/sbin:/usr/bin:/sbin:/bin",
             "JUPYTER_CONFIG_PATH": str(course.settings.etc / "jupyter"),
             **(env or {})}
    cmd = ["runuser", "-u", user, "--", "env", "-i", *[f"{k}={v}" for k, v in clean.items()],
           *[str(a) for a in args]]
    return subprocess.run(cmd, cwd=cwd or home, input=input, capture_output=True,
                          text=not isinstance(input, bytes), timeout=timeout)


def _need_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("the class hub tests create real accounts: run as root (as CI does)")


@pytest.fixture(scope="session")
def hub_install() -> Settings:
    """The hub's environments, proxy and programs, installed (idempotent)."""
    _need_root()
    from hub.setup import setup
    settings = Settings()
    setup(settings)
    return settings


def remove_everything(settings: Settings, base: Path, names: list) -> None:
    """The finalizer: accounts (processes first), groups, exchange account, sudo rule, folder."""
    for name in names:
        roster_mod.remove_account(name)
    roster_mod.remove_account(settings.exchange_user)
    for group in (settings.student_group, settings.instructor_group, "hubt-other-" + settings.course_id):
        roster_mod.remove_group(group)
    settings.sudoers_file.unlink(missing_ok=True)
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def hub_course(hub_install, tmp_path_factory):
    """A course with real accounts (see the module docstring); removed afterwards."""
    tag = secrets.token_hex(3)
    prefix = f"hubt{tag}-"
    base = Path(f"/var/tmp/hubt{tag}")
    base.mkdir(mode=0o755)
    base.chmod(0o755)
    settings = Settings(course_id=f"hubt{tag}", etc=base / "etc", exchange_root=base / "exchange",
                        exchange_user=f"{prefix}x", account_prefix=prefix)
    roster = base / "roster.csv"
    roster.write_text("username,role,password\ninstructor,instructor,\nta,ta,\n"
                      + "".join(f"{s},student,\n" for s in STUDENTS) + "outsider,student,\n")
    members = roster_mod.read_roster(roster, prefix)
    names = [m.username for m in members]
    users = {m.username[len(prefix):]: m.username for m in members}
    try:
        # outsider is a student of another course: created, then taken out of this course's group.
        hub_roster = roster_mod.create_accounts(members, settings.course_id, settings.etc)
        subprocess.run(["gpasswd", "-d", users["outsider"], settings.student_group], check=True,
                       capture_output=True)
        # ... and in JupyterHub's groups (read by nbgrader's JupyterHubAuthPlugin), a student of
        # course other<tag>, not of this one.
        hub_roster["groups"][settings.student_group].remove(users["outsider"])
        hub_roster["groups"][f"nbgrader-other{tag}"] = [users["outsider"]]
        (settings.etc / "roster.json").write_text(json.dumps(hub_roster, indent=1))
        course_dir = install_course(settings, hub_roster)
        yield HubCourse(settings, base, users, course_dir)
    finally:
        remove_everything(settings, base, names)


def in_fresh_thread(test):
    """Run ``test`` in a thread of its own and re-raise what it raised.

    Playwright's sync API refuses to run where an asyncio loop is running, and earlier tests of a
    whole-suite run (nbgrader and nbclient driven in-process) can leave the main thread so; a new
    thread has no event loop at all.
    """
    import functools
    import threading

    @functools.wraps(test)
    def run(*args, **kwargs):
        failure = []

        def target():
            try:
                test(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
                failure.append(exc)

        thread = threading.Thread(target=target, name=test.__name__)
        thread.start()
        thread.join()
        if failure:
            raise failure[0]
    return run


#: Seconds a browser step may wait: generous, the machine may be loaded; nothing is judged by speed.
BROWSER_WAIT = 240


@contextlib.contextmanager
def logged_in_page(url: str, username: str, password: str):
    """A Playwright page of Debian's Chromium, logged in to the hub at ``url`` as ``username``,
    with JupyterLab loaded; the browser is closed afterwards. Use inside :func:`in_fresh_thread`
    (Playwright's sync API refuses to start in a thread with a running asyncio loop)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                     args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(BROWSER_WAIT * 1000)
            page.goto(url + "/hub/login")
            page.fill("#username_input", username)
            page.fill("#password_input", password)
            page.click("#login_submit")
            page.wait_for_selector(".jp-LabShell")
            yield page
        finally:
            browser.close()
