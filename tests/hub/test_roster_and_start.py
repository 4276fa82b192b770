"""The roster command's checks and the hub's start-up checks (issue 15, items 1 and 5).

Bad rosters are refused with every problem listed and nothing changed; ``hub start`` refuses with a
clear message when the proxy is missing or the port is taken. The account tests run as root.
"""

from __future__ import annotations

import json
import pwd
import socket
import stat
import subprocess
from pathlib import Path

import pytest

from hub.roster import RosterError, read_roster
from hub.settings import Settings
from hubtools import hub_course, hub_install  # noqa: F401  (fixtures)
from hub.start import problems


def roster(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(text)
    return path


def test_good_roster_gets_the_prefix(tmp_path):
    members = read_roster(roster(tmp_path, "username,role\nprof,instructor\nann,student\n"), "t-")
    assert [(m.username, m.role) for m in members] == [("t-prof", "instructor"),
                                                       ("t-ann", "student")]


@pytest.mark.parametrize("text, expected", [
    ("username,role\nprof,instructor\nann,student\nann,student\n", "duplicate user name 't-ann'"),
    ("username,role\nprof,instructor\nAnn Lee,student\n", "invalid user name 't-Ann Lee'"),
    ("username,role\nprof,instructor\nbob+ps1,student\n", "invalid user name 't-bob+ps1'"),
    ("username,role\nprof,instructor\nann,guest\n", "unknown role 'guest'"),
    ("username,role\nann,student\n", "exactly one instructor"),
    ("name,kind\nann,student\n", "username,role"),
])
def test_bad_roster_is_refused_with_every_problem(tmp_path, text, expected):
    with pytest.raises(RosterError) as err:
        read_roster(roster(tmp_path, text), "t-")
    assert expected in str(err.value)
    assert "nothing changed" in str(err.value)


def test_roster_command_changes_nothing_on_a_bad_roster(tmp_path):
    path = roster(tmp_path, "username,role\nprof,instructor\nzz-dup,student\nzz-dup,student\n")
    done = subprocess.run(["python3", "-m", "hub", "roster", str(path), "--prefix", "hubtbad-"],
                          capture_output=True, text=True, cwd=Path(__file__).parents[2])
    assert done.returncode == 2 and "duplicate user name 'hubtbad-zz-dup'" in done.stderr
    with pytest.raises(KeyError):
        pwd.getpwnam("hubtbad-prof")


def test_start_reports_missing_proxy_and_busy_ports(tmp_path):
    with socket.socket() as busy, socket.socket() as busy_api, socket.socket() as free:
        for sock in (busy, busy_api, free):
            sock.bind(("127.0.0.1", 0))
        busy.listen()
        busy_api.listen()
        settings = Settings(prefix=tmp_path / "nothing", etc=tmp_path / "etc",
                            port=busy.getsockname()[1], hub_port=busy_api.getsockname()[1],
                            proxy_api_port=free.getsockname()[1])
        free.close()  # bound, not listening: free again for the check
        found = "\n".join(problems(settings))
    assert "proxy" in found and "python3 -m hub setup" in found
    assert f"port {settings.port} on 127.0.0.1 is in use" in found
    assert f"port {settings.hub_port} on 127.0.0.1 is in use" in found and "--hub-port" in found
    assert "--proxy-api-port" not in found
    assert "python3 -m hub roster" in found


def test_accounts_have_closed_homes_and_groups(hub_course):
    c = hub_course
    for who in ("instructor", "ta", "alice"):
        mode = stat.S_IMODE(c.home(who).stat().st_mode)
        assert mode == 0o700, (who, oct(mode))
    import grp
    assert set(grp.getgrnam(c.settings.student_group).gr_mem) == {
        c.users[s] for s in ("alice", "bob", "carol")}
    assert set(grp.getgrnam(c.settings.instructor_group).gr_mem) == {
        c.users["instructor"], c.users["ta"]}
    import json
    hub_roster = json.loads((c.settings.etc / "roster.json").read_text())
    assert hub_roster["admin_users"] == [c.users["instructor"]]
    assert c.users["outsider"] in hub_roster["allowed_users"]
    pointer = c.home("instructor") / ".jupyter" / "nbgrader_config.py"
    assert str(c.course_dir) in pointer.read_text()


def test_exchange_with_wrong_permissions_is_repaired_by_the_roster_command(hub_course):
    from hub.course import exchange_folders
    inbound = hub_course.settings.exchange_root / hub_course.settings.course_id / "inbound"
    inbound.chmod(0o777)
    exchange_folders(hub_course.settings)
    assert stat.S_IMODE(inbound.stat().st_mode) == 0o2750


def test_setup_pins_formgrader_on_in_the_lab_environment(tmp_path):
    """A hand-made lock or disable in the lab environment is replaced by setup (issue 15b, item 5)."""
    from hub.setup import pin_lab_extensions
    page = tmp_path / "etc" / "jupyter" / "labconfig" / "page_config.json"
    page.parent.mkdir(parents=True)
    page.write_text(json.dumps({"disabledExtensions": {"@jupyter/nbgrader:formgrader": True},
                                "lockedExtensions": {"@jupyter/nbgrader:formgrader": True}}))
    pin_lab_extensions(tmp_path)
    data = json.loads(page.read_text())
    assert data == {"disabledExtensions": {"@jupyter/nbgrader:formgrader": False,
                                           "@jupyter/nbgrader:create-assignment": False}}
    server = json.loads((tmp_path / "etc" / "jupyter" / "jupyter_server_config.d" /
                         "nbgrader.server_extensions.formgrader.json").read_text())
    assert server["ServerApp"]["jpserver_extensions"]["nbgrader.server_extensions.formgrader"]


def test_students_configuration_turns_formgrader_off(hub_course):
    """ETC/jupyter-student, written by the roster command, disables formgrader (issue 15b, item 2)."""
    folder = hub_course.settings.etc / "jupyter-student"
    server = json.loads((folder / "jupyter_server_config.json").read_text())
    assert server["ServerApp"]["jpserver_extensions"] == {
        "nbgrader.server_extensions.formgrader": False}
    page = json.loads((folder / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"]["@jupyter/nbgrader:formgrader"] is True


def test_teaching_assistant_cannot_grade_as_root(hub_course):
    """The grading rule is the instructor's alone (it amounts to root): a TA's sudo is refused."""
    from hubtools import as_user
    c = hub_course
    grade = ["sudo", "-n", c.settings.grade_program, c.settings.etc / "grade.json", "ps1"]
    refused = as_user(c, "ta", grade)
    assert refused.returncode != 0
    assert "password is required" in refused.stderr or "not allowed" in refused.stderr, \
        refused.stderr
    rules = c.settings.sudoers_file.read_text()
    assert c.users["ta"] not in rules and c.settings.instructor_group not in rules


def test_setup_asks_for_python3_venv_when_ensurepip_is_missing():
    """A fresh Debian has python3 without python3-venv: setup must install it (issue 15b, item 5)."""
    from hub.setup import missing_debian_packages
    assert "python3-venv" in missing_debian_packages(python="/bin/false")
    import sys
    assert "python3-venv" not in missing_debian_packages(python=sys.executable)
