"""Feedback that does not reveal hidden tests.

nbgrader builds feedback from the *autograded* notebook, into which it has restored the instructor's
test cells, hidden tests included. Its default feedback therefore shows students the hidden tests and,
when one fails, a traceback that quotes the failing hidden line. ``RedactHiddenTests`` is an nbgrader
preprocessor for ``GenerateFeedback`` that removes the hidden-test region from each test cell (with
nbgrader's own ``ClearHiddenTests`` logic) and replaces the traceback of an error in such a cell by its
exception type and message only. An instructor can opt in to showing hidden tests with
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
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    message = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".rstrip(": ")
                    output["traceback"] = [
                        message,
                        "(A test in this cell failed. Hidden tests and their tracebacks are not shown"
                        " in feedback.)",
                    ]
        return cell, resources
