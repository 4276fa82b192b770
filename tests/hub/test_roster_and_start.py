"""The roster command's checks and the hub's start-up checks (issue 15, items 1 and 5).

Bad rosters are refused with every problem listed and nothing changed; ``hub start`` refuses with a
clear message when the proxy is missing or the port is taken. The account tests run as root.
"""

from __future__ import annotations

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


def test_start_reports_missing_proxy_and_busy_port(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        settings = Settings(prefix=tmp_path / "nothing", etc=tmp_path / "etc",
                            port=busy.getsockname()[1])
        found = "\n".join(problems(settings))
    assert "proxy" in found and "python3 -m hub setup" in found
    assert f"port {settings.port} on 127.0.0.1 is in use" in found
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
