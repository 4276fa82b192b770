"""Issue 7, fast checks without autograding: nbgrader's scoring rules that motivated the
preprocessors and the release lint, and the preprocessors (``course_tools.preprocessors``); the
output cap of ``ResilientExecute`` runs a real kernel (a few seconds)."""

from __future__ import annotations

import json

import pytest
from nbformat import from_dict
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.utils import determine_grade

from course_tools.autograde.grader import inspect_autograded
from course_tools.preprocessors import CapOutputSize, RelabelGradeCellStderr, ResilientExecute


def _test_cell(outputs, points=2):
    return from_dict({"cell_type": "code", "execution_count": 1, "source": "assert f() == 1",
                      "outputs": outputs, "metadata": {"nbgrader": {
                          "grade": True, "solution": False, "locked": True, "points": points,
                          "grade_id": "t", "schema_version": 3}}})


def _result(text):
    return {"output_type": "execute_result", "execution_count": 1, "metadata": {},
            "data": {"text/plain": text}}


WARNING = {"output_type": "stream", "name": "stderr",
           "text": "FutureWarning: the default will change\n"}


def test_nbgrader_scores_a_warning_zero_and_relabelling_restores_full_marks():
    """Case 1: stderr in a test cell is a failure for nbgrader; not after RelabelGradeCellStderr."""
    cell = _test_cell([json.loads(json.dumps(WARNING))])
    assert determine_grade(cell)[0] == 0  # nbgrader's own rule
    cell, _ = RelabelGradeCellStderr().preprocess_cell(cell, {}, 0)
    assert determine_grade(cell)[0] == 2
    assert cell.outputs[0]["name"] == "stdout" and cell.outputs[0]["text"].startswith("[stderr]")
    # An error still fails the test.
    error = {"output_type": "error", "ename": "AssertionError", "evalue": "", "traceback": []}
    cell = _test_cell([json.loads(json.dumps(WARNING)), error])
    cell, _ = RelabelGradeCellStderr().preprocess_cell(cell, {}, 0)
    assert determine_grade(cell)[0] == 0


def test_relabelling_leaves_answer_cells_alone():
    cell = _test_cell([json.loads(json.dumps(WARNING))])
    cell.metadata.nbgrader["solution"] = True
    cell, _ = RelabelGradeCellStderr().preprocess_cell(cell, {}, 0)
    assert cell.outputs[0]["name"] == "stderr"


@pytest.mark.parametrize("value, score", [("0", 0.0), ("False", 2.0), ("1", 1.0),
                                           ("   a\n0  1\n1  2", 2.0)])
def test_nbgrader_reads_a_last_expression_as_partial_credit(value, score):
    """Case 5, the behaviour behind the lint: 0 gives zero, False or a DataFrame full marks."""
    assert determine_grade(_test_cell([_result(value)]))[0] == score


def test_cap_output_size_cuts_a_huge_line_and_drops_huge_html():
    cell = from_dict({"cell_type": "code", "execution_count": 1, "source": "", "metadata": {},
                      "outputs": [{"output_type": "stream", "name": "stdout",
                                   "text": "x" * 5_000_000},
                                  {"output_type": "display_data", "metadata": {},
                                   "data": {"text/html": "<tr>" * 1_000_000,
                                            "text/plain": "row\n" * 300_000}}]})
    cap = CapOutputSize(max_chars=1000)
    cell, _ = cap.preprocess_cell(cell, {}, 0)
    assert len(cell.outputs[0]["text"]) < 1200
    assert "output truncated: 5,000,000 characters" in cell.outputs[0]["text"]
    assert "text/html" not in cell.outputs[1]["data"]
    assert len(cell.outputs[1]["data"]["text/plain"]) < 1400
    assert "output removed: text/html" in cell.outputs[1]["data"]["text/plain"]



def _python_notebook(cells: list):
    """A notebook of ``cells`` for the python3 kernel."""
    return new_notebook(cells=cells, metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})

#: Writes 40 MiB to stdout in 1 MiB messages (the security review's flood, smaller).
FLOOD = "import sys\nfor _ in range(40):\n    sys.stdout.write('x' * 2**20); sys.stdout.flush()\n"


