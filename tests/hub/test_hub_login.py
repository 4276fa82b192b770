"""The class hub itself on 127.0.0.1: PAM login with real passwords, each server as its own user.

Starts JupyterHub (``hub.start.command``: the hub environment, the npm proxy) for the module's
course with roster-generated passwords, logs in over HTTP as a student, starts her server and
checks that the single-user server's process runs under her uid (issue 15, item 1); a wrong
password and an account outside the roster are turned away. The hub is stopped by its process id
in a finalizer.
"""

from __future__ import annotations

import csv
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

from hubtools import REPO

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
    settings.port = free_port()
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
