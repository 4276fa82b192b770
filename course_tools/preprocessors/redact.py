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
"""

from __future__ import annotations

from nbgrader.preprocessors import ClearHiddenTests
from traitlets import Bool


class RedactHiddenTests(ClearHiddenTests):
    """Remove hidden tests, and tracebacks that could quote them, from feedback notebooks."""

    show_hidden_tests = Bool(
        False, help="Show hidden tests and full tracebacks in feedback (off by default)."
    ).tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        if self.show_hidden_tests or cell.cell_type != "code":
            return cell, resources
        if self._remove_hidden_test_region(cell):
            # Anything such a cell shows may come from a hidden test: an assertion message quotes
            # its inputs, and printed output can be anything the student's code chose to print
            # while a hidden test called it (even the cell's own source). Only the error type stays.
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            for output in errors:
                output["evalue"] = ""
                output["traceback"] = [
                    str(output.get("ename", "Error")),
                    "(A test in this cell failed. Hidden tests, their messages and the cell's "
                    "output are not shown in feedback.)",
                ]
            cell["outputs"] = errors
        return cell, resources
