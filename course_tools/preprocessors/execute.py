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
    While a cell runs, it keeps at most ``max_cell_output_bytes`` of its output (see
    :meth:`ResilientExecute.output`): nbclient would otherwise hold every output message in memory
    until ``CapOutputSize`` cuts them after execution, so one cell printing gigabytes could exhaust
    the grader's memory.

(``RelabelGradeCellStderr`` and ``CapOutputSize`` are in ``course_tools.preprocessors.outputs``.)
Every notice starts with ``[course_tools]`` so that ``course_tools.autograde.grader`` can report it per student.
"""

from __future__ import annotations

from pathlib import Path

from nbclient.exceptions import DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer

from course_tools.sandbox.uids import process_children

#: Prefix of every notice these preprocessors write into a notebook.
NOTICE = "[course_tools]"
#: Error names written by ResilientExecute.
KERNEL_DIED = "KernelDied"
NOT_RUN = "NotRun"
#: Default of ``ResilientExecute.max_cell_output_bytes``: the output one cell may keep while it
#: runs, in bytes (UTF-8 of the strings in the output messages' content, plus ``OUTPUT_OVERHEAD``
#: per output). 5 x ``CapOutputSize.max_binary_chars`` (2,000,000): five full-size images, or
#: 1,000 x its ``max_chars`` (10,000) of text, which ``CapOutputSize`` then cuts as before.
MAX_CELL_OUTPUT_BYTES = 10_000_000
#: Default of ``ResilientExecute.max_notebook_output_bytes``: the output all cells of one notebook
#: may keep together, in bytes counted as above (5 cells at the cell cap): a student can add cells,
#: so a cap per cell alone still lets hundreds of flooding cells fill the grader's memory.
MAX_NOTEBOOK_OUTPUT_BYTES = 50_000_000
#: Bytes counted per kept output on top of its content: an output message of one character still
#: costs about 600 bytes of Python objects (nbformat's NotebookNode), so many tiny ones count too.
OUTPUT_OVERHEAD = 1024
#: Characters kept of each string of an output kept after the cap (an error, the first
#: execute_result).
SHRUNK_CHARS = 1_000


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


def _content_bytes(content) -> int:
    """Bytes of a kernel message's ``content``: UTF-8 of its strings (dictionary keys included),
    8 per other value (number, None). Walked without recursion (deep JSON cannot overflow)."""
    total, todo = 0, [content]
    while todo:
        value = todo.pop()
        if isinstance(value, str):
            total += len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass"))
        elif isinstance(value, dict):
            todo += value.keys()
            todo += value.values()
        elif isinstance(value, (list, tuple)):
            todo += value
        else:
            total += 8
    return total


def _shrink(out: NotebookNode) -> None:
    """Cut an output kept after the cap, in place: each string to ``SHRUNK_CHARS`` characters, an
    error's traceback to its last 5 lines, an execute_result's data to its string values."""
    def cut(text: str) -> str:
        return text if len(text) <= SHRUNK_CHARS else text[:SHRUNK_CHARS] + " ..."
    if out.output_type == "error":
        out.ename, out.evalue = cut(out.ename), cut(out.evalue)
        out.traceback = [cut(line) for line in out.traceback[-5:]]
    elif out.output_type == "execute_result":
        out.data = {mime: cut(v) for mime, v in out.data.items() if isinstance(v, str)}


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
    the grading report can say why. A cell's output over ``max_cell_output_bytes`` is not kept
    (:meth:`output`).
    """

    max_cell_output_bytes = Integer(
        MAX_CELL_OUTPUT_BYTES, min=0,
        help="bytes of output one cell may keep while it runs; more is dropped with a notice, "
             "except errors (see ResilientExecute.output)").tag(config=True)
    #: Widget state is not kept: nbclient stores it (``handle_comm_msg``) without any limit and
    #: outside :meth:`output`, and a hostile-student trial grew the grader to 2.9 GB and the
    #: autograded notebook to 600 MB so. Grading reads no widget state.
    store_widget_state = Bool(False).tag(config=True)
    max_notebook_output_bytes = Integer(
        MAX_NOTEBOOK_OUTPUT_BYTES, min=0,
        help="bytes of output all cells of a notebook may keep together; past it every cell keeps "
             "only its errors and first result, with a notice").tag(config=True)

    #: Output cap state of the cell being run: its index, bytes kept, whether the notice was
    #: written, whether an execute_result was kept.
    _cap_cell: int | None = None
    _kept, _truncated, _result_kept, _notebook_kept = 0, False, False, 0
    _error_after_cap = False

    def preprocess(self, nb, resources=None, km=None):
        self._died_in = None
        self._cap_cell = None
        self._notebook_kept = 0
        return super().preprocess(nb, resources, km)

    def output(self, outs, msg, display_id, cell_index):
        """nbclient's hook for each output message of a cell (``NotebookClient.output``, nbclient
        0.11 ``client.py``), under a cap on the bytes a cell keeps (``max_cell_output_bytes``).

        Each message's content is counted (:func:`_content_bytes` plus ``OUTPUT_OVERHEAD``) and kept
        through ``super().output`` (which also applies a pending ``clear_output(wait=True)``, routes
        to an Output widget, records display ids) while the cell's total stays within the cap. Of
        the first message over it, a stream keeps the text that fits; then comes one stdout stream
        starting with ``[course_tools] output truncated`` (``course_tools.autograde.grader.
        inspect_autograded`` reports it, ``CapOutputSize`` leaves it whole); from then on
        the cell's output messages are dropped, except what nbgrader scores a test cell by
        (``nbgrader.utils.determine_grade``): the first ``error`` after the cap (never dropped:
        that would turn a failing test into a pass; one is all nbgrader needs) and the cell's
        first ``execute_result`` (partial credit), kept but cut by :func:`_shrink`. The count restarts with each cell and when the cell's outputs are
        cleared (``clear_output``). Returns the output kept, or None.
        """
        kind, content = msg["msg_type"], msg["content"]
        hooked = bool(self.output_hook_stack[msg["parent_header"].get("msg_id")])
        cleared = not hooked and (not outs or self.clear_before_next_output)
        if cell_index != self._cap_cell or cleared:
            # A new cell, or its outputs were (or are about to be) cleared: nothing is kept yet.
            self._cap_cell, self._kept = cell_index, 0
            self._truncated = self._result_kept = self._error_after_cap = False
        size = OUTPUT_OVERHEAD + _content_bytes(content)
        room = min(self.max_cell_output_bytes - self._kept,
                   self.max_notebook_output_bytes - self._notebook_kept)
        over = self._truncated or size > room
        if over and not self._truncated:
            self._truncated = True
            if kind == "stream" and room > OUTPUT_OVERHEAD:
                # Keep the start of the text that crosses the cap, cut to the bytes left (as
                # CapOutputSize keeps the start of a long text).
                left = room - OUTPUT_OVERHEAD
                text = content.get("text", "")[:left].encode("utf-8", "surrogatepass")[:left]
                super().output(outs, {**msg, "content": {
                    **content, "text": text.decode("utf-8", "ignore")}}, display_id, cell_index)
                self._kept += room
                self._notebook_kept += room
            elif not hooked and self.clear_before_next_output:
                # The clear nbclient's output() would make before this output (same code).
                outs[:] = []
                self.clear_display_id_mapping(cell_index)
                self.clear_before_next_output = False
            outs.append(new_output("stream", name="stdout", text=(
                f"{NOTICE} output truncated: this cell's output passed "
                f"{self.max_cell_output_bytes:,} bytes, or the notebook's "
                f"{self.max_notebook_output_bytes:,}, while it ran; the rest was not kept "
                "(its first error is)\n")))
            self.log.warning("%s output of cell %s truncated at %s bytes", NOTICE, cell_index,
                             f"{self.max_cell_output_bytes:,}")
        first_result = kind == "execute_result" and not self._result_kept
        # Past the cap one error is enough for nbgrader to score the cell as failed; more would
        # grow the grader again (a trial sent 100,000 errors from one cell).
        if over and not first_result and (kind != "error" or self._error_after_cap):
            return None
        out = super().output(outs, msg, display_id, cell_index)
        self._result_kept |= first_result
        self._error_after_cap |= over and kind == "error"
        if over and out is not None:
            _shrink(out)
        else:
            self._kept += size
            self._notebook_kept += size
        return out

    def _update_display_id(self, display_id, msg):
        """nbclient's update of the outputs shown with ``display_id`` (``update_display_data``, or
        a new display with an id already shown), counted against ``max_notebook_output_bytes``:
        an update past it is dropped with a warning in the log.

        nbclient 0.11 (``client.py``, ``process_message``) replaces the stored data of such
        outputs here, without passing it through :meth:`output`; a hostile-student trial grew the
        grading process by 600 MB with ten displays updated to 60 MB each. Every update counts in
        full (the data it replaces is not subtracted), which keeps the bound simple.
        """
        if display_id in self._display_id_map:
            size = OUTPUT_OVERHEAD + _content_bytes(msg.get("content", {}))
            if self._notebook_kept + size > self.max_notebook_output_bytes:
                self.log.warning("%s display update of %s bytes dropped (the notebook's output "
                                 "cap)", NOTICE, f"{size:,}")
                return None
            self._notebook_kept += size
        return super()._update_display_id(display_id, msg)

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
