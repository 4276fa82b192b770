"""The kernel's mount namespace: what the launcher hides from a student's kernel, and the private
scratch folders it gives it (``course_tools.sandbox.launcher`` calls :func:`hide` then
:func:`private_scratch`, as root, before the user switch).

Mounts are made with ``mount(2)`` through ctypes: covering a folder and binding parts of it back
(the Python installation under a closed folder; the student's sandbox folder under ``/tmp``) would
otherwise need a shell script run inside ``unshare --mount``. Sources: ``mount(2)``,
``mount_namespaces(7)`` (private propagation, so nothing reaches the grading machine's own mounts),
``tmpfs(5)`` (the ``size`` and ``nr_inodes`` options).
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    1, 2, 4, 32, 4096, 16384, 1 << 18)


def _blocked_ancestor(path: str) -> str | None:
    """The first folder on ``path`` that other users cannot pass through, or None."""
    current = "/"
    for part in Path(path).parts[1:]:
        current = os.path.join(current, part)
        if os.path.isdir(current) and not os.stat(current).st_mode & 0o001:
            return current
    return None


def _mount(libc, source: bytes | None, target: str, fstype: bytes | None, flags: int,
           data: bytes | None = None) -> None:
    if libc.mount(source, target.encode(), fstype, flags, data) != 0:
        raise OSError(ctypes.get_errno(), f"mount on {target} failed")


def _expose_plan(expose: list[str]) -> list[tuple[str, list[str]]]:
    """[(closed folder, [folders under it the kernel must reach]), ...] for ``expose``.

    A folder is closed when other users cannot pass through it (``/root`` for a pyenv Python, or a
    private temporary folder holding the virtual environment). Folders inside another exposed
    folder, or with nothing closed above them, need nothing.
    """
    plan: dict[str, list[str]] = {}
    paths = sorted({os.path.realpath(p) for p in expose if p})
    for path in paths:
        if any(path != other and path.startswith(other.rstrip("/") + "/") for other in paths):
            continue
        blocked = _blocked_ancestor(path)
        if blocked:
            plan.setdefault(blocked, []).append(path)
    return sorted(plan.items())


def hide(paths: list[str], expose: list[str], scratch: Path) -> list[str]:
    """Enter a new mount namespace; cover each path with an empty read-only tmpfs.

    ``expose`` lists folders the kernel must reach (the Python installation and the virtual
    environment); if a folder above one of them is closed to other users (``/root`` for a pyenv
    Python, a private temporary folder), that folder is covered with an empty tmpfs and only the
    exposed folders under it are bound back into it, read-only.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS) failed")
    _mount(libc, b"none", "/", None, MS_REC | MS_PRIVATE)
    hidden = []
    for number, (blocked, keep_paths) in enumerate(_expose_plan(expose)):
        kept = []
        for index, path in enumerate(keep_paths):
            keep = scratch / f"expose-{number}-{index}"
            keep.mkdir(exist_ok=True)
            _mount(libc, path.encode(), str(keep), None, MS_BIND | MS_REC)
            kept.append((path, keep))
        _mount(libc, b"tmpfs", blocked, b"tmpfs", MS_NOSUID | MS_NODEV, b"size=64k,mode=755")
        for path, keep in kept:
            os.makedirs(path, mode=0o755, exist_ok=True)
            _mount(libc, str(keep).encode(), path, None, MS_BIND | MS_REC)
            _mount(libc, None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY)
            libc.umount2(str(keep).encode(), 2)  # MNT_DETACH
        hidden.append(f"{blocked} (except {', '.join(keep_paths)})")
    for path in paths:
        if not path or not os.path.isdir(path):
            continue
        _mount(libc, b"tmpfs", path, b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV,
               b"size=4k,mode=555")
        hidden.append(path)
    return hidden


#: World-writable folders of which every kernel gets a fresh, empty copy of its own: a tmpfs mounted
#: in its mount namespace (:func:`private_scratch`), so that no student reads what an earlier one
#: left there, and none fills the grading machine's disk or memory through them.
PRIVATE_SCRATCH = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
#: Mount options of each such tmpfs: at most 64 MiB and 16,384 files (memory is used only as files
#: are written; the kernel's own ``TMPDIR`` is in its working folder, under the file-size limit).
PRIVATE_SCRATCH_OPTIONS = b"size=64m,nr_inodes=16384,mode=1777"


def _outermost_inside(folder: str, paths: list[str]) -> list[str]:
    """The real paths of ``paths`` below ``folder``, without those inside another of them."""
    prefix = folder.rstrip("/") + "/"
    inside = sorted({real for real in (os.path.realpath(p) for p in paths if p)
                     if real.startswith(prefix)})
    return [p for p in inside if not any(p != q and p.startswith(q + "/") for q in inside)]


def private_scratch(keep: list[str]) -> list[str]:
    """Cover each folder of :data:`PRIVATE_SCRATCH` with a fresh tmpfs; returns the folders covered.

    Must be called in a mount namespace of this process's own (after :func:`hide`), as root; the
    mounts are then seen by this process and the kernel it becomes, and by nobody else. The folders of
    ``keep`` (the student's sandbox folder, the folder of the kernel's sockets, the Python
    installation) that lie below a covered folder are bound back at the same paths, through a
    descriptor opened before the covering (``/proc/self/fd/N`` as the source of a bind mount), so
    that the kernel still reaches them. Folders that are missing, or symbolic links, are skipped.

    Raises
    ------
    OSError
        If a mount fails (the caller reports it as an isolation error).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    covered: list[str] = []
    for folder in PRIVATE_SCRATCH:
        if os.path.islink(folder) or not os.path.isdir(folder):
            continue
        real = os.path.realpath(folder)
        if real in covered:
            continue
        held = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC))
                for path in _outermost_inside(real, keep) if os.path.isdir(path)]
        try:
            _mount(libc, b"tmpfs", real, b"tmpfs", MS_NOSUID | MS_NODEV, PRIVATE_SCRATCH_OPTIONS)
            for path, fd in held:
                os.makedirs(path, mode=0o755, exist_ok=True)
                _mount(libc, f"/proc/self/fd/{fd}".encode(), path, None, MS_BIND | MS_REC)
        finally:
            for _path, fd in held:
                os.close(fd)
        covered.append(real)
    return covered


#: Room a kernel's working folder has beyond the files copied into it, in bytes (see private_work).
WORK_HEADROOM = 256 * 2**20


def private_work(work: Path, content_bytes: int) -> str:
    """Mount a fresh tmpfs on ``work`` (the kernel's working folder), in this process's own mount
    namespace (after :func:`hide`, as root); returns its size option.

    Its size is ``content_bytes`` (what will be copied in: the student's files and the assignment's
    data files) plus :data:`WORK_HEADROOM`, with at most 65,536 files: the working folder was on
    the grading machine's disk with no limit on its total, so one student could fill that disk
    and make the students graded after or beside them fail (found by a hostile-student trial). The
    grading machine never sees the folder's contents; nothing is read back from it.

    Raises
    ------
    OSError
        If the mount fails.
    """
    size = f"size={max(0, int(content_bytes)) + WORK_HEADROOM}"
    libc = ctypes.CDLL(None, use_errno=True)
    _mount(libc, b"tmpfs", str(work), b"tmpfs", MS_NOSUID | MS_NODEV,
           f"{size},nr_inodes=65536,mode=700".encode())
    return size
