#!/usr/bin/python3 -I
"""``sudo /opt/<course>/bin/course-grade CONFIG ASSIGNMENT [--no-feedback] [--jobs N]``.

The one program the instructor may run as root (sudo rule written by ``python3 -m hub roster``):
the grading pipeline's sandbox needs root to switch each kernel to an unprivileged user id and to
hide the course in a mount namespace (README, "Isolation and its limits"). It runs
``python -m course_tools.grade ASSIGNMENT --course <course folder>`` with the project's
environment, from the project folder, with a clean environment, then gives every file that the
run created in the course folder back to the instructor (nothing there stays owned by root).
Only the options above pass; the course folder and the Python come from CONFIG (root-owned JSON:
``course_dir``, ``owner``, ``python``, ``project``).

Trust: nbgrader executes the course's ``nbgrader_config.py`` as Python, so whoever may run this
command can act as root. Give the rule to the course's instructor account only (on a one-course
server, its administrator), never to teaching assistants or students.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import subprocess
import sys


def load(path: str) -> dict:
    info = os.stat(path)
    if info.st_uid != 0 or info.st_mode & 0o022:
        raise SystemExit(f"course-grade: {path} must be owned and writable by root only")
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def give_back(folder: str, uid: int, gid: int) -> None:
    """lchown everything root made under ``folder`` to the instructor (links are not followed)."""
    for top, dirs, files in os.walk(folder):
        for name in dirs + files + ["."]:
            path = os.path.normpath(os.path.join(top, name))
            st = os.lstat(path)
            if st.st_uid == 0:
                os.lchown(path, uid, gid)


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 64
    config = load(argv[1])
    assignment, options = argv[2], argv[3:]
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", assignment):
        print(f"course-grade: invalid assignment name {assignment!r}", file=sys.stderr)
        return 64
    allowed: list[str] = []
    rest = list(options)
    while rest:
        option = rest.pop(0)
        if option == "--no-feedback":
            allowed.append(option)
        elif option == "--jobs" and rest and rest[0].isdigit():
            allowed += [option, rest.pop(0)]
        else:
            print(f"course-grade: option {option!r} is not allowed here", file=sys.stderr)
            return 64
    caller = os.environ.get("SUDO_USER", "")
    if os.geteuid() != 0 or caller != config["owner"]:
        print("course-grade: run by the course's instructor through sudo", file=sys.stderr)
        return 77
    owner = pwd.getpwnam(config["owner"])
    python = config["python"]
    env = {"PATH": os.path.dirname(python) + ":/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
           "LANG": "C.UTF-8", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    cmd = [python, "-m", "course_tools.grade", assignment, *allowed, "--course",
           config["course_dir"]]
    try:
        code = subprocess.run(cmd, cwd=config["project"], env=env).returncode
    finally:
        give_back(config["course_dir"], owner.pw_uid, owner.pw_gid)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
