"""What happened to one student's submission, read from the autograded notebook.

:class:`StudentOutcome` (graded, needs review or failed, with every problem the report should
name); :func:`inspect_autograded` (time-outs, a dead kernel, memory, truncated output),
:func:`tamper_findings` (what ``course_tools.preprocessors.tamper`` recorded), :func:`timed_out`
and the last error lines of a sandboxed kernel's own output file. Used by
``course_tools.autograde.grader``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from course_tools.preprocessors.tamper import findings_of

#: Signs that a submission ran out of time (a cell's limit or the wall-clock limit). When other
#: students were graded alongside, such a student is graded once more, alone, at the end: student
#: code can take the machine's processors from the students graded at the same time (many busy
#: processes, each within its own limits), and a time-out must not be charged to the wrong student.
_TIMED_OUT = ("timed out (cell time limit)", "CellTimeoutError", "(wall-clock limit)")
#: Error names in an autograded notebook and how the report explains them.
_EXPLAINED = {
    "CellTimeoutError": "timed out (cell time limit) and was interrupted",
    "KernelDied": "killed the kernel (os._exit, a crash, or the CPU limit); later cells not run",
    "MemoryError": "ran out of memory (kernel memory limit)",
    "DeadKernelError": "killed the kernel",
}


#: Statuses of a student whose notebook was autograded (scores are in the gradebook).
GRADED = ("graded", "needs review")
#: How the tamper check's finding for a kernel that died before the final check begins.
UNVERIFIED = "the kernel died before the final check"


@dataclass
class StudentOutcome:
    """What happened to one student's submission.

    ``status`` is ``"graded"``, ``"needs review"`` (graded, but the canary cells found that the
    student's code may have changed how the tests ran: the score is not to be trusted, see
    ``course_tools.preprocessors.tamper``) or ``"failed"``; ``message`` says why a submission
    failed or needs review; ``problems`` lists everything the report should tell the instructor.
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


def kernel_log_tail(path: Path) -> str:
    """The last three error lines of a sandboxed kernel's own output file, as ``"\n[kernel] ..."``
    (for a failure's message: why a kernel died before replying, for instance); "" if none.

    ``path`` is ``<sandbox>/kernel.log`` (``course_tools.sandbox.launcher.own_output``); only its
    last 200,000 bytes are read, whatever its size, and a missing or unreadable file gives "".
    The lines are the student's kernel's output: report them as such, never trust them.
    """
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.fstat(fh.fileno()).st_size - 200_000))
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    lines = [ln for ln in text.splitlines() if "ERROR" in ln or "Error" in ln]
    return ("\n[kernel] " + " | ".join(lines[-3:])) if lines else ""


def tamper_findings(notebook: Path) -> list[str]:
    """The tamper findings recorded by ``CheckCanaries`` in an autograded notebook, as
    ``"<notebook>: <finding>"``; empty when none (or no canaries were configured)."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return [f"{notebook.name}: {f}" for f in findings_of(nb) or []]


def inspect_autograded(notebook: Path) -> list[str]:
    """Problems visible in an autograded notebook: time-outs, dead kernel, memory, truncation."""
    problems = []
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    left = nb.get("metadata", {}).get("course_tools", {}).get("leftover_processes")
    if left:
        problems.append(f"{notebook.name}: left {left} process(es) running after grading "
                        "(a sandboxed kernel takes them down with it)")
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


def timed_out(outcome: StudentOutcome) -> bool:
    """Whether a cell of the submission, or the submission as a whole, ran out of time."""
    return any(sign in text for sign in _TIMED_OUT
               for text in (outcome.message, *outcome.problems))
