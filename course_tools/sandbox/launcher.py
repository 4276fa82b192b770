"""Run a student's kernel with limits and, where possible, without access to the course.

``course_tools.grade`` writes a kernelspec ``course-sandbox`` (:func:`write_kernelspec`) whose argv
starts this file as a script; nbgrader's ``Execute`` launches it as the kernel for every notebook it
autogrades (``--Execute.kernel_name=course-sandbox``). Before it becomes the ordinary IPython kernel
(``os.execv`` of ``python -m ipykernel_launcher``) the launcher does the following, configured by
environment variables that the grading pipeline sets for each nbgrader process:

``COURSE_SANDBOX_DIR``
    A fresh folder for this student (owned by the pipeline). The files of the kernel's working folder (the student's
    autograded folder: their extra files and the assignment's data files) are copied to
    ``<dir>/work``, *except notebooks*: nbgrader writes the notebook it is executing, hidden tests
    included, into that folder, and a student's code must not read it. The kernel runs in the copy.
``COURSE_SANDBOX_UID``
    When the launcher runs as root, the kernel runs as this user and group id, with no
    supplementary groups and no way to regain privileges, as PID 1 of a PID namespace of its own
    (:func:`namespace_argv`: util-linux ``unshare --pid --ipc --fork --kill-child --mount-proc`` then
    ``setpriv --reuid --regid --clear-groups --no-new-privs``). It cannot read files that are not
    readable by others, cannot write the gradebook or any file of the course, sees only its own
    processes, and everything it starts dies with it. The pipeline gives every student a fresh id
    (``course_tools.sandbox.uids``), so no student can reach another's sandbox folder or kernel.
    When the connection file uses the ``ipc`` transport (the pipeline's choice), the kernel also gets
    a network namespace of its own (``--net``: no network at all) and the folder of its Unix sockets
    is handed to the sandbox user, closed to everyone else. The launcher also asks Linux to kill it
    (``PR_SET_PDEATHSIG``) when the grading process that started it dies.
``COURSE_SANDBOX_HIDE``
    Paths (``os.pathsep``-separated) hidden from the kernel, when running as root: the launcher
    enters a new mount namespace and mounts an empty read-only tmpfs over each (the course root and
    the git folder of the repository holding it, where the source notebooks are in the history).
    In that namespace the world-writable folders (``/tmp``, ``/var/tmp``, ``/dev/shm``,
    ``/run/lock``) become fresh tmpfs of the kernel's own, size-limited (``mounts.private_scratch``):
    before, a student could leave files there for a later student, or fill the machine's disk.
    The kernel's standard output and error go to ``<dir>/kernel.log`` (:func:`own_output`), a
    file of this student's only, opened for writing only and, as root, readable by root alone: a
    kernel never inherits the grading process's own error file, through which it could read what
    kernels of earlier students printed at file-descriptor level (found by a hostile-student
    trial). Its standard input is ``/dev/null``.
``COURSE_SANDBOX_MPL_FONTLIST``
    matplotlib's font list (:func:`font_cache`), copied into the kernel's fresh ``MPLCONFIGDIR``
    so that the kernel does not spend seconds rebuilding it.
``COURSE_SANDBOX_MEM_MB``, ``COURSE_SANDBOX_CPU_S``, ``COURSE_SANDBOX_FSIZE_MB``, ``COURSE_SANDBOX_NPROC``
    Resource limits of the kernel (``setrlimit``): address space, CPU seconds, size of a written file,
    number of processes of the sandbox user. A kernel over its address space gets a ``MemoryError``;
    over its CPU time it is killed, which ``ResilientExecute`` reports as ``KernelDied``.

Why these tools: the PID namespace makes "nothing outlives the student" a guarantee of the Linux
kernel rather than a search of ``/proc`` that a process forking in a loop can escape; ``unshare``
and ``setpriv`` are util-linux's maintained implementations (already on every Debian system),
replacing hand-written ``setuid`` code; bubblewrap was not chosen because (as found in issue 14), run as root, its user
switch maps back to root and it exits on the interrupt signal that per-cell time limits rely on.
The mount namespace that hides the course is still made with ``mount(2)`` through ctypes
(``course_tools.sandbox.mounts``): it needs bind mounts back into covered folders, which would
otherwise need a shell script run inside ``unshare --mount``.

What it does not do (limits, stated in the README too): without root, there is no user switch and no
namespace, only the working-folder copy and the resource limits; files readable by every user
elsewhere on the machine (the virtual environment, other world-readable folders) stay readable; with
the ``tcp`` transport the network is not cut; and the student's code shares the kernel with the
tests, so it can still redefine what the tests call (``course_tools.preprocessors.tamper`` detects the common
ways of doing so). ``write_status`` records what was applied in ``<dir>/status.json`` (written
before the user switch) for the pipeline's report. Sources: util-linux ``unshare(1)`` and
``setpriv(1)`` manual pages; ``pid_namespaces(7)`` (PID 1 and the killing of a namespace's
processes); jupyter_client's ``LocalProvisioner.send_signal`` (an interrupt goes to the kernel's
process group: the kernel gets it, and ``unshare`` survives it, as the robustness tests check with
cells over their time limit).
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import shutil
import signal
import sys
from pathlib import Path

if not __package__:  # run as a script (the kernelspec's argv): make this package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from course_tools.sandbox.mounts import hide, private_scratch, private_work  # noqa: E402
from course_tools.sandbox.runs import empty_folder  # noqa: E402

KERNEL_NAME = "course-sandbox"
PR_SET_PDEATHSIG = 1


def write_kernelspec(directory: Path, python: str = sys.executable,
                     display_name: str = "Python 3 (course sandbox)") -> Path:
    """Write ``<directory>/kernels/course-sandbox/kernel.json``; returns the kernelspec folder.

    Put ``directory`` on ``JUPYTER_PATH`` and pass ``--Execute.kernel_name=course-sandbox`` to
    nbgrader to use it. ``python`` is the interpreter that runs both the launcher and the kernel.
    """
    spec_dir = Path(directory) / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [python, str(Path(__file__).resolve()), "{connection_file}"],
            "display_name": display_name, "language": "python",
            "metadata": {"debugger": False}}
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return spec_dir


def font_cache() -> str | None:
    """Path of this Python's matplotlib font list (``fontlist-v*.json``), built if missing.

    The pipeline passes it to every sandboxed kernel (``COURSE_SANDBOX_MPL_FONTLIST``): a kernel's
    ``MPLCONFIGDIR`` is a fresh folder, and without a copy of the list matplotlib would rebuild it,
    taking seconds, for every student. Returns None when matplotlib is not installed or the list
    cannot be found.
    """
    try:
        import matplotlib
        from matplotlib import font_manager
    except ImportError:
        return None
    path = Path(matplotlib.get_cachedir()) / f"fontlist-v{font_manager.FontManager.__version__}.json"
    return str(path) if path.is_file() else None


def _limit(which: int, value: float | None) -> None:
    if value is None or value <= 0:
        return
    value = int(value)
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value if which != resource.RLIMIT_CPU else value + 5))


def _env_float(name: str) -> float | None:
    value = os.environ.get(name, "").strip()
    return float(value) if value else None


#: The kernel's standard output and error, in the student's sandbox folder (see ``own_output``).
KERNEL_LOG = "kernel.log"


def own_output(sandbox: Path) -> None:
    """Give this process (about to become the kernel) ``<sandbox>/kernel.log`` as standard output
    and error, opened write-only (append, created with mode 0600, never through a link), and
    ``/dev/null`` as standard input.

    Called before the user switch, so that as root the file belongs to root: the kernel can write
    to it through the inherited descriptors but not open it to read. The pipeline reads its last
    error lines when grading fails (``course_tools.autograde.grader``).

    Raises
    ------
    OSError
        If the file or ``/dev/null`` cannot be opened.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
    log = os.open(sandbox / KERNEL_LOG, flags, 0o600)
    null = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    for target, fd in ((0, null), (1, log), (2, log)):
        os.dup2(fd, target)  # dup2 leaves the new descriptor inheritable
    os.close(log)
    os.close(null)


