"""Grade one assignment for a whole class, in one command, whatever the submissions look like.

    python -m course_tools.grade ps1                      # grade assignments/submitted/*/ps1
    python -m course_tools.grade ps1 --submissions DIR    # first copy DIR/<student>/ps1/ in
    python -m course_tools.grade ps1 --downloads DIR      # first zip_collect DIR/<student>_*.ipynb
    python -m course_tools.grade ps1 --jobs 2 --cell-timeout 60 --memory-mb 2048

The pipeline drives nbgrader's own CLI and gradebook API; it re-implements no grading:

1. *collect*: optionally copy a folder in nbgrader's ``submitted/<student>/<assignment>/`` layout
   into the course, or collect a flat folder of downloaded files with ``nbgrader zip_collect``;
2. *release*: if the assignment is not in the gradebook or has no release folder, release it with
   ``course_tools.release`` (marker and test-cell lint, ``nbgrader generate_assignment``, secret scan);
3. *pre-flight*: ``course_tools.preflight`` stages a repaired copy of each submission in
   ``<course>/preflight/`` (renamed notebook, malformed JSON, kernel, duplicated, deleted, retyped or
   edited cells); the student's original is never modified;
4. *autograde*: what ``nbgrader autograde ASSIGNMENT --student S --force`` runs, on the staged copy,
   ``--jobs`` students at a time, each with a wall-clock limit. Each job is a long-lived nbgrader
   process (``course_tools.autograde_worker``, nbgrader's ``NbGraderAPI.autograde``) that grades one
   student after another, so nbgrader starts once per job rather than once per student; a student
   who runs over the limit gets the job's process killed and a fresh one started. The kernel runs in
   ``course_tools.sandbox`` (own folder, own user id when run as root, course hidden, memory and CPU
   limits). A previous autograded notebook is kept aside and put back if the new run fails, so a
   grade is never replaced by an empty result;
5. *feedback*: ``nbgrader generate_feedback`` (hidden tests redacted, see ``course_tools.feedback``),
   run by the same job for each student right after autograding; any student left without feedback
   gets ``nbgrader generate_feedback`` afterwards;
6. *export*: nbgrader's CSV exporter (``CsvExportPlugin``, as ``nbgrader export``), read back with
   pandas;
7. *summary*: per-question scores from the gradebook API, summarised with pandas;
8. *report*: ``report.md`` and ``student_outcomes.csv`` name every problem found for each student
   (pre-flight repairs, time-outs, a dead kernel, memory errors, truncated output, failures);
9. *reconciliation*: submissions found = graded + reported failures, and every graded student has
   scores in the gradebook; if not, the command exits with status 1.

Outputs go to ``<course>/reports/<assignment>/``. Exit status: 0 when every submission was graded or
reported, 1 on a reconciliation mismatch, 2 when there was nothing to grade, the release was refused
or nbgrader itself failed.

Limits of the isolation are described in ``course_tools.sandbox`` and the README.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from course_tools import preflight as _preflight
from course_tools import sandbox as _sandbox

DEFAULT_COURSE = Path(__file__).resolve().parent.parent / "assignments"
#: Wall-clock seconds allowed per notebook of a submission (also each kernel's CPU-time limit).
DEFAULT_TIMEOUT = 600
#: Address-space limit of a student's kernel (MB); numpy, pandas and matplotlib need about 1 GB.
DEFAULT_MEMORY_MB = 3072
#: First user id used for sandboxed kernels when grading as root (one id per parallel worker,
#: claimed with a lock file so that concurrent grading runs never share one).
SANDBOX_UID_BASE = 64000
#: Folder (relative to the course root) that holds the staged, repaired submissions.
STAGED = "preflight"
#: Environment variables read by ``course_tools.sandbox`` (set per student, never inherited).
_SANDBOX_VARIABLES = ("COURSE_SANDBOX_DIR", "COURSE_SANDBOX_HIDE", "COURSE_SANDBOX_MEM_MB",
                      "COURSE_SANDBOX_CPU_S", "COURSE_SANDBOX_FSIZE_MB", "COURSE_SANDBOX_UID",
                      "COURSE_SANDBOX_NPROC", "COURSE_SANDBOX_MPL_FONTLIST")
#: Failures that say nothing about the submission (a busy gradebook; a kernel that died or hung
#: before running any cell); such a student is graded once more, alone, at the end of the run.
_TRANSIENT = ("database is locked", "Kernel died before replying to kernel_info",
              "Kernel didn't respond in", "can't start new thread",
              "Resource temporarily unavailable")
#: Error names in an autograded notebook and how the report explains them.
_EXPLAINED = {
    "CellTimeoutError": "timed out (cell time limit) and was interrupted",
    "KernelDied": "killed the kernel (os._exit, a crash, or the CPU limit); later cells not run",
    "MemoryError": "ran out of memory (kernel memory limit)",
    "DeadKernelError": "killed the kernel",
}


@dataclass
class StudentOutcome:
    """What happened to one student's submission.

    ``status`` is ``"graded"`` or ``"failed"``; ``message`` says why a submission failed;
    ``problems`` lists everything the report should tell the instructor about it.
    """

    student_id: str
    status: str
    message: str = ""
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: True when feedback was generated right after autograding (see ``autograde(feedback=...)``).
    feedback: bool = False

    def as_row(self) -> dict:
        return {"student_id": self.student_id, "status": self.status, "message": self.message,
                "problems": " | ".join(self.problems)}


def _tool_env() -> dict:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def _tools_on_path() -> None:
    """Put this Python's ``bin`` folder on PATH: nbgrader's Gradebook runs the ``alembic`` command
    when it creates a gradebook, which fails when the virtual environment is not activated."""
    tools = str(Path(sys.executable).parent)
    if tools not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = tools + os.pathsep + os.environ.get("PATH", "")


def _nbgrader_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "nbgrader"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "nbgrader"]


def _nbgrader(args: list[str], course: Path, timeout: float | None = None, env: dict | None = None):
    """Run an nbgrader subcommand in the course root; returns the CompletedProcess."""
    return subprocess.run(_nbgrader_cmd() + args, cwd=course, env=env or _tool_env(),
                          capture_output=True, text=True, timeout=timeout)


def _errors(proc) -> str:
    lines = [ln for ln in (proc.stderr or "").splitlines() if "ERROR" in ln or "Error" in ln]
    return " | ".join(lines[-3:]) if lines else (proc.stderr or "").strip()[-300:]


def _db_url(course: Path) -> str:
    """The gradebook URL with a generous SQLite busy time-out, for parallel nbgrader processes."""
    return f"sqlite:///{course / 'gradebook.db'}?timeout=120"


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


class _Worker:
    """One ``course_tools.autograde_worker`` process: nbgrader started once, students sent one by one.

    ``run`` grades one student with a wall-clock limit; a student who runs over, or a worker that
    dies, costs only that worker: it and every process it started are killed, and the next student
    gets a fresh worker.
    """

    def __init__(self, slot: int, args: list[str], cwd: Path, env: dict, start_timeout: float):
        self.slot, self.args, self.cwd, self.env = slot, args, cwd, env
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen | None = None
        self.err = None
        self.buffer = b""
        self.jobs = 0
        self.err_start = 0

    def _start(self) -> str | None:
        """Start the worker process; returns None when it is ready, or why it is not."""
        self.err = tempfile.TemporaryFile("a+", encoding="utf-8", errors="replace")
        self.buffer = b""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "course_tools.autograde_worker", *self.args], cwd=self.cwd,
            env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err,
            start_new_session=True)
        line = self._read_line(time.monotonic() + self.start_timeout)
        if line is None:
            self.stop()
            return f"nbgrader did not start within {self.start_timeout:.0f} s"
        if not line.get("ready"):
            why = line.get("error") or self._stderr_tail()
            self.stop()
            return f"nbgrader could not start: {why}"
        return None

    def _read_line(self, deadline: float) -> dict | None:
        """The next reply line, decoded; None on time-out; {} when the worker has gone."""
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return {}
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError:
            return {}

    def _stderr_tail(self, since: int = 0) -> str:
        """The last three error lines the worker (or a kernel) wrote since offset ``since``."""
        if self.err is None:
            return ""
        self.err.seek(since)
        lines = [ln for ln in self.err.read()[-200_000:].splitlines()
                 if "ERROR" in ln or "Error" in ln]
        return " | ".join(lines[-3:])

    def run(self, student: str, env: dict, wall: float, feedback: bool = False
            ) -> tuple[int | None, dict]:
        """Autograde ``student`` with ``env`` applied (then generate feedback if asked).

        Returns (0 graded / 1 failed / None time-out, the worker's answer: ``log`` and, with
        ``feedback``, ``feedback``: bool).
        """
        if self.proc is not None and self.proc.poll() is not None:
            self.stop()  # it ended between students: release its pipes and error file
        if self.proc is None:
            why = self._start()
            if why is not None:
                return 1, {"log": why}
        self.jobs += 1
        token = f"{os.getpid()}-{self.slot}-{self.jobs}"
        self.err.seek(0, os.SEEK_END)
        self.err_start = self.err.tell()
        try:
            self.proc.stdin.write((json.dumps({"student": student, "env": env, "job": token,
                                               "feedback": feedback}) + "\n").encode())
            self.proc.stdin.flush()
        except OSError:
            reply = {}
        else:
            reply = self._read_line(time.monotonic() + wall)
        if reply is None:
            self.stop()
            return None, {"log": ""}
        if reply.get("job") != token:
            tail = self._stderr_tail()
            self.stop()
            return 1, {"log": "the grading process died" + (f": {tail}" if tail else "")}
        if not reply.get("success"):
            # What the kernel itself printed (it inherits the worker's standard error), e.g. why it
            # died before it could reply.
            tail = self._stderr_tail(since=self.err_start)
            if tail:
                reply["log"] = reply.get("log", "") + "\n[kernel] " + tail
        return (0 if reply.get("success") else 1), reply

    def stop(self, wait: float = 0) -> None:
        """End the worker: close its input, give it ``wait`` seconds to exit, then kill it and
        everything it started."""
        if self.proc is not None:
            try:
                self.proc.stdin.close()
                if wait:
                    self.proc.wait(timeout=wait)
            except (OSError, subprocess.TimeoutExpired):
                pass
            _kill(_descendants(self.proc.pid) + [self.proc.pid])
            self.proc.wait()
            self.proc.stdout.close()
            self.proc = None
        if self.err is not None:
            self.err.close()
            self.err = None


def collect(submissions: Path, course: Path, assignment: str) -> None:
    """Copy ``submissions/<student>/<assignment>/`` folders into ``course/submitted/``.

    Raises
    ------
    FileNotFoundError
        If ``submissions`` is not a folder.
    """
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise FileNotFoundError(f"submissions folder not found: {submissions}")
    target = course / "submitted"
    if submissions.resolve() == target.resolve():
        return
    for student_dir in sorted(p for p in submissions.iterdir() if p.is_dir()):
        src = student_dir / assignment
        if src.is_dir():
            dst = target / student_dir.name / assignment
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst, symlinks=True)


#: How ``--downloads`` file names are read: ``<student id>_<anything>`` (the student id may not
#: contain ``_`` or ``/``), matched against the file's path inside the extracted downloads, as
#: nbgrader's FileNameCollectorPlugin does.
DOWNLOADS_REGEXP = r".*/(?P<student_id>[^/_]+)_(?P<file_id>[^/]+)$"


def collect_downloads(downloads: Path, course: Path, assignment: str,
                      regexp: str = DOWNLOADS_REGEXP) -> None:
    """Collect a flat folder of downloaded files (LMS style) with ``nbgrader zip_collect``.

    Every file in ``downloads`` (notebooks named ``<student>_<name>.ipynb``, or .zip/.tar.gz
    archives holding such notebooks) is copied to ``course/downloaded/<assignment>/archive/``;
    nbgrader's ``zip_collect`` then extracts the archives and files each notebook under
    ``course/submitted/<student>/<assignment>/``. A renamed notebook is sorted out later by the
    pre-flight step.

    Raises
    ------
    FileNotFoundError
        If ``downloads`` is not a folder.
    RuntimeError
        If ``nbgrader zip_collect`` fails.
    """
    downloads = Path(downloads)
    if not downloads.is_dir():
        raise FileNotFoundError(f"downloads folder not found: {downloads}")
    archive = course / "downloaded" / assignment / "archive"
    shutil.rmtree(course / "downloaded" / assignment, ignore_errors=True)
    archive.mkdir(parents=True)
    for path in sorted(downloads.iterdir()):
        if path.is_file():
            shutil.copy2(path, archive / path.name)
    proc = _nbgrader(["zip_collect", assignment, "--force",
                      f"--FileNameCollectorPlugin.named_regexp={regexp}"], course)
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader zip_collect failed: {_errors(proc)}")


def find_submissions(course: Path, assignment: str) -> list[str]:
    """Student ids with a ``submitted/<student>/<assignment>/`` folder, sorted."""
    root = course / "submitted"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / assignment).is_dir())


def ensure_released(course: Path, assignment: str) -> None:
    """Release the assignment (``course_tools.release``) unless gradebook and release folder exist.

    Raises
    ------
    RuntimeError
        If the release is refused (lint problem, secret in the release) or nbgrader fails.
    """
    from nbgrader.api import Gradebook, MissingEntry

    from course_tools.release import release

    if any((course / "release" / assignment).glob("*.ipynb")):
        with Gradebook(_db_url(course)) as gb:
            try:
                gb.find_assignment(assignment)
                return
            except MissingEntry:
                pass
    release(course, assignment, run=_nbgrader)


def _previous_total(course: Path, assignment: str, student: str) -> float | None:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(_db_url(course)) as gb:
        try:
            return float(gb.find_submission(assignment, student).score)
        except MissingEntry:
            return None


def inspect_autograded(notebook: Path) -> list[str]:
    """Problems visible in an autograded notebook: time-outs, dead kernel, memory, truncation."""
    problems = []
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        label = f"{notebook.name} cell {index}" + (f" ({gid})" if gid else "")
        for out in cell.get("outputs", []):
            ename = str(out.get("ename", ""))
            if out.get("output_type") == "error":
                if ename in _EXPLAINED:
                    problems.append(f"{label} {_EXPLAINED[ename]}")
                elif ename.endswith("MemoryError"):
                    problems.append(f"{label} {_EXPLAINED['MemoryError']}")
            text = json.dumps(out, ensure_ascii=False)
            if "[course_tools] output truncated" in text or "[course_tools] output removed" in text:
                problems.append(f"{label}: output over the size limit was truncated")
            stream = out.get("text", "")
            stream = stream if isinstance(stream, str) else "".join(stream)
            if out.get("output_type") == "stream" and stream.startswith("[stderr]"):
                problems.append(f"{label}: wrote to stderr (a warning); shown as text, not scored "
                                "as a failure")
    return sorted(set(problems), key=problems.index)


class _Grader:
    """Autograde students one by one or in parallel, with staging, sandbox and safe regrading."""

    def __init__(self, course: Path, assignment: str, timeout: float, jobs: int,
                 cell_timeout: float | None, memory_mb: float | None, sandbox: bool,
                 hide: list[Path]):
        self.course, self.assignment, self.timeout = course, assignment, timeout
        self.jobs = max(1, int(jobs))
        self.cell_timeout, self.memory_mb = cell_timeout, memory_mb
        self.sandbox = sandbox
        self.root = os.geteuid() == 0
        self.tmp = Path(tempfile.mkdtemp(prefix="course-sandbox-"))
        os.chmod(self.tmp, 0o711)
        self.fontlist = None
        if sandbox:
            _sandbox.write_kernelspec(self.tmp / "jupyter")
            self.fontlist = _sandbox.font_cache()
        self.hide = [str(p) for p in hide]
        self._locks: list = []
        self.slots: list[int] = self._claim_uids(self.jobs) if (sandbox and self.root) else list(
            range(SANDBOX_UID_BASE, SANDBOX_UID_BASE + self.jobs))
        self.lock = threading.Lock()
        self.startup_seconds = 60.0
        self.workers: list[_Worker] | None = None
        self.feedback = False

    def _claim_uids(self, n: int) -> list[int]:
        """Claim ``n`` sandbox user ids no other grading run on this machine is using.

        Each id is held by an exclusive lock on ``<tmp>/course-sandbox-uid-<id>.lock`` until
        :meth:`close`, so that two pipelines running at once never share (or kill) a kernel's user.
        An id that still has processes (left by an earlier, killed run) is skipped: they would
        count against the process limit of the kernels started under it.
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
            self._locks.append(fh)
            uids.append(uid)
            if len(uids) == n:
                return uids
        raise RuntimeError("no free sandbox user id (1000 grading workers already running?)")

    def close(self) -> None:
        for worker in self.workers or []:
            worker.stop(wait=10)
        shutil.rmtree(self.tmp, ignore_errors=True)
        for fh in self._locks:
            fh.close()

    def _worker_args(self) -> list[str]:
        """``nbgrader autograde`` options shared by every student (see ``autograde_worker``)."""
        args = [self.assignment, "--force", f"--CourseDirectory.submitted_directory={STAGED}",
                f"--CourseDirectory.db_url={_db_url(self.course)}"]
        if self.cell_timeout:
            args.append(f"--Execute.timeout={int(self.cell_timeout)}")
        if self.sandbox:
            args.append(f"--Execute.kernel_name={_sandbox.KERNEL_NAME}")
        return args

    def _worker_env(self) -> dict:
        """Environment of a worker process (the kernelspec of the sandbox on JUPYTER_PATH)."""
        env = _tool_env()
        if self.sandbox:
            env["JUPYTER_PATH"] = (str(self.tmp / "jupyter") + os.pathsep
                                   + env.get("JUPYTER_PATH", ""))
        return {k: v for k, v in env.items() if not k.startswith("COURSE_SANDBOX_")}

    def _job_env(self, slot: int, student_dir: Path) -> dict:
        """Sandbox settings of one student's kernel: every ``COURSE_SANDBOX_*`` variable, set or
        removed (None), so that nothing carries over from the previous student."""
        env: dict = dict.fromkeys(_SANDBOX_VARIABLES)
        if not self.sandbox:
            return env
        env["COURSE_SANDBOX_DIR"] = str(student_dir)
        env["COURSE_SANDBOX_HIDE"] = os.pathsep.join(self.hide)
        if self.memory_mb:
            env["COURSE_SANDBOX_MEM_MB"] = str(self.memory_mb)
        env["COURSE_SANDBOX_CPU_S"] = str(int(self.timeout) + 5)
        env["COURSE_SANDBOX_FSIZE_MB"] = "200"
        env["COURSE_SANDBOX_MPL_FONTLIST"] = self.fontlist
        if self.root:
            env["COURSE_SANDBOX_UID"] = str(slot)
            env["COURSE_SANDBOX_NPROC"] = "256"
        return env

    def grade(self, student: str) -> StudentOutcome:
        with self.lock:
            if self.workers is None:
                start = max(120.0, self.startup_seconds)
                self.workers = [_Worker(slot, self._worker_args(), self.course, self._worker_env(),
                                        start) for slot in self.slots]
                self.idle = list(self.workers)
            worker = self.idle.pop()
        outcome = None
        try:
            outcome = self._grade(student, worker)
            return outcome
        finally:
            if self.sandbox and self.root:
                left = _processes_of_uid(worker.slot)  # leftovers of this student's kernel
                if left:
                    _kill(left)
                    # Until they are gone (reaped), they count against the next student's process
                    # limit: a fork bomb would otherwise make the next kernel fail to start.
                    deadline = time.monotonic() + 60
                    while _processes_of_uid(worker.slot) and time.monotonic() < deadline:
                        time.sleep(0.2)
                    if outcome is not None:
                        outcome.problems.append(f"left {len(left)} process(es) running after "
                                                "grading; they were killed")
            with self.lock:
                self.idle.append(worker)

    def _grade(self, student: str, worker: _Worker) -> StudentOutcome:
        course, assignment = self.course, self.assignment
        started = time.monotonic()
        staged = course / STAGED / student / assignment
        pre = _preflight.preflight(course / "submitted" / student / assignment, staged,
                                   course / "release" / assignment)
        problems = [p.message for p in pre.problems]
        if not pre.ok:
            fatal = "; ".join(p.message for p in pre.problems if p.fatal) or "nothing to grade"
            previous = _previous_total(course, assignment, student)
            if previous is not None:
                fatal += (f"; the gradebook keeps the grade of an earlier run ({previous:g} points)")
            return StudentOutcome(student, "failed", fatal, problems, time.monotonic() - started)

        out_dir = course / "autograded" / student / assignment
        backup = course / ".regrade-backup" / student / assignment
        shutil.rmtree(backup, ignore_errors=True)
        if out_dir.exists():
            backup.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(out_dir), str(backup))

        student_dir = self.tmp / f"slot{worker.slot}-{abs(hash(student))}"
        shutil.rmtree(student_dir, ignore_errors=True)
        student_dir.mkdir()
        os.chmod(student_dir, 0o711)
        wall = self.timeout * max(1, len(pre.notebooks)) + self.startup_seconds
        code, reply = worker.run(student, self._job_env(worker.slot, student_dir), wall,
                                 feedback=self.feedback)
        log = reply.get("log", "")
        status_file = student_dir / "status.json"
        if self.sandbox and status_file.exists():
            status = json.loads(status_file.read_text(encoding="utf-8"))
            problems += [f"sandbox: {e}" for e in status.get("isolation_errors", [])]
        shutil.rmtree(student_dir, ignore_errors=True)

        graded = [out_dir / name for name in pre.notebooks if (out_dir / name).exists()]
        if code is None:
            message = (f"autograding took longer than {wall:.0f} s (wall-clock limit) and was "
                       "stopped")
        elif code != 0 or len(graded) != len(pre.notebooks):
            lines = [ln for ln in log.splitlines() if "ERROR" in ln or "Error" in ln]
            message = "nbgrader autograde failed: " + (
                " | ".join(lines[-3:]) if lines else log.strip()[-300:] or "no notebook graded")
        else:
            shutil.rmtree(backup, ignore_errors=True)
            for nb_path in graded:
                problems += inspect_autograded(nb_path)
            return StudentOutcome(student, "graded", "", problems, time.monotonic() - started,
                                  feedback=bool(reply.get("feedback")))
        # Failed: put the previous autograded notebooks back, so feedback and grades stay whole.
        shutil.rmtree(out_dir, ignore_errors=True)
        if backup.exists():
            shutil.move(str(backup), str(out_dir))
            previous = _previous_total(course, assignment, student)
            message += ("; the previous autograded notebook and grade were kept"
                        + (f" ({previous:g} points)" if previous is not None else ""))
        return StudentOutcome(student, "failed", message, problems, time.monotonic() - started)


