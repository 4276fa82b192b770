"""Sandbox user ids and the processes that run under them (Linux ``/proc``).

When grading as root, every parallel autograde job runs its students' kernels under a user id of its
own (see ``course_tools.sandbox.launcher``). This module claims such ids so that two grading runs
on one machine never share one (:func:`claim_uids`), finds the processes of an id or below a process,
and kills them. Used by the autograde stage (``course_tools.autograde``) around each student.
"""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

#: First user id used for sandboxed kernels when grading as root (one id per parallel worker,
#: claimed with a lock file so that concurrent grading runs never share one).
SANDBOX_UID_BASE = 64000


def _descendants(pid: int) -> list[int]:
    """Process ids below ``pid`` (Linux /proc), deepest last."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
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


def claim_uids(n: int, locks: list) -> list[int]:
    """Claim ``n`` sandbox user ids no other grading run on this machine is using.

    Each id is held by an exclusive lock on ``<tmp>/course-sandbox-uid-<id>.lock`` (the open file is
    appended to ``locks``) until the caller closes it, so that two pipelines running at once never
    share (or kill) a kernel's user. An id that still has processes (left by an earlier, killed
    run) is skipped: they would count against the process limit of the kernels started under it.
    Ids are tried from ``SANDBOX_UID_BASE`` up; raises RuntimeError when 1000 are all taken.
    """
    import fcntl

    uids = []
    for uid in range(SANDBOX_UID_BASE, SANDBOX_UID_BASE + 1000):
        fh = open(Path(tempfile.gettempdir()) / f"course-sandbox-uid-{uid}.lock", "w")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            continue
        if _processes_of_uid(uid):  # leftovers of an earlier run would count against limits
            fh.close()
            continue
        locks.append(fh)
        uids.append(uid)
        if len(uids) == n:
            return uids
    raise RuntimeError("no free sandbox user id (1000 grading workers already running?)")