def test_execute_keeps_at_most_the_cap_of_a_flooding_cell_and_every_error(tmp_path):
    """A cell that floods stdout keeps at most ``max_cell_output_bytes`` and one notice while it
    runs; later cells run and keep their output; a test cell that floods and then fails keeps its
    error, so it still scores zero. (nbgrader's ``Execute.on_cell_executed`` re-adds the error of
    a failed cell's reply; the error of ``showtraceback()`` in cell 4 comes only through
    ``ResilientExecute.output``.)"""
    cap = 3_000_000
    tests = [new_code_cell(FLOOD + "assert False, 'the test fails'"), new_code_cell(
        FLOOD + "try:\n    assert False, 'shown'\nexcept AssertionError:\n"
                "    get_ipython().showtraceback()")]
    for grade_id, test in enumerate(tests):
        test.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                     "points": 1, "grade_id": f"t{grade_id}", "schema_version": 3}
    nb = _python_notebook([new_code_cell(FLOOD), new_code_cell("print('after')"), tests[0],
                           new_code_cell("print('end')"), tests[1]])
    nb, _ = ResilientExecute(timeout=60, max_cell_output_bytes=cap).preprocess(nb, {})

    def notices(cell):
        return [o for o in cell.outputs if o.output_type == "stream"
                and o.text.startswith("[course_tools] output truncated")]

    for cell in (nb.cells[0], nb.cells[2], nb.cells[4]):
        kept = [o for o in cell.outputs if o.output_type == "stream" and o not in notices(cell)]
        assert 0 < sum(len(o.text) for o in kept) <= cap  # (a) the flood is cut at the cap
        assert len(notices(cell)) == 1  # (b) with one notice
    for cell, text in ((nb.cells[1], "after\n"), (nb.cells[3], "end\n")):  # (c) later cells
        assert {o.output_type for o in cell.outputs} == {"stream"}  # (print may send 2 messages)
        assert "".join(o.text for o in cell.outputs) == text
    for cell in (nb.cells[2], nb.cells[4]):  # (d) the error is kept: the test still fails
        assert [o.ename for o in cell.outputs if o.output_type == "error"] == ["AssertionError"]
        assert determine_grade(cell)[0] == 0
    path = tmp_path / "flood.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert [p for p in inspect_autograded(path) if "truncated" in p] == [
        "flood.ipynb cell 0: output over the size limit was truncated",
        "flood.ipynb cell 2 (t0): output over the size limit was truncated",
        "flood.ipynb cell 4 (t1): output over the size limit was truncated"]


def test_execute_keeps_at_most_the_notebook_cap_over_many_cells():
    """A student can add cells: many cells each under the cell cap together keep at most
    ``max_notebook_output_bytes``; a later failing test still keeps its error."""
    small = "import sys\nfor _ in range(2):\n    sys.stdout.write('x' * 2**20); sys.stdout.flush()\n"
    test = new_code_cell("assert False, 'the test fails'")
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 1,
                                 "grade_id": "t", "schema_version": 3}
    nb = _python_notebook([new_code_cell(small) for _ in range(6)] + [test])
    nb, _ = ResilientExecute(timeout=60, max_cell_output_bytes=10_000_000,
                             max_notebook_output_bytes=5_000_000).preprocess(nb, {})
    kept = sum(len(o.text) for c in nb.cells for o in c.outputs
               if o.output_type == "stream" and not o.text.startswith("[course_tools]"))
    assert 4 * 2**20 <= kept <= 5_000_000  # two whole cells, part of the third, then nothing
    assert sum(o.get("text", "").startswith("[course_tools] output truncated")
               for c in nb.cells for o in c.outputs) >= 1
    assert [o.ename for o in nb.cells[-1].outputs if o.output_type == "error"] == ["AssertionError"]


def test_execute_counts_display_updates_against_the_notebook_cap():
    """update_display_data replaces stored output without passing through output() (a fifth
    hostile-student trial grew the grader by 600 MB so): updates count against the notebook cap."""
    code = ("from IPython.display import display, update_display\n"
            "big = 'x' * 3_000_000\n"
            "for i in range(4):\n"
            "    display({'text/plain': 'small'}, raw=True, display_id=f'd{i}')\n"
            "    update_display({'text/plain': big + str(i)}, raw=True, display_id=f'd{i}')\n")
    nb = _python_notebook([new_code_cell(code)])
    nb, _ = ResilientExecute(timeout=60, max_notebook_output_bytes=5_000_000).preprocess(nb, {})
    shown = [o for o in nb.cells[0].outputs if o.output_type == "display_data"]
    kept = sum(len(o.data["text/plain"]) for o in shown)
    assert len(shown) == 4 and kept <= 5_000_000, kept
    assert sum(o.data["text/plain"] == "small" for o in shown) >= 3  # later updates dropped