def autograde(course: Path, assignment: str, students: list[str], timeout: float = DEFAULT_TIMEOUT,
              jobs: int = 1, cell_timeout: float | None = None,
              memory_mb: float | None = DEFAULT_MEMORY_MB, sandbox: bool = True,
              hide: list[Path] | None = None, progress=None, startup_seconds: float = 60,
              feedback: bool = False) -> list[StudentOutcome]:
    """Autograde each student on their own, ``jobs`` at a time, in ``jobs`` long-lived nbgrader
    processes (see ``course_tools.autograde_worker``).

    Never stops at a failure: every student gets a :class:`StudentOutcome`. A student whose run
    failed for a reason that says nothing about the submission (the gradebook was busy, or the
    kernel died or hung before running any cell) is retried once, alone, at the end. ``progress`` is called
    with (done, total, outcome) after each student (default: a line on stderr). Each student may
    take ``timeout`` seconds per notebook plus ``startup_seconds`` (kernel start, gradebook);
    starting an nbgrader process has its own limit of ``max(120, startup_seconds)`` seconds.
    With ``feedback``, each graded student's feedback is generated right after autograding, by the
    same nbgrader process (``StudentOutcome.feedback`` says whether it was).
    Returns the outcomes in the order of ``students``.
    """
    course = Path(course).resolve()
    hide = list(hide or []) + _hidden_paths(course)
    grader = _Grader(course, assignment, timeout, jobs, cell_timeout, memory_mb, sandbox, hide)
    grader.startup_seconds = startup_seconds
    grader.feedback = feedback
    progress = progress or _print_progress
    results: dict[str, StudentOutcome] = {}
    try:
        with ThreadPoolExecutor(max_workers=grader.jobs) as pool:
            futures = {pool.submit(grader.grade, s): s for s in students}
            for done, future in enumerate(as_completed(futures), start=1):
                student = futures[future]
                try:
                    outcome = future.result()
                except Exception as exc:  # noqa: BLE001 - one student's crash never stops the rest
                    outcome = StudentOutcome(student, "failed", f"grading crashed: {exc!r}")
                results[student] = outcome
                progress(done, len(students), outcome)
        for student, outcome in list(results.items()):
            if outcome.status == "failed" and any(t in outcome.message for t in _TRANSIENT):
                again = grader.grade(student)
                if again.status == "graded":
                    again.problems.append("graded at the second attempt; the first failed for a "
                                          f"reason unrelated to the submission: {outcome.message}")
                results[student] = again
    finally:
        grader.close()
    return [results[s] for s in students]


