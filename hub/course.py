"""Lay out one course for the hub (root): exchange folders, configuration, sudo rules, course folder.

Called by ``python3 -m hub roster`` after the accounts exist. See
``course_tools/exchange/classes.py`` for the exchange's folders and why they differ from stock
nbgrader's world-writable ones. Writes (all root-owned, 0644 unless said):

- ``ETC/exchange.json``: the receiving program's configuration;
- ``ETC/grade.json``: the grading command's (course folder, owner, the project's Python);
- ``ETC/jupyter/nbgrader_config.py``: what every account's nbgrader reads (the hub puts
  ``ETC/jupyter`` on ``JUPYTER_CONFIG_PATH``): course id, exchange root, the exchange classes;
- ``/etc/sudoers.d/course-<course>``: exactly two rules, checked with ``visudo -c`` before use:
  the course's students may run the receiving program as the exchange account, with its
  configuration as the only argument; the instructor may run the grading command as root;
- ``~<instructor>/course``: the nbgrader course folder (a copy of this repository's
  ``assignments/``, closed to others, owned by the instructor), with the course's late policy.
"""

from __future__ import annotations

import json
import os
import pwd
import grp
import shutil
import subprocess
from pathlib import Path

from hub.settings import REPO, Settings

FACTORY_MODULE = "course_tools.exchange.classes"
FACTORY = {"exchange": "HardenedExchange", "fetch_assignment": "HardenedFetchAssignment",
           "fetch_feedback": "HardenedFetchFeedback",
           "release_assignment": "HardenedReleaseAssignment",
           "release_feedback": "HardenedReleaseFeedback", "list": "HardenedList",
           "submit": "HardenedSubmit", "collect": "HardenedCollect"}
LATE_POLICY = '''
# Added by `python3 -m hub roster` for the class hub (hub/course.py):
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
# Late work loses 10 % of each notebook's score per day or part of a day (course_tools/plugins/late.py).
c.AssignLatePenalties.plugin_class = "course_tools.plugins.late.PerDayLatePenalty"
c.PerDayLatePenalty.fraction_per_day = 0.1
'''


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.chown(tmp, 0, 0)
    tmp.chmod(mode)
    tmp.replace(path)


def _folder(path: Path, uid: int, gid: int, mode: int) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, uid, gid)
    path.chmod(mode)


def exchange_folders(settings: Settings) -> None:
    """Create or repair the exchange folders with the modes in the exchange's docstring."""
    try:
        pwd.getpwnam(settings.exchange_user)
    except KeyError:
        subprocess.run(["useradd", "-r", "-M", "-d", "/nonexistent", "-s", "/usr/sbin/nologin",
                        settings.exchange_user], check=True)
    exch = pwd.getpwnam(settings.exchange_user).pw_uid
    staff = grp.getgrnam(settings.instructor_group).gr_gid
    course = settings.exchange_root / settings.course_id
    _folder(settings.exchange_root, 0, 0, 0o755)
    _folder(course, 0, 0, 0o755)
    _folder(course / "outbound", 0, staff, 0o2775)
    _folder(course / "inbound", exch, staff, 0o2750)
    _folder(course / "feedback", 0, staff, 0o2771)


def nbgrader_config(settings: Settings) -> str:
    """The nbgrader configuration every account of the course reads (ETC/jupyter)."""
    lines = ["# Written by `python3 -m hub roster` (hub/course.py); do not edit by hand.",
             "c = get_config()  # noqa: F821",
             f"c.CourseDirectory.course_id = {settings.course_id!r}",
             f"c.Exchange.root = {str(settings.exchange_root)!r}",
             f"c.HardenedExchange.receive_command = {str(settings.receive_program)!r}",
             f"c.HardenedExchange.receive_config = {str(settings.etc / 'exchange.json')!r}",
             f"c.HardenedExchange.exchange_user = {settings.exchange_user!r}"]
    lines += [f"c.ExchangeFactory.{k} = {FACTORY_MODULE + '.' + v!r}" for k, v in FACTORY.items()]
    return "\n".join(lines) + "\n"


