"""A long-lived ``nbgrader autograde`` process that grades students one at a time, on request.

``course_tools.grade`` starts one of these per parallel job, so nbgrader's start-up (several seconds
of imports and configuration) is paid once per job instead of once per student, while each student
is still graded on their own: separately staged, with their own sandbox settings and their own
wall-clock limit, enforced by the pipeline (which kills this process and starts a fresh one when a
student runs over).

    python -m course_tools.autograde.worker ASSIGNMENT [NBGRADER AUTOGRADE OPTIONS...]

run in the course root. The options are those of ``nbgrader autograde`` (for example
``--CourseDirectory.submitted_directory=preflight`` or ``--Execute.timeout=60``); they and the
course's ``nbgrader_config.py`` are loaded once, as ``nbgrader autograde`` itself loads them, and
each student is then graded through nbgrader's own API, ``NbGraderAPI.autograde``, exactly what
``nbgrader autograde ASSIGNMENT --student ID --force`` runs. Nothing of the grading is re-implemented.

Protocol (one JSON object per line):

- the worker first writes ``{"ready": true}`` (or ``{"ready": false, "error": ...}`` if nbgrader
  could not be configured, after which it exits with status 2);
- the pipeline writes a job ``{"student": ID, "env": {NAME: VALUE or null}, "job": TOKEN,
  "feedback": bool}`` on the worker's standard input; ``env`` is applied to the worker's environment
  before grading (``null`` removes a variable), which is how each student's kernel gets its own
  sandbox settings;
- the worker answers ``{"job": TOKEN, "success": bool, "log": TEXT}`` (``log``: nbgrader's log and
  any traceback, at most 20,000 characters). With ``"feedback": true`` and a successful autograde it
  then runs ``NbGraderAPI.generate_feedback`` for that student (what ``nbgrader generate_feedback
  ASSIGNMENT --student ID --force`` runs, with the course's feedback preprocessors) and adds
  ``"feedback": bool, "feedback_log": TEXT`` to the answer. End of input ends the worker.

With ``COURSE_GRADER_PID`` set (the pipeline's process id), the worker asks Linux to kill it when
that process dies, so that a grading run killed with SIGKILL leaves no worker (and, through the
sandbox launcher, no kernel) behind.

Replies go to a private copy of the original standard output; file descriptor 1 itself is pointed at
standard error before any kernel starts, so nothing a student's kernel prints (it inherits
descriptors 1 and 2) can be mistaken for a reply. The ``job`` token is echoed so that the pipeline
can check each reply belongs to the job it sent.
"""

from __future__ import annotations

import glob
import json
import os
import sys

#: Longest log text sent back per student (characters; the end is kept).
MAX_LOG = 20_000


def _reply(stream, **message) -> None:
    stream.write(json.dumps(message) + "\n")
    stream.flush()


def _call(method, *args, **kwargs) -> dict:
    """An ``NbGraderAPI`` call's result dict; an exception becomes ``{"success": False, ...}``."""
    try:
        return method(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - one student's failure is reported, not fatal
        return {"success": False, "error": f"{type(exc).__name__}: {exc}"}


def _configure(argv: list[str]):
    """(assignment, NbGraderAPI) configured as ``nbgrader autograde argv`` would be."""
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.apps.autogradeapp import AutogradeApp

    app = AutogradeApp()
    app.initialize(argv)
    if not app.extra_args:
        raise ValueError("no assignment name given")
    return app.extra_args[0], NbGraderAPI(coursedir=app.coursedir, parent=app)


def _die_with_parent() -> bool:
    """Have Linux kill this process when the grading run that started it dies (SIGKILL included).

    The run passes its process id in ``COURSE_GRADER_PID``; returns False when that run is already
    gone (it died before the request took effect), True otherwise (also without the variable).
    """
    parent = os.environ.get("COURSE_GRADER_PID", "")
    if not parent.isdigit():
        return True
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return True
    return os.getppid() == int(parent)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not _die_with_parent():
        return 3
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")  # os.dup: not inherited by kernels
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        assignment, api = _configure(argv)
    except BaseException as exc:  # noqa: BLE001 - reported to the pipeline, then exit
        _reply(replies, ready=False, error=f"{type(exc).__name__}: {exc}")
        return 2
    _reply(replies, ready=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        for name, value in (job.get("env") or {}).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = str(value)
        student = glob.escape(job["student"])
        result = _call(api.autograde, assignment, student, force=True, create=True)
        feedback = None
        if result.get("success") and job.get("feedback"):
            feedback = _call(api.generate_feedback, assignment, student, force=True)
        log = (result.get("log") or "") + (result.get("error") or "")
        message = {"job": job.get("job"), "success": bool(result.get("success")),
                   "log": log[-MAX_LOG:]}
        if feedback is not None:
            message["feedback"] = bool(feedback.get("success"))
            message["feedback_log"] = ((feedback.get("log") or "")
                                       + (feedback.get("error") or ""))[-MAX_LOG:]
        _reply(replies, **message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