def _print_progress(done: int, total: int, outcome: StudentOutcome) -> None:
    note = f" - {outcome.message}" if outcome.message else ""
    extra = f" ({len(outcome.problems)} note(s))" if outcome.problems else ""
    print(f"[{done}/{total}] {outcome.student_id}: {outcome.status} in {outcome.seconds:.0f} s"
          f"{extra}{note}", file=sys.stderr, flush=True)


def _hidden_paths(course: Path) -> list[Path]:
    """The course root and the git folders of the repositories holding it and this package.

    The source notebooks are in those repositories' history, so kernels must not see them.
    """
    paths = [course]
    for start in (course, Path(__file__).resolve().parent):
        for parent in [start, *start.parents]:
            if (parent / ".git").is_dir():
                if parent / ".git" not in paths:
                    paths.append(parent / ".git")
                break
    return paths


def protect_course(course: Path) -> None:
    """Make the course root readable by its owner only (the kernels run as another user)."""
    try:
        os.chmod(course, 0o700)
    except OSError:
        pass


def question_scores(course: Path, assignment: str) -> pd.DataFrame:
    """One row per (student, notebook, graded cell) from the nbgrader gradebook.

    Columns: student_id, notebook, question, kind ("autograded" or "manual"), score, max_score,
    needs_manual_grade. ``score`` is NaN where a manual grade is still missing.
    """
    from nbgrader.api import Gradebook

    rows = []
    with Gradebook(_db_url(course)) as gb:
        for submission in gb.assignment_submissions(assignment):
            for nb in submission.notebooks:
                for g in nb.grades:
                    # Test cells are scored by the autograder (auto_score set); written answers
                    # wait for a manual score. A missing manual score is NaN, not zero.
                    auto = g.cell.cell_type == "code" and g.auto_score is not None
                    missing = g.manual_score is None and (g.auto_score is None or g.needs_manual_grade)
                    rows.append({
                        "student_id": submission.student.id,
                        "notebook": nb.name,
                        "question": g.name,
                        "kind": "autograded" if auto else "manual",
                        "score": float("nan") if missing and not auto else float(g.score),
                        "max_score": float(g.max_score),
                        "needs_manual_grade": bool(g.needs_manual_grade),
                    })
    return pd.DataFrame(rows, columns=["student_id", "notebook", "question", "kind", "score",
                                       "max_score", "needs_manual_grade"])


