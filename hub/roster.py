"""``python3 -m hub roster ROSTER.csv``: the class's accounts, groups and hub users from one roster.

The roster is a CSV file with a header ``username,role`` and optionally ``password``; roles are
``instructor`` (exactly one), ``ta`` and ``student``. Applying it (as root):

- checks every row first and stops, changing nothing, on any problem (all problems are listed):
  a duplicate or invalid user name (lower-case letter or ``_`` first, then lower-case letters,
  digits, ``_`` or ``-``, at most 32 characters with the prefix; no ``+``, which nbgrader's
  exchange uses as a separator), an unknown role, not exactly one instructor;
- creates missing accounts with ``useradd -m`` (home folders then chmod 0700: Debian's default
  leaves them readable by everyone) and sets passwords with ``chpasswd`` (a row without one gets
  a random password, written to ``ETC/passwords.csv``, readable by root only);
- puts students in ``nbgrader-<course>`` and the instructor and teaching assistants in
  ``formgrade-<course>`` (nbgrader's group names for JupyterHub courses), and writes
  ``ETC/roster.json`` with JupyterHub's ``allowed_users``, ``admin_users`` (the instructor) and
  groups, read by ``hub/jupyterhub_config.py``;
- then lays out the course (``hub/course.py``).

``--remove`` deletes the roster's accounts (their processes first, then ``userdel -r``), the
groups and the course's sudo rule. ``--prefix P`` prepends ``P`` to every user name (tests use a
prefix of their own so their accounts can never collide with a real class).
"""

from __future__ import annotations

import csv
import grp
import json
import os
import pwd
import re
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

NAME_RE = re.compile(r"^[a-z_][a-z0-9_-]*$")
ROLES = ("instructor", "ta", "student")


class RosterError(ValueError):
    """A roster that cannot be applied; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("roster refused, nothing changed:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class Member:
    """One roster row, with the prefix applied to ``username``."""

    username: str
    role: str
    password: str = ""


def read_roster(path: Path, prefix: str = "") -> list[Member]:
    """Parse and check a roster file; raise RosterError listing every problem (nothing changed)."""
    problems: list[str] = []
    members: list[Member] = []
    seen: dict[str, int] = {}
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise RosterError([f"cannot read {path}: {err}"]) from None
    if rows and not {"username", "role"} <= set(rows[0]):
        raise RosterError([f"{path}: the header must name the columns username,role[,password]"])
    for line, row in enumerate(rows, start=2):
        name = prefix + (row.get("username") or "").strip()
        role = (row.get("role") or "").strip().lower()
        if not NAME_RE.match(name) or len(name) > 32:
            problems.append(f"line {line}: invalid user name {name!r} (lower-case letter or _ "
                            "first, then a-z 0-9 _ -; at most 32 characters)")
        if name in seen:
            problems.append(f"line {line}: duplicate user name {name!r} (first on line {seen[name]})")
        seen.setdefault(name, line)
        if role not in ROLES:
            problems.append(f"line {line}: unknown role {role!r} (instructor, ta or student)")
        members.append(Member(name, role, (row.get("password") or "").strip()))
    if not rows:
        problems.append(f"{path}: no rows")
    elif sum(m.role == "instructor" for m in members) != 1:
        problems.append("the roster needs exactly one instructor")
    if problems:
        raise RosterError(problems)
    return members


def _group(name: str, members: list[str]) -> None:
    try:
        grp.getgrnam(name)
    except KeyError:
        subprocess.run(["groupadd", name], check=True)
    subprocess.run(["gpasswd", "-M", ",".join(members), name], check=True, capture_output=True)


def _exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def create_accounts(members: list[Member], course_id: str, etc: Path) -> dict:
    """Create accounts, passwords and groups; return the hub's roster (also in ``etc/roster.json``)."""
    generated = []
    for m in members:
        if not _exists(m.username):
            subprocess.run(["useradd", "-m", "-U", "-s", "/bin/bash", m.username], check=True)
        home = Path(pwd.getpwnam(m.username).pw_dir)
        home.chmod(0o700)
        password = m.password or secrets.token_urlsafe(12)
        if not m.password:
            generated.append((m.username, password))
        subprocess.run(["chpasswd"], input=f"{m.username}:{password}\n", text=True, check=True)
    students = [m.username for m in members if m.role == "student"]
    staff = [m.username for m in members if m.role in ("instructor", "ta")]
    _group(f"nbgrader-{course_id}", students)
    _group(f"formgrade-{course_id}", staff)
    etc.mkdir(parents=True, exist_ok=True)
    if generated:
        path = etc / "passwords.csv"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write("username,password\n" + "".join(f"{u},{p}\n" for u, p in generated))
    roster = {
        "allowed_users": sorted(m.username for m in members),
        "admin_users": [m.username for m in members if m.role == "instructor"],
        "instructor": next(m.username for m in members if m.role == "instructor"),
        "groups": {f"nbgrader-{course_id}": students, f"formgrade-{course_id}": staff},
    }
    (etc / "roster.json").write_text(json.dumps(roster, indent=1))
    (etc / "roster.json").chmod(0o644)
    return roster


def processes_of(uid: int) -> list[int]:
    """Process ids whose real or effective user id is ``uid`` (from /proc)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                for line in fh:
                    if line.startswith("Uid:"):
                        if str(uid) in line.split()[1:3]:
                            pids.append(int(entry))
                        break
        except OSError:
            continue
    return pids


def remove_account(name: str) -> None:
    """End the account's processes (by pid), then ``userdel -r``. No error if it does not exist."""
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in processes_of(uid):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        for _ in range(50):
            if not processes_of(uid):
                break
            time.sleep(0.1)
    subprocess.run(["userdel", "-r", "-f", name], capture_output=True)


def remove_group(name: str) -> None:
    subprocess.run(["groupdel", name], capture_output=True)
