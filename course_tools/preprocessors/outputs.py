"""nbgrader preprocessors that make autograding survive real submissions: what cells print.

They are configured for ``nbgrader autograde`` in ``assignments/nbgrader_config.py``, after
``ResilientExecute`` (``course_tools.preprocessors.execute``) has run the notebook:

``RelabelGradeCellStderr``
    nbgrader scores a test cell zero when it wrote anything to stderr (``nbgrader.utils.
    determine_grade``), so a correct answer whose library emits a warning (a pandas
    ``FutureWarning``, a ``DeprecationWarning``) loses all the cell's points. This preprocessor runs
    before ``SaveAutoGrades`` and turns each stderr stream output of a *test* cell (a grade cell that
    is not a solution cell) into a stdout stream whose text starts with ``[stderr]``. The warning stays
    visible in the autograded notebook and in feedback; only an *error* (an exception, a failed
    assert, a time-out) now fails a test. Policy: test authors who want to fail a test must raise.

``CapOutputSize``
    nbgrader's ``LimitOutput`` caps the number of *lines* of stream output. A single 50 MB line, or a
    200,000-row DataFrame displayed as HTML, passes it untouched and makes autograded notebooks and
    feedback pages enormous. This preprocessor caps every output by *characters*: stream text and
    ``text/plain`` are cut to ``max_chars`` characters with a notice, other text data (HTML, LaTeX,
    JSON, SVG) over the cap are dropped in favour of the (cut) ``text/plain``, and binary data
    (images) over ``max_binary_chars`` base64 characters are dropped with a notice.

Every notice starts with ``[course_tools]`` (``NOTICE``).
"""

from __future__ import annotations

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

from course_tools.preprocessors.execute import NOTICE


class RelabelGradeCellStderr(NbGraderPreprocessor):
    """Turn stderr stream outputs of test cells into labelled stdout (see the module docstring)."""

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or not utils.is_grade(cell) or utils.is_solution(cell):
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                output["name"] = "stdout"
                output["text"] = "[stderr] " + output.get("text", "")
        return cell, resources


class CapOutputSize(NbGraderPreprocessor):
    """Cap each cell output by characters (see the module docstring).

    ``max_chars`` applies to each stream output and each text representation; ``-1`` disables the
    cap. ``max_binary_chars`` applies to base64 image data.
    """

    max_chars = Integer(10_000, help="maximum characters of one text output (-1: no limit)"
                        ).tag(config=True)
    max_binary_chars = Integer(2_000_000, help="maximum base64 characters of one image (-1: none)"
                               ).tag(config=True)

    def _cut(self, text: str) -> str:
        return (text[: self.max_chars] + f"\n... {NOTICE} output truncated: {len(text):,} "
                f"characters, {self.max_chars:,} kept ...\n")

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or self.max_chars < 0:
            return cell, resources
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                text = output.get("text", "")
                text = text if isinstance(text, str) else "".join(text)
                if len(text) > self.max_chars:
                    output["text"] = self._cut(text)
            elif kind in ("execute_result", "display_data"):
                data = output.get("data", {})
                dropped = []
                for mime in list(data):
                    value = data[mime]
                    value = value if isinstance(value, str) else (
                        "".join(value) if isinstance(value, list) else str(value))
                    binary = mime.startswith("image/") and mime != "image/svg+xml"
                    limit = self.max_binary_chars if binary else self.max_chars
                    if limit < 0 or len(value) <= limit:
                        continue
                    if mime == "text/plain":
                        data[mime] = self._cut(value)
                    else:
                        del data[mime]
                        dropped.append(f"{mime} ({len(value):,} characters)")
                if dropped:
                    note = f"{NOTICE} output removed: {', '.join(dropped)} over the size limit"
                    data["text/plain"] = (data.get("text/plain", "") and
                                          str(data.get("text/plain")) + "\n") + note
            elif kind == "error":
                output["evalue"] = (output.get("evalue", "")[: self.max_chars])
                output["traceback"] = [t if len(t) <= self.max_chars else self._cut(t)
                                       for t in output.get("traceback", [])]
        return cell, resources