def summarise(scores: pd.DataFrame) -> pd.DataFrame:
    """Per question: mean score, share of full marks, number failed (score < max), and counts."""
    if scores.empty:
        return pd.DataFrame(columns=["question", "kind", "max_score", "mean", "full_marks_share",
                                     "n_failed", "n_graded"])
    # A written answer still awaiting its manual grade has no score (NaN): it is left out of the
    # mean, the share of full marks and the failure count, not counted as a fail.
    scored = scores["score"].notna()
    df = scores.assign(full=(scores["score"] >= scores["max_score"]).astype(float).where(scored),
                       failed=(scores["score"] < scores["max_score"]).astype(float).where(scored))
    out = df.groupby(["question", "kind", "max_score"], sort=False).agg(
        mean=("score", "mean"), full_marks_share=("full", "mean"), n_failed=("failed", "sum"),
        n_graded=("score", "count")).reset_index()
    out["n_failed"] = out["n_failed"].astype(int)
    return out.sort_values(["kind", "n_failed"], ascending=[True, False], kind="stable")


def _markdown_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "(none)\n"
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in df.iterrows():
        cells = [f"{v:.2f}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_report(out: Path, assignment: str, outcomes: list[StudentOutcome], totals: pd.DataFrame,
                 summary: pd.DataFrame, reconciliation: list[str] | None = None,
                 pending_manual: tuple[int, int] = (0, 0), feedback: bool = True) -> Path:
    """Write report.md: reconciliation, failures, every problem per student, scores, questions."""
    graded = sum(o.status == "graded" for o in outcomes)
    failed = [o for o in outcomes if o.status != "graded"]
    lines = [f"# Grading report: {assignment}", "",
             f"Submissions found: {len(outcomes)}; graded: {graded}; "
             f"reported failures: {len(failed)}.", ""]
    for issue in reconciliation or []:
        lines += [f"**Reconciliation problem:** {issue}", ""]
    if failed:
        lines += ["## Submissions that could not be graded", "",
                  _markdown_table(pd.DataFrame([{"student_id": o.student_id, "reason": o.message}
                                                for o in failed])), ""]
    noted = [o for o in outcomes if o.problems]
    if noted:
        lines += ["## Problems found, per student", ""]
        for o in noted:
            lines.append(f"- **{o.student_id}** ({o.status})")
            lines += [f"  - {p}" for p in o.problems]
        lines.append("")
    answers, students = pending_manual
    if answers:
        then = ("feedback generated now shows them as 0: return feedback after hand-marking and a "
                "regrade." if feedback else "no feedback was generated in this run (--no-feedback): "
                "run the command again after hand-marking, without --no-feedback.")
        lines += [f"**Hand-marking pending:** {answers} written answer(s) from {students} student(s) "
                  "await a manual grade (formgrader). Until then the totals and per-question figures "
                  f"below leave those answers out, and {then}", ""]
    elif not feedback:
        lines += ["No feedback was generated in this run (--no-feedback).", ""]
    if not totals.empty:
        desc = totals["score"].describe()
        lines += ["## Score distribution (autograded and manual points so far)", "",
                  f"Mean {desc['mean']:.2f}, median {totals['score'].median():.2f}, "
                  f"min {desc['min']:.2f}, max {desc['max']:.2f} of {totals['max_score'].max():.0f}.",
                  ""]
    lines += ["## Per question (most-failed first)", "", _markdown_table(summary)]
    path = out / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def mark_failures(grades: pd.DataFrame, assignment: str, outcomes: list[StudentOutcome]
                  ) -> pd.DataFrame:
    """nbgrader's export with a ``grading_status`` column and no made-up score for a failure.

    A student whose submission could not be graded gets a row whether or not nbgrader exported one,
    with ``grading_status`` "failed" and an empty score (never 0.0), so that an upload of the CSV to
    a learning platform cannot silently zero or drop that student.
    """
    status = {o.student_id: o.status for o in outcomes}
    grades = grades.copy()
    missing = sorted(set(status) - set(grades["student_id"]))
    if missing:
        extra = pd.DataFrame({"assignment": assignment, "student_id": missing})
        grades = pd.concat([grades, extra], ignore_index=True)
    if "max_score" in grades and grades["max_score"].notna().any():
        grades["max_score"] = grades["max_score"].fillna(grades["max_score"].max())
    grades["grading_status"] = grades["student_id"].map(status).fillna("not submitted")
    failed = grades["grading_status"] == "failed"
    for column in ("raw_score", "score"):
        if column in grades:
            grades[column] = grades[column].astype(float).mask(failed)
    return grades.sort_values("student_id", kind="stable").reset_index(drop=True)


