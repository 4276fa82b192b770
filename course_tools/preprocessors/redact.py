"""Feedback that does not reveal hidden tests.

nbgrader builds feedback from the *autograded* notebook, into which it has restored the instructor's
test cells, hidden tests included. Its default feedback therefore shows students the hidden tests and,
when one fails, a traceback that quotes the failing hidden line. ``RedactHiddenTests`` is an nbgrader
preprocessor for ``GenerateFeedback`` that removes the hidden-test region from each test cell (with
nbgrader's own ``ClearHiddenTests`` logic) and, in such a cell, keeps of the outputs only the type of an
error: its message (an assertion message quotes the hidden inputs), its traceback and any printed or
displayed output (student code called by a hidden test can print anything, even the cell's source)
are dropped. An instructor can opt in to showing hidden tests with
``c.RedactHiddenTests.show_hidden_tests = True`` in ``nbgrader_config.py``.

Outputs of *other* cells can leak hidden tests too (found by a security tester): student code can
capture the running cell's source (``get_ipython().user_ns['In'][-1]``) while a hidden test calls it,
and print it later, e.g. from a locked, ungraded instructor cell after the tests. So, before clearing,
``preprocess`` collects the notebook's hidden-test lines (those between the BEGIN/END HIDDEN TESTS
delimiters, at least ``min_hidden_line_length`` characters once stripped, and not also present outside
a hidden region, which would make them public) and replaces any output of any cell that contains one
of them (compared with whitespace collapsed, ANSI colour codes and HTML markup removed) with a short
notice of the same output type.

In a cell with hidden tests, an error that a limit caused (a time-out, a kernel that died, memory)
is explained with a fixed sentence (``EXPLAINED_ERRORS``) instead of the generic one, so that a
student whose cell was stopped is told so.
"""

from __future__ import annotations

import html
import json
import re

from nbgrader.preprocessors import ClearHiddenTests
from traitlets import Bool, Integer, Unicode

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

#: What feedback says, in a cell with hidden tests, for the errors that the grading pipeline itself
#: writes (nbgrader's ``Execute.error_on_timeout``; ``course_tools.preprocessors.execute``) or that
#: the kernel's limits cause: fixed sentences, so that a student is told a limit was hit without
#: being shown anything the cell printed. A student's code may raise an error of the same name;
#: then only the same fixed sentence is shown.
EXPLAINED_ERRORS = {
    "CellTimeoutError": "This cell ran past its time limit and was stopped, so its tests score "
                        "zero. Look for a loop that never ends, or a computation much slower than "
                        "the problem needs.",
    "KeyboardInterrupt": "This cell ran past its time limit and was stopped, so its tests score "
                         "zero.",
    "KernelDied": "The kernel stopped while this cell ran (os._exit, a crash, or the kernel's "
                  "processor-time limit); this cell and the cells after it were not scored.",
    "NotRun": "Not run: the kernel had stopped in an earlier cell.",
    "MemoryError": "The code ran out of memory (the kernel's memory limit).",
}
_TAG = re.compile(r"<[^>]*>")


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _as_text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return json.dumps(value)


def _views(text: str) -> list[str]:
    """The forms in which a quoted source line may appear in an output, whitespace collapsed."""
    plain = _ANSI.sub("", text)
    unescaped = html.unescape(plain)
    return [_collapse(plain), _collapse(unescaped), _collapse(html.unescape(_TAG.sub("", plain)))]


class RedactHiddenTests(ClearHiddenTests):
    """Remove hidden tests, and tracebacks that could quote them, from feedback notebooks."""

    show_hidden_tests = Bool(
        False, help="Show hidden tests and full tracebacks in feedback (off by default)."
    ).tag(config=True)

    min_hidden_line_length = Integer(
        12, help="Hidden-test lines shorter than this (stripped) are too generic to look for."
    ).tag(config=True)

    notice = Unicode(
        "[output removed: it quoted hidden tests]",
        help="Replaces any output that contains a hidden-test line.",
    ).tag(config=True)

    def _hidden_lines(self, nb) -> set[str]:
        """Hidden-test lines (whitespace collapsed) that appear nowhere outside a hidden region."""
        hidden, public = set(), set()
        for cell in nb.cells:
            in_test = False
            for line in cell.get("source", "").split("\n"):
                if self.begin_test_delimeter in line:
                    in_test = True
                elif self.end_test_delimeter in line:
                    in_test = False
                else:
                    (hidden if in_test else public).add(_collapse(line))
        return {l for l in hidden - public if len(l) >= self.min_hidden_line_length}

    def _leaks(self, output, hidden: set[str]) -> bool:
        texts = []
        if output.get("output_type") == "stream":
            texts.append(_as_text(output.get("text", "")))
        elif output.get("output_type") == "error":
            texts += [_as_text(output.get("ename", "")), _as_text(output.get("evalue", "")),
                      _as_text(output.get("traceback", []))]
        else:
            texts += [_as_text(v) for v in output.get("data", {}).values()]
        views = [v for t in texts for v in _views(t)]
        return any(line in view for line in hidden for view in views)

    def _redact(self, output) -> None:
        kind = output.get("output_type")
        if kind == "stream":
            output["text"] = self.notice + "\n"
        elif kind == "error":
            output["evalue"] = self.notice
            output["traceback"] = [str(output.get("ename", "Error")), self.notice]
        else:
            output["data"] = {"text/plain": self.notice}
            output["metadata"] = {}

    def preprocess(self, nb, resources):
        if self.show_hidden_tests:
            return super().preprocess(nb, resources)
        hidden = self._hidden_lines(nb)  # before the hidden regions are cleared
        nb, resources = super().preprocess(nb, resources)
        if hidden:
            for cell in nb.cells:
                for output in cell.get("outputs", []):
                    if self._leaks(output, hidden):
                        self._redact(output)
        return nb, resources

    def preprocess_cell(self, cell, resources, cell_index):
        if self.show_hidden_tests or cell.cell_type != "code":
            return cell, resources
        if self._remove_hidden_test_region(cell):
            # Anything such a cell shows may come from a hidden test: an assertion message quotes
            # its inputs, and printed output can be anything the student's code chose to print
            # while a hidden test called it (even the cell's own source). Only the error type stays.
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if any(o.get("ename") == "CellTimeoutError" for o in errors):
                # The kernel's own KeyboardInterrupt, from the same time-out, would say it twice.
                errors = [o for o in errors if o.get("ename") != "KeyboardInterrupt"]
            kept, shown = [], set()
            for output in errors:
                ename = str(output.get("ename", "Error"))
                if ename in shown:  # one line per kind of error is all the student can be told
                    continue
                shown.add(ename)
                output["evalue"] = ""
                output["traceback"] = [ename, EXPLAINED_ERRORS.get(
                    ename, "(A test in this cell failed. Hidden tests, their messages and the "
                           "cell's output are not shown in feedback.)")]
                kept.append(output)
            cell["outputs"] = kept
        return cell, resources
