"""Stage 3, the process side: start, feed, time and kill one autograde worker process.

``_Worker`` drives one ``python -m course_tools.autograde.worker`` process (nbgrader started once,
students sent one by one over a line-based JSON protocol) and enforces each student's wall-clock
limit: a student who runs over, or a worker that dies, costs only that worker, which is killed with
every process it started. ``course_tools.autograde.grader`` decides what to send and what the
answers mean.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from course_tools.sandbox.uids import _descendants, _kill


class _Worker:
    """One ``course_tools.autograde.worker`` process: nbgrader started once, students sent one by one.

    ``run`` grades one student with a wall-clock limit; a student who runs over, or a worker that
    dies, costs only that worker: it and every process it started are killed, and the next student
    gets a fresh worker.
    """

    def __init__(self, slot: int, args: list[str], cwd: Path, env: dict, start_timeout: float,
                 pass_fds: tuple[int, ...] = ()):
        self.slot, self.args, self.cwd, self.env = slot, args, cwd, env
        self.pass_fds = pass_fds  # e.g. the run folder's owner lock, held while this process lives
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
            [sys.executable, "-m", "course_tools.autograde.worker", *self.args], cwd=self.cwd,
            env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err,
            start_new_session=True, pass_fds=self.pass_fds)
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
            # What the grading process printed for this student (a kernel outside the sandbox
            # inherits this file too; a sandboxed kernel writes to a file of its own, read by
            # the grader).
            tail = self._stderr_tail(since=self.err_start)
            if tail:
                reply["log"] = reply.get("log", "") + "\n[nbgrader] " + tail
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