def reconcile(students: list[str], outcomes: list[StudentOutcome], scores: pd.DataFrame
              ) -> list[str]:
    """Problems with the books: empty when submissions found = graded + reported failures.

    Also checks that each student has exactly one outcome and that every graded student has scores
    in the gradebook (``scores`` from :func:`question_scores`), so that no grade is silently empty.
    """
    issues = []
    ids = [o.student_id for o in outcomes]
    graded = [o.student_id for o in outcomes if o.status == "graded"]
    failed = [o.student_id for o in outcomes if o.status == "failed"]
    if len(students) != len(graded) + len(failed) or sorted(ids) != sorted(students):
        issues.append(f"{len(students)} submissions found but {len(graded)} graded and "
                      f"{len(failed)} failures reported")
    empty = sorted(set(graded) - set(scores["student_id"]))
    if empty:
        issues.append(f"graded but without scores in the gradebook: {', '.join(empty)}")
    return issues


def generate_feedback(course: Path, assignment: str, students: list[str]) -> dict[str, str]:
    """``nbgrader generate_feedback`` for the class; per student if the class run fails.

    Returns {student: problem} for students left without a feedback file.
    """
    args = ["generate_feedback", assignment, "--force", f"--CourseDirectory.db_url={_db_url(course)}"]
    proc = _nbgrader(args, course)
    problems = {}
    for student in students:
        if any((course / "feedback" / student / assignment).glob("*.html")) and proc.returncode == 0:
            continue
        one = _nbgrader(args + ["--student", glob.escape(student)], course)
        if one.returncode != 0 or not any((course / "feedback" / student / assignment).glob("*.html")):
            problems[student] = f"feedback could not be generated: {_errors(one)}"
    return problems


