"""nbgrader configuration for the course (course root: this folder).

Run nbgrader commands from this folder, e.g. ``nbgrader generate_assignment ps1``. The instructor's
one-command pipeline is ``python -m course_tools.grade`` (see README).
"""
import os

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "upgrading-learning"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# Per-cell time limit (seconds) when notebooks are executed for autograding; each assignment's
# correct solution runs in a few seconds.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True

# What students see where a solution was.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Release step: refuse to ship anything with a solution or hidden-test marker left in it.
c.ClearSolutions.enforce_metadata = True

# Feedback: nbgrader's defaults plus RedactHiddenTests, so students never see hidden tests or
# tracebacks quoting them (opt in with c.RedactHiddenTests.show_hidden_tests = True).
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

from course_tools.preprocessors import RedactHiddenTests  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, RedactHiddenTests, CSSHTMLHeaderPreprocessor]

# Autograding that survives real submissions (see course_tools/preprocessors/):
# - ResilientExecute: a kernel that dies (os._exit, crash, CPU/memory limit) fails only the cell it
#   died in and the cells after it, instead of aborting the notebook; while a cell runs, it keeps
#   at most max_cell_output_bytes of the cell's output (and its first error after that), so that a cell printing
#   gigabytes cannot exhaust the grader's memory;
# - RelabelGradeCellStderr: a warning printed to stderr in a test cell no longer scores it zero;
# - CapOutputSize: outputs are capped by characters (LimitOutput caps lines only).
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata,  # noqa: E402
                                    IgnorePattern, LimitOutput, SaveAutoGrades)

from course_tools.preprocessors import (AddCanaries, CapOutputSize,  # noqa: E402
                                        CheckCanaries, RelabelGradeCellStderr, ResilientExecute)

# - AddCanaries / CheckCanaries: a checking line at the end of each test cell and a canary cell at the
#   end of the notebook show whether student code changed how the tests ran (transformers, patched shell or assertion helpers...); they are removed before
#   grades are saved and recorded in the notebook's metadata for the grading report
#   (course_tools/preprocessors/tamper.py).

c.Autograde.autograde_preprocessors = [
    AddCanaries, ResilientExecute, IgnorePattern, ClearMetadataPreprocessor, CheckCanaries,
    LimitOutput, CapOutputSize, RelabelGradeCellStderr, SaveAutoGrades, AssignLatePenalties,
    CheckCellMetadata]
# ResilientExecute is a subclass of Execute, so c.Execute.timeout above applies to it.
c.CapOutputSize.max_chars = 10_000
c.CapOutputSize.max_binary_chars = 2_000_000
c.ResilientExecute.max_cell_output_bytes = 10_000_000  # 5 x max_binary_chars