def test_execute_keeps_one_error_of_a_cell_past_its_cap():
    """Past the cap a cell keeps its first error (the test fails), not every one (a sixth trial
    sent 100,000 errors from one cell to grow the grader)."""
    code = (FLOOD + "for _ in range(500):\n    try:\n        1 / 0\n"
            "    except ZeroDivisionError:\n        get_ipython().showtraceback()\n")
    nb = _python_notebook([new_code_cell(code)])
    nb, _ = ResilientExecute(timeout=60, max_cell_output_bytes=3_000_000).preprocess(nb, {})
    errors = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert len(errors) == 1 and errors[0].ename == "ZeroDivisionError"


def test_execute_keeps_no_widget_state():
    """nbclient stores widget state outside output(), without limit (a sixth hostile-student
    trial grew the grader to 2.9 GB so): ResilientExecute keeps none."""
    code = ("from comm import create_comm\n"
            "c = create_comm(target_name='jupyter.widget', data={'state': {'_model_name': 'X', "
            "'_model_module': 'm', '_model_module_version': '1'}, 'buffer_paths': []})\n"
            "c.send(data={'method': 'update', 'state': {'k': 'x' * 1_000_000}, "
            "'buffer_paths': []})\n")
    nb = _python_notebook([new_code_cell(code)])
    nb, _ = ResilientExecute(timeout=60).preprocess(nb, {})
    assert len(json.dumps(nb)) < 100_000


def test_feedback_keeps_only_the_error_type_of_a_cell_with_hidden_tests():
    from course_tools.preprocessors import RedactHiddenTests

    cell = from_dict({
        "cell_type": "code", "execution_count": 1, "metadata": {"nbgrader": {
            "grade": True, "solution": False, "locked": True, "points": 2, "grade_id": "t",
            "schema_version": 3}},
        "source": "assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(7) == 49, 'f(7) should be 49'\n"
                  "### END HIDDEN TESTS",
        "outputs": [
            {"output_type": "stream", "name": "stdout", "text": "assert f(7) == 49\n"},
            {"output_type": "error", "ename": "AssertionError", "evalue": "f(7) should be 49",
             "traceback": ["assert f(7) == 49, 'f(7) should be 49'"]}]})
    out, _ = RedactHiddenTests().preprocess_cell(cell, {}, 0)
    shown = json.dumps(out)
    assert "f(7)" not in shown and "49" not in shown
    assert [o["output_type"] for o in out["outputs"]] == ["error"]
    assert out["outputs"][0]["ename"] == "AssertionError"


def test_feedback_says_when_a_hidden_test_cell_ran_out_of_time_and_nothing_more():
    """A student whose hidden-test cell was stopped at its time limit is told so (it said only
    'a test in this cell failed'), and an error of that name raised by student code with the
    hidden inputs in its message shows the same fixed sentence, not the message."""
    from course_tools.preprocessors import RedactHiddenTests

    cell = from_dict({
        "cell_type": "code", "execution_count": 1, "metadata": {"nbgrader": {
            "grade": True, "solution": False, "locked": True, "points": 2, "grade_id": "t",
            "schema_version": 3}},
        "source": "### BEGIN HIDDEN TESTS\nassert f(7) == 49\n### END HIDDEN TESTS",
        "outputs": [
            {"output_type": "error", "ename": "KeyboardInterrupt", "evalue": "",
             "traceback": ["KeyboardInterrupt"]},
            {"output_type": "error", "ename": "CellTimeoutError", "evalue": "f(7) is slow",
             "traceback": ["CellTimeoutError: f(7) is slow"]},
            {"output_type": "error", "ename": "CellTimeoutError", "evalue": "",
             "traceback": ["CellTimeoutError"]}]})
    out, _ = RedactHiddenTests().preprocess_cell(cell, {}, 0)
    shown = json.dumps(out)
    assert "time limit" in shown
    assert "f(7)" not in shown
    # Said once: the kernel's KeyboardInterrupt and a repeat of the same error are dropped.
    assert [o["ename"] for o in out["outputs"]] == ["CellTimeoutError"]