def _copied_bytes(folder: str) -> int:
    """Bytes of the files the launcher copies from ``folder`` into the working folder (notebooks
    and links excluded, as in the copy), for the size of the working folder's tmpfs."""
    total = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != ".ipynb_checkpoints"]
        for name in files:
            path = os.path.join(root, name)
            if not name.endswith(".ipynb") and not os.path.islink(path):
                try:
                    total += os.stat(path).st_size
                except OSError:
                    pass
    return total


def write_status(sandbox: Path, status: dict) -> None:
    """Record what the launcher applied (read back by ``course_tools.autograde.grader``)."""
    (sandbox / "status.json").write_text(json.dumps(status), encoding="utf-8")


def launch(connection_file: str, extra_args: list[str] | None = None) -> None:
    """Set up the sandbox described in the module docstring and exec the IPython kernel.

    ``extra_args`` are passed on to ``ipykernel_launcher`` (nbclient may add some).
    """
    sandbox = Path(os.environ.get("COURSE_SANDBOX_DIR") or os.getcwd())
    sandbox.mkdir(parents=True, exist_ok=True)
    work = sandbox / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    status = {"uid": os.getuid(), "hidden": [], "isolation_errors": []}
    uid = _env_float("COURSE_SANDBOX_UID")
    is_root = os.geteuid() == 0
    # Read before any mount: the connection file and the font list may lie in a folder (/tmp)
    # that the kernel's namespace is about to replace with a private one.
    connection = Path(connection_file).read_bytes()
    try:
        info = json.loads(connection.decode("utf-8"))
    except ValueError:
        info = {}
    fontlist = os.environ.get("COURSE_SANDBOX_MPL_FONTLIST", "")
    fonts = Path(fontlist).read_bytes() if fontlist and os.path.isfile(fontlist) else None
    ipc_dir = Path(info.get("ip", "")).parent if info.get("transport") == "ipc" else None
    if is_root and ipc_dir is not None and ipc_dir != Path("/"):
        empty_folder(ipc_dir)  # whatever an earlier student's kernel left in this job's folder
    if is_root:
        covered = [p for p in os.environ.get("COURSE_SANDBOX_HIDE", "").split(os.pathsep) if p]
        try:
            status["hidden"] = hide(covered, [sys.base_prefix, sys.prefix]
                                     if uid is not None else [], sandbox)
        except OSError as exc:
            status["isolation_errors"].append(f"mount namespace: {exc}")
        else:  # only in the namespace just made: never cover the grading machine's own folders
            keep = [str(sandbox), str(ipc_dir or ""), sys.prefix, sys.base_prefix]
            try:
                status["private_scratch"] = private_scratch(keep)
                status["private_work"] = private_work(work, _copied_bytes("."))
            except OSError as exc:
                status["isolation_errors"].append(f"private folders: {exc}")
    # "." is this process's working folder (the student's autograded folder) even where a mount
    # above now covers the course: a working folder keeps referring to the folder it was.
    shutil.copytree(".", work, symlinks=True, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
    for sub in ("tmp", ".ipython", ".config"):
        (work / sub).mkdir(exist_ok=True)
    if fonts is not None:
        # matplotlib's font list, so that the kernel does not rebuild it (seconds) in its fresh
        # MPLCONFIGDIR; it names installed font files only.
        (work / ".config" / os.path.basename(fontlist)).write_bytes(fonts)
    conn = work / ".connection.json"
    conn.write_bytes(connection)
    if is_root and uid is not None:
        uid = int(uid)
        for root, dirs, files in os.walk(work):
            for name in dirs + files:
                os.lchown(os.path.join(root, name), uid, uid)
        os.chown(work, uid, uid)
        os.chmod(work, 0o700)
        os.chmod(conn, 0o600)
        os.chmod(sandbox, 0o711)  # the sandbox user may pass through to work/, not list or write
        status["uid"] = uid
    ipc = False
    if is_root and uid is not None and ipc_dir is not None:
        # The kernel binds its Unix sockets in this folder: its own, closed to every other user.
        if ipc_dir.is_dir() and ipc_dir != Path("/"):
            os.chown(ipc_dir, uid, uid)
            os.chmod(ipc_dir, 0o700)
            ipc = True
    status["namespace"] = bool(is_root and uid is not None
                               and namespace_argv(uid, [], ipc) is not None)
    status["network"] = "cut" if status["namespace"] and ipc else "not cut"
    _limit(resource.RLIMIT_AS, (_env_float("COURSE_SANDBOX_MEM_MB") or 0) * 2**20)
    _limit(resource.RLIMIT_CPU, _env_float("COURSE_SANDBOX_CPU_S"))
    _limit(resource.RLIMIT_FSIZE, (_env_float("COURSE_SANDBOX_FSIZE_MB") or 0) * 2**20)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    status["limits"] = {name: resource.getrlimit(getattr(resource, name))[0]
                        for name in ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE")}
    try:
        own_output(sandbox)
    except OSError as exc:
        status["isolation_errors"].append(f"kernel output file: {exc}")
    try:
        write_status(sandbox, status)  # written before the user switch: not writable by the kernel
    except OSError:
        pass
    env = dict(os.environ)
    env.update(HOME=str(work), TMPDIR=str(work / "tmp"), IPYTHONDIR=str(work / ".ipython"),
               MPLCONFIGDIR=str(work / ".config"), XDG_CONFIG_HOME=str(work / ".config"),
               XDG_CACHE_HOME=str(work / ".config"), JUPYTER_RUNTIME_DIR=str(work / "tmp"))
    for key in [k for k in env if k.startswith("COURSE_SANDBOX_")]:
        del env[key]
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", str(conn), *(extra_args or [])]
    if is_root and uid is not None:
        nproc = _env_float("COURSE_SANDBOX_NPROC")
        if nproc:
            resource.setrlimit(resource.RLIMIT_NPROC, (int(nproc), int(nproc)))
        argv = namespace_argv(uid, kernel, cut_network=ipc)
        if argv is not None:
            os.chdir(work)
            _die_with_parent()
            os.execve(argv[0], argv, env)
        # No util-linux tools: drop to the sandbox user here (no PID namespace; reported).
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    os.chdir(work)
    os.execve(sys.executable, kernel, env)


def namespace_argv(uid: int, kernel: list[str], cut_network: bool) -> list[str] | None:
    """The command that runs ``kernel`` as PID 1 of a new PID namespace as user ``uid``.

    ``unshare --pid --ipc --fork --kill-child --mount-proc`` (util-linux): the kernel is PID 1 of its own
    PID namespace, with its own ``/proc``; when it exits or is killed, the Linux kernel kills every
    process left in the namespace, and when ``unshare`` itself is killed (as jupyter_client kills
    a kernel) ``--kill-child`` kills the kernel first. ``--ipc``: System V shared memory, semaphores
    and message queues of its own, gone with the kernel (they outlive their processes otherwise:
    a student could leave one, readable by all, for a later student, or hold the machine's memory). ``--net`` (when ``cut_network``) gives it a
    network namespace of its own with only a loopback device that is down: no network at all; the
    kernel then talks to nbgrader over Unix sockets (``ipc`` transport), which live in the file
    system, not in a network namespace. ``setpriv --reuid --regid --clear-groups --no-new-privs``
    drops to the sandbox user and group with no supplementary groups and no way to regain
    privileges (no set-user-id programs). ``--pdeathsig=SIGKILL`` sets the kernel's parent-death
    signal again after that change of user, which clears it (``prctl(2)``): without it
    ``--kill-child`` does nothing, and a kernel outlived an ``unshare`` killed with its grading
    run (seen in a killed test run; ``tests/grading/sandbox/test_namespace.py``). Returns None
    when either tool is missing.
    """
    unshare, setpriv = shutil.which("unshare"), shutil.which("setpriv")
    if not unshare or not setpriv:
        return None
    return [unshare, "--pid", "--ipc", "--fork", "--kill-child", "--mount-proc",
            *(["--net"] if cut_network else []), "--",
            setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
            "--pdeathsig=SIGKILL", "--", *kernel]


def _die_with_parent() -> None:
    """Ask Linux to kill this process (then ``unshare``) when the grading process that started it
    dies, so that a killed grading run leaves no kernel behind."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: launcher.py CONNECTION_FILE [KERNEL ARGUMENTS...]")
    launch(sys.argv[1], sys.argv[2:])
