"""Sandbox user ids and the processes that run under them (Linux ``/proc``).

When grading as root, every student's kernel runs under a user id of its own (see
``course_tools.sandbox.launcher``). This module claims such ids so that no two students, in one run
or in concurrent runs on one machine, share one, and never an id any process still uses
(:func:`claim_uid`); it finds the processes of an id or below a process, and kills them. Used by the
autograde stage (``course_tools.autograde``) around each student.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

#: First user id used for sandboxed kernels when grading as root (a fresh id per student, claimed
#: with a lock file so that no two students, in one run or in concurrent runs, share one), and how
#: many ids may be used.
SANDBOX_UID_BASE = 64000
SANDBOX_UID_COUNT = 10000
#: Where the user-id locks live (fixed, so that every checkout and run on the machine shares them).
LOCK_DIR = Path("/run/course-sandbox") if os.geteuid() == 0 else Path("/tmp")


def lock_dir() -> Path:
    """The folder of the user-id locks, checked: a real folder owned by us, writable by no one else.

    As root (the only case in which sandbox user ids are used) it is ``/run/course-sandbox``, which
    only root can create: student code, running as a sandbox user, can neither plant a lock file
    there (a symbolic link to the gradebook, or a FIFO, was opened by root in ``/tmp``: found in a
    hostile-student trial) nor take the folder's name first.

    Raises
    ------
    RuntimeError
        If the folder is a symbolic link, not ours, or writable by others.
    """
    import stat

    LOCK_DIR.mkdir(mode=0o755, exist_ok=True)
    st = os.lstat(LOCK_DIR)
    if (not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid()
            or (st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX)):
        raise RuntimeError(f"{LOCK_DIR} is not a folder owned by this user and closed to others; "
                           "remove it and grade again")
    return LOCK_DIR


def _open_lock(path: Path):
    """Open a lock file without following links or blocking on a FIFO; None if it is not a
    regular file of ours."""
    import stat

    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                     0o600)
    except OSError:
        return None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid():
        os.close(fd)
        return None
    return os.fdopen(fd, "r+")


def process_children() -> dict[int, list[int]]:
    """{parent pid: [child pids]} of every process now running (Linux ``/proc/<pid>/stat``)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    return children


def _descendants(pid: int) -> list[int]:
    """Process ids below ``pid`` (Linux /proc), deepest last."""
    children = process_children()
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _processes_of_uid(uid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                for line in (entry / "status").read_text().splitlines():
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            pids.append(int(entry.name))
                        break
            except (OSError, ValueError):
                continue
    return pids


def _kill(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def claim_uid(held: list, first: int | None = None, count: int | None = None) -> int:
    """Claim a sandbox user id that no run holds and no process uses; its lock is added to ``held``.

    The lock is an exclusive ``flock`` on ``<lock_dir()>/course-sandbox-uid-<id>.lock`` (a fixed folder, so
    that every run and every checkout on the machine shares the locks), held until the caller
    closes the file: the grading pipeline claims a fresh id for every student and holds it to the
    end of the run, so no two students, in one run or in concurrent runs, ever share one. An id
    that still has processes (left by an earlier run killed before it could clean up) is skipped.

    Raises
    ------
    RuntimeError
        If every id of the range is taken.
    """
    import fcntl

    first = SANDBOX_UID_BASE if first is None else first  # read now: the benchmark moves it
    count = SANDBOX_UID_COUNT if count is None else count
    folder = lock_dir()
    for uid in range(first, first + count):
        fh = _open_lock(folder / f"course-sandbox-uid-{uid}.lock")
        if fh is None:
            continue
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            continue
        if _processes_of_uid(uid):
            fh.close()
            continue
        held.append(fh)
        return uid
    raise RuntimeError(f"no free sandbox user id in {first}..{first + count - 1}")
