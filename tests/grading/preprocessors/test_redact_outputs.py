"""Security fix: a hidden test must not leak through the outputs of *other* cells in feedback.

Student code can capture the running cell's source (``get_ipython().user_ns['In'][-1]``) while a
hidden test calls it, and print it later, e.g. from a locked, ungraded instructor cell after the tests.
``RedactHiddenTests`` must replace any output, in any cell, that quotes a hidden-test line."""

from __future__ import annotations

import nbformat
from nbformat import from_dict

from course_tools.preprocessors import RedactHiddenTests

HIDDEN = "assert secret_function(41) == 1337  # hidden"
PUBLIC = "assert secret_function(1) == 2"
NOTICE = "[output removed: it quoted hidden tests]"


def _notebook():
    test_source = "\n".join([PUBLIC, "### BEGIN HIDDEN TESTS", HIDDEN, "### END HIDDEN TESTS"])
    return from_dict({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"id": "tests", "cell_type": "code", "execution_count": 1, "source": test_source, "outputs": [],
         "metadata": {"nbgrader": {"grade": True, "solution": False, "locked": True,
                                   "points": 2, "grade_id": "t", "schema_version": 3}}},
        {"id": "plot", "cell_type": "code", "execution_count": 2, "source": "plot_results()", "metadata": {},
         "outputs": [
             {"output_type": "stream", "name": "stdout",
              "text": "captured:\n" + PUBLIC + "\n###  BEGIN HIDDEN TESTS\n"
                      + HIDDEN.replace(" == ", "  ==   ") + "\n"},
             {"output_type": "stream", "name": "stdout", "text": "captured: " + PUBLIC + "\n"},
             {"output_type": "display_data", "metadata": {},
              "data": {"text/plain": "<Figure>",
                       "text/html": "<pre>" + HIDDEN.replace("==", "&#61;&#61;") + "</pre>"}},
             {"output_type": "error", "ename": "ValueError", "evalue": "boom",
              "traceback": ["\x1b[31m" + HIDDEN + "\x1b[0m"]},
         ]},
    ]})


def test_outputs_quoting_a_hidden_line_are_replaced_and_public_ones_kept():
    nb, _ = RedactHiddenTests().preprocess(_notebook(), {})
    assert "HIDDEN" not in nb.cells[0].source and "secret_function(41)" not in nb.cells[0].source
    leak, public, html, error = nb.cells[1].outputs
    assert leak["output_type"] == "stream" and leak["text"].strip() == NOTICE
    assert public["text"] == "captured: " + PUBLIC + "\n"
    assert html["data"] == {"text/plain": NOTICE}
    assert error["output_type"] == "error" and "secret_function(41)" not in str(error)
    nbformat.validate(nb)


def test_show_hidden_tests_redacts_nothing():
    nb, _ = RedactHiddenTests(show_hidden_tests=True).preprocess(_notebook(), {})
    assert HIDDEN in nb.cells[0].source
    assert nb.cells[1].outputs[0]["text"].startswith("captured:\n")
    assert "secret_function(41)" in nb.cells[1].outputs[2]["data"]["text/html"]