def export_grades(course: Path, assignment: str, to: Path) -> None:
    """Write the gradebook's grades for ``assignment`` to the CSV file ``to``.

    Uses nbgrader's own exporter, ``nbgrader.plugins.CsvExportPlugin`` (what ``nbgrader export``
    runs by default), in this process rather than a new ``nbgrader export`` process, which would
    spend seconds starting. Columns: assignment, duedate, timestamp, student_id, last_name,
    first_name, email, raw_score, late_submission_penalty, score, max_score.

    Raises
    ------
    RuntimeError
        If nbgrader cannot read the gradebook or write the file.
    """
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    try:
        with Gradebook(_db_url(course)) as gb:
            CsvExportPlugin(to=str(to), assignment=[assignment]).export(gb)
    except Exception as exc:  # noqa: BLE001 - reported as the pipeline's own failure
        raise RuntimeError(f"nbgrader export failed: {type(exc).__name__}: {exc}") from exc


def run_pipeline(assignment: str, course: Path = DEFAULT_COURSE, submissions: Path | None = None,
                 timeout: float = DEFAULT_TIMEOUT, jobs: int | None = None,
                 cell_timeout: float | None = None, memory_mb: float | None = DEFAULT_MEMORY_MB,
                 sandbox: bool = True, progress=None, hide_paths: list[Path] | None = None,
                 downloads: Path | None = None, feedback: bool = True) -> dict:
    """Run the whole pipeline; returns a dict with outcomes, grades, scores, summary and paths.

    Parameters
    ----------
    assignment : assignment name (a folder of ``course/source/``).
    course : nbgrader course root.
    submissions : optional folder in ``<student>/<assignment>/`` layout, copied in first.
    downloads : optional flat folder of downloaded files (``<student>_<name>.ipynb`` or archives),
        collected with ``nbgrader zip_collect`` first (see :func:`collect_downloads`).
    timeout : wall-clock seconds per notebook (the student's nbgrader process gets this times the
        number of notebooks, plus 60 s); also the CPU-second limit of each kernel.
    jobs : students graded at the same time (default: number of cores).
    cell_timeout : per-cell limit in seconds (default: ``c.Execute.timeout`` of the course config).
    memory_mb : address-space limit of each kernel in MB (None: no limit).
    sandbox : run kernels through ``course_tools.sandbox`` (False: nbgrader's plain kernel).
    hide_paths : further folders to hide from student kernels (the course root, the submissions
        folder and the git folders of the course's and this package's repositories always are).
    feedback : generate each graded student's feedback (default). False skips it, for a first
        pass before hand-marking, whose feedback would show the written answers as 0; feedback
        already generated is left as it is.

    Raises
    ------
    FileNotFoundError
        If the course root has no nbgrader_config.py or the submissions folder is missing.
    RuntimeError
        If the release is refused or nbgrader cannot put the assignment in the gradebook or export.
    """
    _tools_on_path()
    course = Path(course).resolve()
    if not (course / "nbgrader_config.py").exists():
        raise FileNotFoundError(f"not an nbgrader course root (no nbgrader_config.py): {course}")
    if submissions is not None:
        collect(Path(submissions), course, assignment)
    if downloads is not None:
        collect_downloads(Path(downloads), course, assignment)
    ensure_released(course, assignment)
    if sandbox and os.geteuid() == 0:
        protect_course(course)
    students = find_submissions(course, assignment)
    hide = [Path(p).resolve() for p in hide_paths or []]
    for folder in (submissions, downloads):
        if folder is not None:
            hide.append(Path(folder).resolve())
    outcomes = autograde(course, assignment, students, timeout=timeout,
                         jobs=jobs or os.cpu_count() or 1, cell_timeout=cell_timeout,
                         memory_mb=memory_mb, sandbox=sandbox, hide=hide, progress=progress,
                         feedback=feedback)

    out = course / "reports" / assignment
    out.mkdir(parents=True, exist_ok=True)
    graded_ids = [o.student_id for o in outcomes if o.status == "graded"]
    # Feedback is made by the grading jobs right after each student; whoever is left without it
    # (an error in the feedback step) gets a class run, then one run each.
    no_feedback = [o.student_id for o in outcomes
                   if feedback and o.status == "graded" and not o.feedback]
    if no_feedback:
        for student, problem in generate_feedback(course, assignment, no_feedback).items():
            next(o for o in outcomes if o.student_id == student).problems.append(problem)
    grades_csv = out / "grades.csv"
    export_grades(course, assignment, grades_csv)
    grades = pd.read_csv(grades_csv, dtype={"student_id": str}, keep_default_na=False,
                         na_values=[""])
    grades = mark_failures(grades[grades["assignment"] == assignment], assignment, outcomes)
    grades.to_csv(grades_csv, index=False)  # the report folder is per assignment

    scores = question_scores(course, assignment)
    scores = scores[scores["student_id"].isin(graded_ids)]
    summary = summarise(scores)
    totals = scores.groupby("student_id")[["score", "max_score"]].sum().reset_index()

    issues = reconcile(students, outcomes, scores)

    pd.DataFrame([o.as_row() for o in outcomes],
                 columns=["student_id", "status", "message", "problems"]).to_csv(
        out / "student_outcomes.csv", index=False)
    scores.to_csv(out / "question_scores.csv", index=False)
    summary.to_csv(out / "question_summary.csv", index=False)
    waiting = scores[(scores["kind"] == "manual") & scores["score"].isna()]
    report = write_report(out, assignment, outcomes, totals, summary, issues,
                          pending_manual=(len(waiting), waiting["student_id"].nunique()),
                          feedback=feedback)
    return {"outcomes": outcomes, "grades": grades, "scores": scores, "summary": summary,
            "report": report, "reconciled": not issues, "out": out}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools.grade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignment", help="assignment name, e.g. ps1")
    parser.add_argument("--course", type=Path, default=DEFAULT_COURSE,
                        help="nbgrader course root (default: the repository's assignments/)")
    parser.add_argument("--submissions", type=Path, default=None,
                        help="folder in <student>/<assignment>/ layout to copy in first")
    parser.add_argument("--downloads", type=Path, default=None,
                        help="flat folder of downloaded files named <student>_<name>.ipynb (or "
                             "archives of them), collected with nbgrader zip_collect first")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="students graded in parallel (default: number of cores)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="wall-clock and CPU seconds allowed per notebook (default 600)")
    parser.add_argument("--cell-timeout", type=float, default=None,
                        help="seconds per cell (default: c.Execute.timeout in nbgrader_config.py)")
    parser.add_argument("--memory-mb", type=float, default=DEFAULT_MEMORY_MB,
                        help=f"memory (address space) per kernel in MB (default {DEFAULT_MEMORY_MB})")
    parser.add_argument("--hide", type=Path, action="append", default=[],
                        help="a further folder to hide from student kernels (repeatable)")
    parser.add_argument("--no-feedback", action="store_true",
                        help="do not generate feedback (a first pass before hand-marking)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run kernels as nbgrader does by default (no limits, no isolation)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    try:
        result = run_pipeline(args.assignment, args.course, args.submissions, args.timeout,
                              jobs=args.jobs, cell_timeout=args.cell_timeout,
                              memory_mb=args.memory_mb, sandbox=not args.no_sandbox,
                              hide_paths=args.hide, downloads=args.downloads,
                              feedback=not args.no_feedback)
    except (FileNotFoundError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    outcomes = result["outcomes"]
    if not outcomes:
        print(f"error: no submissions for {args.assignment} under {args.course / 'submitted'}",
              file=sys.stderr)
        return 2
    for o in outcomes:
        print(f"{o.student_id}: {o.status}{' - ' + o.message if o.message else ''}"
              f"{f' ({len(o.problems)} problem(s) noted)' if o.problems else ''}")
    print(f"report: {result['report']}")
    return 0 if result["reconciled"] else 1


if __name__ == "__main__":
    sys.exit(main())
