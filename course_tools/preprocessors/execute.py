"""nbgrader preprocessors that make autograding survive real submissions: a kernel that dies.

They are configured for ``nbgrader autograde`` in ``assignments/nbgrader_config.py`` (so they apply to
the pipeline in ``course_tools.autograde`` and to a plain ``nbgrader autograde`` alike):

``ResilientExecute``
    nbgrader's ``Execute``, except that a kernel that dies (``os._exit()`` in a cell, a crash, the CPU
    limit of ``course_tools.sandbox.launcher``) no longer aborts the whole notebook. The cell in which the
    kernel died gets an error output ``KernelDied``, every later code cell gets an error output
    ``NotRun``, and the notebook is then scored as usual: tests that ran before the death keep
    their scores, the affected ones score zero. Cell time-outs are nbgrader's own (``Execute.timeout``
    with ``interrupt_on_timeout``: the cell gets a ``CellTimeoutError`` and the next cell runs).
    After the last cell, while the kernel still runs, it counts the processes the student's code
    left running (:func:`leftover_processes`) into ``resources["course_tools"]``;
    ``course_tools.preprocessors.tamper.CheckCanaries`` records the count in the notebook's
    metadata for the grading report.

(``RelabelGradeCellStderr`` and ``CapOutputSize`` are in ``course_tools.preprocessors.outputs``.)
Every notice starts with ``[course_tools]`` so that ``course_tools.autograde.grader`` can report it per student.
"""

from __future__ import annotations

from pathlib import Path

from nbclient.exceptions import DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute

from course_tools.sandbox.uids import process_children

#: Prefix of every notice these preprocessors write into a notebook.
NOTICE = "[course_tools]"
#: Error names written by ResilientExecute.
KERNEL_DIED = "KernelDied"
NOT_RUN = "NotRun"


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])




def leftover_processes(km) -> int:
    """Processes started by the kernel's code that are still running (Linux /proc; 0 elsewhere).

    The kernel is the process jupyter_client started, or, through the sandbox launcher, the first
    process below it that runs ``ipykernel_launcher`` (``unshare`` -> kernel).
    """
    try:
        root = km.provisioner.process.pid
    except AttributeError:
        return 0
    if not Path("/proc").is_dir():
        return 0
    children = process_children()

    def is_kernel(pid: int) -> bool:
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        # Not the launchers in front of it (unshare, setpriv), whose arguments name it too.
        return (b"ipykernel_launcher" in argv
                and Path(argv[0].decode(errors="replace")).name not in ("unshare", "setpriv"))

    kernel, todo = None, [root]
    while todo and kernel is None:
        pid = todo.pop(0)
        if is_kernel(pid):
            kernel = pid
        todo += children.get(pid, [])
    if kernel is None:
        return 0
    count, todo = 0, list(children.get(kernel, []))
    while todo:
        pid = todo.pop()
        count += 1
        todo += children.get(pid, [])
    return count


class ResilientExecute(Execute):
    """nbgrader's Execute that survives a dying kernel (see the module docstring).

    After a ``DeadKernelError`` no further cell is executed: the failing cell gets a ``KernelDied``
    error output and later code cells a ``NotRun`` error output, so that their tests score zero and
    the grading report can say why.
    """

    def preprocess(self, nb, resources=None, km=None):
        self._died_in = None
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        try:
            return self._run_cell(cell, resources, index)
        finally:
            if index == len(self.nb.cells) - 1 and resources is not None:
                # The last cell: the kernel still runs. Count what the student's code left running
                # (it dies with the kernel, in its PID namespace when sandboxed, or is killed by
                # the pipeline); the grading report names it.
                left = leftover_processes(self.km)
                if left:
                    resources.setdefault("course_tools", {})["leftover_processes"] = left

    def _run_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._died_in is not None:
            cell.outputs = [_error(NOT_RUN, f"{NOTICE} not run: the kernel died in cell "
                                            f"{self._died_in} and was not restarted")]
            cell.execution_count = None
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._died_in = index
            self.log.warning("%s kernel died in cell %s", NOTICE, index)
            cell.outputs = list(cell.get("outputs", [])) + [_error(
                KERNEL_DIED, f"{NOTICE} the kernel died while running this cell (os._exit, a "
                             "crash, or the CPU or memory limit); later cells were not run")]
            return cell, resources
