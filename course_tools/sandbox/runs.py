"""The grading run's temporary folder: made with an owner lock, removed only when provably abandoned.

Each grading run keeps its sandbox folders (copies of student work, kernels' connection files and
sockets) in ``<temp>/course-sandbox-XXXXXXXX/`` (:func:`make_run_folder`), which holds
``owner.lock``: a lock held by the run's process and inherited by its grading processes, so it is
free only once every one of them has ended (a run killed with SIGKILL included: its grading
processes and kernels die with it, see ``course_tools.autograde.worker`` and
``course_tools.sandbox.launcher``). :func:`remove_stale_run_folders` removes a folder only while
holding that free lock; a folder whose lock is held (a concurrent run) or that has no lock file
(being created, or made by an older version) is left alone.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

RUN_PREFIX = "course-sandbox-"
OWNER_LOCK = "owner.lock"


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
        if folder.lstat().st_uid != os.geteuid():
            continue  # not made by a grading run of ours (student code can make folders in /tmp)
        lock = folder / OWNER_LOCK
        try:  # never follow a link, never block on a FIFO planted there
            fd = os.open(lock, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            continue  # no lock: being created, or not ours to judge
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid():
            os.close(fd)
            continue
        fh = os.fdopen(fd, "r")
        with fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live run holds it
            remove_tree(folder)
            removed.append(folder)
    return removed


def empty_folder(folder: Path) -> None:
    """Remove everything inside ``folder`` (never following a link), keeping the folder itself.

    Used for a job's socket folder (``ipc-<slot>``), which each student's kernel is handed in turn:
    it is emptied before a kernel starts and after each student, so that nothing one student left
    there (a note for the next, a gigabyte of files) reaches or outlasts the next (found by a
    hostile-student trial). A missing folder, or one that is a link, is left alone.
    """
    if folder.is_symlink() or not folder.is_dir():
        return
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False):
            remove_tree(Path(entry.path))
        else:
            try:
                os.unlink(entry.path)
            except FileNotFoundError:
                pass


def remove_tree(path: Path) -> bool:
    """Remove ``path`` and everything below it, never following a link and never raising; returns
    True when nothing is left.

    It runs coreutils ``rm -rf --one-file-system``, which walks a tree of any depth without
    following links (and leaves a mount point of another file system alone). Python 3.11's
    ``shutil.rmtree`` recurses once per folder level: on a tree 1,500 folders deep that a student
    made in a job's socket folder it raised ``RecursionError``, which ``ignore_errors`` does not
    catch, and the whole class's grading crashed (found by a hostile-student trial).
    ``shutil.rmtree`` is the fallback where ``rm`` is missing.
    """
    path = Path(path)
    rm = shutil.which("rm")
    if rm:
        subprocess.run([rm, "-rf", "--one-file-system", "--", str(path)], check=False,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    if os.path.lexists(path):
        try:
            shutil.rmtree(path, ignore_errors=True)
        except RecursionError:
            pass
    return not os.path.lexists(path)