def sudo_rules(settings: Settings, instructor: str) -> str:
    return (f"# Written by `python3 -m hub roster` for course {settings.course_id} (hub/course.py).\n"
            f"%{settings.student_group} ALL=({settings.exchange_user}) NOPASSWD: "
            f"{settings.receive_program} {settings.etc / 'exchange.json'}\n"
            f"{instructor} ALL=(root) NOPASSWD: {settings.grade_program} "
            f"{settings.etc / 'grade.json'} *\n")


def course_folder(settings: Settings, instructor: str) -> Path:
    """``~instructor/course``: a copy of assignments/ (kept if it exists), owned by the instructor."""
    account = pwd.getpwnam(instructor)
    folder = Path(account.pw_dir) / "course"
    if not folder.exists():
        shutil.copytree(REPO / "assignments", folder, symlinks=False,
                        ignore=shutil.ignore_patterns("release", "submitted", "autograded",
                                                      "feedback", "reports", "preflight",
                                                      "downloaded", ".regrade-backup",
                                                      "gradebook.db", "__pycache__"))
        config = folder / "nbgrader_config.py"
        config.write_text(config.read_text() + LATE_POLICY.format(course_id=settings.course_id))
    for top, dirs, files in os.walk(folder):
        for name in dirs + files:
            os.lchown(os.path.join(top, name), account.pw_uid, account.pw_gid)
    os.chown(folder, account.pw_uid, account.pw_gid)
    folder.chmod(0o700)
    return folder


def point_formgrader(user: str, course: Path) -> None:
    """The instructor's ``~/.jupyter/nbgrader_config.py``: formgrader opens the course folder."""
    account = pwd.getpwnam(user)
    config = Path(account.pw_dir) / ".jupyter" / "nbgrader_config.py"
    if not config.exists():
        config.parent.mkdir(exist_ok=True)
        config.write_text(f"c = get_config()  # noqa: F821\nc.CourseDirectory.root = {str(course)!r}\n")
        os.chown(config.parent, account.pw_uid, account.pw_gid)
        os.chown(config, account.pw_uid, account.pw_gid)


def install_course(settings: Settings, roster: dict, formgrader: bool = True) -> Path:
    """Everything above for the roster's instructor; returns the course folder."""
    instructor = roster["instructor"]
    exchange_folders(settings)
    course = course_folder(settings, instructor)
    _write(settings.etc / "exchange.json", json.dumps({
        "course_id": settings.course_id, "exchange_root": str(settings.exchange_root),
        "student_group": settings.student_group, "exchange_user": settings.exchange_user,
        "max_bytes": 100_000_000, "max_files": 1000}, indent=1))
    _write(settings.etc / "grade.json", json.dumps({
        "course_dir": str(course), "owner": instructor, "python": str(settings.project_python),
        "project": str(REPO)}, indent=1))
    _write(settings.etc / "jupyter" / "nbgrader_config.py", nbgrader_config(settings))
    rules = sudo_rules(settings, instructor)
    candidate = settings.etc / "sudoers.candidate"
    _write(candidate, rules, 0o440)
    check = subprocess.run(["visudo", "-cf", str(candidate)], capture_output=True, text=True)
    if check.returncode:
        raise SystemExit(f"hub: the sudo rules did not pass visudo: {check.stdout}{check.stderr}")
    _write(settings.sudoers_file, rules, 0o440)
    candidate.unlink()
    if formgrader:
        point_formgrader(instructor, course)
    return course


def remove_course(settings: Settings) -> None:
    """Remove the course's sudo rule (the exchange folder and its account are kept: they hold
    the submissions; remove them by hand after the term's backups)."""
    settings.sudoers_file.unlink(missing_ok=True)
