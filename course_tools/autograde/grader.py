"""Stage 3: autograde each student on their own, after pre-flight, in the sandbox, with safe regrading.

For each student ``_Grader`` stages a repaired copy (``course_tools.preflight``), keeps the previous
autograded notebook aside, sends the student to one of ``jobs`` long-lived nbgrader processes
(``course_tools.autograde.supervisor``) with the student's sandbox settings
(``course_tools.sandbox``: a fresh user id per student, a run folder removed by a later run only
once this one has provably ended), and turns the answer into a :class:`StudentOutcome` (graded,
needs review or failed, with every problem found in the autograded notebook, tamper findings of
``course_tools.preprocessors.tamper`` included). :func:`autograde` runs a class, retrying once
a failure that says nothing about the submission. Called by ``course_tools.pipeline``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from course_tools import preflight as _preflight
from course_tools.autograde.outcome import (GRADED, UNVERIFIED, StudentOutcome,  # noqa: F401
                                           inspect_autograded, kernel_log_tail, tamper_findings,
                                           timed_out)
from course_tools.autograde.supervisor import _Worker
from course_tools.nbgrader_tools import _db_url, _tool_env
from course_tools.sandbox import launcher as _sandbox
from course_tools.sandbox import runs as _runs
from course_tools.sandbox import uids as _uids

#: Wall-clock seconds allowed per notebook of a submission (also each kernel's CPU-time limit).
DEFAULT_TIMEOUT = 600
#: Address-space limit of a student's kernel (MB); numpy, pandas and matplotlib need about 1 GB.
DEFAULT_MEMORY_MB = 3072
#: Folder (relative to the course root) that holds the staged, repaired submissions.
STAGED = "preflight"
#: Environment variables read by ``course_tools.sandbox.launcher`` (set per student, never inherited).
_SANDBOX_VARIABLES = ("COURSE_SANDBOX_DIR", "COURSE_SANDBOX_HIDE", "COURSE_SANDBOX_MEM_MB",
                      "COURSE_SANDBOX_CPU_S", "COURSE_SANDBOX_FSIZE_MB", "COURSE_SANDBOX_UID",
                      "COURSE_SANDBOX_NPROC", "COURSE_SANDBOX_MPL_FONTLIST")
#: Failures that say nothing about the submission (a busy gradebook; a kernel that died or hung
#: before running any cell); such a student is graded once more, alone, at the end of the run.
_TRANSIENT = ("database is locked", "Kernel died before replying to kernel_info",
              "Kernel didn't respond in", "can't start new thread",
              "Resource temporarily unavailable", "No space left on device")
def _previous_total(course: Path, assignment: str, student: str) -> float | None:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(_db_url(course)) as gb:
        try:
            return float(gb.find_submission(assignment, student).score)
        except MissingEntry:
            return None


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
        # Folders left by earlier runs that have provably ended (their lock is free) go first.
        _runs.remove_stale_run_folders()
        self.tmp, self._owner = _runs.make_run_folder()
        os.chmod(self.tmp, 0o711)
        self.fontlist = None
        if sandbox:
            _sandbox.write_kernelspec(self.tmp / "jupyter")
            self.fontlist = _sandbox.font_cache()
        self.hide = [str(p) for p in hide]
        self._locks: list = []  # user ids claimed for students of this run, held to its end
        self.slots: list[int] = list(range(self.jobs))
        self.lock = threading.Lock()
        self.startup_seconds = 60.0
        self.workers: list[_Worker] | None = None
        self.feedback = False

    def stop_workers(self) -> None:
        """Stop the nbgrader processes; the next :meth:`grade` starts them again, from its thread.

        Linux sends a process's parent-death signal (``PR_SET_PDEATHSIG``, set by the worker, see
        ``prctl(2)``) when the *thread* that started it ends: processes started by a thread pool's
        threads die with those threads, so grading after the pool must not hand them a student.
        """
        for worker in self.workers or []:
            worker.stop(wait=10)

    def close(self) -> None:
        for worker in self.workers or []:
            worker.stop(wait=10)
        _runs.remove_tree(self.tmp)  # student code made folders there: any depth
        for fh in self._locks:
            fh.close()
        self._owner.close()

    def _worker_args(self) -> list[str]:
        """``nbgrader autograde`` options shared by every student (see ``autograde.worker``)."""
        args = [self.assignment, "--force", f"--CourseDirectory.submitted_directory={STAGED}",
                f"--CourseDirectory.db_url={_db_url(self.course)}"]
        if self.cell_timeout:
            args.append(f"--Execute.timeout={int(self.cell_timeout)}")
        if self.sandbox:
            args.append(f"--Execute.kernel_name={_sandbox.KERNEL_NAME}")
        return args

    def _slot_args(self, slot: int) -> list[str]:
        """Options of one job's process: the kernel talks to nbgrader over Unix sockets in a folder
        of this job (``ipc``), wherever there are Unix sockets: with the sandbox as root, so that
        its network can be cut; and always, because with TCP jupyter_client picks the kernel's
        ports before the kernel binds them, and another process of a busy machine can take one in
        between, which kills the kernel at start (seen in test suites run side by side)."""
        if os.name != "posix":
            return []
        ipc = self.tmp / f"ipc-{slot}"
        if len(str(ipc)) > 80:  # a Unix socket's path may not exceed 107 bytes: keep tcp (and net)
            return []
        ipc.mkdir(exist_ok=True)
        return ["--KernelManager.transport=ipc", f"--KernelManager.ip={ipc / 'kernel'}"]

    def _worker_env(self) -> dict:
        """Environment of a worker process (the kernelspec of the sandbox on JUPYTER_PATH)."""
        env = _tool_env()
        if self.sandbox:
            env["JUPYTER_PATH"] = (str(self.tmp / "jupyter") + os.pathsep
                                   + env.get("JUPYTER_PATH", ""))
        env = {k: v for k, v in env.items() if not k.startswith("COURSE_SANDBOX_")}
        env["COURSE_GRADER_PID"] = str(os.getpid())  # the worker dies with this run
        return env

    def _job_env(self, uid: int | None, student_dir: Path) -> dict:
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
        if self.root and uid is not None:
            env["COURSE_SANDBOX_UID"] = str(uid)
            env["COURSE_SANDBOX_NPROC"] = "256"
        return env

    def grade(self, student: str) -> StudentOutcome:
        with self.lock:
            if self.workers is None:
                start = max(120.0, self.startup_seconds)
                self.workers = [_Worker(slot, self._worker_args() + self._slot_args(slot),
                                        self.course, self._worker_env(), start,
                                        pass_fds=(self._owner.fileno(),))
                                for slot in self.slots]
                self.idle = list(self.workers)
            worker = self.idle.pop()
            # A user id of this student's own, never given to another student of this run.
            uid = _uids.claim_uid(self._locks) if (self.sandbox and self.root) else None
        outcome = None
        try:
            outcome = self._grade(student, worker, uid)
            return outcome
        finally:
            if uid is not None:
                # The kernel ran as PID 1 of its own PID namespace: what it started died with it.
                # Anything of this uid still alive (it should never be) is killed; the id is never
                # reused in this run anyway.
                left = _uids._processes_of_uid(uid)
                seen, deadline = set(left), time.monotonic() + 60
                while left and time.monotonic() < deadline:
                    _uids._kill(left)
                    time.sleep(0.2)
                    left = _uids._processes_of_uid(uid)
                    seen.update(left)
                if seen and outcome is not None:
                    outcome.problems.append(
                        f"left {len(seen)} process(es) of its sandbox user running after grading; "
                        "they were killed" + (" (some could not be: that user id is not used "
                                              "again in this run)" if left else ""))
            with self.lock:
                self.idle.append(worker)

    def _grade(self, student: str, worker: _Worker, uid: int | None) -> StudentOutcome:
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

        student_dir = Path(tempfile.mkdtemp(prefix=f"job{worker.slot}-", dir=self.tmp))
        os.chmod(student_dir, 0o711)
        wall = self.timeout * max(1, len(pre.notebooks)) + self.startup_seconds
        code, reply = worker.run(student, self._job_env(uid, student_dir), wall,
                                 feedback=self.feedback)
        log = reply.get("log", "")
        if code != 0:
            log += kernel_log_tail(student_dir / _sandbox.KERNEL_LOG)
        status_file = student_dir / "status.json"
        if self.sandbox and status_file.exists():
            try:  # empty when the disk was full (a classmate's kernel filled it): a finding, no crash
                status = json.loads(status_file.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                status = {"isolation_errors": [f"the launcher's status file is unreadable ({exc})"]}
            problems += [f"sandbox: {e}" for e in status.get("isolation_errors", [])]
        _runs.remove_tree(student_dir)
        if self.sandbox and self.root:  # nothing a kernel left there outlasts its student
            _runs.empty_folder(self.tmp / f"ipc-{worker.slot}")

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
            tampered = []
            for nb_path in graded:
                problems += inspect_autograded(nb_path)
                tampered += tamper_findings(nb_path)
            status, message = "graded", ""
            if tampered:
                status = "needs review"
                unverified = [t for t in tampered if UNVERIFIED in t]
                suspected = [t for t in tampered if UNVERIFIED not in t]
                message = ("the tests may not have run as written (tampering suspected); review "
                           "the autograded notebook before using this score") if suspected else (
                           "the kernel died before the final tamper check; review the autograded "
                           "notebook before using this score")
                problems = ([f"tampering suspected: {t}" for t in suspected]
                            + [f"not verified: {t}" for t in unverified] + problems)
            return StudentOutcome(student, status, message, problems, time.monotonic() - started,
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
    processes (see ``course_tools.autograde.worker``).

    Never stops at a failure: every student gets a :class:`StudentOutcome`. A student whose run
    failed for a reason that says nothing about the submission (the gradebook was busy, or the
    kernel died or hung before running any cell) is retried once, alone, at the end. So is, when
    ``jobs`` > 1, a student whose submission ran out of time (:func:`timed_out`): another student's
    code may have taken the processors; the second result stands, and the report says so. ``progress`` is called
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
        if any((o.status == "failed" and any(t in o.message for t in _TRANSIENT))
               or _regrade_alone(o, grader.jobs, len(students)) for o in results.values()):
            grader.stop_workers()  # started by the pool's threads, which have ended
        for student, outcome in list(results.items()):
            if outcome.status == "failed" and any(t in outcome.message for t in _TRANSIENT):
                again = grader.grade(student)
                if again.status in GRADED:
                    again.problems.append("graded at the second attempt; the first failed for a "
                                          f"reason unrelated to the submission: {outcome.message}")
                results[student] = again
            elif _regrade_alone(outcome, grader.jobs, len(students)):
                again = grader.grade(student)
                again.problems.append(
                    "graded again alone at the end of the run (this result stands): the first "
                    "attempt ran out of time while other students were graded alongside"
                    + (", and so did this one" if timed_out(again) else ""))
                results[student] = again
    finally:
        grader.close()
    return [results[s] for s in students]


def _regrade_alone(outcome: StudentOutcome, jobs: int, students: int) -> bool:
    """Whether a student who ran out of time beside others is graded again alone: never a result
    that needs review (a fifth hostile-student trial timed out on purpose, so that a flagged first
    attempt was replaced by a failed second one and the tamper finding left the report)."""
    return (jobs > 1 and students > 1 and outcome.status != "needs review"
            and timed_out(outcome))


def _print_progress(done: int, total: int, outcome: StudentOutcome) -> None:
    note = f" - {outcome.message}" if outcome.message else ""
    extra = f" ({len(outcome.problems)} note(s))" if outcome.problems else ""
    print(f"[{done}/{total}] {outcome.student_id}: {outcome.status} in {outcome.seconds:.0f} s"
          f"{extra}{note}", file=sys.stderr, flush=True)


def _hidden_paths(course: Path) -> list[Path]:
    """The course root, this package's own course (``<repository>/assignments``, which holds the
    source notebooks even when another course is graded with ``--course``) and the git folders of
    the repositories holding the course and this package.

    The source notebooks are in those repositories' history, so kernels must not see them.
    """
    paths = [course]
    own_course = Path(__file__).resolve().parents[2] / "assignments"
    if (own_course / "nbgrader_config.py").is_file() and own_course.resolve() != course.resolve():
        paths.append(own_course)
    for start in (course, Path(__file__).resolve().parents[1]):
        for parent in [start, *start.parents]:
            if (parent / ".git").is_dir():
                if parent / ".git" not in paths:
                    paths.append(parent / ".git")
                break
    return paths
