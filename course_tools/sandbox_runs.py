"""Sandbox user ids and the run's temporary folder: claimed safely, released only when provably free.

User ids. Each student's kernel runs as a user id of its own (:func:`claim_uid`), never shared with
another student of the run, and an id is only taken when no process of it lives (a leftover of an
earlier run would count against its process limit, and could reach the kernel's files). Ids are
claimed with an exclusive ``flock`` on ``/tmp/course-sandbox-uid-<id>.lock``, held until the run
ends, so that concurrent runs (and other checkouts of this repository) never share one.

Run folders. Each grading run keeps its sandbox folders (copies of student work, kernels'
connection files) in ``<temp>/course-sandbox-XXXXXXXX/`` (:func:`make_run_folder`), which holds
``owner.lock``: a lock held by the run's process and inherited by its grading processes, so it is
free only once every one of them has ended (a run killed with SIGKILL included; its grading
processes die with it). :func:`remove_stale_run_folders` removes a folder only while holding that
free lock; a folder whose lock is held (a concurrent run) or that has no lock file (being created,
or made by an older version) is left alone.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import tempfile
from pathlib import Path

#: First user id used for sandboxed kernels, and how many ids may be used.
SANDBOX_UID_BASE = 64000
SANDBOX_UID_COUNT = 10000
#: Where the user-id locks live (fixed, so that every checkout and run shares them).
LOCK_DIR = Path("/tmp")
RUN_PREFIX = "course-sandbox-"
OWNER_LOCK = "owner.lock"


def processes_of_uid(uid: int) -> list[int]:
    """Process ids whose real user id is ``uid`` (Linux /proc)."""
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


def kill(pids: list[int]) -> None:
    """SIGKILL each process; those already gone are ignored."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def claim_uid(held: list, first: int = SANDBOX_UID_BASE, count: int = SANDBOX_UID_COUNT) -> int:
    """Claim a sandbox user id that no run holds and no process uses; its lock is added to ``held``.

    Raises
    ------
    RuntimeError
        If every id of the range is taken.
    """
    for uid in range(first, first + count):
        try:
            fh = open(LOCK_DIR / f"course-sandbox-uid-{uid}.lock", "w")
        except OSError:
            continue
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            continue
        if processes_of_uid(uid):
            fh.close()
            continue
        held.append(fh)
        return uid
    raise RuntimeError(f"no free sandbox user id in {first}..{first + count - 1}")


def make_run_folder() -> tuple[Path, object]:
    """A fresh run folder in the system's temporary folder and its held owner lock (an open file).

    The lock is taken on a temporary name and then renamed into place, so that no other run can
    ever find ``owner.lock`` unlocked while this run lives.
    """
    folder = Path(tempfile.mkdtemp(prefix=RUN_PREFIX))
    fh = open(folder / f".{OWNER_LOCK}.new", "w")
    fcntl.flock(fh, fcntl.LOCK_EX)
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    os.rename(folder / f".{OWNER_LOCK}.new", folder / OWNER_LOCK)
    return folder, fh


def remove_stale_run_folders(own: Path | None = None) -> list[Path]:
    """Remove run folders of earlier runs that have provably ended; returns those removed."""
    removed = []
    for folder in Path(tempfile.gettempdir()).glob(RUN_PREFIX + "*"):
        if (own is not None and folder == own) or folder.is_symlink() or not folder.is_dir():
            continue
        lock = folder / OWNER_LOCK
        try:
            fh = open(lock, "r")
        except OSError:
            continue  # no lock: being created, or not ours to judge
        with fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live run holds it
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed
